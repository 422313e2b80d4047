//! The jump state machine: open the departments on the way to a person or department,
//! loading what is missing (their details, unknown parents), then select it. It advances
//! after every result (`advance_jump` in `update`) until the target row is visible, or says
//! why it cannot be reached.

use std::collections::HashSet;

use super::*;

/// Why a jump cannot (yet) reach a department.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum NoWay {
    /// This department's parent is unknown: fetch it and try again.
    Fetch(String),
    /// The parents lead back to this department.
    Loops(String),
    /// The parents end without reaching the root.
    Hopeless,
}

/// A jump in progress: open the departments on the way to a person or department, loading
/// as needed, then select it.
#[derive(Debug, Clone)]
pub(super) struct Jump {
    pub(super) target: RowKind,
    /// The department to reach (for a person: the one they are shown in).
    pub(super) dept: Option<String>,
    /// Departments asked for with LoadDept while walking up to a known one.
    pub(super) asked: HashSet<String>,
}

impl App {
    pub(super) fn jump_to_leader(&mut self) -> Vec<Effect> {
        let Some(RowKind::User { id, .. }) = self.selected_kind() else {
            self.info("select a person to jump to their leader");
            return Vec::new();
        };
        let leader = self.user(&id).and_then(|u| u.leader_id);
        match leader {
            Some(l) => self.start_jump(RowKind::User {
                id: l,
                dept: String::new(),
            }),
            None if self.people.is_full(&id) => {
                self.info("no leader on record");
                Vec::new()
            }
            None => {
                self.info("loading details first…");
                vec![Effect::Request(Request::LoadUser(id))]
            }
        }
    }

    pub(super) fn start_jump(&mut self, target: RowKind) -> Vec<Effect> {
        self.jump = Some(Jump {
            target,
            dept: None,
            asked: HashSet::new(),
        });
        self.advance_jump()
    }

    /// One step of a jump: called after every result until the target row is visible.
    pub(super) fn advance_jump(&mut self) -> Vec<Effect> {
        let Some(mut jump) = self.jump.take() else {
            return Vec::new();
        };
        // Which department to open up to.
        if jump.dept.is_none() {
            jump.dept = match &jump.target {
                RowKind::Dept(id) => Some(id.clone()),
                RowKind::User { id, .. } => {
                    let known = self.user(id);
                    match known.and_then(|u| u.dept_ids.into_iter().next()) {
                        Some(d) => Some(d),
                        None if self.detail_errors.contains_key(id) => {
                            self.error("cannot find where that person sits");
                            return Vec::new();
                        }
                        None => {
                            let fx = if self.people.is_full(id) {
                                self.error("that person is in no department");
                                return Vec::new();
                            } else {
                                vec![Effect::Request(Request::LoadUser(id.clone()))]
                            };
                            self.jump = Some(jump);
                            return fx;
                        }
                    }
                }
                _ => None,
            };
        }
        let Some(dept) = jump.dept.clone() else {
            return Vec::new();
        };
        let mut fx = Vec::new();
        let chain = match self.chain_via_extra(&dept) {
            Ok(chain) => chain,
            Err(NoWay::Fetch(unknown)) => {
                if jump.asked.insert(unknown.clone()) {
                    fx.push(Effect::Request(Request::LoadDept(unknown)));
                    self.jump = Some(jump);
                } else if self.in_flight == 0 {
                    self.error("cannot find the way to that department");
                }
                // Otherwise still waiting for an answer.
                else {
                    self.jump = Some(jump);
                }
                return fx;
            }
            Err(NoWay::Loops(at)) => {
                let at = crate::text::sanitize_line(&at, 80);
                self.error(&format!(
                    "cannot find the way to that department: its parents loop at {at}"
                ));
                return fx;
            }
            Err(NoWay::Hopeless) => {
                self.error("cannot find the way to that department");
                return fx;
            }
        };
        // Open each department on the way; wait for a level's children before the next.
        let last = chain.len().saturating_sub(1);
        for (i, id) in chain.iter().enumerate() {
            let Some(n) = self.tree.node(id) else {
                self.jump = Some(jump);
                return fx;
            };
            let wants_open = i < last || matches!(jump.target, RowKind::User { .. });
            if wants_open && !n.expanded {
                fx.extend(self.expand(id));
            }
            let Some(n) = self.tree.node(id) else {
                break;
            };
            if let Some(e) = n.error() {
                let msg = format!("cannot open the way there: {e}");
                self.error(&msg);
                return fx;
            }
            if i < last
                && !chain
                    .get(i.saturating_add(1))
                    .is_some_and(|next| n.children.contains(next))
            {
                if n.children_load.is_done() {
                    self.error("that department is no longer there");
                    return fx;
                }
                self.jump = Some(jump);
                return fx;
            }
        }
        let row = match &jump.target {
            RowKind::User { id, .. } => RowKind::User {
                id: id.clone(),
                dept: dept.clone(),
            },
            other => other.clone(),
        };
        match self.tree.position(&row) {
            Some(i) => {
                self.select(i);
                // Put it in the middle of the view.
                let h = self.tree_height();
                self.scroll = i.saturating_sub(h / 2);
                self.keep_selection_visible();
                fx.extend(self.note_selection());
            }
            None => {
                let done = self
                    .tree
                    .node(&dept)
                    .is_none_or(|n| n.members_load.is_done());
                if done {
                    self.error("not found in that department");
                } else {
                    self.jump = Some(jump);
                }
            }
        }
        fx
    }

