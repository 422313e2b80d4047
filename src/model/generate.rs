//! Deterministic org generator: the bundled demo org and the large orgs for benchmarks
//! (`orgtui fake-org`). The same seed always gives the same org.

use crate::model::UserStatus;
use crate::model::{OrgDept, OrgFile, OrgUser};

/// Surnames with their pinyin, most common first.
const SURNAMES: &[(&str, &str)] = &[
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("高", "gao"),
    ("林", "lin"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("许", "xu"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
];

const GIVEN: &[(&str, &str)] = &[
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀英", "xiuying"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("桂英", "guiying"),
    ("子涵", "zihan"),
    ("浩然", "haoran"),
    ("欣怡", "xinyi"),
    ("梓轩", "zixuan"),
    ("思远", "siyuan"),
    ("雨桐", "yutong"),
    ("建国", "jianguo"),
    ("晓东", "xiaodong"),
    ("志强", "zhiqiang"),
    ("海燕", "haiyan"),
    ("文博", "wenbo"),
    ("一鸣", "yiming"),
    ("佳怡", "jiayi"),
    ("俊杰", "junjie"),
];

const LATIN_FIRST: &[&str] = &[
    "Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Henry", "Isabel", "Jack", "Kevin",
    "Laura", "Michael", "Nina", "Oliver", "Priya", "Ravi", "Sophie", "Tom", "Yuki",
];
const LATIN_LAST: &[&str] = &[
    "Smith", "Müller", "Garcia", "Tanaka", "Kim", "Nguyen", "Johnson", "Rossi", "Dubois", "Silva",
    "Patel", "Brown", "O'Neil", "Schmidt", "Wilson", "Lopez",
];

const TITLES: &[&str] = &[
    "软件工程师",
    "高级软件工程师",
    "资深工程师",
    "产品经理",
    "高级产品经理",
    "设计师",
    "测试工程师",
    "运维工程师",
    "数据分析师",
    "销售经理",
    "客户经理",
    "财务专员",
    "HRBP",
    "法务顾问",
    "Software Engineer",
    "Senior Engineer",
    "Product Manager",
    "Account Executive",
    "Customer Success Manager",
    "Designer",
];
const LEADER_TITLES: &[&str] = &["总监", "经理", "Head", "Director", "负责人"];

const CITIES: &[&str] = &[
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "成都",
    "武汉",
    "西安",
    "南京",
    "苏州",
    "天津",
    "重庆",
    "长沙",
    "郑州",
    "青岛",
    "厦门",
    "合肥",
    "济南",
    "沈阳",
    "大连",
    "福州",
    "昆明",
    "南宁",
    "贵阳",
    "太原",
    "石家庄",
    "哈尔滨",
    "长春",
    "南昌",
    "兰州",
];

/// Top-level divisions, then the pool for deeper departments.
const DIVISIONS: &[&str] = &[
    "研发中心",
    "产品部",
    "销售部",
    "市场部",
    "客户成功部",
    "财务部",
    "人力资源部",
    "法务部",
    "International",
];
const TEAMS: &[&str] = &[
    "后端组",
    "前端组",
    "移动端组",
    "测试组",
    "运维组",
    "数据平台组",
    "算法组",
    "安全组",
    "搜索组",
    "推荐组",
    "支付组",
    "增长组",
    "Platform",
    "Growth",
    "Payments",
    "Identity",
    "华东大区",
    "华北大区",
    "华南大区",
    "渠道组",
    "品牌组",
    "招聘组",
    "薪酬组",
    "Billing",
    "Design",
    "QA",
    "Infra",
    "Mobile",
    "AI Lab",
    "Cloud",
];

/// The chain that makes the demo 7 levels deep (root + 6).
const DEEP_CHAIN: &[&str] = &[
    "基础架构部",
    "存储平台",
    "对象存储",
    "元数据组",
    "一致性小组",
];

#[derive(Debug, Clone)]
pub struct GenSpec {
    pub users: usize,
    pub depts: usize,
    pub seed: u64,
    pub company: String,
    pub email_domain: String,
}

impl GenSpec {
    pub fn new(users: usize, depts: usize, seed: u64) -> GenSpec {
        GenSpec {
            users,
            depts,
            seed,
            company: "Acme 集团".into(),
            email_domain: "acme.example".into(),
        }
    }
}

/// The bundled demo org: 1,600 people in 130 departments.
pub fn demo() -> OrgFile {
    generate(&GenSpec::new(1600, 130, 2026))
}

struct Builder {
    rng: fastrand::Rng,
    depts: Vec<OrgDept>,
    depth: Vec<usize>,
}

impl Builder {
    fn add_dept(&mut self, name: String, parent: usize) -> usize {
        let id = format!("d{:05}", self.depts.len());
        let order = self.depts.len() as i64;
        let parent_id = self.depts.get(parent).map(|p| p.id.clone());
        let depth = self.depth.get(parent).map_or(0, |d| d.saturating_add(1));
        self.depts.push(OrgDept {
            id,
            name: Some(name),
            parent_id,
            order: Some(order),
            leader_ids: Vec::new(),
        });
        self.depth.push(depth);
        self.depts.len().saturating_sub(1)
    }
}

/// A random item of a non-empty list (the same draw as `rng.usize(0..len)` and indexing).
fn pick<T: Copy + Default>(rng: &mut fastrand::Rng, items: &[T]) -> T {
    rng.choice(items.iter().copied()).unwrap_or_default()
}

/// Generate an org: a tree at most 7 levels deep with a wide department (over 50 children)
/// and a big one (over 50 members) when the sizes allow, leaders, people in two departments,
/// and a few disabled, inactive and departed accounts.
pub fn generate(spec: &GenSpec) -> OrgFile {
    let mut b = Builder {
        rng: fastrand::Rng::with_seed(spec.seed),
        depts: Vec::with_capacity(spec.depts.max(1)),
        depth: Vec::with_capacity(spec.depts.max(1)),
    };
    let root = b.add_dept(spec.company.clone(), usize::MAX);
    if let Some(d) = b.depts.get_mut(root) {
        d.parent_id = None;
    }
    let want = spec.depts.max(1);

    let divisions: Vec<usize> = DIVISIONS
        .iter()
        .take(want.saturating_sub(1))
        .map(|n| b.add_dept((*n).to_string(), root))
        .collect();
    // The deep chain under the first division.
    if let Some(&rd) = divisions.first() {
        let mut parent = rd;
        for name in DEEP_CHAIN {
            if b.depts.len() >= want {
                break;
            }
            parent = b.add_dept((*name).to_string(), parent);
        }
    }
    // The wide department: a regional network with one office per city and kind.
    let mut wide = None;
    if want >= 120 {
        let regions = b.add_dept("区域分公司".into(), root);
        wide = Some(regions);
        'outer: for suffix in ["分公司", "办事处"] {
            for city in CITIES {
                if b.depts.len() >= want {
                    break 'outer;
                }
                b.add_dept(format!("{city}{suffix}"), regions);
            }
        }
    }
    // The rest: random parents, never below depth 6, never the wide one.
    while b.depts.len() < want {
        let n = b.depts.len();
        let parent = b.rng.usize(0..n);
        let depth = b.depth.get(parent).copied().unwrap_or_default();
        if depth >= 6 || Some(parent) == wide {
            continue;
        }
        let base = pick(&mut b.rng, TEAMS);
        let name = if depth >= 2 {
            format!("{base} {}", n % 97)
        } else {
            base.to_string()
        };
        b.add_dept(name, parent);
    }

    let users = make_users(&mut b, spec, divisions.get(4).copied());
    OrgFile {
        depts: b.depts,
        users,
        ..OrgFile::default()
    }
}

fn make_users(b: &mut Builder, spec: &GenSpec, big: Option<usize>) -> Vec<OrgUser> {
    let n_depts = b.depts.len();
    let mut users: Vec<OrgUser> = Vec::with_capacity(spec.users);
    let mut primary: Vec<usize> = Vec::with_capacity(spec.users);
    for i in 0..spec.users {
        // Everyone's first department: one leader per department first, then a big
        // department gets 80, then random.
        let dept = if i < n_depts {
            i
        } else if let Some(big) = big.filter(|_| i < n_depts.saturating_add(80)) {
            big
        } else {
            b.rng.usize(0..n_depts)
        };
        primary.push(dept);
        let dept_id = b.depts.get(dept).map_or("", |d| d.id.as_str());
        let user = make_user(&mut b.rng, spec, i, dept_id);
        if i < n_depts
            && let Some(d) = b.depts.get_mut(dept)
        {
            d.leader_ids.push(user.id.clone());
        }
        users.push(user);
    }
    let index: std::collections::HashMap<String, usize> = b
        .depts
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.clone(), i))
        .collect();
    // Leaders: a person reports to their department's leader, a leader to the parent's.
    let first_leader = |d: usize| b.depts.get(d).and_then(|d| d.leader_ids.first().cloned());
    for (i, (u, &d)) in users.iter_mut().zip(&primary).enumerate() {
        let own_leader = first_leader(d);
        u.leader_id = if own_leader.as_deref() == Some(u.id.as_str()) {
            let parent = b.depts.get(d).and_then(|d| d.parent_id.as_ref());
            parent
                .and_then(|p| index.get(p))
                .and_then(|&p| first_leader(p))
        } else {
            own_leader
        };
        if i < n_depts {
            let t = pick(&mut b.rng, LEADER_TITLES);
            u.title = Some(t.to_string());
        }
        // About one in thirty sits in a second department too.
        if i >= n_depts && b.rng.usize(0..30) == 0 {
            let other = b
                .rng
                .choice(&b.depts)
                .map(|d| d.id.clone())
                .unwrap_or_default();
            if !u.dept_ids.contains(&other) {
                u.dept_ids.push(other);
            }
        }
    }
    users
}

