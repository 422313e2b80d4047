//! Drawing one frame of the TUI (200x60, ratatui's TestBackend) with a generated org of
//! 100,000 people in 5,000 departments loaded and every department expanded (105,000 rows),
//! the selection in the middle of the rows. Target: under 2 ms.
//!
//! `cargo bench --bench frame`

use std::collections::HashMap;

use divan::Bencher;
use orgtui::model::generate::{GenSpec, generate};
use orgtui::model::{Dept, User};
use orgtui::tui::app::{App, Msg};
use orgtui::tui::keys::KeyMap;
use orgtui::tui::tree_model::Load;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn main() {
    divan::main();
}

const WIDTH: u16 = 200;
const HEIGHT: u16 = 60;

/// The app with the whole org loaded and expanded, as after expanding everything.
fn loaded_app(users: usize, depts: usize) -> App {
    let org = generate(&GenSpec::new(users, depts, 1));
    let mut app = App::new("bench · wps", KeyMap::default());
    app.update(Msg::Resize(WIDTH, HEIGHT));
    let mut children: HashMap<String, Vec<Dept>> = HashMap::new();
    let mut root = None;
    let mut ids = Vec::with_capacity(org.depts.len());
    for d in org.depts {
        ids.push(d.id.clone());
        let dept = Dept {
            id: d.id,
            name: d.name,
            parent_id: d.parent_id.clone(),
            order: d.order,
            leader_ids: d.leader_ids,
            ..Dept::default()
        };
        match d.parent_id {
            Some(p) => children.entry(p).or_default().push(dept),
            None => root = Some(dept),
        }
    }
    let mut members: HashMap<String, Vec<User>> = HashMap::new();
    for u in org.users {
        let user = User {
            id: u.id,
            name: u.name,
            email: u.email,
            mobile: u.mobile,
            title: u.title,
            employee_id: u.employee_id,
            status: u.status,
            leader_id: u.leader_id,
            dept_ids: u.dept_ids.clone(),
            city: u.city,
            work_place: u.work_place,
            ..User::default()
        };
        for d in u.dept_ids {
            members.entry(d).or_default().push(user.clone());
        }
    }
    app.tree.set_root(root.expect("a root department"));
    for id in &ids {
        if let Some(kids) = children.remove(id) {
            app.tree.add_children(id, kids);
        }
        if let Some(people) = members.remove(id) {
            let listed = people
                .into_iter()
                .map(|u| app.people.merge_listing(u))
                .collect();
            app.tree.add_member_ids(id, listed);
        }
    }
    let tree = &mut app.tree;
    for id in &ids {
        if let Some(n) = tree.node_mut(id) {
            n.expanded = true;
            n.children_load = Load::Loaded;
            n.members_load = Load::Loaded;
        }
    }
    tree.rebuild();
    app.selected = app.tree.rows().len() / 2;
    // A resize scrolls the selection into view.
    app.update(Msg::Resize(WIDTH, HEIGHT));
    app
}

#[divan::bench(args = [(1_600, 130), (100_000, 5_000)], sample_count = 50)]
fn draw(b: Bencher, (users, depts): (usize, usize)) {
    let app = loaded_app(users, depts);
    assert!(app.tree.rows().len() > users, "everything is expanded");
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("a test terminal");
    b.bench_local(|| {
        terminal
            .draw(|f| orgtui::tui::ui::draw(f, &app))
            .map(|_| ())
            .expect("draws")
    });
}

/// Rebuilding the whole row list (the start, or a new root), for scale.
#[divan::bench(sample_count = 10)]
fn rebuild_rows(b: Bencher) {
    let mut app = loaded_app(100_000, 5_000);
    b.bench_local(|| app.tree.rebuild());
}

/// What a page arriving, an expand or a collapse costs: the rows of one department (one
/// halfway down the list) recomputed, with every department open.
#[divan::bench(sample_count = 50)]
fn refresh_one_department(b: Bencher) {
    let mut app = loaded_app(100_000, 5_000);
    let rows = app.tree.rows();
    let id = rows[rows.len() / 2..]
        .iter()
        .find_map(|r| match &r.kind {
            orgtui::tui::tree_model::RowKind::Dept(id) => Some(id.clone()),
            _ => None,
        })
        .expect("a department row");
    b.bench_local(|| app.tree.refresh(&id));
}
