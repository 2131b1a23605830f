//! MC's federation (`/auth/federation/*`): the host's federations
//! (`hosts.rs`), zone bases (`zone_bases.rs`), shared zones (`zones.rs`)
//! and what partners pushed to them (`host_data.rs`); the guest's
//! federations and zones (`guests.rs`) and the images its developers send
//! (`guest_images.rs`), calling the host through `client.rs`. The host's
//! side of the east-west API is `super::partner` (see
//! docs/mc-federation-wire.md and docs/mc-federation-apps-wire.md).

pub(crate) mod client;
mod countries;
pub(crate) mod guest_app_insts;
mod guest_apps;
mod guest_images;
pub(crate) mod guests;
mod host_data;
pub(crate) mod hosts;
mod zone_bases;
pub(crate) mod zones;

pub use guest_apps::app_onboarded;
pub use hosts::org_in_use;

use super::caller::McCaller;
use super::errors::McError;
use super::{Mc, api, message};

/// The operator orgs whose federation objects a caller sees: those where
/// it holds cloudlets:view (MC's `newShowAuthz`), every one for admins.
struct Visible {
    orgs: std::collections::BTreeSet<String>,
}

impl Visible {
    async fn to(mc: &Mc, caller: &McCaller) -> Result<Self, McError> {
        Ok(Self { orgs: mc.rights(&caller.subject()).await?.orgs_with("cloudlets", super::rbac::VIEW) })
    }

    fn sees(&self, operator: &str) -> bool {
        self.orgs.contains("") || self.orgs.contains(operator)
    }

    /// As `sees`, for an org named by a federation's (citext) name.
    fn sees_name(&self, org: &str) -> bool {
        self.orgs.contains("") || self.orgs.iter().any(|allowed| allowed.eq_ignore_ascii_case(org))
    }
}

/// A show filter's field: unset or empty matches everything, else equal.
fn same(wanted: &Option<String>, value: &str) -> bool {
    wanted.as_deref().is_none_or(|w| w.is_empty() || w == value)
}

/// A show filter's name field: as `same`, ignoring case (MC's citext names).
fn same_name(wanted: &Option<String>, value: &str) -> bool {
    wanted.as_deref().is_none_or(|w| w.is_empty() || w.eq_ignore_ascii_case(value))
}

/// MC's `ignorepartner` query parameter: exactly `true` skips the partner.
fn ignore_partner(given: &Option<String>) -> bool {
    given.as_deref() == Some("true")
}

/// MC's `fedAuthorized`: cloudlets:manage in the operator org, which must
/// be an operator org (callers have refused an empty one in their own words).
async fn fed_authorized(mc: &Mc, caller: &McCaller, operator: &str) -> Result<(), McError> {
    if !mc.rights(&caller.subject()).await?.allows(operator, "cloudlets", super::rbac::MANAGE) {
        return Err(McError::forbidden());
    }
    mc.require_org(operator, "operator").await
}

#[async_trait::async_trait]
impl api::FederationApi for Mc {
    async fn show_federation(
        &self,
        caller: McCaller,
        request: api::ShowFederationRequest,
    ) -> Result<api::ShowFederationResponse, McError> {
        guests::show(self, &caller, request.body).await.map(api::ShowFederationResponse::Ok)
    }

    async fn create_guest_image(
        &self,
        caller: McCaller,
        request: api::CreateGuestImageRequest,
    ) -> Result<api::CreateGuestImageResponse, McError> {
        guest_images::create(self, &caller, request.body).await.map(|created| {
            api::CreateGuestImageResponse::Ok(message(&match created {
                guest_images::Created::Image(id) => format!("Image {id} created"),
                guest_images::Created::Duplicate(_) => guest_images::EXACT_DUPLICATE.to_owned(),
            }))
        })
    }

    async fn delete_guest_image(
        &self,
        caller: McCaller,
        request: api::DeleteGuestImageRequest,
    ) -> Result<api::DeleteGuestImageResponse, McError> {
        guest_images::delete(self, &caller, request.body, ignore_partner(&request.ignorepartner))
            .await
            .map(|id| api::DeleteGuestImageResponse::Ok(message(&format!("Image {id} deleted"))))
    }

