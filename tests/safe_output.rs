//! What orgtui writes is safe: CSV cells a spreadsheet would run as formulas are neutralized
//! and quoted as RFC 4180; JSON escapes C1, bidi, zero-width and separator characters; text
//! and the browser replace them; the snapshot, the org-file cache and the log are private
//! files (0600 in 0700 directories) written without following planted symlinks; the log
//! rotates at a size cap.

mod common;

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

/// Every character class that must never reach a terminal or a viewer raw: DEL, C1, the bidi
/// controls, the zero-width characters, and the line and paragraph separators.
const UNSAFE: &[char] = &[
    '\u{7f}', '\u{85}', '\u{9b}', '\u{9f}', '\u{61c}', '\u{200e}', '\u{200f}', '\u{202a}',
    '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
    '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{2028}', '\u{2029}',
];

/// `A` + each unsafe character followed by a letter, so every one sits inside a word.
fn hostile_text(tag: &str) -> String {
    let mut s = format!("{tag}:");
    for (i, c) in UNSAFE.iter().enumerate() {
        s.push(*c);
        s.push(char::from(b'a' + (i % 26) as u8));
    }
    s
}

fn assert_no_unsafe(what: &str, text: &str) {
    for c in UNSAFE {
        assert!(
            !text.contains(*c),
            "{what}: U+{:04X} raw in {text:?}",
            u32::from(*c)
        );
    }
}

/// An org whose names, titles and department names carry every unsafe character.
fn unsafe_org(dir: &Path) -> PathBuf {
    let org = serde_json::json!({
        "depts": [
            {"id": "root", "name": hostile_text("root"), "parent_id": null, "order": 0, "leader_ids": ["u1"]},
            {"id": "d1", "name": hostile_text("dept"), "parent_id": "root", "order": 1, "leader_ids": []}
        ],
        "users": [
            {"id": "u1", "name": hostile_text("name"), "email": "u1@x.example",
             "title": hostile_text("title"), "status": "active", "leader_id": null,
             "dept_ids": ["root", "d1"]},
            {"id": "u2", "name": "Plain", "email": "u2@x.example", "status": "active",
             "leader_id": "u1", "dept_ids": ["root"]}
        ]
    });
    let path = dir.join("unsafe.json");
    std::fs::write(&path, org.to_string()).unwrap();
    path
}

fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    stdout(out)
}

#[test]
fn text_output_replaces_unsafe_characters() {
    let home = scratch();
    let org = unsafe_org(home.path());
    let server = fake_server("wps", &org, &[]);
    for args in [
        &["user", "u1"][..],
        &["members", "root"],
        &["tree", "--members"],
        &["lookup", "u1@x.example"],
        &["user", "u2"],
    ] {
        let text = ok(&run(&server, home.path(), args));
        assert_no_unsafe(&format!("{args:?}"), &text);
        assert!(text.contains('\u{FFFD}'), "{args:?}: {text}");
    }
}

