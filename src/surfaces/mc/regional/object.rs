//! A regional object as the original's Controller holds it: its protobuf
//! JSON with Go's `omitempty` applied, and the per-kind facts the generic
//! operations need (where the key and the owning org sit, how messages
//! print the key).

use serde_json::{Map, Value};

use crate::wire::is_zero;

/// What the generic create/show/update/delete need to know about a kind.
#[derive(Debug)]
pub struct Kind {
    /// The kind's name in storage and in audit rows.
    pub name: &'static str,
    /// What the original's messages call it (`Policy` for both policy
    /// kinds, which share a key type).
    pub noun: &'static str,
    /// Where the key sits in an object (a JSON pointer).
    pub key: &'static str,
    pub key_form: KeyForm,
    /// Where the owning org sits, if the kind has one.
    pub org: Option<&'static str>,
    /// Top-level fields Go writes even at their zero value (no omitempty).
    pub always: &'static [&'static str],
    /// Objects of other kinds that name this one: a delete is refused while
    /// one does (`<Kind> in use by <Other> <key>`).
    pub in_use_by: &'static [Referrer],
}

/// Objects of `kind` refer to an object of another kind when their value
/// at `at` equals (or, a list, holds) that object's value at `names`.
/// `every`: the refusal names every referrer, else the first.
#[derive(Debug)]
pub struct Referrer {
    pub kind: &'static Kind,
    pub at: &'static str,
    /// Where the name sits in each item of a list at `at` ("": the item).
    pub item: &'static str,
    pub names: &'static str,
    pub every: bool,
    /// Only objects of the referred object's own org refer to it (policy
    /// names are per org).
    pub same_org: bool,
    /// The refusal in the original's own words, given the referrer,
    /// where it is not `<Noun> in use by <Kind> <key>`.
    pub says: Option<fn(&Value) -> String>,
}

/// How the original prints a key in its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyForm {
    /// `json.Marshal` of the key struct: `{"name":"x"}`.
    Json,
    /// A key that is one string, printed as is.
    Text,
}

impl Kind {
    /// The key of `object` as the original prints it.
    pub fn key_text(&self, object: &Value) -> String {
        let key = object.pointer(self.key);
        match self.key_form {
            KeyForm::Json => without_zeros(key.unwrap_or(&Value::Object(Map::new()))).to_string(),
            KeyForm::Text => key.and_then(Value::as_str).unwrap_or_default().to_owned(),
        }
    }

    /// The org that owns `object` ("" when the kind has none).
    pub fn org_of(&self, object: &Value) -> String {
        self.org.and_then(|pointer| object.pointer(pointer)).and_then(Value::as_str).unwrap_or_default().to_owned()
    }

    /// `object` as stored and shown: zero fields left out, except the ones
    /// Go always writes.
    pub fn stored(&self, object: &Value) -> Value {
        match object {
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .filter(|(name, value)| self.always.contains(&name.as_str()) || !is_zero(value))
                    .map(|(name, value)| (name.clone(), without_zeros(value)))
                    .collect(),
            ),
            other => without_zeros(other),
        }
    }
}

/// Go's `omitempty` all the way down: zero-valued object fields left out.
pub fn without_zeros(value: &Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields.iter().filter(|(_, value)| !is_zero(value)).map(|(k, v)| (k.clone(), without_zeros(v))).collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_zeros).collect()),
        other => other.clone(),
    }
}

/// The Controller's show filter: every non-zero field of `filter` must
/// equal the object's (objects compared field by field, other values whole).
pub fn matches(filter: &Value, object: &Value) -> bool {
    match filter {
        Value::Object(fields) => fields.iter().filter(|(_, wanted)| !is_zero(wanted)).all(|(name, wanted)| {
            let Some(found) = object.get(name) else { return false };
            matches(wanted, found)
        }),
        wanted => is_zero(wanted) || wanted == object,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FLAVOR: Kind = Kind {
        name: "Flavor",
        noun: "Flavor",
        key: "/key",
        key_form: KeyForm::Json,
        org: None,
        always: &["key"],
        in_use_by: &[],
    };
    const CODE: Kind = Kind {
        name: "OperatorCode",
        noun: "OperatorCode",
        key: "/code",
        key_form: KeyForm::Text,
        org: Some("/organization"),
        always: &[],
        in_use_by: &[],
    };

    #[test]
    fn keys_print_as_the_original_prints_them() {
        assert_eq!(FLAVOR.key_text(&json!({"key": {"name": "m4.small"}})), r#"{"name":"m4.small"}"#);
        assert_eq!(FLAVOR.key_text(&json!({"key": {"name": ""}})), "{}");
        assert_eq!(FLAVOR.key_text(&json!({})), "{}");
        assert_eq!(CODE.key_text(&json!({"code": "311"})), "311");
        assert_eq!(CODE.org_of(&json!({"code": "311", "organization": "att"})), "att");
        assert_eq!(FLAVOR.org_of(&json!({"key": {"name": "x"}})), "");
    }

    #[test]
    fn stored_objects_leave_zero_fields_out_but_keep_the_always_written() {
        let object = json!({"key": {"name": ""}, "ram": 0, "vcpus": 2, "opt_res_map": {}, "fields": []});
        assert_eq!(FLAVOR.stored(&object), json!({"key": {}, "vcpus": 2}));
    }

    #[test]
    fn filters_match_on_their_non_zero_fields() {
        let object = json!({"key": {"name": "x"}, "ram": 1024, "opt_res_map": {"gpu": "gpu:1"}});
        assert!(matches(&json!({}), &object));
        assert!(matches(&json!({"key": {"name": "x"}, "ram": 0}), &object));
        assert!(matches(&json!({"opt_res_map": {"gpu": "gpu:1"}}), &object));
        assert!(!matches(&json!({"key": {"name": "y"}}), &object));
        assert!(!matches(&json!({"vcpus": 2}), &object));
    }
}
