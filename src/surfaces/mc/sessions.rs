//! Whether a signed session token still stands. Tokens carry the token
//! generation of their account at issue; a password change or reset bumps
//! it, deleting the account or the API key removes the row, and a locked
//! account stands for nothing. The check is one indexed read of the
//! account's row per request, so every replica sees a revocation the moment
//! it commits (a lock set directly in the database too) and nothing needs
//! invalidating.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::store;
use super::token::Claims;
use crate::db::entities::{mc_api_key, mc_user};

pub async fn still_valid(db: &impl ConnectionTrait, claims: &Claims) -> Result<bool, DbErr> {
    let mut account = mc_user::Entity::find().filter(mc_user::Column::NameKey.eq(store::name_key(claims.account())));
    if claims.is_api_key() {
        // The key must still exist and still belong to this account.
        account = account.filter(
            Expr::col(mc_user::Column::Name).in_subquery(
                Query::select()
                    .column(mc_api_key::Column::Username)
                    .from(mc_api_key::Entity)
                    .and_where(Expr::col(mc_api_key::Column::Id).eq(claims.username.as_str()))
                    .to_owned(),
            ),
        );
    }
    Ok(account.one(db).await?.is_some_and(|user| !user.locked && user.token_generation == claims.generation))
}

/// Revokes every token issued for `name` so far (inside the change's own
/// transaction).
pub async fn revoke(db: &impl ConnectionTrait, name: &str) -> Result<(), DbErr> {
    mc_user::Entity::update_many()
        .col_expr(mc_user::Column::TokenGeneration, Expr::col(mc_user::Column::TokenGeneration).add(1))
        .filter(mc_user::Column::Name.eq(name))
        .exec(db)
        .await?;
    Ok(())
}
