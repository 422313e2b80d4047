//! The one rule for merging what is known of a person: a listing's record (member listings
//! may leave fields out, and their departments without paths) with a full one (get-user,
//! batch read). The newer record's values win where it has them; a full record's department
//! paths are not given up for a listing's thinner ones; a listing never replaces a full
//! record outright.

use super::User;

/// Whether a record replaces the one held: anything replaces a listing's record, only a
/// full record replaces a full one.
pub fn replaces(held_full: bool, new_full: bool) -> bool {
    new_full || !held_full
}

/// The record kept of a person when `new` arrives while `held` is held: `new` when it
/// replaces it (see `replaces`), else `held`. Used where records are kept whole (a batch
/// read taking over from a member listing).
pub fn kept(held: User, held_full: bool, new: User, new_full: bool) -> User {
    if replaces(held_full, new_full) {
        new
    } else {
        held
    }
}

/// `new` arriving while `held` is held, wherever records are kept and updated (the
/// browser's roster, the recorder filling a snapshot): a full record replaces any; a
/// listing's record is merged in (`merge_newer`), so its newer values are not lost and a
/// full record stays full. `held_full` follows.
pub fn take_newer(held: &mut User, held_full: &mut bool, new: User, new_full: bool) {
    if new_full {
        *held = new;
        *held_full = true;
    } else {
        merge_newer(held, *held_full, new);
    }
}

/// A newer listing's record merged into the one held, full or not: where records are
/// combined rather than kept whole (the browser's roster, a snapshot's older record).
pub fn merge_newer(held: &mut User, held_full: bool, newer: User) {
    if held_full {
        merge_listing(held, newer);
    } else {
        merge_user(held, newer);
    }
}

/// A listing's newer record merged into a full one: its values win, but the full record's
/// departments (with paths) stay when the listing's lack paths.
pub fn merge_listing(full: &mut User, listing: User) {
    let thinner = listing.depts.iter().any(|d| d.path.is_none());
    let depts = thinner.then(|| std::mem::take(&mut full.depts));
    merge_user(full, listing);
    if let Some(d) = depts {
        full.depts = d;
    }
}

/// Fill the gaps in `old` from `new`, and take `new`'s values where it has them.
pub fn merge_user(old: &mut User, new: User) {
    fn keep(old: &mut Option<String>, new: Option<String>) {
        if new.is_some() {
            *old = new;
        }
    }
    keep(&mut old.name, new.name);
    keep(&mut old.email, new.email);
    keep(&mut old.mobile, new.mobile);
    keep(&mut old.title, new.title);
    keep(&mut old.employee_id, new.employee_id);
    keep(&mut old.leader_id, new.leader_id);
    keep(&mut old.city, new.city);
    keep(&mut old.work_place, new.work_place);
    if new.status.is_some() {
        old.status = new.status;
    }
    // Bounded as in a reply (`MAX_IDS_PER_LIST`): every listing a person is in adds its
    // department, and a search of a list without end per listing would grow without end.
    for d in new.dept_ids {
        if old.dept_ids.len() < super::MAX_IDS_PER_LIST && !old.dept_ids.contains(&d) {
            old.dept_ids.push(d);
        }
    }
    if !new.depts.is_empty() {
        old.depts = new.depts;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DeptRef;

    #[test]
    fn a_listing_never_replaces_a_full_record() {
        assert!(replaces(false, false));
        assert!(replaces(false, true));
        assert!(replaces(true, true));
        assert!(!replaces(true, false));
    }

    #[test]
    fn the_kept_record_is_the_one_that_replaces() {
        let a = User {
            id: "u".into(),
            name: Some("A".into()),
            ..User::default()
        };
        let b = User {
            id: "u".into(),
            name: Some("B".into()),
            ..User::default()
        };
        assert_eq!(kept(a.clone(), false, b.clone(), true).name, b.name);
        assert_eq!(kept(a.clone(), true, b.clone(), false).name, a.name);
        assert_eq!(kept(a.clone(), true, b.clone(), true).name, b.name);
    }

    #[test]
    fn a_newer_listing_is_merged_by_what_is_held() {
        let dept = |path: Option<&str>| DeptRef {
            id: "d".into(),
            name: None,
            path: path.map(str::to_string),
        };
        let held = User {
            id: "u".into(),
            title: Some("Eng".into()),
            depts: vec![dept(Some("R/D"))],
            ..User::default()
        };
        let newer = User {
            id: "u".into(),
            name: Some("New".into()),
            depts: vec![dept(None)],
            ..User::default()
        };
        let mut full = held.clone();
        merge_newer(&mut full, true, newer.clone());
        assert_eq!(full.depts[0].path.as_deref(), Some("R/D"));
        assert_eq!(full.name.as_deref(), Some("New"));
        let mut listing = held;
        merge_newer(&mut listing, false, newer);
        assert_eq!(listing.depts[0].path, None);
        assert_eq!(listing.title.as_deref(), Some("Eng"));
    }

    #[test]
    fn a_person_in_every_listing_keeps_a_bounded_list_of_departments() {
        let user = |id: &str, name: &str| User {
            id: id.into(),
            name: Some(name.into()),
            ..User::default()
        };
        let mut old = user("u1", "One");
        for i in 0..100_000 {
            let mut new = user("u1", "One");
            new.dept_ids = vec![format!("d{i}"), "d0".into()];
            merge_user(&mut old, new);
        }
        assert_eq!(old.dept_ids.len(), crate::model::MAX_IDS_PER_LIST);
        assert_eq!(old.dept_ids[..2], ["d0", "d1"]);
    }

    #[test]
    fn a_listing_keeps_the_full_records_paths() {
        let dept = |path: Option<&str>| DeptRef {
            id: "d".into(),
            name: Some("D".into()),
            path: path.map(str::to_string),
        };
        let mut full = User {
            id: "u".into(),
            name: Some("Old".into()),
            title: Some("Eng".into()),
            dept_ids: vec!["d".into()],
            depts: vec![dept(Some("R/D"))],
            ..User::default()
        };
        merge_listing(
            &mut full,
            User {
                id: "u".into(),
                name: Some("New".into()),
                dept_ids: vec!["d".into(), "e".into()],
                depts: vec![dept(None)],
                ..User::default()
            },
        );
        assert_eq!(full.name.as_deref(), Some("New"));
        assert_eq!(full.title.as_deref(), Some("Eng"));
        assert_eq!(full.dept_ids, ["d", "e"]);
        assert_eq!(full.depts[0].path.as_deref(), Some("R/D"));
    }
}
