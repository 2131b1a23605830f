//! Generated-once values kept in the `settings` table.

use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait};

use super::entities::setting;

/// A stored value, and whether this call generated it (so a generated
/// secret is shown once, by the start that created it).
pub struct Generated {
    pub value: String,
    pub created_now: bool,
}

/// Returns the stored value of `name`, storing `generate()` first if there
/// is none. Safe against a concurrent first start: whichever insert lands
/// first wins, and both callers read the same value back.
pub async fn get_or_create(
    db: &DatabaseConnection,
    name: &str,
    generate: impl FnOnce() -> String,
) -> Result<Generated, DbErr> {
    if let Some(row) = setting::Entity::find_by_id(name.to_owned()).one(db).await? {
        return Ok(Generated { value: row.value, created_now: false });
    }
    let candidate = generate();
    let row = setting::ActiveModel { name: Set(name.to_owned()), value: Set(candidate.clone()) };
    setting::Entity::insert(row).on_conflict_do_nothing_on([setting::Column::Name]).exec(db).await?;
    let value = setting::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
        .map(|row| row.value)
        .ok_or_else(|| DbErr::RecordNotFound(name.to_owned()))?;
    // Random candidates never coincide: equal means ours landed.
    Ok(Generated { created_now: value == candidate, value })
}
