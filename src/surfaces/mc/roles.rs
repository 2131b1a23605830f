//! MC's role operations: the role names and their permissions, who holds
//! which role where, and granting or revoking roles (never an org's last
//! manager).

use super::api;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::api::{Role, RolePerm};
use super::caller::McCaller;
use super::errors::McError;
use super::store::text;
use super::{Mc, change, rbac, store, strength};
use crate::db::entities::{mc_api_key_perm, mc_role_grant};

fn role_json(grant: &mc_role_grant::Model) -> Role {
    Role {
        org: Some(grant.org.clone()),
        username: Some(rbac::shown_subject(&grant.subject).to_owned()),
        role: Some(grant.role.clone()),
    }
}

/// Non-admins see neither the admin roles nor API keys' own roles.
fn visible_roles(admin: bool) -> impl Iterator<Item = &'static str> {
    rbac::ROLES.into_iter().filter(move |role| admin || !rbac::is_admin_role(role))
}

pub async fn names(mc: &Mc, caller: &McCaller) -> Result<Vec<String>, McError> {
    let admin = mc.rights(&caller.subject()).await?.is_admin_manager();
    let mut names: Vec<String> = visible_roles(admin).map(str::to_owned).collect();
    if admin {
        // AdminManagers also see API keys' own roles.
        let keys = mc_api_key_perm::Entity::find().all(&mc.db).await?;
        names.extend(keys.into_iter().map(|p| rbac::key_role(&p.key_id)));
        names.dedup();
    }
    names.sort();
    names.dedup();
    Ok(names)
}

pub async fn perms(mc: &Mc, caller: &McCaller, filter: Option<RolePerm>) -> Result<Vec<RolePerm>, McError> {
    let filter = filter.unwrap_or_default();
    let admin = mc.rights(&caller.subject()).await?.is_admin_manager();
    let mut all: Vec<(String, String, String)> = visible_roles(admin)
        .flat_map(|role| {
            rbac::permissions(role).into_iter().map(move |(r, a)| (role.to_owned(), r.to_owned(), a.to_owned()))
        })
        .collect();
    if admin {
        let keys = mc_api_key_perm::Entity::find().all(&mc.db).await?;
        all.extend(keys.into_iter().map(|p| (rbac::key_role(&p.key_id), p.resource, p.action)));
    }
    let mut rows: Vec<RolePerm> = all
        .into_iter()
        .filter(|(role, resource, action)| {
            wanted(&filter.role, role) && wanted(&filter.resource, resource) && wanted(&filter.action, action)
        })
        .map(|(role, resource, action)| RolePerm { role: Some(role), resource: Some(resource), action: Some(action) })
        .collect();
    rows.sort_by(|a, b| (&a.role, &a.resource, &a.action).cmp(&(&b.role, &b.resource, &b.action)));
    Ok(rows)
}

/// A filter key that is present matches exactly, even when empty (MC's
/// `{"org":""}` asks for the admin grants).
fn wanted(wanted: &Option<String>, value: &str) -> bool {
    wanted.as_deref().is_none_or(|w| w == value)
}

fn matches(grant: &mc_role_grant::Model, filter: &Role) -> bool {
    wanted(&filter.org, &grant.org)
        && wanted(&filter.username, rbac::shown_subject(&grant.subject))
        && wanted(&filter.role, &grant.role)
}

async fn all_grants(mc: &Mc) -> Result<Vec<mc_role_grant::Model>, McError> {
    let mut grants = mc_role_grant::Entity::find().all(&mc.db).await?;
    grants.sort_by(|a, b| {
        (&a.org, rbac::shown_subject(&a.subject), &a.role).cmp(&(&b.org, rbac::shown_subject(&b.subject), &b.role))
    });
    Ok(grants)
}

pub async fn assignments(mc: &Mc, caller: &McCaller, filter: Option<Role>) -> Result<Vec<Role>, McError> {
    let filter = filter.unwrap_or_default();
    let admin = mc.rights(&caller.subject()).await?.is_admin_viewer();
    let grants = all_grants(mc).await?;
    Ok(grants
        .iter()
        .filter(|g| admin || g.subject == caller.subject())
        .filter(|g| matches(g, &filter))
        .map(role_json)
        .collect())
}

