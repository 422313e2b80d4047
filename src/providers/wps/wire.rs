//! WPS v7 wire types (what the server sends) and their mapping onto the neutral model.
//! Built defensively: every field optional, `null` accepted wherever a value may be missing,
//! ids and numbers accepted as either strings or numbers, unknown fields ignored.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use crate::model::{Dept, DeptRef, MAX_IDS_PER_LIST, User, UserStatus, distinct_ids};

/// `{code, msg, data}`; also carries OAuth-style `error`/`error_description` some gateways use.
#[derive(Debug, Default, Deserialize)]
pub struct Envelope {
    #[serde(default, deserialize_with = "opt_i64")]
    pub code: Option<i64>,
    #[serde(default, deserialize_with = "opt_string")]
    pub msg: Option<String>,
    #[serde(default)]
    pub data: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "opt_string")]
    pub error: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub error_description: Option<String>,
}

/// The token endpoint's answer (no envelope on success).
#[derive(Debug, Default, Deserialize)]
pub struct TokenReply {
    #[serde(default, deserialize_with = "opt_string")]
    pub access_token: Option<String>,
    #[serde(default, deserialize_with = "crate::http::lifetime_secs")]
    pub expires_in: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub code: Option<i64>,
    #[serde(default, deserialize_with = "opt_string")]
    pub msg: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub error: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub error_description: Option<String>,
}

/// `data` of a listing or batch call.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct ListData<T> {
    #[serde(default, deserialize_with = "null_vec")]
    pub items: Vec<T>,
    #[serde(default, deserialize_with = "opt_string")]
    pub next_page_token: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub total: Option<i64>,
}

/// One item of `GET /v7/contacts/permissions_scope`: departments (with their subtrees) and
/// people the app may read. Ids as strings or numbers; anything else is skipped.
#[derive(Debug, Default, Deserialize)]
pub struct WireScope {
    #[serde(default, deserialize_with = "null_vec")]
    pub dept_ids: Vec<serde_json::Value>,
    #[serde(default, deserialize_with = "null_vec")]
    pub user_ids: Vec<serde_json::Value>,
}

/// An id written as a string or a number; `None` for anything else or empty.
pub fn scope_id(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct WireDept {
    #[serde(default, deserialize_with = "opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub parent_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub abs_path: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub order: Option<i64>,
    #[serde(default, deserialize_with = "null_vec")]
    pub leaders: Vec<WireLeader>,
}

#[derive(Debug, Default, Deserialize)]
pub struct WireLeader {
    #[serde(default, deserialize_with = "opt_string")]
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub order: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct WireDeptRef {
    #[serde(default, deserialize_with = "opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub abs_path: Option<String>,
}

/// A user, full (get-user, batch reads, by_emails) or reduced (`user_info` of member items).
#[derive(Debug, Default, Deserialize)]
pub struct WireUser {
    #[serde(default, deserialize_with = "opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub user_name: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub employee_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub leader_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub def_dept_id: Option<String>,
    #[serde(default, deserialize_with = "null_vec")]
    pub depts: Vec<WireDeptRef>,
    #[serde(default, deserialize_with = "opt_string")]
    pub city: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub work_place: Option<String>,
}

/// One item of a member listing or members/batch_read.
#[derive(Debug, Default, Deserialize)]
pub struct WireMember {
    #[serde(default, deserialize_with = "opt_string")]
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub dept_id: Option<String>,
    #[serde(default)]
    pub user_info: Option<WireUser>,
}

/// Body of `POST /v7/depts/{id}/members/batch_read`.
#[derive(Debug, Serialize)]
pub struct MembersBatchRead<'a> {
    pub status: &'a [&'static str],
    pub user_ids: &'a [String],
    pub with_user_detail: bool,
}

/// Body of `POST /v7/users/batch_read`.
#[derive(Debug, Serialize)]
pub struct UsersBatchRead<'a> {
    pub status: &'a [&'static str],
    pub user_ids: &'a [String],
    pub with_dept: bool,
}

/// Body of `POST /v7/users/by_emails`.
#[derive(Debug, Serialize)]
pub struct UsersByEmails<'a> {
    pub emails: &'a [String],
    pub status: &'a [&'static str],
    pub with_dept: bool,
}

/// `/Acme/R&D` → `Acme/R&D`; empty → `None`.
pub fn neutral_path(abs_path: Option<String>) -> Option<String> {
    abs_path
        .map(|p| p.strip_prefix('/').map(str::to_string).unwrap_or(p))
        .filter(|p| !p.is_empty())
}

impl WireDept {
    /// `None` when the server left out the id (nothing to show or navigate to).
    pub fn into_dept(self) -> Option<Dept> {
        let id = self.id?;
        let mut leaders: Vec<(i64, usize, String)> = self
            .leaders
            .into_iter()
            .enumerate()
            .filter_map(|(i, l)| Some((l.order.unwrap_or(i64::MAX), i, l.user_id?)))
            .collect();
        leaders.sort();
        let leader_ids = distinct_ids(leaders.into_iter().map(|(_, _, id)| id));
        Some(Dept {
            id,
            name: self.name,
            // "0" (or nothing) means the root.
            parent_id: self.parent_id.filter(|p| p != "0"),
            path: neutral_path(self.abs_path),
            order: self.order,
            leader_ids,
            member_count: None,
        })
    }
}

