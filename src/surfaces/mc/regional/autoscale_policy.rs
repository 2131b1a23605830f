//! Auto-scale policies (`/auth/ctrl/*AutoScalePolicy`): a developer org's
//! bounds and targets for scaling its clusters' nodes. Developers manage
//! their orgs' policies (developerpolicy, declared in the spec). Rules and
//! messages are the Controller's (`autoscalepolicy_api.go`,
//! `AutoScalePolicy.Validate` and `PolicyKey.ValidateKey` in `objs.go`);
//! see docs/mc-regional-wire-workloads.md.

use super::super::api::{self, AutoScalePolicy, PolicyKey, RegionAutoScalePolicy};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::store::text;
use super::super::{Mc, rbac};
use super::cluster_inst::CLUSTER_INSTS;
use super::object::{KeyForm, Kind, Referrer};
use crate::wire::Stream;

pub const AUTO_SCALE_POLICY: Kind = Kind {
    name: "AutoScalePolicy",
    noun: "Policy",
    key: "/key",
    key_form: KeyForm::Json,
    org: Some("/key/organization"),
    always: &["key"],
    in_use_by: &[Referrer {
        kind: &CLUSTER_INSTS,
        at: "/auto_scale_policy",
        item: "",
        names: "/key/name",
        every: false,
        same_org: false,
        says: None,
    }],
};

/// `AutoScaleMaxNodes`.
const MAX_NODES: u32 = 10;
/// `DefaultStabilizationWindowSec`.
const DEFAULT_STABILIZATION_WINDOW_SEC: u32 = 300;
const MAX_ACTIVE_CONNECTIONS: u64 = 1_000_000_000_000;

/// `util.ValidObjName` (its LDAP half adds nothing the pattern allows).
fn object_name_error(name: &str) -> Option<&'static str> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) {
        return Some("name can only contain letters, digits, _ . -");
    }
    name.is_empty().then_some("name cannot be empty")
}

/// `PolicyKey.ValidateKey`, shared by both policy kinds.
pub fn validate_policy_key(key: &PolicyKey) -> Result<(), String> {
    if let Some(error) = object_name_error(text(&key.organization)) {
        return Err(format!("Invalid organization, {error}"));
    }
    if text(&key.name).is_empty() {
        return Err("Policy name cannot be empty".into());
    }
    Ok(())
}

/// `AutoScalePolicy.Validate` on the whole policy; fills in the default
/// stabilization window of a target-based policy.
fn validate(policy: &mut AutoScalePolicy) -> Result<(), String> {
    validate_policy_key(&policy.key.clone().unwrap_or_default())?;
    let n = |value: Option<u32>| value.unwrap_or(0);
    if n(policy.max_nodes) > MAX_NODES {
        return Err(format!("Max nodes cannot exceed {MAX_NODES}"));
    }
    let (up, down) = (n(policy.scale_up_cpu_thresh), n(policy.scale_down_cpu_thresh));
    let thresholds = up > 0 || down > 0;
    let connections = policy.target_active_connections.unwrap_or(0);
    let targets = n(policy.target_cpu) > 0 || n(policy.target_mem) > 0 || connections > 0;
    if thresholds && targets {
        return Err("The new target cpu/mem/active-connections can only be used once the old cpu threshold settings have been disabled (set to 0)".into());
    }
    if thresholds {
        if up > 100 {
            return Err("Scale up CPU threshold must be between 0 and 100".into());
        }
        if down > 100 {
            return Err("Scale down CPU threshold must be between 0 and 100".into());
        }
        if up <= down {
            return Err("Scale down cpu threshold must be less than scale up cpu threshold".into());
        }
    } else if !targets {
        return Err("One of target cpu or target mem or target active connections must be specified".into());
    } else {
        if n(policy.stabilization_window_sec) == 0 {
            policy.stabilization_window_sec = Some(DEFAULT_STABILIZATION_WINDOW_SEC);
        }
        if n(policy.target_cpu) > 100 {
            return Err("Target cpu must be between 0 (disabled) and 100".into());
        }
        if n(policy.target_mem) > 100 {
            return Err("Target mem must be between 0 (disabled) and 100".into());
        }
        if connections > MAX_ACTIVE_CONNECTIONS {
            return Err(format!("Target active connections must be between 0 (disabled) and {MAX_ACTIVE_CONNECTIONS}"));
        }
    }
    if n(policy.max_nodes) <= n(policy.min_nodes) {
        return Err("Max nodes must be greater than Min nodes".into());
    }
    Ok(())
}

fn policy_of(body: &RegionAutoScalePolicy) -> AutoScalePolicy {
    let mut policy = body.auto_scale_policy.clone().unwrap_or_default();
    policy.key.get_or_insert_with(Default::default);
    policy.fields = None;
    policy
}

