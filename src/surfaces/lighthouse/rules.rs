//! The AuthLevel rules, as the seed states them and the original checks
//! them (`auth/permissions.go`, `parseUserUpdateRequest`), plus the owner
//! rule the original documented but forgot. Pure, so a property test can
//! throw random users and requests at them.

use std::collections::BTreeMap;

/// Resource levels: access, modify, owner.
pub const ACCESS: i64 = 0;
pub const MODIFY: i64 = 1;
pub const OWNER: i64 = 2;
/// Creating users needs this AuthLevel.
pub const CREATE_USER: i64 = 1;

/// A user as the rules see them.
#[derive(Debug, Clone, Copy)]
pub struct Party<'a> {
    pub email: &'a str,
    pub auth_level: i64,
}

/// A user sees (and may change) themself and users with a strictly lower
/// AuthLevel.
pub fn sees(viewer: Party<'_>, other: Party<'_>) -> bool {
    viewer.email == other.email || viewer.auth_level > other.auth_level
}

/// A level of -1 means no grant (the original's `GetAuthLevel`).
pub fn level_on(levels: &BTreeMap<String, i64>, target: &str) -> i64 {
    levels.get(target).copied().unwrap_or(-1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 400: a negative AuthLevel.
    BadRequest,
    /// 403: more than the caller holds.
    Forbidden,
}

/// Whether `caller` may make the change to `target` (whom they see): the
/// AuthLevel first, then every beacon level, all or nothing.
pub fn check_update(
    caller: Party<'_>,
    caller_beacons: &BTreeMap<String, i64>,
    target: Party<'_>,
    target_beacons: &BTreeMap<String, i64>,
    auth_level: Option<i64>,
    beacons: &BTreeMap<String, i64>,
) -> Result<(), Refusal> {
    if let Some(level) = auth_level.filter(|level| *level != target.auth_level) {
        if level < 0 {
            return Err(Refusal::BadRequest);
        }
        if level > caller.auth_level {
            return Err(Refusal::Forbidden);
        }
    }
    for (beacon, level) in beacons {
        let held = level_on(caller_beacons, beacon);
        let permitted = held >= MODIFY && *level <= held;
        let owner_guarded = level_on(target_beacons, beacon) >= OWNER && held < OWNER;
        if !permitted || owner_guarded {
            return Err(Refusal::Forbidden);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    const ADMIN: Party = Party { email: "admin", auth_level: 2 };
    const MANAGER: Party = Party { email: "manager", auth_level: 1 };
    const EMPLOYEE: Party = Party { email: "employee", auth_level: 0 };

    #[test]
    fn the_seeds_manager_sees_themself_and_the_employee() {
        assert!(sees(MANAGER, MANAGER));
        assert!(sees(MANAGER, EMPLOYEE));
        assert!(!sees(MANAGER, ADMIN));
        assert!(!sees(EMPLOYEE, MANAGER));
    }

    #[test]
    fn levels_are_granted_up_to_ones_own() {
        let manager = levels(&[("127.0.0.1:5002", 2), ("192.168.1.100", 1)]);
        let none = BTreeMap::new();
        let seed = levels(&[("127.0.0.1:5002", 2), ("192.168.1.100", -1)]);
        assert_eq!(check_update(MANAGER, &manager, EMPLOYEE, &none, Some(1), &seed), Ok(()));
        assert_eq!(check_update(MANAGER, &manager, EMPLOYEE, &none, Some(2), &seed), Err(Refusal::Forbidden));
        assert_eq!(check_update(MANAGER, &manager, EMPLOYEE, &none, Some(-1), &seed), Err(Refusal::BadRequest));
        let too_much = levels(&[("192.168.1.100", 2)]);
        assert_eq!(check_update(MANAGER, &manager, EMPLOYEE, &none, None, &too_much), Err(Refusal::Forbidden));
        let unknown = levels(&[("10.0.0.1", 0)]);
        assert_eq!(check_update(MANAGER, &manager, EMPLOYEE, &none, None, &unknown), Err(Refusal::Forbidden));
    }

    #[test]
    fn only_owners_change_an_owner() {
        let modifier = levels(&[("b", 1)]);
        let owner = levels(&[("b", 2)]);
        let revoke = levels(&[("b", -1)]);
        assert_eq!(check_update(MANAGER, &modifier, EMPLOYEE, &owner, None, &revoke), Err(Refusal::Forbidden));
        assert_eq!(check_update(MANAGER, &owner, EMPLOYEE, &owner, None, &revoke), Ok(()));
    }
}
