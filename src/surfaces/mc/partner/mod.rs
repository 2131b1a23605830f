//! The federation partner API a guest calls on this MC (GSMA east-west,
//! `openapi/mc_federation.yaml`): the OAuth token endpoint (`token.rs`),
//! the federation (`federation.rs`) and zone registrations (`zones.rs`),
//! authenticated by the partner's token (`caller.rs`), answering in the
//! federation wire (`errors.rs`).

pub mod artefacts;
mod callbacks;
pub use callbacks::{is_label, parse_interface_id};
pub mod caller;
pub mod errors;
mod federation;
pub mod files;
pub mod lcm;
pub mod onboarding;
pub mod token;
mod zones;

use super::Mc;
use errors::FedError;

/// Generated from `openapi/mc_federation.yaml` by build.rs.
#[allow(clippy::large_enum_variant, clippy::too_many_arguments)]
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/mc_federation.rs"));
}

pub const SPEC_YAML: &str = include_str!("../../../../openapi/mc_federation.yaml");
pub const SPEC_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/mc_federation.json"));
/// The paths the partner API owns (the token endpoint is on MC's main address).
pub const PATH_PREFIXES: [&str; 3] =
    ["/oauth2/token", "/operatorplatform/federation/v1", "/operatorplatform/fedcallbacks/v1"];

#[async_trait::async_trait]
impl api::McFederationApi for Mc {
    async fn oauth2_token(
        &self,
        caller: token::OAuthClient,
        request: api::Oauth2TokenRequest,
    ) -> Result<api::Oauth2TokenResponse, FedError> {
        token::token(self, caller, &request.body).await.map(api::Oauth2TokenResponse::Prerendered)
    }

    async fn create_federation(
        &self,
        caller: caller::PartnerCaller,
        request: api::CreateFederationRequest,
    ) -> Result<api::CreateFederationResponse, FedError> {
        federation::create(self, &caller, request.body).await.map(api::CreateFederationResponse::Ok)
    }

    async fn get_federation_details(
        &self,
        caller: caller::PartnerCaller,
        request: api::GetFederationDetailsRequest,
    ) -> Result<api::GetFederationDetailsResponse, FedError> {
        federation::details(self, &caller, &request.federation_context_id)
            .await
            .map(api::GetFederationDetailsResponse::Ok)
    }

    async fn delete_federation_details(
        &self,
        caller: caller::PartnerCaller,
        request: api::DeleteFederationDetailsRequest,
    ) -> Result<api::DeleteFederationDetailsResponse, FedError> {
        federation::delete(self, &caller, &request.federation_context_id)
            .await
            .map(|()| api::DeleteFederationDetailsResponse::Ok)
    }

    async fn zone_subscribe(
        &self,
        caller: caller::PartnerCaller,
        request: api::ZoneSubscribeRequest,
    ) -> Result<api::ZoneSubscribeResponse, FedError> {
        zones::subscribe(self, &caller, &request.federation_context_id, request.body)
            .await
            .map(api::ZoneSubscribeResponse::Ok)
    }

    async fn get_zone_data(
        &self,
        caller: caller::PartnerCaller,
        request: api::GetZoneDataRequest,
    ) -> Result<api::GetZoneDataResponse, FedError> {
        zones::data(self, &caller, &request.federation_context_id, &request.zone_id)
            .await
            .map(api::GetZoneDataResponse::Ok)
    }

    async fn partner_status_event(
        &self,
        caller: caller::PartnerCaller,
        request: api::PartnerStatusEventRequest,
    ) -> Result<api::PartnerStatusEventResponse, FedError> {
        callbacks::partner_status_event(self, caller, request.body).await.map(|()| api::PartnerStatusEventResponse::Ok)
    }

    async fn install_app(
        &self,
        caller: caller::PartnerCaller,
        request: api::InstallAppRequest,
    ) -> Result<api::InstallAppResponse, FedError> {
        lcm::install(self, &caller, &request.federation_context_id, request.body)
            .await
            .map(api::InstallAppResponse::Prerendered)
    }

    async fn get_app_instance_details(
        &self,
        caller: caller::PartnerCaller,
        request: api::GetAppInstanceDetailsRequest,
    ) -> Result<api::GetAppInstanceDetailsResponse, FedError> {
        lcm::details(self, &caller, &request.federation_context_id, &request.app_instance_id)
            .await
            .map(api::GetAppInstanceDetailsResponse::Ok)
    }

