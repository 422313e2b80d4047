//! The on-disk snapshot of a directory: everything a profile has loaded (departments with their
//! listings, people), so the browser can start instantly and `--offline` / `orgtui search` can
//! work with no server.
//!
//! File layout (all integers little-endian):
//!
//! ```text
//! 0   8  magic "ORGTSNAP"
//! 8   4  format version (u32)
//! 12  8  length of the head in bytes (u64)
//! 20  8  checksum of the head (u64, see `format::checksum`)
//! 28  …  the head, postcard-encoded: profile, provider, saved_at, root, the department and
//!        people counts, the departments in parts of 4,096 records (each part a postcard
//!        byte string of its own, decoded in parallel), and the table of the people's parts
//!        (length and checksum of each)
//! …   …  the people's parts, one after another: up to 4,096 people each, in tree order
//!        (the root's members first), so a start reads the head and the first part only
//! ```
//!
//! The version is checked before anything else is decoded, so a file written by another
//! version is reported as incompatible rather than misread. postcard is not
//! self-describing: any change to the fields of `Snapshot`, `SnapDept`, `SnapUser` or the
//! model types they hold must bump `FORMAT_VERSION` (and update the mirrors, `search_records.rs`).
//! Writes are atomic (temp file, fsync, rename), so a reader sees the old file or the new
//! one, never half of one; the file is private to its owner (`crate::private_file`).
//!
//! Submodules: `format` (layout, checksum, parallel decoding), `convert` (to and from org
//! files), `people` (the head at once and the people part by part, for a fast start),
//! `search_records` (reading in place for `orgtui search`). What fills a snapshot is
//! `directory::Recorder`, a `Directory` that records what passes through it.

mod convert;
mod format;
mod outgoing;
mod people;
mod search_records;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::model::{Dept, User};

use format::{HEADER_LEN, check, check_header, decode_checked, encode, payload_in};
pub use outgoing::{Outgoing, OutgoingSnapshot, save_outgoing};
pub use people::{People, SnapshotHead, open};
pub use search_records::{SearchRecord, SearchRecords};

/// 2: the people in separately checked parts after the head (1 checked the whole file at
/// once).
pub const FORMAT_VERSION: u32 = 2;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub profile: String,
    pub provider: String,
    /// Unix seconds when written.
    pub saved_at: u64,
    pub root: Option<String>,
    pub depts: Vec<SnapDept>,
    pub users: Vec<SnapUser>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SnapDept {
    pub dept: Dept,
    /// Sub-department ids, when the listing was loaded completely; None = not loaded.
    pub children: Option<Vec<String>>,
    /// Member ids, when the listing was loaded completely; None = not loaded.
    pub members: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SnapUser {
    pub user: User,
    /// True when this record came from get-user / batch read (departments with paths).
    pub detailed: bool,
}

impl Snapshot {
    /// How long ago it was saved; zero when `saved_at` is in the future (clock changes).
    pub fn age(&self, now: SystemTime) -> Duration {
        age_of(self.saved_at, now)
    }

    /// Whether it holds the whole org: every department reached from the root (walked with
    /// a visited set) has its sub-departments and its members listed. What `export`, a
    /// whole-org `tree`, the browser's index or an org file leave is; what the browser
    /// saves after opening a few departments is not.
    pub fn is_complete(&self) -> bool {
        let Some(root) = &self.root else {
            return false;
        };
        let by_id: std::collections::HashMap<&str, &SnapDept> =
            self.depts.iter().map(|d| (d.dept.id.as_str(), d)).collect();
        let mut seen = std::collections::HashSet::new();
        let mut todo = vec![root.as_str()];
        while let Some(id) = todo.pop() {
            if !seen.insert(id) {
                continue;
            }
            let Some(d) = by_id.get(id) else {
                return false;
            };
            let (Some(kids), Some(_)) = (&d.children, &d.members) else {
                return false;
            };
            todo.extend(kids.iter().map(String::as_str));
        }
        true
    }
}

/// The age of something saved at `saved_at` (Unix seconds, read from a file: any value);
/// zero when that is in the future or past what the clock can hold.
fn age_of(saved_at: u64, now: SystemTime) -> Duration {
    UNIX_EPOCH
        .checked_add(Duration::from_secs(saved_at))
        .and_then(|saved| now.duration_since(saved).ok())
        .unwrap_or_default()
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `<cache dir>/snapshots/<profile>-<short hash of provider+base_url>.snap` (profile name
/// sanitized for a file name). The hash keeps two servers under one profile name apart.
pub fn path_for(profile: &str, provider: &str, base_url: &str) -> Option<PathBuf> {
    let dirs = crate::paths::project_dirs()?;
    Some(
        dirs.cache_dir()
            .join("snapshots")
            .join(file_name_for(profile, provider, base_url)),
    )
}

fn file_name_for(profile: &str, provider: &str, base_url: &str) -> String {
    let mut key = Vec::with_capacity(
        provider
            .len()
            .saturating_add(base_url.len())
            .saturating_add(1),
    );
    key.extend_from_slice(provider.as_bytes());
    key.push(0);
    key.extend_from_slice(base_url.trim_end_matches('/').as_bytes());
    let hash = fnv1a(&key);
    format!("{}-{:012x}.snap", safe_file_stem(profile), hash >> 16)
}

/// A profile name as part of a file name: letters, digits, `-` and `_` kept, anything else
/// (path separators, dots, spaces, control characters) becomes `_`; at most 64 chars.
pub(crate) fn safe_file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "_".into() } else { s }
}

/// Plain FNV-1a 64 over bytes: for short keys (file names).
pub(crate) use crate::fnv::fnv1a;

/// Atomic: write to a temp file in the same directory, fsync, rename over `path` (a crash
/// never leaves a broken snapshot; the old one survives a failed write). Creates the
/// directory. The file is 0600 in a 0700 directory: it holds everyone's email and mobile. People are written in tree order (see `Snapshot::people_tree_first`), not in
/// the order `snap` holds them.
///
/// The previous generation: when the file at `path` is a complete snapshot whose org differs
/// from `snap`'s, it is kept first at `previous_path(path)` (see `keep_previous`), so
/// `orgtui diff` can say what changed.
pub fn save(path: &Path, snap: &Snapshot) -> std::io::Result<()> {
    let chunks = encode(snap)?;
    let chunks: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
    keep_previous(path, snap, &chunks);
    crate::private_file::write_private(path, &chunks)
}

/// Where the previous generation of the snapshot at `path` is kept: `<stem>.prev.snap`
/// beside it.
pub fn previous_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot".into());
    path.with_file_name(format!("{stem}.prev.snap"))
}

