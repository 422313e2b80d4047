//! The chart as a standalone SVG, laid out here: an org chart is a tree, and a top-down tree
//! layout needs no general graph layout engine (nor Graphviz). Each subtree gets a span as
//! wide as its box or its children's spans side by side, whichever is wider; a box is
//! centered over its span, its children a gap below it. Children that are all leaves, more
//! than `STACK_FROM` of them, hang in one column under their parent instead of a row, so a
//! department with forty teams is not forty boxes wide.
//!
//! All text is XML-escaped character data of `<text>` elements; the document has no script,
//! no style sheet, no link and no external reference.

use unicode_width::UnicodeWidthStr;

use super::Chart;

const FONT_SIZE: f64 = 12.0;
const LINE_HEIGHT: f64 = 16.0;
/// Width of one terminal column of text at `FONT_SIZE`, roughly (CJK takes two).
const COLUMN_WIDTH: f64 = 7.2;
const PAD: f64 = 8.0;
const MIN_BOX_WIDTH: f64 = 120.0;
const H_GAP: f64 = 24.0;
const V_GAP: f64 = 40.0;
const MARGIN: f64 = 16.0;
/// Leaf children beyond this many are stacked in a column.
const STACK_FROM: usize = 3;
/// How far a stacked column sits right of its parent's left edge (its trunk halfway).
const INDENT: f64 = 24.0;
/// Vertical gap between stacked boxes.
const STACK_GAP: f64 = 12.0;

struct Placed {
    lines: Vec<String>,
    /// How many of `lines` are the department's own (the rest are its people).
    head_lines: usize,
    w: f64,
    h: f64,
    x: f64,
    y: f64,
    /// The children hang in a column (see `STACK_FROM`).
    stacked: bool,
}

pub fn write(chart: &Chart) -> String {
    let children = chart.children();
    let mut boxes: Vec<Placed> = chart
        .boxes
        .iter()
        .map(|b| {
            let mut lines = b.lines();
            let head_lines = lines.len();
            lines.extend(b.people.iter().map(|p| format!("· {p}")));
            let widest = lines.iter().map(|l| l.width()).max().unwrap_or(0);
            let w = (widest as f64 * COLUMN_WIDTH + 2.0 * PAD).max(MIN_BOX_WIDTH);
            let h = lines.len() as f64 * LINE_HEIGHT + 2.0 * PAD;
            Placed {
                lines,
                head_lines,
                w,
                h,
                x: 0.0,
                y: 0.0,
                stacked: false,
            }
        })
        .collect();
    let none: &[usize] = &[];
    let kids_of = |i: usize| children.get(i).map_or(none, Vec::as_slice);
    let is_leaf = |k: &usize| kids_of(*k).is_empty();
    // Spans and heights of subtrees, children first: in pre-order a child follows its parent.
    let mut span = vec![0.0f64; boxes.len()];
    let mut extent = vec![0.0f64; boxes.len()];
    for i in (0..boxes.len()).rev() {
        let kids = kids_of(i);
        let Some(b) = boxes.get_mut(i) else {
            continue;
        };
        b.stacked = kids.len() > STACK_FROM && kids.iter().all(is_leaf);
        let get = |v: &[f64], k: usize| v.get(k).copied().unwrap_or(0.0);
        let (w, h) = if kids.is_empty() {
            (0.0, 0.0)
        } else if b.stacked {
            let col = kids.iter().map(|&k| get(&span, k)).fold(0.0, f64::max);
            let tall: f64 = kids.iter().map(|&k| get(&extent, k) + STACK_GAP).sum();
            (INDENT + col, tall - STACK_GAP + V_GAP / 2.0)
        } else {
            let tall = kids.iter().map(|&k| get(&extent, k)).fold(0.0, f64::max);
            (kids_width(kids, &span), V_GAP + tall)
        };
        if let (Some(s), Some(e)) = (span.get_mut(i), extent.get_mut(i)) {
            *s = b.w.max(w);
            *e = b.h + h;
        }
    }
    // Places, parents first, from the start's (box 0) at the top left.
    let mut left = vec![MARGIN; boxes.len()];
    let mut top = vec![MARGIN; boxes.len()];
    for i in 0..boxes.len() {
        let kids = kids_of(i);
        let l = left.get(i).copied().unwrap_or(MARGIN);
        let t = top.get(i).copied().unwrap_or(MARGIN);
        let s = span.get(i).copied().unwrap_or(0.0);
        let Some(b) = boxes.get_mut(i) else {
            continue;
        };
        if b.stacked {
            b.x = l;
            let mut ky = t + b.h + V_GAP / 2.0;
            for &k in kids {
                if let (Some(kl), Some(kt)) = (left.get_mut(k), top.get_mut(k)) {
                    (*kl, *kt) = (l + INDENT, ky);
                }
                ky += extent.get(k).copied().unwrap_or(0.0) + STACK_GAP;
            }
        } else {
            b.x = l + (s - b.w) / 2.0;
            let mut kx = l + (s - kids_width(kids, &span)) / 2.0;
            for &k in kids {
                if let (Some(kl), Some(kt)) = (left.get_mut(k), top.get_mut(k)) {
                    (*kl, *kt) = (kx, t + b.h + V_GAP);
                }
                kx += span.get(k).copied().unwrap_or(0.0) + H_GAP;
            }
        }
        b.y = t;
    }
    let note = chart.cut_note();
    let note_w = note
        .as_deref()
        .map_or(0.0, |n| n.width() as f64 * COLUMN_WIDTH);
    let width = span.first().copied().unwrap_or(0.0).max(note_w) + 2.0 * MARGIN;
    let bottom = MARGIN + extent.first().copied().unwrap_or(0.0);
    let note_y = bottom + PAD;
    let height = match note {
        Some(_) => note_y + LINE_HEIGHT + MARGIN,
        None => bottom + MARGIN,
    };
    render(chart, &boxes, note.as_deref(), width, height, note_y)
}

