//! Images a partner uploads to a host (`{federationContextId}/files`):
//! MC's `UploadFile`, `ViewFile` and `RemoveFile`, checked in the GSMA
//! model's order. An image in a public repository is kept as a reference,
//! as MC keeps it; copying one into a registry of this platform's is not
//! served (there is none).

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;

use super::super::Mc;
use super::api::{FileDetails, ImageOsType};
use super::caller::PartnerCaller;
use super::errors::FedError;
use super::federation::lookup_provider;
use super::is_label;
use crate::db::entities::{mc_federation_provider, mc_provider_artefact, mc_provider_image};
use crate::wire::MultipartParts;

/// GSMA's `VirtImageType`, in the order MC's refusal lists them.
pub const IMAGE_TYPES: [&str; 3] = ["QCOW2", "DOCKER", "OVA"];
pub const READY: &str = "Ready";
const PUBLIC_REPO: &str = "PUBLICREPO";
const LABEL_FORMAT: &str = "^[a-z0-9]([-a-z0-9]{0,62}[a-z0-9])?$";
const NAME_FORMAT: &str = r"^[A-Za-z0-9_][A-Za-z0-9_\.-]{0,127}$";
/// The OS type MC sends and answers for every image.
pub const OS_TYPE: [(&str, &str); 4] =
    [("architecture", "x86_64"), ("distribution", "OTHER"), ("license", "NOT_SPECIFIED"), ("version", "OTHER")];
const ISA_X86_64: &str = "ISA_X86_64";

/// `CheckFileType`.
pub fn check_image_type(kind: &str) -> Result<(), String> {
    match IMAGE_TYPES.contains(&kind) {
        true => Ok(()),
        false => Err(format!("Image type {kind:?} not supported, must be one of {}", IMAGE_TYPES.join(", "))),
    }
}

/// `^[A-Za-z0-9_][A-Za-z0-9_\.-]{0,127}$`, which image and artefact names follow.
pub fn is_file_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let first = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    (1..=128).contains(&bytes.len())
        && bytes.first().is_some_and(first)
        && bytes.iter().all(|b| first(b) || *b == b'.' || *b == b'-')
}

/// A required GSMA label field: `<field> is required`, or its format.
pub fn check_label(field: &str, value: &str) -> Result<(), FedError> {
    if value.is_empty() {
        return Err(FedError::bad_request(format!("{field} is required")));
    }
    if !is_label(value) {
        return Err(FedError::bad_request(format!("{field} {value} does not match format {LABEL_FORMAT}")));
    }
    Ok(())
}

/// A required GSMA name field (`fileName`, `artefactName`).
pub fn check_name(field: &str, value: &str) -> Result<(), FedError> {
    if value.is_empty() {
        return Err(FedError::bad_request(format!("{field} is required")));
    }
    if !is_file_name(value) {
        return Err(FedError::bad_request(format!("{field} {value} does not match format {NAME_FORMAT}")));
    }
    Ok(())
}

