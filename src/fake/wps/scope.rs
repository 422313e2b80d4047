//! The WPS fake's contact range: `GET /v7/contacts/permissions_scope?scopes=org` and the
//! check the other handlers make (one call each) before answering about a department or a
//! person. Outside the range the answer is HTTP 403, code 403000001 (API notes).

use super::*;

/// Outside the app's contact range.
pub const CODE_NO_PERMISSION: i64 = 403_000_001;

/// `visible` (a `FakeState::dept_visible` / `user_visible` answer), or the no-permission
/// answer.
pub(super) fn in_range(visible: bool) -> Result<(), Fail> {
    if visible {
        return Ok(());
    }
    Err(fail(
        StatusCode::FORBIDDEN,
        CODE_NO_PERMISSION,
        "no permission",
    ))
}

/// `scopes` is required and only `org` is supported; like every array parameter it repeats
/// the key (API-NOTES), so `org,org` is one unknown value.
pub(super) async fn permissions_scope(State(st): State<Arc<FakeState>>, Kso1(req): Kso1) -> Reply {
    let asked = req.params(&["scopes"], &[])?.all("scopes");
    if asked.is_empty() {
        return Err(bad_request("scopes is required"));
    }
    rules::each_of("scopes", asked, &["org"])?;
    let (dept_ids, user_ids) = st.granted();
    ok(json!({"items": [{"scope": "org", "dept_ids": dept_ids, "user_ids": user_ids}]}))
}
