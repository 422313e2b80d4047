//! `orgtui diff [OLD NEW] [--snapshot] [--json]`: what changed between two org files, or
//! between the profile's previous and current snapshots (the default). Nothing goes to a
//! server. Exit status as `diff(1)`: 0 nothing differs, 1 something does, 2 bad input.

use std::path::Path;

use serde::Serialize;

use super::output::{self, DeptJson, UserJson, field, user_line};
use super::{Cli, config_file, resolve_profile};
use crate::diff::{NoDiff, OrgDiff, compare, rfc3339, since_previous};
use crate::error::{Error, Result, exit};
use crate::snapshot::{self, Snapshot};
use crate::source::{org_file_cache, snapshot_error, snapshot_file};
use crate::text::sanitize;

/// Something differs (`diff(1)`'s 1).
const DIFFERENT: i32 = 1;

pub fn run(cli: &Cli, old: Option<&Path>, new: Option<&Path>, json: bool) -> Result<i32> {
    if cli.org_file.is_some() || cli.demo {
        return Err(Error::Usage(
            "diff: give the two org files as OLD NEW (not --org-file or --demo)".into(),
        ));
    }
    let diff = match (old, new) {
        (Some(old), Some(new)) => compare(&org_file(old)?, &org_file(new)?),
        (None, None) => snapshots(cli)?,
        _ => return Err(Error::Usage("diff: give two org files, or none".into())),
    };
    let text = if json {
        output::to_json(&DiffJson::from(&diff))?
    } else {
        render(&diff)
    };
    output::emit(&text)?;
    Ok(if diff.is_empty() { exit::OK } else { DIFFERENT })
}

/// An org file read as `--org-file` reads it (and cached the same way); its date is its
/// modification time. A bad one is named in one line (exit 2).
fn org_file(path: &Path) -> Result<Snapshot> {
    org_file_cache::load(path).map_err(|e| match e {
        // The loader speaks of `--org-file`; here the file is an argument.
        Error::Usage(msg) => Error::Usage(match msg.strip_prefix("--org-file ") {
            Some(rest) => format!("diff: {rest}"),
            None => msg,
        }),
        other => other,
    })
}

/// The profile's previous and current snapshots: no server, no credentials (see
/// `resolve_profile`). The rule (the current one holds the whole org, a previous one was
/// kept) is `diff::since_previous`'s; this says it for the command line.
fn snapshots(cli: &Cli) -> Result<OrgDiff> {
    let (file, file_name) = config_file(cli)?;
    let profile = resolve_profile(cli, &file, &file_name)?;
    let path = snapshot::path_for(&profile.name, profile.provider.as_str(), &profile.base_url);
    let path = snapshot_file(path.as_deref())?;
    since_previous(path).map_err(|e| match e {
        NoDiff::Current(p, e) | NoDiff::Previous(p, e) => snapshot_error(&e, &profile.name, &p),
        NoDiff::Incomplete(p) => Error::Usage(format!(
            "diff: the snapshot {} does not hold the whole org; run `orgtui export` (or load everything in the browser with `a`) first",
            p.display()
        )),
        NoDiff::NoPrevious(p) => Error::Usage(format!(
            "diff: no previous snapshot yet ({}): one is kept when a save finds the org changed; run `orgtui export` again later",
            p.display()
        )),
    })
}

#[derive(Serialize)]
struct DiffJson<'a> {
    from: Option<String>,
    to: Option<String>,
    joined: Vec<UserJson<'a>>,
    left: Vec<UserJson<'a>>,
    moved: Vec<MovedJson<'a>>,
    changed: Vec<ChangedJson<'a>>,
    depts: DeptsJson<'a>,
}

#[derive(Serialize)]
struct MovedJson<'a> {
    id: &'a str,
    name: Option<&'a str>,
    from: &'a [String],
    to: &'a [String],
}

#[derive(Serialize)]
struct ChangedJson<'a> {
    id: &'a str,
    name: Option<&'a str>,
    field: &'static str,
    from: Option<&'a str>,
    to: Option<&'a str>,
}

#[derive(Serialize)]
struct DeptsJson<'a> {
    added: Vec<DeptJson<'a>>,
    removed: Vec<DeptJson<'a>>,
    renamed: Vec<FromTo<'a, Option<&'a str>>>,
    moved: Vec<FromTo<'a, &'a str>>,
}

