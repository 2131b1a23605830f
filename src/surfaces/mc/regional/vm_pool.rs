//! VM pools (`/auth/ctrl/*VMPool*`): an operator's own virtual machines,
//! which VM-pool cloudlets draw on. Operators manage their org's pools
//! (cloudlets:manage) and see them with cloudletanalytics:view, both
//! declared in the spec. Rules and messages are the Controller's
//! (`vmpool_api.go`, `edgeproto.VMPool.Validate` in `objs.go`); no cloudlet
//! uses a pool yet, so every change is the Controller's own (no CRM round
//! trip).

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde_json::Value;

use super::super::api::{self, CrmOverride, RegionVmPool, TrackedState, Vm, VmPool, VmPoolKey, VmState};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::store::text;
use super::super::{Mc, rbac};
use super::flavor::valid_name;
use super::object::{KeyForm, Kind};
use crate::wire::Stream;

pub const VM_POOL: Kind = Kind {
    name: "VMPool",
    noun: "VMPool",
    key: "/key",
    key_form: KeyForm::Json,
    org: Some("/key/organization"),
    always: &["key"],
    in_use_by: &[],
};

/// Addresses MC refuses for a VM.
const UNUSABLE_ADDRESSES: [&str; 2] = ["0.0.0.0", "127.0.0.1"];

/// `VMPoolKey.ValidateKey`.
fn validate_key(key: &Option<VmPoolKey>) -> Result<(), String> {
    let key = key.clone().unwrap_or_default();
    if !valid_name(text(&key.organization)) {
        return Err("Invalid organization name".into());
    }
    if !valid_name(text(&key.name)) {
        return Err("Invalid VM pool name".into());
    }
    Ok(())
}

/// `VM.ValidateName`.
fn validate_vm_name(vm: &Vm) -> Result<(), String> {
    match text(&vm.name) {
        "" => Err("Missing VM name".into()),
        name if !valid_name(name) => Err("Invalid VM name".into()),
        _ => Ok(()),
    }
}

fn usable_address(address: &str) -> bool {
    address.parse::<IpAddr>().is_ok() && !UNUSABLE_ADDRESSES.contains(&address)
}

/// `VM.Validate`. (For an unusable internal address MC names the external
/// one: reproduced.)
fn validate_vm(vm: &Vm) -> Result<(), String> {
    validate_vm_name(vm)?;
    let net = vm.net_info.clone().unwrap_or_default();
    let (external, internal) = (text(&net.external_ip), text(&net.internal_ip));
    if !external.is_empty() && !usable_address(external) {
        return Err(format!("Invalid Address: {external}"));
    }
    if internal.is_empty() {
        return Err(format!("Missing internal IP for VM: {}", text(&vm.name)));
    }
    if internal.parse::<IpAddr>().is_err() {
        return Err(format!("Invalid Address: {internal}"));
    }
    if UNUSABLE_ADDRESSES.contains(&internal) {
        return Err(format!("Invalid Address: {external}"));
    }
    Ok(())
}

/// `VMPool.Validate`: the key, then each VM in order (itself, its
/// addresses unique in the pool, its state).
fn validate_pool(pool: &VmPool) -> Result<(), String> {
    validate_key(&pool.key)?;
    let (mut externals, mut internals) = (BTreeSet::new(), BTreeSet::new());
    for vm in pool.vms.iter().flatten() {
        validate_vm(vm)?;
        let net = vm.net_info.clone().unwrap_or_default();
        let (external, internal) = (text(&net.external_ip).to_owned(), text(&net.internal_ip).to_owned());
        if !external.is_empty() && !externals.insert(external.clone()) {
            return Err(format!("VM with same external IP {external} already exists"));
        }
        if !internal.is_empty() && !internals.insert(internal.clone()) {
            return Err(format!("VM with same internal IP {internal} already exists"));
        }
        if !matches!(vm.state, None | Some(VmState::Free) | Some(VmState::ForceFree)) {
            return Err("Invalid VM state, only VmForceFree state is allowed".into());
        }
    }
    Ok(())
}

fn pool_of(body: &RegionVmPool) -> VmPool {
    let mut pool = body.vm_pool.clone().unwrap_or_default();
    pool.key.get_or_insert_with(Default::default);
    pool
}

/// A pool as MC shows it: the key, each VM's addresses and time always
/// written, an empty VM list as null.
fn shown(mut pool: VmPool) -> VmPool {
    pool.key.get_or_insert_with(Default::default);
    if pool.vms.as_ref().is_some_and(Vec::is_empty) {
        pool.vms = None;
    }
    for vm in pool.vms.iter_mut().flatten() {
        vm.net_info.get_or_insert_with(Default::default);
        vm.updated_at.get_or_insert_with(Default::default);
    }
    pool
}