pub async fn user_roles(mc: &Mc, caller: &McCaller, filter: Option<Role>) -> Result<Vec<Role>, McError> {
    let filter = filter.unwrap_or_default();
    let orgs = mc.rights(&caller.subject()).await?.orgs_with(rbac::USERS, rbac::VIEW);
    if orgs.is_empty() {
        return Err(McError::forbidden());
    }
    let admin = orgs.contains("");
    let grants = all_grants(mc).await?;
    Ok(grants
        .iter()
        .filter(|g| rbac::is_builtin(&g.role))
        .filter(|g| admin || orgs.contains(&g.org))
        .filter(|g| matches(g, &filter))
        .map(role_json)
        .collect())
}

pub async fn add(mc: &Mc, caller: &McCaller, body: Role) -> Result<(), McError> {
    let (org, username, role) = (text(&body.org), text(&body.username), text(&body.role));
    if username.is_empty() {
        return Err(McError::bad_request("Username not specified"));
    }
    if role.is_empty() {
        return Err(McError::bad_request("Role not specified"));
    }
    if username.to_lowercase() == org.to_lowercase() {
        return Err(McError::bad_request("Org name cannot be same as existing user name"));
    }
    let admin_role = matches!(role, rbac::ADMIN_MANAGER | rbac::ADMIN_CONTRIBUTOR | rbac::ADMIN_VIEWER);
    if admin_role && !org.is_empty() {
        return Err(McError::bad_request(
            "Admin roles cannot be associated with an org, please specify the empty org \"\"",
        ));
    }
    if !admin_role && org.is_empty() {
        return Err(McError::bad_request("Org name must be specified for the specified role"));
    }
    let Some(user) = store::user_by_name(&mc.db, username).await? else {
        return Err(McError::bad_request("Username not found"));
    };
    if admin_role {
        if user.pass_crack_time_sec == 0.0 {
            return Err(McError::bad_request(
                "Target user password strength not verified, please have user log in to verify password strength",
            ));
        }
        if user.pass_crack_time_sec < strength::ADMIN_MIN_CRACK_SECONDS {
            return Err(McError::bad_request(strength::too_weak(
                strength::ADMIN_MIN_CRACK_SECONDS,
                user.pass_crack_time_sec,
            )));
        }
    }
    if !rbac::is_builtin(role) {
        return Err(McError::bad_request("Role not found"));
    }
    let mut org_name = String::new();
    if !org.is_empty() {
        let Some(found) = store::org_by_name(&mc.db, org).await? else {
            return Err(McError::bad_request("Organization not found"));
        };
        if found.org_type == "developer" && !rbac::is_developer_role(role) {
            return Err(McError::bad_request("Can only assign developer roles for developer organization"));
        }
        if found.org_type == "operator" && !rbac::is_operator_role(role) {
            return Err(McError::bad_request("Can only assign operator roles for operator organization"));
        }
        if let Some(held) = role_in(mc, &user.name, &found.name).await? {
            return Err(already_has_role(&held));
        }
        org_name = found.name;
    }
    if !mc.rights(&caller.subject()).await?.allows(&org_name, rbac::USERS, rbac::MANAGE) {
        return Err(match org.is_empty() {
            true => McError::bad_request("Organization not specified or no permissions"),
            false => McError::forbidden(),
        });
    }
    let grant = mc_role_grant::ActiveModel {
        org: Set(org_name.clone()),
        subject: Set(user.name.clone()),
        role: Set(role.into()),
    };
    let target = format!("{org_name}::{}", user.name);
    let action = format!("add role {role}");
    match mc.audited.insert(grant, change(caller.username(), &action, &target)).await {
        // A unique index holds one role per user per org: a parallel grant
        // of another role got in first. The same role twice (admin roles
        // granted again) adds nothing.
        Err(e) if crate::db::is_unique_violation(&e) => match role_in(mc, &user.name, &org_name).await? {
            Some(held) if held.role != role && !org_name.is_empty() => Err(already_has_role(&held)),
            _ => Ok(()),
        },
        other => other.map(|_| ()).map_err(Into::into),
    }
}

