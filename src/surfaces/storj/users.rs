//! Users: created active, looked up by email ignoring case, deleted by
//! deactivation (so their email is free again).

use poem::http::StatusCode;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect};

use super::api::{Coupon, CreateUser, ProjectSummary, UpdateUser, User, UserDetails, UserSummary};
use super::auth::StorjAdmin;
use super::errors::StorjError;
use super::{Storj, coupons, go_time, ids, now, partner_text};
use crate::db::audited::Change;
use crate::db::entities::{storj_coupon as coupon, storj_project as project, storj_user as user};

pub const ACTIVE: i32 = 1;
const DELETED: i32 = 2;
fn normalize(email: &str) -> String {
    email.to_uppercase()
}

fn not_found(email: &str) -> StorjError {
    // The seed's words (2f8969a); `{:?}` quotes as Go's %q does for text.
    StorjError::not_found(format!("user with email {email:?} not found"))
}

fn duplicate(email: &str) -> StorjError {
    StorjError::conflict(format!("user with email already exists {email}"), "")
}

pub async fn find_active(api: &Storj, email: &str) -> Result<Option<user::Model>, StorjError> {
    Ok(user::Entity::find()
        .filter(user::Column::NormalizedEmail.eq(normalize(email)))
        .filter(user::Column::Status.eq(ACTIVE))
        .one(api.db())
        .await?)
}

fn to_wire(row: &user::Model) -> User {
    User {
        id: row.id.to_string(),
        full_name: row.full_name.clone(),
        short_name: row.short_name.clone(),
        email: row.email.clone(),
        password_hash: None,
        status: row.status.into(),
        partner_id: partner_text(row.partner_id),
        created_at: go_time(row.created_at),
        project_limit: row.project_limit.into(),
        is_professional: false,
        position: String::new(),
        company_name: String::new(),
        company_size: 0,
        working_on: String::new(),
        employee_count: String::new(),
    }
}

