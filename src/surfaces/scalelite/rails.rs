//! Values read the way Rails reads them. Load multipliers as Scalelite keeps them: read leniently like Ruby's
//! `to_d` (a numeric prefix, anything else is zero) and written as a plain
//! decimal with at least one fractional digit ("2.5", "2.0", "1000.0").
//! Done on digits, not floats, so "0.1" stays "0.1".

use serde_json::Value;

/// Exponents beyond this are not numbers anyone means; read as zero rather
/// than building a string of a million zeros.
const MAX_EXPONENT: i64 = 1000;

/// A decimal in plain notation; `None` when the input reads as zero.
pub fn normalize(value: &Value) -> Option<String> {
    let text = match value {
        Value::Number(number) => number.to_string(),
        Value::String(text) => text.clone(),
        _ => return None,
    };
    normalize_text(&text)
}

/// Whether the input is "present" in Rails' sense (not null, not blank).
pub fn is_present(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => false,
        Value::String(text) => !text.trim().is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
        _ => true,
    }
}

fn normalize_text(text: &str) -> Option<String> {
    let mut chars = text.trim_start().chars().peekable();
    let negative = match chars.peek() {
        Some('-') => {
            chars.next();
            true
        }
        Some('+') => {
            chars.next();
            false
        }
        _ => false,
    };
    let mut digits = String::new();
    let mut integer_len = 0usize;
    let mut in_fraction = false;
    while let Some(&c) = chars.peek() {
        match c {
            '0'..='9' => {
                digits.push(c);
                if !in_fraction {
                    integer_len += 1;
                }
            }
            '_' if !digits.is_empty() => {}
            '.' if !in_fraction => in_fraction = true,
            _ => break,
        }
        chars.next();
    }
    let mut exponent = 0i64;
    if !digits.is_empty() && matches!(chars.peek(), Some('e' | 'E' | 'd' | 'D')) {
        chars.next();
        let sign = match chars.peek() {
            Some('-') => {
                chars.next();
                -1
            }
            Some('+') => {
                chars.next();
                1
            }
            _ => 1,
        };
        let exp_digits: String = chars.take_while(char::is_ascii_digit).collect();
        let magnitude = if exp_digits.is_empty() { Ok(0) } else { exp_digits.parse::<i64>() };
        exponent = sign * magnitude.unwrap_or(MAX_EXPONENT + 1).min(MAX_EXPONENT + 1);
    }
    if exponent.abs() > MAX_EXPONENT {
        return None;
    }

    // Value = 0.<digits> shifted so the point sits after `point` digits.
    let leading_zeros = digits.len() - digits.trim_start_matches('0').len();
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    if significant.is_empty() {
        return None;
    }
    let point = integer_len as i64 - leading_zeros as i64 + exponent;
    let len = significant.len() as i64;
    let plain = if point <= 0 {
        format!("0.{}{significant}", "0".repeat(point.unsigned_abs() as usize))
    } else if point >= len {
        format!("{significant}{}.0", "0".repeat((point - len) as usize))
    } else {
        let (whole, fraction) = significant.split_at(point as usize);
        format!("{whole}.{fraction}")
    };
    Some(if negative { format!("-{plain}") } else { plain })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formats_like_scalelite() {
        let cases = [
            (json!("2.50"), Some("2.5")),
            (json!(2), Some("2.0")),
            (json!(2.5), Some("2.5")),
            (json!("1.5"), Some("1.5")),
            (json!("0.1"), Some("0.1")),
            (json!("-3"), Some("-3.0")),
            (json!("1e3"), Some("1000.0")),
            (json!("2.5e-3"), Some("0.0025")),
            (json!(".5"), Some("0.5")),
            (json!("  7x"), Some("7.0")),
            (json!("1_000"), Some("1000.0")),
            (json!("1e"), Some("1.0")),
            (json!("0012.3400"), Some("12.34")),
            (json!("abc"), None),
            (json!("0"), None),
            (json!(0), None),
            (json!(""), None),
            (json!("1e99999"), None),
            (json!(true), None),
            (json!([1]), None),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize(&input).as_deref(), expected, "{input}");
        }
    }

    #[test]
    fn presence_follows_rails() {
        assert!(is_present(&json!(true)));
        assert!(is_present(&json!("false")));
        assert!(is_present(&json!(0)));
        assert!(!is_present(&json!(false)));
        assert!(!is_present(&json!("  ")));
        assert!(!is_present(&Value::Null));
    }
}
