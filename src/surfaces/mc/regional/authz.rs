//! The permissions regional operations declare in the spec
//! (`x-steward-permission`), checked by the generated routes before the
//! handler, in MC's order: the role check (casbin), then, for operations
//! that require one, the org's existence and type.

use poem::http::StatusCode;

use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::{Mc, store};
use crate::wire::{Authorize, Permission};

#[async_trait::async_trait]
impl Authorize<McCaller, McError> for Mc {
    async fn authorize(
        &self,
        caller: &McCaller,
        permission: &Permission,
        body: Option<&serde_json::Value>,
    ) -> Result<(), McError> {
        match *permission {
            Permission::Grant { resource, action, org, requires_org } => {
                let org = match org {
                    "" => "",
                    pointer => body.and_then(|b| b.pointer(pointer)).and_then(|v| v.as_str()).unwrap_or(""),
                };
                let rights = self.rights(&caller.subject()).await?;
                if !rights.allows(org, resource, action) {
                    return Err(McError::forbidden());
                }
                match requires_org {
                    Some(kind) if !org.is_empty() => self.require_org(org, kind).await,
                    _ => Ok(()),
                }
            }
            Permission::Show { resource, action, .. } => {
                match self.rights(&caller.subject()).await?.orgs_with(resource, action).is_empty() {
                    true => Err(McError::forbidden()),
                    false => Ok(()),
                }
            }
            Permission::Visibility(_) => Ok(()),
        }
    }
}

impl Mc {
    /// MC's `checkRequiresOrg`: the org exists, is not being deleted, and
    /// is of the kind the operation applies to. Only callers who passed the
    /// role check in that org get here, so a missing org is an admin's
    /// mistake and is named.
    pub(crate) async fn require_org(&self, org: &str, kind: &str) -> Result<(), McError> {
        self.check_reference_org(org, kind, "org").await
    }

    /// MC's `checkReferenceOrg` for an org an object names, which MC's
    /// messages call `label` (`org`, `alliance org`).
    pub(super) async fn check_reference_org(&self, org: &str, kind: &str, label: &str) -> Result<(), McError> {
        let named = super::super::errors::capitalized(label);
        let Some(found) = store::org_by_name(&self.db, org).await? else {
            return Err(McError::bad_request(format!("{named} {org} not found")));
        };
        if found.name != org {
            return Err(McError::bad_request(format!(
                "{named} {org} lookup failed: lookup {org} but found {}",
                found.name
            )));
        }
        if found.delete_in_progress {
            return Err(McError::bad_request(format!(
                "Operation not allowed for {label} {org} with delete in progress"
            )));
        }
        if found.org_type != kind {
            return Err(McError::new(
                StatusCode::BAD_REQUEST,
                format!("Operation for {label} {org} only allowed for orgs of type {kind}"),
            ));
        }
        Ok(())
    }
}
