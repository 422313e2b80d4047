//! Small fixtures several test files build: org departments and servers that answer garbage.

use orgtui::fake::OrgDept;

use super::hostile::{self, Hostile, Reply};

/// An org-file department with a name, an order and leaders.
pub fn dept(id: &str, name: &str, parent: Option<&str>, order: i64, leaders: &[&str]) -> OrgDept {
    OrgDept {
        id: id.into(),
        name: Some(name.into()),
        parent_id: parent.map(str::to_string),
        order: Some(order),
        leader_ids: leaders.iter().map(|s| s.to_string()).collect(),
    }
}

/// A server answering 200 to everything: `token` to requests for `token_path` (the
/// provider's token endpoint), `other` to the rest. For replies that are not JSON, or JSON
/// of the wrong shape (clients read every body whatever its content type). Stops when
/// dropped.
pub fn garbage_server(
    token_path: &'static str,
    token: &'static str,
    other: &'static str,
) -> Hostile {
    hostile::serve(move |seen| {
        let body = if seen.path() == token_path {
            token
        } else {
            other
        };
        Reply::Full {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    })
}