#[test]
fn json_escapes_unsafe_characters_and_keeps_the_values() {
    let home = scratch();
    let org = unsafe_org(home.path());
    let server = fake_server("wps", &org, &[]);

    let out = run(&server, home.path(), &["user", "u1", "--json"]);
    let text = ok(&out);
    assert_no_unsafe("user --json", &text);
    for esc in [
        "\\u0085", "\\u061c", "\\u202e", "\\u200b", "\\ufeff", "\\u2028", "\\u2029",
    ] {
        assert!(text.contains(esc), "{esc} missing: {text}");
    }
    let v = json(&out);
    assert_eq!(v["name"], hostile_text("name"));
    assert_eq!(v["title"], hostile_text("title"));

    let out = run(&server, home.path(), &["members", "d1", "--json"]);
    assert_no_unsafe("members --json", &ok(&out));
    assert_eq!(json(&out)[0]["name"], hostile_text("name"));

    let out = run(&server, home.path(), &["tree", "--json"]);
    assert_no_unsafe("tree --json", &ok(&out));
    assert_eq!(json(&out)["name"], hostile_text("root"));

    let out = run(&server, home.path(), &["export"]);
    assert_no_unsafe("export", &ok(&out));
    let v = json(&out);
    let names: Vec<&str> = v["depts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert!(names.contains(&hostile_text("dept").as_str()), "{names:?}");
}

/// Users whose cells a spreadsheet would run, or that need quoting.
fn formula_org(dir: &Path) -> PathBuf {
    let org = serde_json::json!({
        "depts": [{"id": "root", "name": "Root", "parent_id": null, "order": 0, "leader_ids": []}],
        "users": [
            {"id": "f1", "name": "=HYPERLINK(\"http://x\",\"y\")", "email": "f1@x.example",
             "mobile": "+86 13800000000", "title": "@SUM(1)", "employee_id": "-1+2",
             "status": "active", "leader_id": null, "dept_ids": ["root"]},
            {"id": "f2", "name": "\tTab", "email": "f2@x.example", "title": "\r=1+1",
             "mobile": "138 0000 0000", "status": "active", "leader_id": null, "dept_ids": ["root"]},
            {"id": "f3", "name": "Comma, \"Quote\"", "email": "f3@x.example",
             "title": "two\nlines\u{2028}three", "employee_id": "E=1",
             "status": "active", "leader_id": null, "dept_ids": ["root"]}
        ]
    });
    let path = dir.join("formulas.json");
    std::fs::write(&path, org.to_string()).unwrap();
    path
}

#[test]
fn csv_neutralizes_formulas_and_quotes_as_rfc_4180() {
    let home = scratch();
    let org = formula_org(home.path());
    let server = fake_server("wps", &org, &[]);
    let text = ok(&run(&server, home.path(), &["export", "--format", "csv"]));
    assert!(text.starts_with(
        "id,name,email,mobile,title,employee_id,status,leader_id,dept_ids,city,work_place\r\n"
    ));
    // RFC 4180: CRLF after every record, one record a line (a newline in a value is
    // replaced like in all text output).
    assert_eq!(text.matches("\r\n").count(), 4, "{text:?}");
    assert_eq!(text.matches('\n').count(), 4, "{text:?}");
    assert_no_unsafe("csv", &text);
    assert!(text.contains(",\"Comma, \"\"Quote\"\"\","), "{text}");

    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let rows: HashMap<String, HashMap<String, String>> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let row: HashMap<String, String> = header
                .iter()
                .zip(r.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            (row["id"].clone(), row)
        })
        .collect();
    assert_eq!(rows.len(), 3);
    let cell = |id: &str, k: &str| rows[id][k].clone();
    assert_eq!(cell("f1", "name"), "'=HYPERLINK(\"http://x\",\"y\")");
    assert_eq!(cell("f1", "mobile"), "'+86 13800000000");
    assert_eq!(cell("f1", "title"), "'@SUM(1)");
    assert_eq!(cell("f1", "employee_id"), "'-1+2");
    assert_eq!(cell("f2", "name"), "'\u{FFFD}Tab");
    assert_eq!(cell("f2", "title"), "'\u{FFFD}=1+1");
    // Nothing else changes.
    assert_eq!(cell("f2", "mobile"), "138 0000 0000");
    assert_eq!(cell("f3", "name"), "Comma, \"Quote\"");
    assert_eq!(cell("f3", "title"), "two\u{FFFD}lines\u{FFFD}three");
    assert_eq!(cell("f3", "employee_id"), "E=1");
    assert_eq!(cell("f3", "email"), "f3@x.example");
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o7777
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn snaps(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "snap"))
        .collect();
    found.sort();
    found
}

/// An online `export` writes the snapshot and the log: private, and tightened when they
/// were left wider.
#[test]
fn snapshot_log_and_cache_dir_are_private_and_tightened() {
    let home = scratch();
    let server = fake_server("wps", &demo_org_path(), &[]);
    let cache = home.path().join("cache/orgtui");
    let snapshots = cache.join("snapshots");
    let log = cache.join("orgtui.log");

    ok(&run(&server, home.path(), &["export"]));
    let saved = snaps(&snapshots);
    assert_eq!(saved.len(), 1, "{saved:?}");
    let snap = &saved[0];
    let modes = |snap: &Path| (mode(&cache), mode(&snapshots), mode(snap), mode(&log));
    assert_eq!(modes(snap), (0o700, 0o700, 0o600, 0o600));

    // Left wide (an older orgtui, a umask of 022): tightened by the next run that writes.
    chmod(&cache, 0o755);
    chmod(&snapshots, 0o755);
    chmod(snap, 0o644);
    chmod(&log, 0o644);
    ok(&run(&server, home.path(), &["export"]));
    assert_eq!(snaps(&snapshots), saved);
    assert_eq!(modes(snap), (0o700, 0o700, 0o600, 0o600));
}

/// The same for directories and a log that exist before the first run.
#[test]
fn pre_existing_wide_cache_and_log_are_tightened() {
    let home = scratch();
    let cache = home.path().join("cache/orgtui");
    std::fs::create_dir_all(&cache).unwrap();
    chmod(&cache, 0o755);
    let log = cache.join("orgtui.log");
    std::fs::write(&log, "an old line\n").unwrap();
    chmod(&log, 0o644);
    let org = demo_org_path();
    let out = base_cmd(home.path())
        .args(["--org-file", org.to_str().unwrap(), "tree", "--depth", "0"])
        .output()
        .unwrap();
    ok(&out);
    assert_eq!((mode(&cache), mode(&log)), (0o700, 0o600));
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .starts_with("an old line\n")
    );
}

