//! Writing files only their owner may read: the snapshot and the org-file cache hold every
//! employee's email and mobile, the log what the session did. Every file orgtui writes goes
//! through here.
//!
//! - Files are mode 0600 and directories 0700; an existing file or directory with wider
//!   permissions is tightened on the next write.
//! - A file replaced as a whole (`write_private`) is written to a temp file created
//!   exclusively (`create_new`: `O_CREAT|O_EXCL`, which also refuses an existing symlink)
//!   under a random name in the target's directory, then renamed over the target. A symlink
//!   planted at a temp path is never followed, and a reader sees the old file or the new one.
//! - A file appended to (`open_append_private`, the log) is refused when it is a symlink.
//!
//! On platforms without Unix permissions the modes are left to the platform.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The mode of every file orgtui writes.
pub const FILE_MODE: u32 = 0o600;
/// The mode of every directory orgtui creates or writes into.
pub const DIR_MODE: u32 = 0o700;

/// How many random temp names are tried before giving up: a clash means someone is planting
/// files at our temp paths, or a broken random source.
const TEMP_ATTEMPTS: usize = 16;

/// Create `dir` (and any missing parents, 0700) and make it 0700, and with it every directory
/// between orgtui's cache directory and `dir` (they are all orgtui's own).
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    create_dirs(dir)?;
    tighten_dir(dir)?;
    if let Some(root) = crate::paths::project_dirs().map(|d| d.cache_dir().to_path_buf()) {
        for above in dir.ancestors().skip(1) {
            if !above.starts_with(&root) {
                break;
            }
            tighten_dir(above)?;
        }
    }
    Ok(())
}

/// Replace `path` with `chunks` written one after another, atomically, mode 0600, in a
/// private directory (see the module notes). The data is on disk before the rename.
pub fn write_private(path: &Path, chunks: &[&[u8]]) -> io::Result<()> {
    write_private_named(path, chunks, random_temp_names(path))
}

/// `write_private` with the temp names to try given (tests plant files at them).
pub fn write_private_named(
    path: &Path,
    chunks: &[&[u8]],
    names: impl IntoIterator<Item = String>,
) -> io::Result<()> {
    let dir = dir_of(path);
    ensure_private_dir(dir)?;
    remove_abandoned_temps(dir, &file_name(path));
    let (mut f, temp) = create_temp(dir, names)?;
    let written = (|| {
        for chunk in chunks {
            f.write_all(chunk)?;
        }
        // Data on disk before the rename makes it visible: otherwise a crash could leave the
        // new name pointing at an empty file.
        f.sync_all()?;
        fs::rename(&temp, path)
    })();
    drop(f);
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    // Make the rename itself durable. Not every platform can open a directory; the file is
    // complete either way, so this is best effort.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Open `path` to append to, creating it 0600 in a private directory and tightening it if it
/// is wider. A symlink is refused, also one swapped in while opening.
pub fn open_append_private(path: &Path) -> io::Result<File> {
    ensure_private_dir(dir_of(path))?;
    refuse_symlink(path)?;
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    let f = options.open(path)?;
    // What was opened must be what is at the path now, not a symlink's target.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let opened = f.metadata()?;
        let there = fs::symlink_metadata(path)?;
        if !opened.is_file() || opened.dev() != there.dev() || opened.ino() != there.ino() {
            return Err(io::Error::other(format!(
                "{} changed while it was opened",
                path.display()
            )));
        }
    }
    set_file_mode(&f)?;
    Ok(f)
}

fn refuse_symlink(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(io::Error::other(format!(
            "{} is a symbolic link; refusing to write through it",
            path.display()
        ))),
        Ok(m) if !m.is_file() => Err(io::Error::other(format!(
            "{} is not a regular file",
            path.display()
        ))),
        _ => Ok(()),
    }
}

fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into())
}

/// `.NAME.PID.RANDOM.tmp`: the prefix and suffix let a later write find temp files left by a
/// writer that died (`remove_abandoned_temps`); the random part makes the path unguessable.
fn random_temp_names(path: &Path) -> impl Iterator<Item = String> {
    let name = file_name(path);
    let pid = std::process::id();
    (0..TEMP_ATTEMPTS).map(move |_| format!(".{name}.{pid}.{:016x}.tmp", fastrand::u64(..)))
}

