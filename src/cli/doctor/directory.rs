//! The checks of what the app may read: the root, or its contact range (the granted
//! departments named), and whether people come back with emails and mobiles.

use super::*;

// ---- the contact range ----

/// Whether the root is readable; when the range is limited, which departments are. Also the
/// departments to look for people in.
pub(super) async fn root_check(dir: &dyn Directory, provider: ProviderKind) -> (Check, Vec<Dept>) {
    match dir.root().await {
        Ok(root) if root.id == RANGE_ROOT_ID => limited_root(dir, provider, root).await,
        Ok(root) => {
            let line = Check::ok(
                ROOT,
                format!(
                    "the root department {} is readable: the app may read the whole company",
                    dept_name(&root)
                ),
            );
            (line, vec![root])
        }
        Err(e) if is_refusal(&e) => refused_root(dir, provider, &e).await,
        Err(e) => (error_check(ROOT, provider, &e), Vec::new()),
    }
}

/// The contact-range directory's stand-in root: its children are the granted departments.
pub(super) async fn limited_root(
    dir: &dyn Directory,
    provider: ProviderKind,
    stand_in: Dept,
) -> (Check, Vec<Dept>) {
    let granted = match dir.children(RANGE_ROOT_ID, None).await {
        Ok(page) => page.items,
        Err(e) => return (error_check(ROOT, provider, &e), Vec::new()),
    };
    let what = match granted.is_empty() {
        true => "people granted one by one".to_string(),
        false => named(&granted),
    };
    let line = Check::warn(
        ROOT,
        format!("the contact range is limited to {what}"),
        range_fix(provider),
    );
    // Looked into first for people: its own members are the people granted one by one.
    (line, vec![stand_in])
}

/// The root was refused: the app's range says what it may read, if the provider tells.
pub(super) async fn refused_root(
    dir: &dyn Directory,
    provider: ProviderKind,
    e: &Error,
) -> (Check, Vec<Dept>) {
    let range = match dir.contact_range().await {
        Ok(Some(r)) if !r.dept_ids.is_empty() || !r.user_ids.is_empty() => r,
        Ok(Some(_)) => {
            let line = Check::fail(
                ROOT,
                format!("the root is refused ({e}) and the app's contact range is empty"),
                range_fix(provider),
                exit::NOT_FOUND,
            );
            return (line, Vec::new());
        }
        Ok(None) | Err(_) => {
            let line = Check::fail(
                ROOT,
                format!("the root is refused: {e}"),
                root_fix(provider),
                exit::NOT_FOUND,
            );
            return (line, Vec::new());
        }
    };
    let depts = granted_depts(dir, &range).await;
    let mut parts = Vec::new();
    if !depts.is_empty() {
        parts.push(named(&depts));
    }
    if !range.user_ids.is_empty() {
        let n = range.user_ids.len();
        let people = if n == 1 { "person" } else { "people" };
        parts.push(format!("{n} {people} granted one by one"));
    }
    let line = Check::warn(
        ROOT,
        format!(
            "the root is refused: the contact range is limited to {}",
            parts.join(" and ")
        ),
        range_fix(provider),
    );
    (line, depts)
}

/// The granted departments with their names where they can be read (the first few; the
/// rest by id).
pub(super) async fn granted_depts(dir: &dyn Directory, range: &ContactRange) -> Vec<Dept> {
    let mut out = Vec::new();
    for (i, id) in range.dept_ids.iter().enumerate() {
        let named = match i < NAMED_ROOTS {
            true => dir.dept(id).await.ok(),
            false => None,
        };
        out.push(named.unwrap_or_else(|| Dept {
            id: id.clone(),
            ..Dept::default()
        }));
    }
    out
}

/// Refused for lack of range or permission rather than broken: Feishu 40004 (mapped to not
/// found or out of range) and 99991672 (a scope missing), WPS HTTP 403 / 403000001. Reported
/// with exit status 1, as the CLI reports a department outside the range.
pub(super) fn is_refusal(e: &Error) -> bool {
    match e {
        Error::NotFound { .. } | Error::OutOfRange { .. } => true,
        Error::Server { reply, .. } => {
            reply.status == Some(403)
                || matches!(reply.code, Some(403_000_001 | 40004 | 99_991_672))
        }
        _ => false,
    }
}

