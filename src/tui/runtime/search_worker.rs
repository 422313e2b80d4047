//! The search index and its matcher, fed by the executor: on a thread of its own in the
//! browser (typing and drawing never wait for matching), or in line for tests.

use std::sync::mpsc as std_mpsc;

use tokio::sync::mpsc::UnboundedSender;

use crate::search::{Candidate, SearchIndex, Searcher};
use crate::tui::app::{Msg, SEARCH_LIMIT};

pub enum SearchCmd {
    Add(Vec<Candidate>),
    Reserve(usize),
    Query { generation: u64, query: String },
}

#[derive(Default)]
pub struct SearchWorker {
    index: SearchIndex,
    /// Keeps the last query's matches, so a query that grows only re-scores those.
    searcher: Searcher,
}

impl SearchWorker {
    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// Apply a batch of commands; of its queries only the newest is run. Its answer, if any.
    pub fn apply(&mut self, cmds: impl IntoIterator<Item = SearchCmd>) -> Option<Msg> {
        let mut latest = None;
        for cmd in cmds {
            match cmd {
                SearchCmd::Add(list) => {
                    for c in list {
                        self.index.insert(c);
                    }
                }
                SearchCmd::Reserve(n) => self.index.reserve(n),
                SearchCmd::Query { generation, query } => latest = Some((generation, query)),
            }
        }
        let (generation, query) = latest?;
        let hits = self.searcher.search(&self.index, &query, SEARCH_LIMIT);
        Some(Msg::SearchDone { generation, hits })
    }

    /// Run on a thread: commands that pile up while a query runs are taken together, so
    /// only the newest query is matched.
    pub fn spawn(tx: UnboundedSender<Msg>) -> std_mpsc::Sender<SearchCmd> {
        let (cmd_tx, cmd_rx) = std_mpsc::channel::<SearchCmd>();
        std::thread::spawn(move || {
            let mut worker = SearchWorker::default();
            while let Ok(first) = cmd_rx.recv() {
                let batch = std::iter::once(first).chain(cmd_rx.try_iter());
                if let Some(msg) = worker.apply(batch)
                    && tx.send(msg).is_err()
                {
                    return;
                }
            }
        });
        cmd_tx
    }
}
