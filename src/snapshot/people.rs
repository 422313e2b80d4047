//! A snapshot split for a fast start: the head (small fields and every department, which is
//! all the first frame of the tree needs) decoded at once, and the people handed over in
//! parts, still encoded, to be decoded off the UI thread one part at a time. Decoding a part
//! and moving it into the app keeps only one part's worth of temporary memory alive, where
//! decoding the whole snapshot first would hold every person twice.

use std::collections::{HashMap, HashSet, VecDeque};

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::format::{
    FIRST_PART_LEN, HEADER_LEN, PART_LEN, PartInfo, check_head, check_header, check_part,
    decode_part, decode_parts,
};
use super::{LoadError, SnapDept, SnapUser, Snapshot};

/// What a snapshot holds besides its people.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SnapshotHead {
    pub profile: String,
    pub provider: String,
    /// Unix seconds when written.
    pub saved_at: u64,
    pub root: Option<String>,
    pub depts: Vec<SnapDept>,
    /// How many people follow (as the file says, at most what its parts can hold).
    pub user_count: u64,
}

impl SnapshotHead {
    /// How long ago it was saved (see `Snapshot::age`).
    pub fn age(&self, now: std::time::SystemTime) -> std::time::Duration {
        super::age_of(self.saved_at, now)
    }
}

/// The people of a snapshot, a part at a time (at most `PART_LEN` each, the first one
/// smaller, in snapshot order: people saved in tree order, so the first part holds those on
/// the first screen).
pub struct People(Source);

enum Source {
    /// Parts still in the file, read and checked one at a time. The file stays open: a
    /// newer snapshot saved meanwhile replaces the name, not what this handle reads.
    File {
        file: File,
        parts: std::vec::IntoIter<PartInfo>,
    },
    /// Already decoded (a snapshot built in memory, such as an org file's).
    Decoded {
        users: std::vec::IntoIter<SnapUser>,
        started: bool,
    },
}

impl Iterator for People {
    type Item = std::result::Result<Vec<SnapUser>, LoadError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            Source::File { file, parts } => {
                let info = parts.next()?;
                let part = read_part(file, info);
                if part.is_err() {
                    // Nothing after a bad part is trusted.
                    parts.by_ref().for_each(drop);
                }
                Some(part)
            }
            Source::Decoded { users, started } => {
                // Parts as `save` makes them: the first one small.
                let len = if std::mem::replace(started, true) {
                    PART_LEN
                } else {
                    FIRST_PART_LEN
                };
                let part: Vec<SnapUser> = users.by_ref().take(len).collect();
                (!part.is_empty()).then_some(Ok(part))
            }
        }
    }
}

fn read_part(file: &mut File, info: PartInfo) -> std::result::Result<Vec<SnapUser>, LoadError> {
    let len = usize::try_from(info.len)
        .map_err(|_| LoadError::Corrupt("a part of the people is too large".into()))?;
    let mut bytes = vec![0; len];
    file.read_exact(&mut bytes)
        .map_err(|e| LoadError::Io(e.to_string()))?;
    check_part(&bytes, info)?;
    decode_part(&bytes).map_err(LoadError::Corrupt)
}

