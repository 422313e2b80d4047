//! `orgtui search QUERY`: the browser's search (`crate::search`) over the profile's snapshot,
//! `--org-file` or the demo org, from the shell. Nothing goes to a server.

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::output::{self, UserJson};
use super::{Cli, SearchSource};
use crate::dept_path;
use crate::error::{Error, Result, exit};
use crate::model::{Dept, DeptRef, User};
use crate::search::{
    Hit, Kind, Prefilter, QueryKind, SearchIndex, Searcher, classify, split_filters,
};
use crate::snapshot::{LoadError, SearchRecord, SearchRecords, Snapshot};
use crate::text::sanitize;

pub fn run(cli: &Cli, query: &str, limit: usize, json: bool) -> Result<i32> {
    if matches!(classify(query), QueryKind::Empty) {
        return Err(Error::Usage("search: the query is empty".into()));
    }
    if let (_, Err(e)) = split_filters(query) {
        return Err(Error::Usage(format!("search: {e}")));
    }
    if limit == 0 {
        return Err(Error::Usage("search: --limit must be at least 1".into()));
    }
    let started = Instant::now();
    let source = super::search_source(cli)?;
    let data = match &source {
        SearchSource::Bytes(bytes) => {
            Data::Bytes(Box::new(bytes.search_records().map_err(damaged)?))
        }
        SearchSource::Owned(snap) => Data::Owned(snap),
    };
    let (depts, users) = data.records();
    let loaded = started.elapsed();

    let (index, indexed) = build_index(&data, &depts, &users, query);
    let index_built = started.elapsed();

    let hits = Searcher::new().search(&index, query, limit);
    let searched = started.elapsed();
    report_timings(
        loaded,
        index_built.saturating_sub(loaded),
        searched.saturating_sub(index_built),
        index.len(),
    );

    if hits.is_empty() {
        eprintln!("orgtui: no match for {:?}", sanitize(query));
        return Ok(exit::NOT_FOUND);
    }
    let shown = resolve(&data, &depts, &users, &indexed, &hits)?;
    let text = if json {
        let rows: Vec<HitJson> = hits
            .iter()
            .zip(&shown)
            .filter_map(|(h, s)| match s {
                Shown::User(u, _) => Some(HitJson {
                    kind: "user",
                    score: h.score,
                    user: Some(UserJson::from(u)),
                    dept: None,
                }),
                Shown::Dept(d) => Some(HitJson {
                    kind: "dept",
                    score: h.score,
                    user: None,
                    dept: Some(DeptHitJson {
                        id: &d.id,
                        name: d.name.as_deref(),
                        email: None,
                        parent_id: d.parent_id.as_deref(),
                        path: d.path.as_deref(),
                    }),
                }),
                Shown::Gone => None,
            })
            .collect();
        output::to_json(&rows)?
    } else {
        let mut out = String::new();
        for s in &shown {
            match s {
                Shown::User(u, path) => {
                    out.push_str(&output::user_line(u));
                    if let Some(t) = u.title.as_deref() {
                        out.push_str(&format!(" · {}", sanitize(t)));
                    }
                    if let Some(p) = path {
                        out.push_str(&format!("  ({})", sanitize(&dept_path::tail(p, 2))));
                    }
                }
                Shown::Dept(d) => {
                    let shown = d.path.as_deref().or(d.name.as_deref());
                    out.push_str(&format!("▸ {} [{}]", output::field(shown), sanitize(&d.id)));
                }
                Shown::Gone => continue,
            }
            out.push('\n');
        }
        out
    };
    output::emit(&text)?;
    // The process exits next; freeing a large snapshot piece by piece would only delay it.
    std::mem::forget((index, indexed, depts, users));
    std::mem::forget(data);
    std::mem::forget(source);
    Ok(exit::OK)
}

fn damaged(e: LoadError) -> Error {
    Error::Usage(format!("{e}; run orgtui online again (or `orgtui export`)"))
}

