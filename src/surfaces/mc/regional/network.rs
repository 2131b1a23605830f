//! Networks (`/auth/ctrl/*Network`): additional networks of a cloudlet.
//! Operators manage their cloudlets' networks (cloudlets:manage, declared
//! in the spec). Changes answer a stream the Controller never writes to:
//! an empty 200. Rules and messages are the Controller's
//! (`network_api.go`, `edgeproto.Network.Validate` in `objs.go`).

use std::net::IpAddr;

use super::super::api::{self, Network, NetworkConnectionType, RegionNetwork, Route};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::store::text;
use super::super::{Mc, rbac};
use super::cloudlet::{self, CLOUDLET};
use super::flavor::valid_name;
use super::object::{KeyForm, Kind};
use super::store;
use crate::wire::Stream;

pub const NETWORK: Kind = Kind {
    name: "Network",
    noun: "Network",
    key: "/key",
    key_form: KeyForm::Json,
    org: Some("/key/cloudlet_key/organization"),
    always: &["key"],
    in_use_by: &[],
};

/// Go's `net.ParseCIDR`: an address, `/`, a prefix length it can hold.
fn valid_cidr(text: &str) -> bool {
    let Some((address, bits)) = text.split_once('/') else { return false };
    let Ok(address) = address.parse::<IpAddr>() else { return false };
    let most = if address.is_ipv4() { 32 } else { 128 };
    !bits.is_empty() && bits.chars().all(|c| c.is_ascii_digit()) && bits.parse::<u32>().is_ok_and(|n| n <= most)
}

/// `Network.Validate`: the cloudlet's key, the name, the connection type,
/// then each route.
fn validate(network: &Network) -> Result<(), String> {
    let key = network.key.clone().unwrap_or_default();
    let cloudlet = key.cloudlet_key.clone().unwrap_or_default();
    if !valid_name(text(&cloudlet.organization)) {
        return Err(format!("Invalid cloudlet organization name {}", text(&cloudlet.organization)));
    }
    if !valid_name(text(&cloudlet.name)) {
        return Err("Invalid cloudlet name".into());
    }
    if !valid_name(text(&key.name)) {
        return Err("Invalid network name".into());
    }
    if matches!(network.connection_type, None | Some(NetworkConnectionType::Undefined)) {
        return Err("Invalid connection type".into());
    }
    for route in network.routes.iter().flatten() {
        validate_route(route)?;
    }
    Ok(())
}

fn validate_route(route: &Route) -> Result<(), String> {
    if !valid_cidr(text(&route.destination_cidr)) {
        return Err("Invalid route destination cidr".into());
    }
    if text(&route.next_hop_ip).parse::<IpAddr>().is_err() {
        return Err("Invalid next hop".into());
    }
    Ok(())
}

fn network_of(body: &RegionNetwork) -> Network {
    let mut network = body.network.clone().unwrap_or_default();
    network.key.get_or_insert_with(Default::default).cloudlet_key.get_or_insert_with(Default::default);
    network
}

/// A network as MC shows it: the key always, no routes as null.
fn shown(mut network: Network) -> Network {
    network.key.get_or_insert_with(Default::default).cloudlet_key.get_or_insert_with(Default::default);
    if network.routes.as_ref().is_some_and(Vec::is_empty) {
        network.routes = None;
    }
    network
}

#[async_trait::async_trait]
impl api::NetworkApi for Mc {
    async fn create_network(
        &self,
        caller: McCaller,
        request: api::CreateNetworkRequest,
    ) -> Result<api::CreateNetworkResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let network = network_of(&request.body);
        validate(&network).map_err(McError::bad_request)?;
        let object = super::as_json(&network);
        let txn = crate::db::begin_write(&self.db).await?;
        let key = NETWORK.key_text(&object);
        if store::find_for_update(&txn, &region, &NETWORK, &key).await?.is_some() {
            return Err(super::already_exists(&NETWORK, &key));
        }
        // The cloudlet is held while its network is added.
        let cloudlet = network.key.clone().unwrap_or_default().cloudlet_key.unwrap_or_default();
        let cloudlet_key = cloudlet::key_text(&cloudlet);
        let Some(found) = store::find_for_update(&txn, &region, &CLOUDLET, &cloudlet_key).await? else {
            return Err(super::not_found(&CLOUDLET, &cloudlet_key));
        };
        if found.object.get("delete_prepare").and_then(serde_json::Value::as_bool) == Some(true) {
            return Err(McError::bad_request(format!("Cloudlet {cloudlet_key} is being deleted")));
        }
        super::insert_new(self, &txn, &caller, &region, &NETWORK, &object).await?;
        txn.commit().await?;
        Ok(api::CreateNetworkResponse::Ok(Stream::lines(Vec::new())))
    }

    async fn delete_network(
        &self,
        caller: McCaller,
        request: api::DeleteNetworkRequest,
    ) -> Result<api::DeleteNetworkResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let object = super::as_json(&network_of(&request.body));
        super::delete(self, &caller, &region, &NETWORK, &object, |_| Ok(())).await?;
        Ok(api::DeleteNetworkResponse::Ok(Stream::lines(Vec::new())))
    }

    async fn update_network(
        &self,
        caller: McCaller,
        request: api::UpdateNetworkRequest,
    ) -> Result<api::UpdateNetworkResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let sent = network_of(&request.body);
        let key = super::as_json(&Network { key: sent.key.clone(), ..Default::default() });
        super::modify(self, &caller, &region, &NETWORK, &key, "update", move |stored| {
            let mut current: Network = super::from_json(stored.clone())?;
            if let Some(routes) = sent.routes {
                current.routes = Some(routes);
            }
            if sent.connection_type.is_some() {
                current.connection_type = sent.connection_type;
            }
            validate(&current).map_err(McError::bad_request)?;
            *stored = super::as_json(&current);
            Ok(())
        })
        .await?;
        Ok(api::UpdateNetworkResponse::Ok(Stream::lines(Vec::new())))
    }

    async fn show_network(
        &self,
        caller: McCaller,
        request: api::ShowNetworkRequest,
    ) -> Result<api::ShowNetworkResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let visible = super::visible(self, &caller, rbac::CLOUDLETS, rbac::VIEW).await?;
        let filter = super::as_json(&request.body.network.clone().unwrap_or_default());
        let objects = super::show(self, &region, &NETWORK, &filter, &visible).await?;
        let networks =
            objects.into_iter().map(|o| super::from_json::<Network>(o).map(shown)).collect::<Result<_, _>>()?;
        Ok(api::ShowNetworkResponse::Ok(Stream::lines(networks)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_read_as_go_parses_them() {
        assert!(valid_cidr("10.0.0.0/8"));
        assert!(valid_cidr("fd00::/64"));
        assert!(!valid_cidr("10.0.0.0"));
        assert!(!valid_cidr("10.0.0.0/33"));
        assert!(!valid_cidr("10.0.0.0/"));
        assert!(!valid_cidr("ten/8"));
    }
}
