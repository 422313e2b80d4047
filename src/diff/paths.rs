//! Department paths of one snapshot, for the diff's "moved" entries: the path the snapshot
//! recorded, or one rebuilt from the parent links when it recorded none.

use std::collections::HashMap;

use crate::dept_path::PathUp;
use crate::model::Dept;
use crate::snapshot::Snapshot;

/// The departments of one snapshot by id (the first of duplicate ids wins).
pub(super) struct DeptIndex<'a> {
    by_id: HashMap<&'a str, &'a Dept>,
}

impl<'a> DeptIndex<'a> {
    pub(super) fn of(snap: &'a Snapshot) -> DeptIndex<'a> {
        let mut by_id = HashMap::with_capacity(snap.depts.len());
        for d in &snap.depts {
            by_id.entry(d.dept.id.as_str()).or_insert(&d.dept);
        }
        DeptIndex { by_id }
    }

    pub(super) fn get(&self, id: &str) -> Option<&'a Dept> {
        self.by_id.get(id).copied()
    }

    pub(super) fn ids(&self) -> impl Iterator<Item = &&'a str> {
        self.by_id.keys()
    }

    /// The path of department `id`: as recorded, else its names up the parent links
    /// (walked with a visited set and bounded, see `PathUp`), else its id in brackets when
    /// the snapshot does not hold it.
    pub(super) fn path(&self, id: &str) -> String {
        let Some(dept) = self.get(id) else {
            return format!("[{id}]");
        };
        if let Some(p) = dept.path.as_deref().filter(|p| !p.is_empty()) {
            return p.to_string();
        }
        let mut up = PathUp::new();
        let mut cur = Some(dept);
        while let Some(d) = cur {
            if !up.push(&d.id, d.name.as_deref().unwrap_or(&d.id)) {
                break;
            }
            cur = crate::model::real_parent(d.parent_id.as_deref()).and_then(|p| self.get(p));
        }
        up.finish()
    }

    /// The parent as the diff compares it: none for a top department however it is marked.
    pub(super) fn parent(&self, id: &str) -> Option<&'a str> {
        self.get(id)
            .and_then(|d| crate::model::real_parent(d.parent_id.as_deref()))
    }
}