/// Go's `json.Unmarshal` refusal of `text` (syntax errors as Go words them).
pub fn go_unmarshal_error(text: &str, error: &serde_json::Error) -> String {
    let syntax = super::super::body::syntax_error(text.as_bytes(), error);
    match syntax.split_once(", ") {
        Some((_, go)) if error.is_syntax() || error.is_eof() => go.to_owned(),
        _ => format!("json: cannot unmarshal into Go value: {error}"),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RepoLocation {
    #[serde(rename = "repoURL", default)]
    repo_url: Option<String>,
    #[serde(default)]
    user_name: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    token: Option<String>,
}

#[derive(Deserialize, Default)]
struct OsType {
    architecture: Option<String>,
    distribution: Option<String>,
    version: Option<String>,
    license: Option<String>,
}

/// `OSType.Validate`: each field required and one of GSMA's values.
fn check_os_type(os: &OsType) -> Result<(), FedError> {
    let fields: [(&str, &Option<String>, &[&str]); 4] = [
        ("architecture", &os.architecture, &["x86_64", "x86"]),
        ("distribution", &os.distribution, &["RHEL", "UBUNTU", "COREOS", "FEDORA", "WINDOWS", "OTHER"]),
        (
            "version",
            &os.version,
            &[
                "OS_VERSION_UBUNTU_2204_LTS",
                "OS_VERSION_RHEL_8",
                "OS_VERSION_RHEL_7",
                "OS_VERSION_DEBIAN_11",
                "OS_VERSION_COREOS_STABLE",
                "OS_MS_WINDOWS_2012_R2",
                "OTHER",
            ],
        ),
        ("license", &os.license, &["OS_LICENSE_TYPE_FREE", "OS_LICENSE_TYPE_ON_DEMAND", "NOT_SPECIFIED"]),
    ];
    for (field, value, allowed) in fields {
        let value = value.as_deref().unwrap_or("");
        if value.is_empty() {
            return Err(FedError::bad_request(format!("{field} is required")));
        }
        if !allowed.contains(&value) {
            return Err(FedError::bad_request(format!("OSType {field} value {value:?} is not a valid enum value")));
        }
    }
    Ok(())
}

fn decode<'a, T: Deserialize<'a>>(field: &str, text: &'a str) -> Result<T, FedError> {
    serde_json::from_str(text).map_err(|e| {
        FedError::bad_request(format!("failed to json unmarshal {field}: {}", go_unmarshal_error(text, &e)))
    })
}

/// `UploadFile`.
pub async fn upload(mc: &Mc, caller: &PartnerCaller, context_id: &str, form: MultipartParts) -> Result<(), FedError> {
    let provider = lookup_provider(&mc.db, caller, context_id, false).await?;
    let file_type = form.value("fileType");
    if file_type.is_empty() {
        return Err(FedError::bad_request("fileType is required"));
    }
    check_image_type(file_type).map_err(FedError::bad_request)?;
    if form.has_file("file") {
        return Err(FedError::bad_request("inline file upload not supported yet, use repolocation instead"));
    }
    let location_text = form.value("fileRepoLocation");
    if location_text.is_empty() {
        return Err(FedError::bad_request("fileRepoLocation must be specified, inline upload not supported"));
    }
    let location: RepoLocation = decode("fileRepoLocation", location_text)?;
    let os: OsType = decode("imgOSType", form.value("imgOSType"))?;
    let file_id = form.value("fileId");
    if file_id.is_empty() {
        return Err(FedError::bad_request("fileId is required"));
    }
    check_label("appProviderId", form.value("appProviderId"))?;
    let name = form.value("fileName");
    check_name("fileName", name)?;
    let version = form.value("fileVersionInfo");
    if version.is_empty() {
        return Err(FedError::bad_request("fileVersionInfo is required"));
    }
    check_os_type(&os)?;
    let repo_url = location.repo_url.as_deref().unwrap_or("");
    if repo_url.is_empty() {
        return Err(FedError::bad_request("repoLocation's repo URL must be specified"));
    }
    let given = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.is_empty());
    let credentials = given(&location.user_name) || given(&location.password) || given(&location.token);
    if !credentials && form.value("repoType") == PUBLIC_REPO {
        // A reference, as MC keeps a public image.
    } else if given(&location.user_name) && !given(&location.password) {
        return Err(FedError::bad_request("repolocation username specified but no password"));
    } else if given(&location.password) && !given(&location.user_name) {
        return Err(FedError::bad_request("repolocation password specified but no username"));
    } else {
        return Err(FedError::bad_request(
            "Copying images into this platform's registry is not supported, use a PUBLICREPO repository without credentials",
        ));
    }
    let mut path = format!("{repo_url}/{name}");
    if file_type == "DOCKER" {
        path = format!("{path}:{version}");
    }
    let image = mc_provider_image::ActiveModel {
        federation_name: Set(provider.name.clone()),
        file_id: Set(file_id.to_owned()),
        path: Set(path),
        name: Set(name.to_owned()),
        description: Set(form.value("fileDescription").to_owned()),
        version: Set(version.to_owned()),
        r#type: Set(file_type.to_owned()),
        app_provider_id: Set(form.value("appProviderId").to_owned()),
        checksum: Set(form.value("checksum").to_owned()),
        status: Set(READY.to_owned()),
    };
    let txn = crate::db::begin_write(&mc.db).await?;
    // The host's row held: a host delete waits for the image, and sees it.
    lookup_provider(&txn, caller, &provider.federation_context_id, true).await?;
    match image.insert(&txn).await {
        Ok(_) => {}
        Err(error) if crate::db::is_unique_violation(&error) => {
            return Err(FedError::bad_request(format!("FileID {file_id} already exists")));
        }
        Err(error) => return Err(error.into()),
    }
    let what = format!("{file_id} of {}", provider.name);
    mc.audited.record(&txn, &super::super::change(&caller.claims.apikeyusername, "upload file", &what)).await?;
    txn.commit().await?;
    Ok(())
}

pub fn os_type() -> ImageOsType {
    let [architecture, distribution, license, version] = OS_TYPE.map(|(_, value)| value.to_owned());
    ImageOsType { architecture, distribution, license, version }
}

/// `ViewFile`.
pub async fn view(mc: &Mc, caller: &PartnerCaller, context_id: &str, file_id: &str) -> Result<FileDetails, FedError> {
    let provider = lookup_provider(&mc.db, caller, context_id, false).await?;
    let image = mc_provider_image::Entity::find_by_id((provider.name, file_id.to_owned()))
        .one(&mc.db)
        .await?
        .ok_or_else(|| FedError::new(poem::http::StatusCode::NOT_FOUND, "Specified file ID not found"))?;
    let optional = |value: String| (!value.is_empty()).then_some(value);
    Ok(FileDetails {
        app_provider_id: image.app_provider_id,
        checksum: optional(image.checksum),
        file_description: optional(image.description),
        file_id: image.file_id,
        file_name: image.name,
        file_type: image.r#type,
        file_version_info: image.version,
        img_ins_set_arch: ISA_X86_64.to_owned(),
        img_os_type: os_type(),
    })
}

/// `RemoveFile`.
pub async fn remove(mc: &Mc, caller: &PartnerCaller, context_id: &str, file_id: &str) -> Result<(), FedError> {
    let txn = crate::db::begin_write(&mc.db).await?;
    let provider = lookup_provider(&txn, caller, context_id, true).await?;
    remove_internal(&txn, &provider, file_id).await?;
    let what = format!("{file_id} of {}", provider.name);
    mc.audited.record(&txn, &super::super::change(&caller.claims.apikeyusername, "remove file", &what)).await?;
    txn.commit().await?;
    Ok(())
}

/// `RemoveFileInternal`, in the caller's transaction (which holds the
/// provider's row lock, so no artefact can take the image meanwhile).
/// MC meant to refuse an image an artefact uses, but its query never ran;
/// Steward refuses it.
pub async fn remove_internal(
    db: &impl ConnectionTrait,
    provider: &mc_federation_provider::Model,
    file_id: &str,
) -> Result<(), FedError> {
    let found = mc_provider_image::Entity::find_by_id((provider.name.clone(), file_id.to_owned())).one(db).await?;
    if found.is_none() {
        return Err(FedError::new(poem::http::StatusCode::NOT_FOUND, format!("Specified file ID {file_id} not found")));
    }
    let artefacts = mc_provider_artefact::Entity::find()
        .filter(mc_provider_artefact::Column::FederationName.eq(&provider.name))
        .order_by_asc(mc_provider_artefact::Column::ArtefactId)
        .all(db)
        .await?;
    for artefact in artefacts {
        let files: Vec<String> = serde_json::from_str(&artefact.file_ids).unwrap_or_default();
        if files.iter().any(|file| file == file_id) {
            return Err(FedError::bad_request(format!(
                "Cannot delete fileId {file_id} in use by artefact {}",
                artefact.artefact_id
            )));
        }
    }
    mc_provider_image::Entity::delete_by_id((provider.name.clone(), file_id.to_owned())).exec(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_the_gsma_pattern() {
        for good in ["k8sapp", "vm.img", "_a-b.C", &"a".repeat(128)] {
            assert!(is_file_name(good), "{good}");
        }
        for bad in ["", ".a", "-a", "a b", "a:1", &"a".repeat(129)] {
            assert!(!is_file_name(bad), "{bad}");
        }
    }

    #[test]
    fn image_types_are_refused_in_mcs_words() {
        assert!(check_image_type("DOCKER").is_ok());
        assert_eq!(
            check_image_type("docker"),
            Err("Image type \"docker\" not supported, must be one of QCOW2, DOCKER, OVA".to_owned())
        );
    }

    #[test]
    fn json_fields_are_refused_as_go_reads_them() {
        let refused = |text: &str| {
            let error = serde_json::from_str::<serde_json::Value>(text).err().map(|e| go_unmarshal_error(text, &e));
            error.unwrap_or_default()
        };
        assert_eq!(refused(""), "unexpected end of JSON input");
        assert_eq!(refused("{x"), "invalid character 'x' looking for beginning of object key string");
    }
}
