//! Departments and the path cache: a department's path is walked up from its parents once
//! and kept, stopping at departments outside the app's contact range.

use super::*;

impl FeishuClient {
    pub(super) async fn get_department(&self, id: &str) -> Result<wire::Department> {
        require_id("department", id)?;
        let url = self.url(
            &[
                "open-apis",
                "contact",
                "v3",
                "departments",
                path_segment(EP_DEPT, id)?,
            ],
            &ID_TYPES,
        );
        let call = self.get_call(EP_DEPT, url, format!("department {id:?}"));
        let data: wire::DeptData = self.call_as(&call).await?;
        let d = data.department.ok_or_else(|| Error::Protocol {
            endpoint: EP_DEPT.into(),
            msg: "the reply has no department".into(),
        })?;
        self.remember(id, &d, None);
        Ok(d)
    }

    /// Cache what `d` says about department `id`; `listed_under` is the parent it was listed
    /// under, when it came from a children listing that left its parent out.
    pub(super) fn remember(&self, id: &str, d: &wire::Department, listed_under: Option<&str>) {
        let parent = parent_of(id, d.parent_department_id.as_deref())
            .or_else(|| listed_under.map(str::to_string));
        let known = Known {
            name: nonempty(d.name.as_deref()),
            parent,
        };
        self.cache().insert(id.to_string(), known);
    }

    pub(super) fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Known>> {
        // A poisoned lock only means another task panicked mid-insert: the map is still usable.
        self.depts.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn refused(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.refused.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached entry for `id`, fetching it once when unknown. `None` when the server will
    /// not show it (not found, or outside the app's contact range: then `is_refused`).
    pub(super) async fn known(&self, id: &str) -> Result<Option<Known>> {
        if let Some(k) = self.cache().get(id).cloned() {
            return Ok(Some(k));
        }
        if self.is_refused(id) {
            return Ok(None);
        }
        if let Some(why) = crate::directory::unusable_segment(id) {
            // A parent id no request can name: the path ends there, the listing goes on.
            crate::log::warn(&format!("feishu: department id {id:?} is unusable: {why}"));
            return Ok(None);
        }
        match self.get_department(id).await {
            Ok(_) => Ok(self.cache().get(id).cloned()),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(Error::OutOfRange { .. }) => {
                self.refused().insert(id.to_string());
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    pub(super) fn is_refused(&self, id: &str) -> bool {
        self.refused().contains(id)
    }

    /// Names from the root down to `id`, joined with `/` and cut to
    /// `dept_path::MAX_PATH_BYTES` (every child of a page shares its parent's path, so an
    /// ancestor's long name would otherwise be copied into each). The root's name is left
    /// out when the tenant gives it none.
    pub(super) async fn path(&self, id: &str) -> Result<Option<String>> {
        let mut names = Vec::new();
        let mut seen = HashSet::new();
        let mut cur = id.to_string();
        for _ in 0..MAX_DEPTH {
            if !seen.insert(cur.clone()) {
                crate::log::warn(&format!("feishu: department parents loop at {cur:?}"));
                return Ok(None);
            }
            let Some(known) = self.known(&cur).await? else {
                // An ancestor outside the contact range: the path starts below it.
                if cur != id && self.is_refused(&cur) && !names.is_empty() {
                    names.reverse();
                    return Ok(Some(dept_path::cap(names.join("/"))));
                }
                return Ok(None);
            };
            let is_root = cur == ROOT_ID;
            match (known.name, is_root) {
                (Some(name), _) => names.push(name),
                (None, true) => {}
                (None, false) => return Ok(None),
            }
            match known.parent {
                Some(parent) if !is_root => cur = parent,
                _ => {
                    names.reverse();
                    return Ok(Some(dept_path::cap(names.join("/"))));
                }
            }
        }
        crate::log::warn(&format!("feishu: department {id:?} is nested too deep"));
        Ok(None)
    }

    /// One page of `departments/{id}/children`: the direct sub-departments, or with
    /// `fetch_child` every department below (each then names its own parent), with paths.
    pub(super) async fn departments_below(
        &self,
        dept_id: &str,
        fetch_child: bool,
        page: Option<&str>,
    ) -> Result<(Vec<Dept>, Option<String>)> {
        require_id("department", dept_id)?;
        let fetch = if fetch_child { "true" } else { "false" };
        let mut query = vec![("fetch_child", fetch), ("page_size", PAGE_SIZE)];
        query.extend(page.filter(|p| !p.is_empty()).map(|p| ("page_token", p)));
        query.extend(ID_TYPES);
        let url = self.url(
            &[
                "open-apis",
                "contact",
                "v3",
                "departments",
                path_segment(EP_CHILDREN, dept_id)?,
                "children",
            ],
            &query,
        );
        let call = self.get_call(EP_CHILDREN, url, format!("department {dept_id:?}"));
        let list: wire::ListData<wire::Department> = self.call_as(&call).await?;
        let next_page = next_page(list.has_more, list.page_token);
        let mut items = Vec::new();
        for d in list.items.unwrap_or_default() {
            let Some(id) = dept_id_of(&d) else {
                crate::log::debug("feishu: skipped a child department without an id");
                continue;
            };
            // A direct child that leaves its parent out was listed under `dept_id`; one
            // deeper down cannot be placed without it.
            let listed_under = (!fetch_child).then_some(dept_id);
            self.remember(&id, &d, listed_under);
            let mut dept = map_dept(d, &id);
            dept.parent_id = dept.parent_id.or_else(|| listed_under.map(str::to_string));
            if dept.parent_id.is_none() {
                crate::log::debug("feishu: skipped a department that names no parent");
                continue;
            }
            items.push(dept);
        }
        // Children of one parent share its path: compute each parent's once. Parents listed
        // on this page (or before) are in the cache by now, and cost no request.
        let mut parent_paths: HashMap<String, Option<String>> = HashMap::new();
        for d in &mut items {
            let Some(parent) = d.parent_id.clone() else {
                continue;
            };
            let parent_path = match parent_paths.get(&parent) {
                Some(p) => p.clone(),
                None => {
                    let p = self.path(&parent).await?;
                    parent_paths.insert(parent, p.clone());
                    p
                }
            };
            d.path = match (&parent_path, &d.name) {
                (Some(p), Some(n)) if p.is_empty() => Some(dept_path::child_path(None, n)),
                (Some(p), Some(n)) => Some(dept_path::child_path(Some(p), n)),
                _ => None,
            };
        }
        Ok((items, next_page))
    }

    pub(super) async fn dept_ref(&self, id: &str) -> Result<DeptRef> {
        let name = self.known(id).await?.and_then(|k| k.name);
        Ok(DeptRef {
            id: id.to_string(),
            name,
            path: self.path(id).await?,
        })
    }

    /// Fill each user's `depts` from `dept_ids`: cached departments cost nothing, unknown ones
    /// one request each.
    pub(super) async fn fill_depts(&self, users: &mut [User]) -> Result<()> {
        let mut refs: HashMap<String, DeptRef> = HashMap::new();
        for u in users.iter() {
            for id in &u.dept_ids {
                if !refs.contains_key(id) {
                    let r = self.dept_ref(id).await?;
                    refs.insert(id.clone(), r);
                }
            }
        }
        for u in users.iter_mut() {
            u.depts = u
                .dept_ids
                .iter()
                .filter_map(|id| refs.get(id).cloned())
                .collect();
        }
        Ok(())
    }
}
