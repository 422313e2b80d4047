//! Everyone the browser knows, each person once and compactly.
//!
//! A `User` is a dozen separately allocated strings and vectors: about a kilobyte a person
//! once the map around it is counted, which is most of the memory of a 100,000-person org.
//! Here a person is one allocation: their record postcard-encoded (~150 bytes), decoded when
//! shown, which is a few people per frame. Updates (a listing page, a full record) decode,
//! merge and encode again; they come a page at a time.

use std::collections::HashMap;

use crate::model::User;
use crate::model::merge::merge_newer;
use crate::reporting::Reporting;

/// One person as stored: their encoded record, and whether it is a full record (from
/// get-user or a batch read: departments with paths) or as a listing gave it.
#[derive(Debug, Clone)]
pub struct Record {
    /// Shared, so a save can take everyone's records to its thread without copying them.
    bytes: std::sync::Arc<[u8]>,
    full: bool,
    /// A full record fetched this session (not one from the snapshot): shown without
    /// fetching it again. A flag here rather than a set of ids, so that a start from a
    /// 100,000-person snapshot does not fill a set with everyone.
    fetched: bool,
}

impl Record {
    /// Encode `user`. A record that cannot be encoded (postcard only fails on lengths past
    /// what fits in memory) is kept as an empty record of the id.
    pub fn new(user: &User, full: bool) -> Record {
        let bytes = postcard::to_allocvec(user)
            .or_else(|_| {
                postcard::to_allocvec(&User {
                    id: user.id.clone(),
                    ..User::default()
                })
            })
            .unwrap_or_default();
        Record {
            bytes: bytes.into(),
            full,
            fetched: false,
        }
    }

    pub fn is_full(&self) -> bool {
        self.full
    }

    /// The record, decoded. Only this module encodes records, so decoding does not fail;
    /// if it ever did, the person would show as unknown rather than take the app down.
    pub fn user(&self) -> Option<User> {
        postcard::from_bytes(&self.bytes).ok()
    }
}

/// What `Roster::restore` did with a snapshot's record.
#[derive(Debug, Clone, PartialEq)]
pub enum Restored {
    /// A person not known yet: stored as the snapshot has them.
    Added,
    /// Combined with what this session loaded: the person as now stored.
    Merged(Box<User>),
    /// This session's record stands as it is.
    Kept,
}

/// A part of the snapshot's people as the app stores them, with their search candidates:
/// built off the UI thread (`persist::people_records`), taken in by `App::restore_people`.
#[derive(Debug, Clone)]
pub struct PeopleRecords {
    pub people: Vec<(String, Record, crate::search::Candidate)>,
    /// Each one's leader, in the same order (the records stay encoded on the UI thread).
    pub leaders: Vec<Option<String>>,
}

/// One person on their way to the snapshot file: decoded only when their part is written.
#[derive(Debug, Clone)]
pub struct SavedPerson {
    id: Box<str>,
    record: Record,
}

impl crate::snapshot::Outgoing for SavedPerson {
    fn id(&self) -> &str {
        &self.id
    }

    fn decode(&self) -> Option<crate::snapshot::SnapUser> {
        Some(crate::snapshot::SnapUser {
            user: self.record.user()?,
            detailed: self.record.full,
        })
    }
}

#[derive(Debug, Default)]
pub struct Roster {
    records: HashMap<Box<str>, Record>,
    /// Who reports to whom, kept in step with every record stored here.
    reporting: Reporting,
}

impl Roster {
    /// The leader links of everyone known.
    pub fn reporting(&self) -> &Reporting {
        &self.reporting
    }

