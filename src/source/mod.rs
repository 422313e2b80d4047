//! Where a session's directory comes from: a live profile, the bundled demo org (served
//! in-process by the fake server, or its snapshot offline), a profile's snapshot
//! (`--offline`), or an org file (`--org-file`). Each becomes one `Arc<dyn Directory>`, and
//! for the browser offline a warm start: the snapshot's head and first people, drawn at once
//! while the directory is built on a thread.
//!
//! Submodules: `org_file_cache` (an org file parsed once and cached as a snapshot).

pub mod org_file_cache;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{self, Profile};
use crate::directory::offline::OfflineDirectory;
use crate::directory::pending::PendingDirectory;
use crate::directory::{Directory, ProviderKind};
use crate::error::{Error, Result};
use crate::fake::{self, FakeServer};
use crate::http::HttpOptions;
use crate::secret::Secret;
use crate::snapshot::{self, People, Snapshot, SnapshotHead};

/// The in-process server behind the demo: the session holds it, and drops it to stop it.
pub type DemoServer = FakeServer;

/// The demo server listens on a new port each run; its snapshot is keyed by this instead.
const DEMO_BASE_URL: &str = "builtin:demo-org";

/// What to open.
pub enum Source<'a> {
    /// A resolved profile, over the network.
    Online(Profile),
    /// A resolved profile's snapshot; nothing goes to a server.
    Snapshot(Profile),
    /// The bundled demo org as `provider` serves it (`provider` as typed: checked here),
    /// or its snapshot when `offline`.
    Demo { provider: &'a str, offline: bool },
    /// An org file.
    OrgFile(&'a Path),
}

/// An opened source.
pub struct Opened {
    pub dir: Arc<dyn Directory>,
    /// The profile used, or for the demo and an org file one that only names the data
    /// (see `stand_in_profile`).
    pub profile: Profile,
    /// Where this source's snapshot lives (the demo has one too). None for an org file,
    /// whose data is the file itself, or when there is no home directory.
    pub snapshot_path: Option<PathBuf>,
    /// Answering from a snapshot or an org file: nothing goes to a server.
    pub offline: bool,
    /// Offline, for the browser: the data `dir` answers from, to draw at once.
    pub start: Option<(SnapshotHead, People)>,
    /// The in-process demo server, kept alive as long as the directory that talks to it.
    pub demo: Option<DemoServer>,
}

impl Source<'_> {
    /// The directory, and for `browser` offline its warm start; commands (not `browser`)
    /// get the directory built at once.
    pub async fn open(self, browser: bool) -> Result<Opened> {
        match self {
            Source::Online(profile) => {
                let snapshot_path = snapshot_path(&profile);
                Ok(Opened {
                    dir: crate::providers::connect(&profile)?,
                    profile,
                    snapshot_path,
                    offline: false,
                    start: None,
                    demo: None,
                })
            }
            Source::Snapshot(profile) => from_snapshot(profile, browser),
            Source::Demo { provider, offline } => demo(provider, offline, browser).await,
            Source::OrgFile(path) => Ok(match org_file_cache::open_warm(path) {
                Some(start) if browser => org_file_warm(path, start),
                _ => {
                    let (dir, snap) = org_file_dir(path)?;
                    of_org_file(path, Arc::new(dir), snap.split())
                }
            }),
        }
    }
}

/// Offline on `profile`'s snapshot.
fn from_snapshot(profile: Profile, browser: bool) -> Result<Opened> {
    let snapshot_path = snapshot_path(&profile);
    let (dir, start) = offline_directory(&profile.name, snapshot_path.as_deref(), browser)?;
    Ok(Opened {
        dir,
        profile,
        snapshot_path,
        offline: true,
        start: Some(start),
        demo: None,
    })
}

fn snapshot_path(profile: &Profile) -> Option<PathBuf> {
    snapshot::path_for(&profile.name, profile.provider.as_str(), &profile.base_url)
}

/// A profile that only names data served without credentials (the demo, an org file): what
/// the browser shows as its title and keys the snapshot by. No secret, no app id: the demo
/// server's are filled in once it runs.
fn stand_in_profile(name: String, provider: ProviderKind, base_url: String) -> Profile {
    Profile {
        name,
        provider,
        base_url,
        app_id: String::new(),
        app_secret: Secret::new(""),
        provider_config: crate::providers::ProviderConfig::defaults(provider),
        http: HttpOptions::default(),
        secret_source: config::SecretSource::Builtin,
    }
}

async fn demo(provider: &str, offline: bool, browser: bool) -> Result<Opened> {
    let provider = ProviderKind::parse(provider)
        .ok_or_else(|| Error::Usage(format!("--demo-provider: unknown provider {provider:?}")))?;
    let mut profile = stand_in_profile("demo".into(), provider, DEMO_BASE_URL.into());
    profile.http.concurrency = 16;
    let snapshot_path = snapshot_path(&profile);
    if offline {
        return from_snapshot(profile, browser);
    }
    let org = fake::Org::from_json(fake::DEMO_ORG_JSON)
        .map_err(|e| Error::Io(format!("bundled demo org: {e}")))?;
    let opts = fake::FakeOptions {
        provider,
        ..fake::FakeOptions::default()
    };
    let server = fake::start(org, opts.clone(), ([127, 0, 0, 1], 0).into())
        .await
        .map_err(|e| Error::Io(format!("cannot start the demo server: {e}")))?;
    profile.base_url = server.base_url();
    profile.app_id = opts.app_id.clone();
    profile.app_secret = Secret::new(opts.app_secret.expose());
    let dir = crate::providers::connect(&profile)?;
    Ok(Opened {
        dir,
        profile,
        snapshot_path,
        offline: false,
        start: None,
        demo: Some(server),
    })
}

