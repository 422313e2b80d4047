use proptest::prelude::*;

use super::*;

fn addrs(text: &str) -> Vec<String> {
    parse(text).addresses
}

#[test]
fn header_forms() {
    assert_eq!(
        addrs("\"张伟\" <wei.zhang@acme.example>; 李娜 <na.li@acme.example>"),
        ["wei.zhang@acme.example", "na.li@acme.example"]
    );
    let p = parse("\"Zhang, Wei\" <wei@x.example>, Li Na <na@x.example>");
    assert_eq!(p.addresses, ["wei@x.example", "na@x.example"]);
    assert!(p.rejected.is_empty(), "{p:?}");
    assert_eq!(addrs("<a@x.example>"), ["a@x.example"]);
    assert_eq!(
        addrs("a@x.example Foo Bar <b@x.example>\nc@x.example"),
        ["a@x.example", "b@x.example", "c@x.example"]
    );
    // Outlook's unquoted `Last, First <addr>`, separated by `;`.
    let p = parse("Zhang, Wei <wei@x.example>; Li, Na <na@x.example>");
    assert_eq!(p.addresses, ["wei@x.example", "na@x.example"]);
    assert!(p.rejected.is_empty(), "{p:?}");
    let p = parse("Zhang Wei, a@x.example, Li Na <b@x.example>");
    assert_eq!(p.addresses, ["a@x.example", "b@x.example"]);
    assert_eq!(p.rejected, ["Zhang", "Wei"]);
    assert_eq!(
        addrs("\"wei@x.example\" <wei@x.example>"),
        ["wei@x.example"]
    );
}

#[test]
fn mailto_urls() {
    assert_eq!(addrs("mailto:a@x.example"), ["a@x.example"]);
    assert_eq!(
        addrs("MAILTO:a@x.example?subject=Hi%20there&cc=z@x.example"),
        ["a@x.example"]
    );
    assert_eq!(
        addrs("mailto:a@x.example,b%40x.example <mailto:c@x.example>"),
        ["a@x.example", "b@x.example", "c@x.example"]
    );
    let p = parse("mailto:?subject=x");
    assert!(p.addresses.is_empty());
    assert_eq!(p.rejected, ["mailto:?subject=x"]);
}

#[test]
fn separators_and_duplicates() {
    assert_eq!(
        addrs("a@x.com, b@y.org;c@z.cn\nA@X.com\r\n<d@w.io>，e@v.net；f@u.org、B@Y.ORG"),
        [
            "a@x.com", "b@y.org", "c@z.cn", "d@w.io", "e@v.net", "f@u.org"
        ]
    );
}

#[test]
fn bad_tokens_are_named_once_each() {
    let p = parse("foo a@x.example, foo; @x anna@ <nope> a@@x a@x..y");
    assert_eq!(p.addresses, ["a@x.example"]);
    assert_eq!(
        p.rejected,
        ["foo", "@x", "anna@", "<nope>", "a@@x", "a@x..y"]
    );
    // Names with no address after them are tokens like any other.
    assert_eq!(parse("Zhang Wei, a@x.example").rejected, ["Zhang", "Wei"]);
    assert_eq!(parse("").rejected, Vec::<String>::new());
    assert_eq!(parse(" , ;\n").rejected, Vec::<String>::new());
}

#[test]
fn unsafe_or_long_text_is_no_address() {
    assert!(!looks_like_email("a\u{1b}[31m@x.example"));
    assert!(!looks_like_email("a@x.exa\u{202e}mple"));
    assert!(!looks_like_email(&format!("{}@x.example", "a".repeat(250))));
    assert!(looks_like_email("wei.zhang+tag@acme.example"));
    assert!(looks_like_email("李娜@例子.中国"));
}

proptest! {
    #[test]
    fn never_panics_and_gives_distinct_valid_addresses(text in "\\PC*|[a-z@<>\", ;:.\"\\\\%?mailto]{0,80}") {
        let p = parse(&text);
        let mut seen = std::collections::HashSet::new();
        for a in &p.addresses {
            prop_assert!(looks_like_email(a), "{a:?}");
            prop_assert!(seen.insert(a.to_lowercase()), "duplicate {a:?}");
        }
    }

    #[test]
    fn listed_addresses_come_back_in_order(
        list in proptest::collection::vec("[a-z]{1,8}@[a-z]{1,8}\\.example", 1..10),
        sep in prop::sample::select(vec![", ", ";", "\n", " ", "，"]),
    ) {
        let text = list.join(sep);
        let mut want: Vec<String> = Vec::new();
        for a in &list {
            if !want.iter().any(|w| w.eq_ignore_ascii_case(a)) {
                want.push(a.clone());
            }
        }
        let p = parse(&text);
        prop_assert_eq!(p.addresses, want);
        prop_assert!(p.rejected.is_empty());
    }
}
