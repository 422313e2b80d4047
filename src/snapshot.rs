//! The on-disk snapshot of a directory: everything a profile has loaded (departments with their
//! listings, people), so the browser can start instantly and `--offline` / `orgtui search` can
//! work with no server.
//!
//! File layout (all integers little-endian):
//!
//! ```text
//! 0   8  magic "ORGTSNAP"
//! 8   4  format version (u32)
//! 12  8  payload length in bytes (u64)
//! 20  8  checksum of the payload (u64, see `checksum`)
//! 28  …  payload: the `Snapshot`, postcard-encoded
//! ```
//!
//! The version is checked before anything else is decoded, so a file written by another
//! version is reported as incompatible rather than misread. Writes are atomic (temp file,
//! fsync, rename), so a reader sees the old file or the new one, never half of one.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::directory::{Directory, ProviderKind};
use crate::error::Result;
use crate::fake::{OrgDept, OrgFile, OrgUser};
use crate::model::{Dept, DeptRef, EmailMatch, Page, User};

pub const FORMAT_VERSION: u32 = 1;

const MAGIC: &[u8; 8] = b"ORGTSNAP";
const HEADER_LEN: usize = 28;

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
        let saved = UNIX_EPOCH + Duration::from_secs(self.saved_at);
        now.duration_since(saved).unwrap_or_default()
    }

    /// Everything in it as an org file (members from `members` lists and users' dept_ids).
    ///
    /// The root comes first and has no parent, so the file stands on its own. Users are
    /// ordered by first appearance in the departments' member lists, which keeps each
    /// department's listing order for everyone who is in one department (an org file has no
    /// per-department order of its own). References to departments or people that are not in
    /// the snapshot are kept; `Org::lenient` ignores them.
    pub fn to_org_file(&self) -> OrgFile {
        // A child listing names its parent even when the child's own record does not.
        let mut parent_of: HashMap<&str, &str> = HashMap::new();
        for d in &self.depts {
            for c in d.children.iter().flatten() {
                parent_of.entry(c.as_str()).or_insert(d.dept.id.as_str());
            }
        }
        let root = self.root.as_deref();
        let mut depts: Vec<OrgDept> = Vec::with_capacity(self.depts.len());
        let mut seen_dept: HashMap<&str, ()> = HashMap::with_capacity(self.depts.len());
        let root_first = self
            .depts
            .iter()
            .filter(|d| Some(d.dept.id.as_str()) == root)
            .chain(
                self.depts
                    .iter()
                    .filter(|d| Some(d.dept.id.as_str()) != root),
            );
        for d in root_first {
            if seen_dept.insert(d.dept.id.as_str(), ()).is_some() {
                continue;
            }
            let is_root = Some(d.dept.id.as_str()) == root;
            let parent_id = if is_root {
                None
            } else {
                d.dept
                    .parent_id
                    .clone()
                    .or_else(|| parent_of.get(d.dept.id.as_str()).map(|p| p.to_string()))
            };
            depts.push(OrgDept {
                id: d.dept.id.clone(),
                name: d.dept.name.clone(),
                parent_id,
                order: d.dept.order,
                leader_ids: d.dept.leader_ids.clone(),
            });
        }

        // Extra memberships known only from member lists, per user.
        let mut listed_in: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut order: Vec<&str> = Vec::with_capacity(self.users.len());
        let mut placed: HashMap<&str, ()> = HashMap::with_capacity(self.users.len());
        for d in &self.depts {
            for m in d.members.iter().flatten() {
                listed_in
                    .entry(m.as_str())
                    .or_default()
                    .push(d.dept.id.as_str());
                if placed.insert(m.as_str(), ()).is_none() {
                    order.push(m.as_str());
                }
            }
        }
        let mut by_id: HashMap<&str, &User> = HashMap::with_capacity(self.users.len());
        for u in &self.users {
            by_id.entry(u.user.id.as_str()).or_insert(&u.user);
            if placed.insert(u.user.id.as_str(), ()).is_none() {
                order.push(u.user.id.as_str());
            }
        }
        let users = order
            .into_iter()
            .filter_map(|id| by_id.get(id))
            .map(|u| {
                let mut org = org_user(u);
                for d in listed_in.get(u.id.as_str()).into_iter().flatten() {
                    if !org.dept_ids.iter().any(|x| x == d) {
                        org.dept_ids.push(d.to_string());
                    }
                }
                org
            })
            .collect();
        OrgFile { depts, users }
    }

    /// A complete snapshot of an org file (every listing loaded). Paths are the department
    /// names from the top down, as the fake server reports them; `provider` is `org-file`.
    pub fn from_org_file(file: &OrgFile, profile: &str) -> Snapshot {
        let index: HashMap<&str, usize> = file
            .depts
            .iter()
            .enumerate()
            .rev() // the first of duplicate ids wins, as in `Org::lenient`
            .map(|(i, d)| (d.id.as_str(), i))
            .collect();
        let paths = dept_paths(&file.depts, &index);
        let is_top = |d: &OrgDept| {
            d.parent_id
                .as_deref()
                .is_none_or(|p| p.is_empty() || p == "0")
        };
        let root = file.depts.iter().find(|d| is_top(d)).map(|d| d.id.clone());

        let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, d) in file.depts.iter().enumerate() {
            if index.get(d.id.as_str()) != Some(&i) || is_top(d) {
                continue;
            }
            if let Some(p) = d.parent_id.as_deref().filter(|p| index.contains_key(p)) {
                children.entry(p).or_default().push(i);
            }
        }
        for list in children.values_mut() {
            list.sort_by(|&a, &b| {
                let (x, y) = (&file.depts[a], &file.depts[b]);
                (x.order.unwrap_or(i64::MAX), &x.name, &x.id).cmp(&(
                    y.order.unwrap_or(i64::MAX),
                    &y.name,
                    &y.id,
                ))
            });
        }
        let mut members: HashMap<&str, Vec<String>> = HashMap::new();
        let mut seen_user: HashMap<&str, ()> = HashMap::with_capacity(file.users.len());
        let mut users = Vec::with_capacity(file.users.len());
        for u in &file.users {
            if seen_user.insert(u.id.as_str(), ()).is_some() {
                continue;
            }
            let mut refs = Vec::with_capacity(u.dept_ids.len());
            for d in &u.dept_ids {
                if let Some(&i) = index.get(d.as_str()) {
                    members.entry(d.as_str()).or_default().push(u.id.clone());
                    refs.push(DeptRef {
                        id: d.clone(),
                        name: file.depts[i].name.clone(),
                        path: paths.get(i).cloned(),
                    });
                }
            }
            users.push(SnapUser {
                user: model_user(u, refs),
                detailed: true,
            });
        }
        let depts = file
            .depts
            .iter()
            .enumerate()
            .filter(|(i, d)| index.get(d.id.as_str()) == Some(i))
            .map(|(i, d)| {
                let kids = children
                    .get(d.id.as_str())
                    .map(|v| v.iter().map(|&k| file.depts[k].id.clone()).collect())
                    .unwrap_or_default();
                let mine = members.remove(d.id.as_str()).unwrap_or_default();
                SnapDept {
                    dept: Dept {
                        id: d.id.clone(),
                        name: d.name.clone(),
                        parent_id: d.parent_id.clone().filter(|_| !is_top(d)),
                        path: paths.get(i).cloned(),
                        order: d.order,
                        leader_ids: d.leader_ids.clone(),
                        member_count: u64::try_from(mine.len()).ok(),
                    },
                    children: Some(kids),
                    members: Some(mine),
                }
            })
            .collect();
        Snapshot {
            profile: profile.to_string(),
            provider: "org-file".into(),
            saved_at: unix_now(),
            root,
            depts,
            users,
        }
    }
}