impl WireUser {
    /// A full user (get-user, batch_read, by_emails): departments from `depts`, the main one
    /// (`def_dept_id`) included even when `depts` was not sent.
    pub fn into_full_user(self, fallback_id: Option<&str>) -> Option<User> {
        // Each department once, and no more than a person can be in (`MAX_IDS_PER_LIST`).
        let mut shown = std::collections::HashSet::new();
        let depts: Vec<DeptRef> = self
            .depts
            .iter()
            .filter_map(|d| {
                Some(DeptRef {
                    id: d.id.clone()?,
                    name: d.name.clone(),
                    path: neutral_path(d.abs_path.clone()),
                })
            })
            .filter(|d| !d.id.trim().is_empty() && shown.insert(d.id.clone()))
            .take(MAX_IDS_PER_LIST)
            .collect();
        let dept_ids = distinct_ids(
            depts
                .iter()
                .map(|d| d.id.clone())
                .chain(self.def_dept_id.clone()),
        );
        let leader_id = self.leader_id.clone();
        let mut user = self.into_user_base(fallback_id)?;
        user.leader_id = leader_id;
        user.dept_ids = dept_ids;
        user.depts = depts;
        Some(user)
    }

    /// A reduced user from a listing of `dept_id`: no leader, no department details.
    pub fn into_member(self, dept_id: &str, fallback_id: Option<&str>) -> Option<User> {
        let dept_ids =
            distinct_ids(std::iter::once(dept_id.to_string()).chain(self.def_dept_id.clone()));
        let mut user = self.into_user_base(fallback_id)?;
        user.dept_ids = dept_ids;
        Some(user)
    }

    fn into_user_base(self, fallback_id: Option<&str>) -> Option<User> {
        let id = self.id.or_else(|| fallback_id.map(str::to_string))?;
        Some(User {
            id,
            name: self.user_name,
            email: self.email,
            mobile: self.phone,
            title: self.title,
            employee_id: self.employee_id,
            status: self.status.as_deref().and_then(UserStatus::parse),
            leader_id: None,
            dept_ids: Vec::new(),
            depts: Vec::new(),
            city: self.city,
            work_place: self.work_place,
        })
    }
}

/// A string, or a number/bool written as one; `null` and `""` become `None`.
fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s).filter(|s| !s.is_empty()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::Bool(b)) => Some(b.to_string()),
        Some(other) => {
            return Err(de::Error::custom(format!(
                "expected a string, found {}",
                json_kind(&other)
            )));
        }
    })
}

/// An integer, or a string holding one; `null` and `""` become `None`.
fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => match n.as_i64() {
            Some(i) => Some(i),
            // A float or a huge number: keep what fits rather than failing the whole reply.
            None => n.as_f64().map(|f| f as i64),
        },
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => None,
        Some(serde_json::Value::String(s)) => Some(
            s.trim()
                .parse()
                .map_err(|_| de::Error::custom(format!("expected an integer, found {s:?}")))?,
        ),
        Some(other) => {
            return Err(de::Error::custom(format!(
                "expected an integer, found {}",
                json_kind(&other)
            )));
        }
    })
}

/// A list, with `null` read as empty.
fn null_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// What a JSON value is, for errors that must not quote it.
pub(super) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dept_maps_root_path_and_leaders() {
        let d: WireDept = serde_json::from_str(
            r#"{"id":12,"name":"后端","parent_id":"0","abs_path":"/Acme/R&D/后端","order":"3",
                "leaders":[{"user_id":"b","order":2},{"user_id":"a","order":1},{"order":0}]}"#,
        )
        .unwrap();
        let d = d.into_dept().unwrap();
        assert_eq!(d.id, "12");
        assert_eq!(d.parent_id, None);
        assert_eq!(d.path.as_deref(), Some("Acme/R&D/后端"));
        assert_eq!(d.order, Some(3));
        assert_eq!(d.leader_ids, vec!["a", "b"]);
    }

    #[test]
    fn users_tolerate_nulls_and_unknown_fields() {
        let u: WireUser = serde_json::from_str(
            r#"{"id":"u1","user_name":"张伟","email":null,"phone":"","status":"dimission",
                "depts":null,"def_dept_id":"d9","gender":"male","ctime":1700000000}"#,
        )
        .unwrap();
        let u = u.into_full_user(None).unwrap();
        assert_eq!(u.name.as_deref(), Some("张伟"));
        assert_eq!(u.email, None);
        assert_eq!(u.mobile, None);
        assert_eq!(u.status, Some(UserStatus::Dimission));
        assert_eq!(u.dept_ids, vec!["d9"]);
        let m: WireUser = serde_json::from_str(r#"{"user_name":"x","def_dept_id":"d1"}"#).unwrap();
        let m = m.into_member("d1", Some("u2")).unwrap();
        assert_eq!((m.id.as_str(), m.dept_ids.len()), ("u2", 1));
    }
}