    async fn onboard_guest_app(
        &self,
        caller: McCaller,
        request: api::OnboardGuestAppRequest,
    ) -> Result<api::OnboardGuestAppResponse, McError> {
        guest_apps::onboard(self, &caller, request.body).await.map(api::OnboardGuestAppResponse::Ok)
    }

    async fn deboard_guest_app(
        &self,
        caller: McCaller,
        request: api::DeboardGuestAppRequest,
    ) -> Result<api::DeboardGuestAppResponse, McError> {
        guest_apps::deboard(self, &caller, request.body, ignore_partner(&request.ignorepartner))
            .await
            .map(api::DeboardGuestAppResponse::Ok)
    }

    async fn show_guest_app(
        &self,
        caller: McCaller,
        request: api::ShowGuestAppRequest,
    ) -> Result<api::ShowGuestAppResponse, McError> {
        guest_apps::show(self, &caller, request.body).await.map(api::ShowGuestAppResponse::Ok)
    }

    async fn show_guest_image(
        &self,
        caller: McCaller,
        request: api::ShowGuestImageRequest,
    ) -> Result<api::ShowGuestImageResponse, McError> {
        guest_images::show(self, &caller, request.body).await.map(api::ShowGuestImageResponse::Ok)
    }
}

#[async_trait::async_trait]
impl api::FederationGuestApi for Mc {
    async fn create_federation_guest(
        &self,
        caller: McCaller,
        request: api::CreateFederationGuestRequest,
    ) -> Result<api::CreateFederationGuestResponse, McError> {
        guests::create(self, &caller, request.body)
            .await
            .map(|name| api::CreateFederationGuestResponse::Ok(message(&format!("Federation Guest {name} created"))))
    }

    async fn delete_federation_guest(
        &self,
        caller: McCaller,
        request: api::DeleteFederationGuestRequest,
    ) -> Result<api::DeleteFederationGuestResponse, McError> {
        guests::delete(self, &caller, request.body, ignore_partner(&request.ignorepartner))
            .await
            .map(|name| api::DeleteFederationGuestResponse::Ok(message(&format!("Federation Guest {name} deleted"))))
    }

    async fn update_federation_guest(
        &self,
        caller: McCaller,
        request: api::UpdateFederationGuestRequest,
    ) -> Result<api::UpdateFederationGuestResponse, McError> {
        guests::update(self, &caller, request.body)
            .await
            .map(|name| api::UpdateFederationGuestResponse::Ok(message(&format!("Federation Guest {name} updated"))))
    }

    async fn set_federation_guest_api_key(
        &self,
        caller: McCaller,
        request: api::SetFederationGuestApiKeyRequest,
    ) -> Result<api::SetFederationGuestApiKeyResponse, McError> {
        guests::set_api_key(self, &caller, request.body).await.map(|name| {
            api::SetFederationGuestApiKeyResponse::Ok(message(&format!("Federation Guest {name} api key set")))
        })
    }

    /// MC registered it and answered every call so.
    async fn generate_federation_guest_notify_key(
        &self,
        _caller: McCaller,
        _request: api::GenerateFederationGuestNotifyKeyRequest,
    ) -> Result<api::GenerateFederationGuestNotifyKeyResponse, McError> {
        Err(McError::bad_request("Not implemented yet"))
    }

    async fn show_guest_zone(
        &self,
        caller: McCaller,
        request: api::ShowGuestZoneRequest,
    ) -> Result<api::ShowGuestZoneResponse, McError> {
        guests::show_zones(self, &caller, request.body).await.map(api::ShowGuestZoneResponse::Ok)
    }

    async fn register_guest_zone(
        &self,
        caller: McCaller,
        request: api::RegisterGuestZoneRequest,
    ) -> Result<api::RegisterGuestZoneResponse, McError> {
        guests::register_zone_request(self, &caller, request.body)
            .await
            .map(|()| api::RegisterGuestZoneResponse::Ok(message("Partner federator zones registered successfully")))
    }

