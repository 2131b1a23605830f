//! Images developers send to a federation host (`/auth/federation/consumer/
//! image/{create,delete,show}`): MC's `CreateConsumerImage` and friends.
//! The image stays in its public repository; the host records a reference
//! (`POST {context}/files`). The row is written first (`Sending`), the host
//! is called outside any transaction, then the row is `Ready` or removed.

use reqwest::Method;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::super::api::{ConsumerImage, ConsumerImageFilter};
use super::super::caller::McCaller;
use super::super::controllers::dns_label;
use super::super::errors::McError;
use super::super::partner::files::{OS_TYPE, READY, check_image_type};
use super::super::rbac::{MANAGE, VIEW};
use super::super::store::{self, text};
use super::super::{Mc, change};
use super::guests::{self, API_ROOT};
use crate::db::entities::{mc_consumer_app, mc_consumer_image, mc_federation_consumer};

const SENDING: &str = "Sending";
pub const EXACT_DUPLICATE: &str = "Exact duplicate of image already exists";

/// What `create` did: a new image, or none for an exact duplicate of one
/// there (which onboarding reuses); each the image's ID.
pub enum Created {
    Image(String),
    Duplicate(String),
}

/// The unique key of MC's `consumerimageindex` (org and federation citext).
fn image_key(organization: &str, federation: &str, name: &str) -> String {
    format!("{}\n{}\n{name}", store::name_key(organization), store::name_key(federation))
}

/// MC's Name and Version from the path's last segment (`name:version`).
fn name_and_version(source_path: &str) -> (String, String, String) {
    let (repo, last) = source_path.rsplit_once('/').unwrap_or(("", source_path));
    let (name, version) = last.split_once(':').unwrap_or((last, "no version info"));
    (repo.to_owned(), name.to_owned(), version.to_owned())
}

/// `action` on apps in `org`, else MC's 403 (developers' image and app
/// operations).
pub(super) async fn authorized(mc: &Mc, caller: &McCaller, org: &str, action: &str) -> Result<(), McError> {
    match mc.rights(&caller.subject()).await?.allows(org, "apps", action) {
        true => Ok(()),
        false => Err(McError::forbidden()),
    }
}

/// An image to send: checked as `CreateConsumerImage` checks it.
pub struct ImageRequest {
    pub organization: String,
    pub federation_name: String,
    pub source_path: String,
    pub kind: String,
    pub checksum: String,
}

