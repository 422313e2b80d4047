//! `orgtui chart`'s picture before it has a format: one box per drawn department (name,
//! leaders, head count, and with `--people` its direct members), the edges between them, and
//! what the depth limit left out. Built from a `Crawl` that went one level deeper than drawn,
//! so the cut can be counted; the writers (`mermaid`, `dot`, `svg`) only escape and place.
//!
//! Text in the model is already made safe for any output (`text::sanitize_line`: control,
//! bidi and line-breaking characters become U+FFFD, so no writer ever sees a raw newline) and
//! bounded in length; each writer still escapes its own syntax. Node ids are the boxes'
//! indexes, never data.

use std::collections::{HashMap, HashSet};

use crate::crawl::Crawl;
use crate::model::{Dept, RANGE_ROOT_ID, User};
use crate::text::sanitize_line;

pub mod dot;
pub mod mermaid;
pub mod svg;

/// Longest name kept in a box; longer ones end in `…`.
const MAX_NAME_CHARS: usize = 80;
/// Leaders named in a box; the rest are counted (`+2 more`).
const MAX_LEADERS_SHOWN: usize = 3;

/// What the depth limit left out: departments one level below the drawn leaves, and the
/// people directly in them (each person once). Deeper levels were not crawled, so these are
/// lower bounds whenever they are not zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cut {
    pub depts: usize,
    pub people: usize,
}

impl Cut {
    pub fn is_empty(&self) -> bool {
        self.depts == 0
    }
}

/// A department's head count: the people directly in it, and everyone in its subtree, each
/// once. `total_exact` is false when part of the subtree is below the cut: the total then
/// counts only the level just below it, so it is a lower bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeadCount {
    pub direct: usize,
    pub total: usize,
    pub total_exact: bool,
}

/// One department box.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeptBox {
    pub name: String,
    /// Leaders' names (their ids when they are not among the people read).
    pub leaders: Vec<String>,
    /// Leaders beyond `MAX_LEADERS_SHOWN`.
    pub more_leaders: usize,
    pub heads: HeadCount,
    /// Direct members' names, with `--people`; empty otherwise.
    pub people: Vec<String>,
    /// What is below this box and not drawn.
    pub cut: Cut,
    /// Levels below the start.
    pub depth: usize,
}

impl DeptBox {
    /// The box's text, one entry per line, the same in every format.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![self.name.clone()];
        if !self.leaders.is_empty() {
            let mut l = format!("Leader: {}", self.leaders.join(", "));
            if self.more_leaders > 0 {
                l.push_str(&format!(" +{} more", self.more_leaders));
            }
            out.push(l);
        }
        let h = self.heads;
        let at_least = if h.total_exact { "" } else { "at least " };
        out.push(format!(
            "Head count: {} direct, {at_least}{} in all",
            h.direct, h.total
        ));
        if !self.cut.is_empty() {
            out.push(format!("not drawn: {}", cut_words(self.cut)));
        }
        out
    }
}

/// The whole chart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chart {
    /// In pre-order from the start, so a box's parent comes before it.
    pub boxes: Vec<DeptBox>,
    /// (parent, child) indexes into `boxes`, in the server's order.
    pub edges: Vec<(usize, usize)>,
    /// Levels drawn below the start.
    pub depth: usize,
    pub cut: Cut,
}

impl Chart {
    /// The sentence saying how much the depth limit left out, when it left anything out.
    pub fn cut_note(&self) -> Option<String> {
        (!self.cut.is_empty()).then(|| {
            format!(
                "Cut at depth {}: {} not drawn (deeper levels not counted; use --depth)",
                self.depth,
                cut_words(self.cut)
            )
        })
    }

    /// The children of each box, in order.
    pub fn children(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.boxes.len()];
        for &(p, c) in &self.edges {
            if let Some(kids) = out.get_mut(p) {
                kids.push(c);
            }
        }
        out
    }

    /// Build from a crawl that went `depth + 1` levels below its start (one more for the
    /// contact range's stand-in root, whose granted departments count as the first level).
    /// Departments on the extra level are not drawn: they are what is counted as cut.
    pub fn build(
        found: &Crawl,
        people: &HashMap<String, User>,
        depth: usize,
        with_people: bool,
    ) -> Chart {
        let drawn_depth = match found.start == RANGE_ROOT_ID {
            true => depth.saturating_add(1),
            false => depth,
        };
        let walk = found.walk();
        let mut chart = Chart {
            depth,
            ..Chart::default()
        };
        // Pre-order with depths: the parent of a department is the last one above its level.
        let mut stack: Vec<(usize, usize)> = Vec::new();
        let mut hidden_people: HashSet<&str> = HashSet::new();
        // Per walk entry: its box index, or None for the hidden level.
        let mut index_of: Vec<Option<usize>> = Vec::with_capacity(walk.len());
        for &(d, dept) in &walk {
            while stack.last().is_some_and(|&(sd, _)| sd >= d) {
                stack.pop();
            }
            if d > drawn_depth {
                index_of.push(None);
                let members = found.members.get(&dept.id).into_iter().flatten();
                let fresh: Vec<&str> = members
                    .map(|u| u.id.as_str())
                    .filter(|id| hidden_people.insert(id))
                    .collect();
                chart.cut.depts = chart.cut.depts.saturating_add(1);
                chart.cut.people = chart.cut.people.saturating_add(fresh.len());
                continue;
            }
            let i = chart.boxes.len();
            if let Some(&(_, parent)) = stack.last() {
                chart.edges.push((parent, i));
            }
            chart
                .boxes
                .push(dept_box(found, people, dept, d, with_people));
            index_of.push(Some(i));
            stack.push((d, i));
        }
        subtree_counts(&mut chart, found, &walk, &index_of, drawn_depth);
        chart
    }
}