#[derive(Serialize)]
struct FromTo<'a, T> {
    id: &'a str,
    from: T,
    to: T,
}

impl<'a> From<&'a OrgDiff> for DiffJson<'a> {
    fn from(d: &'a OrgDiff) -> Self {
        DiffJson {
            from: d.from.and_then(rfc3339),
            to: d.to.and_then(rfc3339),
            joined: d.joined.iter().map(UserJson::from).collect(),
            left: d.left.iter().map(UserJson::from).collect(),
            moved: d
                .moved
                .iter()
                .map(|m| MovedJson {
                    id: &m.id,
                    name: m.name.as_deref(),
                    from: &m.from,
                    to: &m.to,
                })
                .collect(),
            changed: d
                .changed
                .iter()
                .map(|c| ChangedJson {
                    id: &c.id,
                    name: c.name.as_deref(),
                    field: c.field.as_str(),
                    from: c.from.as_deref(),
                    to: c.to.as_deref(),
                })
                .collect(),
            depts: DeptsJson {
                added: d.depts.added.iter().map(DeptJson::from).collect(),
                removed: d.depts.removed.iter().map(DeptJson::from).collect(),
                renamed: d
                    .depts
                    .renamed
                    .iter()
                    .map(|r| FromTo {
                        id: &r.id,
                        from: r.from.as_deref(),
                        to: r.to.as_deref(),
                    })
                    .collect(),
                moved: d
                    .depts
                    .moved
                    .iter()
                    .map(|m| FromTo {
                        id: &m.id,
                        from: m.from.as_str(),
                        to: m.to.as_str(),
                    })
                    .collect(),
            },
        }
    }
}

/// The text summary: a dates line, then each section that has entries, every value from
/// the files sanitized.
fn render(d: &OrgDiff) -> String {
    let date = |t: Option<u64>| t.and_then(rfc3339).unwrap_or_else(|| "-".into());
    let mut s = format!("from {} to {}\n", date(d.from), date(d.to));
    if d.is_empty() {
        s.push_str("no differences\n");
        return s;
    }
    let mut section = |title: &str, lines: Vec<String>| {
        if !lines.is_empty() {
            s.push_str(&format!("{title} ({})\n", lines.len()));
            for l in lines {
                s.push_str(&format!("  {l}\n"));
            }
        }
    };
    let paths = |p: &[String]| {
        if p.is_empty() {
            "-".to_string()
        } else {
            p.iter().map(|x| sanitize(x)).collect::<Vec<_>>().join(", ")
        }
    };
    let who = |name: Option<&str>, id: &str| format!("{} [{}]", field(name), sanitize(id));
    section("joined", d.joined.iter().map(user_line).collect());
    section("left", d.left.iter().map(user_line).collect());
    section(
        "moved",
        d.moved
            .iter()
            .map(|m| {
                let name = who(m.name.as_deref(), &m.id);
                format!("{name}: {} -> {}", paths(&m.from), paths(&m.to))
            })
            .collect(),
    );
    section(
        "changed",
        d.changed
            .iter()
            .map(|c| {
                let name = who(c.name.as_deref(), &c.id);
                let (from, to) = (field(c.from.as_deref()), field(c.to.as_deref()));
                format!("{name} {}: {from} -> {to}", c.field.as_str())
            })
            .collect(),
    );
    let dept =
        |x: &crate::model::Dept| format!("{} [{}]", field(x.path.as_deref()), sanitize(&x.id));
    let depts = &d.depts;
    let mut lines: Vec<String> = Vec::new();
    lines.extend(depts.added.iter().map(|x| format!("added {}", dept(x))));
    lines.extend(depts.removed.iter().map(|x| format!("removed {}", dept(x))));
    lines.extend(depts.renamed.iter().map(|r| {
        let (from, to) = (field(r.from.as_deref()), field(r.to.as_deref()));
        format!("renamed [{}]: {from} -> {to}", sanitize(&r.id))
    }));
    lines.extend(depts.moved.iter().map(|m| {
        let (from, to) = (sanitize(&m.from), sanitize(&m.to));
        format!("moved [{}]: {from} -> {to}", sanitize(&m.id))
    }));
    section("departments", lines);
    s
}