/// `CreateConsumerImage`.
pub async fn create(mc: &Mc, caller: &McCaller, body: ConsumerImage) -> Result<Created, McError> {
    for (value, missing) in [
        (&body.organization, "Missing developer organization"),
        (&body.federation_name, "Missing federation name to copy to"),
        (&body.source_path, "Missing image source path"),
        (&body.r#type, "Missing image type"),
    ] {
        if text(value).is_empty() {
            return Err(McError::bad_request(missing));
        }
    }
    authorized(mc, caller, text(&body.organization), MANAGE).await?;
    if !text(&body.id).is_empty() {
        return Err(McError::bad_request("ID cannot be specified"));
    }
    let request = ImageRequest {
        organization: text(&body.organization).to_owned(),
        federation_name: text(&body.federation_name).to_owned(),
        source_path: text(&body.source_path).to_owned(),
        kind: text(&body.r#type).to_owned(),
        checksum: text(&body.checksum).to_owned(),
    };
    send(mc, caller, request).await
}

/// `createFederatedImageObj`: the checks after authorization, the row, the host.
pub async fn send(mc: &Mc, caller: &McCaller, request: ImageRequest) -> Result<Created, McError> {
    check_image_type(&request.kind).map_err(McError::bad_request)?;
    let (repo, name, version) = name_and_version(&request.source_path);
    let guest = guests::lookup(&mc.db, None, &request.federation_name).await?;
    if store::org_by_name(&mc.db, &request.organization).await?.is_none() {
        return Err(McError::bad_request(format!("Organization {} not found", request.organization)));
    }
    if request.kind == "DOCKER" && request.source_path.contains("://") {
        return Err(McError::bad_request("docker container image path should be without scheme://"));
    }
    // No registry is reachable to read a checksum from.
    if request.checksum.is_empty() {
        return Err(McError::bad_request(format!(
            "Checksum missing, please specify md5 checksum for image {}",
            request.source_path
        )));
    }
    let key = image_key(&request.organization, &request.federation_name, &name);
    let found =
        mc_consumer_image::Entity::find().filter(mc_consumer_image::Column::ImageKey.eq(&key)).one(&mc.db).await?;
    if let Some(found) = found.filter(|found| {
        found.source_path == request.source_path && found.r#type == request.kind && found.checksum == request.checksum
    }) {
        return Ok(Created::Duplicate(found.id));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let row = mc_consumer_image::ActiveModel {
        id: Set(id.clone()),
        organization: Set(request.organization.clone()),
        federation_name: Set(guest.name.clone()),
        name: Set(name.clone()),
        image_key: Set(key),
        version: Set(version.clone()),
        source_path: Set(request.source_path.clone()),
        r#type: Set(request.kind.clone()),
        checksum: Set(request.checksum.clone()),
        status: Set(SENDING.to_owned()),
    };
    let txn = crate::db::begin_write(&mc.db).await?;
    guests::hold(&txn, &guest).await?;
    match row.insert(&txn).await {
        Ok(_) => {}
        Err(error) if crate::db::is_unique_violation(&error) => {
            return Err(McError::bad_request(format!(
                "Image with Organization {:?}, FederationName {:?}, and Name {name:?} combination already exists; please choose a different Name",
                request.organization, request.federation_name
            )));
        }
        Err(error) => return Err(error.into()),
    }
    mc.audited.record(&txn, &change(caller.username(), "create federation image", &id)).await?;
    txn.commit().await?;
    let fields = vec![
        ("fileId", id.clone()),
        ("appProviderId", dns_label(&request.organization)),
        ("fileName", name),
        ("fileVersionInfo", version),
        ("fileType", request.kind.clone()),
        ("imgOSType", os_type_json()),
        ("imgInsSetArch", "ISA_X86_64".to_owned()),
        ("checksum", request.checksum.clone()),
        ("repoType", "PUBLICREPO".to_owned()),
        ("fileRepoLocation", serde_json::json!({"repoURL": repo}).to_string()),
    ];
    let sent = match guests::client(mc, &guest).await {
        Ok(partner) => partner.post_form(&format!("{API_ROOT}/{}/files", guest.federation_context_id), fields).await,
        Err(error) => Err(error),
    };
    if let Err(error) = sent {
        mc_consumer_image::Entity::delete_by_id(id).exec(&mc.db).await?;
        return Err(error);
    }
    // The host has it: a failure to mark it only shows in its status, as
    // MC only logged it.
    let ready =
        mc_consumer_image::ActiveModel { id: Set(id.clone()), status: Set(READY.to_owned()), ..Default::default() };
    if let Err(error) = ready.update(&mc.db).await {
        tracing::warn!(surface = "mc", image = %id, %error, "marking a federation image ready failed");
    }
    Ok(Created::Image(id))
}

fn os_type_json() -> String {
    let object: serde_json::Map<String, serde_json::Value> =
        OS_TYPE.iter().map(|(key, value)| ((*key).to_owned(), serde_json::Value::from(*value))).collect();
    serde_json::Value::Object(object).to_string()
}

/// `DeleteConsumerImage`.
pub async fn delete(mc: &Mc, caller: &McCaller, body: ConsumerImage, ignore_partner: bool) -> Result<String, McError> {
    let named = [&body.organization, &body.federation_name, &body.name].iter().all(|v| !text(v).is_empty());
    if text(&body.id).is_empty() && !named {
        return Err(McError::bad_request(
            "Either ID, or the triplet of Organization, FederationName, and Name must be specified to uniquely identify the image",
        ));
    }
    let image = find(&mc.db, &body).await?.ok_or_else(|| McError::bad_request("Image not found"))?;
    authorized(mc, caller, &image.organization, MANAGE).await?;
    let guest = guests::lookup(&mc.db, None, &image.federation_name).await?;
    if let Some(app) = app_using(&mc.db, &guest, &image.id).await? {
        return Err(McError::bad_request(format!("Image in use by App {app}")));
    }
    if !ignore_partner {
        let path = format!("{API_ROOT}/{}/files/{}", guest.federation_context_id, image.id);
        // The client's own failure (its token) is answered as it is, as MC does.
        let partner = guests::client(mc, &guest).await?;
        if let Err(error) = partner.send(Method::DELETE, &path, None).await {
            // An image the host no longer has is gone already.
            if !error.message.to_lowercase().contains("not found") {
                return Err(McError::bad_request(format!("Failed to delete remote image {}", error.message)));
            }
        }
    }
    let txn = crate::db::begin_write(&mc.db).await?;
    // An app may have taken the image while the host was called.
    if let Some(app) = app_using(&txn, &guest, &image.id).await? {
        return Err(McError::bad_request(format!("Image in use by App {app}")));
    }
    mc_consumer_image::Entity::delete_by_id(image.id.clone()).exec(&txn).await?;
    mc.audited.record(&txn, &change(caller.username(), "delete federation image", &image.id)).await?;
    txn.commit().await?;
    Ok(image.id)
}

/// MC's `db.Where(&image).First`: every field given must match.
async fn find(db: &impl ConnectionTrait, body: &ConsumerImage) -> Result<Option<mc_consumer_image::Model>, McError> {
    let rows = mc_consumer_image::Entity::find().order_by_asc(mc_consumer_image::Column::Id).all(db).await?;
    Ok(rows.into_iter().find(|row| {
        super::same(&body.id, &row.id)
            && super::same_name(&body.organization, &row.organization)
            && super::same_name(&body.federation_name, &row.federation_name)
            && super::same(&body.name, &row.name)
            && super::same(&body.version, &row.version)
            && super::same(&body.source_path, &row.source_path)
            && super::same(&body.r#type, &row.r#type)
            && super::same(&body.checksum, &row.checksum)
            && super::same(&body.status, &row.status)
    }))
}

/// The onboarded app of `guest` whose images include `image_id`.
async fn app_using(
    db: &impl ConnectionTrait,
    guest: &mc_federation_consumer::Model,
    image_id: &str,
) -> Result<Option<String>, McError> {
    let apps = mc_consumer_app::Entity::find()
        .filter(mc_consumer_app::Column::FederationName.eq(&guest.name))
        .order_by_asc(mc_consumer_app::Column::Id)
        .all(db)
        .await?;
    Ok(apps.into_iter().find_map(|app| {
        let images: Vec<String> = serde_json::from_str(&app.image_ids).unwrap_or_default();
        images.iter().any(|id| id == image_id).then_some(app.id)
    }))
}

fn shown(row: mc_consumer_image::Model, full: bool) -> ConsumerImage {
    let zero = |value: String| Some(if full { value } else { String::new() });
    ConsumerImage {
        name: zero(row.name),
        version: zero(row.version),
        source_path: zero(row.source_path),
        r#type: zero(row.r#type),
        checksum: zero(row.checksum),
        status: zero(row.status),
        id: Some(row.id),
        organization: Some(row.organization),
        federation_name: Some(row.federation_name),
    }
}

/// `ShowConsumerImage`: the developer's images in full; the guest
/// operator's (apps:view on the federation's org) by ID only.
pub async fn show(
    mc: &Mc,
    caller: &McCaller,
    filter: Option<ConsumerImageFilter>,
) -> Result<Vec<ConsumerImage>, McError> {
    let filter = filter.unwrap_or_default();
    let orgs = mc.rights(&caller.subject()).await?.orgs_with("apps", VIEW);
    let sees = |org: &str| orgs.contains("") || orgs.iter().any(|allowed| allowed.eq_ignore_ascii_case(org));
    let rows = mc_consumer_image::Entity::find().order_by_asc(mc_consumer_image::Column::Id).all(&mc.db).await?;
    Ok(rows
        .into_iter()
        .filter(|row| {
            super::same(&filter.id, &row.id)
                && super::same_name(&filter.organization, &row.organization)
                && super::same_name(&filter.federation_name, &row.federation_name)
                && super::same(&filter.name, &row.name)
                && super::same(&filter.version, &row.version)
                && super::same(&filter.source_path, &row.source_path)
                && super::same(&filter.r#type, &row.r#type)
                && super::same(&filter.checksum, &row.checksum)
                && super::same(&filter.status, &row.status)
        })
        .filter_map(|row| match (sees(&row.organization), sees(&row.federation_name)) {
            (true, _) => Some(shown(row, true)),
            (false, true) => Some(shown(row, false)),
            (false, false) => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions_come_from_the_last_segment() {
        assert_eq!(
            name_and_version("registry.example.com/FedAppCo/k8sapp:1.0"),
            ("registry.example.com/FedAppCo".into(), "k8sapp".into(), "1.0".into())
        );
        assert_eq!(
            name_and_version("https://vm.example.com/org/vm.img"),
            ("https://vm.example.com/org".into(), "vm.img".into(), "no version info".into())
        );
        assert_eq!(name_and_version("pub:1.0.1"), ("".into(), "pub".into(), "1.0.1".into()));
    }

    #[test]
    fn image_keys_ignore_the_case_of_org_and_federation_only() {
        assert_eq!(image_key("FedAppCo", "Dmuus-P1", "k8sapp"), image_key("fedappco", "dmuus-p1", "k8sapp"));
        assert_ne!(image_key("a", "b", "App"), image_key("a", "b", "app"));
    }
}
