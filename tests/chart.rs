//! `orgtui chart` through the real binary on org files written here: Mermaid checked by a
//! strict reader of the grammar the writer emits, DOT rendered by Graphviz's `dot` (which
//! must be installed: `.ci/run` installs it), SVG parsed as XML. Hostile names must stay one
//! label in every format; `--depth` cuts and says how much; `--people` lists people.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;

/// Names that try to break out of a Mermaid label, a DOT string and SVG text.
const HOSTILE: &str = "a\"b] --> x[\"<script>alert(1)</script>";
const HOSTILE_2: &str = "q\\\" ]; n0 -> n1; x [label=\"&amp; `#35;` {}|;";
const HOSTILE_PERSON: &str = "<img src=x onerror=alert(1)> \"]]] --> n0";

/// root (leader lead) -> eng (hostile name) -> {team a, team b -> deep}, root -> ops
/// (second hostile name). Members: lead in root; p1,p2 in eng; p3 in a; p4,p5 in b; p6 in
/// deep; p7 (hostile name) in ops; p2 also in a.
fn org(dir: &Path) -> PathBuf {
    let org = serde_json::json!({
        "depts": [
            {"id": "root", "name": "Acme", "parent_id": null, "order": 0, "leader_ids": ["lead"]},
            {"id": "eng", "name": HOSTILE, "parent_id": "root", "order": 1, "leader_ids": ["p1", "ghost"]},
            {"id": "ops", "name": HOSTILE_2, "parent_id": "root", "order": 2, "leader_ids": []},
            {"id": "a", "name": "Team A", "parent_id": "eng", "order": 1, "leader_ids": []},
            {"id": "b", "name": "Team B", "parent_id": "eng", "order": 2, "leader_ids": []},
            {"id": "deep", "name": "Deep", "parent_id": "b", "order": 1, "leader_ids": []}
        ],
        "users": [
            user("lead", "Lea Der", &["root"]),
            user("p1", "Pat One", &["eng"]),
            user("p2", "Pat Two", &["eng", "a"]),
            user("p3", "Pat Three", &["a"]),
            user("p4", "Pat Four", &["b"]),
            user("p5", "Pat Five", &["b"]),
            user("p6", "Pat Six", &["deep"]),
            user("p7", HOSTILE_PERSON, &["ops"]),
        ]
    });
    let path = dir.join("org.json");
    std::fs::write(&path, org.to_string()).expect("write org");
    path
}

fn user(id: &str, name: &str, depts: &[&str]) -> serde_json::Value {
    serde_json::json!({"id": id, "name": name, "email": format!("{id}@x.example"),
        "status": "active", "leader_id": null, "dept_ids": depts})
}

/// In pre-order, as the chart draws them.
const ALL_DEPTS: [&str; 6] = ["Acme", HOSTILE, "Team A", "Team B", "Deep", HOSTILE_2];

fn chart(home: &Path, args: &[&str]) -> Output {
    let file = org(home);
    let mut cmd = base_cmd(home);
    cmd.arg("--org-file").arg(&file).arg("chart").args(args);
    cmd.output().expect("run orgtui")
}

fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(out));
    stdout(out)
}

/// The labels of a Mermaid chart by node id, each split into its lines and decoded, after
/// checking every line strictly: the header, then nodes `nK["..."]` and edges `nA --> nB`
/// between declared nodes, or `%%` comments. Inside a label only `<br/>` is markup; `"`,
/// `<`, `>`, `[`, `]` never appear raw.
fn parse_mermaid(text: &str) -> (Vec<Vec<String>>, Vec<(usize, usize)>) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart TD"), "header:\n{text}");
    let mut labels: Vec<Vec<String>> = Vec::new();
    let mut edges = Vec::new();
    let id = |s: &str| -> usize {
        let n = s
            .strip_prefix('n')
            .unwrap_or_else(|| panic!("bad id {s:?}"));
        assert!(
            n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty(),
            "bad id {s:?}"
        );
        n.parse().unwrap()
    };
    for line in lines {
        let body = line.trim_start();
        if body.starts_with("%%") {
            continue;
        }
        if let Some((a, b)) = body.split_once(" --> ") {
            let (a, b) = (id(a), id(b));
            assert!(
                a < labels.len() && b < labels.len(),
                "edge before its nodes: {line}"
            );
            edges.push((a, b));
            continue;
        }
        let (head, rest) = body
            .split_once("[\"")
            .unwrap_or_else(|| panic!("neither node, edge nor comment: {line:?}"));
        assert_eq!(id(head), labels.len(), "ids in order: {line}");
        let label = rest
            .strip_suffix("\"]")
            .unwrap_or_else(|| panic!("label not closed at the end: {line:?}"));
        for bad in ['"', '[', ']', '<', '>', '`', '\n'] {
            let without_br = label.replace("<br/>", "");
            assert!(!without_br.contains(bad), "raw {bad:?} in label: {line:?}");
        }
        labels.push(label.split("<br/>").map(decode_mermaid).collect());
    }
    (labels, edges)
}

