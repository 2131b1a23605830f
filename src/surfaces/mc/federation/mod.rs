//! MC's federation (`/auth/federation/*`). Served so far: the host's zone
//! bases (`zone_bases.rs`); the rest of the host side, the guest side and
//! the partner's east-west API are to come (see
//! docs/mc-federation-wire.md).

mod countries;
mod zone_bases;

use super::Mc;
use super::caller::McCaller;
use super::errors::McError;

/// MC's `fedAuthorized`: cloudlets:manage in the operator org, which must
/// be an operator org (callers have refused an empty one in their own words).
async fn fed_authorized(mc: &Mc, caller: &McCaller, operator: &str) -> Result<(), McError> {
    if !mc.rights(&caller.subject()).await?.allows(operator, "cloudlets", super::rbac::MANAGE) {
        return Err(McError::forbidden());
    }
    mc.require_org(operator, "operator").await
}
