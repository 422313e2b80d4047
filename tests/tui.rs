//! The TUI without a terminal: key sequences into the real app, its requests performed by the
//! real provider client against the in-process fake server, and the screen rendered on
//! ratatui's TestBackend (snapshots in tests/snapshots/).

mod common;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use orgtui::config::IndexSettings;
use orgtui::directory::ProviderKind;
use orgtui::fake::{self, FakeOptions, FakeServer, Org};
use orgtui::model::User;
use orgtui::search::{SearchIndex, Searcher};
use orgtui::tui::app::{App, Effect, Focus, Loaded, Msg, ResultRow, SEARCH_LIMIT};
use orgtui::tui::clipboard::{CopyPlan, CopyTarget};
use orgtui::tui::keys::KeyMap;
use orgtui::tui::runtime::executor::{Executor, Flow, SaveTarget, Schedule, Store};
use orgtui::tui::tree_model::RowKind;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

struct Harness {
    app: App,
    exec: Executor,
    rx: UnboundedReceiver<Msg>,
    queue: VecDeque<Effect>,
    clipboard: Arc<Recorder>,
    saved: SaveCount,
    quit: bool,
    server: Option<FakeServer>,
}

/// The clipboard: what was copied, in order.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl CopyTarget for Recorder {
    fn plan(&self) -> CopyPlan {
        CopyPlan {
            osc52: true,
            native: false,
        }
    }

    fn osc52(&self, text: &str, _terminal: &mut dyn std::io::Write) -> Result<String, String> {
        self.0.lock().unwrap().push(text.to_string());
        Ok("OSC 52".into())
    }

    fn native(&self, _text: &str) -> Result<String, String> {
        Err("no native clipboard in tests".into())
    }
}

/// The snapshot file: how many times it was saved.
#[derive(Default, Clone)]
struct SaveCount(Arc<AtomicUsize>);

