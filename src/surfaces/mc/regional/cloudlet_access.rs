//! A cloudlet's CRM access keys and manifest (`GenerateAccessKey`,
//! `RevokeAccessKey`, `GetCloudletManifest`), as the Controller keeps
//! them: the public half on the cloudlet, the private half answered once
//! and never stored. See docs/mc-regional-wire-cloudlet-aux.md.

use super::super::Mc;
use super::super::api::{self, Cloudlet, CloudletKey};
use super::super::caller::McCaller;
use super::super::errors::McError;
use super::super::store::text;
use super::access_key::{self, KeyPair};
use super::cloudlet::{CLOUDLET, DEFAULT_PLATFORM_FLAVOR};
use super::flavor::FLAVOR;
use super::store::{self, Listing};

fn new_pair() -> Result<KeyPair, McError> {
    access_key::generate().map_err(|e| McError::internal("No randomness for an access key", e.to_string()))
}

fn cloudlet_key_object(key: Option<CloudletKey>) -> serde_json::Value {
    super::as_json(&Cloudlet { key: Some(key.unwrap_or_default()), ..Default::default() })
}

/// The public halves a new cloudlet holds (`createCloudletInternal`):
/// none for restricted access, whose CRM gets its key from the manifest.
pub fn keys_for_new(cloudlet: &mut Cloudlet) -> Result<(), McError> {
    if cloudlet.infra_api_access == Some(api::InfraApiAccess::RestrictedAccess) {
        return Ok(());
    }
    cloudlet.crm_access_public_key = Some(new_pair()?.public_pem);
    cloudlet.crm_access_key_upgrade_required = Some(true);
    if cloudlet.platform_high_availability == Some(true) {
        cloudlet.secondary_crm_access_public_key = Some(new_pair()?.public_pem);
        cloudlet.secondary_crm_access_key_upgrade_required = Some(true);
    }
    Ok(())
}

/// A new key pair for the cloudlet; the answer is its private half.
pub async fn generate_access_key(mc: &Mc, caller: &McCaller, body: api::RegionCloudletKey) -> Result<String, McError> {
    let region = super::region(mc, &body.region).await?;
    let pair = new_pair()?;
    let key = cloudlet_key_object(body.cloudlet_key);
    super::modify(mc, caller, &region, &CLOUDLET, &key, "generate an access key for", |stored| {
        let mut cloudlet: Cloudlet = super::from_json(stored.clone())?;
        cloudlet.crm_access_public_key = Some(pair.public_pem.clone());
        cloudlet.crm_access_key_upgrade_required = None;
        *stored = super::as_json(&cloudlet);
        Ok(())
    })
    .await?;
    Ok(pair.private_pem)
}

pub async fn revoke_access_key(mc: &Mc, caller: &McCaller, body: api::RegionCloudletKey) -> Result<(), McError> {
    let region = super::region(mc, &body.region).await?;
    let key = cloudlet_key_object(body.cloudlet_key);
    super::modify(mc, caller, &region, &CLOUDLET, &key, "revoke the access key of", |stored| {
        let mut cloudlet: Cloudlet = super::from_json(stored.clone())?;
        cloudlet.crm_access_public_key = None;
        *stored = super::as_json(&cloudlet);
        Ok(())
    })
    .await
}

const KEY_REGISTERED: &str = "Cloudlet has access key registered, please revoke the current access key first so a new one can be generated for the manifest";

/// The fake platform's manifest, with a new key the cloudlet then holds.
pub async fn cloudlet_manifest(
    mc: &Mc,
    caller: &McCaller,
    body: api::RegionCloudletKey,
) -> Result<api::CloudletManifest, McError> {
    let region = super::region(mc, &body.region).await?;
    let key = cloudlet_key_object(body.cloudlet_key);
    let key_text = CLOUDLET.key_text(&key);
    let found = store::list(&mc.db, &region, &CLOUDLET, Listing { key: Some(&key_text), ..Default::default() }).await?;
    let Some(row) = found.into_iter().next() else { return Err(super::not_found(&CLOUDLET, &key_text)) };
    let cloudlet: Cloudlet = super::from_json(row.object)?;
    let flavor = text(&cloudlet.flavor.as_ref().and_then(|f| f.name.clone())).to_owned();
    if !flavor.is_empty() && flavor != DEFAULT_PLATFORM_FLAVOR {
        let flavor_key = FLAVOR.key_text(&serde_json::json!({"key": {"name": flavor}}));
        let listing = Listing { key: Some(&flavor_key), ..Default::default() };
        if store::list(&mc.db, &region, &FLAVOR, listing).await?.is_empty() {
            return Err(super::not_found(&FLAVOR, &flavor_key));
        }
    }
    let pair = new_pair()?;
    let secondary = match cloudlet.platform_high_availability == Some(true) {
        true => Some(new_pair()?.public_pem),
        false => None,
    };
    super::modify(mc, caller, &region, &CLOUDLET, &key, "make the manifest of", |stored| {
        let mut cloudlet: Cloudlet = super::from_json(stored.clone())?;
        if !text(&cloudlet.crm_access_public_key).is_empty()
            || !text(&cloudlet.secondary_crm_access_public_key).is_empty()
        {
            return Err(McError::bad_request(KEY_REGISTERED));
        }
        cloudlet.crm_access_public_key = Some(pair.public_pem.clone());
        cloudlet.crm_access_key_upgrade_required = Some(true);
        if let Some(public) = secondary {
            cloudlet.secondary_crm_access_public_key = Some(public);
            cloudlet.secondary_crm_access_key_upgrade_required = Some(true);
        }
        *stored = super::as_json(&cloudlet);
        Ok(())
    })
    .await?;
    Ok(api::CloudletManifest { manifest: Some(format!("fake manifest\n{}", pair.private_pem)) })
}
