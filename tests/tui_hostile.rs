//! The browser against the hostile server: a department listed under its own descendant,
//! and listings that repeat their page token or never end. The real app and the real WPS
//! client, drawn on ratatui's TestBackend; every request the app asks for is made, up to a
//! bound, so an app that would ask forever fails the test instead of hanging it.

mod common;

use std::collections::VecDeque;
use std::sync::Arc;

use common::hostile::{Hostile, wps_dept, wps_org};
use orgtui::directory::ProviderKind;
use orgtui::tui::app::{App, Effect, Msg};
use orgtui::tui::clipboard::{ClipboardMode, SystemClipboard, TermEnv};
use orgtui::tui::keys::KeyMap;
use orgtui::tui::runtime::executor::{Executor, Schedule};
use orgtui::tui::tree_model::RowKind;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// More effects than any of these orgs needs: past it the app is asking forever.
const MAX_EFFECTS: usize = 500;

struct Harness {
    app: App,
    exec: Executor,
    rx: UnboundedReceiver<Msg>,
    queue: VecDeque<Effect>,
    effects: usize,
}

impl Harness {
    async fn start(server: &Hostile) -> Harness {
        let profile = common::profile(
            ProviderKind::Wps,
            &server.url,
            common::APP_ID,
            common::APP_SECRET,
        );
        let dir = orgtui::providers::connect(&profile).unwrap();
        let mut app = App::new("test · wps", KeyMap::default());
        app.update(Msg::Resize(100, 30));
        let (tx, rx) = unbounded_channel();
        // Nothing here copies or saves: the clipboard is off and there is no snapshot.
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
        };
        let fx = h.app.init();
        h.queue.extend(fx);
        h.settle().await;
        h
    }

    /// Perform the effects asked for (and those their results ask for) with the browser's
    /// executor, in order, until none are left, failing past `MAX_EFFECTS`.
    async fn settle(&mut self) {
        while let Some(e) = self.queue.pop_front() {
            self.effects += 1;
            assert!(
                self.effects <= MAX_EFFECTS,
                "the app keeps asking: {} effects so far",
                self.effects
            );
            let mut terminal = std::io::sink();
            self.exec.perform(e, &self.app, &mut terminal).await;
            while let Ok(msg) = self.rx.try_recv() {
                let fx = self.app.update(msg);
                self.queue.extend(fx);
            }
            let fx = self.exec.after_update(&self.app);
            self.queue.extend(fx);
        }
    }

    async fn key(&mut self, c: char) {
        let fx = self.app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
        self.queue.extend(fx);
        self.settle().await;
    }

    /// Select department `id`'s row and open it with `l`.
    async fn open(&mut self, id: &str) {
        let i = self
            .app
            .tree
            .position(&RowKind::Dept(id.into()))
            .unwrap_or_else(|| panic!("{id} not visible"));
        self.key('g').await;
        for _ in 0..i {
            self.key('j').await;
        }
        self.key('l').await;
        for _ in 0..5 {
            let fx = self.app.update(Msg::Tick);
            self.queue.extend(fx);
            self.settle().await;
        }
    }

    fn render(&self) -> String {
        let (w, h) = (100, 30);
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| orgtui::tui::ui::draw(f, &self.app)).unwrap();
        let buf = t.backend().buffer();
        let mut out = String::new();
        for y in 0..h {
            for x in 0..w {
                out.push_str(buf[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }
}

/// d0 → d1 → d2 → {d3, d1, d0}: d2 lists two of its ancestors.
#[tokio::test]
async fn a_cycle_is_an_error_row_and_rows_stay_bounded() {
    let server = wps_org(|id, _| {
        let items = match id {
            "d0" => vec![wps_dept("d1", "d0")],
            "d1" => vec![wps_dept("d2", "d1")],
            "d2" => vec![
                wps_dept("d3", "d2"),
                wps_dept("d1", "d2"),
                wps_dept("d0", "d2"),
            ],
            _ => vec![],
        };
        (items, None, None)
    });
    let mut h = Harness::start(&server).await;
    h.open("d1").await;
    h.open("d2").await;
    let kinds: Vec<RowKind> = h.app.tree.rows().iter().map(|r| r.kind.clone()).collect();
    let dept = |id: &str| RowKind::Dept(id.into());
    let cycle = |child: &str| RowKind::Cycle {
        dept: "d2".into(),
        child: child.into(),
    };
    assert_eq!(
        kinds,
        [
            dept("d0"),
            dept("d1"),
            dept("d2"),
            dept("d3"),
            cycle("d1"),
            cycle("d0")
        ]
    );
    let screen = h.render();
    assert!(
        screen.contains("✗ cycle: d1 is its own ancestor")
            && screen.contains("✗ cycle: d0 is its own ancestor"),
        "{screen}"
    );
    // Opening everything again changes nothing, and the cycle was never followed.
    h.open("d3").await;
    assert_eq!(h.app.tree.rows().len(), 6);
    assert_eq!(server.count("/v7/depts/d1/children"), 1);
    // The detail pane's path of a department in the loop does not hang either.
    h.key('g').await;
    for _ in 0..4 {
        h.key('j').await;
    }
    let _ = h.render();
}

#[tokio::test]
async fn a_repeated_page_token_is_an_error_on_the_node() {
    let server = wps_org(|id, page| match id {
        "d0" => {
            // A page of its own each time, always naming the same next token.
            let n = if page.is_some() { "d2" } else { "d1" };
            (vec![wps_dept(n, "d0")], Some("same".into()), None)
        }
        _ => (vec![], None, None),
    });
    let h = Harness::start(&server).await;
    // The first page and the one its token names; that one repeats the token: no more.
    assert_eq!(server.count("/v7/depts/d0/children"), 2);
    let node = h.app.tree.node("d0").unwrap();
    let err = node.error().expect("the node carries the error");
    assert!(err.contains("repeated a page token"), "{err}");
    assert!(h.app.tree.rows().contains(&orgtui::tui::tree_model::Row {
        depth: 1,
        kind: RowKind::Error("d0".into())
    }));
    let screen = h.render();
    assert!(screen.contains("repeated a page token"), "{screen}");
    // What did arrive is shown.
    assert!(h.app.tree.position(&RowKind::Dept("d1".into())).is_some());
}

#[tokio::test]
async fn endless_pages_past_the_total_are_an_error_on_the_node() {
    let server = wps_org(|id, page| match id {
        "d0" => {
            let n: u64 = page.and_then(|p| p.parse().ok()).unwrap_or(0);
            (vec![], Some((n + 1).to_string()), Some(2))
        }
        _ => (vec![], None, None),
    });
    let h = Harness::start(&server).await;
    assert_eq!(server.count("/v7/depts/d0/children"), 4);
    let err = h.app.tree.node("d0").unwrap().error().unwrap().to_string();
    assert!(err.contains("did not end after 4 pages"), "{err}");
}
