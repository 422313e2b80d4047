//! `orgtui search QUERY`: the browser's search (`crate::search`) over the profile's snapshot,
//! `--org-file` or the demo org, from the shell. Nothing goes to a server.

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::output::{self, UserJson};
use super::{Cli, SearchSource};
use crate::error::{Error, Result, exit};
use crate::model::{Dept, User};
use crate::search::{Hit, Kind, QueryKind, SearchIndex, classify};
use crate::snapshot::{LoadError, SearchRecord, SearchRecords, Snapshot};
use crate::text::sanitize;

pub fn run(cli: &Cli, query: &str, limit: usize, json: bool) -> Result<i32> {
    if matches!(classify(query), QueryKind::Empty) {
        return Err(Error::Usage("search: the query is empty".into()));
    }
    if limit == 0 {
        return Err(Error::Usage("search: --limit must be at least 1".into()));
    }
    let started = Instant::now();
    let source = super::search_source(cli)?;
    let data = match &source {
        SearchSource::Bytes(bytes) => {
            Data::Bytes(Box::new(bytes.search_records().map_err(damaged)?))
        }
        SearchSource::Owned(snap) => Data::Owned(snap),
    };
    let (depts, users) = data.records();
    let loaded = started.elapsed();

    let (index, indexed) = build_index(&depts, &users, query);
    let index_built = started.elapsed();

    let hits = index.search(query, limit);
    let searched = started.elapsed();
    report_timings(
        loaded,
        index_built.saturating_sub(loaded),
        searched.saturating_sub(index_built),
        index.len(),
    );

    if hits.is_empty() {
        eprintln!("orgtui: no match for {:?}", sanitize(query));
        return Ok(exit::NOT_FOUND);
    }
    let shown = resolve(&data, &depts, &users, &indexed, &hits)?;
    let text = if json {
        let rows: Vec<HitJson> = hits
            .iter()
            .zip(&shown)
            .filter_map(|(h, s)| match s {
                Shown::User(u) => Some(HitJson {
                    kind: "user",
                    score: h.score,
                    user: Some(UserJson::from(u)),
                    dept: None,
                }),
                Shown::Dept(d) => Some(HitJson {
                    kind: "dept",
                    score: h.score,
                    user: None,
                    dept: Some(DeptHitJson {
                        id: &d.id,
                        name: d.name.as_deref(),
                        email: None,
                        parent_id: d.parent_id.as_deref(),
                        path: d.path.as_deref(),
                    }),
                }),
                Shown::Gone => None,
            })
            .collect();
        output::to_json(&rows)?
    } else {
        let mut out = String::new();
        for s in &shown {
            match s {
                Shown::User(u) => {
                    out.push_str(&output::user_line(u));
                    if let Some(p) = user_dept_path(u, &data, &depts) {
                        out.push_str(&format!("  ({})", sanitize(&p)));
                    }
                }
                Shown::Dept(d) => {
                    let shown = d.path.as_deref().or(d.name.as_deref());
                    out.push_str(&format!("▸ {} [{}]", output::field(shown), sanitize(&d.id)));
                }
                Shown::Gone => continue,
            }
            out.push('\n');
        }
        out
    };
    output::emit(&text)?;
    // The process exits next; freeing a large snapshot piece by piece would only delay it.
    std::mem::forget((index, indexed, depts, users));
    std::mem::forget(data);
    std::mem::forget(source);
    Ok(exit::OK)
}

fn damaged(e: LoadError) -> Error {
    Error::Usage(format!("{e}; run orgtui online again (or `orgtui export`)"))
}

/// Where the records come from: a snapshot file read in place, or one in memory.
enum Data<'a> {
    Bytes(Box<SearchRecords<'a>>),
    Owned(&'a Snapshot),
}

impl<'a> Data<'a> {
    /// Departments and people, in snapshot order.
    fn records(&self) -> (Cow<'_, [SearchRecord<'_>]>, Cow<'_, [SearchRecord<'_>]>) {
        match self {
            Data::Bytes(r) => (Cow::Borrowed(&r.depts), Cow::Borrowed(&r.users)),
            Data::Owned(s) => (
                s.depts
                    .iter()
                    .map(|d| SearchRecord::of_dept(&d.dept))
                    .collect(),
                s.users
                    .iter()
                    .map(|u| SearchRecord::of_user(&u.user))
                    .collect(),
            ),
        }
    }

    fn user(&self, i: usize) -> Result<Option<User>> {
        Ok(match self {
            Data::Bytes(r) => Some(r.user(i).map_err(damaged)?.user),
            Data::Owned(s) => s.users.get(i).map(|u| u.user.clone()),
        })
    }

    fn dept(&self, i: usize) -> Result<Option<Dept>> {
        Ok(match self {
            Data::Bytes(r) => Some(r.dept(i).map_err(damaged)?.dept),
            Data::Owned(s) => s.depts.get(i).map(|d| d.dept.clone()),
        })
    }
}