fn make_user(rng: &mut fastrand::Rng, spec: &GenSpec, i: usize, dept_id: &str) -> OrgUser {
    let (name, handle) = if rng.usize(0..5) == 0 {
        let first = pick(rng, LATIN_FIRST);
        let last = pick(rng, LATIN_LAST);
        let handle = format!("{}.{}", first, last)
            .to_lowercase()
            .replace(['\'', 'ü'], "");
        (format!("{first} {last}"), handle)
    } else {
        let (s, sp) = pick(rng, SURNAMES);
        let (g, gp) = pick(rng, GIVEN);
        (format!("{s}{g}"), format!("{gp}.{sp}"))
    };
    let status = match rng.usize(0..100) {
        0..=2 => UserStatus::Disabled,
        3..=4 => UserStatus::Dimission,
        5..=6 => UserStatus::Notactive,
        _ => UserStatus::Active,
    };
    let city = pick(rng, CITIES);
    let n = i.saturating_add(1);
    OrgUser {
        id: format!("u{n:06}"),
        name: Some(name),
        email: Some(format!("{handle}{n}@{}", spec.email_domain)),
        mobile: Some(format!("+86 13{:09}", rng.u64(0..1_000_000_000))),
        title: Some(pick(rng, TITLES).to_string()),
        employee_id: Some(format!("E{n:06}")),
        status: Some(status),
        leader_id: None,
        dept_ids: vec![dept_id.to_string()],
        city: Some(city.to_string()),
        work_place: Some(format!("{city} {}号楼 {}F", rng.u8(1..9), rng.u8(1..30))),
        depts: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Org;

    #[test]
    fn demo_has_the_promised_shape() {
        let file = demo();
        assert!(file.users.len() >= 1500);
        assert!(file.depts.len() >= 120);
        let org = Org::new(file.clone()).expect("demo org is consistent");
        let max_depth = file
            .depts
            .iter()
            .filter_map(|d| org.path(&d.id))
            .map(|p| p.split('/').count())
            .max();
        assert_eq!(max_depth, Some(7));
        assert!(file.depts.iter().any(|d| org.children(&d.id).len() > 50));
        assert!(file.depts.iter().any(|d| org.members(&d.id).len() > 50));
        assert!(file.users.iter().any(|u| u.dept_ids.len() == 2));
        assert!(
            file.users
                .iter()
                .any(|u| u.status == Some(UserStatus::Disabled))
        );
        assert!(
            file.users
                .iter()
                .any(|u| u.name.as_deref().is_some_and(|n| n.is_ascii()))
        );
        assert!(file.users.iter().any(|u| u.name.as_deref() == Some("张伟")));
        assert!(file.depts.iter().all(|d| !d.leader_ids.is_empty()));
    }

    #[test]
    fn bundled_demo_matches_generator() {
        let bundled: OrgFile = serde_json::from_str(crate::fake::DEMO_ORG_JSON).unwrap();
        assert_eq!(
            bundled,
            demo(),
            "regenerate assets/demo-org.json: orgtui fake-org --demo"
        );
    }

    #[test]
    fn same_seed_same_org() {
        let a = generate(&GenSpec::new(300, 40, 7));
        assert_eq!(a, generate(&GenSpec::new(300, 40, 7)));
        assert_eq!(a.depts.len(), 40);
        assert_eq!(a.users.len(), 300);
        Org::new(a).unwrap();
    }
}