/// Mermaid's entity codes back to text: `#quot;`, `#amp;`, `#lt;`, `#gt;`, `#NNN;`.
fn decode_mermaid(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('#') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find(';').unwrap_or_else(|| panic!("bare # in {s:?}"));
        let code = &after[..end];
        out.push(match code {
            "quot" => '"',
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            n => char::from_u32(n.parse().unwrap_or_else(|_| panic!("code {n:?}"))).unwrap(),
        });
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn mermaid_parses_and_keeps_hostile_names_one_label() {
    let home = scratch();
    let out = chart(home.path(), &["--format", "mermaid", "--depth", "5"]);
    let (labels, edges) = parse_mermaid(&ok(&out));
    let names: Vec<&str> = labels.iter().map(|l| l[0].as_str()).collect();
    assert_eq!(names, ALL_DEPTS, "one box per department, in pre-order");
    assert_eq!(edges, [(0, 1), (1, 2), (1, 3), (3, 4), (0, 5)]);
    // Leader names from the people read, an id when the leader is not among them.
    assert_eq!(labels[0][1], "Leader: Lea Der");
    assert_eq!(labels[1][1], "Leader: Pat One, [ghost]");
    // Head count: direct members, and everyone below once (p2 is in eng and a).
    assert_eq!(labels[0][2], "Head count: 1 direct, 8 in all");
    assert_eq!(labels[1][2], "Head count: 2 direct, 6 in all");
    assert!(!stderr(&out).contains("Cut at"), "{}", stderr(&out));
}

#[test]
fn dot_renders_in_graphviz_with_one_node_per_department() {
    let home = scratch();
    let text = ok(&chart(home.path(), &["--format", "dot", "--depth", "5"]));
    let svg = graphviz(&text);
    // Graphviz writes a DOCTYPE.
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(&svg, opts).expect("dot's SVG parses");
    let nodes: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("node"))
        .collect();
    assert_eq!(nodes.len(), ALL_DEPTS.len(), "{text}");
    // Each box's first line is its name, exactly: nothing was read as DOT syntax.
    let firsts: HashSet<String> = nodes
        .iter()
        .filter_map(|n| n.descendants().find(|t| t.has_tag_name("text")))
        .map(|t| t.text().unwrap_or("").to_string())
        .collect();
    for name in ALL_DEPTS {
        assert!(
            firsts.contains(name),
            "{name:?} not a box's first line: {firsts:?}"
        );
    }
}

/// `dot -Tsvg` on `text`. Fails (not skips) without Graphviz, so CI cannot pass silently.
fn graphviz(text: &str) -> String {
    let mut child = match Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!(
            "Graphviz's `dot` is needed to check the DOT output ({e}); install it \
             (apt-get install graphviz, as .ci/run does)"
        ),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "dot rejected the DOT: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every `<text>` of an SVG, and a check that it carries nothing active: no script, no
/// foreign object, no event handler, no link or external reference.
fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    assert!(doc.root_element().has_tag_name("svg"));
    for n in doc.descendants().filter(|n| n.is_element()) {
        let tag = n.tag_name().name();
        assert!(
            ["svg", "g", "rect", "path", "text"].contains(&tag),
            "unexpected element {tag}"
        );
        for a in n.attributes() {
            let name = a.name().to_ascii_lowercase();
            assert!(
                !name.starts_with("on") && name != "href",
                "attribute {name}"
            );
            assert!(!a.value().contains("url("), "reference in {name}");
        }
    }
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            assert!(n.children().all(|c| c.is_text()), "markup inside a text");
            n.text().unwrap_or("").to_string()
        })
        .collect()
}

#[test]
fn svg_is_well_formed_and_holds_every_name_as_text() {
    let home = scratch();
    let out = chart(
        home.path(),
        &["--format", "svg", "--depth", "5", "--people"],
    );
    let texts = svg_texts(&ok(&out));
    for name in ALL_DEPTS {
        assert_eq!(
            texts.iter().filter(|t| *t == name).count(),
            1,
            "{name:?} in {texts:?}"
        );
    }
    assert!(texts.contains(&format!("· {HOSTILE_PERSON}")), "{texts:?}");
    assert!(texts.contains(&"· Pat Six".to_string()), "{texts:?}");
}

