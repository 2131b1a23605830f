//! Go's encoding/json semantics for lenient surfaces: key matching and
//! JSON-kind checks applied to a body before a generated type parses it.

/// Decodes JSON the way Go's encoding/json does before a generated type
/// parses it: object keys are renamed to the type's wire names (an exact
/// match first, else the first equal ignoring ASCII case; later duplicates
/// win), and a value of the wrong JSON kind is refused (poem-openapi would
/// quietly turn a number into a string). `null` is always accepted.
pub trait CanonicalKeys {
    fn canonicalize(_value: &mut serde_json::Value) -> Result<(), Mismatch> {
        Ok(())
    }

    /// For types that refuse keys naming no field (after canonicalizing):
    /// the first such key and the name the refusal gives the object.
    fn unknown_key(_value: &serde_json::Value) -> Option<(String, &'static str)> {
        None
    }
}

/// Whether a field holds a value in Go's sense after decoding `value`: a
/// list or map given at all (even empty), a struct pointer given, a scalar
/// other than its zero (`zero`: an enum's zero name).
pub fn go_sets(value: &serde_json::Value, zero: Option<&str>) -> bool {
    match value {
        serde_json::Value::Null => false,
        serde_json::Value::String(text) => !text.is_empty() && Some(text.as_str()) != zero,
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => true,
        scalar => !is_zero(scalar),
    }
}

/// Go's zero value as JSON: absent fields, null, false, 0, "", [] and {}.
pub fn is_zero(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => true,
        serde_json::Value::Bool(b) => !b,
        serde_json::Value::Number(n) => n.as_f64() == Some(0.0),
        serde_json::Value::String(s) => s.is_empty(),
        serde_json::Value::Array(items) => items.is_empty(),
        serde_json::Value::Object(map) => map.values().all(is_zero),
    }
}

/// A value whose JSON kind does not fit its field, in Go's words.
#[derive(Debug, PartialEq)]
pub struct Mismatch {
    /// The JSON kind found (`string`), or for an enum what its decoder
    /// reports (`string foo`, `value 7`).
    pub found: String,
    pub expected: &'static str,
    /// `Type.field`, filled in by the enclosing object.
    pub field: String,
    /// An enum's names, when an enum refused the value: Go's custom
    /// decoders report neither the field nor the offset.
    pub enumeration: Option<&'static GoEnum>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "json: cannot unmarshal {} into Go struct field {} of type {}", self.found, self.field, self.expected)
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

fn expect(value: &serde_json::Value, fits: bool, expected: &'static str) -> Result<(), Mismatch> {
    if fits || value.is_null() {
        Ok(())
    } else {
        Err(Mismatch { found: json_kind(value).to_owned(), expected, field: String::new(), enumeration: None })
    }
}

impl CanonicalKeys for String {
    fn canonicalize(value: &mut serde_json::Value) -> Result<(), Mismatch> {
        expect(value, value.is_string(), "string")
    }
}

impl CanonicalKeys for bool {
    fn canonicalize(value: &mut serde_json::Value) -> Result<(), Mismatch> {
        expect(value, value.is_boolean(), "bool")
    }
}

macro_rules! integer_keys {
    ($($ty:ty => $go:literal),*) => {$(
        impl CanonicalKeys for $ty {
            fn canonicalize(value: &mut serde_json::Value) -> Result<(), Mismatch> {
                expect(value, value.is_i64() || value.is_u64(), $go)
            }
        }
    )*};
}
integer_keys!(i32 => "int32", i64 => "int64");

macro_rules! unsigned_keys {
    ($($ty:ty => $go:literal),*) => {$(
        impl CanonicalKeys for $ty {
            fn canonicalize(value: &mut serde_json::Value) -> Result<(), Mismatch> {
                expect(value, value.as_u64().is_some_and(|n| <$ty>::try_from(n).is_ok()), $go)
            }
        }
    )*};
}
unsigned_keys!(u32 => "uint32", u64 => "uint64");

macro_rules! float_keys {
    ($($ty:ty => $go:literal),*) => {$(
        impl CanonicalKeys for $ty {
            fn canonicalize(value: &mut serde_json::Value) -> Result<(), Mismatch> {
                expect(value, value.is_number(), $go)
            }
        }
    )*};
}
float_keys!(f32 => "float32", f64 => "float64");

impl CanonicalKeys for serde_json::Value {}

impl<T: CanonicalKeys> CanonicalKeys for Vec<T> {
    fn canonicalize(value: &mut serde_json::Value) -> Result<(), Mismatch> {
        match value {
            serde_json::Value::Array(items) => items.iter_mut().try_for_each(T::canonicalize),
            other => expect(other, false, "array"),
        }
    }
}

impl<T: CanonicalKeys> CanonicalKeys for Option<T> {
    fn canonicalize(value: &mut serde_json::Value) -> Result<(), Mismatch> {
        T::canonicalize(value)
    }

