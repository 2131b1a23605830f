//! Generated-once values kept in the `settings` table.

use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait};

use super::entities::setting;

/// Returns the stored value of `name`, storing `generate()` first if there
/// is none. Safe against a concurrent first start: whichever insert lands
/// first wins, and both callers read the same value back.
pub async fn get_or_create(
    db: &DatabaseConnection,
    name: &str,
    generate: impl FnOnce() -> String,
) -> Result<String, DbErr> {
    if let Some(row) = setting::Entity::find_by_id(name.to_owned()).one(db).await? {
        return Ok(row.value);
    }
    let row = setting::ActiveModel { name: Set(name.to_owned()), value: Set(generate()) };
    setting::Entity::insert(row).on_conflict_do_nothing_on([setting::Column::Name]).exec(db).await?;
    setting::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
        .map(|row| row.value)
        .ok_or_else(|| DbErr::RecordNotFound(name.to_owned()))
}
