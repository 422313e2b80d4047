//! `orgtui export`: the whole org (or a subtree) in the org file format, or its users as CSV.
//! Everything is fetched first and written in one go, so a failure never leaves half a file.
//!
//! An app limited to its contact range exports what it may read: the granted departments
//! are tops (`parent_id` null, the stand-in root left out), listed in `roots` when there is
//! more than one or when people are granted directly; those people are in `users`, with the
//! department ids the server gave (outside the file).

use std::sync::Arc;

use super::output;
use super::tree::crawl_with_people;
use crate::directory::Directory;
use crate::error::{Error, Result, exit};
use crate::model::RANGE_ROOT_ID;
use crate::model::{OrgDept, OrgFile, OrgUser};
use crate::text::sanitize;

pub async fn run(dir: Arc<dyn Directory>, format: &str, dept: Option<&str>) -> Result<i32> {
    let (found, people) = crawl_with_people(dir, dept, None).await?;
    let depts: Vec<OrgDept> = found
        .walk()
        .into_iter()
        .filter(|(_, d)| d.id != RANGE_ROOT_ID)
        .map(|(depth, d)| OrgDept {
            id: d.id.clone(),
            name: d.name.clone(),
            // The start of a subtree export becomes the root, so the file stands on its own;
            // so do a contact range's granted departments.
            parent_id: if depth == 0 {
                None
            } else {
                d.parent_id.clone().filter(|p| p != RANGE_ROOT_ID)
            },
            order: d.order,
            leader_ids: d.leader_ids.clone(),
        })
        .collect();
    let users: Vec<OrgUser> = found
        .unique_users()
        .into_iter()
        .map(|u| {
            let mut u = people.get(&u.id).unwrap_or(u).org_entry();
            u.dept_ids.retain(|d| d != RANGE_ROOT_ID);
            u
        })
        .collect();
    let mut roots = Vec::new();
    if found.start == RANGE_ROOT_ID {
        let tops = super::tree::range_tops(&found);
        let direct = found
            .members
            .get(RANGE_ROOT_ID)
            .is_some_and(|m| !m.is_empty());
        if tops.len() > 1 || direct {
            roots = tops.into_iter().map(str::to_string).collect();
        }
    }
    let file = OrgFile {
        roots,
        depts,
        users,
    };
    let text = match format {
        "csv" => csv(&file.users)?,
        _ => output::to_json(&file)?,
    };
    output::emit(&text)?;
    // Every department is written once; where the server's tree looped is said on stderr.
    super::tree::report_cycles(&found);
    Ok(exit::OK)
}

const CSV_HEADER: [&str; 11] = [
    "id",
    "name",
    "email",
    "mobile",
    "title",
    "employee_id",
    "status",
    "leader_id",
    "dept_ids",
    "city",
    "work_place",
];

/// RFC 4180 CSV (quoted only where needed, CRLF line ends); department ids joined with `;`.
/// Every cell is made safe by `csv_cell`.
fn csv(users: &[OrgUser]) -> Result<String> {
    let failed = |e: &dyn std::fmt::Display| Error::Io(format!("cannot write the CSV: {e}"));
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    out.write_record(CSV_HEADER).map_err(|e| failed(&e))?;
    for u in users {
        let cells = [
            Some(u.id.clone()),
            u.name.clone(),
            u.email.clone(),
            u.mobile.clone(),
            u.title.clone(),
            u.employee_id.clone(),
            u.status.map(|s| s.as_str().to_string()),
            u.leader_id.clone(),
            Some(u.dept_ids.join(";")),
            u.city.clone(),
            u.work_place.clone(),
        ];
        out.write_record(cells.iter().map(|c| csv_cell(c.as_deref().unwrap_or(""))))
            .map_err(|e| failed(&e))?;
    }
    let bytes = out.into_inner().map_err(|e| failed(&e))?;
    String::from_utf8(bytes).map_err(|e| failed(&e))
}

/// A cell's text: unsafe characters replaced as in all text output (`text::sanitize`: a
/// newline, tab or CR becomes U+FFFD, so a record stays on one line), and a value a
/// spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR, the
/// OWASP list) prefixed with `'`, which makes it text: `+86 138…` stays a phone number.
/// Quoting is left to the CSV writer.
fn csv_cell(s: &str) -> String {
    let clean = sanitize(s);
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{clean}")
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_cell(s: &str) -> String {
        let user = OrgUser {
            id: s.to_string(),
            ..OrgUser::default()
        };
        let text = csv(&[user]).unwrap();
        let row = text.split("\r\n").nth(1).unwrap().to_string();
        row.strip_suffix(",,,,,,,,,,").unwrap().to_string()
    }

    #[test]
    fn csv_quotes_as_rfc_4180_and_sanitizes() {
        assert_eq!(one_cell("a,b"), "\"a,b\"");
        assert_eq!(one_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(one_cell("x\ny"), "x\u{FFFD}y");
        assert_eq!(one_cell("x\u{2028}y"), "x\u{FFFD}y");
        assert_eq!(one_cell("张伟"), "张伟");
    }

    #[test]
    fn csv_neutralizes_formulas() {
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("+86 13800000000"), "'+86 13800000000");
        assert_eq!(csv_cell("-1+2"), "'-1+2");
        assert_eq!(csv_cell("@SUM(1)"), "'@SUM(1)");
        assert_eq!(csv_cell("\t=1"), "'\u{FFFD}=1");
        assert_eq!(csv_cell("\r=1"), "'\u{FFFD}=1");
        assert_eq!(csv_cell("a=1"), "a=1");
        assert_eq!(csv_cell(""), "");
        assert_eq!(
            one_cell("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
    }
}
