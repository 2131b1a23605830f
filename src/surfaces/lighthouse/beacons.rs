//! Beacons (`beacons/handlers.go`, `helpers.go`): connecting one, its
//! token, listing beacons and their instances, refreshing them; and
//! aliases (`beacons/aliases`), which name beacon and instance addresses.

use poem::http::StatusCode;

use super::Lighthouse;
use super::api::*;
use super::beacon_http::Vm;
use super::errors::{self, LighthouseError};
use super::rules;
use super::session::LighthouseCaller;
use super::store::{self, Kind};

/// Between a beacon's alias and a VM's name in the instance's alias.
const INSTANCE_ALIAS_DELIM: &str = ".";

fn db(error: sea_orm::DbErr) -> LighthouseError {
    LighthouseError::db("beacons", error)
}

fn parameters() -> LighthouseError {
    LighthouseError::beacons(StatusCode::BAD_REQUEST, errors::BEACON_PARAMETERS)
}

fn forbidden() -> LighthouseError {
    LighthouseError::beacons(StatusCode::FORBIDDEN, errors::BEACON_PERMISSION)
}

fn not_found() -> LighthouseError {
    LighthouseError::beacons(StatusCode::NOT_FOUND, errors::NO_ROWS)
}

fn unreachable(reason: String) -> LighthouseError {
    LighthouseError::beacons(StatusCode::BAD_GATEWAY, reason)
}

/// Records the VMs as the beacon's instances, each aliased
/// `<beacon alias>.<vm name>`. An instance another beacon serves moves to
/// this one only for a caller who may modify that beacon (the original
/// let any beacon's listing take any instance over).
async fn record_vms(
    db: &impl sea_orm::ConnectionTrait,
    email: &str,
    beacon: &str,
    beacon_alias: &str,
    vms: &[Vm],
) -> Result<(), sea_orm::DbErr> {
    for vm in vms {
        let address = vm.instance_address();
        if let Some(known) = store::instance(db, &address).await?
            && known.beacon_address != beacon
            && store::level(db, email, Kind::Beacons, &known.beacon_address).await? < rules::MODIFY
        {
            continue;
        }
        store::upsert_instance(db, &address, &vm.name, vm.can_access_docker, beacon).await?;
        store::set_alias(db, &format!("{beacon_alias}{INSTANCE_ALIAS_DELIM}{}", vm.name), &address).await?;
    }
    Ok(())
}

pub async fn create(lighthouse: &Lighthouse, caller: &LighthouseCaller, new: NewBeacon) -> Result<(), LighthouseError> {
    let address = new.address.unwrap_or_default();
    let alias = new.alias.unwrap_or_default();
    let token = new.token.unwrap_or_default();
    if address.is_empty() || alias.is_empty() || !super::beacon_http::is_address(&address) {
        return Err(parameters());
    }
    let duplicate = || LighthouseError::beacons(StatusCode::BAD_REQUEST, errors::BEACON_DUPLICATE);
    // The original wrote the alias first, keyed by address: an address
    // already named (a beacon made here, or any aliased address) is refused
    // with the alias table's duplicate key.
    let named = || LighthouseError::beacons(StatusCode::BAD_REQUEST, errors::KEY_EXISTS);
    if store::alias_of(&lighthouse.db, &address).await.map_err(db)?.is_some() {
        return Err(named());
    }
    if store::beacon(&lighthouse.db, &address).await.map_err(db)?.is_some() {
        return Err(duplicate());
    }
    // Asked before anything is written: a beacon that does not answer is
    // not recorded (the original wrote, then removed it again).
    let vms = lighthouse.http.vms(&address, &token).await.map_err(unreachable)?;
    let sealed = lighthouse.sealer.seal(&token).map_err(|e| LighthouseError::internal("beacons", e))?;
    let txn = crate::db::begin_write(&lighthouse.db).await.map_err(db)?;
    match store::insert_beacon(&txn, &address, sealed).await {
        Err(error) if crate::db::is_unique_violation(&error) => return Err(duplicate()),
        other => other.map_err(db)?,
    }
    match store::insert_alias(&txn, &alias, &address).await {
        Err(error) if crate::db::is_unique_violation(&error) => return Err(named()),
        other => other.map_err(db)?,
    }
    record_vms(&txn, &caller.email, &address, &alias, &vms).await.map_err(db)?;
    // Only a beacon really created makes its creator the owner (the
    // original granted ownership before checking, so a failed create of
    // someone else's beacon handed it over).
    store::set_level(&txn, &caller.email, Kind::Beacons, &address, rules::OWNER).await.map_err(db)?;
    store::audit(&txn, &caller.email, "createBeacon", &address).await.map_err(db)?;
    txn.commit().await.map_err(db)
}

/// The address an alias names, or the text itself (`getAddressOf`).
async fn resolve(lighthouse: &Lighthouse, name: &str) -> Result<String, LighthouseError> {
    Ok(store::address_of(&lighthouse.db, name).await.map_err(db)?.unwrap_or_else(|| name.to_owned()))
}