/// `2 departments: 研发中心 (d1), 销售部 (d2)`, the first few named.
pub(super) fn named(depts: &[Dept]) -> String {
    let count = match depts.len() {
        1 => "1 department".to_string(),
        n => format!("{n} departments"),
    };
    if depts.is_empty() {
        return "no department".into();
    }
    let mut names: Vec<String> = depts.iter().take(NAMED_ROOTS).map(dept_name).collect();
    if depts.len() > NAMED_ROOTS {
        names.push(format!(
            "and {} more",
            depts.len().saturating_sub(NAMED_ROOTS)
        ));
    }
    format!("{count}: {}", names.join(", "))
}

pub(super) fn dept_name(d: &Dept) -> String {
    match d.name.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => format!("{n} ({})", d.id),
        None => d.id.clone(),
    }
}

pub(super) fn range_fix(provider: ProviderKind) -> &'static str {
    match provider {
        ProviderKind::Wps => {
            "orgtui shows only the granted departments; to read the whole company set the app's contact range (通讯录权限范围) to the whole organization in the WPS 365 developer console"
        }
        ProviderKind::Feishu | ProviderKind::Lark => {
            "orgtui shows only the granted departments; to read the whole company set the app's contact data range (通讯录权限范围) to all members in the developer console and publish a new version"
        }
    }
}

pub(super) fn root_fix(provider: ProviderKind) -> &'static str {
    match provider {
        ProviderKind::Wps => {
            "grant the app kso.contact.read and set its contact range (通讯录权限范围) to the whole organization in the WPS 365 developer console"
        }
        ProviderKind::Feishu | ProviderKind::Lark => {
            "grant the app the contact read scope (以应用身份读取通讯录) with the data range set to all members, then publish a new version"
        }
    }
}

// ---- field scopes ----

/// Whether people come back with emails and mobiles: a page of members from the first
/// readable department that has any.
pub(super) async fn fields_check(
    dir: &dyn Directory,
    provider: ProviderKind,
    starts: Vec<Dept>,
) -> Check {
    let (users, where_) = match sample_people(dir, starts).await {
        Ok(found) => found,
        Err(e) => return error_check(FIELDS, provider, &e),
    };
    let n = users.len();
    if n == 0 {
        return Check::warn(
            FIELDS,
            format!(
                "found nobody in the first {SAMPLE_DEPTS} readable departments to check emails and mobiles on"
            ),
            "check with `orgtui members DEPT_ID` on a department with people",
        );
    }
    let has = |f: fn(&User) -> Option<&str>| {
        users
            .iter()
            .filter(|u| f(u).is_some_and(|v| !v.trim().is_empty()))
            .count()
    };
    let (emails, mobiles) = (has(|u| u.email.as_deref()), has(|u| u.mobile.as_deref()));
    let counts = format!("{emails} of {n} people in {where_} have an email, {mobiles} a mobile");
    let (email_scope, phone_scope) = field_scopes(provider);
    let missing: Vec<&str> = [(emails, email_scope), (mobiles, phone_scope)]
        .into_iter()
        .filter(|(count, _)| *count == 0)
        .map(|(_, scope)| scope)
        .collect();
    if missing.is_empty() {
        return Check::ok(FIELDS, format!("emails and mobiles come back: {counts}"));
    }
    Check::warn(
        FIELDS,
        counts,
        format!(
            "grant the app {}{}",
            missing.join(" and "),
            field_fix_tail(provider)
        ),
    )
}

/// The email and mobile field permissions, as each provider's console names them.
pub(super) fn field_scopes(provider: ProviderKind) -> (&'static str, &'static str) {
    match provider {
        ProviderKind::Wps => ("kso.user_email.read", "kso.user_phone.read"),
        ProviderKind::Feishu | ProviderKind::Lark => (
            "the field permission 获取用户邮箱信息 (contact:user.email:readonly)",
            "the field permission 获取用户手机号 (contact:user.phone:readonly)",
        ),
    }
}

pub(super) fn field_fix_tail(provider: ProviderKind) -> &'static str {
    match provider {
        ProviderKind::Wps => {
            " in the WPS 365 developer console; without them these fields come back empty"
        }
        ProviderKind::Feishu | ProviderKind::Lark => {
            ", then publish a new version; without them these fields come back empty"
        }
    }
}

