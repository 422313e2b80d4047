//! The command line: parse, set up the directory client (a profile, or the in-process demo
//! server), run one subcommand, and turn errors into one line on stderr and an exit status.

mod export;
mod fake_org;
mod fake_server;
mod lookup;
mod members;
pub mod output;
mod tree;
mod user;

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::config::{self, Profile};
use crate::directory::{Directory, ProviderKind};
use crate::error::{Error, Result, exit};
use crate::fake::{self, FakeServer};
use crate::http::HttpOptions;
use crate::secret::Secret;

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
    /// Serve an org file over the WPS or Feishu wire protocol (for tests and demos).
    FakeServer(fake_server::Args),
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
    match runtime.block_on(dispatch(cli)) {
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
        _ => {}
    }
    let session = Session::open(&cli).await?;
    let dir = session.dir.clone();
    match command {
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
        Command::FakeServer(_) | Command::FakeOrg(_) => Ok(exit::OK),
    }
}

/// The interactive browser on the chosen profile (or the demo).
async fn run_tui(cli: &Cli) -> Result<i32> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "the browser needs a terminal; for scripts use a subcommand (orgtui --help)".into(),
        ));
    }
    let session = Session::open(cli).await?;
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
    let opts = crate::tui::Options {
        title: format!(
            "{} · {}",
            session.profile.name,
            session.profile.provider.as_str()
        ),
        keymap,
        clipboard,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
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
    _demo: Option<FakeServer>,
}

impl Session {
    pub async fn open(cli: &Cli) -> Result<Session> {
        let path = config::config_path(cli.config.as_deref());
        let explicit = cli.config.is_some() || std::env::var_os("ORGTUI_CONFIG").is_some();
        let file = config::load_file(path.as_deref(), explicit)?;
        let file_name = path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(no config file)".into());
        if cli.demo {
            let mut s = Session::demo(&cli.demo_provider).await?;
            s.file = file;
            s.file_name = file_name;
            return Ok(s);
        }
        let profile = config::resolve(
            &file,
            &file_name,
            cli.profile.as_deref(),
            &config::process_env,
        )?;
        let dir = crate::providers::connect(&profile)?;
        Ok(Session {
            dir,
            profile,
            file,
            file_name,
            _demo: None,
        })
    }

    async fn demo(provider: &str) -> Result<Session> {
        let provider = ProviderKind::parse(provider).ok_or_else(|| {
            Error::Usage(format!("--demo-provider: unknown provider {provider:?}"))
        })?;
        let org = fake::Org::from_json(fake::DEMO_ORG_JSON)
            .map_err(|e| Error::Io(format!("bundled demo org: {e}")))?;
        let opts = fake::FakeOptions {
            provider,
            ..fake::FakeOptions::default()
        };
        let server = fake::start(org, opts.clone(), ([127, 0, 0, 1], 0).into())
            .await
            .map_err(|e| Error::Io(format!("cannot start the demo server: {e}")))?;
        let profile = Profile {
            name: "demo".into(),
            provider,
            base_url: server.base_url(),
            app_id: opts.app_id.clone(),
            app_secret: Secret::new(opts.app_secret.expose()),
            openapi_prefix: String::new(),
            graph_prefix: None,
            http: HttpOptions {
                concurrency: 16,
                ..HttpOptions::default()
            },
        };
        let dir = crate::providers::connect(&profile)?;
        Ok(Session {
            dir,
            profile,
            file: config::ConfigFile::default(),
            file_name: String::new(),
            _demo: Some(server),
        })
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
