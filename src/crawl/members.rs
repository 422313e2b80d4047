//! Members as a crawl holds and hands them on. A crawl that keeps what it finds (`crawl_with`,
//! for the CLI) holds full records; one that streams (`crawl_events`, the browser's index)
//! has already handed each record on as its page came, so it holds only where each person
//! goes (`Placement`) and hands on member ids. At 100,000 people a `User` per person is
//! about 32 MB, and placing them a second 32 MB: a placement is 48 bytes.

use crate::directory::Placed;
use crate::model::User;

/// One department's members, as handed on in a `Found`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Members {
    /// Full listing records (per-department listings, or a crawl that keeps).
    Records(Vec<User>),
    /// Ids of people whose records went on earlier, as `Event::People` (a streaming crawl
    /// with the bulk user listing).
    Ids(Vec<String>),
}

/// What a streaming crawl keeps of a person from the bulk listing: who, and in which
/// departments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub id: String,
    pub dept_ids: Vec<String>,
}

impl Placement {
    pub fn of(u: &User) -> Placement {
        Placement {
            id: u.id.clone(),
            dept_ids: u.dept_ids.clone(),
        }
    }
}

impl Placed for Placement {
    fn id(&self) -> &str {
        &self.id
    }
    fn dept_ids(&self) -> &[String] {
        &self.dept_ids
    }
}

/// The bulk user listing, complete: the records (a crawl that keeps) or the placements.
pub enum Everyone {
    Records(Vec<User>),
    Placements(Vec<Placement>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placement_keeps_who_and_where_only() {
        let u = User {
            id: "u1".into(),
            name: Some("张伟".into()),
            dept_ids: vec!["d1".into(), "d2".into()],
            ..User::default()
        };
        let p = Placement::of(&u);
        assert_eq!(p.id(), "u1");
        assert_eq!(p.dept_ids(), ["d1", "d2"]);
    }
}
