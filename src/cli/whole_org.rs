//! Everyone in the org, for the commands that follow leader links (`chain`, `reports`): a
//! leader may sit anywhere, so nothing short of the whole org will do.
//!
//! Offline (`--org-file`, `--offline`, `--demo --offline`) the people are those the session
//! answers from. Online the profile's snapshot is used when it holds the whole org
//! (`Snapshot::is_complete`) with everyone's full record (a member listing's record lacks the
//! leader on WPS); otherwise the whole org is crawled first, with the progress
//! line, and `dispatch` records and saves it as for a whole-org `export`, so the next run
//! reads the snapshot. The demo online is always crawled: its server is in-process.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Cli, Session};
use crate::directory::Directory;
use crate::error::{Error, Result};
use crate::model::User;
use crate::reporting::{Cycle, Reporting};
use crate::snapshot::{self, Snapshot};

/// Where everyone will come from, decided before the directory is wrapped for recording.
pub enum WholeOrg {
    /// Read already (a snapshot or an org file).
    Ready(Vec<User>),
    /// To be crawled from the directory.
    Crawl,
}

impl WholeOrg {
    pub fn crawls(&self) -> bool {
        matches!(self, WholeOrg::Crawl)
    }
}

/// Decide, and read what is already here. `--offline` on a snapshot that does not hold
/// everyone is a usage error (exit 2): answers from part of the org would be wrong.
pub fn prepare(cli: &Cli, session: &mut Session) -> Result<WholeOrg> {
    if session.offline {
        let Some((head, people)) = session.snapshot.take() else {
            return Err(Error::Usage("no snapshot to read offline".into()));
        };
        let mut snap = head.into_shape();
        for part in people {
            let part = part.map_err(|e| Error::Usage(format!("cannot read the snapshot: {e}")))?;
            snap.users.extend(part);
        }
        // An org file is the whole org by definition, even one without departments.
        if cli.org_file.is_none() && !snap.is_complete() {
            let shown = session
                .snapshot_path
                .as_ref()
                .map_or_else(|| "the snapshot".into(), |p| p.display().to_string());
            return Err(Error::Usage(format!(
                "{shown} does not hold everyone; run `orgtui export` online once to save the whole org"
            )));
        }
        let partial = partial_records(&snap);
        if cli.org_file.is_none() && partial > 0 {
            eprintln!(
                "warning: {partial} people in the snapshot have only a listing's record, which may lack their leader; `orgtui export` online saves full records"
            );
        }
        return Ok(WholeOrg::Ready(people_of(snap)));
    }
    if cli.demo {
        return Ok(WholeOrg::Crawl);
    }
    // A missing or unreadable snapshot is replaced by the crawl, and so is one with records
    // from member listings only, which on WPS carry no leader.
    Ok(match session.snapshot_path.as_deref().map(snapshot::load) {
        Some(Ok(snap)) if snap.is_complete() && partial_records(&snap) == 0 => {
            WholeOrg::Ready(people_of(snap))
        }
        Some(Err(e)) if !matches!(e, snapshot::LoadError::Missing) => {
            crate::log::warn(&format!("snapshot not used, crawling: {e}"));
            WholeOrg::Crawl
        }
        _ => WholeOrg::Crawl,
    })
}

/// How many people have only a listing's record (`SnapUser::detailed` false): WPS member
/// listings leave out `leader_id`, so their leader links cannot be trusted to be there.
fn partial_records(snap: &Snapshot) -> usize {
    snap.users.iter().filter(|u| !u.detailed).count()
}

fn people_of(snap: Snapshot) -> Vec<User> {
    snap.users.into_iter().map(|u| u.user).collect()
}

/// Everyone: what `prepare` read, or a crawl of the whole org (None: crawl).
pub async fn people(dir: Arc<dyn Directory>, org: Option<WholeOrg>) -> Result<Vec<User>> {
    match org {
        Some(WholeOrg::Ready(users)) => Ok(users),
        Some(WholeOrg::Crawl) | None => {
            let (_, people) = super::tree::crawl_with_people(dir, None, None).await?;
            Ok(people.into_values().collect())
        }
    }
}

/// Everyone by id, and their leader links.
pub struct Org {
    pub users: HashMap<String, User>,
    pub links: Reporting,
}

impl Org {
    /// For a command on one person: the id checked (exit 2) before anything is read, then
    /// everyone, then that person looked up (not in the org: exit 1).
    pub async fn for_user(dir: Arc<dyn Directory>, org: Option<WholeOrg>, id: &str) -> Result<Org> {
        crate::directory::check_arg_id("user id", id)?;
        let org = Org::new(people(dir, org).await?);
        org.user(id)?;
        Ok(org)
    }

    pub fn new(people: Vec<User>) -> Org {
        let mut links = Reporting::default();
        let mut users = HashMap::with_capacity(people.len());
        for u in people {
            links.set(&u.id, u.name.as_deref(), u.leader_id.as_deref());
            users.insert(u.id.clone(), u);
        }
        Org { users, links }
    }

    /// The person asked for on the command line: not in the org is exit 1.
    pub fn user(&self, id: &str) -> Result<&User> {
        self.users
            .get(id)
            .ok_or_else(|| Error::not_found(format!("user {id:?} in the org")))
    }

    /// A known person's record, or one holding only the id (a leader nobody has).
    pub fn record(&self, id: &str) -> User {
        self.users.get(id).cloned().unwrap_or_else(|| User {
            id: id.to_string(),
            ..User::default()
        })
    }
}

/// The most members a cycle warning names; the rest are counted.
const CYCLE_SHOWN: usize = 20;

/// Print a command's output, then on stderr the loop it did not follow and where it was cut,
/// if so: warnings that leave the exit status 0.
pub fn emit(text: &str, cycle: Option<&Cycle>, cut: Option<String>) -> Result<i32> {
    super::output::emit(text)?;
    if let Some(cycle) = cycle {
        warn_cycle(cycle);
    }
    if let Some(cut) = cut {
        eprintln!("warning: {cut}");
    }
    Ok(crate::error::exit::OK)
}

/// One warning line on stderr for a loop in the leader links (the output shows each person
/// once, so the loop is said here, once).
fn warn_cycle(cycle: &Cycle) {
    let ids = &cycle.ids;
    let mut shown: Vec<&str> = ids.iter().take(CYCLE_SHOWN).map(String::as_str).collect();
    let more = match ids.len() > CYCLE_SHOWN {
        true => format!(" … ({} people in all)", ids.len()),
        false => String::new(),
    };
    if let (Some(first), true) = (ids.first(), more.is_empty()) {
        shown.push(first);
    }
    let line = format!(
        "leader links loop: {}{more} (each led by the next); not followed",
        shown.join(" → ")
    );
    eprintln!("warning: {}", crate::text::sanitize_line(&line, 2_000));
}