#[async_trait::async_trait]
impl api::AutoScalePolicyApi for Mc {
    async fn create_auto_scale_policy(
        &self,
        caller: McCaller,
        request: api::CreateAutoScalePolicyRequest,
    ) -> Result<api::CreateAutoScalePolicyResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let mut policy = policy_of(&request.body);
        validate(&mut policy).map_err(McError::bad_request)?;
        let object = super::as_json(&policy);
        let txn = crate::db::begin_write(&self.db).await?;
        // The Controller stores it without a look first, so a taken key is
        // its key-value store's refusal.
        let taken = |_: &Kind, key: &str| McError::bad_request(format!("Key {key} already exists"));
        super::insert_new_or(self, &txn, &caller, &region, &AUTO_SCALE_POLICY, &object, taken).await?;
        txn.commit().await?;
        Ok(api::CreateAutoScalePolicyResponse::Ok(api::Result::default()))
    }

    async fn delete_auto_scale_policy(
        &self,
        caller: McCaller,
        request: api::DeleteAutoScalePolicyRequest,
    ) -> Result<api::DeleteAutoScalePolicyResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let object = super::as_json(&policy_of(&request.body));
        super::delete(
            self,
            &caller,
            &region,
            &AUTO_SCALE_POLICY,
            &object,
            super::refuse_being_deleted(&AUTO_SCALE_POLICY),
        )
        .await?;
        Ok(api::DeleteAutoScalePolicyResponse::Ok(api::Result::default()))
    }

    async fn update_auto_scale_policy(
        &self,
        caller: McCaller,
        request: api::UpdateAutoScalePolicyRequest,
    ) -> Result<api::UpdateAutoScalePolicyResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let sent = super::as_json(&policy_of(&request.body));
        super::modify(self, &caller, &region, &AUTO_SCALE_POLICY, &sent, "update", |stored| {
            let mut policy: AutoScalePolicy = super::from_json(super::with_sent_fields(stored, &sent))?;
            validate(&mut policy).map_err(McError::bad_request)?;
            *stored = super::as_json(&policy);
            Ok(())
        })
        .await?;
        Ok(api::UpdateAutoScalePolicyResponse::Ok(api::Result::default()))
    }

    async fn show_auto_scale_policy(
        &self,
        caller: McCaller,
        request: api::ShowAutoScalePolicyRequest,
    ) -> Result<api::ShowAutoScalePolicyResponse, McError> {
        let visible = super::visible(self, &caller, rbac::DEVELOPER_POLICY, rbac::VIEW).await?;
        let region = super::region(self, &request.body.region).await?;
        let filter = super::as_json(&request.body.auto_scale_policy.clone().unwrap_or_default());
        let objects = super::show(self, &region, &AUTO_SCALE_POLICY, &filter, &visible).await?;
        let policies = objects.into_iter().map(super::from_json::<AutoScalePolicy>).collect::<Result<_, _>>()?;
        Ok(api::ShowAutoScalePolicyResponse::Ok(Stream::lines(policies)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(min: u32, max: u32) -> AutoScalePolicy {
        AutoScalePolicy {
            key: Some(PolicyKey { organization: Some("dev".into()), name: Some("p".into()) }),
            min_nodes: Some(min),
            max_nodes: Some(max),
            ..Default::default()
        }
    }

    #[test]
    fn keys_follow_valid_obj_name() {
        let key = |org: &str, name: &str| PolicyKey { organization: Some(org.into()), name: Some(name.into()) };
        assert_eq!(validate_policy_key(&key("dev", "p")), Ok(()));
        assert_eq!(validate_policy_key(&key("", "p")), Err("Invalid organization, name cannot be empty".into()));
        assert_eq!(
            validate_policy_key(&key("dev org", "p")),
            Err("Invalid organization, name can only contain letters, digits, _ . -".into())
        );
        assert_eq!(validate_policy_key(&key("dev", "")), Err("Policy name cannot be empty".into()));
    }

    #[test]
    fn policies_are_checked_in_the_controllers_order() {
        let mut targets = policy(1, 3);
        targets.target_cpu = Some(70);
        assert_eq!(validate(&mut targets), Ok(()));
        assert_eq!(targets.stabilization_window_sec, Some(300));
        let mut none = policy(1, 3);
        assert_eq!(
            validate(&mut none),
            Err("One of target cpu or target mem or target active connections must be specified".into())
        );
        let mut both = policy(1, 3);
        both.target_cpu = Some(50);
        both.scale_up_cpu_thresh = Some(80);
        assert!(validate(&mut both).is_err_and(|e| e.starts_with("The new target")));
        let mut inverted = policy(1, 3);
        inverted.scale_up_cpu_thresh = Some(20);
        inverted.scale_down_cpu_thresh = Some(40);
        assert_eq!(
            validate(&mut inverted),
            Err("Scale down cpu threshold must be less than scale up cpu threshold".into())
        );
        let mut big = policy(1, 11);
        assert_eq!(validate(&mut big), Err("Max nodes cannot exceed 10".into()));
        let mut flat = policy(3, 3);
        flat.target_mem = Some(50);
        assert_eq!(validate(&mut flat), Err("Max nodes must be greater than Min nodes".into()));
    }
}
