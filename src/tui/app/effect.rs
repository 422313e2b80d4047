//! What the app asks for and what comes back: `Effect`s out of `update`, performed by the one
//! executor (`runtime::executor`), and their results, `Loaded`, fed back in as messages.
//!
//! Adding an effect touches two places: a variant here (a `Request` if it asks the directory
//! for something, else an `Effect`) and its arm in `runtime::executor`. Whether it counts as
//! "in flight" for the status bar follows from that split, below.

use crate::crawl::{Found, ProgressView};
use crate::model::{Dept, EmailMatch, Page, User};
use crate::search::Candidate;
use crate::tui::roster::PeopleRecords;

/// Results of requests, as the event loop reports them. Errors arrive as display text.
#[derive(Debug, Clone)]
pub enum Loaded {
    Root(Result<Dept, String>),
    Children {
        dept: String,
        result: Result<Page<Dept>, String>,
    },
    Members {
        dept: String,
        result: Result<Page<User>, String>,
    },
    User {
        id: String,
        result: Result<User, String>,
    },
    Users {
        ids: Vec<String>,
        result: Result<Vec<User>, String>,
    },
    Dept {
        id: String,
        result: Result<Dept, String>,
    },
    Emails {
        generation: u64,
        result: Result<Vec<EmailMatch>, String>,
    },
    UserById {
        generation: u64,
        id: String,
        result: Result<User, String>,
    },
    Copied(Result<String, String>),
    /// A crawl finished one department's listings.
    CrawlFound(Found),
    /// A page of the crawl's company-wide user listing: searchable before their
    /// departments are placed.
    CrawlPeople(Vec<User>),
    CrawlProgress(ProgressView),
    /// The crawl ended: how many departments and people, or why not.
    CrawlDone(Result<ProgressView, String>),
    /// A part of the snapshot's people, decoded off the UI thread, with their candidates.
    SnapshotPeople(PeopleRecords),
    /// Every part of the snapshot's people has arrived, or the rest cannot be read.
    SnapshotDone(Result<(), String>),
    /// What changed since the snapshot's previous generation, or why that is not known.
    Changes(Result<crate::diff::OrgDiff, String>),
}

/// What the app asks the event loop to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Ask the directory; the answer comes back as one `Loaded`.
    Request(Request),
    IndexAdd(Vec<Candidate>),
    /// Make room in the search index for this many more candidates (they are on the way).
    IndexReserve(usize),
    Search {
        generation: u64,
        query: String,
    },
    /// Copy to the clipboard; the outcome comes back as one `Loaded::Copied`.
    Copy {
        text: String,
        what: String,
    },
    /// Load everything under this department (the crawler); `background`: the index a
    /// start runs by itself, which leaves room for the user's own requests.
    Crawl {
        start: Dept,
        background: bool,
    },
    /// Pause (true) or resume the crawl.
    PauseCrawl(bool),
    /// The background index becomes a crawl asked for: every slot of the profile's.
    HurryCrawl,
    CancelCrawl,
    /// Write what is loaded to the on-disk snapshot.
    SaveSnapshot,
    Quit,
}

/// A question for the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    LoadRoot,
    LoadChildren {
        dept: String,
        page: Option<String>,
    },
    LoadMembers {
        dept: String,
        page: Option<String>,
    },
    LoadUser(String),
    LoadUsers(Vec<String>),
    LoadDept(String),
    ResolveEmails {
        generation: u64,
        emails: Vec<String>,
    },
    LookupUserId {
        generation: u64,
        id: String,
    },
}

impl Effect {
    /// True for the effects answered by exactly one `Loaded` that `Loaded::answers_one`
    /// recognises: the status bar counts them as in flight until it arrives.
    pub fn awaits_answer(&self) -> bool {
        matches!(self, Effect::Request(_) | Effect::Copy { .. })
    }
}

impl Loaded {
    /// True for the answer to one effect that `Effect::awaits_answer`; false for the
    /// streams (crawl, snapshot parts) that arrive unasked.
    pub fn answers_one(&self) -> bool {
        !matches!(
            self,
            Loaded::CrawlFound(_)
                | Loaded::CrawlPeople(_)
                | Loaded::CrawlProgress(_)
                | Loaded::CrawlDone(_)
                | Loaded::SnapshotPeople(_)
                | Loaded::SnapshotDone(_)
                | Loaded::Changes(_)
        )
    }
}
