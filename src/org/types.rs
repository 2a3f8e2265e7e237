//! Organisation values shared by the browser and the server.
use serde::{Deserialize, Serialize};

/// A union as offered in a choice: the name a driver recognises and where it sits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgOption {
    pub id: i64,
    pub name: String,
    /// The parent union's name, to tell similar names apart.
    pub parent: Option<String>,
}

/// The kinds of union in the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrgKind {
    City,
    County,
    Industry,
    Street,
    Community,
    Enterprise,
    Platform,
    Group,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::City => "city",
            OrgKind::County => "county",
            OrgKind::Industry => "industry",
            OrgKind::Street => "street",
            OrgKind::Community => "community",
            OrgKind::Enterprise => "enterprise",
            OrgKind::Platform => "platform",
            OrgKind::Group => "group",
        }
    }

    pub fn parse(s: &str) -> Option<OrgKind> {
        use OrgKind::*;
        [City, County, Industry, Street, Community, Enterprise, Platform, Group].into_iter().find(|k| k.as_str() == s)
    }

    /// Federations run turnover pools; they are not anyone's workplace.
    pub fn is_federation(self) -> bool {
        matches!(self, OrgKind::City | OrgKind::County)
    }
}

/// A union of an admin's subtree, for filters and forms: indented by its distance from the top.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgChoice {
    pub id: i64,
    pub name: String,
    pub depth: i64,
}