/// Names from the top down for every department (`paths[i]` for `depts[i]`), each computed
/// once from its parent's. A missing parent ends a path; a cycle is cut where it closes.
fn dept_paths(depts: &[OrgDept], index: &HashMap<&str, usize>) -> Vec<String> {
    let mut paths: Vec<Option<String>> = vec![None; depts.len()];
    let mut chain = Vec::new();
    for start in 0..depts.len() {
        // Climb to the first ancestor with a known path (or the top), then fill downwards.
        chain.clear();
        let mut cur = Some(start);
        let mut base: Option<String> = None;
        while let Some(i) = cur {
            if let Some(p) = &paths[i] {
                base = Some(p.clone());
                break;
            }
            if chain.contains(&i) || chain.len() > depts.len() {
                break;
            }
            chain.push(i);
            cur = depts[i]
                .parent_id
                .as_deref()
                .and_then(|p| index.get(p).copied());
        }
        for &i in chain.iter().rev() {
            let name = depts[i].name.as_deref().unwrap_or_default();
            let path = match &base {
                Some(b) => format!("{b}/{name}"),
                None => name.to_string(),
            };
            paths[i] = Some(path.clone());
            base = Some(path);
        }
    }
    paths.into_iter().map(Option::unwrap_or_default).collect()
}

fn org_user(u: &User) -> OrgUser {
    OrgUser {
        id: u.id.clone(),
        name: u.name.clone(),
        email: u.email.clone(),
        mobile: u.mobile.clone(),
        title: u.title.clone(),
        employee_id: u.employee_id.clone(),
        status: u.status,
        leader_id: u.leader_id.clone(),
        dept_ids: u.dept_ids.clone(),
        city: u.city.clone(),
        work_place: u.work_place.clone(),
    }
}

