//! Department paths (`Acme/R&D/Backend`) built from parent links a file or server gives.
//!
//! A path is as long as the chain above its department, so a hostile chain thousands deep
//! would make every path that long and all of them together quadratic in memory. Paths are
//! therefore kept to [`MAX_PATH_BYTES`]: the names nearest the department stay, and `…`
//! stands for the ones cut off the top.

use std::collections::HashSet;

/// The longest department path kept, in bytes. Real paths are well under this.
pub const MAX_PATH_BYTES: usize = 1024;

/// What stands for the names cut off the top of a path.
pub const CUT: &str = "…";

/// `parent/name` (just `name` at the top), cut to [`MAX_PATH_BYTES`].
pub fn child_path(parent: Option<&str>, name: &str) -> String {
    match parent {
        Some(p) => cap(format!("{p}/{name}")),
        None => cap(name.to_string()),
    }
}

/// `path` when it fits; otherwise `…/` and as many whole names from its end as fit.
pub fn cap(path: String) -> String {
    if path.len() <= MAX_PATH_BYTES {
        return path;
    }
    let budget = MAX_PATH_BYTES.saturating_sub(CUT.len().saturating_add(1));
    let mut start = path.len().saturating_sub(budget);
    while start < path.len() && !path.is_char_boundary(start) {
        start = start.saturating_add(1);
    }
    let tail = path.get(start..).unwrap_or_default();
    // Start at a whole name when the tail holds more than one.
    let tail = match tail.find('/').and_then(|i| tail.get(i.saturating_add(1)..)) {
        Some(rest) if !rest.is_empty() => rest,
        _ => tail,
    };
    format!("{CUT}/{tail}")
}

/// The last `n` names of `path` (at least one), with `…/` standing for those left out:
/// `Acme/R&D/Backend` → `…/R&D/Backend`. What a results row shows.
pub fn tail(path: &str, n: usize) -> String {
    let names: Vec<&str> = path.split('/').collect();
    let keep = n.max(1);
    if names.len() <= keep {
        return path.to_string();
    }
    let from = names.len().saturating_sub(keep);
    let rest = names.get(from..).unwrap_or_default().join("/");
    if rest.starts_with(CUT) {
        rest
    } else {
        format!("{CUT}/{rest}")
    }
}

/// A path collected from a department upwards, one name per ancestor. It keeps a visited
/// set, so a parent chain that loops ends where it closes, and it stops taking names once
/// [`MAX_PATH_BYTES`] are reached, so a walk is bounded by the path's size whatever the
/// depth.
#[derive(Debug, Default)]
pub struct PathUp {
    names: Vec<String>,
    bytes: usize,
    seen: HashSet<String>,
    cut: bool,
}

impl PathUp {
    pub fn new() -> PathUp {
        PathUp::default()
    }

    /// Add the name of department `id`, the parent of the last one added. False when the
    /// walk should stop: `id` was seen already (a loop) or the path is full.
    pub fn push(&mut self, id: &str, name: &str) -> bool {
        if !self.seen.insert(id.to_string()) {
            return false;
        }
        let bytes = self.bytes.saturating_add(name.len()).saturating_add(1);
        if bytes > MAX_PATH_BYTES.saturating_add(1) && !self.names.is_empty() {
            self.cut = true;
            return false;
        }
        self.bytes = bytes;
        self.names.push(name.to_string());
        true
    }

    /// The names from the top down, joined with `/`.
    pub fn finish(mut self) -> String {
        self.names.reverse();
        let path = self.names.join("/");
        if self.cut {
            cap(format!("{CUT}/{path}"))
        } else {
            cap(path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_keeps_the_last_names() {
        assert_eq!(tail("Acme/R&D/Backend", 2), "…/R&D/Backend");
        assert_eq!(tail("Acme/R&D", 2), "Acme/R&D");
        assert_eq!(tail("Acme", 2), "Acme");
        assert_eq!(tail("…/x/R&D/Backend", 3), "…/x/R&D/Backend");
        assert_eq!(tail("a/b", 0), "…/b");
    }

    #[test]
    fn short_paths_are_kept_whole() {
        assert_eq!(child_path(None, "Acme"), "Acme");
        assert_eq!(child_path(Some("Acme"), "R&D"), "Acme/R&D");
        let mut up = PathUp::new();
        assert!(up.push("b", "Backend"));
        assert!(up.push("r", "R&D"));
        assert!(up.push("a", "Acme"));
        assert_eq!(up.finish(), "Acme/R&D/Backend");
    }

    #[test]
    fn long_paths_keep_the_nearest_whole_names() {
        let mut p = child_path(None, "top");
        for i in 0..10_000 {
            p = child_path(Some(&p), &format!("名{i}"));
            assert!(p.len() <= MAX_PATH_BYTES, "{}", p.len());
        }
        assert!(p.starts_with("…/名"), "{p}");
        assert!(p.ends_with("/名9999"), "{p}");

        let mut up = PathUp::new();
        let mut pushed = 0;
        for i in (0..10_000).rev() {
            if !up.push(&i.to_string(), &format!("名{i}")) {
                break;
            }
            pushed += 1;
        }
        assert!(
            pushed < 200,
            "the walk stops once the path is full: {pushed}"
        );
        let p = up.finish();
        assert!(p.len() <= MAX_PATH_BYTES, "{}", p.len());
        assert!(p.starts_with("…/名") && p.ends_with("/名9999"), "{p}");
    }

    #[test]
    fn a_loop_ends_where_it_closes() {
        let mut up = PathUp::new();
        assert!(up.push("a", "A"));
        assert!(up.push("b", "B"));
        assert!(!up.push("a", "A"));
        assert_eq!(up.finish(), "B/A");
    }

    #[test]
    fn one_huge_name_is_cut_on_a_char_boundary() {
        let p = child_path(None, &"界".repeat(2000));
        assert!(
            p.len() <= MAX_PATH_BYTES && p.starts_with("…/界"),
            "{}",
            p.len()
        );
    }
}
