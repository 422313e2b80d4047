//! The chart in Graphviz's DOT language (`dot -Tsvg chart.dot > chart.svg`).
//!
//! Node ids are generated (`n0`, `n1`, ...). Labels are quoted strings with `\` and `"`
//! escaped, so a name can neither end the string nor use Graphviz's own escapes (`\N`, `\G`);
//! `&` becomes `&amp;`, since Graphviz reads entities in labels. Lines end in `\l` (left
//! aligned), which only this writer emits. What the depth limit cut is the graph's label.

use super::Chart;

pub fn write(chart: &Chart) -> String {
    let mut out = String::from("digraph orgchart {\n");
    out.push_str("    graph [rankdir=TB, labelloc=b, fontname=\"sans-serif\"];\n");
    out.push_str("    node [shape=box, style=rounded, fontname=\"sans-serif\", fontsize=11];\n");
    out.push_str("    edge [arrowhead=none];\n");
    if let Some(note) = chart.cut_note() {
        out.push_str(&format!("    label=\"{}\";\n", escape(&note)));
    }
    for (i, b) in chart.boxes.iter().enumerate() {
        let mut label = String::new();
        for l in b.lines() {
            label.push_str(&escape(&l));
            label.push_str("\\l");
        }
        for p in &b.people {
            label.push_str(&format!("· {}\\l", escape(p)));
        }
        out.push_str(&format!("    n{i} [label=\"{label}\"];\n"));
    }
    for (p, c) in &chart.edges {
        out.push_str(&format!("    n{p} -> n{c};\n"));
    }
    out.push_str("}\n");
    out
}

/// Text for inside a DOT quoted string.
pub fn escape(s: &str) -> String {
    super::escape_each(s, &[('\\', "\\\\"), ('"', "\\\""), ('&', "&amp;")], |_| {
        None
    })
}