/// Create the first of `names` in `dir` that does not exist yet, exclusively, mode 0600.
fn create_temp(dir: &Path, names: impl IntoIterator<Item = String>) -> io::Result<(File, PathBuf)> {
    let mut last = None;
    for name in names {
        let temp = dir.join(name);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(FILE_MODE);
        }
        match options.open(&temp) {
            Ok(f) => {
                // Exactly 0600 whatever the umask (a umask can only take bits away).
                if let Err(e) = set_file_mode(&f) {
                    drop(f);
                    let _ = fs::remove_file(&temp);
                    return Err(e);
                }
                return Ok((f, temp));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::other(format!("no temp file name left in {}", dir.display()))
    }))
}

fn create_dirs(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    builder.create(dir)
}

#[cfg(unix)]
fn tighten_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::metadata(dir)?;
    if meta.permissions().mode() & 0o7777 != DIR_MODE {
        fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Through the open handle (fchmod), so it is the file opened that changes.
#[cfg(unix)]
fn set_file_mode(f: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if f.metadata()?.permissions().mode() & 0o7777 != FILE_MODE {
        f.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_file_mode(_f: &File) -> io::Result<()> {
    Ok(())
}

/// A temp file untouched for this long was left by a writer that died mid-write (a write
/// takes well under a second); newer ones may belong to a writer still at work.
const ABANDONED_AFTER: Duration = Duration::from_secs(600);

/// Remove the temp files of earlier writes of `name` that were killed before their rename.
/// Best effort: anything unexpected is left alone. A symlink is removed itself, never its
/// target.
fn remove_abandoned_temps(dir: &Path, name: &str) {
    let prefix = format!(".{name}.");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        if !(file_name.starts_with(&prefix) && file_name.ends_with(".tmp")) {
            continue;
        }
        // `DirEntry::metadata` does not follow a symlink.
        let abandoned = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > ABANDONED_AFTER);
        if abandoned {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn new_files_and_dirs_are_private() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a/b/f.snap");
        write_private(&path, &[b"one", b"two"]).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"onetwo");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&tmp.path().join("a/b")), 0o700);
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
    }

    #[test]
    fn wide_files_and_dirs_are_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("d");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.join("f");
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, &[b"new"]).unwrap();
        assert_eq!((mode(&path), mode(&dir)), (0o600, 0o700));

        let log = dir.join("log");
        fs::write(&log, b"old\n").unwrap();
        fs::set_permissions(&log, fs::Permissions::from_mode(0o666)).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        let mut f = open_append_private(&log).unwrap();
        f.write_all(b"new\n").unwrap();
        assert_eq!(fs::read(&log).unwrap(), b"old\nnew\n");
        assert_eq!((mode(&log), mode(&dir)), (0o600, 0o700));
    }

    #[test]
    fn a_symlink_at_the_temp_path_is_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim");
        fs::write(&victim, b"keep me").unwrap();
        let path = tmp.path().join("f.snap");
        let planted = tmp.path().join(".f.snap.planted.tmp");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let names = [
            ".f.snap.planted.tmp".to_string(),
            ".f.snap.free.tmp".to_string(),
        ];
        write_private_named(&path, &[b"data"], names).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"keep me");
        assert!(
            fs::symlink_metadata(&planted)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&path).unwrap(), b"data");
        assert!(
            !fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(!tmp.path().join(".f.snap.free.tmp").exists());

        // Every name taken: an error, and still nothing written through the link.
        let names = [".f.snap.planted.tmp".to_string()];
        assert!(write_private_named(&path, &[b"x"], names).is_err());
        assert_eq!(fs::read(&victim).unwrap(), b"keep me");
    }

    #[test]
    fn appending_refuses_a_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim");
        fs::write(&victim, b"keep me").unwrap();
        fs::set_permissions(&victim, fs::Permissions::from_mode(0o644)).unwrap();
        let log = tmp.path().join("log");
        std::os::unix::fs::symlink(&victim, &log).unwrap();
        assert!(open_append_private(&log).is_err());
        assert_eq!(fs::read(&victim).unwrap(), b"keep me");
        assert_eq!(
            mode(&victim),
            0o644,
            "the link's target is not chmodded either"
        );
    }
}