/// Before `path` is replaced by `new`: keep the file there as the previous generation when
/// it is a complete snapshot of an org other than `new`'s, so the previous generation is
/// always the last whole org that differs from the current one, with its own `saved_at`. A
/// partial snapshot (the browser after a few departments), an unreadable one or one of the
/// same org leaves the previous generation as it is. Best effort: failing to keep it never
/// fails the save.
///
/// Cost: the old file is decoded only after its departments show it complete, and the orgs
/// compared once (sorted by id when their order differs); at 100,000 people that is a
/// fraction of the save itself (`cargo bench --bench snapshot`, `save_100k`).
fn keep_previous(path: &Path, new: &Snapshot, new_chunks: &[&[u8]]) {
    let Some((shape, _)) = complete_at(path) else {
        return;
    };
    let Ok(bytes) = SnapshotBytes::read(path) else {
        return;
    };
    // The usual re-save of an unchanged org: the same departments and, people being
    // written in tree order, byte for byte the same people. Decoding everyone is left to
    // the case where those bytes differ.
    let same_depts =
        shape.root == new.root && same_records(&shape.depts, &new.depts, |d| d.dept.id.as_str());
    if same_depts && same_people_bytes(&bytes.0, new_chunks.get(1..).unwrap_or_default()) {
        return;
    }
    match bytes.decode() {
        Ok(old) if !same_org(&old, new) => {}
        _ => return,
    }
    warn_unkept(path, keep_as_previous(path, &bytes.0));
}

/// The snapshot at `path`, its people still in the file, when it is one a save may keep as
/// the previous generation: a regular file (a symlink or anything else is not ours to keep)
/// whose departments show it complete. The head alone says so (a small read): the browser's
/// partial snapshots are never decoded whole here.
fn complete_at(path: &Path) -> Option<(Snapshot, People)> {
    if !fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let (head, people) = open(path).ok()?;
    let shape = head.into_shape();
    shape.is_complete().then_some((shape, people))
}

fn warn_unkept(path: &Path, kept: std::io::Result<()>) {
    if let Err(e) = kept {
        crate::log::warn(&format!(
            "cannot keep the previous snapshot of {}: {e}",
            path.display()
        ));
    }
}

