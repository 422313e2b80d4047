//! The CLI's stable output shapes (JSON keys always present, null when unknown) and its text
//! rendering. Text never carries control characters from server data to the terminal (see
//! `text::is_unsafe`); JSON escapes the same characters as `\uXXXX`, so it still holds the
//! exact values but nothing in it acts on a terminal or a viewer.

use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{Dept, DeptRef, User};
use crate::text::sanitize;

#[derive(Debug, Serialize)]
pub struct UserJson<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub mobile: Option<&'a str>,
    pub title: Option<&'a str>,
    pub employee_id: Option<&'a str>,
    pub status: Option<&'static str>,
    pub leader_id: Option<&'a str>,
    pub dept_ids: &'a [String],
    pub depts: Vec<DeptRefJson<'a>>,
}

#[derive(Debug, Serialize)]
pub struct DeptRefJson<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub path: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct DeptJson<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub parent_id: Option<&'a str>,
    pub path: Option<&'a str>,
    pub leader_ids: &'a [String],
}

impl<'a> From<&'a User> for UserJson<'a> {
    fn from(u: &'a User) -> Self {
        UserJson {
            id: &u.id,
            name: u.name.as_deref(),
            email: u.email.as_deref(),
            mobile: u.mobile.as_deref(),
            title: u.title.as_deref(),
            employee_id: u.employee_id.as_deref(),
            status: u.status.map(|s| s.as_str()),
            leader_id: u.leader_id.as_deref(),
            dept_ids: &u.dept_ids,
            depts: u.depts.iter().map(DeptRefJson::from).collect(),
        }
    }
}

impl<'a> From<&'a DeptRef> for DeptRefJson<'a> {
    fn from(d: &'a DeptRef) -> Self {
        DeptRefJson {
            id: &d.id,
            name: d.name.as_deref(),
            path: d.path.as_deref(),
        }
    }
}

impl<'a> From<&'a Dept> for DeptJson<'a> {
    fn from(d: &'a Dept) -> Self {
        DeptJson {
            id: &d.id,
            name: d.name.as_deref(),
            parent_id: d.parent_id.as_deref(),
            path: d.path.as_deref(),
            leader_ids: &d.leader_ids,
        }
    }
}

/// Write all of `text` to stdout at once. A closed pipe (`| head`) is not an error.
pub fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Io(format!("cannot write to stdout: {e}"))),
    }
}

/// Pretty JSON and a newline, with every unsafe character escaped (see `escape_unsafe`).
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let s = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Io(format!("cannot encode JSON: {e}")))?;
    let mut s = escape_unsafe(s);
    s.push('\n');
    Ok(s)
}

/// serde_json escapes only C0 controls, `"` and `\`; this escapes the rest of what
/// `text::is_unsafe` names (DEL, C1, bidi controls, zero-width characters, U+2028/U+2029) as
/// `\uXXXX`. Done on the encoded text: outside strings JSON holds only ASCII punctuation,
/// digits, letters and whitespace, so every such character is inside a string, where its
/// escape means the same character. All of them are in the BMP, so one escape each.
pub fn escape_unsafe(json: String) -> String {
    if !json.chars().any(needs_escape) {
        return json;
    }
    let mut out = String::with_capacity(json.len().saturating_add(64));
    for c in json.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// C0 is left to serde_json: raw, it is only the pretty printer's newlines and indent.
fn needs_escape(c: char) -> bool {
    c > '\u{1f}' && crate::text::is_unsafe(c)
}

/// A field for text output: sanitized, or `-` when unknown.
pub fn field(v: Option<&str>) -> String {
    v.map_or_else(|| "-".to_string(), sanitize)
}

/// One line naming a user: `name <email> [id]`.
pub fn user_line(u: &User) -> String {
    let mut s = field(u.name.as_deref());
    if let Some(e) = &u.email {
        s.push_str(&format!(" <{}>", sanitize(e)));
    }
    s.push_str(&format!(" [{}]", sanitize(&u.id)));
    if let Some(st) = u.status.filter(|s| *s != crate::model::UserStatus::Active) {
        s.push_str(&format!(" ({})", st.as_str()));
    }
    s
}

/// A user as a block of `key: value` lines. `leader` is the leader's display line if known.
pub fn user_block(u: &User, leader: Option<&str>) -> String {
    let mut s = String::new();
    let mut row = |k: &str, v: String| s.push_str(&format!("{k:<12} {v}\n"));
    row("name", field(u.name.as_deref()));
    row("id", sanitize(&u.id));
    row("email", field(u.email.as_deref()));
    row("mobile", field(u.mobile.as_deref()));
    row("title", field(u.title.as_deref()));
    row("employee id", field(u.employee_id.as_deref()));
    row("status", u.status.map_or("-", |s| s.as_str()).to_string());
    match (leader, &u.leader_id) {
        (Some(l), _) => row("leader", l.to_string()),
        (None, Some(id)) => row("leader", format!("[{}]", sanitize(id))),
        (None, None) => row("leader", "-".into()),
    }
    if u.depts.is_empty() {
        let ids: Vec<String> = u.dept_ids.iter().map(|d| sanitize(d)).collect();
        row(
            "depts",
            if ids.is_empty() {
                "-".into()
            } else {
                ids.join(", ")
            },
        );
    }
    for d in &u.depts {
        let shown = d.path.as_deref().or(d.name.as_deref());
        row("dept", format!("{} [{}]", field(shown), sanitize(&d.id)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_unsafe_characters_and_keeps_the_value() {
        let hostile = "a\u{7f}\u{85}\u{9f}\u{61c}\u{200e}\u{202e}\u{2066}\u{200b}\u{2060}\u{feff}\u{2028}\u{2029}\n\u{1b}z 张伟";
        let value = serde_json::json!({ "name": hostile, (hostile): [hostile] });
        let text = to_json(&value).unwrap();
        for c in hostile
            .chars()
            .filter(|c| *c > '\u{7e}' && !c.is_alphanumeric())
        {
            assert!(!text.contains(c), "U+{:04X} raw in {text}", u32::from(c));
        }
        for esc in [
            "\\u007f", "\\u0085", "\\u061c", "\\u202e", "\\u2028", "\\ufeff", "\\u001b",
        ] {
            assert!(text.contains(esc), "{esc} missing in {text}");
        }
        assert!(text.contains("张伟"));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn plain_json_is_unchanged() {
        let value = serde_json::json!({"a": ["b", 1, null], "c": "d\"e"});
        assert_eq!(
            to_json(&value).unwrap(),
            format!("{}\n", serde_json::to_string_pretty(&value).unwrap())
        );
    }
}