/// The fields an update names (MC's field list, from the keys sent), and
/// MC's refusals of it, in its order.
fn check_update_fields(pool: &VmPool) -> Result<(), McError> {
    let sent = super::as_json(pool);
    // Fields given (a nullable list is written as null when absent).
    let named: Vec<&String> = sent
        .as_object()
        .map(|fields| fields.iter().filter(|(_, value)| !value.is_null()).map(|(name, _)| name).collect())
        .unwrap_or_default();
    if named.is_empty() {
        return Err(McError::bad_request("Nothing specified to update"));
    }
    let fixed: Vec<&str> = [("state", "State"), ("errors", "Errors")]
        .into_iter()
        .filter(|(wire, _)| named.iter().any(|name| name == wire))
        .map(|(_, go)| go)
        .collect();
    if !fixed.is_empty() {
        return Err(McError::bad_request(format!("Specified field(s) {} cannot be modified", fixed.join(","))));
    }
    Ok(())
}

/// Every VM in `ForceFree` becomes `Free`; whether any did.
fn free_forced(pool: &mut VmPool) -> bool {
    let mut changed = false;
    for vm in pool.vms.iter_mut().flatten() {
        if vm.state == Some(VmState::ForceFree) {
            vm.state = None;
            changed = true;
        }
    }
    changed
}

fn ignores_transient_state(over: Option<CrmOverride>) -> bool {
    matches!(over, Some(CrmOverride::IgnoreTransientState | CrmOverride::IgnoreCrmAndTransientState))
}

/// Reads the stored pool, applies `change`, and keeps the result (its
/// state `Ready`) when `change` says something changed.
async fn change_pool(
    mc: &Mc,
    caller: &McCaller,
    region: &str,
    key: &Value,
    action: &str,
    change: impl FnOnce(&mut VmPool) -> Result<bool, McError> + Send,
) -> Result<(), McError> {
    super::modify(mc, caller, region, &VM_POOL, key, action, |stored| {
        let mut pool: VmPool = super::from_json(stored.clone())?;
        if change(&mut pool)? {
            pool.state = Some(TrackedState::Ready);
            *stored = super::as_json(&pool);
        }
        Ok(())
    })
    .await
}