    async fn deregister_guest_zone(
        &self,
        caller: McCaller,
        request: api::DeregisterGuestZoneRequest,
    ) -> Result<api::DeregisterGuestZoneResponse, McError> {
        guests::deregister_zone_request(self, &caller, request.body, ignore_partner(&request.ignorepartner)).await.map(
            |()| api::DeregisterGuestZoneResponse::Ok(message("Partner federator zones deregistered successfully")),
        )
    }
}

#[async_trait::async_trait]
impl api::FederationHostApi for Mc {
    async fn create_federation_host(
        &self,
        caller: McCaller,
        request: api::CreateFederationHostRequest,
    ) -> Result<api::CreateFederationHostResponse, McError> {
        hosts::create(self, &caller, request.body).await.map(api::CreateFederationHostResponse::Ok)
    }

    async fn update_federation_host(
        &self,
        caller: McCaller,
        request: api::UpdateFederationHostRequest,
    ) -> Result<api::UpdateFederationHostResponse, McError> {
        hosts::update(self, &caller, request.body)
            .await
            .map(|()| api::UpdateFederationHostResponse::Ok(message("Updated Federation Host")))
    }

    async fn delete_federation_host(
        &self,
        caller: McCaller,
        request: api::DeleteFederationHostRequest,
    ) -> Result<api::DeleteFederationHostResponse, McError> {
        hosts::delete(self, &caller, request.body, ignore_partner(&request.ignorepartner))
            .await
            .map(|name| api::DeleteFederationHostResponse::Ok(message(&format!("Federation Host {name} deleted"))))
    }

    async fn show_federation_host(
        &self,
        caller: McCaller,
        request: api::ShowFederationHostRequest,
    ) -> Result<api::ShowFederationHostResponse, McError> {
        hosts::show(self, &caller, request.body).await.map(api::ShowFederationHostResponse::Ok)
    }

    async fn generate_federation_host_api_key(
        &self,
        caller: McCaller,
        request: api::GenerateFederationHostApiKeyRequest,
    ) -> Result<api::GenerateFederationHostApiKeyResponse, McError> {
        hosts::generate_api_key(self, &caller, request.body).await.map(api::GenerateFederationHostApiKeyResponse::Ok)
    }

    async fn set_federation_host_notify_key(
        &self,
        caller: McCaller,
        request: api::SetFederationHostNotifyKeyRequest,
    ) -> Result<api::SetFederationHostNotifyKeyResponse, McError> {
        hosts::set_notify_key(self, &caller, request.body).await.map(|()| api::SetFederationHostNotifyKeyResponse::Ok)
    }

    async fn share_host_zone(
        &self,
        caller: McCaller,
        request: api::ShareHostZoneRequest,
    ) -> Result<api::ShareHostZoneResponse, McError> {
        zones::share(self, &caller, request.body).await.map(|name| {
            api::ShareHostZoneResponse::Ok(message(&format!(
                "Zones shared as part of federation {name:?} successfully"
            )))
        })
    }

    async fn unshare_host_zone(
        &self,
        caller: McCaller,
        request: api::UnshareHostZoneRequest,
    ) -> Result<api::UnshareHostZoneResponse, McError> {
        zones::unshare(self, &caller, request.body, ignore_partner(&request.ignorepartner)).await.map(|name| {
            api::UnshareHostZoneResponse::Ok(message(&format!("Zones unshared from federation {name:?} successfully")))
        })
    }

    async fn show_host_zone(
        &self,
        caller: McCaller,
        request: api::ShowHostZoneRequest,
    ) -> Result<api::ShowHostZoneResponse, McError> {
        zones::show(self, &caller, request.body).await.map(api::ShowHostZoneResponse::Ok)
    }

    async fn create_host_zone_base(
        &self,
        caller: McCaller,
        request: api::CreateHostZoneBaseRequest,
    ) -> Result<api::CreateHostZoneBaseResponse, McError> {
        zone_bases::create(self, &caller, request.body)
            .await
            .map(|()| api::CreateHostZoneBaseResponse::Ok(message("Created zone successfully")))
    }