/// `--org-file` caches the parsed file as a snapshot: private too.
#[test]
fn org_file_cache_is_private() {
    let home = scratch();
    let org = home.path().join("org.json");
    std::fs::copy(demo_org_path(), &org).unwrap();
    let run_org = || {
        base_cmd(home.path())
            .args(["--org-file", org.to_str().unwrap(), "search", "zhang"])
            .output()
            .unwrap()
    };
    ok(&run_org());
    let snapshots = home.path().join("cache/orgtui/snapshots");
    let cached = snaps(&snapshots);
    assert_eq!(cached.len(), 1, "{cached:?}");
    assert_eq!((mode(&snapshots), mode(&cached[0])), (0o700, 0o600));

    // A changed org file is cached again, in the directory tightened again.
    chmod(&snapshots, 0o755);
    let f = std::fs::File::options().write(true).open(&org).unwrap();
    f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(60))
        .unwrap();
    drop(f);
    ok(&run_org());
    let again = snaps(&snapshots);
    assert_eq!(again.len(), 1, "{again:?}");
    assert_ne!(again, cached);
    assert_eq!((mode(&snapshots), mode(&again[0])), (0o700, 0o600));
}

/// A symlink planted where a temp file could be expected (the names the writer used to
/// choose: `.NAME.PID.N.tmp`) is never written through, and never becomes the snapshot.
#[test]
fn planted_symlinks_at_temp_paths_are_not_followed() {
    let tmp = scratch();
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, b"keep me").unwrap();
    let path = tmp.path().join("s.snap");
    let pid = std::process::id();
    for n in 0..64 {
        let planted = tmp.path().join(format!(".s.snap.{pid}.{n}.tmp"));
        std::os::unix::fs::symlink(&victim, planted).unwrap();
    }
    let snap = orgtui::snapshot::Snapshot {
        profile: "p".into(),
        provider: "wps".into(),
        ..Default::default()
    };
    orgtui::snapshot::save(&path, &snap).unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
    assert!(
        !std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(mode(&path), 0o600);
    assert_eq!(orgtui::snapshot::load(&path).unwrap(), snap);
}

#[test]
fn the_log_rotates_at_its_cap_and_stays_private() {
    let tmp = scratch();
    let path = tmp.path().join("orgtui.log");
    let mut log = orgtui::log::RotatingLog::open(&path, 1000, 1).unwrap();
    for i in 0..100 {
        log.write_line(&format!("{i:03} {}\n", "x".repeat(95)))
            .unwrap();
    }
    let old = tmp.path().join("orgtui.log.1");
    for p in [&path, &old] {
        let len = std::fs::metadata(p).unwrap().len();
        assert!(len > 0 && len <= 1000, "{}: {len}", p.display());
        assert_eq!(mode(p), 0o600);
    }
    assert!(!tmp.path().join("orgtui.log.2").exists());
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .ends_with(&format!("099 {}\n", "x".repeat(95)))
    );
    // The production cap.
    assert_eq!(orgtui::log::MAX_LOG_BYTES, 8 * 1024 * 1024);
}

/// The browser draws server text through `text::sanitize`: a snapshot full of unsafe
/// characters renders without any of them.
#[test]
fn the_browser_replaces_unsafe_characters() {
    use orgtui::model::{Dept, User};
    use orgtui::snapshot::{SnapDept, SnapUser, Snapshot};
    use orgtui::tui::app::{App, Msg};
    use orgtui::tui::keys::KeyMap;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    let dept =
        |id: &str, parent: Option<&str>, children: Vec<String>, members: Vec<String>| SnapDept {
            dept: Dept {
                id: id.into(),
                name: Some(hostile_text(id)),
                parent_id: parent.map(str::to_string),
                ..Dept::default()
            },
            children: Some(children),
            members: Some(members),
        };
    let user = SnapUser {
        user: User {
            id: "u1".into(),
            name: Some(hostile_text("name")),
            title: Some(hostile_text("title")),
            email: Some("u1@x.example".into()),
            mobile: Some(hostile_text("mobile")),
            city: Some(hostile_text("city")),
            dept_ids: vec!["root".into()],
            ..User::default()
        },
        detailed: true,
    };
    let snap = Snapshot {
        profile: "p".into(),
        provider: "wps".into(),
        root: Some("root".into()),
        depts: vec![
            dept("root", None, vec!["d1".into()], vec!["u1".into()]),
            dept("d1", Some("root"), vec![], vec![]),
        ],
        users: vec![user],
        ..Snapshot::default()
    };
    // The profile name comes from config or the environment and is drawn in the status bar.
    let mut app = App::new(hostile_text("profile"), KeyMap::default());
    app.update(Msg::Resize(160, 30));
    orgtui::tui::persist::restore(&mut app, snap);
    let render = |app: &App| {
        let mut t = Terminal::new(TestBackend::new(160, 30)).unwrap();
        t.draw(|f| orgtui::tui::ui::draw(f, app)).unwrap();
        let buf = t.backend().buffer();
        buf.content().iter().map(|c| c.symbol()).collect::<String>()
    };
    let mut screens = vec![render(&app)];
    for _ in 0..2 {
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('j'),
            KeyModifiers::NONE,
        )));
        screens.push(render(&app));
    }
    let all = screens.join("\n");
    assert!(all.contains("name:"), "{all}");
    assert!(all.contains("title:"), "{all}");
    assert!(all.contains("profile:"), "{all}");
    assert_no_unsafe("browser", &all);
}
