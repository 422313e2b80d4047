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

impl Members {
    pub fn len(&self) -> usize {
        match self {
            Members::Records(v) => v.len(),
            Members::Ids(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The members' ids, in listing order.
    pub fn ids(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        match self {
            Members::Records(v) => Box::new(v.iter().map(|u| u.id.as_str())),
            Members::Ids(v) => Box::new(v.iter().map(String::as_str)),
        }
    }
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
    fn ids_come_in_listing_order_either_way() {
        let users: Vec<User> = ["b", "a"]
            .map(|id| User {
                id: id.into(),
                ..User::default()
            })
            .into();
        let records = Members::Records(users.clone());
        let ids = Members::Ids(users.iter().map(|u| u.id.clone()).collect());
        assert_eq!(records.ids().collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(ids.ids().collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(records.len(), 2);
        assert!(Members::Ids(Vec::new()).is_empty());
    }

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
