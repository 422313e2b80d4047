//! The command line: parse, set up the directory client (a profile, or the in-process demo
//! server), run one subcommand, and turn errors into one line on stderr and an exit status.

mod chain;
mod chart;
mod completions;
mod diff;
mod doctor;
mod export;
mod fake_org;
mod fake_server;
mod lookup;
mod members;
pub mod output;
mod reports;
mod search;
mod tree;
mod user;
mod whole_org;

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::config::{self, Profile};
use crate::directory::Directory;
use crate::error::{Error, Result, exit};
use crate::snapshot::{self, People, Snapshot, SnapshotHead};
use crate::source::{DemoServer, Opened, Source, org_file_cache, snapshot_error, snapshot_file};

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
    /// Users for the given emails, in input order, each once. Takes what mail clients copy
    /// (`Name <addr>`, `"Last, First" <addr>`, `mailto:addr`), separated by commas,
    /// semicolons, spaces or newlines. `-`, or no EMAIL with standard input not a terminal,
    /// reads them from standard input (at most 4 MiB). Unknown emails, and tokens that are
    /// not addresses, are named on stderr: exit status 1.
    Lookup {
        #[arg(value_name = "EMAIL")]
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
    /// A subtree as a chart: Mermaid (`flowchart TD`), Graphviz DOT, or SVG (laid out by
    /// orgtui, no Graphviz needed). Each box has the department's name, leaders and head
    /// count; what the depth limit leaves out is counted in the chart.
    Chart {
        /// Start here instead of the root.
        #[arg(long, value_name = "ID")]
        dept: Option<String>,
        /// Levels below the start to draw, 0 to 254 (default 2).
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        depth: Option<String>,
        /// List each department's direct members in its box.
        #[arg(long)]
        people: bool,
        #[arg(long, value_name = "mermaid|dot|svg")]
        format: String,
    },
    /// The chain of leaders from the user's leader up to the top, nearest first. Reads the
    /// whole org (the snapshot when it holds everyone, else a crawl first). Unknown user:
    /// exit status 1.
    Chain {
        user_id: String,
        #[arg(long)]
        json: bool,
    },
    /// The user's direct reports, or the reporting tree below them, with head counts. Reads
    /// the whole org like `chain`. Unknown user: exit status 1.
    Reports {
        user_id: String,
        /// Levels below the user to show (1 to 256; default 1, the direct reports).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
        depth: Option<u16>,
        /// The whole tree below the user (at most 256 levels).
        #[arg(long, conflicts_with = "depth")]
        all: bool,
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
    /// What changed between two org files (OLD NEW), or between the profile's previous and
    /// current snapshots (--snapshot, the default): people who joined, left, moved or whose
    /// title, leader, status or email changed; departments added, removed, renamed, moved.
    /// Exit status 0 when nothing differs, 1 when something does, 2 on bad input.
    Diff {
        #[arg(value_name = "OLD", requires = "new", conflicts_with = "snapshot")]
        old: Option<PathBuf>,
        #[arg(value_name = "NEW")]
        new: Option<PathBuf>,
        /// The profile's previous and current snapshots (no server, no credentials).
        #[arg(long)]
        snapshot: bool,
        #[arg(long)]
        json: bool,
    },
    /// Serve an org file over the WPS or Feishu wire protocol (for tests and demos).
    // Boxed: its many knobs would otherwise make every `Command` that large.
    FakeServer(Box<fake_server::Args>),
    /// Print a generated org file (deterministic for a seed).
    FakeOrg(fake_org::Args),
    /// Print a shell completion script to standard output.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
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
        Command::Completions { shell } => return completions::run(*shell),
        Command::Doctor { json } => return doctor::run(&cli, *json).await,
        Command::Diff { old, new, json, .. } => {
            return diff::run(&cli, old.as_deref(), new.as_deref(), *json);
        }
        Command::Search { query, limit, json } => {
            return search::run(&cli, &query.join(" "), *limit, *json);
        }
        _ => {}
    }
    let mut session = Session::open(&cli).await?;
    let org = match command {
        Command::Chain { .. } | Command::Reports { .. } => {
            Some(whole_org::prepare(&cli, &mut session)?)
        }
        _ => None,
    };
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
    ) || org.as_ref().is_some_and(whole_org::WholeOrg::crawls);
    let recorder = match (&session.snapshot_path, session.offline, whole_org) {
        (Some(_), false, true) => Some(Arc::new(crate::directory::Recorder::new(
            session.dir.clone(),
        ))),
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
        Command::Chart {
            dept,
            depth,
            people,
            format,
        } => chart::run(dir, dept.as_deref(), depth.as_deref(), *people, format).await,
        Command::Export { format, dept } => export::run(dir, format, dept.as_deref()).await,
        Command::Chain { user_id, json } => chain::run(dir, org, user_id, *json).await,
        Command::Reports {
            user_id,
            depth,
            all,
            json,
        } => {
            let depth = (!*all).then(|| depth.map_or(1, usize::from));
            reports::run(dir, org, user_id, depth, *json).await
        }
        Command::Search { .. }
        | Command::FakeServer(_)
        | Command::FakeOrg(_)
        | Command::Completions { .. }
        | Command::Doctor { .. }
        | Command::Diff { .. } => Ok(exit::OK),
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
    let index = config::index_settings(&session.file, &session.file_name, &config::process_env)?;
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
        index,
        concurrency: session.profile.http.concurrency,
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
    _demo: Option<DemoServer>,
}