/// The first page of members of the first department (breadth first from `starts`) that has
/// any, and where they were found; at most `SAMPLE_DEPTS` departments are looked into.
pub(super) async fn sample_people(
    dir: &dyn Directory,
    starts: Vec<Dept>,
) -> Result<(Vec<User>, String)> {
    let mut queue: VecDeque<Dept> = starts.into();
    for _ in 0..SAMPLE_DEPTS {
        let Some(dept) = queue.pop_front() else {
            break;
        };
        let page = dir.members(&dept.id, None).await?;
        if !page.items.is_empty() {
            let shown = match dept.id.as_str() {
                RANGE_ROOT_ID => "the people granted one by one".to_string(),
                _ => dept_name(&dept),
            };
            return Ok((page.items, shown));
        }
        queue.extend(dir.children(&dept.id, None).await?.items);
    }
    Ok((Vec::new(), String::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Page;
    /// A directory whose root is the contact-range stand-in, or refused with a range (or
    /// none) behind it.
    struct Limited {
        stand_in: bool,
        range: Option<ContactRange>,
    }

    fn dept(id: &str, name: &str) -> Dept {
        Dept {
            id: id.into(),
            name: Some(name.into()),
            ..Dept::default()
        }
    }

    #[async_trait::async_trait]
    impl Directory for Limited {
        async fn root(&self) -> Result<Dept> {
            if self.stand_in {
                return Ok(dept(RANGE_ROOT_ID, "granted"));
            }
            Err(Error::OutOfRange {
                what: "root department".into(),
                reply: crate::error::ServerReply {
                    status: Some(403),
                    code: Some(403_000_001),
                    msg: Some("no permission".into()),
                },
            })
        }
        async fn dept(&self, id: &str) -> Result<Dept> {
            Ok(dept(id, &format!("Dept {id}")))
        }
        async fn children(&self, id: &str, _: Option<&str>) -> Result<Page<Dept>> {
            let items = match id {
                RANGE_ROOT_ID => vec![dept("d1", "研发中心"), dept("d2", "销售部")],
                _ => Vec::new(),
            };
            Ok(Page {
                items,
                next_page: None,
                total: None,
            })
        }
        async fn members(&self, id: &str, _: Option<&str>) -> Result<Page<User>> {
            let items = match id {
                "d1" => vec![User {
                    id: "u1".into(),
                    email: Some("a@x.example".into()),
                    ..User::default()
                }],
                _ => Vec::new(),
            };
            Ok(Page {
                items,
                next_page: None,
                total: None,
            })
        }
        async fn user(&self, id: &str) -> Result<User> {
            Err(Error::not_found(id))
        }
        async fn users(&self, _: &[String]) -> Result<Vec<User>> {
            Ok(Vec::new())
        }
        async fn users_by_emails(&self, _: &[String]) -> Result<Vec<crate::model::EmailMatch>> {
            Ok(Vec::new())
        }
        async fn contact_range(&self) -> Result<Option<ContactRange>> {
            Ok(self.range.clone())
        }
    }

    #[tokio::test]
    async fn stand_in_root_names_the_granted_departments() {
        let dir = Limited {
            stand_in: true,
            range: None,
        };
        let (line, starts) = root_check(&dir, ProviderKind::Wps).await;
        assert_eq!(line.status, Status::Warn);
        assert!(
            line.detail
                .contains("2 departments: 研发中心 (d1), 销售部 (d2)"),
            "{}",
            line.detail
        );
        assert!(line.fix.unwrap().contains("通讯录权限范围"));
        // People are looked for under the granted departments: d1 has an email, no mobile.
        let fields = fields_check(&dir, ProviderKind::Wps, starts).await;
        assert_eq!(fields.status, Status::Warn, "{}", fields.detail);
        let fix = fields.fix.unwrap();
        assert!(fix.contains("kso.user_phone.read") && !fix.contains("kso.user_email.read"));
    }

    #[tokio::test]
    async fn refused_root_names_what_the_range_grants() {
        let dir = Limited {
            stand_in: false,
            range: Some(ContactRange {
                dept_ids: vec!["d1".into()],
                user_ids: vec!["u9".into()],
            }),
        };
        let (line, starts) = root_check(&dir, ProviderKind::Wps).await;
        assert_eq!(line.status, Status::Warn);
        assert!(
            line.detail.contains("1 department: Dept d1 (d1)"),
            "{}",
            line.detail
        );
        assert!(
            line.detail.contains("1 person granted one by one"),
            "{}",
            line.detail
        );
        let ids: Vec<&str> = starts.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["d1"]);
    }

    #[tokio::test]
    async fn refused_root_without_a_range_fails_with_the_fix() {
        let dir = Limited {
            stand_in: false,
            range: None,
        };
        let (line, _) = root_check(&dir, ProviderKind::Wps).await;
        assert_eq!((line.status, line.exit), (Status::Fail, exit::NOT_FOUND));
        assert!(line.detail.contains("403000001"), "{}", line.detail);
        assert!(line.fix.unwrap().contains("kso.contact.read"));
        let (line, _) = root_check(&dir, ProviderKind::Feishu).await;
        assert!(line.fix.unwrap().contains("以应用身份读取通讯录"));
    }
}
