//! Feishu/Lark contact v3 wire types, as the server sends them. Everything is optional and
//! unknown fields are ignored: any field may be missing when the app lacks its field scope,
//! and Feishu likes to send `""` for "none", which the mapping turns into `None`.

use serde::Deserialize;
use serde_json::Value;

/// The envelope of every call. `data` stays raw until `code` says it is a success, so that a
/// failure with an odd `data` still reports the server's code and message.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Envelope {
    pub code: Option<i64>,
    pub msg: Option<String>,
    pub data: Option<Value>,
}

/// The token endpoint answers without an envelope: its fields sit at the top level.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenReply {
    pub code: Option<i64>,
    pub msg: Option<String>,
    pub tenant_access_token: Option<String>,
    /// Seconds left.
    #[serde(deserialize_with = "crate::http::lifetime_secs")]
    pub expire: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeptData {
    pub department: Option<Department>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListData<T> {
    pub has_more: Option<bool>,
    pub page_token: Option<String>,
    pub items: Option<Vec<T>>,
}

/// `GET /contact/v3/scopes`: one page of the app's contact range.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ScopesData {
    pub department_ids: Option<Vec<String>>,
    pub user_ids: Option<Vec<String>>,
    pub has_more: Option<bool>,
    pub page_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Department {
    pub name: Option<String>,
    pub department_id: Option<String>,
    pub open_department_id: Option<String>,
    pub parent_department_id: Option<String>,
    pub leader_user_id: Option<String>,
    pub leaders: Option<Vec<Leader>>,
    /// Documented as a string; numbers are accepted too.
    pub order: Option<Value>,
    pub member_count: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Leader {
    #[serde(rename = "leaderID")]
    pub leader_id: Option<String>,
    /// 1 = main leader, 2 = deputy.
    #[serde(rename = "leaderType")]
    pub leader_type: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserData {
    pub user: Option<User>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserList {
    pub items: Option<Vec<User>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct User {
    pub open_id: Option<String>,
    pub union_id: Option<String>,
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub en_name: Option<String>,
    pub email: Option<String>,
    pub enterprise_email: Option<String>,
    pub mobile: Option<String>,
    pub job_title: Option<String>,
    pub employee_no: Option<String>,
    pub status: Option<UserStatus>,
    pub department_ids: Option<Vec<String>>,
    pub leader_user_id: Option<String>,
    pub city: Option<String>,
    pub work_station: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserStatus {
    pub is_frozen: Option<bool>,
    pub is_resigned: Option<bool>,
    pub is_activated: Option<bool>,
    pub is_exited: Option<bool>,
    pub is_unjoin: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BatchGetIdData {
    pub user_list: Option<Vec<IdMatch>>,
}

/// One row of `users/batch_get_id`. `user_id` is absent when the email is unknown; with the
/// default `user_id_type` it holds the open_id despite its name.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IdMatch {
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub mobile: Option<String>,
}
