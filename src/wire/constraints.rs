//! What the generated `Constrained` impls need: the first field of a
//! request that breaks one of the spec's constraints (checked with the
//! `validator` crate's rules), and how its value and place are reported.
//! Handlers call `wire::check` where the original checks its fields; the
//! surface's `Wire::constraint_failed` words the refusal.

use super::Wire;

/// The first constraint a value breaks: the field's place (`location.latitude`),
/// the rule, the spec's message (`x-steward-invalid`) and the value given.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub field: String,
    pub rule: &'static str,
    pub message: Option<&'static str>,
    pub value: String,
}

impl Violation {
    pub fn new(field: &str, rule: &'static str, message: Option<&'static str>, value: String) -> Self {
        Self { field: field.to_owned(), rule, message, value }
    }

    /// The same violation seen from the object holding `parent`.
    pub fn within(mut self, parent: &str) -> Self {
        self.field = format!("{parent}.{}", self.field);
        self
    }

    /// The spec's message with `{value}` replaced; without one, a plain
    /// sentence naming the field.
    pub fn message(&self) -> String {
        match self.message {
            Some(message) => message.replace("{value}", &self.value),
            None => format!("Invalid {} value {}", self.field, self.value),
        }
    }
}

/// A type whose values the spec constrains; by default, none.
pub trait Constrained {
    fn first_violation(&self) -> Option<Violation> {
        None
    }
}

macro_rules! unconstrained {
    ($($ty:ty),*) => {$( impl Constrained for $ty {} )*};
}
unconstrained!(String, bool, i32, i64, u32, u64, f32, f64, serde_json::Value);

impl<T: Constrained> Constrained for Option<T> {
    fn first_violation(&self) -> Option<Violation> {
        self.as_ref()?.first_violation()
    }
}

impl<T: Constrained> Constrained for Vec<T> {
    fn first_violation(&self) -> Option<Violation> {
        self.iter().enumerate().find_map(|(index, item)| item.first_violation().map(|v| v.within(&index.to_string())))
    }
}

impl<T: Constrained> Constrained for std::collections::BTreeMap<String, T> {
    fn first_violation(&self) -> Option<Violation> {
        self.iter().find_map(|(key, item)| item.first_violation().map(|v| v.within(key)))
    }
}

/// A value as a refusal shows it (`{value}`): "" when not given.
pub trait ShownValue {
    fn shown(&self) -> String;
}

macro_rules! shown_by_display {
    ($($ty:ty),*) => {$(
        impl ShownValue for $ty {
            fn shown(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
shown_by_display!(String, i32, i64, u32, u64, f32, f64);

impl<T: ShownValue> ShownValue for Option<T> {
    fn shown(&self) -> String {
        self.as_ref().map(ShownValue::shown).unwrap_or_default()
    }
}

/// The surface's refusal of the first constraint `value` breaks.
pub fn check<W: Wire>(value: &impl Constrained) -> Result<(), W> {
    match value.first_violation() {
        Some(violation) => Err(W::constraint_failed(violation)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_show_the_value_given() {
        let violation = Violation::new("latitude", "range", Some("Invalid latitude {value}"), "91".into());
        assert_eq!(violation.message(), "Invalid latitude 91");
        let plain = Violation::new("latitude", "range", None, "91".into()).within("location");
        assert_eq!(plain.message(), "Invalid location.latitude value 91");
    }
}
