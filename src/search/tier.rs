//! The ranking table: which tier a match of each quality in each field falls in. Both the
//! matcher (scoring hits) and the index (its precomputed best-tier bounds) read it, so it
//! lives apart from both.

use super::Field;
use super::hay::Quality;

/// Tier per field and quality. An exact id, employee id or email is top. Then the name and its
/// pinyin spellings, each quality of name above the same quality of pinyin above initials, and
/// even a scattered name match above any non-exact id or email match; title last.
pub(super) fn tier(field: Field, quality: Quality) -> u32 {
    // Columns: scattered, substring, word start, prefix, exact.
    const TIERS: [[u8; 5]; 6] = [
        [15, 40, 45, 60, 100], // id, employee id
        [15, 40, 50, 62, 100], // email
        [52, 72, 80, 88, 96],  // name
        [50, 70, 78, 86, 94],  // pinyin
        [48, 66, 66, 84, 92],  // initials
        [10, 30, 32, 34, 36],  // title
    ];
    let row = match field {
        Field::Id | Field::EmployeeId => 0,
        Field::Email => 1,
        Field::Name => 2,
        Field::Pinyin => 3,
        Field::Initials => 4,
        Field::Title => 5,
        // Scored from its words' tiers (`matcher::words_score`), never looked up here.
        Field::Words => return 0,
    };
    let column = match quality {
        Quality::Scattered => 0,
        Quality::Substring => 1,
        Quality::WordStart => 2,
        Quality::Prefix => 3,
        Quality::Exact => 4,
    };
    TIERS
        .get(row)
        .and_then(|r| r.get(column))
        .map_or(0, |&t| u32::from(t))
}
