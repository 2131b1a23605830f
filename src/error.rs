//! The domain error: what went wrong, independent of any wire. Each surface
//! converts it to its original's status and body in one place.

use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("unauthenticated")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbErr> for Error {
    fn from(error: DbErr) -> Self {
        if crate::db::is_unique_violation(&error) {
            return Error::Conflict("already exists".to_owned());
        }
        Error::Internal(error.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