/// The bundled demo org as a complete snapshot (for `orgtui search --demo`).
pub fn demo_snapshot() -> Result<Snapshot> {
    let file: crate::model::OrgFile = serde_json::from_str(fake::DEMO_ORG_JSON)
        .map_err(|e| Error::Io(format!("bundled demo org: {e}")))?;
    Ok(Snapshot::from_org_file(&file, "demo"))
}

/// The browser on an org file with a warm snapshot: drawn from the snapshot's head at
/// once, the directory built on a thread.
fn org_file_warm(path: &Path, start: (SnapshotHead, People)) -> Opened {
    let owned = path.to_path_buf();
    let dir = PendingDirectory::spawn(ProviderKind::Wps, move || {
        Ok(Arc::new(org_file_dir(&owned)?.0) as Arc<dyn Directory>)
    });
    of_org_file(path, Arc::new(dir), start)
}

fn of_org_file(path: &Path, dir: Arc<dyn Directory>, start: (SnapshotHead, People)) -> Opened {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "org file".into());
    Opened {
        dir,
        // An org file's format is WPS-like.
        profile: stand_in_profile(
            name,
            ProviderKind::Wps,
            format!("file://{}", path.display()),
        ),
        snapshot_path: None,
        offline: true,
        start: Some(start),
        demo: None,
    }
}

/// An org file's offline directory, and the snapshot it answers from.
fn org_file_dir(path: &Path) -> Result<(OfflineDirectory, Snapshot)> {
    let snap = org_file_cache::load(path)?;
    let dir = OfflineDirectory::from_snapshot(&snap)
        .map_err(|e| Error::Usage(format!("--org-file {}: {e}", path.display())))?;
    Ok((dir, snap))
}

/// Offline on a profile's snapshot: the directory that answers from it, and its head and
/// people to draw from. For the browser only the head is read now (a missing or damaged
/// one is the usual one-line error) and the directory is built on a thread; commands need
/// it at once.
fn offline_directory(
    profile: &str,
    path: Option<&Path>,
    browser: bool,
) -> Result<(Arc<dyn Directory>, (SnapshotHead, People))> {
    let path = snapshot_file(path)?.to_path_buf();
    if !browser {
        let (dir, snap) = whole_snapshot(profile, &path)?;
        return Ok((Arc::new(dir), snap.split()));
    }
    let start = snapshot::open(&path).map_err(|e| snapshot_error(&e, profile, &path))?;
    let kind = ProviderKind::parse(&start.0.provider).unwrap_or(ProviderKind::Wps);
    let name = profile.to_string();
    let dir = PendingDirectory::spawn(kind, move || {
        Ok(Arc::new(whole_snapshot(&name, &path)?.0) as Arc<dyn Directory>)
    });
    Ok((Arc::new(dir), start))
}

/// A profile's whole snapshot, and the offline directory answering from it; a missing or
/// unreadable snapshot is a usage error (exit 2) naming the file and what to do.
fn whole_snapshot(profile: &str, path: &Path) -> Result<(OfflineDirectory, Snapshot)> {
    let snap = snapshot::load(path).map_err(|e| snapshot_error(&e, profile, path))?;
    Ok((offline_dir(&snap, Some(path))?, snap))
}

/// The snapshot file, or the usage error of having no cache directory to find it in.
pub fn snapshot_file(path: Option<&Path>) -> Result<&Path> {
    path.ok_or_else(|| {
        Error::Usage(
            "no cache directory (is HOME set?), so there is no snapshot to read offline".into(),
        )
    })
}

/// A snapshot that cannot be read, as a usage error saying how to get one.
pub fn snapshot_error(e: &snapshot::LoadError, profile: &str, path: &Path) -> Error {
    Error::Usage(format!(
        "{e}: {} (profile {profile:?}); run orgtui online first (browse, or `orgtui export`) to save one",
        path.display()
    ))
}

fn offline_dir(snap: &Snapshot, path: Option<&Path>) -> Result<OfflineDirectory> {
    OfflineDirectory::from_snapshot(snap).map_err(|e| {
        let shown = path.map_or_else(|| "snapshot".into(), |p| p.display().to_string());
        Error::Usage(format!(
            "{shown}: {e}; run orgtui online first (browse, or `orgtui export`)"
        ))
    })
}

/// A timing line: to the log, and to stderr when `ORGTUI_TIMINGS` is set (for measuring;
/// never in normal output).
pub(crate) fn timing(line: &str) {
    crate::log::debug(line);
    if std::env::var_os("ORGTUI_TIMINGS").is_some_and(|v| !v.is_empty()) {
        eprintln!("timing: {line}");
    }
}