impl SaveTarget for SaveCount {
    fn save(
        &self,
        _snap: orgtui::snapshot::OutgoingSnapshot<orgtui::tui::roster::SavedPerson>,
        _now: bool,
    ) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl Harness {
    async fn demo() -> Harness {
        Harness::with_org(
            Org::from_json(fake::DEMO_ORG_JSON).unwrap(),
            ProviderKind::Wps,
        )
        .await
    }

    async fn with_org(org: Org, provider: ProviderKind) -> Harness {
        Harness::start(org, provider, None).await
    }

    /// Start on `org`, first drawing from `snapshot` as the TUI does at launch.
    async fn start(
        org: Org,
        provider: ProviderKind,
        snapshot: Option<orgtui::snapshot::Snapshot>,
    ) -> Harness {
        let opts = FakeOptions {
            provider,
            ..FakeOptions::default()
        };
        Harness::start_with(org, opts, snapshot).await
    }

    /// Start on `org` served with `opts` (e.g. a contact range).
    async fn start_with(
        org: Org,
        opts: FakeOptions,
        snapshot: Option<orgtui::snapshot::Snapshot>,
    ) -> Harness {
        let off = IndexSettings {
            auto: false,
            ..IndexSettings::default()
        };
        Harness::start_indexing(org, opts, snapshot, off).await
    }

    /// The same with background indexing set as the config would (`index`).
    async fn start_indexing(
        org: Org,
        opts: FakeOptions,
        snapshot: Option<orgtui::snapshot::Snapshot>,
        index: IndexSettings,
    ) -> Harness {
        let provider = opts.provider;
        let server = fake::start(org, opts.clone(), ([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let profile = common::profile(
            provider,
            &server.base_url(),
            &opts.app_id,
            opts.app_secret.expose(),
        );
        let dir = orgtui::providers::connect(&profile).unwrap();
        let mut app = App::new("test · wps", KeyMap::default());
        app.update(Msg::Resize(100, 30));
        let (tx, rx) = unbounded_channel();
        let clipboard = Arc::new(Recorder::default());
        let saved = SaveCount::default();
        let store = Store {
            target: Box::new(saved.clone()),
            profile: "test".into(),
            provider: "wps".into(),
        };
        let exec = Executor::new(dir, tx, Schedule::InOrder, clipboard.clone(), Some(store));
        let mut h = Harness {
            app,
            exec,
            rx,
            queue: VecDeque::new(),
            clipboard,
            saved,
            quit: false,
            server: Some(server),
        };
        // As at launch: the departments and the first part of the people before the first
        // frame, the other parts after the server has answered (the late case: whatever
        // the server said meanwhile must win).
        let mut rest = None;
        if let Some(snap) = snapshot {
            let (head, mut people) = snap.split();
            h.queue
                .extend(orgtui::tui::persist::restore_head(&mut h.app, head));
            if let Some(part) = people.next() {
                let part = orgtui::tui::persist::people_records(part.unwrap());
                let fx = orgtui::tui::persist::restore_people(&mut h.app, part);
                h.queue.extend(fx);
            }
            h.app.restoring = true;
            rest = Some(people);
        }
        h.app.index = index;
        let fx = h.app.init();
        h.queue.extend(fx);
        h.settle().await;
        if let Some(people) = rest {
            for part in people {
                let part = orgtui::tui::persist::people_records(part.unwrap());
                h.send(Msg::Loaded(Box::new(Loaded::SnapshotPeople(part))))
                    .await;
            }
            h.send(Msg::Loaded(Box::new(Loaded::SnapshotDone(Ok(())))))
                .await;
            assert!(!h.app.restoring);
        }
        h
    }

    /// Perform effects with the browser's executor, in order, and feed their results back,
    /// until none are left.
    async fn settle(&mut self) {
        while let Some(e) = self.queue.pop_front() {
            let mut terminal = std::io::sink();
            if self.exec.perform(e, &self.app, &mut terminal).await == Flow::Quit {
                self.quit = true;
            }
            while let Ok(msg) = self.rx.try_recv() {
                let fx = self.app.update(msg);
                self.queue.extend(fx);
            }
            self.queue.extend(self.exec.after_update(&self.app));
        }
    }

    fn index(&self) -> &SearchIndex {
        self.exec.search_index().expect("matching in order")
    }

    fn copied(&self) -> Vec<String> {
        self.clipboard.0.lock().unwrap().clone()
    }

    fn saves(&self) -> usize {
        self.saved.0.load(Ordering::SeqCst)
    }

    async fn send(&mut self, msg: Msg) {
        let fx = self.app.update(msg);
        self.queue.extend(fx);
        self.settle().await;
    }

    /// Keys as text: each char is a key, `<Name>` is a named key.
    async fn keys(&mut self, keys: &str) {
        for code in common::screen::key_codes(keys) {
            self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
                .await;
        }
        // Let the debounces (details, server lookups) fire.
        for _ in 0..5 {
            self.send(Msg::Tick).await;
        }
    }

    fn selected(&self) -> Option<RowKind> {
        self.app.selected_kind()
    }

    fn select_dept(&self, id: &str) -> usize {
        self.app
            .tree
            .position(&RowKind::Dept(id.into()))
            .unwrap_or_else(|| panic!("{id} not visible"))
    }

    async fn goto_row(&mut self, i: usize) {
        self.keys("g").await;
        for _ in 0..i {
            self.send(Msg::Key(KeyEvent::new(
                KeyCode::Char('j'),
                KeyModifiers::NONE,
            )))
            .await;
        }
        self.keys("").await;
    }

    fn render(&self, w: u16, h: u16) -> String {
        common::screen::render(&self.app, w, h)
    }
}

fn demo_user(id: &str) -> serde_json::Value {
    let org: serde_json::Value = serde_json::from_str(fake::DEMO_ORG_JSON).unwrap();
    org["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id)
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn starts_with_the_root_open() {
    let h = Harness::demo().await;
    let rows = h.app.tree.rows();
    assert_eq!(rows[0].kind, RowKind::Dept("d00000".into()));
    assert!(
        rows.iter()
            .any(|r| r.kind == RowKind::Dept("d00001".into()))
    );
    // Sub-departments first, then members.
    let first_user = rows
        .iter()
        .position(|r| matches!(r.kind, RowKind::User { .. }))
        .unwrap();
    let last_dept = rows
        .iter()
        .rposition(|r| matches!(r.kind, RowKind::Dept(_)))
        .unwrap();
    assert!(last_dept < first_user);
    insta::assert_snapshot!("tree", h.render(100, 30));
}

#[tokio::test]
async fn expand_collapse_and_parent() {
    let mut h = Harness::demo().await;
    let i = h.select_dept("d00001");
    h.goto_row(i).await;
    let before = h.app.tree.rows().len();
    h.keys("l").await;
    let node = h.app.tree.node("d00001").unwrap();
    assert!(node.expanded && node.children_load.is_done() && node.members_load.is_done());
    assert_eq!(
        h.app.tree.rows().len(),
        before + node.children.len() + node.members.len()
    );
    // Into the department, then h goes back to the parent row, h again collapses it.
    h.keys("l").await;
    assert_eq!(h.app.selected, i + 1);
    h.keys("h").await;
    assert_eq!(h.selected(), Some(RowKind::Dept("d00001".into())));
    h.keys("h").await;
    assert_eq!(h.app.tree.rows().len(), before);
    assert_eq!(h.selected(), Some(RowKind::Dept("d00001".into())));
}

#[tokio::test]
async fn big_department_loads_every_page() {
    let mut h = Harness::demo().await;
    let i = h.select_dept("d00005");
    h.goto_row(i).await;
    h.keys("l").await;
    // Every page: the department's members, less the resigned, whom WPS listings leave out.
    let org: serde_json::Value = serde_json::from_str(fake::DEMO_ORG_JSON).unwrap();
    let listed = common::listed_on_wps(&org)
        .filter(|u| common::in_dept(u, "d00005"))
        .count();
    assert!(listed > 50, "more than one page");
    assert_eq!(h.app.tree.node("d00005").unwrap().members.len(), listed);
    // A department with more than 50 sub-departments.
    let i = h.select_dept("d00015");
    h.goto_row(i).await;
    h.keys("l").await;
    assert_eq!(h.app.tree.node("d00015").unwrap().children.len(), 60);
}

#[tokio::test]
async fn detail_pane_shows_everything_about_a_person() {
    let mut h = Harness::demo().await;
    let i = h.select_dept("d00001");
    h.goto_row(i).await;
    h.keys("lj").await;
    h.keys("jj").await;
    let Some(RowKind::User { id, .. }) = h.selected() else {
        panic!("a person is selected: {:?}", h.selected())
    };
    assert!(
        h.app.people.is_full(&id),
        "details fetched after the selection rests"
    );
    let user = h.app.user(&id).unwrap();
    let want = demo_user(&id);
    assert_eq!(user.email.as_deref(), want["email"].as_str());
    let leader = want["leader_id"].as_str().unwrap();
    let leader_name = demo_user(leader)["name"].as_str().unwrap().to_string();
    let screen = h.render(110, 30);
    assert!(screen.contains(&leader_name), "leader by name:\n{screen}");
    assert!(
        screen.contains("Acme 集团/研发中心"),
        "full path:\n{screen}"
    );
    insta::assert_snapshot!("detail", screen);
}

#[tokio::test]
async fn help_overlay_lists_keys() {
    let mut h = Harness::demo().await;
    h.keys("?").await;
    assert!(h.app.help);
    let screen = h.render(100, 37);
    for needle in ["copy", "leader", "search", "quit"] {
        assert!(
            screen.to_lowercase().contains(needle),
            "{needle}:\n{screen}"
        );
    }
    insta::assert_snapshot!("help", screen);
    h.keys("<Esc>").await;
    assert!(!h.app.help);
}

#[tokio::test]
async fn search_jumps_to_a_person_loading_the_way() {
    let mut h = Harness::demo().await;
    // Load 客户成功部's members so 张伟 (u000192) is known to search.
    let i = h.select_dept("d00005");
    h.goto_row(i).await;
    h.keys("l").await;
    h.keys("h").await;
    h.keys("h").await;
    h.keys("/张伟").await;
    assert_eq!(h.app.focus, Focus::Search);
    let rows = h.app.search.rows();
    assert!(
        rows.iter()
            .any(|r| matches!(r, ResultRow::Hit(hit) if hit.id == "u000192")),
        "{rows:?}"
    );
    let pos = rows
        .iter()
        .position(|r| matches!(r, ResultRow::Hit(hit) if hit.id == "u000192"))
        .unwrap();
    for _ in 0..pos {
        h.keys("<Down>").await;
    }
    h.keys("<Enter>").await;
    assert_eq!(h.app.focus, Focus::Tree);
    assert_eq!(
        h.selected(),
        Some(RowKind::User {
            id: "u000192".into(),
            dept: "d00005".into()
        })
    );
}

#[tokio::test]
async fn jump_to_someone_deep_in_unloaded_departments() {
    let mut h = Harness::demo().await;
    // u000015 leads 一致性小组 (d00014), six levels down; nothing below the root is loaded.
    h.keys("/u000015").await;
    let rows = h.app.search.rows();
    assert!(
        rows.contains(&ResultRow::UserId("u000015".into())),
        "{rows:?}"
    );
    h.keys("<Enter>").await;
    assert_eq!(
        h.selected(),
        Some(RowKind::User {
            id: "u000015".into(),
            dept: "d00014".into()
        })
    );
    // o jumps to their leader, in the parent department.
    let leader = demo_user("u000015")["leader_id"]
        .as_str()
        .unwrap()
        .to_string();
    h.keys("o").await;
    assert!(matches!(h.selected(), Some(RowKind::User { id, .. }) if id == leader));
}

#[tokio::test]
async fn pasted_emails_resolve_on_the_server() {
    let mut h = Harness::demo().await;
    let a = demo_user("u000300");
    let b = demo_user("u000007");
    let pasted = format!(
        "{}\nnobody@acme.example, {}",
        a["email"].as_str().unwrap(),
        b["email"].as_str().unwrap()
    );
    h.keys("/").await;
    let fx = h.app.paste(&pasted);
    h.queue.extend(fx);
    h.settle().await;
    h.keys("").await;
    let rows = h.app.search.rows();
    assert_eq!(
        rows[..3],
        [
            ResultRow::Email {
                email: a["email"].as_str().unwrap().into(),
                user: Some("u000300".into())
            },
            ResultRow::Email {
                email: "nobody@acme.example".into(),
                user: None
            },
            ResultRow::Email {
                email: b["email"].as_str().unwrap().into(),
                user: Some("u000007".into())
            },
        ]
    );
    let screen = h.render(100, 30);
    assert!(screen.contains("not found"), "{screen}");
}

#[tokio::test]
async fn copy_id_and_email() {
    let mut h = Harness::demo().await;
    h.keys("y").await;
    assert_eq!(h.copied(), vec!["d00000".to_string()]);
    let first_user = h
        .app
        .tree
        .rows()
        .iter()
        .position(|r| matches!(r.kind, RowKind::User { .. }))
        .unwrap();
    h.goto_row(first_user).await;
    h.keys("yY").await;
    let Some(RowKind::User { id, .. }) = h.selected() else {
        panic!()
    };
    let email = demo_user(&id)["email"].as_str().unwrap().to_string();
    assert_eq!(h.copied()[1..], [id, email.clone()]);
    let screen = h.render(140, 30);
    assert!(
        screen.contains(&format!("copied email {email}")),
        "{screen}"
    );
}

#[tokio::test]
async fn failed_load_shows_on_the_node_and_r_retries() {
    let mut h = Harness::demo().await;
    let i = h.select_dept("d00002");
    // The server goes away: expanding fails, and the error sits on that department.
    let server = h.server.take().unwrap();
    let addr = server.addr;
    drop(server);
    h.goto_row(i).await;
    h.keys("l").await;
    let node = h.app.tree.node("d00002").unwrap();
    assert!(node.error().is_some());
    let screen = h.render(100, 30);
    assert!(screen.contains("r: retry"), "{screen}");
    insta::assert_snapshot!(
        "error_node",
        screen.replace(&addr.port().to_string(), "PORT")
    );
    // Back up on the same address: r reloads.
    let org = Org::from_json(fake::DEMO_ORG_JSON).unwrap();
    let opts = FakeOptions::default();
    h.server = Some(fake::start(org, opts, addr).await.unwrap());
    h.keys("r").await;
    let node = h.app.tree.node("d00002").unwrap();
    assert!(node.error().is_none() && node.members_load.is_done());
}

#[tokio::test]
async fn narrow_terminal_keeps_its_layout() {
    let mut h = Harness::demo().await;
    for (w, h_) in [(50, 24), (30, 10), (8, 4)] {
        h.send(Msg::Resize(w, h_)).await;
        let screen = h.render(w, h_);
        assert_eq!(screen.lines().count(), usize::from(h_));
    }
    h.send(Msg::Resize(50, 24)).await;
    insta::assert_snapshot!("narrow", h.render(50, 24));
}

#[tokio::test]
async fn escape_sequences_in_names_are_harmless() {
    let org = serde_json::json!({
        "depts": [{"id": "r", "name": "Root\u{1b}[2J", "parent_id": null, "leader_ids": ["e"]}],
        "users": [{"id": "e", "name": "Evil\u{1b}]52;c;aGk=\u{7}Name", "email": "e@x.example", "title": "\u{1b}[31mred", "dept_ids": ["r"]}]
    });
    let org = Org::from_json(&org.to_string()).unwrap();
    let mut h = Harness::with_org(org, ProviderKind::Wps).await;
    h.keys("j").await;
    let screen = h.render(100, 20);
    assert!(
        !screen.contains('\u{1b}') && !screen.contains('\u{7}'),
        "{screen:?}"
    );
    assert!(screen.contains("Evil"), "{screen}");
}

#[tokio::test]
async fn quit_keys() {
    let mut h = Harness::demo().await;
    h.keys("q").await;
    assert!(h.quit);
    let mut h = Harness::demo().await;
    h.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )))
    .await;
    assert!(h.quit);
}

#[tokio::test]
async fn mouse_click_selects_and_wheel_scrolls() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut h = Harness::demo().await;
    let mouse = |kind, column, row| {
        Msg::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // The tree's first row is at y=4 (3 for the search box, 1 for the border).
    h.send(mouse(MouseEventKind::Down(MouseButton::Left), 5, 4 + 2))
        .await;
    assert_eq!(h.app.selected, 2);
    h.send(mouse(MouseEventKind::ScrollDown, 5, 10)).await;
    assert_eq!(h.app.selected, 5);
    h.send(mouse(MouseEventKind::ScrollUp, 5, 10)).await;
    assert_eq!(h.app.selected, 2);
    // A click in the search box focuses it.
    h.send(mouse(MouseEventKind::Down(MouseButton::Left), 5, 1))
        .await;
    assert_eq!(h.app.focus, Focus::Search);
}

#[tokio::test]
async fn no_color_draws_without_colours() {
    use ratatui::style::Color;
    let mut h = Harness::demo().await;
    let colours = |h: &Harness| {
        let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
        t.draw(|f| orgtui::tui::ui::draw(f, &h.app)).unwrap();
        t.backend()
            .buffer()
            .content()
            .iter()
            .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
            .count()
    };
    assert!(colours(&h) > 0);
    h.app.no_color = true;
    assert_eq!(colours(&h), 0);
}

#[tokio::test]
async fn enter_before_results_acts_on_the_full_query() {
    let mut h = Harness::demo().await;
    // Type without letting searches finish, then press Enter: the app must wait for the
    // results of the whole query rather than act on a prefix's.
    for c in "/Jack Schmidt".chars() {
        let fx = h.app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
        h.queue.extend(
            fx.into_iter()
                .filter(|e| !matches!(e, Effect::Search { .. })),
        );
    }
    let fx = h
        .app
        .update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    assert!(fx.is_empty());
    assert_eq!(h.app.focus, Focus::Search);
    // Now the last query's results arrive (searches for prefixes were dropped above).
    let generation = h.app.search.generation;
    h.settle().await;
    let hits = Searcher::new().search(h.index(), "Jack Schmidt", SEARCH_LIMIT);
    let want = hits[0].id.clone();
    h.send(Msg::SearchDone { generation, hits }).await;
    assert_eq!(h.app.focus, Focus::Tree);
    assert!(matches!(h.selected(), Some(RowKind::User { id, .. }) if id == want));
}

#[tokio::test]
async fn search_by_pinyin_and_initials() {
    let mut h = Harness::demo().await;
    let i = h.select_dept("d00005");
    h.goto_row(i).await;
    h.keys("l").await;
    for query in ["zhangwei", "zhang wei", "zw"] {
        h.keys("<Esc>/").await;
        h.keys(query).await;
        let rows = h.app.search.rows();
        let hit = rows.iter().find_map(|r| match r {
            ResultRow::Hit(hit) if hit.id == "u000192" => Some(hit.clone()),
            _ => None,
        });
        let hit = hit.unwrap_or_else(|| panic!("{query}: 张伟 not found in {rows:?}"));
        assert_eq!(
            hit.name_positions,
            vec![0, 1],
            "{query}: both characters highlighted"
        );
    }
    insta::assert_snapshot!("search_pinyin", h.render(100, 30));
}

#[tokio::test]
async fn a_loads_everything_so_search_covers_the_whole_org() {
    let mut h = Harness::demo().await;
    // Someone deep in a department nobody opened is not searchable yet.
    h.keys("/u000015").await;
    h.keys("<Esc>").await;
    let before = h.index().len();
    h.keys("a").await;
    assert!(h.app.crawl.is_none(), "crawl finished");
    assert_eq!(h.saves(), 1, "what was loaded is saved");
    let org: serde_json::Value = serde_json::from_str(fake::DEMO_ORG_JSON).unwrap();
    // WPS listings leave resigned people out.
    let people = common::listed_on_wps(&org).count();
    let depts = org["depts"].as_array().unwrap().len();
    assert!(
        h.index().len() >= people + depts - 1,
        "{} < {}",
        h.index().len(),
        people + depts
    );
    assert!(h.index().len() > before);
    // Departments were loaded but not opened: the tree on screen did not change shape.
    assert!(!h.app.tree.node("d00014").unwrap().expanded);
    assert!(h.app.tree.node("d00014").unwrap().members_load.is_done());
    let screen = h.render(140, 30);
    assert!(
        screen.contains(&format!("loaded {depts} departments")),
        "{screen}"
    );
    // 张伟 is found by pinyin without opening anything.
    h.keys("/zhangwei").await;
    assert!(
        h.app
            .search
            .rows()
            .iter()
            .any(|r| matches!(r, ResultRow::Hit(hit) if hit.id == "u000192"))
    );
}

#[tokio::test]
async fn starts_from_the_snapshot_and_revalidation_replaces_what_changed() {
    // Last session: the demo org, 研发中心 opened, a person's details read.
    let mut h = Harness::demo().await;
    let i = h.select_dept("d00001");
    h.goto_row(i).await;
    h.keys("l").await;
    h.keys("jj").await;
    let snap = orgtui::tui::persist::capture(&h.app, "test", "wps");
    let bytes_dir = tempfile::tempdir().unwrap();
    let path = bytes_dir.path().join("t.snap");
    orgtui::snapshot::save(&path, &snap).unwrap();
    let snap = orgtui::snapshot::load(&path).unwrap();

    // Meanwhile on the server: 产品部 is renamed and someone left 研发中心's top level.
    let mut file: orgtui::fake::OrgFile = serde_json::from_str(fake::DEMO_ORG_JSON).unwrap();
    for d in &mut file.depts {
        if d.id == "d00002" {
            d.name = Some("产品与设计部".into());
        }
    }
    let gone = h
        .app
        .tree
        .node("d00001")
        .unwrap()
        .members
        .last()
        .unwrap()
        .clone();
    file.users.retain(|u| u.id != gone);
    let org = Org::new(file).unwrap();

    // The new session draws the snapshot before any answer arrives...
    let mut app = App::new("t", KeyMap::default());
    app.update(Msg::Resize(100, 30));
    orgtui::tui::persist::restore(&mut app, snap.clone());
    assert!(app.tree.node("d00001").unwrap().members.contains(&gone));
    assert_eq!(
        app.tree.node("d00002").unwrap().dept.name.as_deref(),
        Some("产品部")
    );
    assert!(app.snapshot_age.is_some());

    // ...and once the server answers, what changed replaces what was shown.
    let mut h = Harness::start(org, ProviderKind::Wps, Some(snap)).await;
    assert_eq!(
        h.app.tree.node("d00002").unwrap().dept.name.as_deref(),
        Some("产品与设计部")
    );
    // 研发中心 was open in the snapshot? Only the root is opened at start; opening it
    // shows the snapshot's list at once and refreshes it.
    let i = h.select_dept("d00001");
    h.goto_row(i).await;
    let selected = h.selected();
    h.keys("l").await;
    assert!(!h.app.tree.node("d00001").unwrap().members.contains(&gone));
    assert_eq!(h.selected(), selected, "the selection did not move");
}

/// The snapshot's people arrive after the first frame, possibly after the server has already
/// answered: what the server said is newer and must stay.
#[test]
fn snapshot_people_arriving_late_never_replace_fresher_records() {
    use orgtui::model::{Dept, DeptRef, Page, User};
    use orgtui::snapshot::{SnapDept, SnapUser, Snapshot};
    let person = |id: &str, name: &str, detailed: bool| SnapUser {
        user: User {
            id: id.into(),
            name: Some(name.into()),
            title: Some("old title".into()),
            depts: vec![DeptRef {
                id: "d0".into(),
                name: Some("Root".into()),
                path: Some("Root".into()),
            }],
            ..User::default()
        },
        detailed,
    };
    let snap = Snapshot {
        root: Some("d0".into()),
        depts: vec![SnapDept {
            dept: Dept {
                id: "d0".into(),
                name: Some("Root".into()),
                ..Dept::default()
            },
            children: Some(vec![]),
            members: Some(vec!["u1".into(), "u2".into(), "u3".into()]),
        }],
        users: vec![
            person("u1", "Old One", true),
            person("u2", "Old Two", false),
            person("u3", "Three", true),
        ],
        ..Snapshot::default()
    };
    let (head, people) = snap.split();
    let mut app = App::new("t", KeyMap::default());
    orgtui::tui::persist::restore_head(&mut app, head);
    app.restoring = true;
    // The server's listing of the root comes first, with new names and no departments.
    let listed = |id: &str, name: &str| User {
        id: id.into(),
        name: Some(name.into()),
        ..User::default()
    };
    app.update(Msg::Loaded(Box::new(Loaded::Members {
        dept: "d0".into(),
        result: Ok(Page {
            items: vec![listed("u1", "New One"), listed("u2", "New Two")],
            next_page: None,
            total: None,
        }),
    })));
    let mut indexed = Vec::new();
    for part in people {
        let part = orgtui::tui::persist::people_records(part.unwrap());
        for e in app.update(Msg::Loaded(Box::new(Loaded::SnapshotPeople(part)))) {
            if let Effect::IndexAdd(cands) = e {
                indexed.extend(cands);
            }
        }
    }
    // Search gets each person as now stored: never the snapshot's older name.
    let names: Vec<(&str, &str)> = indexed
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str()))
        .collect();
    assert!(names.contains(&("u1", "New One")), "{names:?}");
    assert!(names.contains(&("u3", "Three")), "{names:?}");
    assert!(
        !names.iter().any(|(_, n)| n.starts_with("Old")),
        "{names:?}"
    );
    app.update(Msg::Loaded(Box::new(Loaded::SnapshotDone(Ok(())))));
    assert!(!app.restoring);
    let u1 = app.user("u1").unwrap();
    assert_eq!(u1.name.as_deref(), Some("New One"));
    // What the listing left out still comes from the snapshot's full record.
    assert_eq!(u1.title.as_deref(), Some("old title"));
    assert_eq!(u1.depts.len(), 1);
    assert_eq!(app.user("u2").unwrap().name.as_deref(), Some("New Two"));
    assert_eq!(app.user("u3").unwrap().name.as_deref(), Some("Three"));
    assert!(app.people.is_full("u1") && !app.people.is_full("u2"));
    assert_eq!(app.people.len(), 3);
    // Saved again, everyone is there, the full records as full ones.
    let again = orgtui::tui::persist::capture(&app, "t", "wps");
    let mut saved: Vec<_> = again
        .users
        .iter()
        .map(|u| (u.user.id.as_str(), u.detailed))
        .collect();
    saved.sort();
    assert_eq!(saved, [("u1", true), ("u2", false), ("u3", true)]);
}

/// A snapshot read only in part (a damaged part further on) is said so, and its listings are
/// not saved again as complete: the next start fetches them instead of trusting a hole.
#[test]
fn a_snapshot_read_in_part_is_not_saved_as_whole() {
    use orgtui::model::{Dept, User};
    use orgtui::snapshot::{SnapDept, SnapUser, Snapshot};
    let ids: Vec<String> = (0..600).map(|i| format!("u{i}")).collect();
    let snap = Snapshot {
        root: Some("d0".into()),
        depts: vec![
            SnapDept {
                dept: Dept {
                    id: "d0".into(),
                    ..Dept::default()
                },
                children: Some(vec!["d1".into()]),
                members: Some(ids[..500].to_vec()),
            },
            SnapDept {
                dept: Dept {
                    id: "d1".into(),
                    parent_id: Some("d0".into()),
                    ..Dept::default()
                },
                children: Some(vec![]),
                members: Some(ids[500..].to_vec()),
            },
        ],
        users: ids
            .iter()
            .map(|id| SnapUser {
                user: User {
                    id: id.clone(),
                    ..User::default()
                },
                detailed: false,
            })
            .collect(),
        ..Snapshot::default()
    };
    let (head, mut people) = snap.split();
    let mut app = App::new("t", KeyMap::default());
    orgtui::tui::persist::restore_head(&mut app, head);
    app.restoring = true;
    // The first part (512 people: all of d0's, a few of d1's) arrives; the next is damaged.
    let first = orgtui::tui::persist::people_records(people.next().unwrap().unwrap());
    app.update(Msg::Loaded(Box::new(Loaded::SnapshotPeople(first))));
    app.update(Msg::Loaded(Box::new(Loaded::SnapshotDone(Err(
        "corrupt snapshot: checksum mismatch in the people".into(),
    )))));
    assert!(!app.restoring);
    let (msg, _) = app.message.clone().expect("a message");
    assert!(msg.contains("snapshot partly read"), "{msg}");
    let saved = orgtui::tui::persist::capture(&app, "t", "wps");
    let listing = |id: &str| {
        saved
            .depts
            .iter()
            .find(|d| d.dept.id == id)
            .and_then(|d| d.members.clone())
    };
    assert_eq!(listing("d0").map(|m| m.len()), Some(500));
    assert_eq!(listing("d1"), None, "d1 lost people: not complete any more");
    assert_eq!(saved.users.len(), 512);
}

/// An app limited to its contact range opens on the stand-in root: the granted departments
/// (one deep in the tree, one a sibling subtree), the person granted directly marked, and
/// the status bar saying why the view is partial.
async fn limited_app(provider: ProviderKind) -> Harness {
    let org = Org::from_json(fake::DEMO_ORG_JSON).unwrap();
    // d00012 sits two levels down, d00002 is a top-level department of its own, and the
    // person granted directly sits outside both.
    let deep = org.dept("d00012").unwrap().clone();
    assert!(
        org.dept(deep.parent_id.as_deref().unwrap())
            .unwrap()
            .parent_id
            .is_some()
    );
    let mut granted: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut todo = vec!["d00012".to_string(), "d00002".to_string()];
    while let Some(id) = todo.pop() {
        if granted.insert(id.clone()) {
            todo.extend(org.children(&id).iter().map(|c| c.id.clone()));
        }
    }
    let outside = org
        .users()
        .iter()
        .find(|u| u.dept_ids.iter().all(|d| !granted.contains(d)))
        .unwrap()
        .id
        .clone();
    let opts = FakeOptions {
        provider,
        scope: Some(vec!["d00012".into(), "d00002".into(), outside.clone()]),
        ..FakeOptions::default()
    };
    let mut h = Harness::start_with(org, opts, None).await;
    assert!(h.app.limited_by_range());
    let rows = h.app.tree.rows();
    assert_eq!(
        rows[0].kind,
        RowKind::Dept(orgtui::model::RANGE_ROOT_ID.into())
    );
    let tops: Vec<&RowKind> = rows
        .iter()
        .filter(|r| r.depth == 1)
        .map(|r| &r.kind)
        .collect();
    assert!(tops.contains(&&RowKind::Dept("d00012".into())), "{tops:?}");
    assert!(tops.contains(&&RowKind::Dept("d00002".into())), "{tops:?}");
    assert!(tops.contains(&&RowKind::User {
        id: outside.clone(),
        dept: orgtui::model::RANGE_ROOT_ID.into(),
    }));
    let screen = h.render(120, 30);
    assert!(
        screen.contains("limited by the app's contact range"),
        "{screen}"
    );
    assert!(screen.contains("Contact range"), "{screen}");
    assert!(screen.contains("granted directly"), "{screen}");
    // The granted department opens like any other.
    let i = h.select_dept("d00012");
    h.goto_row(i).await;
    h.keys("l").await;
    let node = h.app.tree.node("d00012").unwrap();
    assert!(node.members_load.is_done() && !node.members.is_empty());
    assert_eq!(
        node.dept.parent_id.as_deref(),
        Some(orgtui::model::RANGE_ROOT_ID)
    );
    // On the stand-in itself, the detail explains.
    h.goto_row(0).await;
    let screen = h.render(120, 30);
    assert!(screen.contains("only its contact range"), "{screen}");
    h
}

#[tokio::test]
async fn limited_app_wps() {
    let h = limited_app(ProviderKind::Wps).await;
    insta::assert_snapshot!("limited_range", h.render(100, 30));
}

#[tokio::test]
async fn limited_app_feishu() {
    limited_app(ProviderKind::Feishu).await;
}

// ---- background indexing ----

/// The app alone, as the runtime sets it up: `index` configured, maybe a snapshot this old,
/// maybe offline; then `init` and the server's root.
fn indexing_app(
    index: IndexSettings,
    snapshot_age: Option<std::time::Duration>,
    offline: bool,
) -> (App, Vec<Effect>) {
    let mut app = App::new("test · wps", KeyMap::default());
    app.update(Msg::Resize(100, 30));
    app.index = index;
    app.offline = offline;
    app.snapshot_age = snapshot_age;
    let mut fx = app.init();
    let root = orgtui::model::Dept {
        id: "root".into(),
        name: Some("Root".into()),
        ..Default::default()
    };
    fx.extend(app.update(Msg::Loaded(Box::new(Loaded::Root(Ok(root))))));
    (app, fx)
}

fn background_crawls(fx: &[Effect]) -> usize {
    fx.iter()
        .filter(|e| {
            matches!(
                e,
                Effect::Crawl {
                    background: true,
                    ..
                }
            )
        })
        .count()
}

fn key(app: &mut App, c: char) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

#[test]
fn background_index_starts_without_a_fresh_snapshot_only() {
    let hour = std::time::Duration::from_secs(3600);
    let on = IndexSettings::default();
    let off = IndexSettings { auto: false, ..on };
    let cases = [
        ("no snapshot", on, None, false, 1),
        (
            "a snapshot older than index_max_age",
            on,
            Some(25 * hour),
            false,
            1,
        ),
        ("a fresh snapshot", on, Some(hour), false, 0),
        ("index = off", off, None, false, 0),
        ("offline", on, None, true, 0),
        ("offline with an old snapshot", on, Some(48 * hour), true, 0),
    ];
    for (what, index, age, offline, crawls) in cases {
        let (app, fx) = indexing_app(index, age, offline);
        assert_eq!(background_crawls(&fx), crawls, "{what}: {fx:?}");
        assert_eq!(
            app.crawl.as_ref().is_some_and(|r| r.background),
            crawls == 1,
            "{what}"
        );
    }
    // The root's own listings are asked for before the index starts.
    let (_, fx) = indexing_app(on, None, false);
    let crawl_at = fx
        .iter()
        .position(|e| matches!(e, Effect::Crawl { .. }))
        .unwrap();
    assert!(
        fx[..crawl_at]
            .iter()
            .any(|e| matches!(e, Effect::Request(_))),
        "{fx:?}"
    );
    // A shorter index_max_age makes the same snapshot old; a second root answer (the root
    // checked again) does not start a second index.
    let short = IndexSettings {
        max_age: hour / 2,
        ..on
    };
    let (mut app, fx) = indexing_app(short, Some(hour), false);
    assert_eq!(background_crawls(&fx), 1);
    let root = app.tree.node("root").unwrap().dept.clone();
    let again = app.update(Msg::Loaded(Box::new(Loaded::Root(Ok(root)))));
    assert_eq!(background_crawls(&again), 0, "{again:?}");
}

#[test]
fn p_pauses_and_resumes_the_index_and_esc_cancels_it() {
    let (mut app, _) = indexing_app(IndexSettings::default(), None, false);
    assert_eq!(key(&mut app, 'p'), vec![Effect::PauseCrawl(true)]);
    assert!(app.crawl.as_ref().unwrap().paused);
    let mut t = Terminal::new(TestBackend::new(120, 30)).unwrap();
    t.draw(|f| orgtui::tui::ui::draw(f, &app)).unwrap();
    let screen = format!("{:?}", t.backend().buffer());
    assert!(screen.contains("indexing paused"), "{screen}");
    assert_eq!(key(&mut app, 'p'), vec![Effect::PauseCrawl(false)]);
    assert!(!app.crawl.as_ref().unwrap().paused);
    // `a` while indexing makes it the user's crawl: every slot, no second crawl.
    assert_eq!(key(&mut app, 'a'), vec![Effect::HurryCrawl]);
    assert!(!app.crawl.as_ref().unwrap().background);
    assert!(key(&mut app, 'a').is_empty(), "already loading");
    let fx = app.update(Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    assert_eq!(fx, vec![Effect::CancelCrawl]);
    app.update(Msg::Loaded(Box::new(Loaded::CrawlDone(Err(
        "cancelled".into()
    )))));
    assert!(app.crawl.is_none());
    // Nothing to pause now.
    assert!(key(&mut app, 'p').is_empty());
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .0
            .contains("nothing is loading")
    );
}

#[test]
fn search_says_it_covers_part_of_the_org_while_indexing() {
    let (mut app, _) = indexing_app(IndexSettings::default(), None, false);
    let note = app.coverage_note().expect("a note while indexing");
    assert!(
        note.starts_with("searching 0 people so far — indexing"),
        "{note}"
    );
    key(&mut app, '/');
    key(&mut app, 'z');
    let render = |app: &App| {
        let mut t = Terminal::new(TestBackend::new(120, 30)).unwrap();
        t.draw(|f| orgtui::tui::ui::draw(f, app)).unwrap();
        format!("{:?}", t.backend().buffer())
    };
    assert!(
        render(&app).contains("so far — indexing 0/1"),
        "{}",
        render(&app)
    );
    // Progress updates the counts and runs the query again over the grown index.
    let view = orgtui::crawl::ProgressView {
        depts_known: 40,
        depts_listed: 12,
        depts_done: 12,
        people: 1234,
        people_expected: Some(5000),
        requests: 30,
        elapsed: std::time::Duration::from_secs(2),
    };
    let fx = app.update(Msg::Loaded(Box::new(Loaded::CrawlProgress(view))));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Search { query, .. } if query == "z")),
        "{fx:?}"
    );
    assert!(
        app.coverage_note()
            .unwrap()
            .contains("indexing 12/40 departments")
    );
    assert!(
        render(&app).contains("1,234 of ~5,000 people"),
        "the status bar counts, with the server's total: {}",
        render(&app)
    );
    // 1,234 of 5,000 people in 2 s: the people are the slower part, 6 s to go.
    assert!(render(&app).contains("6 s left"), "{}", render(&app));
    // A page of the company-wide listing is searchable before its departments are placed.
    let page = vec![User {
        id: "streamed-1".into(),
        name: Some("Zed Streamed".into()),
        ..User::default()
    }];
    let fx = app.update(Msg::Loaded(Box::new(Loaded::CrawlPeople(page))));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::IndexAdd(c) if c.iter().any(|c| c.id == "streamed-1"))),
        "{fx:?}"
    );
    assert!(app.people.contains("streamed-1"));
    let fx = app.update(Msg::Loaded(Box::new(Loaded::CrawlDone(Ok(view)))));
    assert!(fx.contains(&Effect::SaveSnapshot), "{fx:?}");
    assert_eq!(app.coverage_note(), None);
    assert!(!render(&app).contains("so far"));
}

