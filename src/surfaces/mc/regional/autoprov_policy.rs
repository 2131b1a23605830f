//! Auto-provisioning policies (`/auth/ctrl/*AutoProvPolicy*`): a developer
//! org's rules for deploying its apps to cloudlets on demand. Developers
//! manage their orgs' policies (developerpolicy, declared in the spec) on
//! cloudlets they may deploy to. Rules and messages are the Controller's
//! (`autoprovpolicy_api.go`, `AutoProvPolicy.Validate` in `objs.go`); see
//! docs/mc-regional-wire-workloads.md.

use serde_json::Value;

use super::super::api::{self, AutoProvCloudlet, AutoProvPolicy, RegionAutoProvPolicy};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::{Mc, rbac};
use super::app::APP;
use super::autoscale_policy::validate_policy_key;
use super::cloudlet::CLOUDLET;
use super::deploy_access::DeployAccess;
use super::object::{KeyForm, Kind, Referrer};
use super::store;
use crate::wire::Stream;

pub const AUTO_PROV_POLICY: Kind = Kind {
    name: "AutoProvPolicy",
    noun: "Policy",
    key: "/key",
    key_form: KeyForm::Json,
    org: Some("/key/organization"),
    always: &["key"],
    in_use_by: &[Referrer {
        kind: &APP,
        at: "/auto_prov_policies",
        item: "",
        names: "/key/name",
        every: false,
        same_org: true,
        says: None,
    }],
};

/// `AutoProvPolicy.Validate`.
fn validate(policy: &AutoProvPolicy) -> Result<(), String> {
    validate_policy_key(&policy.key.clone().unwrap_or_default())?;
    let (min, max) = (policy.min_active_instances.unwrap_or(0), policy.max_instances.unwrap_or(0));
    if min > max && max != 0 {
        return Err("Minimum active instances cannot be larger than Maximum Instances".into());
    }
    if min == 0 && policy.deploy_client_count.unwrap_or(0) == 0 {
        return Err("One of deploy client count and minimum active instances must be specified".into());
    }
    Ok(())
}

/// MC's check that the policy's org may deploy to each cloudlet named.
async fn check_access<'a>(
    mc: &Mc,
    caller: &McCaller,
    region: &str,
    policy: &AutoProvPolicy,
    cloudlets: impl IntoIterator<Item = &'a api::CloudletKey>,
) -> Result<(), McError> {
    let org = policy.key.as_ref().and_then(|k| k.organization.clone()).unwrap_or_default();
    let access = DeployAccess::of(mc, caller, region, &org, rbac::DEVELOPER_POLICY).await?;
    cloudlets.into_iter().try_for_each(|key| access.check(key))
}

fn named_cloudlets(policy: &AutoProvPolicy) -> Vec<api::CloudletKey> {
    policy.cloudlets.iter().flatten().map(|entry| entry.key.clone().unwrap_or_default()).collect()
}

fn policy_of(body: &RegionAutoProvPolicy) -> AutoProvPolicy {
    let mut policy = body.auto_prov_policy.clone().unwrap_or_default();
    policy.key.get_or_insert_with(Default::default);
    policy.fields = None;
    policy
}

/// `configureCloudlets`: every cloudlet named exists and is not being
/// deleted (its row held for the rest of the transaction), and its
/// location is copied in.
async fn configure_cloudlets(
    txn: &sea_orm::DatabaseTransaction,
    region: &str,
    cloudlets: &mut [AutoProvCloudlet],
) -> Result<(), McError> {
    for entry in cloudlets {
        let cloudlet =
            super::referenced(txn, region, &CLOUDLET, &super::as_json(&entry.key.clone().unwrap_or_default())).await?;
        entry.loc = cloudlet.get("location").cloned().map(super::from_json).transpose()?;
        entry.key.get_or_insert_with(Default::default);
    }
    Ok(())
}

