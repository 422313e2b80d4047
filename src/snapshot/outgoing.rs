//! Saving what the browser holds without decoding everyone at once. The browser keeps each
//! person as one encoded record; a `Snapshot` of 100,000 decoded people is about 100 MB more
//! than the browser itself, for the moment of a save. Here each person is decoded only when
//! their part of the file is written, a part (4,096 people) at a time.

use std::path::Path;

use super::format::{Head, assemble, part_ranges};
use super::people::tree_order;
use super::{SnapDept, SnapUser};

/// A person to be saved, decoded when their part is written.
pub trait Outgoing: Send + Sync {
    fn id(&self) -> &str;
    /// `None`: the record cannot be read back; the person is left out.
    fn decode(&self) -> Option<SnapUser>;
}

/// A snapshot whose people are decoded as they are written.
pub struct OutgoingSnapshot<P> {
    pub profile: String,
    pub provider: String,
    /// Unix seconds.
    pub saved_at: u64,
    pub root: Option<String>,
    pub depts: Vec<SnapDept>,
    pub people: Vec<P>,
}

/// As `snapshot::save`, with the same file as a `Snapshot` of the decoded people gives, and
/// the previous generation kept by the same rule (`keep_previous_by_parts`).
pub fn save_outgoing<P: Outgoing>(path: &Path, snap: &OutgoingSnapshot<P>) -> std::io::Result<()> {
    let chunks = encode_outgoing(snap)?;
    let chunks: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
    let parts = chunks.get(1..).unwrap_or_default();
    super::keep_previous_by_parts(path, snap.root.as_deref(), &snap.depts, parts);
    crate::private_file::write_private(path, &chunks)
}

pub(super) fn encode_outgoing<P: Outgoing>(
    snap: &OutgoingSnapshot<P>,
) -> std::io::Result<Vec<Vec<u8>>> {
    let people = &snap.people;
    let order = tree_order(snap.root.as_deref(), &snap.depts, people.len(), |i| {
        people.get(i).map(Outgoing::id)
    });
    let mut written = 0u64;
    let mut parts = Vec::new();
    for range in part_ranges(order.len()) {
        let part: Vec<SnapUser> = order
            .get(range)
            .unwrap_or_default()
            .iter()
            .filter_map(|&i| people.get(i)?.decode())
            .collect();
        written = written.saturating_add(part.len() as u64);
        parts.push(postcard::to_allocvec(&part).map_err(std::io::Error::other)?);
    }
    let head = Head {
        profile: &snap.profile,
        provider: &snap.provider,
        saved_at: snap.saved_at,
        root: snap.root.as_deref(),
        depts: &snap.depts,
        user_count: written,
    };
    assemble(&head, parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Snapshot;

    struct Encoded(String, Vec<u8>, bool);

    impl Outgoing for Encoded {
        fn id(&self) -> &str {
            &self.0
        }
        fn decode(&self) -> Option<SnapUser> {
            Some(SnapUser {
                user: postcard::from_bytes(&self.1).ok()?,
                detailed: self.2,
            })
        }
    }

    /// The same bytes as saving the decoded snapshot: the demo org, whose people span
    /// several parts' worth of tree order.
    #[test]
    fn writes_what_a_decoded_snapshot_writes() {
        let snap = Snapshot::from_org_file(&crate::model::generate::demo(), "t");
        let mut reversed = snap.clone();
        reversed.users.reverse();
        let out = outgoing(&reversed);
        assert_eq!(
            encode_outgoing(&out).unwrap(),
            super::super::format::encode(&reversed).unwrap()
        );
    }

    fn outgoing(snap: &Snapshot) -> OutgoingSnapshot<Encoded> {
        OutgoingSnapshot {
            profile: snap.profile.clone(),
            provider: snap.provider.clone(),
            saved_at: snap.saved_at,
            root: snap.root.clone(),
            depts: snap.depts.clone(),
            people: snap
                .users
                .iter()
                .map(|u| {
                    let bytes = postcard::to_allocvec(&u.user).unwrap();
                    Encoded(u.user.id.clone(), bytes, u.detailed)
                })
                .collect(),
        }
    }

    /// The browser's saves keep the previous generation as `snapshot::save` does: the last
    /// complete org that differs, read a part at a time (9,000 people: three parts).
    #[test]
    fn keeps_the_previous_generation_by_the_same_rule() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.snap");
        let prev = crate::snapshot::previous_path(&path);
        let org =
            crate::model::generate::generate(&crate::model::generate::GenSpec::new(9_000, 60, 3));
        let first = Snapshot::from_org_file(&org, "t");
        assert!(first.is_complete());
        let round_trip = |snap: &Snapshot| {
            let other = dir.path().join("expected.snap");
            crate::snapshot::save(&other, snap).unwrap();
            crate::snapshot::load(&other).unwrap()
        };
        save_outgoing(&path, &outgoing(&first)).unwrap();
        assert!(!prev.exists(), "nothing before the first save");
        // The same org again (each part compared): nothing to keep.
        save_outgoing(&path, &outgoing(&first)).unwrap();
        assert!(!prev.exists());
        // Someone's title changed: the first org is kept.
        let mut second = first.clone();
        let last = second.users.len() - 1;
        second.users[last].user.title = Some("Promoted".into());
        save_outgoing(&path, &outgoing(&second)).unwrap();
        let kept = crate::snapshot::load(&prev).unwrap();
        assert_eq!(kept, round_trip(&first));
        // A partial save after it: the complete second org becomes the previous one...
        let mut partial = second.clone();
        partial.depts.iter_mut().for_each(|d| d.members = None);
        save_outgoing(&path, &outgoing(&partial)).unwrap();
        let kept = crate::snapshot::load(&prev).unwrap();
        assert_eq!(kept, round_trip(&second));
        // ...and a save over the partial one leaves it as it is.
        save_outgoing(&path, &outgoing(&first)).unwrap();
        let kept = crate::snapshot::load(&prev).unwrap();
        assert_eq!(kept, round_trip(&second));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&prev).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
