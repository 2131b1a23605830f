//! Project limits, read from form and query pairs the way gorilla/schema
//! reads Go's `r.Form`: names case-insensitive, the last value winning,
//! unknown names refused.

use poem::http::StatusCode;
use sea_orm::ActiveValue::Set;
use sea_orm::IntoActiveModel;

use super::api::{ProjectLimits, Rate, Size};
use super::auth::StorjAdmin;
use super::errors::StorjError;
use super::{Storj, memory, projects};
use crate::db::audited::Change;
use crate::wire::RawQuery;

pub async fn get(api: &Storj, id: &str) -> Result<ProjectLimits, StorjError> {
    let row = projects::find(api, id).await?;
    let size = |bytes: Option<i64>| {
        let bytes = bytes.unwrap_or(0);
        Size { amount: memory::format(bytes), bytes }
    };
    Ok(ProjectLimits {
        usage: size(row.usage_limit),
        bandwidth: size(row.bandwidth_limit),
        rate: Rate { rps: row.rate_limit.unwrap_or(0) },
        max_buckets: row.max_buckets.unwrap_or(0),
    })
}

#[derive(Default, Debug, PartialEq)]
struct Requested {
    usage: Option<i64>,
    bandwidth: Option<i64>,
    rate: Option<i64>,
    buckets: Option<i64>,
}

fn invalid(detail: String) -> StorjError {
    StorjError::new(StatusCode::BAD_REQUEST, "invalid arguments", detail)
}

fn parse(pairs: Vec<(String, String)>) -> Result<Requested, StorjError> {
    let mut requested = Requested::default();
    let mut errors = Vec::new();
    for (name, value) in pairs {
        let key = name.to_ascii_lowercase();
        let parsed = match key.as_str() {
            "usage" | "bandwidth" => memory::parse(&value)
                .map_err(|details| format!("schema: error converting value for {key:?}. Details: {details}")),
            // An empty integer reads as zero, as gorilla/schema does.
            "rate" | "buckets" if value.is_empty() => Ok(0),
            "rate" | "buckets" => {
                value.parse::<i64>().map_err(|_| format!("schema: error converting value for {key:?}"))
            }
            _ => Err(format!("schema: invalid path {name:?}")),
        };
        match (key.as_str(), parsed) {
            ("usage", Ok(v)) => requested.usage = Some(v),
            ("bandwidth", Ok(v)) => requested.bandwidth = Some(v),
            ("rate", Ok(v)) => requested.rate = Some(v),
            ("buckets", Ok(v)) => requested.buckets = Some(v),
            (_, Ok(_)) => {}
            (_, Err(message)) => errors.push(message),
        }
    }
    match errors.len() {
        0 => Ok(requested),
        1 => Err(invalid(errors.remove(0))),
        n => {
            let others = if n == 2 { "1 other error".to_owned() } else { format!("{} other errors", n - 1) };
            Err(invalid(format!("{} (and {others})", errors.remove(0))))
        }
    }
}

fn check_not_negative(requested: &Requested) -> Result<(), StorjError> {
    let negative = |error: &str, detail: String| StorjError::new(StatusCode::BAD_REQUEST, error, detail);
    if let Some(usage) = requested.usage.filter(|v| *v < 0) {
        return Err(negative("negative usage", memory::format(usage)));
    }
    if let Some(bandwidth) = requested.bandwidth.filter(|v| *v < 0) {
        return Err(negative("negative bandwidth", memory::format(bandwidth)));
    }
    if let Some(rate) = requested.rate.filter(|v| *v < 0) {
        return Err(negative("negative rate", rate.to_string()));
    }
    if let Some(buckets) = requested.buckets.filter(|v| *v < 0) {
        // Storj's message is cut short exactly like this.
        return Err(negative("negative bucket coun", format!("t: {buckets}")));
    }
    Ok(())
}

pub async fn update(
    api: &Storj,
    caller: &StorjAdmin,
    id: &str,
    form: Vec<(String, String)>,
    query: &RawQuery,
) -> Result<(), StorjError> {
    let project_id = projects::parse_id(id)?;
    // Form values first, then the query's: the last one read wins.
    let requested = parse(form.into_iter().chain(query.pairs()).collect())?;
    let row = projects::find(api, &project_id.to_string()).await?;
    check_not_negative(&requested)?;
    let mut changed = row.into_active_model();
    if let Some(usage) = requested.usage {
        changed.usage_limit = Set(Some(usage));
    }
    if let Some(bandwidth) = requested.bandwidth {
        changed.bandwidth_limit = Set(Some(bandwidth));
    }
    if let Some(rate) = requested.rate {
        // The seed's UpdateRateLimit: 0 clears the limit.
        changed.rate_limit = Set((rate != 0).then_some(rate));
    }
    if let Some(buckets) = requested.buckets {
        changed.max_buckets = Set(Some(buckets));
    }
    let target = project_id.to_string();
    let change = Change { actor: caller.actor(), action: "updateProjectLimit", target: &target };
    match api.store.update(changed, change).await {
        Err(error) if crate::db::is_gone(&error) => return Err(super::projects::not_found()),
        other => other?,
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reads_like_gorilla_schema() {
        let read = parse(pairs(&[("USAGE", "1TiB"), ("rate", "100"), ("usage", "1GB"), ("buckets", "")])).unwrap();
        assert_eq!(read, Requested { usage: Some(1_000_000_000), bandwidth: None, rate: Some(100), buckets: Some(0) });
    }

    #[test]
    fn refuses_unknown_names_and_bad_values() {
        let error = parse(pairs(&[("foo", "1")])).unwrap_err();
        assert_eq!(
            (error.error.as_str(), error.detail.as_str()),
            ("invalid arguments", "schema: invalid path \"foo\"")
        );
        let error = parse(pairs(&[("rate", "x"), ("buckets", "y"), ("usage", "")])).unwrap_err();
        assert_eq!(error.detail, "schema: error converting value for \"rate\" (and 2 other errors)");
        let error = parse(pairs(&[("usage", "1XB")])).unwrap_err();
        assert_eq!(error.detail, "schema: error converting value for \"usage\". Details: unknown suffix \"XB\"");
    }
}
