//! Emails, employee ids and ids, and what a pasted list of addresses does.

use super::*;

#[test]
fn email_employee_id_and_id() {
    let mut a = user("u000042", "张伟");
    a.email = Some("Wei.Zhang42@acme.example".into());
    a.employee_id = Some("E000042".into());
    a.title = Some("软件工程师".into());
    let mut b = user("u000043", "李娜");
    b.email = Some("na.li43@acme.example".into());
    b.employee_id = Some("E000043".into());
    let idx = index_of(vec![b, a]);

    let hits = idx.search("wei.zhang42@ACME.example", 10);
    assert_eq!(ids(&hits), ["u000042"]);
    assert_eq!(hits[0].field, Field::Email);
    assert!(hits[0].name_positions.is_empty());

    let hits = idx.search("e000042", 10);
    assert_eq!(ids(&hits)[0], "u000042");
    assert_eq!(hits[0].field, Field::EmployeeId);
    let exact = hits[0].score;

    let hits = idx.search("E00004", 10);
    assert_eq!(ids(&hits), ["u000043", "u000042"]);
    assert_eq!(hits[0].field, Field::EmployeeId);
    assert!(hits[0].score < exact);

    let hits = idx.search("u000043", 10);
    assert_eq!((ids(&hits)[0], hits[0].field), ("u000043", Field::Id));

    let hits = idx.search("na.li", 10);
    assert_eq!((ids(&hits)[0], hits[0].field), ("u000043", Field::Email));

    let hits = idx.search("工程师", 10);
    assert_eq!((ids(&hits)[0], hits[0].field), ("u000042", Field::Title));
}

#[test]
fn pasted_emails_are_looked_up_in_order() {
    let mut a = user("a", "Anna");
    a.email = Some("anna@x.com".into());
    let mut b = user("b", "Ben");
    b.email = Some("ben@x.com".into());
    let idx = index_of(vec![a, b]);
    let hits = idx.search("BEN@x.com, anna@x.com; nobody@x.com", 10);
    assert_eq!(ids(&hits), ["b", "a"]);
    assert!(hits.iter().all(|h| h.field == Field::Email));
    assert_eq!(ids(&idx.search("ben@x.com\nanna@x.com", 1)), ["b"]);
}

#[test]
fn classify_cases() {
    assert_eq!(classify(""), QueryKind::Empty);
    assert_eq!(classify(" \n\t"), QueryKind::Empty);
    assert_eq!(
        classify(" anna@x.com "),
        QueryKind::Emails(vec!["anna@x.com".into()])
    );
    assert_eq!(
        classify("a@x.com, b@y.org;c@z.cn\nA@X.com\r\n<d@w.io>，e@v.net"),
        QueryKind::Emails(vec![
            "a@x.com".into(),
            "b@y.org".into(),
            "c@z.cn".into(),
            "d@w.io".into(),
            "e@v.net".into(),
        ])
    );
    assert_eq!(
        classify("a@x.com zhang wei"),
        QueryKind::Text("a@x.com zhang wei".into())
    );
    assert_eq!(classify(" zhang "), QueryKind::Text("zhang".into()));
    assert_eq!(classify("anna@"), QueryKind::Text("anna@".into()));
    assert_eq!(classify("@x"), QueryKind::Text("@x".into()));
    assert_eq!(classify(", ;"), QueryKind::Text(", ;".into()));
}

#[test]
fn classify_takes_mail_header_forms() {
    assert_eq!(
        classify("\"Zhang, Wei\" <wei@x.com>; 李娜 <na@x.com>, mailto:ben@x.com?subject=hi"),
        QueryKind::Emails(vec![
            "wei@x.com".into(),
            "na@x.com".into(),
            "ben@x.com".into()
        ])
    );
    assert_eq!(
        classify("Zhang Wei, na@x.com"),
        QueryKind::Text("Zhang Wei, na@x.com".into())
    );
}
