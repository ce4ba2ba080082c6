//! Who may enter which part of Portico. Every route belongs to one area, and every request is
//! checked against this table before a handler runs: hiding a menu entry is never the guard.

use crate::users::Role;
use serde::Serialize;

/// The three distinct areas of the product, plus what every logged-in person shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Area {
    /// `/admin`: user management, settings, everything.
    Admin,
    /// `/staff`: the staff panel.
    Staff,
    /// `/portal`: the client portal.
    Portal,
    /// Pages every logged-in person has, such as their own account.
    Account,
}

impl Area {
    /// Whether a person with `role` may enter this area. Each role has exactly one home
    /// area and cannot reach the others.
    pub fn admits(self, role: Role) -> bool {
        match self {
            Area::Account => true,
            area => area == role.home_area(),
        }
    }

    /// Where the area starts.
    pub fn path(self) -> &'static str {
        match self {
            Area::Admin => "/admin",
            Area::Staff => "/staff",
            Area::Portal => "/portal",
            Area::Account => "/account",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_enters_only_its_own_area() {
        for role in [Role::Admin, Role::Staff, Role::Client] {
            for area in [Area::Admin, Area::Staff, Area::Portal] {
                assert_eq!(area.admits(role), area == role.home_area(), "{role:?} in {area:?}");
            }
            assert!(Area::Account.admits(role));
        }
    }

    #[test]
    fn home_areas_are_distinct() {
        assert_eq!(Role::Admin.home_area(), Area::Admin);
        assert_eq!(Role::Staff.home_area(), Area::Staff);
        assert_eq!(Role::Client.home_area(), Area::Portal);
    }
}