#[tokio::test]
async fn a_start_with_no_snapshot_indexes_everyone_and_saves() {
    let org = Org::from_json(fake::DEMO_ORG_JSON).unwrap();
    let opts = FakeOptions {
        provider: ProviderKind::Wps,
        ..FakeOptions::default()
    };
    let h = Harness::start_indexing(org, opts, None, IndexSettings::default()).await;
    assert!(h.app.crawl.is_none(), "the index ran to its end");
    assert_eq!(h.saves(), 1, "the snapshot keeps it");
    let org: serde_json::Value = serde_json::from_str(fake::DEMO_ORG_JSON).unwrap();
    let people = common::listed_on_wps(&org).count();
    assert!(h.index().len() >= people, "{} < {people}", h.index().len());
    let msg = &h.app.message.as_ref().unwrap().0;
    assert!(msg.starts_with("loaded "), "{msg}");
    // The company-wide user listing, not a members listing for every department: under two
    // requests a department (a children listing each, and a page per 50 people).
    let depts = org["depts"].as_array().unwrap().len() as u64;
    let requests = h
        .server
        .as_ref()
        .unwrap()
        .state
        .stats
        .requests
        .load(Ordering::Relaxed);
    let bound = depts + (people as u64).div_ceil(50) + 10;
    assert!(
        requests <= bound,
        "{requests} requests for {depts} departments, {people} people"
    );
}

