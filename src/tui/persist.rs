//! Between the app and the on-disk snapshot (above the app: the app never imports this): start from what was loaded last time (drawn at
//! once, marked stale, checked against the server as departments are shown), and save what
//! is loaded now.
//!
//! A start is in two steps so the first frame does not wait for everyone: `restore_head`
//! puts the departments and their listings in place (the tree can be drawn), then the people
//! arrive in parts (`restore_people`), decoded off the UI thread.

use std::time::SystemTime;

use super::app::{App, Effect, dept_candidate, user_candidate};
pub use super::roster::PeopleRecords;
use super::roster::{Record, SavedPerson};
use super::tree_model::{Load, Tree};
use crate::snapshot::{OutgoingSnapshot, SnapDept, SnapUser, Snapshot, SnapshotHead};

/// The most people room is made for in advance.
const MAX_RESERVE: usize = 4_000_000;

/// Fill `app`'s tree from a snapshot's departments. Returns the effects that index them.
pub fn restore_head(app: &mut App, head: SnapshotHead) -> Vec<Effect> {
    let age = head.age(SystemTime::now());
    let Some(root) = head.root else {
        return Vec::new();
    };
    app.snapshot_age = Some(age);
    // Room for everyone up front: growing these maps and the index step by step would hold
    // the old and the new tables at once, a large part of the peak memory at 100,000
    // people. The count comes from the file, so it is only trusted up to a bound. Reserved
    // room nobody uses is never touched, so costs no memory.
    let people = usize::try_from(head.user_count)
        .unwrap_or(0)
        .min(MAX_RESERVE);
    let mut tree = Tree::default();
    app.people.reserve(people);
    let mut cands = Vec::with_capacity(head.depts.len());
    let mut listings = Vec::with_capacity(head.depts.len());
    for d in head.depts {
        cands.push(dept_candidate(&d.dept));
        let id = d.dept.id.clone();
        if id == root {
            tree.set_root(d.dept);
        } else {
            let parent = d.dept.parent_id.clone().unwrap_or_default();
            tree.upsert_depts(&parent, vec![d.dept]);
        }
        listings.push((id, d.children, d.members));
    }
    for (id, children, members) in listings {
        if let Some(n) = tree.node_mut(&id) {
            n.stale = true;
            if let Some(c) = children {
                n.children = c;
                n.children_load = Load::Loaded;
            }
            if let Some(m) = members {
                n.members = m;
                n.members_load = Load::Loaded;
            }
        }
    }
    if let Some(n) = tree.node_mut(&root) {
        n.expanded = true;
    }
    tree.rebuild();
    app.tree = tree;
    vec![
        Effect::IndexReserve(cands.len().saturating_add(people)),
        Effect::IndexAdd(cands),
    ]
}

/// A part of the snapshot's people as the app stores them, with their search candidates:
/// built off the UI thread.
pub fn people_records(part: Vec<SnapUser>) -> PeopleRecords {
    let leaders = part.iter().map(|u| u.user.leader_id.clone()).collect();
    let people = part
        .into_iter()
        .map(|u| {
            let cand = user_candidate(&u.user);
            (u.user.id.clone(), Record::new(&u.user, u.detailed), cand)
        })
        .collect();
    PeopleRecords { people, leaders }
}

/// Add a part of the snapshot's people (see `App::restore_people`).
pub fn restore_people(app: &mut App, part: PeopleRecords) -> Vec<Effect> {
    app.restore_people(part)
}

/// Fill `app` from a whole snapshot at once (tests, benchmarks).
pub fn restore(app: &mut App, snap: Snapshot) -> Vec<Effect> {
    let (head, people) = snap.split();
    let mut fx = restore_head(app, head);
    for part in people.flatten() {
        fx.extend(restore_people(app, people_records(part)));
    }
    fx
}

/// What the app has loaded, as a snapshot. Listings still loading are left out (not saved as
/// complete); people are saved with their most detailed record (in tree order, see
/// `snapshot::save`).
pub fn capture(app: &App, profile: &str, provider: &str) -> Snapshot {
    let users = app
        .people
        .iter()
        .map(|(user, detailed)| SnapUser { user, detailed })
        .collect();
    Snapshot {
        profile: profile.to_string(),
        provider: provider.to_string(),
        saved_at: unix_now(),
        root: app.tree.root.clone(),
        depts: captured_depts(app),
        users,
    }
}

/// What `capture` holds, with the people still encoded: what the browser saves (decoding
/// 100,000 people at once would take 100 MB more for the moment of the save).
pub fn capture_outgoing(app: &App, profile: &str, provider: &str) -> OutgoingSnapshot<SavedPerson> {
    OutgoingSnapshot {
        profile: profile.to_string(),
        provider: provider.to_string(),
        saved_at: unix_now(),
        root: app.tree.root.clone(),
        depts: captured_depts(app),
        people: app.people.to_save(),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn captured_depts(app: &App) -> Vec<SnapDept> {
    let done = |load: &Load, list: &Vec<String>| load.is_done().then(|| list.clone());
    app.tree
        .depts
        .values()
        .map(|n| SnapDept {
            dept: n.dept.clone(),
            children: done(&n.children_load, &n.children),
            // Complete only with everyone in it known: a snapshot read only in part (a
            // damaged part) must not be saved again as if it were whole.
            members: done(&n.members_load, &n.members)
                .filter(|m| m.iter().all(|id| app.people.contains(id))),
        })
        .collect()
}