/// A hit's record, owned.
enum Shown {
    User(User),
    Dept(Dept),
    /// Not in the snapshot (cannot happen: the index was built from it).
    Gone,
}

/// The whole records of the hits, found among the indexed candidates.
fn resolve(
    data: &Data<'_>,
    depts: &[SearchRecord<'_>],
    users: &[SearchRecord<'_>],
    indexed: &[(Kind, usize)],
    hits: &[Hit],
) -> Result<Vec<Shown>> {
    let mut wanted: HashMap<(Kind, &str), usize> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| ((h.kind, h.id.as_str()), i))
        .collect();
    let mut out: Vec<Shown> = hits.iter().map(|_| Shown::Gone).collect();
    for &(kind, at) in indexed {
        if wanted.is_empty() {
            break;
        }
        let record = match kind {
            Kind::Dept => depts.get(at),
            Kind::User => users.get(at),
        };
        let Some(i) = record.and_then(|r| wanted.remove(&(kind, r.id))) else {
            continue;
        };
        let shown = match kind {
            Kind::Dept => data.dept(at)?.map_or(Shown::Gone, Shown::Dept),
            Kind::User => data.user(at)?.map_or(Shown::Gone, Shown::User),
        };
        if let Some(slot) = out.get_mut(i) {
            *slot = shown;
        }
    }
    Ok(out)
}

/// The index the browser's search would have over this snapshot, less the candidates that
/// cannot match `query` (see `Prefilter`): every department, then every person, as the
/// browser inserts them. Leaving out non-matches changes no result, as scores do not depend
/// on other candidates and the tie-break (insertion order) keeps the same relative order.
/// Also returns which records went in, in order.
fn build_index(
    depts: &[SearchRecord<'_>],
    users: &[SearchRecord<'_>],
    query: &str,
) -> (SearchIndex, Vec<(Kind, usize)>) {
    let mut filter = Prefilter::new(query);
    let mut index = SearchIndex::new();
    let mut indexed = Vec::new();
    for (at, d) in depts.iter().enumerate() {
        if filter.as_mut().is_none_or(|f| f.keep_dept(d)) {
            index.insert(d.candidate(Kind::Dept));
            indexed.push((Kind::Dept, at));
        }
    }
    for (at, u) in users.iter().enumerate() {
        if filter.as_mut().is_none_or(|f| f.keep_user(u)) {
            index.insert(u.candidate(Kind::User));
            indexed.push((Kind::User, at));
        }
    }
    (index, indexed)
}

/// A cheap, conservative test of whether a candidate could match a query, run before the
/// costly part of indexing it (pinyin spellings, matcher-ready text). It relies only on what
/// any match needs: the matcher matches one field at a time, and a field matches only if every
/// (non-blank) query char equals some char of it after case folding and accent
/// normalization; for a pinyin spelling, a letter of some reading of the name's chars. So a
/// candidate none of whose fields has all the query's chars can be left out. Anything the
/// filter is unsure of (a long list of unusual chars) keeps the candidate.
struct Prefilter {
    /// Query chars, folded, as a bit set over ASCII...
    ascii: u128,
    /// ...and the others (at most 64).
    other: Vec<char>,
    /// Lowercased addresses, for a pasted list of emails (matched exactly).
    emails: Option<Vec<String>>,
    /// With an `@` the matcher reads the whole email, else only the part before the last `@`.
    has_at: bool,
    forms_memo: CharMap,
    spelled_memo: CharMap,
}

/// Memo of per-char bits. Keyed by chars only, so a one-multiply hash does; SipHash was a
/// tenth of the whole search's time.
type CharMap = HashMap<char, (u128, u64), std::hash::BuildHasherDefault<CharHasher>>;

#[derive(Default)]
struct CharHasher(u64);

impl std::hash::Hasher for CharHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl Prefilter {
    fn new(query: &str) -> Option<Prefilter> {
        match classify(query) {
            QueryKind::Empty => None,
            QueryKind::Emails(list) if list.len() > 1 => Some(Prefilter {
                ascii: 0,
                other: Vec::new(),
                emails: Some(list.iter().map(|e| e.to_lowercase()).collect()),
                has_at: true,
                forms_memo: CharMap::default(),
                spelled_memo: CharMap::default(),
            }),
            QueryKind::Emails(_) | QueryKind::Text(_) => {
                let mut ascii = 0u128;
                let mut other = Vec::new();
                for c in query.trim().chars().filter(|c| !c.is_whitespace()) {
                    let c = fold(c);
                    if c.is_ascii() {
                        ascii |= 1 << u32::from(c);
                    } else if !other.contains(&c) {
                        other.push(c);
                    }
                }
                if other.len() > 64 {
                    return None;
                }
                Some(Prefilter {
                    ascii,
                    other,
                    emails: None,
                    has_at: query.contains('@'),
                    forms_memo: CharMap::default(),
                    spelled_memo: CharMap::default(),
                })
            }
        }
    }

    fn keep_user(&mut self, u: &SearchRecord<'_>) -> bool {
        if let Some(list) = &self.emails {
            return u.email.is_some_and(|e| list.contains(&e.to_lowercase()));
        }
        let name = u.name.unwrap_or(u.id);
        let email = u.email.map(|e| {
            if self.has_at {
                e
            } else {
                e.rsplit_once('@').map_or(e, |(local, _)| local)
            }
        });
        self.field(name)
            || self.pinyin(name)
            || email.is_some_and(|e| self.field(e))
            || self.field(u.id)
            || u.employee_id.is_some_and(|e| self.field(e))
            || u.title.is_some_and(|t| self.field(t))
    }

    fn keep_dept(&mut self, d: &SearchRecord<'_>) -> bool {
        if self.emails.is_some() {
            return false;
        }
        let name = d.name.unwrap_or(d.id);
        self.field(name) || self.pinyin(name) || self.field(d.id)
    }

    /// Whether one field's chars (each in every form the matcher may compare) include all of
    /// the query's.
    fn field(&mut self, text: &str) -> bool {
        if text.is_ascii() {
            // The common case, byte by byte. ASCII folds to ASCII, so it can never supply
            // the query's other chars.
            let mut seen = 0u128;
            for b in text.bytes() {
                seen |= 1 << b.to_ascii_lowercase();
            }
            return self.other.is_empty() && self.ascii & !seen == 0;
        }
        let mut seen = Seen::default();
        for c in text.chars() {
            let (a, o) = self.forms(c);
            seen.ascii |= a;
            seen.other |= o;
        }
        self.covered(&seen)
    }

    /// The same for the pinyin spellings of a name: letters of every reading of its Chinese
    /// chars, its other chars as they are.
    fn pinyin(&mut self, name: &str) -> bool {
        if name.is_ascii() {
            return false; // no spelling: the name field covered it
        }
        let mut seen = Seen::default();
        for c in name.chars() {
            let (a, o) = self.spelled(c);
            seen.ascii |= a;
            seen.other |= o;
        }
        self.covered(&seen)
    }

    /// Bits of every form of `c` the matcher may compare with a query char (memoized: names
    /// and titles reuse few distinct chars).
    fn forms(&mut self, c: char) -> (u128, u64) {
        if c.is_ascii() {
            return (1 << u32::from(c.to_ascii_lowercase()), 0);
        }
        if let Some(&bits) = self.forms_memo.get(&c) {
            return bits;
        }
        let n = nucleo_matcher::chars::normalize(c);
        let fc = fold(c);
        let mut bits = (0u128, 0u64);
        for v in [
            c,
            fc,
            n,
            fold(n),
            fold(nucleo_matcher::chars::normalize(fc)),
        ] {
            if v.is_ascii() {
                bits.0 |= 1 << u32::from(v);
            } else if let Some(i) = self.other.iter().position(|&o| o == v) {
                bits.1 |= 1 << i;
            }
        }
        self.forms_memo.insert(c, bits);
        bits
    }

    /// Bits of what `c` contributes to a pinyin spelling: the letters of all its readings
    /// (`ü` also as `v` and `u`), or itself when it has none.
    fn spelled(&mut self, c: char) -> (u128, u64) {
        use pinyin::ToPinyinMulti;
        if c.is_ascii() {
            return self.forms(c);
        }
        if let Some(&bits) = self.spelled_memo.get(&c) {
            return bits;
        }
        let bits = match c.to_pinyin_multi() {
            Some(readings) => {
                let mut bits = (0u128, 0u64);
                for r in readings {
                    for p in r.plain().chars() {
                        let (a, o) = if p == 'ü' {
                            let (a, o) = self.forms(p);
                            (a | 1 << u32::from('v') | 1 << u32::from('u'), o)
                        } else {
                            self.forms(p)
                        };
                        bits.0 |= a;
                        bits.1 |= o;
                    }
                }
                bits
            }
            None => self.forms(c),
        };
        self.spelled_memo.insert(c, bits);
        bits
    }

    fn covered(&self, seen: &Seen) -> bool {
        // The low `other.len()` bits (at most 64).
        let n = u32::try_from(self.other.len()).unwrap_or(u32::MAX);
        let all_other = u64::MAX.checked_shr(64u32.saturating_sub(n)).unwrap_or(0);
        self.ascii & !seen.ascii == 0 && seen.other & all_other == all_other
    }
}

#[derive(Default)]
struct Seen {
    ascii: u128,
    other: u64,
}

/// Case folding as the matcher does it: char for char.
fn fold(c: char) -> char {
    if c.is_ascii() {
        c.to_ascii_lowercase()
    } else {
        nucleo_matcher::chars::to_lower_case(c)
    }
}

/// Where someone sits: their first department's path (or name).
fn user_dept_path(u: &User, data: &Data<'_>, depts: &[SearchRecord<'_>]) -> Option<String> {
    if let Some(r) = u.depts.first() {
        return r.path.clone().or_else(|| r.name.clone());
    }
    let first = u.dept_ids.first()?;
    let at = depts.iter().position(|d| d.id == first.as_str())?;
    let d = data.dept(at).ok()??;
    d.path.or(d.name)
}

#[derive(Serialize)]
struct HitJson<'a> {
    kind: &'static str,
    score: u32,
    #[serde(flatten)]
    user: Option<UserJson<'a>>,
    #[serde(flatten)]
    dept: Option<DeptHitJson<'a>>,
}

#[derive(Serialize)]
struct DeptHitJson<'a> {
    id: &'a str,
    name: Option<&'a str>,
    /// Always null: the key is there so every row has the same core keys.
    email: Option<&'a str>,
    parent_id: Option<&'a str>,
    path: Option<&'a str>,
}

