//! The shape ARCHITECTURE.md promises, checked on the source itself so it stays true:
//! no import cycle between the files of one module (nor between top-level modules), lower
//! layers never import higher ones, `fake/` is used in production only by the fake-server
//! command and the demo source, and no file in `src/` is over 600 lines.
//!
//! Imports are read as Rust paths (`crate::a::b`, `super::x`, `self::y`) anywhere in a
//! file's code before its `#[cfg(test)]` part; test modules (`tests/` folders, `tests.rs`)
//! are left out, since tests may reach anything.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// Every production module of `src/`, by module path, with its code.
fn modules() -> BTreeMap<Module, (PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&root).expect("under src");
            let mut module: Module = rel
                .with_extension("")
                .iter()
                .map(|c| c.to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|l| l == "mod") {
                module.pop();
            }
            if module == ["lib"] || module == ["main"] {
                module.clear();
            }
            if module.iter().any(|c| c == "tests") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read file");
            out.insert(module, (path, text));
        }
    }
    out
}

/// The code before the file's test part.
fn production(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |i| &text[..i])
}

/// The modules `code` (in `module`) names through `crate::`, `super::` or `self::` paths,
/// each resolved to the longest known module prefix. Comments are skipped.
fn imports(
    module: &Module,
    code: &str,
    known: &BTreeMap<Module, (PathBuf, String)>,
) -> BTreeSet<Module> {
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < line.len() {
            let rest = &line[i..];
            let starts_word = i == 0 || !is_ident(bytes[i - 1]);
            let head = ["crate::", "super::", "self::"]
                .into_iter()
                .find(|h| rest.starts_with(h));
            let (true, Some(_)) = (starts_word, head) else {
                i += rest.chars().next().map_or(1, char::len_utf8);
                continue;
            };
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let parts: Vec<&str> = rest[..end].split("::").filter(|p| !p.is_empty()).collect();
            let mut base: Module = Vec::new();
            let mut names = parts.as_slice();
            match parts.first() {
                Some(&"crate") => names = &parts[1..],
                Some(&"self") => {
                    base = module.clone();
                    names = &parts[1..];
                }
                _ => {
                    base = module.clone();
                    while names.first() == Some(&"super") {
                        base.pop();
                        names = &names[1..];
                    }
                }
            }
            let full: Module = base
                .into_iter()
                .chain(names.iter().map(|s| s.to_string()))
                .collect();
            if let Some(target) = (1..=full.len())
                .rev()
                .map(|n| full[..n].to_vec())
                .find(|m| known.contains_key(m))
                && &target != module
            {
                out.insert(target);
            }
            i += end.max(1);
        }
    }
    out
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Every module's production imports.
fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let known = modules();
    known
        .iter()
        .map(|(m, (_, text))| (m.clone(), imports(m, production(text), &known)))
        .collect()
}

