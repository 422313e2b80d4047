//! The diff of a profile's snapshot against its previous generation (`snapshot::save` keeps
//! it at `snapshot::previous_path`), for `orgtui diff` with no files and for the browser's
//! "changes since" view. Both need the same rule: the current snapshot holds the whole org
//! (else everyone not loaded yet would show as gone), and a previous generation exists.

use std::path::{Path, PathBuf};

use super::{OrgDiff, compare};
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
pub fn since_previous(path: &Path) -> Result<OrgDiff, NoDiff> {
    let prev_path = snapshot::previous_path(path);
    // Checked first: with no previous generation (most starts) nothing is decoded.
    if !prev_path.is_file() {
        return Err(NoDiff::NoPrevious(prev_path));
    }
    let current = snapshot::load(path).map_err(|e| NoDiff::Current(path.to_path_buf(), e))?;
    if !current.is_complete() {
        return Err(NoDiff::Incomplete(path.to_path_buf()));
    }
    let previous = match snapshot::load(&prev_path) {
        Ok(s) => s,
        Err(LoadError::Missing) => return Err(NoDiff::NoPrevious(prev_path)),
        Err(e) => return Err(NoDiff::Previous(prev_path, e)),
    };
    Ok(compare(&previous, &current))
}