    fn unknown_key(value: &serde_json::Value) -> Option<(String, &'static str)> {
        T::unknown_key(value)
    }
}

impl<T: CanonicalKeys> CanonicalKeys for std::collections::BTreeMap<String, T> {
    fn canonicalize(value: &mut serde_json::Value) -> Result<(), Mismatch> {
        match value {
            serde_json::Value::Object(map) => map.values_mut().try_for_each(T::canonicalize),
            other => expect(other, false, "map"),
        }
    }
}

/// A protobuf enum as the original's generated Go decodes it
/// (`Parse<Enum>`): `names` are the wire's names in number order, each the
/// Go name without `prefix`.
#[derive(Debug, PartialEq)]
pub struct GoEnum {
    pub name: &'static str,
    pub prefix: &'static str,
    pub names: &'static [&'static str],
    /// Each name's number; empty when the numbers are the positions.
    pub numbers: &'static [i32],
}

impl GoEnum {
    /// The number of the name at `index`.
    pub fn number(&self, index: usize) -> i64 {
        self.numbers.get(index).map_or(index as i64, |n| i64::from(*n))
    }

    fn index_of(&self, number: i64) -> Option<usize> {
        (0..self.names.len()).find(|index| self.number(*index) == number)
    }
}

/// The original's `util.CamelCase`, byte for byte: underscores dropped,
/// each word capitalised, runs of capitals lowered after their first.
pub fn go_camel_case(text: &str) -> String {
    let s = text.as_bytes();
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == b'_' {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            out.push(c);
            i += 1;
            continue;
        }
        out.push(c.to_ascii_uppercase());
        while i + 1 < s.len() && s[i + 1].is_ascii_uppercase() {
            if i + 2 < s.len() && s[i + 2].is_ascii_lowercase() {
                break;
            }
            i += 1;
            out.push(s[i].to_ascii_lowercase());
        }
        while i + 1 < s.len() && s[i + 1].is_ascii_lowercase() {
            i += 1;
            out.push(s[i]);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes an enum value as Go's `UnmarshalJSON` of the original's enums
/// does, leaving the wire's name in `value`: a name in any spelling
/// `CamelCase` brings to the Go name (with or without the prefix), a
/// number, or a number in a string. Anything else, `null` included
/// (Go reads it as ""), is refused.
pub fn go_enum(value: &mut serde_json::Value, go: &'static GoEnum) -> Result<(), Mismatch> {
    let number = |n: i64| go.index_of(n);
    let (index, found) = match &*value {
        serde_json::Value::String(text) if go.names.contains(&text.as_str()) => return Ok(()),
        serde_json::Value::String(text) => {
            let camel = go_camel_case(text);
            let by_name = go.names.iter().position(|name| format!("{}{name}", go.prefix) == camel || *name == camel);
            let by_number = || text.parse::<i32>().ok().and_then(|n| number(n.into()));
            (by_name.or_else(by_number), format!("string {text}"))
        }
        serde_json::Value::Null => (None, "string ".to_owned()),
        serde_json::Value::Number(n) => {
            (n.as_i64().filter(|n| i32::try_from(*n).is_ok()).and_then(number), format!("value {n}"))
        }
        other => (None, format!("value {other}")),
    };
    match index {
        Some(index) => {
            *value = serde_json::Value::String(go.names[index].to_owned());
            Ok(())
        }
        None => Err(Mismatch { found, expected: go.name, field: String::new(), enumeration: Some(go) }),
    }
}

/// How one field's value is canonicalized.
pub type Canonicalizer = fn(&mut serde_json::Value) -> Result<(), Mismatch>;

/// A field's wire name and how to canonicalize its value.
pub type FieldKeys<'a> = (&'a str, Canonicalizer);

/// The object step of [`CanonicalKeys`] for a generated type named `type_name`.
pub fn canonicalize_keys(
    value: &mut serde_json::Value,
    type_name: &str,
    fields: &[FieldKeys<'_>],
) -> Result<(), Mismatch> {
    let map = match value {
        serde_json::Value::Object(map) => map,
        other => return expect(other, false, "object"),
    };
    let entries = std::mem::take(map);
    for (key, mut item) in entries {
        let field = fields
            .iter()
            .find(|(name, _)| *name == key)
            .or_else(|| fields.iter().find(|(name, _)| name.eq_ignore_ascii_case(&key)));
        match field {
            Some((name, nested)) => {
                nested(&mut item).map_err(|mut mismatch| {
                    mismatch.field = if mismatch.field.is_empty() {
                        format!("{type_name}.{name}")
                    } else {
                        format!("{type_name}.{name}.{}", mismatch.field.split_once('.').map_or("", |(_, f)| f))
                    };
                    mismatch
                })?;
                map.insert((*name).to_owned(), item);
            }
            None => {
                map.insert(key, item);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    static IP_SUPPORT: GoEnum =
        GoEnum { name: "IpSupport", prefix: "IpSupport", names: &["Unknown", "Static", "Dynamic"], numbers: &[] };

    #[test]
    fn enums_with_gaps_take_their_own_numbers() {
        static IP_ACCESS: GoEnum = GoEnum {
            name: "IpAccess",
            prefix: "IpAccess",
            names: &["Unknown", "Dedicated", "Shared"],
            numbers: &[0, 1, 3],
        };
        let mut three = serde_json::json!(3);
        assert_eq!(go_enum(&mut three, &IP_ACCESS), Ok(()));
        assert_eq!(three, "Shared");
        let refused = go_enum(&mut serde_json::json!(2), &IP_ACCESS).err().and_then(|m| m.enumeration);
        assert_eq!(refused.map(|go| go.number(2)), Some(3));
    }

    #[test]
    fn camel_case_is_the_originals() {
        assert_eq!(go_camel_case("ip_support_dynamic"), "IpSupportDynamic");
        assert_eq!(go_camel_case("IP_SUPPORT_DYNAMIC"), "IpSupportDynamic");
        assert_eq!(go_camel_case("DYNAMIC"), "Dynamic");
        assert_eq!(go_camel_case("dynamic"), "Dynamic");
        assert_eq!(go_camel_case("CrmInitok"), "CrmInitok");
        assert_eq!(go_camel_case("HTTPServer"), "HttpServer");
        assert_eq!(go_camel_case("x1_2y"), "X12Y");
    }

    #[test]
    fn enums_decode_by_any_spelling_or_number_as_go_does() {
        use serde_json::json;
        for given in [
            json!("Dynamic"),
            json!("dynamic"),
            json!("IP_SUPPORT_DYNAMIC"),
            json!("IpSupportDynamic"),
            json!(2),
            json!("2"),
        ] {
            let mut value = given.clone();
            assert_eq!(go_enum(&mut value, &IP_SUPPORT), Ok(()), "{given}");
            assert_eq!(value, json!("Dynamic"), "{given}");
        }
        let refused = |mut value: serde_json::Value| go_enum(&mut value, &IP_SUPPORT).map_err(|m| m.found);
        assert_eq!(refused(json!("bogus")), Err("string bogus".to_owned()));
        assert_eq!(refused(json!(3)), Err("value 3".to_owned()));
        assert_eq!(refused(json!(2.5)), Err("value 2.5".to_owned()));
        assert_eq!(refused(json!(-1)), Err("value -1".to_owned()));
        assert_eq!(refused(json!(null)), Err("string ".to_owned()));
        assert_eq!(refused(json!(true)), Err("value true".to_owned()));
    }

    #[test]
    fn go_sets_lists_and_maps_given_empty_but_not_zero_scalars() {
        use serde_json::json;
        assert!(go_sets(&json!([]), None));
        assert!(go_sets(&json!({}), None));
        assert!(go_sets(&json!(true), None) && !go_sets(&json!(false), None));
        assert!(!go_sets(&json!(0), None) && go_sets(&json!(2), None));
        assert!(!go_sets(&json!(""), None) && !go_sets(&json!(null), None));
        assert!(!go_sets(&json!("TrackedStateUnknown"), Some("TrackedStateUnknown")));
        assert!(go_sets(&json!("Ready"), Some("TrackedStateUnknown")));
    }

    #[test]
    fn keys_match_like_go() {
        let fields: &[FieldKeys<'_>] = &[
            ("fullName", <String as CanonicalKeys>::canonicalize),
            ("email", <String as CanonicalKeys>::canonicalize),
            ("limit", <Option<i64> as CanonicalKeys>::canonicalize),
        ];
        let mut value = serde_json::json!({"FULLNAME": "a", "Email": "x", "email": "y", "other": 1, "limit": null});
        canonicalize_keys(&mut value, "CreateUser", fields).unwrap();
        assert_eq!(value, serde_json::json!({"fullName": "a", "email": "y", "other": 1, "limit": null}));
        let mut wrong = serde_json::json!({"email": 5});
        assert_eq!(
            canonicalize_keys(&mut wrong, "CreateUser", fields).unwrap_err().to_string(),
            "json: cannot unmarshal number into Go struct field CreateUser.email of type string"
        );
        let mut fraction = serde_json::json!({"limit": 2.5});
        assert!(canonicalize_keys(&mut fraction, "CreateUser", fields).is_err());
    }
}
