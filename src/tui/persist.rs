//! Between the app and the on-disk snapshot: start from what was loaded last time (drawn at
//! once, marked stale, checked against the server as departments are shown), and save what
//! is loaded now.

use std::time::SystemTime;

use super::app::{App, Effect, dept_candidate, user_candidate};
use super::tree::{Load, Tree};
use crate::snapshot::{SnapDept, SnapUser, Snapshot};

/// Fill `app` from `snap`. Returns the effects that index everything for search.
pub fn restore(app: &mut App, snap: Snapshot) -> Vec<Effect> {
    let Some(root) = snap.root.clone() else {
        return Vec::new();
    };
    app.snapshot_age = Some(snap.age(SystemTime::now()));
    let mut tree = Tree::default();
    let mut cands = Vec::with_capacity(snap.depts.len() + snap.users.len());
    let mut listings = Vec::new();
    for d in snap.depts {
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
    for u in snap.users {
        cands.push(user_candidate(&u.user));
        if u.detailed {
            app.stale_details.insert(u.user.id.clone());
            app.details.insert(u.user.id.clone(), u.user.clone());
        }
        tree.users.insert(u.user.id.clone(), u.user);
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
    // Candidates go to the search thread in chunks, so the first results come quickly.
    cands
        .chunks(4096)
        .map(|c| Effect::IndexAdd(c.to_vec()))
        .collect()
}

/// What the app has loaded, as a snapshot. Listings still loading are left out (not saved as
/// complete); people are saved with their most detailed record.
pub fn capture(app: &App, profile: &str, provider: &str) -> Snapshot {
    let done = |load: &Load, list: &Vec<String>| load.is_done().then(|| list.clone());
    let depts = app
        .tree
        .depts
        .values()
        .map(|n| SnapDept {
            dept: n.dept.clone(),
            children: done(&n.children_load, &n.children),
            members: done(&n.members_load, &n.members),
        })
        .collect();
    let users = app
        .tree
        .users
        .values()
        .map(|u| match app.details.get(&u.id) {
            Some(full) => SnapUser {
                user: full.clone(),
                detailed: true,
            },
            None => SnapUser {
                user: u.clone(),
                detailed: false,
            },
        })
        .collect();
    Snapshot {
        profile: profile.to_string(),
        provider: provider.to_string(),
        saved_at: SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        root: app.tree.root.clone(),
        depts,
        users,
    }
}