/// `keep_previous` for the browser's save (`save_outgoing`), which holds no decoded
/// `Snapshot` of the new org and must not decode the old one whole either (at 100,000
/// people that is about 100 MB more at the moment of a save): the same rule, with the old
/// file's people read and compared a part at a time against the new parts (`new_parts`,
/// as `encode` lays them out, in tree order like the old ones).
pub(super) fn keep_previous_by_parts(
    path: &Path,
    root: Option<&str>,
    depts: &[SnapDept],
    new_parts: &[&[u8]],
) {
    let Some((shape, people)) = complete_at(path) else {
        return;
    };
    let mut same =
        shape.root.as_deref() == root && same_records(&shape.depts, depts, |d| d.dept.id.as_str());
    let mut parts = new_parts.iter();
    for old in people {
        if !same {
            break;
        }
        let Ok(old) = old else {
            // An old file that cannot be read is not kept.
            return;
        };
        let new = parts.next().map(|p| format::decode_part::<SnapUser>(p));
        same = matches!(new, Some(Ok(new)) if new == old);
    }
    if same && parts.next().is_none() {
        return;
    }
    warn_unkept(path, keep_as_previous(path, &[]));
}

/// Whether the people's parts of the snapshot file `old` (checked) are exactly `parts`, the
/// people's parts `encode` made for the new one.
fn same_people_bytes(old: &[u8], parts: &[&[u8]]) -> bool {
    let Some(Ok((head_len, _))) = old.get(..HEADER_LEN).map(check_header) else {
        return false;
    };
    let Some(mut rest) = usize::try_from(head_len)
        .ok()
        .and_then(|n| n.checked_add(HEADER_LEN))
        .and_then(|start| old.get(start..))
    else {
        return false;
    };
    for part in parts {
        match rest.split_at_checked(part.len()) {
            Some((here, after)) if here == *part => rest = after,
            _ => return false,
        }
    }
    rest.is_empty()
}

/// The same org apart from when it was saved and in which order it lists its records.
fn same_org(a: &Snapshot, b: &Snapshot) -> bool {
    a.root == b.root
        && same_records(&a.depts, &b.depts, |d| d.dept.id.as_str())
        && same_records(&a.users, &b.users, |u| u.user.id.as_str())
}

fn same_records<T: PartialEq>(a: &[T], b: &[T], id: impl Fn(&T) -> &str) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a == b {
        return true;
    }
    // People come back from a file in tree order, not in the order they were recorded.
    by_id(a, &id) == by_id(b, &id)
}

fn by_id<'a, T>(v: &'a [T], id: &impl Fn(&T) -> &str) -> Vec<&'a T> {
    let mut refs: Vec<&T> = v.iter().collect();
    refs.sort_by(|x, y| id(x).cmp(id(y)));
    refs
}

/// `bytes` (the file at `path`) kept at `previous_path(path)`, atomically and 0600: a hard
/// link to the file under a temp name renamed into place (no copy, and `path` never goes
/// missing), or, where hard links are not available, the bytes written anew.
/// `bytes` empty: copied from the file when hard links are not available.
fn keep_as_previous(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let prev = previous_path(path);
    let temp = prev.with_file_name(format!(
        ".{}.{}.{:016x}.tmp",
        prev.file_name()
            .map_or_else(|| "prev".into(), |n| n.to_string_lossy().into_owned()),
        std::process::id(),
        fastrand::u64(..)
    ));
    if fs::hard_link(path, &temp).is_err() {
        if bytes.is_empty() {
            let bytes = fs::read(path)?;
            return crate::private_file::write_private(&prev, &[&bytes]);
        }
        return crate::private_file::write_private(&prev, &[bytes]);
    }
    if let Err(e) = fs::rename(&temp, &prev) {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = crate::private_file::FILE_MODE;
        if fs::metadata(&prev)?.permissions().mode() & 0o7777 != mode {
            fs::set_permissions(&prev, fs::Permissions::from_mode(mode))?;
        }
    }
    Ok(())
}

#[derive(Debug)]
pub enum LoadError {
    /// No snapshot at that path.
    Missing,
    /// Written by another format version; never decoded.
    Incompatible { found: u32 },
    /// Not a snapshot, or damaged (bad magic, length, checksum or contents).
    Corrupt(String),
    /// The file is there but cannot be read.
    Io(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Missing => write!(f, "no snapshot yet"),
            LoadError::Incompatible { found } => write!(
                f,
                "snapshot format version {found}, this orgtui reads version {FORMAT_VERSION}"
            ),
            LoadError::Corrupt(msg) => write!(f, "corrupt snapshot: {msg}"),
            LoadError::Io(msg) => write!(f, "cannot read the snapshot: {msg}"),
        }
    }
}

