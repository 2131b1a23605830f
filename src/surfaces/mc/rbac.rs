//! MC's role model: ten built-in roles, each a fixed set of
//! (resource, action) permissions, held by users per organization (admin
//! roles in the empty org, which counts for every org). An API key holds
//! one private role, `<key id>-role`, with the permissions it was given.
//!
//! The regional resources (cloudlets, apps, ...) are already in the table,
//! so their operations only need to name the resource and action they
//! require.

use std::collections::BTreeSet;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::db::entities::{mc_api_key_perm, mc_role_grant};

pub const VIEW: &str = "view";
pub const MANAGE: &str = "manage";

pub const ADMIN_MANAGER: &str = "AdminManager";
pub const ADMIN_CONTRIBUTOR: &str = "AdminContributor";
pub const ADMIN_VIEWER: &str = "AdminViewer";
pub const DEVELOPER_MANAGER: &str = "DeveloperManager";
pub const DEVELOPER_CONTRIBUTOR: &str = "DeveloperContributor";
pub const DEVELOPER_VIEWER: &str = "DeveloperViewer";
pub const OPERATOR_MANAGER: &str = "OperatorManager";
pub const OPERATOR_CONTRIBUTOR: &str = "OperatorContributor";
pub const OPERATOR_VIEWER: &str = "OperatorViewer";
pub const BILLING_MANAGER: &str = "BillingManager";

pub const ROLES: [&str; 10] = [
    ADMIN_MANAGER,
    ADMIN_CONTRIBUTOR,
    ADMIN_VIEWER,
    DEVELOPER_MANAGER,
    DEVELOPER_CONTRIBUTOR,
    DEVELOPER_VIEWER,
    OPERATOR_MANAGER,
    OPERATOR_CONTRIBUTOR,
    OPERATOR_VIEWER,
    BILLING_MANAGER,
];

pub const USERS: &str = "users";
pub const CONFIG: &str = "config";
pub const CONTROLLERS: &str = "controllers";
pub const BILLING: &str = "billing";
pub const CLOUDLETS: &str = "cloudlets";
pub const CLOUDLET_ANALYTICS: &str = "cloudletanalytics";
pub const CLOUDLET_POOLS: &str = "cloudletpools";
pub const APPS: &str = "apps";
pub const APP_INSTS: &str = "appinsts";
pub const CLUSTER_INSTS: &str = "clusterinsts";
pub const FLAVORS: &str = "flavors";
pub const DEVELOPER_POLICY: &str = "developerpolicy";

/// Every resource MC's roles mention.
pub const RESOURCES: [&str; 19] = [
    "billing",
    "controllers",
    "users",
    "apps",
    "appinsts",
    "clusters",
    "clusterinsts",
    "appanalytics",
    "clusteranalytics",
    "cloudlets",
    "cloudletpools",
    "cloudletanalytics",
    "clusterflavors",
    "flavors",
    "config",
    "alert",
    "developerpolicy",
    "restagtbl",
    "artifacts",
];

const DEVELOPER_RESOURCES: [&str; 8] = [
    "apps",
    "appinsts",
    "clusters",
    "clusterinsts",
    "appanalytics",
    "clusteranalytics",
    "developerpolicy",
    "artifacts",
];
const OPERATOR_RESOURCES: [&str; 3] = ["cloudletanalytics", "restagtbl", "cloudletpools"];

#[derive(Clone, Copy, PartialEq)]
enum Level {
    View,
    Manage,
}