fn model_user(u: &OrgUser, depts: Vec<DeptRef>) -> User {
    User {
        id: u.id.clone(),
        name: u.name.clone(),
        email: u.email.clone(),
        mobile: u.mobile.clone(),
        title: u.title.clone(),
        employee_id: u.employee_id.clone(),
        status: Some(u.status_or_active()),
        leader_id: u.leader_id.clone(),
        dept_ids: u.dept_ids.clone(),
        depts,
        city: u.city.clone(),
        work_place: u.work_place.clone(),
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `<cache dir>/snapshots/<profile>-<short hash of provider+base_url>.snap` (profile name
/// sanitized for a file name). The hash keeps two servers under one profile name apart.
pub fn path_for(profile: &str, provider: &str, base_url: &str) -> Option<PathBuf> {
    let dirs = crate::config::project_dirs()?;
    Some(
        dirs.cache_dir()
            .join("snapshots")
            .join(file_name_for(profile, provider, base_url)),
    )
}

fn file_name_for(profile: &str, provider: &str, base_url: &str) -> String {
    let mut key = Vec::with_capacity(provider.len() + base_url.len() + 1);
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
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The payload checksum: FNV-1a's step applied to 8-byte words in four interleaved lanes,
/// then the lanes and the length folded together. Byte-at-a-time FNV is one multiply per byte
/// in a dependent chain (~15 ms for a 100,000-person snapshot); this is one multiply per 8
/// bytes with four chains in flight. Each step is a bijection of the lane state for a fixed
/// word, so changing any single word (any flipped bit) always changes the result.
pub(crate) fn checksum(data: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut lanes: [u64; 4] = [
        0xcbf2_9ce4_8422_2325,
        0x8422_2325_cbf2_9ce4,
        0x9ce4_8422_2325_cbf2,
        0x2325_cbf2_9ce4_8422,
    ];
    let mut blocks = data.chunks_exact(32);
    for block in &mut blocks {
        for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            *lane = (*lane ^ u64::from_le_bytes(w)).wrapping_mul(PRIME);
            // Mix the high bits down: a multiply only carries upwards.
            *lane ^= *lane >> 29;
        }
    }
    let mut h = fnv1a(blocks.remainder());
    for lane in lanes {
        h = (h ^ lane).wrapping_mul(PRIME);
        h ^= h >> 32;
    }
    (h ^ data.len() as u64).wrapping_mul(PRIME)
}

/// Records per part of the payload. Parts are decoded on separate threads: materializing a
/// 100,000-person snapshot is over a million small allocations, the bulk of loading it.
const PART_LEN: usize = 4096;

/// The payload as written: the small fields, then the departments and the people in parts of
/// `PART_LEN` records, each part itself postcard-encoded, so that they can be decoded in
/// parallel. `PayloadIn` is the same layout read back (postcard writes `&str` and `String`
/// alike).
#[derive(Serialize)]
struct PayloadOut<'a> {
    profile: &'a str,
    provider: &'a str,
    saved_at: u64,
    root: Option<&'a str>,
    dept_count: u64,
    user_count: u64,
    depts: Vec<BlobOut>,
    users: Vec<BlobOut>,
}

#[derive(Deserialize)]
struct PayloadIn<'a> {
    #[serde(borrow)]
    profile: &'a str,
    #[serde(borrow)]
    provider: &'a str,
    saved_at: u64,
    #[serde(borrow)]
    root: Option<&'a str>,
    dept_count: u64,
    user_count: u64,
    #[serde(borrow)]
    depts: Vec<BlobIn<'a>>,
    #[serde(borrow)]
    users: Vec<BlobIn<'a>>,
}

/// One part, written as a single length-prefixed run of bytes...
struct BlobOut(Vec<u8>);

/// ...and read back in place, without copying.
struct BlobIn<'a>(&'a [u8]);

impl Serialize for BlobOut {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for BlobIn<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = BlobIn<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes borrowed from the snapshot")
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> std::result::Result<BlobIn<'a>, E> {
                Ok(BlobIn(v))
            }
        }
        d.deserialize_bytes(V(std::marker::PhantomData))
    }
}

fn encode_parts<T: Serialize>(items: &[T]) -> std::io::Result<Vec<BlobOut>> {
    items
        .chunks(PART_LEN)
        .map(|part| {
            postcard::to_allocvec(part)
                .map(BlobOut)
                .map_err(std::io::Error::other)
        })
        .collect()
}

fn encode(snap: &Snapshot) -> std::io::Result<Vec<u8>> {
    let payload = PayloadOut {
        profile: &snap.profile,
        provider: &snap.provider,
        saved_at: snap.saved_at,
        root: snap.root.as_deref(),
        dept_count: snap.depts.len() as u64,
        user_count: snap.users.len() as u64,
        depts: encode_parts(&snap.depts)?,
        users: encode_parts(&snap.users)?,
    };
    postcard::to_allocvec(&payload).map_err(std::io::Error::other)
}

/// Decodes one part's sequence straight onto the end of a `Vec`, so the parts one thread
/// decodes need no vectors of their own (nor copying when they are joined).
struct AppendTo<'v, T>(&'v mut Vec<T>);