    fn link(&mut self, user: &User) {
        self.reporting
            .set(&user.id, user.name.as_deref(), user.leader_id.as_deref());
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Room for `more` people (see `persist::restore_head`).
    pub fn reserve(&mut self, more: usize) {
        self.records.reserve(more);
    }

    pub fn contains(&self, id: &str) -> bool {
        self.records.contains_key(id)
    }

    /// True when we hold a full record of `id`.
    pub fn is_full(&self, id: &str) -> bool {
        self.records.get(id).is_some_and(Record::is_full)
    }

    /// The best record we have of `id`, decoded.
    pub fn get(&self, id: &str) -> Option<User> {
        self.records.get(id)?.user()
    }

    /// True when `id`'s full record was fetched this session (and not marked stale since).
    pub fn is_fetched(&self, id: &str) -> bool {
        self.records.get(id).is_some_and(|r| r.fetched)
    }

    /// Fetch `id`'s record again when next wanted; what is shown stays until it arrives.
    pub fn mark_stale(&mut self, id: &str) {
        if let Some(r) = self.records.get_mut(id) {
            r.fetched = false;
        }
    }

    /// A full record fetched this session (get-user): replaces what we had (a full record
    /// replaces any, see `model::merge::take_newer`).
    pub fn set_full(&mut self, user: &User) {
        let record = Record {
            fetched: true,
            ..Record::new(user, true)
        };
        self.link(user);
        self.records.insert(user.id.as_str().into(), record);
    }

    /// A record from a listing: merged into what we had (a full record keeps the paths its
    /// departments have), or added. Returns the id.
    pub fn merge_listing(&mut self, user: User) -> String {
        self.merge_changed(user).0
    }

    /// `merge_listing`, and whether what is stored changed (a listing that only repeats
    /// what is known changes nothing, and need not be indexed again).
    pub fn merge_changed(&mut self, user: User) -> (String, bool) {
        let id = user.id.clone();
        let merged = match self.records.get(id.as_str()) {
            Some(old) => {
                let full = old.full;
                let Some(mut known) = old.user() else {
                    self.link(&user);
                    self.records
                        .insert(id.as_str().into(), Record::new(&user, false));
                    return (id, true);
                };
                let fetched = old.fetched;
                merge_newer(&mut known, full, user);
                let merged = Record {
                    fetched,
                    ..Record::new(&known, full)
                };
                if merged.bytes == old.bytes {
                    return (id, false);
                }
                self.link(&known);
                merged
            }
            None => {
                self.link(&user);
                Record::new(&user, false)
            }
        };
        self.records.insert(id.as_str().into(), merged);
        (id, true)
    }

    /// A record from the snapshot: older than anything this session loaded, which wins
    /// where it has values; the snapshot's record fills in the rest. A full record fetched
    /// this session is kept as it is. Returns the person as now stored when this changed
    /// them, for the search index (which must not get the snapshot's older values back).
    /// `name` and `leader` are the record's, known without decoding it.
    pub fn restore(
        &mut self,
        id: &str,
        record: Record,
        name: Option<&str>,
        leader: Option<&str>,
    ) -> Restored {
        let Some(now) = self.records.get(id) else {
            self.reporting.set(id, name, leader);
            self.records.insert(id.into(), record);
            return Restored::Added;
        };
        if now.full {
            return Restored::Kept;
        }
        let (Some(mut merged), Some(newer)) = (record.user(), now.user()) else {
            return Restored::Kept;
        };
        merge_newer(&mut merged, record.full, newer);
        self.link(&merged);
        self.records
            .insert(id.into(), Record::new(&merged, record.full));
        Restored::Merged(Box::new(merged))
    }

    /// Forget everyone (the server turned out to be another org).
    pub fn clear(&mut self) {
        self.records.clear();
        self.reporting = Reporting::default();
    }

    /// Everyone as stored, for a save to decode on its own thread (`SavedPerson`).
    pub fn to_save(&self) -> Vec<SavedPerson> {
        self.records
            .iter()
            .map(|(id, r)| SavedPerson {
                id: id.clone(),
                record: r.clone(),
            })
            .collect()
    }

    /// Everyone, decoded one at a time, with whether the record is full.
    pub fn iter(&self) -> impl Iterator<Item = (User, bool)> + '_ {
        self.records
            .values()
            .filter_map(|r| Some((r.user()?, r.full)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DeptRef;

    fn user(id: &str, name: &str) -> User {
        User {
            id: id.into(),
            name: Some(name.into()),
            ..User::default()
        }
    }

    #[test]
    fn listings_merge_and_full_records_keep_their_paths() {
        let mut r = Roster::default();
        r.merge_listing(User {
            title: Some("Engineer".into()),
            ..user("u1", "Ann")
        });
        assert!(!r.is_full("u1"));
        r.merge_listing(user("u1", "Anna"));
        let u = r.get("u1").unwrap();
        assert_eq!(u.name.as_deref(), Some("Anna"));
        assert_eq!(u.title.as_deref(), Some("Engineer"));

        let with_path = DeptRef {
            id: "d1".into(),
            name: Some("Ops".into()),
            path: Some("Acme/Ops".into()),
        };
        r.set_full(&User {
            depts: vec![with_path.clone()],
            ..user("u1", "Anna")
        });
        assert!(r.is_full("u1"));
        // A listing with departments but no paths: the name is taken, the paths kept.
        r.merge_listing(User {
            depts: vec![DeptRef {
                path: None,
                ..with_path.clone()
            }],
            ..user("u1", "Anna B")
        });
        let u = r.get("u1").unwrap();
        assert!(r.is_full("u1"));
        assert_eq!(u.name.as_deref(), Some("Anna B"));
        assert_eq!(u.depts, vec![with_path]);
        assert_eq!(r.len(), 1);
        assert_eq!(r.get("u2"), None);
    }

    #[test]
    fn fetched_records_stay_fetched_until_marked_stale() {
        let mut r = Roster::default();
        r.merge_listing(user("u1", "Anna"));
        assert!(!r.is_fetched("u1"));
        r.set_full(&user("u1", "Anna"));
        assert!(r.is_fetched("u1"));
        r.merge_listing(user("u1", "Anna B"));
        assert!(r.is_fetched("u1") && r.is_full("u1"));
        assert_eq!(
            r.restore("u1", Record::new(&user("u1", "Old"), true), None, None),
            Restored::Kept
        );
        assert!(r.is_fetched("u1"));
        r.mark_stale("u1");
        assert!(!r.is_fetched("u1") && r.is_full("u1"));
        assert_eq!(r.get("u1").unwrap().name.as_deref(), Some("Anna B"));
        r.restore("u2", Record::new(&user("u2", "Snap"), true), None, None);
        assert!(r.is_full("u2") && !r.is_fetched("u2"));
        r.clear();
        assert!(!r.is_fetched("u1"));
    }

    #[test]
    fn snapshot_records_never_replace_newer_ones() {
        let mut r = Roster::default();
        r.merge_listing(user("u1", "New"));
        r.set_full(&user("u2", "New full"));
        let old = |id: &str, full| {
            Record::new(
                &User {
                    title: Some("old title".into()),
                    ..user(id, "Old")
                },
                full,
            )
        };
        assert!(matches!(
            r.restore("u1", old("u1", true), None, None),
            Restored::Merged(_)
        ));
        assert_eq!(r.restore("u2", old("u2", true), None, None), Restored::Kept);
        assert_eq!(
            r.restore("u3", old("u3", false), None, None),
            Restored::Added
        );
        // A listing this session and an older listing: combined, this session's values
        // first, the departments of both (a listing of one department names only that one).
        r.merge_listing(User {
            dept_ids: vec!["d1".into()],
            ..user("u4", "New")
        });
        let older = Record::new(
            &User {
                dept_ids: vec!["d1".into(), "d2".into()],
                city: Some("Chengdu".into()),
                ..user("u4", "Old")
            },
            false,
        );
        let Restored::Merged(u4) = r.restore("u4", older, None, None) else {
            panic!("u4 is combined");
        };
        assert_eq!(u4.name.as_deref(), Some("New"));
        assert_eq!(u4.city.as_deref(), Some("Chengdu"));
        assert_eq!(u4.dept_ids, ["d1", "d2"]);
        assert_eq!(r.get("u4").as_ref(), Some(u4.as_ref()));
        assert!(!r.is_full("u4"));
        let u1 = r.get("u1").unwrap();
        assert_eq!(u1.name.as_deref(), Some("New"));
        assert_eq!(u1.title.as_deref(), Some("old title"));
        assert!(r.is_full("u1"));
        assert_eq!(r.get("u2").unwrap().name.as_deref(), Some("New full"));
        assert_eq!(r.get("u2").unwrap().title, None);
        assert_eq!(r.get("u3").unwrap().name.as_deref(), Some("Old"));
        assert!(!r.is_full("u3"));
        let mut all: Vec<_> = r.iter().map(|(u, full)| (u.id, full)).collect();
        all.sort();
        assert_eq!(
            all,
            [
                ("u1".into(), true),
                ("u2".into(), true),
                ("u3".into(), false),
                ("u4".into(), false)
            ]
        );
    }
    #[test]
    fn leader_links_follow_every_record_stored() {
        let mut r = Roster::default();
        let led = |id: &str, leader: &str| User {
            leader_id: Some(leader.into()),
            ..user(id, id)
        };
        r.merge_listing(led("a", "boss"));
        r.restore(
            "b",
            Record::new(&led("b", "boss"), true),
            Some("b"),
            Some("boss"),
        );
        assert_eq!(r.reporting().direct("boss"), ["a", "b"]);
        // A full record with another leader moves them; a listing repeating it changes nothing.
        r.set_full(&led("a", "b"));
        assert_eq!(r.reporting().direct("boss"), ["b"]);
        assert_eq!(r.reporting().direct("b"), ["a"]);
        assert!(!r.merge_changed(led("a", "b")).1);
        r.clear();
        assert!(r.reporting().direct("b").is_empty());
    }
}