/// Head-count totals and per-box cuts, over each box's subtree in the walk (a contiguous run
/// of the pre-order: everything after it deeper than it).
fn subtree_counts(
    chart: &mut Chart,
    found: &Crawl,
    walk: &[(usize, &Dept)],
    index_of: &[Option<usize>],
    drawn_depth: usize,
) {
    for (pos, &(d, _)) in walk.iter().enumerate() {
        let Some(Some(i)) = index_of.get(pos) else {
            continue;
        };
        let mut everyone: HashSet<&str> = HashSet::new();
        let mut hidden: HashSet<&str> = HashSet::new();
        let mut cut = Cut::default();
        for (k, &(kd, kdept)) in walk.iter().enumerate().skip(pos) {
            if k > pos && kd <= d {
                break;
            }
            let below_cut = kd > drawn_depth;
            if below_cut {
                cut.depts = cut.depts.saturating_add(1);
            }
            for u in found.members.get(&kdept.id).into_iter().flatten() {
                everyone.insert(u.id.as_str());
                if below_cut {
                    hidden.insert(u.id.as_str());
                }
            }
        }
        cut.people = hidden.len();
        if let Some(b) = chart.boxes.get_mut(*i) {
            b.heads.total = everyone.len();
            b.heads.total_exact = cut.is_empty();
            // Only a drawn leaf shows what is under it; above, the leaves say it.
            if b.depth == drawn_depth {
                b.cut = cut;
            }
        }
    }
}

fn dept_box(
    found: &Crawl,
    people: &HashMap<String, User>,
    dept: &Dept,
    depth: usize,
    with_people: bool,
) -> DeptBox {
    let name = match &dept.name {
        Some(n) if !n.trim().is_empty() => sanitize_line(n, MAX_NAME_CHARS),
        _ => format!("[{}]", sanitize_line(&dept.id, MAX_NAME_CHARS)),
    };
    let person = |id: &str| {
        people
            .get(id)
            .and_then(|u| u.name.as_deref())
            .filter(|n| !n.trim().is_empty())
            .map_or_else(
                || format!("[{}]", sanitize_line(id, MAX_NAME_CHARS)),
                |n| sanitize_line(n, MAX_NAME_CHARS),
            )
    };
    let leaders: Vec<String> = dept
        .leader_ids
        .iter()
        .take(MAX_LEADERS_SHOWN)
        .map(|id| person(id))
        .collect();
    // A person listed twice in one department counts once.
    let mut seen = HashSet::new();
    let members: Vec<&User> = found
        .members
        .get(&dept.id)
        .into_iter()
        .flatten()
        .filter(|u| seen.insert(u.id.as_str()))
        .collect();
    let direct = members.len();
    let listed = match with_people {
        true => members.iter().map(|u| person(&u.id)).collect(),
        false => Vec::new(),
    };
    DeptBox {
        name,
        more_leaders: dept.leader_ids.len().saturating_sub(leaders.len()),
        leaders,
        heads: HeadCount {
            direct,
            total: direct,
            total_exact: true,
        },
        people: listed,
        cut: Cut::default(),
        depth,
    }
}

/// `s` with each character in `table` replaced by its escape, any other by what `other` gives
/// for it (`None`: kept as it is). Control characters, and the two XML forbids (U+FFFE,
/// U+FFFF), are dropped: the model has replaced them already, but none may reach any output
/// raw.
fn escape_each(s: &str, table: &[(char, &str)], other: impl Fn(char) -> Option<String>) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') {
            continue;
        }
        match table.iter().find(|(t, _)| *t == c) {
            Some((_, e)) => out.push_str(e),
            None => match other(c) {
                Some(e) => out.push_str(&e),
                None => out.push(c),
            },
        }
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn cut_words(cut: Cut) -> String {
    format!(
        "{} and {} in them",
        plural(cut.depts, "department", "departments"),
        plural(cut.people, "person", "people")
    )
}
