//! The chart as a standalone SVG, laid out here: an org chart is a tree, and a top-down tree
//! layout needs no general graph layout engine (nor Graphviz). Each subtree gets a span as
//! wide as its box or its children's spans side by side, whichever is wider; a box is
//! centered over its span, and each level sits below the tallest box of the level above.
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

struct Placed {
    lines: Vec<String>,
    /// How many of `lines` are the department's own (the rest are its people).
    head_lines: usize,
    w: f64,
    h: f64,
    x: f64,
    y: f64,
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
            }
        })
        .collect();
    // Spans, children first: in pre-order every child comes after its parent.
    let mut span = vec![0.0f64; boxes.len()];
    for i in (0..boxes.len()).rev() {
        let kids = children.get(i).map_or(&[][..], Vec::as_slice);
        let kids_w = kids_width(kids, &span);
        let own = boxes.get(i).map_or(0.0, |b| b.w);
        if let Some(s) = span.get_mut(i) {
            *s = own.max(kids_w);
        }
    }
    // Row tops: each level below the tallest box of the one above.
    let levels = chart
        .boxes
        .iter()
        .map(|b| b.depth)
        .max()
        .map_or(0, |d| d.saturating_add(1));
    let mut row_h = vec![0.0f64; levels];
    for (b, p) in chart.boxes.iter().zip(&boxes) {
        if let Some(r) = row_h.get_mut(b.depth) {
            *r = r.max(p.h);
        }
    }
    let mut row_y = Vec::with_capacity(levels);
    let mut y = MARGIN;
    for h in &row_h {
        row_y.push(y);
        y += h + V_GAP;
    }
    // Left edges of spans, parents first, from the start's (box 0).
    let mut left = vec![MARGIN; boxes.len()];
    for i in 0..boxes.len() {
        let kids = children.get(i).map_or(&[][..], Vec::as_slice);
        let s = span.get(i).copied().unwrap_or(0.0);
        let l = left.get(i).copied().unwrap_or(0.0);
        let mut kx = l + (s - kids_width(kids, &span)) / 2.0;
        for &k in kids {
            if let Some(kl) = left.get_mut(k) {
                *kl = kx;
            }
            kx += span.get(k).copied().unwrap_or(0.0) + H_GAP;
        }
        if let (Some(p), Some(b)) = (boxes.get_mut(i), chart.boxes.get(i)) {
            p.x = l + (s - p.w) / 2.0;
            p.y = row_y.get(b.depth).copied().unwrap_or(MARGIN);
        }
    }
    let note = chart.cut_note();
    let note_w = note
        .as_deref()
        .map_or(0.0, |n| n.width() as f64 * COLUMN_WIDTH);
    let width = span.first().copied().unwrap_or(0.0).max(note_w) + 2.0 * MARGIN;
    let bottom = (y - V_GAP).max(MARGIN);
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
        let (x1, y1) = (p.x + p.w / 2.0, p.y + p.h);
        let (x2, y2) = (c.x + c.w / 2.0, c.y);
        let mid = c.y - V_GAP / 2.0;
        out.push_str(&format!(
            "<path d=\"M{x1:.1} {y1:.1} V{mid:.1} H{x2:.1} V{y2:.1}\"/>\n"
        ));
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
