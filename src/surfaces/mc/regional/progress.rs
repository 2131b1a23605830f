//! The lines a streamed change answers (the original's CRM progress and
//! final messages), shared by the kinds whose changes stream.

use super::super::api;
use super::super::errors::McError;
use crate::wire::Stream;

/// One progress line, `{"data":{"message":...}}` on the wire.
pub fn message(text: &str) -> api::Result {
    api::Result { message: Some(text.to_owned()), code: None }
}

pub fn messages(texts: &[&str]) -> Vec<api::Result> {
    texts.iter().map(|text| message(text)).collect()
}

/// Whether a request's CRM override skips the platform (and its lines).
pub fn ignores_crm(crm_override: Option<api::CrmOverride>) -> bool {
    matches!(crm_override, Some(api::CrmOverride::IgnoreCrm | api::CrmOverride::IgnoreCrmAndTransientState))
}

/// The fake CRM's lines for an app instance's deletion.
pub fn app_inst_deleted(crm_override: Option<api::CrmOverride>) -> Vec<api::Result> {
    match ignores_crm(crm_override) {
        true => messages(&["Deleted AppInst successfully"]),
        false => messages(&[
            "Deleting",
            "First Delete Task",
            "Second Delete Task",
            "DeleteDone",
            "NotPresent",
            "Deleted AppInst successfully",
        ]),
    }
}

/// A stream that ends with `outcome`: its lines, and the error after them
/// (an error before any line is a plain 400).
pub fn ended(lines: Vec<api::Result>, outcome: Result<(), McError>) -> Result<Stream<api::Result, McError>, McError> {
    match outcome {
        Ok(()) => Ok(Stream::lines(lines)),
        Err(error) if lines.is_empty() => Err(error),
        Err(error) => Ok(Stream { lines, failure: Some(error) }),
    }
}

/// `dnsSanitizeTrunc`: a DNS label of at most `most` characters.
pub fn dns_truncated(text: &str, most: usize) -> String {
    super::super::controllers::dns_label(text).chars().take(most).collect()
}

/// The top-level fields an update sent (never the key).
pub fn sent_fields(sent: &serde_json::Value) -> std::collections::BTreeSet<String> {
    sent.as_object()
        .map(|fields| {
            fields.iter().filter(|(name, v)| *name != "key" && !v.is_null()).map(|(n, _)| n.clone()).collect()
        })
        .unwrap_or_default()
}

/// The Controller's refusal of sent fields an update may not change
/// (`ValidateUpdateFields`): their leaf names (`Flavor Name`), joined.
pub fn refuse_fixed_fields(sent: &serde_json::Value, updatable: &[&str]) -> Result<(), McError> {
    fn leaves(name: String, value: &serde_json::Value, out: &mut Vec<String>) {
        match value.as_object().filter(|fields| !fields.is_empty()) {
            Some(fields) => fields.iter().for_each(|(key, v)| leaves(format!("{name} {}", go_field_name(key)), v, out)),
            None => out.push(name),
        }
    }
    let mut fixed = Vec::new();
    for field in sent_fields(sent).iter().filter(|f| !updatable.contains(&f.as_str())) {
        leaves(go_field_name(field), &sent[field.as_str()], &mut fixed);
    }
    match fixed.is_empty() {
        true => Ok(()),
        false => Err(McError::bad_request(format!("Specified field(s) {} cannot be modified", fixed.join(",")))),
    }
}

/// A JSON field's name as the Controller's messages print it
/// (`access_ports` is `Access Ports`).
pub fn go_field_name(field: &str) -> String {
    field.split('_').map(super::super::errors::capitalized).collect::<Vec<_>>().join(" ")
}