pub async fn update_token(
    lighthouse: &Lighthouse,
    caller: &LighthouseCaller,
    beacon: &str,
    token: crate::wire::Deferred<String>,
) -> Result<(), LighthouseError> {
    if beacon.is_empty() {
        return Err(parameters());
    }
    let address = resolve(lighthouse, beacon).await?;
    let held = store::level(&lighthouse.db, &caller.email, Kind::Beacons, &address).await.map_err(db)?;
    if held < rules::MODIFY {
        return Err(forbidden());
    }
    // Read only now, as the original reads it: a 403 comes first.
    let token = token.map_err(|_| parameters())?;
    let sealed = lighthouse.sealer.seal(&token).map_err(|e| LighthouseError::internal("beacons", e))?;
    let txn = crate::db::begin_write(&lighthouse.db).await.map_err(db)?;
    if !store::set_beacon_token(&txn, &address, sealed).await.map_err(db)? {
        return Err(LighthouseError::beacons(StatusCode::BAD_REQUEST, errors::NO_UPDATE));
    }
    store::audit(&txn, &caller.email, "updateBeaconToken", &address).await.map_err(db)?;
    txn.commit().await.map_err(db)
}

pub async fn list(lighthouse: &Lighthouse, caller: &LighthouseCaller) -> Result<BeaconList, LighthouseError> {
    let held = store::levels(&lighthouse.db, &caller.email, Kind::Beacons).await.map_err(db)?;
    let mut out = Vec::new();
    for beacon in store::beacons(&lighthouse.db).await.map_err(db)? {
        if rules::level_on(&held, &beacon.address) >= rules::ACCESS {
            let alias = store::alias_of(&lighthouse.db, &beacon.address).await.map_err(db)?.unwrap_or_default();
            out.push(Beacon { alias, address: beacon.address });
        }
    }
    Ok(out)
}

/// The beacon's VMs, recorded (`refreshVMListOf`) with `email`'s rights.
async fn refresh_vms(lighthouse: &Lighthouse, email: &str, address: &str, sealed: &str) -> Result<(), LighthouseError> {
    let token = lighthouse.sealer.open(sealed).map_err(|e| LighthouseError::internal("beacons", e))?;
    let vms = lighthouse.http.vms(address, &token).await.map_err(unreachable)?;
    let txn = crate::db::begin_write(&lighthouse.db).await.map_err(db)?;
    let alias = store::alias_of(&txn, address).await.map_err(db)?.unwrap_or_default();
    record_vms(&txn, email, address, &alias, &vms).await.map_err(db)?;
    txn.commit().await.map_err(db)
}

pub async fn instances(
    lighthouse: &Lighthouse,
    caller: &LighthouseCaller,
    beacon: &str,
    refresh: bool,
) -> Result<InstanceList, LighthouseError> {
    let held = store::level(&lighthouse.db, &caller.email, Kind::Beacons, beacon).await.map_err(db)?;
    if held < rules::ACCESS {
        return Ok(Vec::new());
    }
    let row = store::beacon(&lighthouse.db, beacon).await.map_err(db)?.ok_or_else(not_found)?;
    if refresh {
        // As the original: a beacon that does not answer leaves the list as it was.
        if let Err(error) = refresh_vms(lighthouse, &caller.email, &row.address, &row.token_sealed).await {
            tracing::info!(beacon = %row.address, reason = %error.message, "beacon refresh failed");
        }
    }
    let mut out = Vec::new();
    for instance in store::instances_of(&lighthouse.db, &row.address).await.map_err(db)? {
        let alias = store::alias_of(&lighthouse.db, &instance.instance_address).await.map_err(db)?.unwrap_or_default();
        out.push(Instance {
            alias,
            beacon_address: instance.beacon_address,
            can_access_docker: instance.can_access_docker,
            instance_address: instance.instance_address,
            name: instance.name,
        });
    }
    Ok(out)
}

pub async fn refresh(lighthouse: &Lighthouse, caller: &LighthouseCaller, beacon: &str) -> Result<(), LighthouseError> {
    let row = store::beacon(&lighthouse.db, beacon).await.map_err(db)?.ok_or_else(not_found)?;
    let held = store::level(&lighthouse.db, &caller.email, Kind::Beacons, &row.address).await.map_err(db)?;
    if held < rules::ACCESS {
        return Err(forbidden());
    }
    refresh_vms(lighthouse, &caller.email, &row.address, &row.token_sealed).await
}

pub async fn update_alias(
    lighthouse: &Lighthouse,
    caller: &LighthouseCaller,
    address: &str,
    alias: String,
) -> Result<(), LighthouseError> {
    if alias.is_empty() {
        return Err(LighthouseError::new(StatusCode::BAD_REQUEST, "aliases", "aliases: the alias must not be empty"));
    }
    let adb = |e| LighthouseError::db("aliases", e);
    // A beacon's or an instance's name is its beacon's to change.
    let beacon = match store::beacon(&lighthouse.db, address).await.map_err(adb)? {
        Some(beacon) => Some(beacon.address),
        None => store::instance(&lighthouse.db, address).await.map_err(adb)?.map(|i| i.beacon_address),
    };
    if let Some(beacon) = &beacon {
        let held = store::level(&lighthouse.db, &caller.email, Kind::Beacons, beacon).await.map_err(adb)?;
        if held < rules::MODIFY {
            return Err(LighthouseError::new(StatusCode::FORBIDDEN, "aliases", errors::BEACON_PERMISSION));
        }
    }
    let txn = crate::db::begin_write(&lighthouse.db).await.map_err(adb)?;
    store::set_alias(&txn, &alias, address).await.map_err(adb)?;
    store::audit(&txn, &caller.email, "updateAlias", address).await.map_err(adb)?;
    txn.commit().await.map_err(adb)
}
