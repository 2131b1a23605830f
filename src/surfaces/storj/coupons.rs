//! Coupons (Storj as of May 2021; later versions removed them).

use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;

use super::api::{Coupon, CouponId, CreateCoupon};
use super::auth::StorjAdmin;
use super::errors::StorjError;
use super::{Storj, go_time, ids, now};
use crate::db::audited::Change;
use crate::db::entities::storj_coupon as coupon;

pub fn to_wire(row: &coupon::Model) -> Coupon {
    Coupon {
        id: row.id.to_string(),
        user_id: row.user_id.to_string(),
        amount: row.amount,
        duration: row.duration,
        description: row.description.clone(),
        r#type: 0,
        status: 0,
        created: go_time(row.created_at),
    }
}

pub async fn create(api: &Storj, caller: &StorjAdmin, body: CreateCoupon) -> Result<CouponId, StorjError> {
    let user_id = match body.user_id.as_deref() {
        Some(text) => ids::from_json(text).map_err(StorjError::unmarshal)?,
        None => uuid::Uuid::nil(),
    };
    let duration = body.duration.unwrap_or(0);
    let amount = body.amount.unwrap_or(0);
    let description = body.description.unwrap_or_default();
    // Checked in Storj's order; the user's existence is not checked.
    if duration == 0 {
        return Err(StorjError::bad_request("Duration is not set"));
    }
    if amount == 0 {
        return Err(StorjError::bad_request("Amount is not set"));
    }
    if description.is_empty() {
        return Err(StorjError::bad_request("Description is not set"));
    }
    if user_id.is_nil() {
        return Err(StorjError::bad_request("UserID is not set"));
    }
    let id = uuid::Uuid::new_v4();
    let row = coupon::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        amount: Set(amount),
        duration: Set(Some(duration)),
        description: Set(description),
        created_at: Set(now()),
    };
    let target = id.to_string();
    api.store.insert(row, Change { actor: caller.actor(), action: "createCoupon", target: &target }).await?;
    Ok(target)
}

pub async fn get(api: &Storj, id: &str) -> Result<Coupon, StorjError> {
    let id = ids::from_path(id)
        // The seed's detail is empty here.
        .map_err(|_| StorjError::new(poem::http::StatusCode::BAD_REQUEST, "invalid couponId", ""))?;
    let row = coupon::Entity::find_by_id(id).one(api.db()).await?;
    row.as_ref()
        .map(to_wire)
        .ok_or_else(|| StorjError::not_found(format!("coupon with id {:?} not found", id.to_string())))
}

pub async fn delete(api: &Storj, caller: &StorjAdmin, id: &str) -> Result<(), StorjError> {
    let id = ids::from_path(id)
        .map_err(|detail| StorjError::new(poem::http::StatusCode::BAD_REQUEST, "invalid couponid", detail))?;
    let target = id.to_string();
    let deleted = api
        .store
        .delete::<coupon::Entity>(id, Change { actor: caller.actor(), action: "deleteCoupon", target: &target })
        .await?;
    // The seed answered 200 with nothing done; a client could not tell.
    match deleted {
        true => Ok(()),
        false => Err(StorjError::not_found(format!("coupon with id {target:?} not found"))),
    }
}
