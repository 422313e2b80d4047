//! The documented request constraints both fakes enforce, as plain checks over a decoded
//! query or body. Each protocol wraps a refusal in its own error envelope. The fakes are our
//! only stand-in for the real servers, so they refuse whatever the documents do not allow
//! (`docs/wire-constraints.md` lists every rule and its source): a fake more lenient than the
//! documents hides exactly the bugs that break real tenants.

use std::collections::HashSet;

/// Why a request was refused, in the words the fake answers with.
pub type Refusal = String;

/// A decoded query, repeated keys kept in order.
#[derive(Debug, Default, Clone)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        Query(
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub fn first(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Only the parameters the endpoint documents; each of `single` at most once.
    pub fn only(&self, repeatable: &[&str], single: &[&str]) -> Result<(), Refusal> {
        let mut seen = HashSet::new();
        for (k, _) in &self.0 {
            if single.contains(&k.as_str()) {
                if !seen.insert(k.as_str()) {
                    return Err(format!("parameter {k:?} given more than once"));
                }
            } else if !repeatable.contains(&k.as_str()) {
                return Err(format!("unknown parameter {k:?}"));
            }
        }
        Ok(())
    }

    /// A documented boolean: absent is `false`; present, it is `true` or `false`.
    pub fn flag(&self, key: &str) -> Result<bool, Refusal> {
        match self.first(key) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(v) => Err(format!("{key} must be true or false, not {v:?}")),
        }
    }

    /// `page_size` as sent: digits only (`parse` would take `+5` too), range checked by
    /// `paging::page`.
    pub fn page_size(&self) -> Result<Option<usize>, Refusal> {
        self.first("page_size")
            .map(|v| {
                v.bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| v.parse::<usize>().ok())
                    .flatten()
                    .ok_or_else(|| format!("page_size must be a whole number, not {v:?}"))
            })
            .transpose()
    }

    /// An enum-valued parameter: absent, or one of `allowed`.
    pub fn one_of(&self, key: &str, allowed: &[&str]) -> Result<Option<&str>, Refusal> {
        match self.first(key) {
            None => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(v)),
            Some(v) => Err(format!(
                "invalid {key} {v:?}: one of {}",
                allowed.join(", ")
            )),
        }
    }
}

/// A required list of `min..=max` items.
pub fn count(what: &str, n: usize, min: usize, max: usize) -> Result<(), Refusal> {
    if n < min || n > max {
        return Err(format!("{what} must hold {min} to {max} items, got {n}"));
    }
    Ok(())
}

/// Each item `min..=max` characters long.
pub fn lengths<'a>(
    what: &str,
    items: impl IntoIterator<Item = &'a str>,
    min: usize,
    max: usize,
) -> Result<(), Refusal> {
    for s in items {
        let n = s.chars().count();
        if n < min || n > max {
            return Err(format!("each of {what} must be {min} to {max} characters"));
        }
    }
    Ok(())
}

/// Each value one of `allowed` (the document's enum), quoted back when it is not.
pub fn each_of<'a>(
    what: &str,
    values: impl IntoIterator<Item = &'a str>,
    allowed: &[&str],
) -> Result<(), Refusal> {
    for v in values {
        if !allowed.contains(&v) {
            return Err(format!("invalid {what} '{v}'"));
        }
    }
    Ok(())
}

/// A request body sent as `expected` (a charset may follow).
pub fn content_type(value: Option<&str>, expected: &str) -> Result<(), Refusal> {
    let mime = value
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    match mime.as_deref() {
        Some(m) if m == expected => Ok(()),
        Some(other) => Err(format!("Content-Type must be {expected}, not {other:?}")),
        None => Err(format!("Content-Type {expected} is required")),
    }
}

/// A JSON request body: `Content-Type: application/json`.
pub fn json_content_type(value: Option<&str>) -> Result<(), Refusal> {
    content_type(value, "application/json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_take_only_documented_parameters() {
        let q = Query::parse(Some("status=active&status=disabled&page_size=5&x=1"));
        assert!(q.only(&["status", "x"], &["page_size"]).is_ok());
        assert!(q.only(&["status"], &["page_size"]).is_err());
        let twice = Query::parse(Some("page_size=5&page_size=6"));
        assert!(twice.only(&[], &["page_size"]).is_err());
        assert_eq!(Query::parse(Some("f=true")).flag("f"), Ok(true));
        assert_eq!(Query::parse(None).flag("f"), Ok(false));
        assert!(Query::parse(Some("f=1")).flag("f").is_err());
        assert!(Query::parse(Some("page_size=-1")).page_size().is_err());
        assert!(Query::parse(Some("page_size=+5")).page_size().is_err());
        assert!(Query::parse(Some("page_size=")).page_size().is_err());
        assert_eq!(Query::parse(Some("page_size=05")).page_size(), Ok(Some(5)));
        assert_eq!(
            Query::parse(Some("t=b")).one_of("t", &["a", "b"]),
            Ok(Some("b"))
        );
        assert!(Query::parse(Some("t=c")).one_of("t", &["a", "b"]).is_err());
    }

    #[test]
    fn lists_enums_and_content_types() {
        assert!(count("ids", 0, 1, 50).is_err());
        assert!(count("ids", 51, 1, 50).is_err());
        assert!(count("ids", 50, 1, 50).is_ok());
        assert!(lengths("emails", ["a@b", ""], 1, 128).is_err());
        assert!(lengths("emails", ["é".repeat(128).as_str()], 1, 128).is_ok());
        assert_eq!(
            each_of("status", ["active", "dimission"], &["active"]),
            Err("invalid status 'dimission'".to_string())
        );
        assert!(json_content_type(Some("application/json; charset=utf-8")).is_ok());
        assert!(json_content_type(Some("text/plain")).is_err());
        assert!(json_content_type(None).is_err());
    }
}
