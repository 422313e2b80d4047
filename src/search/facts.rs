//! What the filters of a query read (see `filter.rs`): each person's status and departments,
//! each department's path. Kept compactly: a department id is stored once and people refer
//! to it by number, and its path once, however many people sit in it.

use std::collections::HashMap;

use super::{Candidate, Kind};
use crate::model::UserStatus;

/// The longest path kept for matching `in:`, in bytes (paths are capped at 1 KiB anyway).
const MAX_PATH: usize = 1024;
/// Departments kept per person; more are ignored by `in:`.
const MAX_DEPTS: usize = 64;

#[derive(Debug, Default)]
pub(super) struct Facts {
    /// Department id → its number.
    refs: HashMap<Box<str>, u32>,
    ids: Vec<Box<str>>,
    /// Per department number: its path (or name), once its department is inserted.
    paths: Vec<Option<Box<str>>>,
    /// Per department number: whether `paths` holds a path given (not the name).
    given: Vec<bool>,
    /// Changes whenever a path does, so matches of `in:` are recomputed.
    pub(super) version: u64,
    /// Per slot: the status (`status_code`), 0 when unknown.
    statuses: Vec<u8>,
    /// Per slot: department numbers.
    depts: Vec<Box<[u32]>>,
}

fn status_code(s: Option<UserStatus>) -> u8 {
    s.and_then(|s| UserStatus::ALL.iter().position(|&x| x == s))
        .and_then(|i| u8::try_from(i.saturating_add(1)).ok())
        .unwrap_or(0)
}

impl Facts {
    fn intern(&mut self, id: &str) -> Option<u32> {
        if let Some(&r) = self.refs.get(id) {
            return Some(r);
        }
        let r = u32::try_from(self.ids.len()).ok()?;
        self.refs.insert(id.into(), r);
        self.ids.push(id.into());
        self.paths.push(None);
        self.given.push(false);
        Some(r)
    }

    /// Record `c`'s facts in `slot` (a new slot is the next one).
    pub(super) fn set(&mut self, slot: usize, c: &Candidate) {
        let depts: Box<[u32]> = match c.kind {
            Kind::User => c
                .dept_ids
                .iter()
                .take(MAX_DEPTS)
                .filter_map(|d| self.intern(d))
                .collect(),
            Kind::Dept => {
                let path = c.path.as_deref().unwrap_or(&c.name);
                let mut cut = path.len().min(MAX_PATH);
                while !path.is_char_boundary(cut) {
                    cut = cut.saturating_sub(1);
                }
                let path = path.get(..cut).unwrap_or_default();
                if let Some(r) = self.intern(&c.id)
                    && let Some(p) = self.paths.get_mut(r as usize)
                    && p.as_deref() != Some(path)
                {
                    *p = Some(path.into());
                    self.version = self.version.wrapping_add(1);
                }
                if let Some(r) = self.refs.get(c.id.as_str())
                    && let Some(g) = self.given.get_mut(*r as usize)
                {
                    *g = c.path.is_some();
                }
                Box::default()
            }
        };
        let status = status_code(c.status);
        if slot < self.statuses.len() {
            if let Some(s) = self.statuses.get_mut(slot) {
                *s = status;
            }
            if let Some(d) = self.depts.get_mut(slot) {
                *d = depts;
            }
        } else {
            self.statuses.push(status);
            self.depts.push(depts);
        }
    }

    pub(super) fn reserve(&mut self, more: usize) {
        self.statuses.reserve(more);
        self.depts.reserve(more);
    }

    pub(super) fn status(&self, slot: usize) -> Option<UserStatus> {
        let code = usize::from(*self.statuses.get(slot)?);
        UserStatus::ALL.get(code.checked_sub(1)?).copied()
    }

    pub(super) fn has_status(&self, slot: usize, s: UserStatus) -> bool {
        self.statuses.get(slot) == Some(&status_code(Some(s)))
    }

    pub(super) fn depts(&self, slot: usize) -> &[u32] {
        self.depts.get(slot).map_or(&[], |d| d)
    }

    /// Department paths by number (None: the department itself was not inserted).
    pub(super) fn paths(&self) -> &[Option<Box<str>>] {
        &self.paths
    }

    /// The department ids of `slot`, as inserted.
    pub(super) fn dept_ids(&self, slot: usize) -> Vec<String> {
        self.depts(slot)
            .iter()
            .filter_map(|&r| self.ids.get(r as usize))
            .map(|s| s.to_string())
            .collect()
    }

    /// The path of department `id`, as inserted.
    pub(super) fn path_of(&self, id: &str) -> Option<String> {
        let r = *self.refs.get(id)? as usize;
        if !self.given.get(r).copied().unwrap_or(false) {
            return None;
        }
        self.paths.get(r)?.as_deref().map(str::to_string)
    }
}
