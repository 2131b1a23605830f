//! Which cloudlets an org may deploy to (MC's `AuthzCloudlet.populate` and
//! `Ok` for creates that name cloudlets): its own, those of orgs whose pools
//! the caller manages, and the public ones (in no pool); a pooled cloudlet
//! only when the org was granted the pool. See
//! docs/mc-regional-wire-workloads.md, section 2.

use std::collections::BTreeSet;

use super::super::api::CloudletKey;
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::store::text;
use super::super::{Mc, rbac};
use super::cloudlet::key_text;
use super::cloudlet_pool::pooled_cloudlets;

pub struct DeployAccess {
    /// An admin acting for no org: every cloudlet.
    all: bool,
    org: String,
    pool_orgs: BTreeSet<String>,
    developer: bool,
    pooled: BTreeSet<String>,
    granted: BTreeSet<String>,
}

/// The cloudlets of the pools granted to any of `orgs` in `region`.
pub async fn granted_cloudlets(mc: &Mc, region: &str, orgs: &BTreeSet<String>) -> Result<BTreeSet<String>, McError> {
    let pools = crate::surfaces::mc::pool_access::granted_pools(&mc.db, region, Some(orgs)).await?;
    Ok(super::cloudlet_pool::cloudlets_of_named_pools(&mc.db, region, &pools).await?)
}

impl DeployAccess {
    /// What `org` may deploy to in `region` when `caller` acts for it with
    /// `resource` (the declared permission already held `org` for the
    /// caller).
    pub async fn of(mc: &Mc, caller: &McCaller, region: &str, org: &str, resource: &str) -> Result<Self, McError> {
        let rights = mc.rights(&caller.subject()).await?;
        let admin = rights.orgs_with(resource, rbac::MANAGE).contains("");
        Ok(Self {
            all: admin && org.is_empty(),
            org: org.to_owned(),
            pool_orgs: rights.orgs_with(rbac::CLOUDLET_POOLS, rbac::VIEW),
            developer: !rights.orgs_with(rbac::APPS, rbac::VIEW).is_empty(),
            pooled: pooled_cloudlets(&mc.db, region).await?,
            granted: granted_cloudlets(mc, region, &BTreeSet::from([org.to_owned()])).await?,
        })
    }

    pub fn allows(&self, key: &CloudletKey) -> bool {
        if self.all {
            return true;
        }
        let ours = |org: &Option<String>| {
            let org = text(org);
            !org.is_empty() && (org == self.org || self.pool_orgs.contains(org))
        };
        if ours(&key.organization) || ours(&key.federated_organization) {
            return true;
        }
        if !self.developer {
            return false;
        }
        let shown = key_text(key);
        !self.pooled.contains(&shown) || self.granted.contains(&shown)
    }

    /// `allows`, refused as the policies' checks refuse it.
    pub fn check(&self, key: &CloudletKey) -> Result<(), McError> {
        match self.allows(key) {
            true => Ok(()),
            false => Err(McError::bad_request(format!("No permissions for Cloudlet {}", key_text(key)))),
        }
    }
}