/// Where the records come from: a snapshot file read in place, or one in memory.
enum Data<'a> {
    Bytes(Box<SearchRecords<'a>>),
    Owned(&'a Snapshot),
}

impl<'a> Data<'a> {
    /// Departments and people, in snapshot order.
    fn records(&self) -> (Cow<'_, [SearchRecord<'_>]>, Cow<'_, [SearchRecord<'_>]>) {
        match self {
            Data::Bytes(r) => (Cow::Borrowed(&r.depts), Cow::Borrowed(&r.users)),
            Data::Owned(s) => (
                s.depts
                    .iter()
                    .map(|d| SearchRecord::of_dept(&d.dept))
                    .collect(),
                s.users
                    .iter()
                    .map(|u| SearchRecord::of_user(&u.user))
                    .collect(),
            ),
        }
    }

    fn user(&self, i: usize) -> Result<Option<User>> {
        Ok(match self {
            Data::Bytes(r) => Some(r.user(i).map_err(damaged)?.user),
            Data::Owned(s) => s.users.get(i).map(|u| u.user.clone()),
        })
    }

    fn dept(&self, i: usize) -> Result<Option<Dept>> {
        Ok(match self {
            Data::Bytes(r) => Some(r.dept(i).map_err(damaged)?.dept),
            Data::Owned(s) => s.depts.get(i).map(|d| d.dept.clone()),
        })
    }
}

/// A hit's record, owned.
enum Shown {
    /// With the path of the first department.
    User(User, Option<String>),
    Dept(Dept),
    /// Not in the snapshot (cannot happen: the index was built from it).
    Gone,
}

/// The whole records of the hits, found among the indexed candidates.
fn resolve(
    data: &Data<'_>,
    depts: &[SearchRecord<'_>],
    users: &[SearchRecord<'_>],
    indexed: &[(Kind, usize)],
    hits: &[Hit],
) -> Result<Vec<Shown>> {
    let mut wanted: HashMap<(Kind, &str), usize> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| ((h.kind, h.id.as_str()), i))
        .collect();
    let mut out: Vec<Shown> = hits.iter().map(|_| Shown::Gone).collect();
    for &(kind, at) in indexed {
        if wanted.is_empty() {
            break;
        }
        let record = match kind {
            Kind::Dept => depts.get(at),
            Kind::User => users.get(at),
        };
        let Some(i) = record.and_then(|r| wanted.remove(&(kind, r.id))) else {
            continue;
        };
        let shown = match kind {
            Kind::Dept => data.dept(at)?.map_or(Shown::Gone, Shown::Dept),
            Kind::User => match data.user(at)? {
                Some(mut u) => {
                    with_dept_paths(&mut u, data, depts);
                    let path = u
                        .depts
                        .first()
                        .and_then(|d| d.path.clone().or(d.name.clone()));
                    Shown::User(u, path)
                }
                None => Shown::Gone,
            },
        };
        if let Some(slot) = out.get_mut(i) {
            *slot = shown;
        }
    }
    Ok(out)
}

/// The index the browser's search would have over this snapshot, less the candidates that
/// cannot match `query` (see `search::Prefilter`): every department, then every person, as the
/// browser inserts them. Leaving out non-matches changes no result, as scores do not depend
/// on other candidates and the tie-break (insertion order) keeps the same relative order.
/// With filters (`in:`, `is:`) every department goes in with its path and people with their
/// status and departments, read from their whole records.
/// Also returns which records went in, in order.
fn build_index(
    data: &Data<'_>,
    depts: &[SearchRecord<'_>],
    users: &[SearchRecord<'_>],
    query: &str,
) -> (SearchIndex, Vec<(Kind, usize)>) {
    let filtered = matches!(split_filters(query), (_, Ok(f)) if !f.is_empty());
    let mut filter = Prefilter::new(query);
    let mut index = SearchIndex::new();
    let mut indexed = Vec::new();
    for (at, d) in depts.iter().enumerate() {
        if filtered {
            let mut c = d.candidate(Kind::Dept);
            c.path = data.dept(at).ok().flatten().and_then(|d| d.path);
            index.insert(c);
            indexed.push((Kind::Dept, at));
        } else if filter.as_mut().is_none_or(|f| f.keep(&d.fields())) {
            index.insert(d.candidate(Kind::Dept));
            indexed.push((Kind::Dept, at));
        }
    }
    for (at, u) in users.iter().enumerate() {
        if filter.as_mut().is_none_or(|f| f.keep(&u.fields())) {
            let mut c = u.candidate(Kind::User);
            if filtered && let Ok(Some(full)) = data.user(at) {
                c.status = full.status;
                c.dept_ids = full.dept_ids;
            }
            index.insert(c);
            indexed.push((Kind::User, at));
        }
    }
    (index, indexed)
}

/// Fill in `u.depts` (name and path of each department) from the snapshot's departments
/// where the record has only the ids, so that every row can say where the person sits.
fn with_dept_paths(u: &mut User, data: &Data<'_>, depts: &[SearchRecord<'_>]) {
    if !u.depts.is_empty() || u.dept_ids.is_empty() {
        return;
    }
    let wanted: HashMap<&str, usize> = u
        .dept_ids
        .iter()
        .take(64)
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    let mut found: Vec<Option<DeptRef>> = vec![None; wanted.len()];
    for (at, d) in depts.iter().enumerate() {
        let Some(&i) = wanted.get(d.id) else { continue };
        if let Ok(Some(d)) = data.dept(at)
            && let Some(slot) = found.get_mut(i)
        {
            *slot = Some(DeptRef {
                id: d.id,
                name: d.name,
                path: d.path,
            });
        }
    }
    u.depts = found.into_iter().flatten().collect();
}

#[derive(Serialize)]
struct HitJson<'a> {
    kind: &'static str,
    score: u32,
    #[serde(flatten)]
    user: Option<UserJson<'a>>,
    #[serde(flatten)]
    dept: Option<DeptHitJson<'a>>,
}

#[derive(Serialize)]
struct DeptHitJson<'a> {
    id: &'a str,
    name: Option<&'a str>,
    /// Always null: the key is there so every row has the same core keys.
    email: Option<&'a str>,
    parent_id: Option<&'a str>,
    path: Option<&'a str>,
}