/// Storj's `CreateUser.IsValid`, messages joined as its error group joins them.
fn validate(body: &CreateUser) -> Result<(), StorjError> {
    let mut problems = Vec::new();
    if body.full_name.as_deref().unwrap_or("").is_empty() {
        problems.push("validation: full name can not be empty".to_owned());
    }
    if body.password.as_deref().unwrap_or("").len() < 6 {
        problems.push("validation: Your password needs at least 6 characters long".to_owned());
    }
    if let Err(reason) = check_address(body.email.as_deref().unwrap_or("")) {
        problems.push(format!("validation: mail: {reason}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StorjError::new(StatusCode::BAD_REQUEST, "user data is not valid", problems.join("; ")))
    }
}

/// The checks of Go's `mail.ParseAddress` that matter for a bare address.
fn check_address(email: &str) -> Result<(), &'static str> {
    let email = email.trim();
    if email.is_empty() {
        return Err("no address");
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err("missing '@' or angle-addr");
    };
    if local.is_empty() || local.chars().any(char::is_whitespace) {
        return Err("invalid string");
    }
    if domain.is_empty() || domain.chars().any(|c| c.is_whitespace() || c == '@') {
        return Err("no domain in addr-spec");
    }
    Ok(())
}

pub async fn create(api: &Storj, caller: &StorjAdmin, body: CreateUser) -> Result<User, StorjError> {
    // The seed's order: the two required fields, the duplicate, then the
    // whole validation.
    if body.email.as_deref().unwrap_or("").is_empty() {
        return Err(StorjError::bad_request("email is not set"));
    }
    if body.password.as_deref().unwrap_or("").is_empty() {
        return Err(StorjError::bad_request("password is not set"));
    }
    let email = body.email.clone().unwrap_or_default();
    if find_active(api, &email).await?.is_some() {
        return Err(duplicate(&email));
    }
    validate(&body)?;
    let password_hash = crate::auth::password::hash(body.password.unwrap_or_default()).await?;
    let id = uuid::Uuid::new_v4();
    let row = user::ActiveModel {
        id: Set(id),
        normalized_email: Set(normalize(&email)),
        email: Set(email.clone()),
        full_name: Set(body.full_name.unwrap_or_default()),
        short_name: Set(String::new()),
        password_hash: Set(password_hash),
        status: Set(ACTIVE),
        partner_id: Set(None),
        project_limit: Set(0),
        created_at: Set(now()),
    };
    let target = id.to_string();
    match api.store.insert(row, Change { actor: caller.actor(), action: "createUser", target: &target }).await {
        Ok(saved) => Ok(to_wire(&saved)),
        // A concurrent create of the same email lost the race.
        Err(error) if crate::db::is_unique_violation(&error) => Err(duplicate(&email)),
        Err(error) => Err(error.into()),
    }
}

pub async fn details(api: &Storj, email: &str) -> Result<UserDetails, StorjError> {
    let row = find_active(api, email).await?.ok_or_else(|| not_found(email))?;
    let projects = project::Entity::find()
        .filter(project::Column::OwnerId.eq(row.id))
        // The seed lists a user's projects by name.
        .order_by_asc(project::Column::Name)
        .order_by_asc(project::Column::Id)
        .all(api.db())
        .await?;
    let coupons: Vec<Coupon> = coupon::Entity::find()
        .filter(coupon::Column::UserId.eq(row.id))
        .order_by_desc(coupon::Column::CreatedAt)
        .all(api.db())
        .await?
        .iter()
        .map(coupons::to_wire)
        .collect();
    let projects = (!projects.is_empty()).then(|| {
        projects
            .into_iter()
            .map(|p| ProjectSummary {
                id: p.id.to_string(),
                name: p.name,
                description: p.description,
                owner_id: p.owner_id.to_string(),
            })
            .collect()
    });
    Ok(UserDetails {
        user: UserSummary {
            id: row.id.to_string(),
            full_name: row.full_name,
            email: row.email,
            project_limit: row.project_limit.into(),
        },
        projects,
        coupons,
    })
}

pub async fn update(api: &Storj, caller: &StorjAdmin, email: &str, body: UpdateUser) -> Result<(), StorjError> {
    let row = find_active(api, email).await?.ok_or_else(|| not_found(email))?;
    let partner = match body.partner_id.as_deref() {
        Some(text) => Some(ids::from_json(text).map_err(StorjError::unmarshal)?),
        None => None,
    };
    let new_email = body.email.filter(|e| !e.is_empty());
    if let Some(new_email) = &new_email
        && normalize(new_email) != row.normalized_email
        && find_active(api, new_email).await?.is_some()
    {
        return Err(duplicate(new_email));
    }
    let target = row.id.to_string();
    let mut changed = row.into_active_model();
    if let Some(full_name) = body.full_name.filter(|v| !v.is_empty()) {
        changed.full_name = Set(full_name);
    }
    if let Some(short_name) = body.short_name.filter(|v| !v.is_empty()) {
        changed.short_name = Set(short_name);
    }
    if let Some(new_email) = &new_email {
        changed.normalized_email = Set(normalize(new_email));
        changed.email = Set(new_email.clone());
    }
    if let Some(partner) = partner.filter(|p| !p.is_nil()) {
        changed.partner_id = Set(Some(partner));
    }
    if let Some(hash) = body.password_hash.filter(|v| !v.is_empty()) {
        changed.password_hash = Set(hash);
    }
    if let Some(limit) = body.project_limit.filter(|l| *l > 0) {
        changed.project_limit = Set(i32::try_from(limit).unwrap_or(i32::MAX));
    }
    match api.store.update(changed, Change { actor: caller.actor(), action: "updateUser", target: &target }).await {
        Ok(_) => Ok(()),
        Err(error) if crate::db::is_unique_violation(&error) => Err(duplicate(new_email.as_deref().unwrap_or(email))),
        Err(error) if crate::db::is_gone(&error) => Err(not_found(email)),
        Err(error) => Err(error.into()),
    }
}

/// One transaction holding the user's row: a project created for them
/// meanwhile (which locks the row too) is either seen here or refused.
pub async fn delete(api: &Storj, caller: &StorjAdmin, email: &str) -> Result<(), StorjError> {
    let txn = crate::db::begin_write(api.db()).await?;
    let row = user::Entity::find()
        .filter(user::Column::NormalizedEmail.eq(normalize(email)))
        .filter(user::Column::Status.eq(ACTIVE))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| not_found(email))?;
    let owned = project::Entity::find()
        .filter(project::Column::OwnerId.eq(row.id))
        .order_by_asc(project::Column::Name)
        .all(&txn)
        .await?;
    if !owned.is_empty() {
        let listed: Vec<String> = owned.iter().map(|p| format!("{{{} {}}}", p.id, p.name)).collect();
        return Err(StorjError::conflict("some projects still exist", format!("[{}]", listed.join(" "))));
    }
    let target = row.id.to_string();
    let deactivated = format!("deactivated+{}@storj.io", row.id);
    let mut changed = row.into_active_model();
    changed.normalized_email = Set(normalize(&deactivated));
    changed.email = Set(deactivated);
    changed.full_name = Set(String::new());
    changed.short_name = Set(String::new());
    changed.status = Set(DELETED);
    changed.update(&txn).await?;
    api.store.record(&txn, &Change { actor: caller.actor(), action: "deleteUser", target: &target }).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_joins_every_problem() {
        let body = CreateUser {
            email: Some("x".into()),
            full_name: None,
            short_name: None,
            password: Some("abc".into()),
            partner_id: None,
        };
        let error = validate(&body).unwrap_err();
        assert_eq!(error.error, "user data is not valid");
        assert_eq!(
            error.detail,
            "validation: full name can not be empty; validation: Your password needs at least 6 characters long; validation: mail: missing '@' or angle-addr"
        );
    }
}
