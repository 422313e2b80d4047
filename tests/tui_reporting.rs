//! Leader chains and direct reports in the browser: the detail pane's "Reports to" and
//! "Direct reports", `o` walking up, and the `R` reporting-lines view. The real app and the
//! real WPS client against the in-process fake server, on an org with the shape of
//! tests/reporting.rs: a chain of eight (c0 at the top), a loop of three with one below it,
//! a person with no leader, one whose leader is not in the org, and a manager with 120
//! direct reports. Screens are rendered on ratatui's TestBackend (snapshots in
//! tests/snapshots/).

mod common;

use std::collections::VecDeque;
use std::sync::Arc;

use orgtui::directory::ProviderKind;
use orgtui::fake::{self, FakeOptions, Org};
use orgtui::tui::app::{App, Effect, Focus, Msg};
use orgtui::tui::clipboard::{ClipboardMode, SystemClipboard, TermEnv};
use orgtui::tui::keys::KeyMap;
use orgtui::tui::runtime::executor::{Executor, Schedule};
use orgtui::tui::tree_model::RowKind;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// More effects than loading this org needs: past it the app is asking forever.
const MAX_EFFECTS: usize = 2_000;
const MANY: usize = 120;

/// One person: id, name, title, leader, department.
type Person = (String, String, Option<String>, Option<String>, &'static str);

/// Everyone; all but the 120 reports sit in the root department.
fn people() -> Vec<Person> {
    let p = |id: &str, name: &str, title: Option<&str>, leader: Option<&str>| {
        (
            id.to_string(),
            name.to_string(),
            title.map(str::to_string),
            leader.map(str::to_string),
            "d0",
        )
    };
    let mut all = vec![p("c0", "王芳", Some("CEO"), None)];
    for i in 1..8 {
        let leader = format!("c{}", i - 1);
        all.push(p(
            &format!("c{i}"),
            &format!("Level {i}"),
            Some("Lead"),
            Some(&leader),
        ));
    }
    all.push(p("y1", "Yara", None, Some("y2")));
    all.push(p("y2", "Yusuf", Some("Ops"), Some("y3")));
    all.push(p("y3", "Yves", None, Some("y1")));
    all.push(p("y4", "Yoko", None, Some("y1")));
    all.push(p("solo", "Solo Person", Some("Advisor"), None));
    all.push(p("g1", "Ghosted", None, Some("ghost")));
    all.push(p("m", "Manager", Some("Head of Support"), Some("c3")));
    for i in 0..MANY {
        let mut r = p(
            &format!("r{i:03}"),
            &format!("Rep {:03}", (i * 37) % MANY),
            Some("Agent"),
            Some("m"),
        );
        r.4 = "d1";
        all.push(r);
    }
    all
}

fn org() -> Org {
    let users: Vec<_> = people()
        .into_iter()
        .map(|(id, name, title, leader, dept)| {
            json!({
                "id": id, "name": name, "email": format!("{id}@example.com"),
                "title": title, "status": "active", "leader_id": leader,
                "dept_ids": [dept],
            })
        })
        .collect();
    let file = json!({
        "depts": [
            {"id": "d0", "name": "Org", "parent_id": null},
            {"id": "d1", "name": "Support", "parent_id": "d0"},
        ],
        "users": users,
    });
    Org::from_json(&file.to_string()).unwrap()
}

struct Harness {
    app: App,
    exec: Executor,
    rx: UnboundedReceiver<Msg>,
    queue: VecDeque<Effect>,
    effects: usize,
    _server: fake::FakeServer,
}

impl Harness {
    /// The browser on the org, everyone loaded (`a`), so the leader graph is whole.
    async fn loaded() -> Harness {
        let opts = FakeOptions {
            provider: ProviderKind::Wps,
            ..FakeOptions::default()
        };
        let server = fake::start(org(), opts.clone(), ([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let profile = common::profile(
            ProviderKind::Wps,
            &server.base_url(),
            &opts.app_id,
            opts.app_secret.expose(),
        );
        let dir = orgtui::providers::connect(&profile).unwrap();
        let mut app = App::new("test · wps", KeyMap::default());
        app.update(Msg::Resize(110, 46));
        let (tx, rx) = unbounded_channel();
        let clipboard = SystemClipboard {
            mode: ClipboardMode::Off,
            env: TermEnv::default(),
        };
        let exec = Executor::new(dir, tx, Schedule::InOrder, Arc::new(clipboard), None);
        let mut h = Harness {
            app,
            exec,
            rx,
            queue: VecDeque::new(),
            effects: 0,
            _server: server,
        };
        let fx = h.app.init();
        h.queue.extend(fx);
        h.settle().await;
        h.keys("a").await;
        assert!(h.app.crawl.is_none(), "everyone loaded");
        assert_eq!(h.app.people.reporting().len(), people().len());
        h
    }

    async fn settle(&mut self) {
        while let Some(e) = self.queue.pop_front() {
            self.effects += 1;
            assert!(self.effects <= MAX_EFFECTS, "the app keeps asking");
            let mut terminal = std::io::sink();
            self.exec.perform(e, &self.app, &mut terminal).await;
            while let Ok(msg) = self.rx.try_recv() {
                let fx = self.app.update(msg);
                self.queue.extend(fx);
            }
            self.queue.extend(self.exec.after_update(&self.app));
        }
    }

    async fn send(&mut self, msg: Msg) {
        let fx = self.app.update(msg);
        self.queue.extend(fx);
        self.settle().await;
    }

    /// Keys as text: each char is a key, `<Name>` a named key; then the debounces fire.
    async fn keys(&mut self, keys: &str) {
        for code in common::screen::key_codes(keys) {
            self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
                .await;
        }
        for _ in 0..5 {
            self.send(Msg::Tick).await;
        }
    }

    fn selected_person(&self) -> Option<String> {
        match self.app.selected_kind() {
            Some(RowKind::User { id, .. }) => Some(id),
            _ => None,
        }
    }

    /// Select `id` in the tree, as a search result's Enter does.
    async fn select(&mut self, id: &str) {
        let name = self.app.people.reporting().name(id).unwrap().to_string();
        self.keys("/").await;
        for c in name.chars() {
            let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
            self.send(Msg::Key(key)).await;
        }
        self.keys("").await;
        self.keys("<Enter>").await;
        assert_eq!(self.selected_person().as_deref(), Some(id), "{name}");
    }

    fn render(&self, w: u16, h: u16) -> String {
        common::screen::render(&self.app, w, h)
    }
}

/// The detail pane's text: what is right of the two panes' borders.
fn detail(screen: &str) -> String {
    screen
        .lines()
        .filter_map(|l| l.split_once("││").map(|(_, r)| r.to_string()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn detail_pane_shows_the_whole_chain_and_o_walks_up() {
    let mut h = Harness::loaded().await;
    h.select("c7").await;
    let full = h.render(110, 46);
    let screen = detail(&full);
    let at = |s: &str| screen.find(s).unwrap_or_else(|| panic!("{s}:\n{screen}"));
    // Nearest first, up to the top.
    let order: Vec<usize> = (0..7)
        .rev()
        .map(|i| match i {
            0 => at("王芳  CEO"),
            i => at(&format!("Level {i}  Lead")),
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{screen}");
    assert!(screen.contains("Direct reports: 0"), "{screen}");
    insta::assert_snapshot!("reporting_chain", full);
    // `o` walks up the chain, one leader a press.
    for i in (0..7).rev() {
        h.keys("o").await;
        assert_eq!(h.selected_person(), Some(format!("c{i}")));
    }
    h.keys("o").await;
    assert_eq!(h.selected_person().as_deref(), Some("c0"), "the top stays");
}

#[tokio::test]
async fn a_loop_is_shown_once_and_never_followed() {
    let mut h = Harness::loaded().await;
    h.select("y4").await;
    let full = h.render(110, 46);
    let screen = detail(&full);
    assert_eq!(
        screen.matches("↻ loops back to Yara").count(),
        1,
        "{screen}"
    );
    assert_eq!(screen.matches("Yusuf").count(), 1, "{screen}");
    insta::assert_snapshot!("reporting_cycle", full);
    // Walking up the loop by hand goes round, one press at a time.
    for want in ["y1", "y2", "y3", "y1"] {
        h.keys("o").await;
        assert_eq!(h.selected_person().as_deref(), Some(want));
    }
    // The view on someone on the loop opens and ends.
    h.keys("R").await;
    let rows: Vec<String> = h
        .app
        .reports
        .as_ref()
        .unwrap()
        .rows()
        .iter()
        .map(|r| r.id.clone())
        .collect();
    // Name order: Yoko before Yves.
    assert_eq!(rows, ["y1", "y4", "y3"]);
    h.keys("jjl").await;
    let view = h.app.reports.as_ref().unwrap();
    let rows: Vec<&str> = view.rows().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(rows, ["y1", "y4", "y3", "y2"]);
    let notes: Vec<_> = view
        .rows()
        .iter()
        .filter_map(|r| r.loops_to.as_deref())
        .collect();
    assert_eq!(notes, ["y1"], "once, on Yusuf's row");
    assert!(h.render(110, 46).contains("Yusuf  Ops  (1 direct"));
}

#[tokio::test]
async fn a_manager_with_many_reports_shows_the_count_and_the_first_few() {
    let mut h = Harness::loaded().await;
    h.select("m").await;
    let screen = h.render(110, 46);
    assert!(
        screen.contains(&format!("Direct reports: {MANY}")),
        "{screen}"
    );
    for i in 0..5 {
        assert!(screen.contains(&format!("Rep {i:03}  Agent")), "{screen}");
    }
    assert!(!screen.contains("Rep 005"), "{screen}");
    assert!(
        screen.contains(&format!("… and {} more", MANY - 5)),
        "{screen}"
    );
    insta::assert_snapshot!("reporting_many", screen);
}

#[tokio::test]
async fn the_reporting_view_opens_expands_and_enter_jumps() {
    let mut h = Harness::loaded().await;
    h.select("c0").await;
    h.keys("R").await;
    assert!(h.app.reports.is_some());
    // Top row open on c1; down to c1 and open it.
    h.keys("jl").await;
    let screen = h.render(110, 46);
    assert!(
        screen.contains("▾ 王芳  CEO  (1 direct · 128 total)"),
        "{screen}"
    );
    assert!(screen.contains("Esc back to the tree"), "{screen}");
    insta::assert_snapshot!("reporting_view", screen);
    // Down to c2, Enter: the view closes and the tree's selection is c2.
    h.keys("j<Enter>").await;
    assert!(h.app.reports.is_none());
    assert_eq!(h.selected_person().as_deref(), Some("c2"));
    // Esc closes without moving.
    h.keys("R<Esc>").await;
    assert!(h.app.reports.is_none());
    assert_eq!(h.selected_person().as_deref(), Some("c2"));
}

/// In the search box R is typed; Ctrl-r opens the view on the highlighted result.
#[tokio::test]
async fn ctrl_r_opens_the_view_on_a_search_result() {
    let mut h = Harness::loaded().await;
    h.keys("/Manager").await;
    assert_eq!(h.app.search.input, "Manager");
    let ctrl_r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
    h.send(Msg::Key(ctrl_r)).await;
    let view = h.app.reports.as_ref().expect("open");
    assert_eq!(view.root, "m");
    assert_eq!(view.rows().len(), 1 + MANY);
    assert!(
        h.render(110, 46)
            .contains("Manager  Head of Support  (120 direct · 120 total)")
    );
    h.keys("q").await;
    assert!(h.app.reports.is_none(), "q closes the view, not the app");
    assert_eq!(h.app.focus, Focus::Search, "back to the results");
    assert_eq!(h.app.search.input, "Manager");
    // Enter in the view ends the search and jumps, as a result's Enter does.
    h.send(Msg::Key(ctrl_r)).await;
    h.keys("j<Enter>").await;
    assert_eq!(h.app.focus, Focus::Tree);
    assert!(!h.app.showing_results());
    let first = h.app.people.reporting().direct("m")[0].to_string();
    assert_eq!(h.selected_person(), Some(first));
}