#[async_trait::async_trait]
impl api::VmPoolApi for Mc {
    async fn create_vm_pool(
        &self,
        caller: McCaller,
        request: api::CreateVmPoolRequest,
    ) -> Result<api::CreateVmPoolResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let pool = pool_of(&request.body);
        validate_pool(&pool).map_err(McError::bad_request)?;
        super::create(self, &caller, &region, &VM_POOL, &super::as_json(&pool)).await?;
        Ok(api::CreateVmPoolResponse::Ok(api::Result::default()))
    }

    async fn delete_vm_pool(
        &self,
        caller: McCaller,
        request: api::DeleteVmPoolRequest,
    ) -> Result<api::DeleteVmPoolResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let pool = pool_of(&request.body);
        let ignore_transient = ignores_transient_state(pool.crm_override);
        let object = super::as_json(&pool);
        super::delete(self, &caller, &region, &VM_POOL, &object, |stored| {
            match !ignore_transient && stored.get("delete_prepare").and_then(Value::as_bool) == Some(true) {
                true => Err(McError::bad_request(format!("VMPool {} is being deleted", VM_POOL.key_text(stored)))),
                false => Ok(()),
            }
        })
        .await?;
        Ok(api::DeleteVmPoolResponse::Ok(api::Result::default()))
    }

    async fn update_vm_pool(
        &self,
        caller: McCaller,
        request: api::UpdateVmPoolRequest,
    ) -> Result<api::UpdateVmPoolResponse, McError> {
        // A body without `VMPool` was refused by the generated route.
        let sent = request.body.vm_pool.clone().unwrap_or_default();
        let region = super::region(self, &request.body.region).await?;
        check_update_fields(&sent)?;
        let mut pool = sent.clone();
        pool.key.get_or_insert_with(Default::default);
        validate_pool(&pool).map_err(McError::bad_request)?;
        change_pool(self, &caller, &region, &super::as_json(&pool), "update", move |current| {
            let before = super::as_json(current);
            if let Some(vms) = sent.vms {
                current.vms = Some(vms);
            }
            if sent.crm_override.is_some() {
                current.crm_override = sent.crm_override;
            }
            if sent.delete_prepare.is_some() {
                current.delete_prepare = sent.delete_prepare;
            }
            validate_pool(current).map_err(McError::bad_request)?;
            let forced = free_forced(current);
            Ok(forced || super::as_json(current) != before)
        })
        .await?;
        Ok(api::UpdateVmPoolResponse::Ok(api::Result::default()))
    }

    async fn show_vm_pool(
        &self,
        caller: McCaller,
        request: api::ShowVmPoolRequest,
    ) -> Result<api::ShowVmPoolResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let visible = super::visible(self, &caller, rbac::CLOUDLET_ANALYTICS, rbac::VIEW).await?;
        let filter = super::as_json(&request.body.vm_pool.clone().unwrap_or_default());
        let objects = super::show(self, &region, &VM_POOL, &filter, &visible).await?;
        let pools = objects
            .into_iter()
            .map(|object| super::from_json::<VmPool>(object).map(shown))
            .collect::<Result<_, _>>()?;
        Ok(api::ShowVmPoolResponse::Ok(Stream::lines(pools)))
    }

    async fn add_vm_pool_member(
        &self,
        caller: McCaller,
        request: api::AddVmPoolMemberRequest,
    ) -> Result<api::AddVmPoolMemberResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let member = request.body.vm_pool_member.clone().unwrap_or_default();
        validate_key(&member.key).map_err(McError::bad_request)?;
        let vm = member.vm.clone().unwrap_or_default();
        validate_vm(&vm).map_err(McError::bad_request)?;
        let key = super::as_json(&VmPool {
            key: member.key.clone().or_else(|| Some(Default::default())),
            ..Default::default()
        });
        change_pool(self, &caller, &region, &key, "add a VM to", move |current| {
            let new = vm.net_info.clone().unwrap_or_default();
            for existing in current.vms.iter().flatten() {
                if existing.name == vm.name {
                    return Err(McError::bad_request("VM with same name already exists as part of VM pool"));
                }
                let old = existing.net_info.clone().unwrap_or_default();
                if !text(&old.external_ip).is_empty() && old.external_ip == new.external_ip {
                    return Err(McError::bad_request("VM with same external IP already exists as part of VM pool"));
                }
                if !text(&old.internal_ip).is_empty() && old.internal_ip == new.internal_ip {
                    return Err(McError::bad_request("VM with same internal IP already exists as part of VM pool"));
                }
            }
            current.vms.get_or_insert_with(Vec::new).push(vm);
            Ok(true)
        })
        .await?;
        Ok(api::AddVmPoolMemberResponse::Ok(api::Result::default()))
    }

    async fn remove_vm_pool_member(
        &self,
        caller: McCaller,
        request: api::RemoveVmPoolMemberRequest,
    ) -> Result<api::RemoveVmPoolMemberResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let member = request.body.vm_pool_member.clone().unwrap_or_default();
        validate_key(&member.key).map_err(McError::bad_request)?;
        let name = member.vm.clone().unwrap_or_default().name;
        validate_vm_name(&Vm { name: name.clone(), ..Default::default() }).map_err(McError::bad_request)?;
        let key = super::as_json(&VmPool { key: member.key.clone(), ..Default::default() });
        change_pool(self, &caller, &region, &key, "remove a VM from", move |current| {
            let Some(vms) = current.vms.as_mut() else { return Ok(false) };
            match vms.iter().position(|vm| vm.name == name) {
                Some(index) => {
                    vms.remove(index);
                    Ok(true)
                }
                None => Ok(false),
            }
        })
        .await?;
        Ok(api::RemoveVmPoolMemberResponse::Ok(api::Result::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::NetInfo;

    fn vm(name: &str, external: &str, internal: &str) -> Vm {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Vm {
            name: some(name),
            net_info: Some(NetInfo { external_ip: some(external), internal_ip: some(internal) }),
            ..Default::default()
        }
    }

    #[test]
    fn vms_are_checked_as_mc_checks_them() {
        assert_eq!(validate_vm(&vm("", "", "10.0.0.1")), Err("Missing VM name".into()));
        assert_eq!(validate_vm(&vm("a/b", "", "10.0.0.1")), Err("Invalid VM name".into()));
        assert_eq!(validate_vm(&vm("v", "300.1.1.1", "10.0.0.1")), Err("Invalid Address: 300.1.1.1".into()));
        assert_eq!(validate_vm(&vm("v", "127.0.0.1", "10.0.0.1")), Err("Invalid Address: 127.0.0.1".into()));
        assert_eq!(validate_vm(&vm("v", "", "")), Err("Missing internal IP for VM: v".into()));
        assert_eq!(validate_vm(&vm("v", "", "ten")), Err("Invalid Address: ten".into()));
        // MC names the external address for an unusable internal one.
        assert_eq!(validate_vm(&vm("v", "192.0.2.1", "0.0.0.0")), Err("Invalid Address: 192.0.2.1".into()));
        assert_eq!(validate_vm(&vm("v", "", "::1")), Ok(()));
    }

    #[test]
    fn pools_refuse_shared_addresses_and_busy_vms() {
        let key = Some(VmPoolKey { organization: Some("tmus".into()), name: Some("p".into()) });
        let pool = |vms: Vec<Vm>| VmPool { key: key.clone(), vms: Some(vms), ..Default::default() };
        assert_eq!(
            validate_pool(&pool(vec![vm("a", "", "10.0.0.1"), vm("b", "", "10.0.0.1")])),
            Err("VM with same internal IP 10.0.0.1 already exists".into())
        );
        let mut busy = vm("a", "", "10.0.0.1");
        busy.state = Some(VmState::InUse);
        assert_eq!(validate_pool(&pool(vec![busy])), Err("Invalid VM state, only VmForceFree state is allowed".into()));
        assert_eq!(
            validate_pool(&VmPool { key: Some(VmPoolKey::default()), ..Default::default() }),
            Err("Invalid organization name".into())
        );
    }
}