async fn role_in(mc: &Mc, name: &str, org: &str) -> Result<Option<mc_role_grant::Model>, McError> {
    Ok(store::grants_of(&mc.db, name).await?.into_iter().find(|g| g.org == org))
}

fn already_has_role(held: &mc_role_grant::Model) -> McError {
    McError::bad_request(format!(
        "User already has a role {} for org {}, please remove existing role first",
        held.role, held.org
    ))
}

pub async fn remove(mc: &Mc, caller: &McCaller, body: Role) -> Result<(), McError> {
    let (org, username, role) = (text(&body.org), text(&body.username), text(&body.role));
    if username.is_empty() {
        return Err(McError::bad_request("Username not specified"));
    }
    if role.is_empty() {
        return Err(McError::bad_request("Role not specified"));
    }
    let grant = mc_role_grant::Entity::find()
        .filter(mc_role_grant::Column::Org.eq(org))
        .filter(mc_role_grant::Column::Subject.eq(username))
        .filter(mc_role_grant::Column::Role.eq(role))
        .one(&mc.db)
        .await?;
    let Some(grant) = grant else { return Ok(()) };
    if !mc.rights(&caller.subject()).await?.allows(org, rbac::USERS, rbac::MANAGE) {
        return Err(McError::forbidden());
    }
    let txn = crate::db::begin_write(&mc.db).await?;
    if rbac::is_manager_role(role) {
        // Locked until commit: two removals of an org's last two managers
        // are counted one after the other.
        let same = mc_role_grant::Entity::find()
            .filter(mc_role_grant::Column::Org.eq(org))
            .filter(mc_role_grant::Column::Role.eq(role))
            .lock_exclusive()
            .all(&txn)
            .await?;
        if same.len() < 2 {
            return Err(McError::bad_request("Error: Cannot remove the last remaining manager of an org"));
        }
    }
    mc_role_grant::Entity::delete_by_id((grant.org.clone(), grant.subject.clone(), grant.role.clone()))
        .exec(&txn)
        .await?;
    let target = format!("{}::{}", grant.org, grant.subject);
    mc.audited.record(&txn, &change(caller.username(), &format!("remove role {role}"), &target)).await?;
    txn.commit().await?;
    Ok(())
}

#[async_trait::async_trait]
impl api::RoleApi for Mc {
    async fn show_role_names(&self, caller: McCaller) -> Result<api::ShowRoleNamesResponse, McError> {
        super::roles::names(self, &caller).await.map(api::ShowRoleNamesResponse::Ok)
    }

    async fn show_role_perm(
        &self,
        caller: McCaller,
        request: api::ShowRolePermRequest,
    ) -> Result<api::ShowRolePermResponse, McError> {
        super::roles::perms(self, &caller, request.body).await.map(api::ShowRolePermResponse::Ok)
    }

    async fn show_role_assignment(
        &self,
        caller: McCaller,
        request: api::ShowRoleAssignmentRequest,
    ) -> Result<api::ShowRoleAssignmentResponse, McError> {
        super::roles::assignments(self, &caller, request.body).await.map(api::ShowRoleAssignmentResponse::Ok)
    }

    async fn show_user_role(
        &self,
        caller: McCaller,
        request: api::ShowUserRoleRequest,
    ) -> Result<api::ShowUserRoleResponse, McError> {
        super::roles::user_roles(self, &caller, request.body).await.map(api::ShowUserRoleResponse::Ok)
    }

    async fn add_user_role(
        &self,
        caller: McCaller,
        request: api::AddUserRoleRequest,
    ) -> Result<api::AddUserRoleResponse, McError> {
        super::roles::add(self, &caller, request.body)
            .await
            .map(|()| api::AddUserRoleResponse::Ok(super::message("Role added to user")))
    }

    async fn remove_user_role(
        &self,
        caller: McCaller,
        request: api::RemoveUserRoleRequest,
    ) -> Result<api::RemoveUserRoleResponse, McError> {
        super::roles::remove(self, &caller, request.body)
            .await
            .map(|()| api::RemoveUserRoleResponse::Ok(super::message("Role removed from user")))
    }
}