/// Where the time went.
fn report_timings(load: Duration, index: Duration, search: Duration, candidates: usize) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    super::timing(&format!(
        "search: load {:.1} ms, index {:.1} ms ({candidates} candidates), search {:.1} ms",
        ms(load),
        ms(index),
        ms(search)
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefilter must never change a result: compare with the full index.
    #[test]
    fn prefilter_changes_no_result() {
        let mut file = crate::fake::generate::demo();
        // Accents, mixed scripts, a reading with ü, an odd surname reading.
        let extra = [
            ("x1", "Müller Zoë"),
            ("x2", "吕布"),
            ("x3", "曾明 Anna"),
            ("x4", "ＡＢＣ全角"),
            ("x5", "Ünal Şahin"),
        ];
        for (id, name) in extra {
            file.users.push(crate::fake::OrgUser {
                id: id.into(),
                name: Some(name.into()),
                email: Some(format!("{id}@ex.example")),
                dept_ids: vec!["d00000".into()],
                ..Default::default()
            });
        }
        let owned = Snapshot::from_org_file(&file, "t");
        let data = Data::Owned(&owned);
        let (depts, users) = data.records();
        let mut full = SearchIndex::new();
        for d in depts.iter() {
            full.insert(d.candidate(Kind::Dept));
        }
        for u in users.iter() {
            full.insert(u.candidate(Kind::User));
        }
        let queries = [
            "zhangwei",
            "zhang wei",
            "zw",
            "张伟",
            "wei",
            "acme",
            "ACME.example",
            "e",
            "研发",
            "muller",
            "MÜ",
            "zoe",
            "lv",
            "lubu",
            "zeng",
            "cengming",
            "abc",
            "ａｂｃ",
            "unal",
            "sahin",
            "u000192",
            "E000192",
            "engineer",
            "x1@ex.example",
            "@ex",
            "d0000",
            "wei.zhang192@acme.example x2@ex.example",
            "总监",
            "q",
            "zzzzqqq",
            "  li  ",
        ];
        for q in queries {
            let expected = full.search(q, 50);
            let got = build_index(&depts, &users, q).0.search(q, 50);
            assert_eq!(got, expected, "query {q:?}");
        }
    }

    #[test]
    fn prefilter_leaves_out_what_cannot_match() {
        let mut f = Prefilter::new("zhang wei").unwrap();
        let user = |name: &str, email: &str| User {
            id: "u1".into(),
            name: Some(name.into()),
            email: Some(email.into()),
            ..User::default()
        };
        let mut keep = |u: User| f.keep_user(&SearchRecord::of_user(&u));
        assert!(keep(user("张伟", "x@y")));
        assert!(!keep(user("李娜", "na.li@acme.example")));
        assert!(keep(user("Wei Zhang", "x@y")));
    }
}