/// Reads, changes (`change` may refuse) and stores a policy in one
/// transaction, its cloudlets configured; the answer is MC's `{}`.
async fn change_policy(
    mc: &Mc,
    caller: &McCaller,
    region: &str,
    key: &Value,
    action: &str,
    change: impl FnOnce(&mut AutoProvPolicy) -> Result<bool, McError>,
) -> Result<(), McError> {
    let key_text = AUTO_PROV_POLICY.key_text(key);
    let txn = crate::db::begin_write(&mc.db).await?;
    let Some(stored) = store::find_for_update(&txn, region, &AUTO_PROV_POLICY, &key_text).await? else {
        return Err(super::not_found(&AUTO_PROV_POLICY, &key_text));
    };
    let mut policy: AutoProvPolicy = super::from_json(stored.object)?;
    if !change(&mut policy)? {
        return Ok(());
    }
    configure_cloudlets(&txn, region, policy.cloudlets.get_or_insert_with(Vec::new)).await?;
    let object = AUTO_PROV_POLICY.stored(&super::as_json(&policy));
    store::replace(&txn, region, &AUTO_PROV_POLICY, &key_text, &object).await?;
    super::audit(mc, &txn, caller, action, region, &AUTO_PROV_POLICY, &key_text).await?;
    txn.commit().await?;
    Ok(())
}

