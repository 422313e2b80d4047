//! Mapping Feishu's wire records to the neutral model.

use super::*;

/// An empty id would address a different endpoint (`users/` is not `users/{id}`): nothing
/// has that id.
pub(super) fn require_id(what: &str, id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(Error::not_found(format!("{what} with an empty id")));
    }
    Ok(())
}

/// Feishu sends `""` for "none".
pub(super) fn nonempty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty()).map(str::to_string)
}

/// The parent as the model wants it: none for the root itself.
pub(super) fn parent_of(id: &str, parent: Option<&str>) -> Option<String> {
    if id == ROOT_ID {
        return None;
    }
    nonempty(parent)
}

pub(super) fn dept_id_of(d: &wire::Department) -> Option<String> {
    nonempty(d.open_department_id.as_deref()).or_else(|| nonempty(d.department_id.as_deref()))
}

/// `id` is the id the department was asked for (or listed with): it is what the caller uses
/// to come back to it, whatever id fields the reply carries.
pub(super) fn map_dept(d: wire::Department, id: &str) -> Dept {
    Dept {
        id: id.to_string(),
        name: nonempty(d.name.as_deref()),
        parent_id: parent_of(id, d.parent_department_id.as_deref()),
        path: None,
        order: parse_order(d.order.as_ref()),
        leader_ids: leader_ids(d.leader_user_id, d.leaders),
        member_count: d.member_count.and_then(|n| u64::try_from(n).ok()),
    }
}

/// `order` is documented as a string of digits; take a number too.
pub(super) fn parse_order(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// The main leader first (`leader_user_id`, then `leaders` of type 1), then deputies; once
/// each.
pub(super) fn leader_ids(main: Option<String>, leaders: Option<Vec<wire::Leader>>) -> Vec<String> {
    let mut leaders = leaders.unwrap_or_default();
    leaders.sort_by_key(|l| l.leader_type != Some(1));
    let candidates = std::iter::once(main).chain(leaders.into_iter().map(|l| l.leader_id));
    crate::model::distinct_ids(candidates.flatten())
}

pub(super) fn map_status(s: &wire::UserStatus) -> UserStatus {
    // Departure outranks a freeze, a freeze outranks "not yet joined".
    if s.is_resigned == Some(true) || s.is_exited == Some(true) {
        UserStatus::Dimission
    } else if s.is_frozen == Some(true) {
        UserStatus::Disabled
    } else if s.is_activated == Some(false) || s.is_unjoin == Some(true) {
        UserStatus::Notactive
    } else {
        UserStatus::Active
    }
}

/// A wire user in the model; `None` when it has no id at all (and none was asked for).
pub(super) fn map_user(u: wire::User, fallback_id: Option<&str>) -> Option<User> {
    let id = nonempty(u.open_id.as_deref())
        .or_else(|| nonempty(u.user_id.as_deref()))
        .or_else(|| nonempty(fallback_id))?;
    let dept_ids = crate::model::distinct_ids(u.department_ids.unwrap_or_default());
    Some(User {
        id,
        name: nonempty(u.name.as_deref()),
        email: nonempty(u.email.as_deref()).or_else(|| nonempty(u.enterprise_email.as_deref())),
        mobile: nonempty(u.mobile.as_deref()),
        title: nonempty(u.job_title.as_deref()),
        employee_id: nonempty(u.employee_no.as_deref()),
        status: u.status.as_ref().map(map_status),
        leader_id: nonempty(u.leader_user_id.as_deref()),
        dept_ids,
        depts: Vec::new(),
        city: nonempty(u.city.as_deref()),
        work_place: nonempty(u.work_station.as_deref()),
    })
}

pub(super) fn map_users(items: Option<Vec<wire::User>>, endpoint: &str) -> Vec<User> {
    let items = items.unwrap_or_default();
    let total = items.len();
    let users: Vec<User> = items
        .into_iter()
        .filter_map(|u| map_user(u, None))
        .collect();
    if users.len() < total {
        crate::log::debug(&format!(
            "feishu: {endpoint}: skipped {} users without an id",
            total.saturating_sub(users.len())
        ));
    }
    users
}

/// Append the non-empty ids of `got` not seen before, up to `MAX_RANGE_IDS` in all.
pub(super) fn take_ids(
    into: &mut Vec<String>,
    seen: &mut HashSet<String>,
    got: Option<Vec<String>>,
) {
    for id in got.unwrap_or_default() {
        if into.len() >= MAX_RANGE_IDS {
            crate::log::warn("feishu: the contact range lists too many ids; the rest are left out");
            return;
        }
        if let Some(id) = nonempty(Some(&id))
            && seen.insert(id.clone())
        {
            into.push(id);
        }
    }
}

/// The next page token: none when the server says there is no more, or gives no token.
pub(super) fn next_page(has_more: Option<bool>, token: Option<String>) -> Option<String> {
    if has_more != Some(true) {
        return None;
    }
    token.filter(|t| !t.is_empty())
}
