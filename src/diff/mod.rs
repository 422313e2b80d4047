//! What changed between two versions of an org (two org files, or a profile's previous and
//! current snapshots): people who joined, left, moved (their set of departments changed) or
//! whose title, leader, status or email changed; departments added, removed, renamed or
//! moved. Pure: `compare` reads two snapshots and returns plain data, which `orgtui diff`
//! prints and the browser can show.
//!
//! People and departments are matched by id. Every list is ordered by name, then id, so
//! the same two inputs always give the same diff.

mod depts;
mod paths;
mod previous;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};

use crate::model::User;
use crate::snapshot::Snapshot;

pub use depts::{DeptChanges, DeptMoved, Renamed};
use paths::DeptIndex;
pub use previous::{NoDiff, since_previous};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgDiff {
    /// When the old and new versions were saved (Unix seconds; for an org file its
    /// modification time); None when unknown.
    pub from: Option<u64>,
    pub to: Option<u64>,
    /// In the new version only, as it records them.
    pub joined: Vec<User>,
    /// In the old version only, as it recorded them.
    pub left: Vec<User>,
    pub moved: Vec<Moved>,
    pub changed: Vec<Changed>,
    pub depts: DeptChanges,
}

impl OrgDiff {
    /// Nothing differs (the dates aside).
    pub fn is_empty(&self) -> bool {
        self.joined.is_empty()
            && self.left.is_empty()
            && self.moved.is_empty()
            && self.changed.is_empty()
            && self.depts.is_empty()
    }
}

/// A person whose set of departments changed: the paths of their departments before and
/// after, in the order their records list them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moved {
    pub id: String,
    pub name: Option<String>,
    pub from: Vec<String>,
    pub to: Vec<String>,
}

/// The fields of a person the diff follows besides their departments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Title,
    Leader,
    Status,
    Email,
}

impl Field {
    pub const ALL: [Field; 4] = [Field::Title, Field::Leader, Field::Status, Field::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Leader => "leader",
            Field::Status => "status",
            Field::Email => "email",
        }
    }

    /// The field's value in `u` (the leader as an id).
    fn of(self, u: &User) -> Option<&str> {
        match self {
            Field::Title => u.title.as_deref(),
            Field::Leader => u.leader_id.as_deref(),
            Field::Status => u.status.map(|s| s.as_str()),
            Field::Email => u.email.as_deref(),
        }
    }
}

/// One field of one person, before and after (None: not set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub id: String,
    /// The person's name now.
    pub name: Option<String>,
    pub field: Field,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// What changed from `old` to `new`.
pub fn compare(old: &Snapshot, new: &Snapshot) -> OrgDiff {
    let (old_depts, new_depts) = (DeptIndex::of(old), DeptIndex::of(new));
    let (was, is) = (people(old), people(new));
    let only_in = |a: &HashMap<&str, &User>, b: &HashMap<&str, &User>| {
        let mut v: Vec<User> = a
            .iter()
            .filter(|(id, _)| !b.contains_key(*id))
            .map(|(_, u)| (*u).clone())
            .collect();
        v.sort_by(|x, y| by_name(x).cmp(&by_name(y)));
        v
    };
    let mut both: Vec<(&User, &User)> = is
        .iter()
        .filter_map(|(id, now)| Some((*was.get(id)?, *now)))
        .collect();
    both.sort_by(|x, y| by_name(x.1).cmp(&by_name(y.1)));
    let mut moved = Vec::new();
    let mut changed = Vec::new();
    for (before, after) in both {
        if dept_set(before) != dept_set(after) {
            moved.push(Moved {
                id: after.id.clone(),
                name: after.name.clone(),
                from: dept_paths(before, &old_depts),
                to: dept_paths(after, &new_depts),
            });
        }
        for field in Field::ALL {
            let (from, to) = (field.of(before), field.of(after));
            if from != to {
                changed.push(Changed {
                    id: after.id.clone(),
                    name: after.name.clone(),
                    field,
                    from: from.map(str::to_string),
                    to: to.map(str::to_string),
                });
            }
        }
    }
    OrgDiff {
        from: Some(old.saved_at),
        to: Some(new.saved_at),
        joined: only_in(&is, &was),
        left: only_in(&was, &is),
        moved,
        changed,
        depts: depts::compare(&old_depts, &new_depts),
    }
}

/// A snapshot's people by id (the first of duplicate ids wins, as everywhere else).
fn people(snap: &Snapshot) -> HashMap<&str, &User> {
    let mut by_id = HashMap::with_capacity(snap.users.len());
    for u in &snap.users {
        by_id.entry(u.user.id.as_str()).or_insert(&u.user);
    }
    by_id
}

fn dept_set(u: &User) -> BTreeSet<&str> {
    u.dept_ids.iter().map(String::as_str).collect()
}

/// The paths of `u`'s departments, each once, in the order the record lists them.
fn dept_paths(u: &User, index: &DeptIndex) -> Vec<String> {
    let mut seen = BTreeSet::new();
    u.dept_ids
        .iter()
        .filter(|d| seen.insert(d.as_str()))
        .map(|d| index.path(d))
        .collect()
}

fn by_name(u: &User) -> (&str, &str) {
    sort_key(u.name.as_deref(), &u.id)
}

/// The order of every list: by name (none first), then id.
fn sort_key<'a>(name: Option<&'a str>, id: &'a str) -> (&'a str, &'a str) {
    (name.unwrap_or_default(), id)
}

/// Unix seconds as an RFC 3339 date in UTC (`2026-12-02T10:00:00Z`), with the `time`
/// crate; None past what it can write (the year 9999).
pub fn rfc3339(secs: u64) -> Option<String> {
    let secs = i64::try_from(secs).ok()?;
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}