impl std::error::Error for LoadError {}

pub fn load(path: &Path) -> std::result::Result<Snapshot, LoadError> {
    SnapshotBytes::read(path)?.decode()
}

/// Decode a whole snapshot file held in memory. Never panics, whatever the bytes.
pub fn decode(bytes: &[u8]) -> std::result::Result<Snapshot, LoadError> {
    check(bytes)?;
    decode_checked(bytes)
}

/// A snapshot file read into memory whose header and checksum have been checked, for
/// readers that want less than all of it: `search_records` reads only what search needs, `profile`
/// only the small fields.
pub struct SnapshotBytes(Vec<u8>);

impl SnapshotBytes {
    pub fn read(path: &Path) -> std::result::Result<SnapshotBytes, LoadError> {
        let bytes = match fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(LoadError::Missing),
            Err(e) => return Err(LoadError::Io(e.to_string())),
        };
        check(&bytes)?;
        Ok(SnapshotBytes(bytes))
    }

    pub fn decode(&self) -> std::result::Result<Snapshot, LoadError> {
        decode_checked(&self.0)
    }

    /// The profile it was saved for.
    pub fn profile(&self) -> std::result::Result<&str, LoadError> {
        Ok(payload_in(&self.0, false)?.profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_keyed_by_server() {
        let a = file_name_for("work", "wps", "https://openapi.wps.cn");
        assert!(a.starts_with("work-") && a.ends_with(".snap"), "{a}");
        assert_eq!(a, file_name_for("work", "wps", "https://openapi.wps.cn/"));
        assert_ne!(a, file_name_for("work", "wps", "https://wps.example.corp"));
        assert_ne!(a, file_name_for("work", "feishu", "https://openapi.wps.cn"));
        let evil = file_name_for("../../etc/pass wd\u{1b}", "wps", "x");
        assert!(evil.starts_with("______etc_pass_wd_-"), "{evil}");
        assert!(!file_name_for("", "wps", "x").starts_with('-'));
    }

    /// The previous generation through a run of saves: complete A, a different complete B,
    /// B again, a partial P, P again. Each time it is the last complete org that differed
    /// from the one saved, with that org's own date, private.
    #[test]
    fn the_previous_generation_is_the_last_complete_org_that_differed() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("s/work-1.snap");
        let prev = previous_path(&path);
        assert_eq!(prev, tmp.path().join("s/work-1.prev.snap"));
        let kept = || load(&prev).ok().map(|s| s.saved_at);

        let mut a = Snapshot::from_org_file(&crate::model::generate::demo(), "t");
        a.saved_at = 1_796_000_000;
        let mut b = a.clone();
        b.users[3].user.title = Some("Chief of Everything".into());
        b.saved_at = a.saved_at + 100;
        let mut p = b.clone();
        p.depts.last_mut().unwrap().members = None;
        p.saved_at = b.saved_at + 100;
        assert!(a.is_complete() && !p.is_complete());

        save(&path, &a).unwrap();
        assert_eq!(kept(), None, "nothing before the first save");
        save(&path, &b).unwrap();
        assert_eq!(kept(), Some(a.saved_at), "A kept when B replaced it");
        assert!(same_org(&load(&prev).unwrap(), &a));
        let mut b_again = b.clone();
        b_again.saved_at += 50;
        b_again.users.reverse();
        save(&path, &b_again).unwrap();
        assert_eq!(kept(), Some(a.saved_at), "the same org again keeps A");
        save(&path, &p).unwrap();
        assert_eq!(
            kept(),
            Some(b_again.saved_at),
            "B kept when a partial one replaced it"
        );
        save(&path, &p).unwrap();
        assert_eq!(
            kept(),
            Some(b_again.saved_at),
            "a partial one replaced leaves it alone"
        );
        assert_eq!(load(&path).unwrap().saved_at, p.saved_at);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&prev).unwrap().permissions().mode() & 0o7777;
            assert_eq!(mode, 0o600);
        }
        let names: Vec<String> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "no temp file left: {names:?}");
    }

    #[test]
    fn any_saved_at_has_an_age() {
        let now = SystemTime::now();
        assert_eq!(age_of(u64::MAX, now), Duration::ZERO);
        assert_eq!(
            age_of(0, UNIX_EPOCH + Duration::from_secs(5)),
            Duration::from_secs(5)
        );
    }
}