    /// The chain from the root to `dept`, using the tree and the departments fetched for
    /// the jump. `Err(NoWay::Fetch(id))`: `id`'s parent is unknown, fetch it.
    pub(super) fn chain_via_extra(&self, dept: &str) -> Result<Vec<String>, NoWay> {
        let mut below = Vec::new();
        let mut cur = dept.to_string();
        // The departments walked through: parents from the server may loop.
        let mut seen = HashSet::new();
        // Walk up through fetched departments until one the tree can place.
        for _ in 0..64 {
            if let Some(mut chain) = self.tree.chain_to(&cur) {
                chain.extend(below.into_iter().rev());
                return Ok(chain);
            }
            if !seen.insert(cur.clone()) {
                return Err(NoWay::Loops(cur));
            }
            if self.tree.depts.contains_key(&cur) && self.tree.parent(&cur).is_none() {
                return Err(NoWay::Hopeless);
            }
            let parent = match self.tree.parent(&cur) {
                Some(p) => Some(p.to_string()),
                None => match self.extra_depts.get(&cur) {
                    Some(d) => d.parent_id.clone(),
                    None => return Err(NoWay::Fetch(cur)),
                },
            };
            match parent {
                Some(p) => {
                    below.push(cur);
                    cur = p;
                }
                None => return Err(NoWay::Hopeless),
            }
        }
        Err(NoWay::Hopeless)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::tree_model::tests::dept;

    /// A jump to a department whose fetched parents loop (x → y → x, never reaching the
    /// root) stops at the loop and says so, asking for nothing more.
    #[test]
    fn a_jump_through_looping_parents_names_the_loop() {
        let mut app = App::new("test", KeyMap::default());
        app.tree.set_root(dept("r", None));
        app.extra_depts.insert("x".into(), dept("x", Some("y")));
        app.extra_depts.insert("y".into(), dept("y", Some("x")));
        assert_eq!(app.chain_via_extra("x"), Err(NoWay::Loops("x".into())));
        let fx = app.start_jump(RowKind::Dept("x".into()));
        assert!(fx.is_empty(), "{fx:?}");
        let (text, level) = app.message.clone().unwrap();
        assert_eq!(level, Level::Error);
        assert!(text.contains("parents loop at x"), "{text}");
        assert!(app.jump.is_none());
    }

    fn loaded(app: &mut App, l: Loaded) -> Vec<Effect> {
        app.update(Msg::Loaded(Box::new(l)))
    }

    fn page<T>(items: Vec<T>) -> Result<Page<T>, String> {
        Ok(Page {
            items,
            next_page: None,
            total: None,
        })
    }

    /// A jump to a department nobody has loaded: ask for it, then open its parent once its
    /// parent is known, and select it once the parent's children have arrived.
    #[test]
    fn a_jump_fetches_the_unknown_then_opens_the_way_and_selects() {
        let mut app = App::new("test", KeyMap::default());
        app.tree.set_root(dept("r", None));
        let fx = app.start_jump(RowKind::Dept("c".into()));
        assert_eq!(fx, vec![Effect::Request(Request::LoadDept("c".into()))]);
        assert!(app.jump.is_some(), "waiting for c");

        let fx = loaded(
            &mut app,
            Loaded::Dept {
                id: "c".into(),
                result: Ok(dept("c", Some("r"))),
            },
        );
        assert!(
            fx.contains(&Effect::Request(Request::LoadChildren {
                dept: "r".into(),
                page: None
            })),
            "{fx:?}"
        );
        assert!(app.jump.is_some(), "waiting for r's children");

        loaded(
            &mut app,
            Loaded::Children {
                dept: "r".into(),
                result: page(vec![dept("c", Some("r"))]),
            },
        );
        assert!(app.jump.is_none(), "arrived");
        assert_eq!(app.selected_kind(), Some(RowKind::Dept("c".into())));
    }

    /// A jump to a person not known yet asks for their record first; one in no department
    /// is an error, and the jump ends.
    #[test]
    fn a_jump_to_a_person_loads_them_first() {
        let mut app = App::new("test", KeyMap::default());
        app.tree.set_root(dept("r", None));
        let target = RowKind::User {
            id: "u1".into(),
            dept: String::new(),
        };
        let fx = app.start_jump(target);
        assert_eq!(fx, vec![Effect::Request(Request::LoadUser("u1".into()))]);
        let user = User {
            id: "u1".into(),
            ..User::default()
        };
        loaded(
            &mut app,
            Loaded::User {
                id: "u1".into(),
                result: Ok(user),
            },
        );
        assert!(app.jump.is_none());
        let (text, level) = app.message.clone().unwrap();
        assert_eq!(level, Level::Error);
        assert!(text.contains("in no department"), "{text}");
    }
}