#[tokio::test]
async fn search_words_in_any_order_with_filters_and_rows_that_say_where() {
    let mut h = Harness::demo().await;
    let i = h.select_dept("d00005");
    h.goto_row(i).await;
    h.keys("l").await;
    h.keys("/wei zhang in:kehu is:active").await;
    let rows = h.app.search.rows();
    let ids: Vec<&str> = rows
        .iter()
        .filter_map(|r| match r {
            ResultRow::Hit(hit) => Some(hit.id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(ids, ["u000192"], "{rows:?}");
    let screen = h.render(100, 30);
    assert!(
        screen.contains("张伟  销售经理 · Acme 集团/客户成功部"),
        "{screen}"
    );
    insta::assert_snapshot!("search_words_filters", screen);
    // An unknown status is shown as a hint, and nothing matches.
    h.keys("<Esc>/zhang is:gone").await;
    let screen = h.render(100, 30);
    assert!(screen.contains("✗ unknown status is:gone"), "{screen}");
    assert!(h.app.search.hits.is_empty());
}

/// Issue 12: the previous snapshot lacked 张伟 (u000192) and had Anna Brown (u000015) under
/// another title; the browser, started from the current one, lists both changes under `C`,
/// marks 张伟 as new, and Enter on the join jumps to him in the tree.
#[tokio::test]
async fn changes_since_the_previous_snapshot_list_and_jump() {
    let mut h = Harness::demo().await;
    h.keys("a").await;
    let mut current = orgtui::tui::persist::capture(&h.app, "test", "wps");
    assert!(current.is_complete());
    current.saved_at = 1_764_669_600; // 2025-12-02 10:00 UTC
    let mut previous = current.clone();
    previous.saved_at = 1_764_064_800; // 2025-11-25 10:00 UTC
    previous.users.retain(|u| u.user.id != "u000192");
    for d in &mut previous.depts {
        if let Some(m) = d.members.as_mut() {
            m.retain(|id| id != "u000192");
        }
    }
    for u in &mut previous.users {
        if u.user.id == "u000015" {
            u.user.title = Some("主管".into());
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.snap");
    orgtui::snapshot::save(&orgtui::snapshot::previous_path(&path), &previous).unwrap();
    orgtui::snapshot::save(&path, &current).unwrap();
    let diff = orgtui::diff::since_previous(&path).unwrap();
    assert_eq!(diff.joined.len(), 1);
    assert_eq!(diff.changed.len(), 1);

    let snap = orgtui::snapshot::load(&path).unwrap();
    let org = Org::from_json(fake::DEMO_ORG_JSON).unwrap();
    let mut h = Harness::start(org, ProviderKind::Wps, Some(snap)).await;
    // Before the diff arrives the view says there is nothing to compare with.
    h.keys("C").await;
    assert!(h.render(100, 30).contains("no previous snapshot"));
    h.keys("<Esc>").await;
    h.send(Msg::Loaded(Box::new(Loaded::Changes(Ok(diff)))))
        .await;
    h.keys("C").await;
    let screen = h.render(100, 30);
    insta::assert_snapshot!("changes", screen);
    assert!(
        screen.contains("Changes since 2025-11-25 10:00 UTC"),
        "{screen}"
    );
    assert!(screen.contains("张伟 · 销售经理"), "{screen}");
    assert!(screen.contains("Anna Brown title: 主管 → 经理"), "{screen}");
    // Enter on the join: the view closes and 张伟 is selected in the tree, marked new.
    h.keys("<Enter>").await;
    assert!(h.app.changes_view.is_none());
    assert!(
        matches!(h.selected(), Some(RowKind::User { ref id, .. }) if id == "u000192"),
        "{:?}",
        h.selected()
    );
    let screen = h.render(100, 30);
    assert!(
        screen.lines().any(|l| l.contains("+ 张伟")),
        "the tree marks the newcomer: {screen}"
    );
    assert!(screen.contains("+ new since 2025-11-25 10:00"), "{screen}");
    // Someone long there has no mark.
    assert!(!h.app.is_new("u000015"));
}