impl<'de, T: Deserialize<'de>> serde::de::DeserializeSeed<'de> for AppendTo<'_, T> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for AppendTo<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<(), A::Error> {
        // Parts hold at most PART_LEN records, so a damaged length cannot reserve much.
        self.0.reserve(seq.size_hint().unwrap_or(0).min(PART_LEN));
        while let Some(item) = seq.next_element()? {
            self.0.push(item);
        }
        Ok(())
    }
}

/// Decode `parts` in order onto the end of `out`.
fn decode_into<'a, T: Deserialize<'a>>(
    parts: &[BlobIn<'a>],
    out: &mut Vec<T>,
) -> std::result::Result<(), String> {
    for b in parts {
        let mut de = postcard::Deserializer::from_bytes(b.0);
        serde::de::DeserializeSeed::deserialize(AppendTo(out), &mut de)
            .map_err(|e| format!("cannot decode: {e}"))?;
        if !de.finalize().is_ok_and(|rest| rest.is_empty()) {
            return Err("trailing bytes in a part".into());
        }
    }
    Ok(())
}

/// Decode every part, on up to 8 threads each taking a contiguous run of parts, and join
/// them in order. The calling thread decodes the first run straight into the result.
fn decode_parts<'a, T: Deserialize<'a> + Send>(
    parts: &[BlobIn<'a>],
    count: u64,
) -> std::result::Result<Vec<T>, String> {
    // The count is only a capacity hint; a damaged one cannot reserve more than the parts
    // can hold.
    let capacity = usize::try_from(count)
        .unwrap_or(usize::MAX)
        .min(parts.len().saturating_mul(PART_LEN));
    let mut out = Vec::with_capacity(capacity);
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(8)
        .min(parts.len());
    if threads <= 1 {
        decode_into(parts, &mut out)?;
        return Ok(out);
    }
    let per = parts.len().div_ceil(threads);
    let mut runs = parts.chunks(per);
    let first = runs.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let others: Vec<_> = runs
            .map(|run| {
                let work = move || {
                    let mut v = Vec::new();
                    decode_into(run, &mut v).map(|()| v)
                };
                // A thread that cannot start leaves its run to this one.
                std::thread::Builder::new()
                    .spawn_scoped(scope, work)
                    .map_err(|_| run)
            })
            .collect();
        decode_into(first, &mut out)?;
        for other in others {
            match other {
                Ok(handle) => {
                    let v = handle
                        .join()
                        .map_err(|_| "a decoding thread failed".to_string())??;
                    out.extend(v);
                }
                Err(run) => decode_into(run, &mut out)?,
            }
        }
        Ok(out)
    })
}

/// Atomic: write to a temp file in the same directory, fsync, rename over `path` (a crash
/// never leaves a broken snapshot; the old one survives a failed write). Creates the
/// directory.
pub fn save(path: &Path, snap: &Snapshot) -> std::io::Result<()> {
    let payload = encode(snap)?;
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&checksum(&payload).to_le_bytes());
    bytes.extend_from_slice(&payload);
    write_atomic(path, &bytes)
}

/// Tells concurrent writers in one process apart (the pid does across processes).
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot".into());
    let temp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut f = File::create(&temp)?;
        f.write_all(bytes)?;
        // Data on disk before the rename makes it visible: otherwise a crash could leave the
        // new name pointing at an empty file.
        f.sync_all()?;
        drop(f);
        fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    // Make the rename itself durable. Not every platform can open a directory; the file is
    // complete either way, so this is best effort.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
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
        Ok(payload_in(&self.0)?.profile)
    }
}

/// Magic, version, length and checksum. The version is checked before anything is decoded.
fn check(bytes: &[u8]) -> std::result::Result<(), LoadError> {
    let corrupt = |m: &str| LoadError::Corrupt(m.to_string());
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(corrupt("not an orgtui snapshot (bad magic)"));
    }
    let (Some(version), Some(len), Some(sum)) = (
        bytes.get(8..12).and_then(|b| b.try_into().ok()),
        bytes.get(12..20).and_then(|b| b.try_into().ok()),
        bytes.get(20..28).and_then(|b| b.try_into().ok()),
    ) else {
        return Err(corrupt("truncated header"));
    };
    let version = u32::from_le_bytes(version);
    if version != FORMAT_VERSION {
        return Err(LoadError::Incompatible { found: version });
    }
    let payload = bytes.get(HEADER_LEN..).unwrap_or_default();
    let len = u64::from_le_bytes(len);
    if len != payload.len() as u64 {
        return Err(LoadError::Corrupt(format!(
            "length mismatch (header says {len} bytes, file has {})",
            payload.len()
        )));
    }
    if checksum(payload) != u64::from_le_bytes(sum) {
        return Err(corrupt("checksum mismatch"));
    }
    Ok(())
}

