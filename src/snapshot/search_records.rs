//! Reading a snapshot for `orgtui search` without owning it.
//!
//! Search needs five short fields of each record, and the whole record only for the few it
//! prints. The `*Lite` types below read the records in place: the five fields borrowed from the
//! file's bytes, everything else stepped over without allocating or checking it (postcard
//! writes a string as a length and its bytes, so it can be skipped as bytes). Each record's byte
//! range is kept, and a hit is decoded fully from its range. This reads a 100,000-person
//! snapshot several times faster than owning it all.
//!
//! The `*Lite` types mirror the model types field for field, in order (postcard is not
//! self-describing); `tests/snapshot.rs` checks them against fully populated records. Any
//! change to the model's fields must bump FORMAT_VERSION and update these.

use serde::Deserialize;

use super::format::{BlobIn, PayloadIn, payload_in};
use super::{LoadError, SnapDept, SnapUser, SnapshotBytes};
use crate::model::{Dept, User};
use crate::search::{Candidate, Fields, Kind};

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
        let payload = payload_in(&self.0, false)?;
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

    /// What the matcher indexes for this record, the same in the browser and in
    /// `orgtui search`: a name falls back to the id.
    pub fn fields(&self) -> Fields<'a> {
        Fields {
            id: self.id,
            name: self.name.unwrap_or(self.id),
            email: self.email,
            employee_id: self.employee_id,
            title: self.title,
        }
    }

    /// `fields`, owned, for the index.
    pub fn candidate(&self, kind: Kind) -> Candidate {
        let f = self.fields();
        Candidate {
            kind,
            id: f.id.to_string(),
            name: f.name.to_string(),
            email: f.email.map(str::to_string),
            employee_id: f.employee_id.map(str::to_string),
            title: f.title.map(str::to_string),
            status: None,
            dept_ids: Vec::new(),
            path: None,
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
            part.0
                .get(usize::try_from(l.start).ok()?..usize::try_from(l.end).ok()?)
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
            // `rest` is a tail of `bytes`: these are offsets into the part.
            let start = bytes.len().saturating_sub(rest.len());
            let (item, after) = postcard::take_from_bytes::<L>(rest).map_err(bad)?;
            rest = after;
            let end = bytes.len().saturating_sub(rest.len());
            // Both fit in u32: the part's length does.
            let (start, end) = (start as u32, end as u32);
            each(
                item,
                Loc {
                    part: p,
                    start,
                    end,
                },
            );
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