/// The resources a built-in role reaches, and how far.
fn levels(role: &str) -> Vec<(&'static str, Level)> {
    use Level::{Manage, View};
    let mut out = Vec::new();
    let mut add = |resources: &[&'static str], level| out.extend(resources.iter().map(|r| (*r, level)));
    match role {
        ADMIN_MANAGER => add(&RESOURCES, Manage),
        ADMIN_CONTRIBUTOR => {
            add(&[BILLING, USERS], View);
            add(&DEVELOPER_RESOURCES, Manage);
            add(&["alert", "cloudlets"], Manage);
            add(&OPERATOR_RESOURCES, Manage);
        }
        ADMIN_VIEWER => {
            add(&[USERS, "alert", "cloudlets"], View);
            add(&DEVELOPER_RESOURCES, View);
            add(&OPERATOR_RESOURCES, View);
        }
        DEVELOPER_MANAGER => {
            add(&["flavors", "clusterflavors", "cloudlets"], View);
            add(&[BILLING, USERS, "alert"], Manage);
            add(&DEVELOPER_RESOURCES, Manage);
        }
        DEVELOPER_CONTRIBUTOR => {
            add(&["flavors", "clusterflavors", "cloudlets", USERS], View);
            add(&["alert"], Manage);
            add(&DEVELOPER_RESOURCES, Manage);
        }
        DEVELOPER_VIEWER => {
            add(&["flavors", "clusterflavors", "cloudlets", USERS, "alert"], View);
            add(&DEVELOPER_RESOURCES, View);
        }
        OPERATOR_MANAGER => {
            add(&[USERS, "alert", "cloudlets"], Manage);
            add(&OPERATOR_RESOURCES, Manage);
        }
        OPERATOR_CONTRIBUTOR => {
            add(&[USERS], View);
            add(&["alert", "cloudlets"], Manage);
            add(&OPERATOR_RESOURCES, Manage);
        }
        OPERATOR_VIEWER => {
            add(&[USERS, "alert", "cloudlets"], View);
            add(&OPERATOR_RESOURCES, View);
        }
        BILLING_MANAGER => add(&[BILLING, USERS], Manage),
        _ => {}
    }
    out
}

/// A built-in role's permissions as (resource, action) rows: manage
/// implies view, as MC stores it.
pub fn permissions(role: &str) -> Vec<(&'static str, &'static str)> {
    levels(role)
        .into_iter()
        .flat_map(|(resource, level)| {
            let manage = (level == Level::Manage).then_some((resource, MANAGE));
            manage.into_iter().chain([(resource, VIEW)])
        })
        .collect()
}

pub fn is_builtin(role: &str) -> bool {
    ROLES.contains(&role)
}

pub fn is_admin_role(role: &str) -> bool {
    role.starts_with("Admin")
}

pub fn is_developer_role(role: &str) -> bool {
    role.starts_with("Developer")
}

pub fn is_operator_role(role: &str) -> bool {
    role.starts_with("Operator")
}

pub fn is_manager_role(role: &str) -> bool {
    matches!(role, ADMIN_MANAGER | DEVELOPER_MANAGER | OPERATOR_MANAGER)
}

/// The private role of an API key.
pub fn key_role(key_id: &str) -> String {
    format!("{key_id}-role")
}

/// API keys hold grants under a subject no user name can take (names
/// cannot contain ':'), so a user named like a key id inherits nothing.
const KEY_SUBJECT_PREFIX: &str = "apikey:";

pub fn key_subject(key_id: &str) -> String {
    format!("{KEY_SUBJECT_PREFIX}{key_id}")
}

/// A grant's subject as MC shows it: a user name, or an API key's id.
pub fn shown_subject(subject: &str) -> &str {
    subject.strip_prefix(KEY_SUBJECT_PREFIX).unwrap_or(subject)
}

/// One permission held in one org (`""`: every org).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Scope {
    pub org: String,
    pub resource: String,
    pub action: String,
}

/// Every permission `subject` (a user name or an API key id) holds, from
/// its grants.
pub async fn scopes(db: &impl ConnectionTrait, subject: &str) -> Result<BTreeSet<Scope>, DbErr> {
    let grants = mc_role_grant::Entity::find().filter(mc_role_grant::Column::Subject.eq(subject)).all(db).await?;
    let mut out = BTreeSet::new();
    for grant in grants {
        for (resource, action) in role_permissions(db, &grant.role).await? {
            out.insert(Scope { org: grant.org.clone(), resource, action });
        }
    }
    Ok(out)
}