impl Session {
    pub async fn open(cli: &Cli) -> Result<Session> {
        let (file, file_name) = config_file(cli)?;
        // The browser offline starts from the snapshot's head and leaves building the
        // directory (about a second at 100,000 people) to a thread; commands need it now.
        let browser = cli.command.is_none();
        let source = if let Some(org_file) = &cli.org_file {
            Source::OrgFile(org_file)
        } else if cli.demo {
            Source::Demo {
                provider: &cli.demo_provider,
                offline: cli.offline,
            }
        } else {
            let profile = resolve_profile(cli, &file, &file_name)?;
            if cli.offline {
                Source::Snapshot(profile)
            } else {
                Source::Online(profile)
            }
        };
        let mut session = Session::of(source.open(browser).await?);
        session.file = file;
        session.file_name = file_name;
        if cli.command.is_some() && !needs_everyone(cli) {
            // Only the browser starts from it, and the commands that read everyone (offline,
            // it is what they read); others need the directory alone.
            session.snapshot = None;
        }
        Ok(session)
    }

    async fn demo(provider: &str, offline: bool, browser: bool) -> Result<Session> {
        let source = Source::Demo { provider, offline };
        Ok(Session::of(source.open(browser).await?))
    }

    fn of(opened: Opened) -> Session {
        Session {
            dir: opened.dir,
            profile: opened.profile,
            file: config::ConfigFile::default(),
            file_name: String::new(),
            snapshot_path: opened.snapshot_path,
            offline: opened.offline,
            snapshot: opened.start,
            _demo: opened.demo,
        }
    }
}

fn needs_everyone(cli: &Cli) -> bool {
    matches!(
        cli.command,
        Some(Command::Chain { .. } | Command::Reports { .. })
    )
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
    let offline = cli.offline
        || matches!(
            cli.command,
            Some(Command::Search { .. } | Command::Diff { .. })
        );
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

/// What `orgtui search` reads: the profile's snapshot or `--org-file`'s warm snapshot as
/// checked bytes (read through borrowed views, which is much faster than owning it all), or
/// data just parsed (`--org-file` cold, `--demo`).
pub(crate) enum SearchSource {
    Bytes(snapshot::SnapshotBytes),
    Owned(Snapshot),
}

pub(crate) fn search_source(cli: &Cli) -> Result<SearchSource> {
    if let Some(path) = &cli.org_file {
        return Ok(match org_file_cache::open(path)? {
            org_file_cache::Cached::Warm(bytes) => SearchSource::Bytes(bytes),
            org_file_cache::Cached::Cold(snap) => SearchSource::Owned(snap),
        });
    }
    if cli.demo {
        return Ok(SearchSource::Owned(crate::source::demo_snapshot()?));
    }
    let (file, file_name) = config_file(cli)?;
    let profile = resolve_profile(cli, &file, &file_name)?;
    let snap_path = snapshot::path_for(&profile.name, profile.provider.as_str(), &profile.base_url);
    let snap_path = snapshot_file(snap_path.as_deref())?;
    snapshot::SnapshotBytes::read(snap_path)
        .map(SearchSource::Bytes)
        .map_err(|e| snapshot_error(&e, &profile.name, snap_path))
}

pub(crate) use crate::source::timing;

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
