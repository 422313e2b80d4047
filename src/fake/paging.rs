//! Opaque page tokens for the fake server. They deliberately contain `/`, `+` and `=` so a
//! client that forgets to URL-encode them breaks in tests, and carry a check so a token from
//! another listing (or a mangled one) is rejected.

use std::hash::{Hash, Hasher};

/// `page_size` the servers accept: 1..=50, default 10.
pub const DEFAULT_PAGE_SIZE: usize = 10;
pub const MAX_PAGE_SIZE: usize = 50;

fn check(scope: &str, offset: usize) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    ("orgtui-fake", scope, offset).hash(&mut h);
    h.finish()
}

pub fn encode(scope: &str, offset: usize) -> String {
    format!("pt/{offset}+{:x}=", check(scope, offset))
}

/// The offset a token stands for, or `None` when it is not one of ours for this scope.
pub fn decode(scope: &str, token: &str) -> Option<usize> {
    let rest = token.strip_prefix("pt/")?.strip_suffix('=')?;
    let (offset, sum) = rest.split_once('+')?;
    let offset: usize = offset.parse().ok()?;
    (format!("{:x}", check(scope, offset)) == sum).then_some(offset)
}

#[derive(Debug, PartialEq, Eq)]
pub enum PageError {
    BadSize,
    BadToken,
}

/// One page of `items`: the slice and the token for the next page (`None` on the last).
pub fn page<'a, T>(
    items: &'a [T],
    scope: &str,
    page_size: Option<usize>,
    token: Option<&str>,
) -> Result<(&'a [T], Option<String>), PageError> {
    page_within(
        items,
        scope,
        page_size,
        token,
        (DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    )
}

/// `page` for a listing with its own `(default, maximum)` page size (Feishu's contact
/// range pages up to 100).
pub fn page_within<'a, T>(
    items: &'a [T],
    scope: &str,
    page_size: Option<usize>,
    token: Option<&str>,
    (default, max): (usize, usize),
) -> Result<(&'a [T], Option<String>), PageError> {
    let size = page_size.unwrap_or(default);
    if size == 0 || size > max {
        return Err(PageError::BadSize);
    }
    // An empty token is not one the server issued: the first page is asked for by leaving
    // `page_token` out (API-NOTES).
    let start = match token {
        None => 0,
        Some(t) => decode(scope, t).ok_or(PageError::BadToken)?,
    };
    if start > items.len() {
        return Err(PageError::BadToken);
    }
    let end = start.saturating_add(size).min(items.len());
    let next = (end < items.len()).then(|| encode(scope, end));
    Ok((items.get(start..end).unwrap_or_default(), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_reject() {
        let t = encode("d1", 20);
        assert!(t.contains('/') && t.contains('+') && t.contains('='));
        assert_eq!(decode("d1", &t), Some(20));
        assert_eq!(decode("d2", &t), None);
        assert_eq!(decode("d1", &t.replace('+', " ")), None);
        let items: Vec<u32> = (0..25).collect();
        let (p1, n1) = page(&items, "d1", Some(10), None).unwrap();
        assert_eq!(p1.len(), 10);
        let (p3, n3) = page(&items, "d1", Some(10), Some(&encode("d1", 20))).unwrap();
        assert_eq!(p3, &[20, 21, 22, 23, 24]);
        assert!(n1.is_some() && n3.is_none());
        assert_eq!(page(&items, "d1", Some(51), None), Err(PageError::BadSize));
    }
}