/// Strongly connected groups of more than one node.
fn cycles(nodes: &BTreeSet<Module>, edges: &BTreeSet<(Module, Module)>) -> Vec<Vec<Module>> {
    let mut next: HashMap<&Module, Vec<&Module>> = HashMap::new();
    for (a, b) in edges {
        next.entry(a).or_default().push(b);
    }
    // Reachability is enough at this size: a and b share a cycle when each reaches the other.
    let reach = |from: &Module| -> BTreeSet<Module> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(m) = stack.pop() {
            for n in next.get(m).into_iter().flatten() {
                if seen.insert((*n).clone()) {
                    stack.push(n);
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&Module, BTreeSet<Module>> =
        nodes.iter().map(|n| (n, reach(n))).collect();
    let mut out: Vec<Vec<Module>> = Vec::new();
    let mut placed = BTreeSet::new();
    for n in nodes {
        if placed.contains(n) || !reached[n].contains(n) {
            continue;
        }
        let group: Vec<Module> = nodes
            .iter()
            .filter(|m| reached[n].contains(*m) && reached[*m].contains(n))
            .cloned()
            .collect();
        placed.extend(group.iter().cloned());
        if group.len() > 1 {
            out.push(group);
        }
    }
    out
}

fn show(m: &Module) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

#[test]
fn no_import_cycle_among_the_files_of_a_module() {
    let graph = graph();
    let parents: BTreeSet<Module> = graph
        .keys()
        .filter(|m| !m.is_empty())
        .map(|m| m[..m.len() - 1].to_vec())
        .collect();
    let mut found = Vec::new();
    for parent in &parents {
        let depth = parent.len() + 1;
        let under = |m: &Module| m.len() >= depth && m[..parent.len()] == parent[..];
        // Files and folders directly in `parent`, each standing for everything under it.
        let nodes: BTreeSet<Module> = graph
            .keys()
            .filter(|m| under(m))
            .map(|m| m[..depth].to_vec())
            .collect();
        let edges: BTreeSet<(Module, Module)> = graph
            .iter()
            .filter(|(a, _)| under(a))
            .flat_map(|(a, bs)| bs.iter().filter(|b| under(b)).map(move |b| (a, b)))
            .map(|(a, b)| (a[..depth].to_vec(), b[..depth].to_vec()))
            .filter(|(a, b)| a != b)
            .collect();
        for group in cycles(&nodes, &edges) {
            let names: Vec<String> = group.iter().map(show).collect();
            found.push(format!("under {}: {}", show(parent), names.join(" <-> ")));
        }
    }
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn lower_layers_never_import_higher_ones() {
    let lower = ["model", "directory", "providers", "search"];
    let higher = ["tui", "cli"];
    let mut found = Vec::new();
    for (m, imports) in graph() {
        if !m.first().is_some_and(|top| lower.contains(&top.as_str())) {
            continue;
        }
        for i in imports {
            if i.first().is_some_and(|top| higher.contains(&top.as_str())) {
                found.push(format!("{} imports {}", show(&m), show(&i)));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn only_the_fake_server_command_and_the_demo_source_use_the_fake() {
    let allowed = [vec!["cli", "fake_server"], vec!["source"]];
    let mut found = Vec::new();
    for (m, imports) in graph() {
        if m.first().is_some_and(|top| top == "fake") || allowed.iter().any(|a| m == *a) {
            continue;
        }
        if imports
            .iter()
            .any(|i| i.first().is_some_and(|top| top == "fake"))
        {
            found.push(show(&m));
        }
    }
    assert!(found.is_empty(), "use fake/: {}", found.join(", "));
}

#[test]
fn no_source_file_is_over_600_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![root];
    let mut long = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let lines = std::fs::read_to_string(&path)
                    .expect("read")
                    .lines()
                    .count();
                if lines > 600 {
                    long.push(format!("{}: {lines} lines", path.display()));
                }
            }
        }
    }
    assert!(long.is_empty(), "{}", long.join("\n"));
}

/// The checks can fail: a made-up pair of files that import each other is a cycle, and a
/// chain is not.
#[test]
fn the_cycle_check_sees_a_cycle() {
    let m = |s: &str| -> Module { s.split("::").map(str::to_string).collect() };
    let nodes: BTreeSet<Module> = [m("a::x"), m("a::y"), m("a::z")].into();
    let chain: BTreeSet<(Module, Module)> = [(m("a::x"), m("a::y")), (m("a::y"), m("a::z"))].into();
    assert!(cycles(&nodes, &chain).is_empty());
    let mut looped = chain.clone();
    looped.insert((m("a::z"), m("a::x")));
    assert_eq!(cycles(&nodes, &looped).len(), 1);
    // And the import reader resolves `super::` from a file and from a mod.rs alike.
    let known: BTreeMap<Module, (PathBuf, String)> = [m("a"), m("a::x"), m("a::y")]
        .into_iter()
        .map(|k| (k, (PathBuf::new(), String::new())))
        .collect();
    let got = imports(&m("a::x"), "use super::y::Thing;\n// super::z\n", &known);
    assert_eq!(got, [m("a::y")].into());
    let got = imports(&m("a"), "pub use self::x::Thing; use crate::a::y;", &known);
    assert_eq!(got, [m("a::x"), m("a::y")].into());
}