/// Where the time went.
fn report_timings(load: Duration, index: Duration, search: Duration, candidates: usize) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    super::timing(&format!(
        "search: load {:.1} ms, index {:.1} ms ({candidates} candidates), search {:.1} ms",
        ms(load),
        ms(index),
        ms(search)
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefilter must never change a result: compare with the full index.
    #[test]
    fn prefilter_changes_no_result() {
        let mut file = crate::model::generate::demo();
        // Accents, mixed scripts, a reading with ü, an odd surname reading.
        let extra = [
            ("x1", "Müller Zoë"),
            ("x2", "吕布"),
            ("x3", "曾明 Anna"),
            ("x4", "ＡＢＣ全角"),
            ("x5", "Ünal Şahin"),
        ];
        for (id, name) in extra {
            file.users.push(crate::model::OrgUser {
                id: id.into(),
                name: Some(name.into()),
                email: Some(format!("{id}@ex.example")),
                dept_ids: vec!["d00000".into()],
                ..Default::default()
            });
        }
        let owned = Snapshot::from_org_file(&file, "t");
        let data = Data::Owned(&owned);
        let (depts, users) = data.records();
        let mut full = SearchIndex::new();
        for d in depts.iter() {
            full.insert(d.candidate(Kind::Dept));
        }
        for u in users.iter() {
            full.insert(u.candidate(Kind::User));
        }
        let queries = [
            "zhangwei",
            "zhang wei",
            "zw",
            "张伟",
            "wei",
            "acme",
            "ACME.example",
            "e",
            "研发",
            "muller",
            "MÜ",
            "zoe",
            "lv",
            "lubu",
            "zeng",
            "cengming",
            "abc",
            "ａｂｃ",
            "unal",
            "sahin",
            "u000192",
            "E000192",
            "engineer",
            "x1@ex.example",
            "@ex",
            "d0000",
            "wei.zhang192@acme.example x2@ex.example",
            "总监",
            "q",
            "zzzzqqq",
            "  li  ",
            "wei zhang",
            "smith anna",
            "zhang   w",
            "zhang x2",
        ];
        for q in queries {
            let expected = Searcher::new().search(&full, q, 50);
            let got = Searcher::new().search(&build_index(&data, &depts, &users, q).0, q, 50);
            assert_eq!(got, expected, "query {q:?}");
        }
    }

    #[test]
    fn prefilter_leaves_out_what_cannot_match() {
        let mut f = Prefilter::new("zhang wei").unwrap();
        let user = |name: &str, email: &str| User {
            id: "u1".into(),
            name: Some(name.into()),
            email: Some(email.into()),
            ..User::default()
        };
        let mut keep = |u: User| f.keep(&SearchRecord::of_user(&u).fields());
        assert!(keep(user("张伟", "x@y")));
        assert!(!keep(user("李娜", "na.li@acme.example")));
        assert!(keep(user("Wei Zhang", "x@y")));
    }
}
