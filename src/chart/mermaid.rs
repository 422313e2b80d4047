//! The chart as a Mermaid flowchart (`flowchart TD`), for docs that render Mermaid.
//!
//! Every label is a quoted string (`n0["..."]`) whose text keeps only letters, digits, spaces
//! and a few inert marks; everything else is a Mermaid entity code (`#quot;`, `#35;`...), so no
//! name can close the string, start markup or an edge. Lines are joined with `<br/>`, which
//! only this writer emits. People are listed in their department's box, which keeps the
//! chart a tree of departments.

use super::Chart;

/// Mermaid's renderer refuses more edges than this by default (`maxEdges`).
pub const MERMAID_MAX_EDGES: usize = 500;

pub fn write(chart: &Chart) -> String {
    let mut out = String::from("flowchart TD\n");
    for (i, b) in chart.boxes.iter().enumerate() {
        let mut lines: Vec<String> = b.lines().iter().map(|l| escape(l)).collect();
        lines.extend(b.people.iter().map(|p| format!("· {}", escape(p))));
        out.push_str(&format!("    n{i}[\"{}\"]\n", lines.join("<br/>")));
    }
    for (p, c) in &chart.edges {
        out.push_str(&format!("    n{p} --> n{c}\n"));
    }
    if let Some(note) = chart.cut_note() {
        // A box of its own, after the departments' ids, with no edge.
        out.push_str(&format!(
            "    n{}[\"{}\"]\n",
            chart.boxes.len(),
            escape(&note)
        ));
    }
    out
}

/// Text for inside `["..."]`. Mermaid decodes `#name;` and `#NNN;` codes in labels.
pub fn escape(s: &str) -> String {
    let table = [
        ('"', "#quot;"),
        ('&', "#amp;"),
        ('<', "#lt;"),
        ('>', "#gt;"),
    ];
    super::escape_each(s, &table, |c| {
        let inert = c.is_alphanumeric() || " .,:+-_()".contains(c) || !c.is_ascii();
        // Other ASCII marks (`#`, `;`, brackets, backticks...) as numeric codes; the rest
        // (CJK punctuation, emoji, U+FFFD) are inert in a quoted label.
        (!inert).then(|| format!("#{};", u32::from(c)))
    })
}
