use super::*;

fn leader(id: &str, t: i64) -> wire::Leader {
    wire::Leader {
        leader_id: Some(id.into()),
        leader_type: Some(t),
    }
}

#[test]
fn leaders_main_first_without_repeats() {
    let got = leader_ids(
        Some("a".into()),
        Some(vec![
            leader("b", 2),
            leader("a", 1),
            leader("c", 1),
            leader("", 2),
        ]),
    );
    assert_eq!(got, ["a", "c", "b"]);
    let got = leader_ids(
        Some(String::new()),
        Some(vec![leader("d", 2), leader("e", 1)]),
    );
    assert_eq!(got, ["e", "d"]);
}

#[test]
fn status_flags_map_to_one_status() {
    let s = |frozen, resigned, activated| wire::UserStatus {
        is_frozen: Some(frozen),
        is_resigned: Some(resigned),
        is_activated: Some(activated),
        ..Default::default()
    };
    assert_eq!(map_status(&s(false, false, true)), UserStatus::Active);
    assert_eq!(map_status(&s(true, false, true)), UserStatus::Disabled);
    assert_eq!(map_status(&s(true, true, true)), UserStatus::Dimission);
    assert_eq!(map_status(&s(false, false, false)), UserStatus::Notactive);
    assert_eq!(map_status(&wire::UserStatus::default()), UserStatus::Active);
}

#[test]
fn user_ids_and_fallbacks() {
    let u: wire::User = serde_json::from_value(json!({
        "open_id": "", "user_id": "uid", "email": "", "enterprise_email": "e@x",
        "department_ids": ["d1", "d1", ""], "leader_user_id": "", "extra": {"x": 1},
        "status": null
    }))
    .unwrap();
    let u = map_user(u, None).unwrap();
    assert_eq!(u.id, "uid");
    assert_eq!(u.email.as_deref(), Some("e@x"));
    assert_eq!(u.dept_ids, ["d1"]);
    assert_eq!(u.leader_id, None);
    assert_eq!(u.status, None);
    assert!(map_user(wire::User::default(), None).is_none());
}

#[test]
fn order_and_paging() {
    assert_eq!(parse_order(Some(&json!("100"))), Some(100));
    assert_eq!(parse_order(Some(&json!(7))), Some(7));
    assert_eq!(parse_order(Some(&json!("x"))), None);
    assert_eq!(
        next_page(Some(true), Some("a/b+=".into())),
        Some("a/b+=".into())
    );
    assert_eq!(next_page(Some(true), Some(String::new())), None);
    assert_eq!(next_page(Some(false), Some("a".into())), None);
    assert_eq!(next_page(None, Some("a".into())), None);
}

#[test]
fn root_has_no_parent() {
    let d: wire::Department =
        serde_json::from_value(json!({"name": "Acme", "parent_department_id": "", "order": "0"}))
            .unwrap();
    let d = map_dept(d, ROOT_ID);
    assert_eq!(d.parent_id, None);
    assert_eq!(d.order, Some(0));
}