#[test]
fn depth_cuts_and_says_how_much() {
    let home = scratch();
    // Depth 1: Acme, eng, ops drawn; a and b (p2, p3, p4, p5) are one level below the cut.
    let out = chart(home.path(), &["--format", "mermaid", "--depth", "1"]);
    let (labels, _) = parse_mermaid(&ok(&out));
    let note = "Cut at depth 1: 2 departments and 4 people in them not drawn";
    assert_eq!(labels.len(), 4, "3 departments and the note: {labels:?}");
    assert!(labels[3][0].starts_with(note), "{labels:?}");
    assert!(stderr(&out).contains(note), "{}", stderr(&out));
    // The leaf says what is under it, and totals under a cut are lower bounds.
    assert_eq!(
        labels[1][3],
        "not drawn: 2 departments and 4 people in them"
    );
    // p1, p2 in eng; p2, p3 in a; p4, p5 in b (Deep's p6 was not crawled).
    assert_eq!(labels[1][2], "Head count: 2 direct, at least 5 in all");
    assert_eq!(labels[2].len(), 2, "ops has nothing below: {:?}", labels[2]);

    // The default is 2 levels: Deep (p6) is cut, in every format.
    let out = chart(home.path(), &["--format", "svg"]);
    let texts = svg_texts(&ok(&out));
    assert!(!texts.contains(&"Deep".to_string()), "{texts:?}");
    let note = "Cut at depth 2: 1 department and 1 person in them not drawn";
    assert!(texts.iter().any(|t| t.starts_with(note)), "{texts:?}");
    let dot = ok(&chart(home.path(), &["--format", "dot"]));
    assert!(dot.contains(note), "{dot}");
    graphviz(&dot);

    // Depth 0: the start alone.
    let (labels, edges) = parse_mermaid(&ok(&chart(
        home.path(),
        &["--format", "mermaid", "--depth", "0", "--dept", "eng"],
    )));
    assert_eq!(labels[0][0], HOSTILE);
    assert!(edges.is_empty());
    assert!(labels[1][0].starts_with("Cut at depth 0: 2 departments and 4 people"));
}

#[test]
fn people_lists_members_under_their_department() {
    let home = scratch();
    let text = ok(&chart(
        home.path(),
        &["--format", "mermaid", "--people", "--depth", "5"],
    ));
    let (labels, _) = parse_mermaid(&text);
    let boxes: HashMap<&str, &[String]> = labels.iter().map(|l| (l[0].as_str(), &l[1..])).collect();
    let people = |name: &str| -> Vec<&str> {
        boxes[name]
            .iter()
            .filter_map(|l| l.strip_prefix("· "))
            .collect()
    };
    assert_eq!(people("Acme"), ["Lea Der"]);
    assert_eq!(people(HOSTILE), ["Pat One", "Pat Two"]);
    assert_eq!(people("Team A"), ["Pat Two", "Pat Three"]);
    assert_eq!(people(HOSTILE_2), [HOSTILE_PERSON]);
    // Without --people, no one is listed.
    let (labels, _) = parse_mermaid(&ok(&chart(home.path(), &["--format", "mermaid"])));
    assert!(labels.iter().flatten().all(|l| !l.starts_with("· ")));
    // DOT with people still renders one node per department.
    let dot = ok(&chart(
        home.path(),
        &["--format", "dot", "--people", "--depth", "5"],
    ));
    let svg = graphviz(&dot);
    assert_eq!(svg.matches("class=\"node\"").count(), ALL_DEPTS.len());
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let home = scratch();
    for (args, says) in [
        (&["--format", "png"][..], "--format \"png\""),
        (&["--format", "svg", "--depth", "255"], "--depth \"255\""),
        (&["--format", "svg", "--depth", "-1"], "--depth \"-1\""),
        (&["--format", "dot", "--dept", "nope"], "--dept \"nope\""),
    ] {
        let out = chart(home.path(), args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

/// The rectangles of an SVG: (x, y, width, height).
fn svg_rects(svg: &str) -> Vec<[f64; 4]> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("rect"))
        .map(|n| ["x", "y", "width", "height"].map(|a| n.attribute(a).unwrap().parse().unwrap()))
        .collect()
}

#[test]
fn svg_boxes_never_overlap_and_many_teams_hang_in_a_column() {
    let home = scratch();
    // A root with two departments: one with 12 teams (leaves), one with 2 teams of 3.
    let mut depts = vec![
        serde_json::json!({"id": "r", "name": "Root", "parent_id": null, "order": 0, "leader_ids": []}),
        serde_json::json!({"id": "wide", "name": "Wide", "parent_id": "r", "order": 1, "leader_ids": []}),
        serde_json::json!({"id": "tree", "name": "Tree", "parent_id": "r", "order": 2, "leader_ids": []}),
    ];
    for i in 0..12 {
        depts.push(
            serde_json::json!({"id": format!("w{i}"), "name": format!("Team {i}"),
            "parent_id": "wide", "order": i, "leader_ids": []}),
        );
    }
    for (i, parent) in ["tree", "t0", "t0", "t0", "tree", "t4", "t4"]
        .iter()
        .enumerate()
    {
        if i == 0 || i == 4 {
            depts.push(
                serde_json::json!({"id": format!("t{i}"), "name": format!("Group {i}"),
                "parent_id": parent, "order": i, "leader_ids": []}),
            );
        } else {
            depts.push(
                serde_json::json!({"id": format!("t{i}"), "name": format!("Unit {i}"),
                "parent_id": parent, "order": i, "leader_ids": []}),
            );
        }
    }
    let file = home.path().join("wide.json");
    let org = serde_json::json!({"depts": depts, "users": []});
    std::fs::write(&file, org.to_string()).unwrap();
    let mut cmd = base_cmd(home.path());
    cmd.arg("--org-file").arg(&file);
    let out = cmd
        .args(["chart", "--format", "svg", "--depth", "3"])
        .output()
        .unwrap();
    let svg = ok(&out);
    let rects = svg_rects(&svg);
    assert_eq!(rects.len(), 3 + 12 + 7, "one box per department");
    for (i, a) in rects.iter().enumerate() {
        for b in &rects[i + 1..] {
            let apart = a[0] + a[2] <= b[0]
                || b[0] + b[2] <= a[0]
                || a[1] + a[3] <= b[1]
                || b[1] + b[3] <= a[1];
            assert!(apart, "boxes overlap: {a:?} {b:?}");
        }
    }
    // Boxes come in pre-order: Root, Wide, its 12 teams, then Tree's. The teams stand in one
    // column below Wide, indented; Tree's units (3 and 2, fewer than 4) stand in rows.
    let teams = &rects[2..14];
    assert!(
        teams
            .iter()
            .all(|r| r[0] == teams[0][0] && r[0] > rects[1][0])
    );
    assert!(teams.windows(2).all(|w| w[0][1] + w[0][3] < w[1][1]));
    let units = &rects[16..19];
    assert!(units.iter().all(|r| r[1] == units[0][1]), "{units:?}");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let width: f64 = doc
        .root_element()
        .attribute("width")
        .unwrap()
        .parse()
        .unwrap();
    // Everything fits inside the drawing.
    let height: f64 = doc
        .root_element()
        .attribute("height")
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        rects
            .iter()
            .all(|r| r[0] + r[2] <= width && r[1] + r[3] <= height)
    );
}

