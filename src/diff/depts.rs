//! Department changes between two snapshots: added, removed, renamed (same id, new name) and
//! moved (same id, new parent).

use crate::model::Dept;

use super::paths::DeptIndex;
use super::sort_key;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeptChanges {
    /// In the new snapshot only; `path` filled in (rebuilt when the snapshot had none).
    pub added: Vec<Dept>,
    /// In the old snapshot only; `path` as it was.
    pub removed: Vec<Dept>,
    pub renamed: Vec<Renamed>,
    pub moved: Vec<DeptMoved>,
}

impl DeptChanges {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.renamed.is_empty()
            && self.moved.is_empty()
    }
}

/// The same department under a new name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Renamed {
    pub id: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The same department under a new parent: its path before and after.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeptMoved {
    pub id: String,
    pub from: String,
    pub to: String,
}

pub(super) fn compare(old: &DeptIndex, new: &DeptIndex) -> DeptChanges {
    let with_path = |index: &DeptIndex, d: &Dept| Dept {
        path: Some(index.path(&d.id)),
        ..d.clone()
    };
    let only_in = |a: &DeptIndex, b: &DeptIndex| {
        let mut v: Vec<Dept> = a
            .ids()
            .filter(|id| b.get(id).is_none())
            .filter_map(|id| a.get(id))
            .map(|d| with_path(a, d))
            .collect();
        v.sort_by(|x, y| {
            sort_key(x.name.as_deref(), &x.id).cmp(&sort_key(y.name.as_deref(), &y.id))
        });
        v
    };
    let mut renamed = Vec::new();
    let mut moved = Vec::new();
    for id in new.ids() {
        let (Some(was), Some(is)) = (old.get(id), new.get(id)) else {
            continue;
        };
        let key = sort_key(is.name.as_deref(), &is.id);
        if was.name != is.name {
            let entry = Renamed {
                id: is.id.clone(),
                from: was.name.clone(),
                to: is.name.clone(),
            };
            renamed.push((key, entry));
        }
        if old.parent(id) != new.parent(id) {
            let entry = DeptMoved {
                id: is.id.clone(),
                from: old.path(id),
                to: new.path(id),
            };
            moved.push((key, entry));
        }
    }
    DeptChanges {
        added: only_in(new, old),
        removed: only_in(old, new),
        renamed: sorted(renamed),
        moved: sorted(moved),
    }
}

fn sorted<K: Ord, T>(mut v: Vec<(K, T)>) -> Vec<T> {
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v.into_iter().map(|(_, t)| t).collect()
}
