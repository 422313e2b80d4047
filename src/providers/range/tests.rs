use std::sync::atomic::AtomicUsize;

use super::*;
use crate::error::ServerReply;
use crate::model::DeptRef;

/// A provider whose app may read `readable` departments; everything else is refused
/// as outside the range. Paths are the full company paths, as WPS reports them.
#[derive(Default)]
struct Mock {
    depts: Vec<Dept>,
    readable: HashSet<String>,
    users: Vec<User>,
    range: ContactRange,
    root_calls: AtomicUsize,
    root_ok: bool,
}

fn refused(what: &str) -> Error {
    Error::OutOfRange {
        what: what.into(),
        reply: ServerReply::default(),
    }
}

fn dept(id: &str, parent: Option<&str>, path: &str) -> Dept {
    Dept {
        id: id.into(),
        name: path.rsplit('/').next().map(str::to_string),
        parent_id: parent.map(str::to_string),
        path: Some(path.into()),
        ..Dept::default()
    }
}

fn user(id: &str, dept: &str, path: &str) -> User {
    User {
        id: id.into(),
        dept_ids: vec![dept.into()],
        depts: vec![DeptRef {
            id: dept.into(),
            name: None,
            path: Some(path.into()),
        }],
        ..User::default()
    }
}

#[async_trait]
impl Directory for Mock {
    async fn root(&self) -> Result<Dept> {
        self.root_calls.fetch_add(1, Ordering::Relaxed);
        match self.root_ok {
            true => Ok(self.depts[0].clone()),
            false => Err(refused("root")),
        }
    }
    async fn dept(&self, id: &str) -> Result<Dept> {
        if !self.readable.contains(id) {
            return Err(refused(id));
        }
        let d = self.depts.iter().find(|d| d.id == id).cloned();
        d.ok_or_else(|| Error::not_found(id))
    }
    async fn children(&self, id: &str, _: Option<&str>) -> Result<Page<Dept>> {
        self.dept(id).await?;
        let items = self
            .depts
            .iter()
            .filter(|d| d.parent_id.as_deref() == Some(id))
            .cloned()
            .collect();
        Ok(Page {
            items,
            next_page: None,
            total: None,
        })
    }
    async fn members(&self, id: &str, _: Option<&str>) -> Result<Page<User>> {
        self.dept(id).await?;
        let items = self
            .users
            .iter()
            .filter(|u| u.dept_ids.iter().any(|d| d == id))
            .cloned()
            .collect();
        Ok(Page {
            items,
            next_page: None,
            total: None,
        })
    }
    async fn user(&self, id: &str) -> Result<User> {
        let u = self.users.iter().find(|u| u.id == id).cloned();
        u.ok_or_else(|| Error::not_found(id))
    }
    async fn users(&self, ids: &[String]) -> Result<Vec<User>> {
        Ok(self
            .users
            .iter()
            .filter(|u| ids.contains(&u.id))
            .cloned()
            .collect())
    }
    async fn users_by_emails(&self, _: &[String]) -> Result<Vec<EmailMatch>> {
        Ok(Vec::new())
    }
    async fn contact_range(&self) -> Result<Option<ContactRange>> {
        Ok(Some(self.range.clone()))
    }
}

/// Acme / R&D / Backend / DB (granted) / Disk, Acme / Sales (granted) / North (also
/// granted: inside Sales), a granted id that cannot be read, one person granted directly.
fn limited() -> Mock {
    let depts = vec![
        dept("r", None, "Acme"),
        dept("rd", Some("r"), "Acme/R&D"),
        dept("be", Some("rd"), "Acme/R&D/Backend"),
        dept("db", Some("be"), "Acme/R&D/Backend/DB"),
        dept("disk", Some("db"), "Acme/R&D/Backend/DB/Disk"),
        dept("sales", Some("r"), "Acme/Sales"),
        dept("north", Some("sales"), "Acme/Sales/North"),
    ];
    let readable = ["db", "disk", "sales", "north"].map(String::from).into();
    Mock {
        depts,
        readable,
        users: vec![
            user("u-disk", "disk", "Acme/R&D/Backend/DB/Disk"),
            user("solo", "rd", "Acme/R&D"),
        ],
        range: ContactRange {
            dept_ids: ["north", "db", "gone", "sales"].map(String::from).into(),
            user_ids: vec!["solo".into(), "nobody".into()],
        },
        ..Mock::default()
    }
}