#[test]
fn works_on_the_demo_server_and_on_a_contact_range() {
    let home = scratch();
    // --demo crawls the in-process fake server: the online path.
    let out = base_cmd(home.path())
        .args(["--demo", "chart", "--format", "mermaid", "--depth", "1"])
        .output()
        .unwrap();
    let (labels, edges) = parse_mermaid(&ok(&out));
    assert_eq!(labels[0][0], "Acme 集团");
    assert!(
        edges.len() > 3 && edges.iter().all(|&(p, _)| p == 0),
        "{edges:?}"
    );

    // A contact range of two granted tops: the stand-in root above them, and their levels
    // count from the tops, as in `orgtui tree`.
    let org = serde_json::json!({
        "roots": ["a", "b"],
        "depts": [
            {"id": "a", "name": "Top A", "parent_id": null, "order": 1, "leader_ids": []},
            {"id": "b", "name": "Top B", "parent_id": null, "order": 2, "leader_ids": []},
            {"id": "c", "name": "Below A", "parent_id": "a", "order": 1, "leader_ids": []},
            {"id": "d", "name": "Deeper", "parent_id": "c", "order": 1, "leader_ids": []}
        ],
        "users": [user("u1", "Granted One", &["elsewhere"]), user("u2", "In D", &["d"])]
    });
    let file = home.path().join("range.json");
    std::fs::write(&file, org.to_string()).unwrap();
    let out = base_cmd(home.path())
        .arg("--org-file")
        .arg(&file)
        .args(["chart", "--format", "mermaid", "--depth", "1", "--people"])
        .output()
        .unwrap();
    let (labels, edges) = parse_mermaid(&ok(&out));
    let names: Vec<&str> = labels.iter().map(|l| l[0].as_str()).collect();
    assert_eq!(
        names[..4],
        ["Contact range", "Top A", "Below A", "Top B"],
        "{labels:?}"
    );
    assert_eq!(edges, [(0, 1), (1, 2), (0, 3)]);
    assert!(
        labels[0].contains(&"· Granted One".to_string()),
        "{labels:?}"
    );
    assert!(names[4].starts_with("Cut at depth 1: 1 department and 1 person"));
}