/// The payload's small fields and its parts, still encoded. `bytes` must have passed `check`.
fn payload_in(bytes: &[u8]) -> std::result::Result<PayloadIn<'_>, LoadError> {
    let payload = bytes.get(HEADER_LEN..).unwrap_or_default();
    match postcard::take_from_bytes::<PayloadIn>(payload) {
        Ok((p, [])) => Ok(p),
        Ok(_) => Err(LoadError::Corrupt("trailing bytes after the contents".into())),
        Err(e) => Err(LoadError::Corrupt(format!("cannot decode: {e}"))),
    }
}

fn decode_checked(bytes: &[u8]) -> std::result::Result<Snapshot, LoadError> {
    let p = payload_in(bytes)?;
    Ok(Snapshot {
        profile: p.profile.to_string(),
        provider: p.provider.to_string(),
        saved_at: p.saved_at,
        root: p.root.map(str::to_string),
        depts: decode_parts(&p.depts, p.dept_count).map_err(LoadError::Corrupt)?,
        users: decode_parts(&p.users, p.user_count).map_err(LoadError::Corrupt)?,
    })
}

// ---- What `orgtui search` reads ----
//
// Search needs five short fields of each record, and the whole record only for the few it
// prints. The `*Lite` types below read the records in place: the five fields borrowed from the
// file's bytes, everything else stepped over without allocating or checking it (postcard
// writes a string as a length and its bytes, so it can be skipped as bytes). Each record's byte
// range is kept, and a hit is decoded fully from its range. This reads a 100,000-person
// snapshot several times faster than owning it all.
//
// The `*Lite` types mirror the model types field for field, in order (postcard is not
// self-describing); `tests/snapshot.rs` checks them against fully populated records. Any
// change to the model's fields must bump FORMAT_VERSION and update these.

/// What search matches on, borrowed from the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchRecord<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub employee_id: Option<&'a str>,
    pub title: Option<&'a str>,
}

/// Every department and person of a snapshot as search reads them, in snapshot order, with
/// where each record is so it can be decoded on demand.
pub struct SearchRecords<'a> {
    pub depts: Vec<SearchRecord<'a>>,
    pub users: Vec<SearchRecord<'a>>,
    dept_at: Vec<Loc>,
    user_at: Vec<Loc>,
    payload: PayloadIn<'a>,
}

#[derive(Debug, Clone, Copy)]
struct Loc {
    part: u32,
    start: u32,
    end: u32,
}

impl SnapshotBytes {
    /// The search fields of every record, without decoding the rest.
    pub fn search_records(&self) -> std::result::Result<SearchRecords<'_>, LoadError> {
        let payload = payload_in(&self.0)?;
        let mut depts = Vec::new();
        let mut dept_at = Vec::new();
        scan(&payload.depts, |d: SnapDeptLite, at| {
            let d = d.dept;
            depts.push(SearchRecord {
                id: d.id,
                name: d.name,
                email: None,
                employee_id: None,
                title: None,
            });
            dept_at.push(at);
        })
        .map_err(LoadError::Corrupt)?;
        let mut users = Vec::new();
        let mut user_at = Vec::new();
        scan(&payload.users, |u: SnapUserLite, at| {
            let u = u.user;
            users.push(SearchRecord {
                id: u.id,
                name: u.name,
                email: u.email,
                employee_id: u.employee_id,
                title: u.title,
            });
            user_at.push(at);
        })
        .map_err(LoadError::Corrupt)?;
        Ok(SearchRecords {
            depts,
            users,
            dept_at,
            user_at,
            payload,
        })
    }
}

impl SearchRecords<'_> {
    /// The whole record of `users[i]`.
    pub fn user(&self, i: usize) -> std::result::Result<SnapUser, LoadError> {
        record_at(&self.payload.users, self.user_at.get(i))
    }

    /// The whole record of `depts[i]`.
    pub fn dept(&self, i: usize) -> std::result::Result<SnapDept, LoadError> {
        record_at(&self.payload.depts, self.dept_at.get(i))
    }
}