#[tokio::test]
async fn a_refused_root_becomes_the_stand_in_over_the_granted_departments() {
    let dir = RangeDirectory::new(Arc::new(limited()));
    let root = dir.root().await.unwrap();
    assert_eq!(root.id, RANGE_ROOT_ID);
    assert_eq!(root.parent_id, None);
    assert_eq!(root, dir.dept(RANGE_ROOT_ID).await.unwrap());

    // North sits inside Sales: shown there, not a second time at the top.
    let tops = dir.children(RANGE_ROOT_ID, None).await.unwrap();
    let ids: Vec<&str> = tops.items.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["db", "sales"]);
    assert!(tops.next_page.is_none());
    for t in &tops.items {
        assert_eq!(t.parent_id.as_deref(), Some(RANGE_ROOT_ID));
    }
    assert_eq!(tops.items[0].path.as_deref(), Some("DB"));
    assert!(
        dir.children(RANGE_ROOT_ID, Some("x"))
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // A granted top read on its own names the stand-in too; paths start at it.
    let db = dir.dept("db").await.unwrap();
    assert_eq!(db.parent_id.as_deref(), Some(RANGE_ROOT_ID));
    let kids = dir.children("db", None).await.unwrap();
    assert_eq!(kids.items[0].path.as_deref(), Some("DB/Disk"));
    assert_eq!(kids.items[0].parent_id.as_deref(), Some("db"));
    let north = dir.dept("north").await.unwrap();
    assert_eq!(north.parent_id.as_deref(), Some("sales"));
    assert_eq!(north.path.as_deref(), Some("Sales/North"));

    // The stand-in's members: the people granted directly that can be read.
    let direct = dir.members(RANGE_ROOT_ID, None).await.unwrap();
    let ids: Vec<&str> = direct.items.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["solo"]);
    // Outside the range, paths are the server's.
    assert_eq!(direct.items[0].depts[0].path.as_deref(), Some("Acme/R&D"));
    let u = dir.user("u-disk").await.unwrap();
    assert_eq!(u.depts[0].path.as_deref(), Some("DB/Disk"));

    // Outside stays refused.
    assert!(matches!(
        dir.members("rd", None).await,
        Err(Error::OutOfRange { .. })
    ));
}

#[tokio::test]
async fn a_readable_root_passes_through_and_is_read_once() {
    let inner = Arc::new(Mock {
        root_ok: true,
        ..limited()
    });
    let dir = RangeDirectory::new(inner.clone());
    // Learning the mode reads the root; the first root() call is answered from it.
    assert_eq!(
        dir.dept("db").await.unwrap().parent_id.as_deref(),
        Some("be")
    );
    assert_eq!(dir.root().await.unwrap().id, "r");
    assert_eq!(inner.root_calls.load(Ordering::Relaxed), 1);
    assert_eq!(dir.root().await.unwrap().id, "r");
    assert_eq!(inner.root_calls.load(Ordering::Relaxed), 2);
    let u = dir.user("u-disk").await.unwrap();
    assert_eq!(u.depts[0].path.as_deref(), Some("Acme/R&D/Backend/DB/Disk"));
}

#[tokio::test]
async fn parent_loops_end_the_walk() {
    let mut m = limited();
    // db's parent chain loops through readable departments that are not granted.
    m.depts[3].parent_id = Some("loop-a".into());
    m.depts.push(dept("loop-a", Some("loop-b"), "A"));
    m.depts.push(dept("loop-b", Some("loop-a"), "B"));
    m.readable
        .extend(["loop-a".to_string(), "loop-b".to_string()]);
    let dir = RangeDirectory::new(Arc::new(m));
    let tops = dir.children(RANGE_ROOT_ID, None).await.unwrap();
    assert!(tops.items.iter().any(|d| d.id == "db"));
}

#[test]
fn cuts_keep_the_granted_name() {
    assert_eq!(cut_of("Acme/R&D/DB", Some("DB")), "Acme/R&D/".len());
    assert_eq!(cut_of("DB", Some("DB")), 0);
    assert_eq!(cut_of("Acme/X", None), "Acme/".len());
    let view = View {
        tops: Vec::new(),
        top_ids: HashSet::new(),
        users: Vec::new(),
        cuts: HashMap::from([("Acme/DB".to_string(), 5)]),
    };
    assert_eq!(view.path(Some("Acme/DB/x".into())).as_deref(), Some("DB/x"));
    assert_eq!(
        view.path(Some("Acme/DBA".into())).as_deref(),
        Some("Acme/DBA")
    );
    assert_eq!(view.path(None), None);
}
