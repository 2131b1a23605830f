//! MC's federation (`/auth/federation/*`). Served so far: the host's zone
//! bases (`zone_bases.rs`); the rest of the host side, the guest side and
//! the partner's east-west API are to come (see
//! docs/mc-federation-wire.md).

mod countries;
mod zone_bases;

use super::Mc;
use super::caller::McCaller;
use super::errors::McError;

fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or_default()
}

/// MC's `fedAuthorized`: cloudlets:manage in the operator org, which must
/// be an operator org.
async fn fed_authorized(mc: &Mc, caller: &McCaller, operator: &str) -> Result<(), McError> {
    if operator.is_empty() {
        return Err(McError::bad_request("Missing operator ID"));
    }
    if !mc.rights(&caller.subject()).await?.allows(operator, "cloudlets", super::rbac::MANAGE) {
        return Err(McError::forbidden());
    }
    mc.require_org(operator, "operator").await
}