impl<'a> SearchRecord<'a> {
    pub fn of_user(u: &'a User) -> SearchRecord<'a> {
        SearchRecord {
            id: &u.id,
            name: u.name.as_deref(),
            email: u.email.as_deref(),
            employee_id: u.employee_id.as_deref(),
            title: u.title.as_deref(),
        }
    }

    pub fn of_dept(d: &'a Dept) -> SearchRecord<'a> {
        SearchRecord {
            id: &d.id,
            name: d.name.as_deref(),
            email: None,
            employee_id: None,
            title: None,
        }
    }
}

fn record_at<T: for<'de> Deserialize<'de>>(
    parts: &[BlobIn<'_>],
    at: Option<&Loc>,
) -> std::result::Result<T, LoadError> {
    let bytes = at
        .and_then(|l| {
            let part = parts.get(usize::try_from(l.part).ok()?)?;
            part.0.get(usize::try_from(l.start).ok()?..usize::try_from(l.end).ok()?)
        })
        .ok_or_else(|| LoadError::Corrupt("no such record".into()))?;
    postcard::from_bytes(bytes).map_err(|e| LoadError::Corrupt(format!("cannot decode: {e}")))
}

/// Read every record of every part with `L`, noting where each one is.
fn scan<'a, L: Deserialize<'a>>(
    parts: &[BlobIn<'a>],
    mut each: impl FnMut(L, Loc),
) -> std::result::Result<(), String> {
    let bad = |e: postcard::Error| format!("cannot decode: {e}");
    for (p, part) in parts.iter().enumerate() {
        let bytes = part.0;
        let (Ok(p), Ok(_)) = (u32::try_from(p), u32::try_from(bytes.len())) else {
            return Err("part too large".into());
        };
        // A part is a sequence: its length, then the records one after another.
        let (count, mut rest) = postcard::take_from_bytes::<usize>(bytes).map_err(bad)?;
        for _ in 0..count {
            let start = bytes.len() - rest.len();
            let (item, after) = postcard::take_from_bytes::<L>(rest).map_err(bad)?;
            rest = after;
            let end = bytes.len() - rest.len();
            // Both fit in u32: the part's length does.
            let (start, end) = (start as u32, end as u32);
            each(item, Loc { part: p, start, end });
        }
        if !rest.is_empty() {
            return Err("trailing bytes in a part".into());
        }
    }
    Ok(())
}

/// A string or other byte run stepped over: not copied, not checked.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Skip, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Skip;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_borrowed_bytes<E>(self, _: &'de [u8]) -> std::result::Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_bytes<E>(self, _: &[u8]) -> std::result::Result<Skip, E> {
                Ok(Skip)
            }
        }
        d.deserialize_bytes(V)
    }
}

/// A sequence stepped over element by element, keeping nothing.
struct SkipSeq<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for SkipSeq<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = SkipSeq<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<SkipSeq<T>, A::Error> {
                while seq.next_element::<T>()?.is_some() {}
                Ok(SkipSeq(std::marker::PhantomData))
            }
        }
        d.deserialize_seq(V(std::marker::PhantomData))
    }
}

// Mirrors of SnapDept/Dept and SnapUser/User/DeptRef, in field order. Skipped fields are
// read only to step over them.
#[allow(dead_code)]
#[derive(Deserialize)]
struct SnapDeptLite<'a> {
    #[serde(borrow)]
    dept: DeptLite<'a>,
    children: Option<SkipSeq<Skip>>,
    members: Option<SkipSeq<Skip>>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct DeptLite<'a> {
    id: &'a str,
    #[serde(borrow)]
    name: Option<&'a str>,
    parent_id: Option<Skip>,
    path: Option<Skip>,
    order: Option<i64>,
    leader_ids: SkipSeq<Skip>,
    member_count: Option<u64>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct SnapUserLite<'a> {
    #[serde(borrow)]
    user: UserLite<'a>,
    detailed: bool,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct UserLite<'a> {
    id: &'a str,
    #[serde(borrow)]
    name: Option<&'a str>,
    #[serde(borrow)]
    email: Option<&'a str>,
    mobile: Option<Skip>,
    #[serde(borrow)]
    title: Option<&'a str>,
    #[serde(borrow)]
    employee_id: Option<&'a str>,
    status: Option<crate::model::UserStatus>,
    leader_id: Option<Skip>,
    dept_ids: SkipSeq<Skip>,
    depts: SkipSeq<DeptRefLite>,
    city: Option<Skip>,
    work_place: Option<Skip>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct DeptRefLite {
    id: Skip,
    name: Option<Skip>,
    path: Option<Skip>,
}

/// A `Directory` that passes every call through and remembers what came back, so that a
/// session that walked the org (a CLI crawl, the browser) can be saved as a snapshot.
/// A listing counts as loaded only once all its pages came back in sequence.
pub struct Recorder {
    inner: std::sync::Arc<dyn Directory>,
    state: Mutex<Recorded>,
}

#[derive(Default)]
struct Recorded {
    root: Option<String>,
    dept_order: Vec<String>,
    depts: HashMap<String, Dept>,
    children: HashMap<String, Vec<String>>,
    members: HashMap<String, Vec<String>>,
    /// Listings under way, keyed by (department, token of the page expected next).
    partial_children: HashMap<(String, String), Vec<String>>,
    partial_members: HashMap<(String, String), Vec<String>>,
    user_order: Vec<String>,
    users: HashMap<String, SnapUser>,
}

impl Recorded {
    fn dept(&mut self, d: &Dept) {
        match self.depts.get_mut(&d.id) {
            Some(old) => {
                // A listing may leave out what get-department said; keep the richer fields.
                let path = d.path.clone().or_else(|| old.path.take());
                let count = d.member_count.or(old.member_count);
                *old = d.clone();
                old.path = path;
                old.member_count = count;
            }
            None => {
                self.dept_order.push(d.id.clone());
                self.depts.insert(d.id.clone(), d.clone());
            }
        }
    }

