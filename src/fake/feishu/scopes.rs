//! The Feishu fake's contact range: `GET /open-apis/contact/v3/scopes` and the checks the
//! other handlers make (one call each) before answering about a department or a person.
//! Seed 004's error table: a department outside the range is HTTP 403, 40004 "no dept
//! authority error"; a person outside it HTTP 400, 41050 "no user authority error".

use super::*;

/// The range endpoint's page size: 1..=100, default 50 (unlike the other listings' 50).
const SCOPES_PAGE: (usize, usize) = (50, 100);

/// Department `id` (an org id) is in the app's range, or the no-authority answer.
pub(super) fn dept_in_range(state: &FakeState, id: &str) -> Result<(), Fail> {
    if state.dept_visible(id) {
        return Ok(());
    }
    Err(fail(
        StatusCode::FORBIDDEN,
        40004,
        "no dept authority error",
    ))
}

/// Person `id` is in the app's range, or the no-authority answer.
pub(super) fn user_in_range(state: &FakeState, id: &str) -> Result<(), Fail> {
    if state.user_visible(id) {
        return Ok(());
    }
    Err(fail(
        StatusCode::BAD_REQUEST,
        41050,
        "no user authority error",
    ))
}

/// `GET /open-apis/contact/v3/scopes`: the granted departments, then the granted people,
/// paged together; `department_ids` and `user_ids` hold this page's share of each.
pub(super) async fn scopes(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Answer {
    authorize(&state, &headers)?;
    // API-NOTES: `page_size` (1..=100), `page_token` and the id types.
    let q = params(raw.as_deref(), &[], &["page_size", "page_token"])?;
    let (depts, users) = state.granted();
    let org = &state.org;
    let entries: Vec<(bool, String)> = depts
        .iter()
        .map(|d| (true, shown_id(org, d)))
        .chain(users.into_iter().map(|u| (false, u)))
        .collect();
    let (slice, next) = page_sized(&entries, "scopes", &q, SCOPES_PAGE)?;
    let pick = |dept: bool| -> Vec<Value> {
        slice
            .iter()
            .filter(|(is_dept, _)| *is_dept == dept)
            .map(|(_, id)| Value::String(id.clone()))
            .collect()
    };
    let mut data = Map::new();
    data.insert("department_ids".into(), Value::Array(pick(true)));
    data.insert("user_ids".into(), Value::Array(pick(false)));
    data.insert("group_ids".into(), Value::Array(Vec::new()));
    data.insert("has_more".into(), Value::Bool(next.is_some()));
    if let Some(t) = next {
        data.insert("page_token".into(), Value::String(t));
    }
    Ok(ok(Value::Object(data)))
}