/// Read a snapshot's head (checked, departments decoded) and leave its people in the file,
/// to be read part by part. Reads a few hundred kilobytes where the whole file is tens of
/// megabytes for a 100,000-person org.
pub fn open(path: &Path) -> std::result::Result<(SnapshotHead, People), LoadError> {
    let io = |e: std::io::Error| LoadError::Io(e.to_string());
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(LoadError::Missing),
        Err(e) => return Err(io(e)),
    };
    let size = file.metadata().map_err(io)?.len();
    // A file shorter than the header reads short, and check_header says so.
    let mut header = Vec::with_capacity(HEADER_LEN);
    (&mut file)
        .take(HEADER_LEN as u64)
        .read_to_end(&mut header)
        .map_err(io)?;
    let (head_len, sum) = check_header(&header)?;
    let rest = size.saturating_sub(HEADER_LEN as u64);
    if head_len > rest {
        return Err(LoadError::Corrupt(format!(
            "length mismatch (header says {head_len} bytes of head, file has {rest})"
        )));
    }
    // Bounded by the file's size, checked just above.
    let mut head = vec![0; usize::try_from(head_len).unwrap_or_default()];
    file.read_exact(&mut head).map_err(io)?;
    let h = check_head(&head, sum, rest.saturating_sub(head_len))?;
    let depts = decode_parts(&h.depts, h.dept_count).map_err(LoadError::Corrupt)?;
    // The count is only a hint, never more than the parts can hold.
    let most = u64::try_from(h.parts.len().saturating_mul(PART_LEN)).unwrap_or(u64::MAX);
    let head_out = SnapshotHead {
        profile: h.profile.to_string(),
        provider: h.provider.to_string(),
        saved_at: h.saved_at,
        root: h.root.map(str::to_string),
        depts,
        user_count: h.user_count.min(most),
    };
    let people = People(Source::File {
        file,
        parts: h.parts.into_iter(),
    });
    Ok((head_out, people))
}

impl SnapshotHead {
    /// The snapshot this head opens, without its people: enough for `is_complete`, and for
    /// readers that add only the people they need.
    pub fn into_shape(self) -> Snapshot {
        Snapshot {
            profile: self.profile,
            provider: self.provider,
            saved_at: self.saved_at,
            root: self.root,
            depts: self.depts,
            users: Vec::new(),
        }
    }
}

impl Snapshot {
    /// The same split for a snapshot already in memory.
    pub fn split(self) -> (SnapshotHead, People) {
        let head = SnapshotHead {
            profile: self.profile,
            provider: self.provider,
            saved_at: self.saved_at,
            root: self.root,
            depts: self.depts,
            user_count: self.users.len() as u64,
        };
        let people = People(Source::Decoded {
            users: self.users.into_iter(),
            started: false,
        });
        (head, people)
    }
}

impl Snapshot {
    /// This snapshot as `load` returns it after `save`: the same, with the people in the
    /// order they are saved (`people_tree_first`).
    pub fn into_saved_order(self) -> Snapshot {
        let users = self.people_tree_first().into_iter().cloned().collect();
        Snapshot { users, ..self }
    }

    /// The people in the order they are saved: members department by department, breadth
    /// first from the root (the root's members, then those of its sub-departments, …), then
    /// anyone in no complete listing. The browser opens on the root, so the first part read
    /// back holds the people on its first screen.
    pub(super) fn people_tree_first(&self) -> Vec<&SnapUser> {
        let order = tree_order(self.root.as_deref(), &self.depts, self.users.len(), |i| {
            self.users.get(i).map(|u| u.user.id.as_str())
        });
        order
            .into_iter()
            .filter_map(|i| self.users.get(i))
            .collect()
    }
}

/// The order people are saved in (see `Snapshot::people_tree_first`), as positions among
/// `n` people whose ids `id_of` gives.
pub(super) fn tree_order<'a>(
    root: Option<&'a str>,
    depts: &'a [SnapDept],
    n: usize,
    id_of: impl Fn(usize) -> Option<&'a str>,
) -> Vec<usize> {
    let by_id: HashMap<&str, usize> = (0..n).filter_map(|i| Some((id_of(i)?, i))).collect();
    let depts: HashMap<&str, &SnapDept> = depts.iter().map(|d| (d.dept.id.as_str(), d)).collect();
    let mut out = Vec::with_capacity(n);
    let mut placed: HashSet<&str> = HashSet::with_capacity(n);
    let mut visited: HashSet<&str> = HashSet::new();
    let mut queue: VecDeque<&str> = root.into_iter().collect();
    while let Some(id) = queue.pop_front() {
        let Some(d) = depts.get(id).filter(|_| visited.insert(id)) else {
            continue;
        };
        for m in d.members.iter().flatten() {
            if let Some(&i) = by_id.get(m.as_str())
                && placed.insert(m)
            {
                out.push(i);
            }
        }
        queue.extend(d.children.iter().flatten().map(String::as_str));
    }
    out.extend((0..n).filter(|&i| id_of(i).is_some_and(|id| !placed.contains(id))));
    out
}