/// Children's spans side by side, with gaps between them.
fn kids_width(kids: &[usize], span: &[f64]) -> f64 {
    let total: f64 = kids
        .iter()
        .map(|&k| span.get(k).copied().unwrap_or(0.0))
        .sum();
    total + H_GAP * kids.len().saturating_sub(1) as f64
}

fn render(
    chart: &Chart,
    boxes: &[Placed],
    note: Option<&str>,
    width: f64,
    height: f64,
    note_y: f64,
) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"{FONT_SIZE}\">\n"
    ));
    out.push_str("<g fill=\"none\" stroke=\"#888\">\n");
    for &(p, c) in &chart.edges {
        let (Some(p), Some(c)) = (boxes.get(p), boxes.get(c)) else {
            continue;
        };
        let d = if p.stacked {
            // Down the trunk, then right into the child's side.
            let x1 = p.x + INDENT / 2.0;
            format!(
                "M{x1:.1} {:.1} V{:.1} H{:.1}",
                p.y + p.h,
                c.y + c.h / 2.0,
                c.x
            )
        } else {
            let (x1, y1) = (p.x + p.w / 2.0, p.y + p.h);
            let (x2, y2) = (c.x + c.w / 2.0, c.y);
            let mid = c.y - V_GAP / 2.0;
            format!("M{x1:.1} {y1:.1} V{mid:.1} H{x2:.1} V{y2:.1}")
        };
        out.push_str(&format!("<path d=\"{d}\"/>\n"));
    }
    out.push_str("</g>\n");
    for (i, b) in boxes.iter().enumerate() {
        out.push_str(&format!("<g id=\"n{i}\">\n"));
        out.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"4\" \
             fill=\"#f7f9fc\" stroke=\"#4a6fa5\"/>\n",
            b.x, b.y, b.w, b.h
        ));
        for (k, line) in b.lines.iter().enumerate() {
            let ty = b.y + PAD + (k as f64 + 1.0) * LINE_HEIGHT - 4.0;
            let weight = match k {
                0 => " font-weight=\"bold\"",
                _ if k >= b.head_lines => " fill=\"#333\"",
                _ => " fill=\"#555\"",
            };
            out.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{ty:.1}\"{weight}>{}</text>\n",
                b.x + PAD,
                escape(line)
            ));
        }
        out.push_str("</g>\n");
    }
    if let Some(n) = note {
        out.push_str(&format!(
            "<text x=\"{MARGIN}\" y=\"{:.1}\" fill=\"#a33\">{}</text>\n",
            note_y + LINE_HEIGHT - 4.0,
            escape(n)
        ));
    }
    out.push_str("</svg>\n");
    out
}

/// XML character data (safe in attribute values too).
pub fn escape(s: &str) -> String {
    let table = [
        ('&', "&amp;"),
        ('<', "&lt;"),
        ('>', "&gt;"),
        ('"', "&quot;"),
        ('\'', "&apos;"),
    ];
    super::escape_each(s, &table, |_| None)
}
