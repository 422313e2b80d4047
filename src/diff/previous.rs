//! The diff of a profile's snapshot against its previous generation (`snapshot::save` keeps
//! it at `snapshot::previous_path`), for `orgtui diff` with no files and for the browser's
//! "changes since" view. Both need the same rule: the current snapshot holds the whole org
//! (else everyone not loaded yet would show as gone), and a previous generation exists.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use super::{Field, OrgDiff, compare};
use crate::model::User;
use crate::snapshot::{self, LoadError};

/// Why there is no diff against the previous generation.
#[derive(Debug)]
pub enum NoDiff {
    /// The current snapshot cannot be read.
    Current(PathBuf, LoadError),
    /// It does not hold the whole org.
    Incomplete(PathBuf),
    /// No previous generation was kept yet.
    NoPrevious(PathBuf),
    /// The previous generation cannot be read.
    Previous(PathBuf, LoadError),
}

impl std::fmt::Display for NoDiff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoDiff::Current(p, e) | NoDiff::Previous(p, e) => {
                write!(f, "the snapshot {} cannot be read: {e}", p.display())
            }
            NoDiff::Incomplete(p) => write!(
                f,
                "the snapshot {} does not hold the whole org yet",
                p.display()
            ),
            NoDiff::NoPrevious(p) => write!(
                f,
                "no previous snapshot yet ({}): one is kept when a save finds the org changed",
                p.display()
            ),
        }
    }
}

/// What changed from the previous generation of the snapshot at `path` to it.
///
/// Neither snapshot is decoded whole: at 100,000 people two decoded orgs are over 200 MB,
/// more than the browser that asks may use. The people are read a part at a time, three
/// times: the previous generation to note a fingerprint of what `compare` looks at in each
/// person, the current one to keep only those who are new or whose fingerprint differs, the
/// previous one again to keep only those and the ones who left. `compare` then runs on those
/// few people and every department, so the rules stay its own.
pub fn since_previous(path: &Path) -> Result<OrgDiff, NoDiff> {
    let prev_path = snapshot::previous_path(path);
    // Checked first: with no previous generation (most starts) nothing is read.
    if !prev_path.is_file() {
        return Err(NoDiff::NoPrevious(prev_path));
    }
    let current_err = |e| NoDiff::Current(path.to_path_buf(), e);
    // Its people stay in the file until the second pass.
    let (head, current_people) = snapshot::open(path).map_err(current_err)?;
    let mut new = head.into_shape();
    if !new.is_complete() {
        return Err(NoDiff::Incomplete(path.to_path_buf()));
    }
    let prev_err = |e| match e {
        LoadError::Missing => NoDiff::NoPrevious(prev_path.clone()),
        e => NoDiff::Previous(prev_path.clone(), e),
    };
    let (head, people) = snapshot::open(&prev_path).map_err(prev_err)?;
    let mut old = head.into_shape();
    let mut before: HashMap<String, u64> = HashMap::new();
    for part in people {
        for u in part.map_err(prev_err)? {
            before
                .entry(u.user.id.clone())
                .or_insert_with(|| fingerprint(&u.user));
        }
    }
    // Who is new or different now; everyone seen, so those not seen are the ones who left.
    let mut seen: HashSet<String> = HashSet::with_capacity(before.len());
    for part in current_people {
        for u in part.map_err(current_err)? {
            if !seen.insert(u.user.id.clone()) {
                continue;
            }
            if before.get(&u.user.id) != Some(&fingerprint(&u.user)) {
                new.users.push(u);
            }
        }
    }
    let touched: HashSet<&str> = new.users.iter().map(|u| u.user.id.as_str()).collect();
    let (_, people) = snapshot::open(&prev_path).map_err(prev_err)?;
    let mut kept = HashSet::new();
    for part in people {
        for u in part.map_err(prev_err)? {
            let id = u.user.id.as_str();
            let wanted = touched.contains(id) || !seen.contains(id);
            if wanted && kept.insert(u.user.id.clone()) {
                old.users.push(u);
            }
        }
    }
    Ok(compare(&old, &new))
}

/// A hash of everything `compare` reads of a person: their set of departments and each
/// `Field`. Equal fingerprints mean `compare` would find nothing (but for a 64-bit hash
/// collision); different ones are looked at by `compare` itself.
fn fingerprint(u: &User) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    let depts: BTreeSet<&str> = u.dept_ids.iter().map(String::as_str).collect();
    depts.hash(&mut h);
    for f in Field::ALL {
        f.of(u).hash(&mut h);
    }
    h.finish()
}
