//! Operator codes (`/auth/ctrl/*OperatorCode`): carrier codes mapped to
//! operator organizations. Operators manage their own (cloudlets:manage,
//! declared in the spec; creating one needs an existing operator org);
//! shows list the codes of the orgs where the caller holds cloudlets:view.
//! Rules and messages are the Controller's (`operatorcode_api.go`).

use super::super::api::{self, OperatorCode};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::{Mc, rbac};
use super::object::{KeyForm, Kind};
use crate::wire::Stream;

pub const OPERATOR_CODE: Kind = Kind {
    name: "OperatorCode",
    noun: "OperatorCode",
    key: "/code",
    key_form: KeyForm::Text,
    org: Some("/organization"),
    always: &[],
    in_use_by: &[],
};

fn code_of(body: &api::RegionOperatorCode) -> OperatorCode {
    body.operator_code.clone().unwrap_or_default()
}

#[async_trait::async_trait]
impl api::OperatorCodeApi for Mc {
    async fn create_operator_code(
        &self,
        caller: McCaller,
        request: api::CreateOperatorCodeRequest,
    ) -> Result<api::CreateOperatorCodeResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let code = code_of(&request.body);
        if code.code.as_deref().unwrap_or_default().is_empty() {
            return Err(McError::bad_request("No code specified"));
        }
        if code.organization.as_deref().unwrap_or_default().is_empty() {
            return Err(McError::bad_request("No organization specified"));
        }
        super::create(self, &caller, &region, &OPERATOR_CODE, &super::as_json(&code)).await?;
        Ok(api::CreateOperatorCodeResponse::Ok(api::Result::default()))
    }

    async fn delete_operator_code(
        &self,
        caller: McCaller,
        request: api::DeleteOperatorCodeRequest,
    ) -> Result<api::DeleteOperatorCodeResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let code = code_of(&request.body);
        // MC's Controller deletes by code alone, whatever org the caller
        // was authorized in; Steward only deletes the org's own code.
        let object = super::as_json(&code);
        let owner = OPERATOR_CODE.org_of(&object);
        super::delete(self, &caller, &region, &OPERATOR_CODE, &object, |stored| {
            match OPERATOR_CODE.org_of(stored) == owner {
                true => Ok(()),
                false => Err(super::not_found(&OPERATOR_CODE, &OPERATOR_CODE.key_text(stored))),
            }
        })
        .await?;
        Ok(api::DeleteOperatorCodeResponse::Ok(api::Result::default()))
    }

    async fn show_operator_code(
        &self,
        caller: McCaller,
        request: api::ShowOperatorCodeRequest,
    ) -> Result<api::ShowOperatorCodeResponse, McError> {
        let region = super::region(self, &request.body.region).await?;
        let visible = super::visible(self, &caller, rbac::CLOUDLETS, rbac::VIEW).await?;
        let filter = super::as_json(&code_of(&request.body));
        let objects = super::show(self, &region, &OPERATOR_CODE, &filter, &visible).await?;
        let codes = objects.into_iter().map(super::from_json::<OperatorCode>).collect::<Result<Vec<_>, _>>()?;
        Ok(api::ShowOperatorCodeResponse::Ok(Stream::lines(codes)))
    }
}
