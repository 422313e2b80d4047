//! `orgtui chart`: a subtree drawn as a Mermaid flowchart, Graphviz DOT, or SVG (laid out
//! here, so no Graphviz is needed). The crawl goes one level deeper than drawn, so the chart
//! can say how many departments and people the depth limit left out.

use std::sync::Arc;

use super::output;
use super::tree::{crawl_with_people, report_cycles};
use crate::chart::{Chart, dot, mermaid, svg};
use crate::crawl::MAX_TREE_DEPTH;
use crate::directory::Directory;
use crate::error::{Error, Result, exit};
use crate::text::sanitize_line;

/// Levels drawn when `--depth` is not given: big orgs stay readable.
pub const DEFAULT_DEPTH: usize = 2;
/// Deepest `--depth`: the crawl goes one further, and a contact range one more.
pub const MAX_DEPTH: usize = MAX_TREE_DEPTH.saturating_sub(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Mermaid,
    Dot,
    Svg,
}

pub async fn run(
    dir: Arc<dyn Directory>,
    dept: Option<&str>,
    depth: Option<&str>,
    with_people: bool,
    format: &str,
) -> Result<i32> {
    // Checked before any request, each as one line (clap's own errors are several).
    let format = match format {
        "mermaid" => Format::Mermaid,
        "dot" => Format::Dot,
        "svg" => Format::Svg,
        other => {
            return Err(Error::Usage(format!(
                "--format {:?}: not one of mermaid, dot, svg",
                sanitize_line(other, 40)
            )));
        }
    };
    let depth = match depth {
        None => DEFAULT_DEPTH,
        Some(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|d| *d <= MAX_DEPTH)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--depth {:?}: not a whole number from 0 to {MAX_DEPTH}",
                    sanitize_line(text, 40)
                ))
            })?,
    };
    let crawled = crawl_with_people(dir, dept, Some(depth.saturating_add(1))).await;
    let (found, people) = match (crawled, dept) {
        (Err(Error::NotFound { what }), Some(id)) => {
            return Err(Error::Usage(format!(
                "--dept {:?}: no such department ({what})",
                sanitize_line(id, 80)
            )));
        }
        (r, _) => r?,
    };
    let chart = Chart::build(&found, &people, depth, with_people);
    let text = match format {
        Format::Mermaid => {
            if chart.edges.len() > mermaid::MERMAID_MAX_EDGES {
                eprintln!(
                    "warning: {} edges; Mermaid renders at most {} unless its maxEdges is raised \
                     (or use --depth, --format svg)",
                    chart.edges.len(),
                    mermaid::MERMAID_MAX_EDGES
                );
            }
            mermaid::write(&chart)
        }
        Format::Dot => dot::write(&chart),
        Format::Svg => svg::write(&chart),
    };
    output::emit(&text)?;
    report_cycles(&found);
    if let Some(note) = chart.cut_note() {
        eprintln!("note: {note}");
    }
    Ok(exit::OK)
}