    async fn delete_host_zone_base(
        &self,
        caller: McCaller,
        request: api::DeleteHostZoneBaseRequest,
    ) -> Result<api::DeleteHostZoneBaseResponse, McError> {
        zone_bases::delete(self, &caller, request.body)
            .await
            .map(|()| api::DeleteHostZoneBaseResponse::Ok(message("Deleted federation zone successfully")))
    }

    async fn update_host_zone_base(
        &self,
        caller: McCaller,
        request: api::UpdateHostZoneBaseRequest,
    ) -> Result<api::UpdateHostZoneBaseResponse, McError> {
        zone_bases::update(self, &caller, request.body)
            .await
            .map(|()| api::UpdateHostZoneBaseResponse::Ok(message("Updated Host Zone Base")))
    }

    async fn show_host_image(
        &self,
        caller: McCaller,
        request: api::ShowHostImageRequest,
    ) -> Result<api::ShowHostImageResponse, McError> {
        host_data::show_images(self, &caller, request.body).await.map(api::ShowHostImageResponse::Ok)
    }

    async fn unsafe_delete_host_image(
        &self,
        caller: McCaller,
        request: api::UnsafeDeleteHostImageRequest,
    ) -> Result<api::UnsafeDeleteHostImageResponse, McError> {
        host_data::unsafe_delete_image(self, &caller, request.body)
            .await
            .map(|()| api::UnsafeDeleteHostImageResponse::Ok)
    }

    async fn show_host_artefact(
        &self,
        caller: McCaller,
        request: api::ShowHostArtefactRequest,
    ) -> Result<api::ShowHostArtefactResponse, McError> {
        host_data::show_artefacts(self, &caller, request.body).await.map(api::ShowHostArtefactResponse::Ok)
    }

    async fn unsafe_delete_host_artefact(
        &self,
        caller: McCaller,
        request: api::UnsafeDeleteHostArtefactRequest,
    ) -> Result<api::UnsafeDeleteHostArtefactResponse, McError> {
        host_data::unsafe_delete_artefact(self, &caller, request.body)
            .await
            .map(|()| api::UnsafeDeleteHostArtefactResponse::Ok)
    }

    async fn show_host_app(
        &self,
        caller: McCaller,
        request: api::ShowHostAppRequest,
    ) -> Result<api::ShowHostAppResponse, McError> {
        host_data::show_apps(self, &caller, request.body).await.map(api::ShowHostAppResponse::Ok)
    }

    async fn unsafe_delete_host_app(
        &self,
        caller: McCaller,
        request: api::UnsafeDeleteHostAppRequest,
    ) -> Result<api::UnsafeDeleteHostAppResponse, McError> {
        host_data::unsafe_delete_app(self, &caller, request.body).await.map(|()| api::UnsafeDeleteHostAppResponse::Ok)
    }

    async fn show_host_app_inst(
        &self,
        caller: McCaller,
        request: api::ShowHostAppInstRequest,
    ) -> Result<api::ShowHostAppInstResponse, McError> {
        host_data::show_app_insts(self, &caller, request.body).await.map(api::ShowHostAppInstResponse::Ok)
    }

    async fn unsafe_delete_host_app_inst(
        &self,
        caller: McCaller,
        request: api::UnsafeDeleteHostAppInstRequest,
    ) -> Result<api::UnsafeDeleteHostAppInstResponse, McError> {
        host_data::unsafe_delete_app_inst(self, &caller, request.body)
            .await
            .map(|()| api::UnsafeDeleteHostAppInstResponse::Ok)
    }

    async fn show_host_zone_base(
        &self,
        caller: McCaller,
        request: api::ShowHostZoneBaseRequest,
    ) -> Result<api::ShowHostZoneBaseResponse, McError> {
        zone_bases::show(self, &caller, request.body).await.map(api::ShowHostZoneBaseResponse::Ok)
    }
}
