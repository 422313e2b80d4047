//! The command line: parse, set up the directory client (a profile, or the in-process demo
//! server), run one subcommand, and turn errors into one line on stderr and an exit status.

mod doctor;
mod export;
mod fake_org;
mod fake_server;
mod lookup;
mod members;
mod org_file;
pub mod output;
mod search;
mod tree;
mod user;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::config::{self, Profile};
use crate::directory::offline::OfflineDirectory;
use crate::directory::pending::PendingDirectory;
use crate::directory::{Directory, ProviderKind};
use crate::error::{Error, Result, exit};
use crate::fake::{self, FakeServer};
use crate::http::HttpOptions;
use crate::secret::Secret;
use crate::snapshot::{self, People, Snapshot, SnapshotHead};

#[derive(Debug, Parser)]
#[command(
    name = "orgtui",
    version,
    about = "Browse and script a WPS 365 or Feishu/Lark company directory"
)]
pub struct Cli {
    /// Config file (default: $ORGTUI_CONFIG, else the platform config dir).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Profile from the config file (default: default_profile).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Run on the bundled demo org, served in-process by the fake server: no account needed.
    #[arg(long, global = true)]
    pub demo: bool,
    /// Protocol the demo server speaks.
    #[arg(
        long,
        global = true,
        value_name = "wps|feishu|lark",
        default_value = "wps",
        hide_default_value = true
    )]
    pub demo_provider: String,
    /// Use only the profile's snapshot (saved by the browser and by `orgtui export`): no
    /// server, no credentials.
    #[arg(long, global = true)]
    pub offline: bool,
    /// Browse or query an org file (the `export` JSON format): no server, no config.
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "demo")]
    pub org_file: Option<PathBuf>,
    /// Print where orgtui reads its config and writes its logs, then exit.
    #[arg(long)]
    pub print_paths: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Users for the given emails, in input order. Unknown emails: exit status 1.
    Lookup {
        #[arg(required = true, value_name = "EMAIL")]
        emails: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// One user, departments included.
    User {
        user_id: String,
        #[arg(long)]
        json: bool,
    },
    /// All direct members of a department.
    Members {
        dept_id: String,
        #[arg(long)]
        json: bool,
    },
    /// The department tree: indented text, or nested JSON with children and members.
    Tree {
        /// Start here instead of the root.
        #[arg(long, value_name = "ID")]
        dept: Option<String>,
        /// Levels below the start to show.
        #[arg(long, value_name = "N")]
        depth: Option<usize>,
        /// List the members under each department in the text output.
        #[arg(long)]
        members: bool,
        #[arg(long)]
        json: bool,
    },
    /// The whole org (or a subtree) as an org file (JSON) or its users as CSV.
    Export {
        #[arg(long, default_value = "json", value_parser = ["json", "csv"])]
        format: String,
        #[arg(long, value_name = "ID")]
        dept: Option<String>,
    },
    /// Search people and departments in the snapshot (or --org-file, or --demo), the way the
    /// browser's search does: names, pinyin, initials, email, employee id, title. No match:
    /// exit status 1.
    Search {
        /// Words are joined with spaces: `search zhang wei` is `search "zhang wei"`.
        #[arg(required = true, value_name = "QUERY")]
        query: Vec<String>,
        /// Most results to print.
        #[arg(long, default_value_t = 20, value_name = "N")]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Check a profile: config, secret source, reachability and TLS, token, clock skew,
    /// contact range, email and mobile fields, limits. One line per check; exit status 0
    /// when nothing fails, 3 on an authentication failure, 4 on a network failure.
    Doctor {
        /// One JSON object per line: {"status","check","detail","fix"}.
        #[arg(long)]
        json: bool,
    },
    /// Serve an org file over the WPS or Feishu wire protocol (for tests and demos).
    // Boxed: its many knobs would otherwise make every `Command` that large.
    FakeServer(Box<fake_server::Args>),
    /// Print a generated org file (deterministic for a seed).
    FakeOrg(fake_org::Args),
}

pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return code;
        }
    };
    if let Some(dirs) = config::project_dirs() {
        crate::log::init(&dirs.cache_dir().join("orgtui.log"));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("orgtui: cannot start the async runtime: {e}");
            return exit::NETWORK;
        }
    };
    let outcome = runtime.block_on(dispatch(cli));
    // Without waiting for blocking work still running (an offline directory being built
    // for a browser that has already quit): the process is ending.
    runtime.shutdown_background();
    match outcome {
        Ok(code) => code,
        Err(e) => {
            crate::log::warn(&e.to_string());
            eprintln!(
                "orgtui: {}",
                crate::text::sanitize_line(&e.to_string(), 500)
            );
            e.exit_code()
        }
    }
}

