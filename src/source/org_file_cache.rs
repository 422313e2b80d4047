//! `--org-file FILE`: an org file (the `export` JSON format) as a snapshot. Parsing a large
//! file's JSON costs far more than loading a binary snapshot, so the parsed result is cached
//! in the cache dir, keyed by the file's path, size and modification time; the next run with
//! the same unchanged file reads the cache instead (the "warm snapshot").

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Instant, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::model::OrgFile;
use crate::snapshot::{self, Snapshot, SnapshotBytes};

/// An org file's contents: the checked bytes of its warm snapshot, or freshly parsed.
pub enum Cached {
    Warm(SnapshotBytes),
    Cold(Snapshot),
}

/// The file's contents as a complete snapshot whose `profile` is the file's absolute path.
pub fn load(path: &Path) -> Result<Snapshot> {
    match open(path)? {
        Cached::Cold(snap) => Ok(snap),
        Cached::Warm(bytes) => match bytes.decode() {
            Ok(snap) => Ok(snap),
            // The cache passed its checksum but does not decode: ignore it, like any other
            // cache problem.
            Err(_) => parse(path, None, None),
        },
    }
}

/// For the browser's fast start: the fresh warm snapshot's head and people, without reading
/// the rest of it. None when there is none (the file must be parsed first).
pub fn open_warm(path: &Path) -> Option<(snapshot::SnapshotHead, snapshot::People)> {
    let meta = fs::metadata(path).ok().filter(|m| !m.is_dir())?;
    let id = absolute(path);
    let (current, _) = cache_paths(&id, &meta)?;
    snapshot::open(&current)
        .ok()
        .filter(|(head, _)| head.profile == id)
}

/// The warm snapshot when there is a fresh one, else the file parsed (and cached).
pub fn open(path: &Path) -> Result<Cached> {
    let shown = path.display();
    // Stat before reading: if the file changes while we read it, its new mtime no longer
    // matches the key we cache under, so the next run parses it again.
    let meta = fs::metadata(path)
        .map_err(|e| Error::Usage(format!("--org-file {shown}: cannot read: {e}")))?;
    if meta.is_dir() {
        return Err(Error::Usage(format!(
            "--org-file {shown}: is a directory, not an org file"
        )));
    }
    let id = absolute(path);
    let cache = cache_paths(&id, &meta);
    if let Some((current, _)) = &cache {
        // Anything wrong with the cache (missing, old format, damaged, another file's after
        // a hash collision) just means parsing the file again.
        if let Ok(bytes) = SnapshotBytes::read(current)
            && bytes.profile().is_ok_and(|p| p == id)
        {
            return Ok(Cached::Warm(bytes));
        }
    }
    parse(path, mtime_secs(&meta), cache).map(Cached::Cold)
}

fn absolute(path: &Path) -> String {
    fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

/// `modified`: the file's mtime, which the snapshot gives as its age (the data is as old as
/// the file, not as the cache).
fn parse(path: &Path, modified: Option<u64>, cache: Option<(PathBuf, String)>) -> Result<Snapshot> {
    let shown = path.display();
    let started = Instant::now();
    let bytes = fs::read(path)
        .map_err(|e| Error::Usage(format!("--org-file {shown}: cannot read: {e}")))?;
    let file: OrgFile = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Usage(format!("--org-file {shown}: not a valid org file: {e}")))?;
    drop(bytes);
    let parsed = started.elapsed();
    let mut snap = Snapshot::from_org_file(&file, &absolute(path));
    if let Some(m) = modified {
        snap.saved_at = m;
    }
    // The process exits soon; freeing the parsed file piece by piece would only delay it.
    std::mem::forget(file);
    let converted = started.elapsed();
    if let Some((current, stem)) = &cache {
        store(current, stem, &snap);
    }
    let cached = started.elapsed();
    super::timing(&format!(
        "org file: parse {:.1} ms, to snapshot {:.1} ms, cache write {:.1} ms",
        ms(parsed),
        ms(converted.saturating_sub(parsed)),
        ms(cached.saturating_sub(converted))
    ));
    Ok(snap)
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mtime_secs(meta: &fs::Metadata) -> Option<u64> {
    let t = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some(t.as_secs())
}

/// `(cache file for this exact version of the file, prefix shared by all its versions)`.
fn cache_paths(id: &str, meta: &fs::Metadata) -> Option<(PathBuf, String)> {
    let dir = crate::paths::project_dirs()?.cache_dir().join("snapshots");
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or((0, 0), |d| (d.as_secs(), d.subsec_nanos()));
    let version = format!("{}:{}.{:09}", meta.len(), mtime.0, mtime.1);
    let stem = format!("orgfile-{:012x}-", snapshot::fnv1a(id.as_bytes()) >> 16);
    let name = format!(
        "{stem}{:08x}.snap",
        snapshot::fnv1a(version.as_bytes()) >> 32
    );
    Some((dir.join(name), stem))
}

/// Save the cache and drop the caches of the file's older versions. Best effort: a cache
/// that cannot be written only makes the next run slower.
fn store(current: &Path, stem: &str, snap: &Snapshot) {
    if let Err(e) = snapshot::save(current, snap) {
        crate::log::warn(&format!(
            "cannot cache the org file as {}: {e}",
            current.display()
        ));
        return;
    }
    let (Some(dir), Some(keep)) = (current.parent(), current.file_name()) else {
        return;
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name != keep && name_str.starts_with(stem) && name_str.ends_with(".snap") {
            let _ = fs::remove_file(entry.path());
        }
    }
}