    fn user(&mut self, u: &User, detailed: bool) {
        match self.users.get_mut(&u.id) {
            // A reduced listing record never replaces a detailed one.
            Some(old) if old.detailed && !detailed => {}
            Some(old) => {
                *old = SnapUser {
                    user: u.clone(),
                    detailed,
                }
            }
            None => {
                self.user_order.push(u.id.clone());
                self.users.insert(
                    u.id.clone(),
                    SnapUser {
                        user: u.clone(),
                        detailed,
                    },
                );
            }
        }
    }
}

/// Accumulate one page of a listing; returns the whole listing when this was its last page.
fn listing_page(
    partial: &mut HashMap<(String, String), Vec<String>>,
    dept_id: &str,
    token: Option<&str>,
    ids: impl Iterator<Item = String>,
    next: Option<&str>,
) -> Option<Vec<String>> {
    let mut so_far = match token {
        None => Vec::new(),
        Some(t) => partial.remove(&(dept_id.to_string(), t.to_string()))?,
    };
    so_far.extend(ids);
    match next {
        Some(n) => {
            partial.insert((dept_id.to_string(), n.to_string()), so_far);
            None
        }
        None => Some(so_far),
    }
}

impl Recorder {
    pub fn new(inner: std::sync::Arc<dyn Directory>) -> Recorder {
        Recorder {
            inner,
            state: Mutex::new(Recorded::default()),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Recorded) -> T) -> T {
        // A panic while holding the lock cannot leave the maps inconsistent in a way that
        // matters for a cache, so a poisoned lock is used as is.
        let mut guard = match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Everything recorded so far.
    pub fn snapshot(&self, profile: &str, provider: &str) -> Snapshot {
        self.with(|r| {
            let depts = r
                .dept_order
                .iter()
                .filter_map(|id| {
                    Some(SnapDept {
                        dept: r.depts.get(id)?.clone(),
                        children: r.children.get(id).cloned(),
                        members: r.members.get(id).cloned(),
                    })
                })
                .collect();
            let users = r
                .user_order
                .iter()
                .filter_map(|id| r.users.get(id).cloned())
                .collect();
            Snapshot {
                profile: profile.to_string(),
                provider: provider.to_string(),
                saved_at: unix_now(),
                root: r.root.clone(),
                depts,
                users,
            }
        })
    }
}

#[async_trait]
impl Directory for Recorder {
    fn kind(&self) -> ProviderKind {
        self.inner.kind()
    }

    async fn root(&self) -> Result<Dept> {
        let d = self.inner.root().await?;
        self.with(|r| {
            r.root = Some(d.id.clone());
            r.dept(&d);
        });
        Ok(d)
    }

    async fn dept(&self, id: &str) -> Result<Dept> {
        let d = self.inner.dept(id).await?;
        self.with(|r| r.dept(&d));
        Ok(d)
    }

    async fn children(&self, dept_id: &str, page: Option<&str>) -> Result<Page<Dept>> {
        let p = self.inner.children(dept_id, page).await?;
        self.with(|r| {
            for d in &p.items {
                r.dept(d);
            }
            let ids = p.items.iter().map(|d| d.id.clone());
            let done = listing_page(
                &mut r.partial_children,
                dept_id,
                page,
                ids,
                p.next_page.as_deref(),
            );
            if let Some(all) = done {
                r.children.insert(dept_id.to_string(), all);
            }
        });
        Ok(p)
    }

    async fn members(&self, dept_id: &str, page: Option<&str>) -> Result<Page<User>> {
        let p = self.inner.members(dept_id, page).await?;
        self.with(|r| {
            for u in &p.items {
                r.user(u, false);
            }
            let ids = p.items.iter().map(|u| u.id.clone());
            let done = listing_page(
                &mut r.partial_members,
                dept_id,
                page,
                ids,
                p.next_page.as_deref(),
            );
            if let Some(all) = done {
                r.members.insert(dept_id.to_string(), all);
            }
        });
        Ok(p)
    }

    async fn user(&self, id: &str) -> Result<User> {
        let u = self.inner.user(id).await?;
        self.with(|r| r.user(&u, true));
        Ok(u)
    }

    async fn users(&self, ids: &[String]) -> Result<Vec<User>> {
        let us = self.inner.users(ids).await?;
        self.with(|r| us.iter().for_each(|u| r.user(u, true)));
        Ok(us)
    }

    async fn users_by_emails(&self, emails: &[String]) -> Result<Vec<EmailMatch>> {
        let found = self.inner.users_by_emails(emails).await?;
        self.with(|r| {
            found
                .iter()
                .filter_map(|m| m.user.as_ref())
                .for_each(|u| r.user(u, true))
        });
        Ok(found)
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

    #[test]
    fn checksum_sees_every_bit() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let base = checksum(&data);
        for i in [0, 1, 31, 32, 500, 991, 999] {
            for bit in 0..8 {
                let mut d = data.clone();
                d[i] ^= 1 << bit;
                assert_ne!(checksum(&d), base, "byte {i} bit {bit}");
            }
        }
        assert_ne!(checksum(&data[..999]), base);
        assert_ne!(checksum(&[]), checksum(&[0]));
    }