async fn dispatch(cli: Cli) -> Result<i32> {
    if cli.print_paths {
        print_paths(&cli);
        return Ok(exit::OK);
    }
    let Some(command) = &cli.command else {
        return run_tui(&cli).await;
    };
    match command {
        Command::FakeServer(args) => return fake_server::run(args).await,
        Command::FakeOrg(args) => return fake_org::run(args),
        Command::Doctor { json } => return doctor::run(&cli, *json).await,
        Command::Search { query, limit, json } => {
            return search::run(&cli, &query.join(" "), *limit, *json);
        }
        _ => {}
    }
    let session = Session::open(&cli).await?;
    // A crawl of the whole org online is a complete snapshot: record it on the way through
    // and save it afterwards, so `--offline` and `orgtui search` have something to read.
    let whole_org = matches!(
        command,
        Command::Export { dept: None, .. }
            | Command::Tree {
                dept: None,
                depth: None,
                ..
            }
    );
    let recorder = match (&session.snapshot_path, session.offline, whole_org) {
        (Some(_), false, true) => Some(Arc::new(snapshot::Recorder::new(session.dir.clone()))),
        _ => None,
    };
    let dir: Arc<dyn Directory> = match &recorder {
        Some(r) => r.clone(),
        None => session.dir.clone(),
    };
    let code = match command {
        Command::Lookup { emails, json } => lookup::run(dir, emails, *json).await,
        Command::User { user_id, json } => user::run(dir, user_id, *json).await,
        Command::Members { dept_id, json } => members::run(dir, dept_id, *json).await,
        Command::Tree {
            dept,
            depth,
            members,
            json,
        } => tree::run(dir, dept.as_deref(), *depth, *members, *json).await,
        Command::Export { format, dept } => export::run(dir, format, dept.as_deref()).await,
        Command::Search { .. }
        | Command::FakeServer(_)
        | Command::FakeOrg(_)
        | Command::Doctor { .. } => Ok(exit::OK),
    }?;
    if let (Some(r), Some(path)) = (recorder, &session.snapshot_path) {
        let snap = r.snapshot(&session.profile.name, session.profile.provider.as_str());
        // The command's output is already out; a snapshot that cannot be written only
        // costs the next offline run, so warn and keep the command's status.
        if let Err(e) = snapshot::save(path, &snap) {
            let msg = format!("cannot save the snapshot {}: {e}", path.display());
            crate::log::warn(&msg);
            eprintln!("orgtui: warning: {}", crate::text::sanitize_line(&msg, 500));
        }
    }
    Ok(code)
}

/// The interactive browser on the chosen profile (or the demo).
async fn run_tui(cli: &Cli) -> Result<i32> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "the browser needs a terminal; for scripts use a subcommand (orgtui --help)".into(),
        ));
    }
    let mut session = Session::open(cli).await?;
    let keymap = match &session.file.keys {
        Some(table) => crate::tui::keys::KeyMap::with_overrides(table)
            .map_err(|e| Error::config(&session.file_name, e))?,
        None => crate::tui::keys::KeyMap::default(),
    };
    let clipboard = match session.file.clipboard.as_deref() {
        Some(c) => crate::tui::clipboard::ClipboardMode::parse(c).ok_or_else(|| {
            Error::config(
                &session.file_name,
                format!("clipboard: {c:?} is not one of auto, osc52, native, off"),
            )
        })?,
        None => crate::tui::clipboard::ClipboardMode::Auto,
    };
    // Start from what was loaded last time; a snapshot that cannot be read is set aside
    // with a note (and replaced on the next save), never a failure.
    // Offline, the session has it loaded already (for --org-file it is the file's).
    // Only the departments are decoded here; the browser decodes the people after its
    // first frame.
    let loaded = session.snapshot.take().map(Ok);
    let (snapshot, note) =
        match loaded.or_else(|| session.snapshot_path.as_deref().map(snapshot::open)) {
            None | Some(Err(crate::snapshot::LoadError::Missing)) => (None, None),
            Some(Ok(s)) => (Some(s), None),
            Some(Err(e)) => {
                crate::log::warn(&format!("snapshot discarded: {e}"));
                (None, Some(format!("snapshot discarded: {e}")))
            }
        };
    let opts = crate::tui::Options {
        title: format!(
            "{} · {}",
            session.profile.name,
            session.profile.provider.as_str()
        ),
        keymap,
        clipboard,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        profile: session.profile.name.clone(),
        provider: session.profile.provider.as_str().to_string(),
        snapshot,
        snapshot_path: session.snapshot_path.clone(),
        offline: session.offline,
        note,
    };
    crate::tui::run(session.dir.clone(), opts).await?;
    Ok(exit::OK)
}