#[async_trait::async_trait]
impl api::AutoProvPolicyApi for Mc {
    async fn create_auto_prov_policy(
        &self,
        caller: McCaller,
        request: api::CreateAutoProvPolicyRequest,
    ) -> Result<api::CreateAutoProvPolicyResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let mut policy = policy_of(&request.body);
        check_access(self, &caller, &region, &policy, &named_cloudlets(&policy)).await?;
        validate(&policy).map_err(McError::bad_request)?;
        let cloudlets = policy.cloudlets.as_ref().map_or(0, Vec::len);
        if policy.min_active_instances.unwrap_or(0) as usize > cloudlets {
            return Err(McError::bad_request("Minimum Active Instances cannot be larger than the number of Cloudlets"));
        }
        let txn = crate::db::begin_write(&self.db).await?;
        let key = AUTO_PROV_POLICY.key_text(&super::as_json(&policy));
        if store::find_for_update(&txn, &region, &AUTO_PROV_POLICY, &key).await?.is_some() {
            return Err(super::already_exists(&AUTO_PROV_POLICY, &key));
        }
        configure_cloudlets(&txn, &region, policy.cloudlets.get_or_insert_with(Vec::new)).await?;
        super::insert_new(self, &txn, &caller, &region, &AUTO_PROV_POLICY, &super::as_json(&policy)).await?;
        txn.commit().await?;
        Ok(api::CreateAutoProvPolicyResponse::Ok(api::Result::default()))
    }

    async fn delete_auto_prov_policy(
        &self,
        caller: McCaller,
        request: api::DeleteAutoProvPolicyRequest,
    ) -> Result<api::DeleteAutoProvPolicyResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let object = super::as_json(&policy_of(&request.body));
        let check = super::refuse_being_deleted(&AUTO_PROV_POLICY);
        super::delete(self, &caller, &region, &AUTO_PROV_POLICY, &object, check).await?;
        Ok(api::DeleteAutoProvPolicyResponse::Ok(api::Result::default()))
    }

    async fn update_auto_prov_policy(
        &self,
        caller: McCaller,
        request: api::UpdateAutoProvPolicyRequest,
    ) -> Result<api::UpdateAutoProvPolicyResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let sent = policy_of(&request.body);
        check_access(self, &caller, &region, &sent, &named_cloudlets(&sent)).await?;
        let sent_json = super::as_json(&sent);
        change_policy(self, &caller, &region, &sent_json, "update", |policy| {
            let before = super::as_json(&*policy);
            let merged = super::with_sent_fields(&before, &sent_json);
            *policy = super::from_json(merged.clone())?;
            validate(policy).map_err(McError::bad_request)?;
            Ok(merged != before)
        })
        .await?;
        Ok(api::UpdateAutoProvPolicyResponse::Ok(api::Result::default()))
    }

    async fn show_auto_prov_policy(
        &self,
        caller: McCaller,
        request: api::ShowAutoProvPolicyRequest,
    ) -> Result<api::ShowAutoProvPolicyResponse, McError> {
        let visible = super::visible(self, &caller, rbac::DEVELOPER_POLICY, rbac::VIEW).await?;
        let region = super::region(self, &request.body.region).await?;
        let filter = super::as_json(&request.body.auto_prov_policy.clone().unwrap_or_default());
        let objects = super::show(self, &region, &AUTO_PROV_POLICY, &filter, &visible).await?;
        let policies = objects.into_iter().map(super::from_json::<AutoProvPolicy>).collect::<Result<_, _>>()?;
        Ok(api::ShowAutoProvPolicyResponse::Ok(Stream::lines(policies)))
    }

    async fn add_auto_prov_policy_cloudlet(
        &self,
        caller: McCaller,
        request: api::AddAutoProvPolicyCloudletRequest,
    ) -> Result<api::AddAutoProvPolicyCloudletResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let member = request.body.auto_prov_policy_cloudlet.unwrap_or_default();
        let named = AutoProvPolicy { key: Some(member.key.unwrap_or_default()), ..Default::default() };
        let cloudlet = member.cloudlet_key.unwrap_or_default();
        check_access(self, &caller, &region, &named, [&cloudlet]).await?;
        let key = super::as_json(&named);
        change_policy(self, &caller, &region, &key, "add a cloudlet to", |policy| {
            let cloudlets = policy.cloudlets.get_or_insert_with(Vec::new);
            if cloudlets.iter().any(|entry| entry.key.clone().unwrap_or_default() == cloudlet) {
                return Err(McError::bad_request("Cloudlet already part of policy"));
            }
            cloudlets.push(AutoProvCloudlet { key: Some(cloudlet), loc: None });
            Ok(true)
        })
        .await?;
        Ok(api::AddAutoProvPolicyCloudletResponse::Ok(api::Result::default()))
    }

    async fn remove_auto_prov_policy_cloudlet(
        &self,
        caller: McCaller,
        request: api::RemoveAutoProvPolicyCloudletRequest,
    ) -> Result<api::RemoveAutoProvPolicyCloudletResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let member = request.body.auto_prov_policy_cloudlet.unwrap_or_default();
        let key = super::as_json(&AutoProvPolicy { key: Some(member.key.unwrap_or_default()), ..Default::default() });
        let cloudlet = member.cloudlet_key.unwrap_or_default();
        change_policy(self, &caller, &region, &key, "remove a cloudlet from", |policy| {
            let cloudlets = policy.cloudlets.get_or_insert_with(Vec::new);
            match cloudlets.iter().position(|entry| entry.key.clone().unwrap_or_default() == cloudlet) {
                Some(index) => {
                    cloudlets.remove(index);
                    Ok(true)
                }
                None => Ok(false),
            }
        })
        .await?;
        Ok(api::RemoveAutoProvPolicyCloudletResponse::Ok(api::Result::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(min: u32, max: u32, clients: u32) -> AutoProvPolicy {
        AutoProvPolicy {
            key: Some(api::PolicyKey { organization: Some("dev".into()), name: Some("p".into()) }),
            min_active_instances: Some(min),
            max_instances: Some(max),
            deploy_client_count: Some(clients),
            ..Default::default()
        }
    }

    #[test]
    fn policies_need_a_trigger_and_sane_bounds() {
        assert_eq!(validate(&policy(1, 2, 0)), Ok(()));
        assert_eq!(validate(&policy(0, 0, 3)), Ok(()));
        assert_eq!(
            validate(&policy(3, 2, 0)),
            Err("Minimum active instances cannot be larger than Maximum Instances".into())
        );
        assert_eq!(validate(&policy(3, 0, 0)), Ok(()));
        assert_eq!(
            validate(&policy(0, 0, 0)),
            Err("One of deploy client count and minimum active instances must be specified".into())
        );
    }
}