    async fn remove_app(
        &self,
        caller: caller::PartnerCaller,
        request: api::RemoveAppRequest,
    ) -> Result<api::RemoveAppResponse, FedError> {
        lcm::remove(self, &caller, &request.federation_context_id, &request.app_instance_id)
            .await
            .map(|()| api::RemoveAppResponse::Ok)
    }

    async fn partner_instance_status_event(
        &self,
        caller: caller::PartnerCaller,
        request: api::PartnerInstanceStatusEventRequest,
    ) -> Result<api::PartnerInstanceStatusEventResponse, FedError> {
        callbacks::instance_status_event(self, caller, request.body)
            .await
            .map(|()| api::PartnerInstanceStatusEventResponse::Ok)
    }

    async fn upload_file(
        &self,
        caller: caller::PartnerCaller,
        request: api::UploadFileRequest,
    ) -> Result<api::UploadFileResponse, FedError> {
        files::upload(self, &caller, &request.federation_context_id, request.body)
            .await
            .map(|()| api::UploadFileResponse::Ok)
    }

    async fn view_file(
        &self,
        caller: caller::PartnerCaller,
        request: api::ViewFileRequest,
    ) -> Result<api::ViewFileResponse, FedError> {
        files::view(self, &caller, &request.federation_context_id, &request.file_id)
            .await
            .map(api::ViewFileResponse::Ok)
    }

    async fn remove_file(
        &self,
        caller: caller::PartnerCaller,
        request: api::RemoveFileRequest,
    ) -> Result<api::RemoveFileResponse, FedError> {
        files::remove(self, &caller, &request.federation_context_id, &request.file_id)
            .await
            .map(|()| api::RemoveFileResponse::Ok)
    }

    async fn upload_artefact(
        &self,
        caller: caller::PartnerCaller,
        request: api::UploadArtefactRequest,
    ) -> Result<api::UploadArtefactResponse, FedError> {
        artefacts::upload(self, &caller, &request.federation_context_id, request.body)
            .await
            .map(|()| api::UploadArtefactResponse::Ok)
    }

    async fn get_artefact(
        &self,
        caller: caller::PartnerCaller,
        request: api::GetArtefactRequest,
    ) -> Result<api::GetArtefactResponse, FedError> {
        artefacts::view(self, &caller, &request.federation_context_id, &request.artefact_id)
            .await
            .map(api::GetArtefactResponse::Ok)
    }

    async fn remove_artefact(
        &self,
        caller: caller::PartnerCaller,
        request: api::RemoveArtefactRequest,
    ) -> Result<api::RemoveArtefactResponse, FedError> {
        artefacts::remove(self, &caller, &request.federation_context_id, &request.artefact_id)
            .await
            .map(|()| api::RemoveArtefactResponse::Ok)
    }

    async fn onboard_application(
        &self,
        caller: caller::PartnerCaller,
        request: api::OnboardApplicationRequest,
    ) -> Result<api::OnboardApplicationResponse, FedError> {
        onboarding::onboard(self, &caller, &request.federation_context_id, request.body)
            .await
            .map(|()| api::OnboardApplicationResponse::Accepted)
    }

    async fn view_application(
        &self,
        caller: caller::PartnerCaller,
        request: api::ViewApplicationRequest,
    ) -> Result<api::ViewApplicationResponse, FedError> {
        onboarding::view(self, &caller, &request.federation_context_id, &request.app_id)
            .await
            .map(api::ViewApplicationResponse::Ok)
    }

    async fn delete_app(
        &self,
        caller: caller::PartnerCaller,
        request: api::DeleteAppRequest,
    ) -> Result<api::DeleteAppResponse, FedError> {
        onboarding::delete(self, &caller, &request.federation_context_id, &request.app_id)
            .await
            .map(|()| api::DeleteAppResponse::Ok)
    }

    async fn zone_unsubscribe(
        &self,
        caller: caller::PartnerCaller,
        request: api::ZoneUnsubscribeRequest,
    ) -> Result<api::ZoneUnsubscribeResponse, FedError> {
        zones::unsubscribe(self, &caller, &request.federation_context_id, &request.zone_id)
            .await
            .map(|()| api::ZoneUnsubscribeResponse::Ok)
    }
}