/// A connected directory, and the demo server behind it when `--demo` is on (kept alive as
/// long as the session).
pub struct Session {
    pub dir: Arc<dyn Directory>,
    pub profile: Profile,
    /// The config file as read (empty when there is none), for the TUI's settings.
    pub file: config::ConfigFile,
    pub file_name: String,
    /// Where this profile's snapshot lives (the demo has one too). None with `--org-file`,
    /// whose data is the file itself, or when there is no home directory.
    pub snapshot_path: Option<PathBuf>,
    /// Answering from a snapshot or an org file: nothing goes to a server.
    pub offline: bool,
    /// Offline, for the browser (no subcommand): the data `dir` answers from, to draw at
    /// once (its departments and first people; the rest read on a thread).
    pub snapshot: Option<(SnapshotHead, People)>,
    _demo: Option<FakeServer>,
}

/// The demo server listens on a new port each run; its snapshot is keyed by this instead.
const DEMO_BASE_URL: &str = "builtin:demo-org";

impl Session {
    pub async fn open(cli: &Cli) -> Result<Session> {
        let (file, file_name) = config_file(cli)?;
        // The browser offline starts from the snapshot's head and leaves building the
        // directory (about a second at 100,000 people) to a thread; commands need it now.
        let browser = cli.command.is_none();
        let mut session = if let Some(org_file) = &cli.org_file {
            match org_file::open_warm(org_file).filter(|_| browser) {
                Some(start) => Session::org_file_warm(org_file, start),
                None => Session::org_file(org_file)?,
            }
        } else if cli.demo {
            Session::demo(&cli.demo_provider, cli.offline, browser).await?
        } else {
            let profile = resolve_profile(cli, &file, &file_name)?;
            let snapshot_path =
                snapshot::path_for(&profile.name, profile.provider.as_str(), &profile.base_url);
            let (dir, snapshot) = if cli.offline {
                let (dir, start) =
                    offline_directory(&profile.name, snapshot_path.as_deref(), browser)?;
                (dir, Some(start))
            } else {
                (crate::providers::connect(&profile)?, None)
            };
            Session {
                dir,
                profile,
                file: config::ConfigFile::default(),
                file_name: String::new(),
                snapshot_path,
                offline: cli.offline,
                snapshot,
                _demo: None,
            }
        };
        session.file = file;
        session.file_name = file_name;
        if cli.command.is_some() {
            // Only the browser starts from it; a subcommand needs the directory alone.
            session.snapshot = None;
        }
        Ok(session)
    }

    async fn demo(provider: &str, offline: bool, browser: bool) -> Result<Session> {
        let provider = ProviderKind::parse(provider).ok_or_else(|| {
            Error::Usage(format!("--demo-provider: unknown provider {provider:?}"))
        })?;
        let snapshot_path = snapshot::path_for("demo", provider.as_str(), DEMO_BASE_URL);
        let mut profile = Profile {
            name: "demo".into(),
            provider,
            base_url: DEMO_BASE_URL.into(),
            app_id: String::new(),
            app_secret: Secret::new(""),
            openapi_prefix: String::new(),
            graph_prefix: None,
            http: HttpOptions {
                concurrency: 16,
                ..HttpOptions::default()
            },
            secret_source: config::SecretSource::Builtin,
        };
        if offline {
            let (dir, start) = offline_directory("demo", snapshot_path.as_deref(), browser)?;
            return Ok(Session {
                dir,
                profile,
                file: config::ConfigFile::default(),
                file_name: String::new(),
                snapshot_path,
                offline: true,
                snapshot: Some(start),
                _demo: None,
            });
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
        Ok(Session {
            dir,
            profile,
            file: config::ConfigFile::default(),
            file_name: String::new(),
            snapshot_path,
            offline: false,
            snapshot: None,
            _demo: Some(server),
        })
    }

    fn org_file(path: &Path) -> Result<Session> {
        let (dir, snap) = org_file_dir(path)?;
        Ok(Session::of_org_file(path, Arc::new(dir), snap.split()))
    }

    /// The browser on an org file with a warm snapshot: drawn from the snapshot's head at
    /// once, the directory built on a thread.
    fn org_file_warm(path: &Path, start: (SnapshotHead, People)) -> Session {
        let owned = path.to_path_buf();
        let dir = PendingDirectory::spawn(ProviderKind::Wps, move || {
            Ok(Arc::new(org_file_dir(&owned)?.0) as Arc<dyn Directory>)
        });
        Session::of_org_file(path, Arc::new(dir), start)
    }

    fn of_org_file(path: &Path, dir: Arc<dyn Directory>, start: (SnapshotHead, People)) -> Session {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "org file".into());
        Session {
            dir,
            profile: Profile {
                name,
                provider: ProviderKind::Wps,
                base_url: format!("file://{}", path.display()),
                app_id: String::new(),
                app_secret: Secret::new(""),
                openapi_prefix: String::new(),
                graph_prefix: None,
                http: HttpOptions::default(),
                secret_source: config::SecretSource::Builtin,
            },
            file: config::ConfigFile::default(),
            file_name: String::new(),
            snapshot_path: None,
            offline: true,
            snapshot: Some(start),
            _demo: None,
        }
    }
}