    /// Damage that the checksum cannot see (the checksum recomputed over it) must still never
    /// panic the decoders.
    #[test]
    fn decoders_survive_damage_behind_a_valid_checksum() {
        let with_header = |payload: &[u8]| {
            let mut b = MAGIC.to_vec();
            b.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
            b.extend_from_slice(&(payload.len() as u64).to_le_bytes());
            b.extend_from_slice(&checksum(payload).to_le_bytes());
            b.extend_from_slice(payload);
            b
        };
        let try_all = |bytes: Vec<u8>| {
            let _ = decode(&bytes);
            if check(&bytes).is_ok() {
                let sb = SnapshotBytes(bytes);
                let _ = sb.profile();
                if let Ok(r) = sb.search_records() {
                    for i in 0..r.users.len().min(3) {
                        let _ = r.user(i);
                    }
                }
            }
        };
        let snap = Snapshot::from_org_file(&crate::fake::generate::generate(
            &crate::fake::generate::GenSpec::new(30, 4, 3),
        ), "t");
        let good = encode(&snap).unwrap();
        assert_eq!(decode(&with_header(&good)).unwrap(), snap);
        let mut rng = fastrand::Rng::with_seed(11);
        for round in 0..3000 {
            let mut bad = good.clone();
            match round % 4 {
                0 => {
                    let i = rng.usize(..bad.len());
                    bad[i] ^= 1 << rng.u8(..8);
                }
                1 => bad.truncate(rng.usize(..bad.len())),
                2 => {
                    let i = rng.usize(..bad.len());
                    bad[i] = 0xff;
                }
                _ => {
                    let i = rng.usize(..bad.len());
                    bad.insert(i, rng.u8(..));
                }
            }
            try_all(with_header(&bad));
        }
        for n in [0, 1, 2, 10, 100, 1000] {
            let garbage: Vec<u8> = (0..n).map(|_| rng.u8(..)).collect();
            try_all(with_header(&garbage));
        }
        // Huge counts and lengths claimed by a tiny payload.
        try_all(with_header(&[0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    }

    #[test]
    fn org_file_round_trip_keeps_structure() {
        let file = crate::fake::generate::demo();
        let snap = Snapshot::from_org_file(&file, "t");
        assert_eq!(snap.root.as_deref(), Some("d00000"));
        let root = &snap.depts[0];
        assert_eq!(root.dept.path.as_deref(), Some("Acme 集团"));
        assert!(root.children.as_ref().is_some_and(|c| !c.is_empty()));
        let back = snap.to_org_file();
        let offline = crate::providers::offline::OfflineDirectory::from_snapshot(&snap).unwrap();
        let a = crate::fake::Org::new(file.clone()).unwrap();
        let b = crate::fake::Org::new(back).unwrap();
        for d in a.depts() {
            let ids = |o: &crate::fake::Org| -> Vec<String> {
                o.children(&d.id).iter().map(|c| c.id.clone()).collect()
            };
            assert_eq!(ids(&a), ids(&b), "children of {}", d.id);
            // An org file cannot keep every department's member order (someone in two
            // departments has one place in the file): the same people here, and the exact
            // order from the offline directory, which reads the snapshot's lists.
            let ms = |o: &crate::fake::Org| -> Vec<String> {
                o.members(&d.id).iter().map(|u| u.id.clone()).collect()
            };
            let (mut x, mut y) = (ms(&a), ms(&b));
            let listed = x.clone();
            x.sort();
            y.sort();
            assert_eq!(x, y, "members of {}", d.id);
            let page = block(offline.members(&d.id, None)).unwrap();
            let got: Vec<String> = page.items.into_iter().map(|u| u.id).collect();
            assert_eq!(got, listed, "offline members of {}", d.id);
            assert_eq!(a.path(&d.id), b.path(&d.id));
        }
    }

    fn block<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn paths_survive_cycles_and_missing_parents() {
        let d = |id: &str, parent: Option<&str>| OrgDept {
            id: id.into(),
            name: Some(id.to_uppercase()),
            parent_id: parent.map(str::to_string),
            ..OrgDept::default()
        };
        let depts = vec![
            d("r", None),
            d("a", Some("r")),
            d("b", Some("a")),
            d("x", Some("y")),
            d("y", Some("x")),
            d("o", Some("gone")),
        ];
        let index = depts
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.as_str(), i))
            .collect();
        let p = dept_paths(&depts, &index);
        assert_eq!(p[2], "R/A/B");
        assert_eq!(p[5], "O");
        assert!(p[3].ends_with("X") && p[4].ends_with('Y'));
    }
}