/// A role's permissions, built-in or an API key's own.
pub async fn role_permissions(db: &impl ConnectionTrait, role: &str) -> Result<Vec<(String, String)>, DbErr> {
    if is_builtin(role) {
        return Ok(permissions(role).into_iter().map(|(r, a)| (r.to_owned(), a.to_owned())).collect());
    }
    let Some(key_id) = role.strip_suffix("-role") else { return Ok(Vec::new()) };
    let rows = mc_api_key_perm::Entity::find().filter(mc_api_key_perm::Column::KeyId.eq(key_id)).all(db).await?;
    Ok(rows.into_iter().map(|row| (row.resource, row.action)).collect())
}

/// What a subject may do, loaded once per request.
#[derive(Debug, Default, Clone)]
pub struct Rights {
    pub scopes: BTreeSet<Scope>,
}

impl Rights {
    pub async fn load(db: &impl ConnectionTrait, subject: &str) -> Result<Self, DbErr> {
        Ok(Self { scopes: scopes(db, subject).await? })
    }

    /// MC's `enforce`: held in `org` itself or in the empty org (admin).
    pub fn allows(&self, org: &str, resource: &str, action: &str) -> bool {
        self.scopes.iter().any(|s| (s.org == org || s.org.is_empty()) && s.resource == resource && s.action == action)
    }

    /// The orgs where the permission is held (`""` for admins).
    pub fn orgs_with(&self, resource: &str, action: &str) -> BTreeSet<String> {
        self.scopes.iter().filter(|s| s.resource == resource && s.action == action).map(|s| s.org.clone()).collect()
    }

    /// users:view in the empty org: any admin role.
    pub fn is_admin_viewer(&self) -> bool {
        self.orgs_with(USERS, VIEW).contains("")
    }

    /// config:view in the empty org: only AdminManager (MC's `isUserAdmin`).
    pub fn is_admin_manager(&self) -> bool {
        self.orgs_with(CONFIG, VIEW).contains("")
    }

    /// users:manage in the empty org: AdminManager.
    pub fn manages_all_users(&self) -> bool {
        self.orgs_with(USERS, MANAGE).contains("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_mcs_row_counts() {
        let counts: Vec<usize> = ROLES.iter().map(|role| permissions(role).len()).collect();
        assert_eq!(counts, [38, 28, 14, 25, 22, 13, 12, 11, 6, 4]);
        assert_eq!(counts.iter().sum::<usize>(), 173);
    }

    #[test]
    fn manage_implies_view() {
        for role in ROLES {
            let rows = permissions(role);
            for (resource, action) in &rows {
                if *action == MANAGE {
                    assert!(rows.contains(&(resource, VIEW)), "{role} {resource}");
                }
            }
        }
    }

    #[test]
    fn admin_flags_follow_the_roles() {
        let rights = |role: &str, org: &str| Rights {
            scopes: permissions(role)
                .into_iter()
                .map(|(r, a)| Scope { org: org.into(), resource: r.into(), action: a.into() })
                .collect(),
        };
        assert!(rights(ADMIN_MANAGER, "").is_admin_manager());
        assert!(!rights(ADMIN_CONTRIBUTOR, "").is_admin_manager());
        assert!(rights(ADMIN_VIEWER, "").is_admin_viewer());
        assert!(!rights(DEVELOPER_MANAGER, "acme").is_admin_viewer());
        assert!(rights(DEVELOPER_MANAGER, "acme").allows("acme", USERS, MANAGE));
        assert!(!rights(DEVELOPER_MANAGER, "acme").allows("other", USERS, VIEW));
        assert!(rights(ADMIN_VIEWER, "").allows("any", "apps", VIEW));
    }
}