/// An org file's offline directory, and the snapshot it answers from.
fn org_file_dir(path: &Path) -> Result<(OfflineDirectory, Snapshot)> {
    let snap = org_file::load(path)?;
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

/// The config file (`--config`, `$ORGTUI_CONFIG` or the default place; empty when there is
/// none and none was asked for) and the name to give it in messages.
fn config_file(cli: &Cli) -> Result<(config::ConfigFile, String)> {
    let path = config::config_path(cli.config.as_deref());
    let explicit = cli.config.is_some() || std::env::var_os("ORGTUI_CONFIG").is_some();
    let file = config::load_file(path.as_deref(), explicit)?;
    let file_name = path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(no config file)".into());
    Ok((file, file_name))
}

/// The profile to use. Offline uses (`--offline`, `search`) need only its name, provider and
/// base URL (they pick the snapshot file), so the credentials are stood in for: a missing
/// app id or secret is no error, and `app_secret_cmd` (a password manager prompt, say) is
/// never run.
fn resolve_profile(cli: &Cli, file: &config::ConfigFile, file_name: &str) -> Result<Profile> {
    let offline = cli.offline || matches!(cli.command, Some(Command::Search { .. }));
    let env = move |key: &str| {
        let real = config::process_env(key);
        match key {
            "ORGTUI_APP_ID" | "ORGTUI_APP_SECRET" if offline => {
                real.or_else(|| Some("unused-offline".into()))
            }
            _ => real,
        }
    };
    config::resolve(file, file_name, cli.profile.as_deref(), &env)
}

fn snapshot_file(path: Option<&Path>) -> Result<&Path> {
    path.ok_or_else(|| {
        Error::Usage(
            "no cache directory (is HOME set?), so there is no snapshot to read offline".into(),
        )
    })
}

fn snapshot_error(e: &snapshot::LoadError, profile: &str, path: &Path) -> Error {
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

/// What `orgtui search` reads: the profile's snapshot or `--org-file`'s warm snapshot as
/// checked bytes (read through borrowed views, which is much faster than owning it all), or
/// data just parsed (`--org-file` cold, `--demo`).
pub(crate) enum SearchSource {
    Bytes(snapshot::SnapshotBytes),
    Owned(Snapshot),
}

pub(crate) fn search_source(cli: &Cli) -> Result<SearchSource> {
    if let Some(path) = &cli.org_file {
        return Ok(match org_file::open(path)? {
            org_file::Source::Warm(bytes) => SearchSource::Bytes(bytes),
            org_file::Source::Cold(snap) => SearchSource::Owned(snap),
        });
    }
    if cli.demo {
        let file: fake::OrgFile = serde_json::from_str(fake::DEMO_ORG_JSON)
            .map_err(|e| Error::Io(format!("bundled demo org: {e}")))?;
        return Ok(SearchSource::Owned(Snapshot::from_org_file(&file, "demo")));
    }
    let (file, file_name) = config_file(cli)?;
    let profile = resolve_profile(cli, &file, &file_name)?;
    let snap_path = snapshot::path_for(&profile.name, profile.provider.as_str(), &profile.base_url);
    let snap_path = snapshot_file(snap_path.as_deref())?;
    snapshot::SnapshotBytes::read(snap_path)
        .map(SearchSource::Bytes)
        .map_err(|e| snapshot_error(&e, &profile.name, snap_path))
}

/// A timing line: to the log, and to stderr when `ORGTUI_TIMINGS` is set (for measuring;
/// never in normal output).
pub(crate) fn timing(line: &str) {
    crate::log::debug(line);
    if std::env::var_os("ORGTUI_TIMINGS").is_some_and(|v| !v.is_empty()) {
        eprintln!("timing: {line}");
    }
}

fn print_paths(cli: &Cli) {
    let config = config::config_path(cli.config.as_deref());
    let dirs = config::project_dirs();
    let show =
        |p: Option<PathBuf>| p.map_or_else(|| "(unknown)".into(), |p| p.display().to_string());
    println!("config: {}", show(config));
    println!(
        "log:    {}",
        show(dirs.as_ref().map(|d| d.cache_dir().join("orgtui.log")))
    );
    println!(
        "cache:  {}",
        show(dirs.as_ref().map(|d| d.cache_dir().to_path_buf()))
    );
}
