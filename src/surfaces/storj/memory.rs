//! Sizes as Storj's `memory.Size` reads and writes them: "1TiB", "1 TB",
//! "5000000" in; "25.00 GB" (decimal) or "1.0 TiB" (binary) out.

const DECIMAL: [(&str, i64); 6] = [
    ("EB", 1_000_000_000_000_000_000),
    ("PB", 1_000_000_000_000_000),
    ("TB", 1_000_000_000_000),
    ("GB", 1_000_000_000),
    ("MB", 1_000_000),
    ("KB", 1_000),
];
const BINARY: [(&str, i64); 6] =
    [("EiB", 1 << 60), ("PiB", 1 << 50), ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];

/// Parses a size; the error text is Storj's.
pub fn parse(text: &str) -> Result<i64, String> {
    if text.is_empty() {
        return Err("empty size".into());
    }
    let number_end = text.trim_end_matches(|c: char| c.is_ascii_alphabetic()).len();
    let (number, suffix) = text.split_at(number_end);
    let mut suffix = suffix.to_ascii_uppercase();
    if !suffix.ends_with('B') {
        suffix.push('B');
    }
    let multiplier = match suffix.as_str() {
        "B" => 1,
        "KB" | "MB" | "GB" | "TB" | "PB" | "EB" => {
            DECIMAL.iter().find(|(unit, _)| *unit == suffix).map_or(1, |(_, m)| *m)
        }
        "KIB" | "MIB" | "GIB" | "TIB" | "PIB" | "EIB" => {
            BINARY.iter().find(|(unit, _)| unit.eq_ignore_ascii_case(&suffix)).map_or(1, |(_, m)| *m)
        }
        other => return Err(format!("unknown suffix {other:?}")),
    };
    let trimmed = number.trim();
    let value: f64 = trimmed.parse().map_err(|_| format!("strconv.ParseFloat: parsing {trimmed:?}: invalid syntax"))?;
    if !value.is_finite() {
        return Err(format!("strconv.ParseFloat: parsing {trimmed:?}: invalid syntax"));
    }
    Ok((value * multiplier as f64) as i64)
}

/// Formats a size: decimal units when the value is rounder in base 1000,
/// binary units otherwise; a unit is used from two thirds of it upward.
pub fn format(bytes: i64) -> String {
    if bytes == 0 {
        return "0 B".into();
    }
    let decimal_zeros = trailing_groups(bytes, 1000);
    let binary_zeros = trailing_groups(bytes, 1024);
    let magnitude = bytes.unsigned_abs();
    if decimal_zeros > binary_zeros {
        for (unit, size) in DECIMAL {
            if magnitude >= (size as u64) * 2 / 3 {
                return format!("{:.2} {unit}", bytes as f64 / size as f64);
            }
        }
    } else {
        for (unit, size) in BINARY {
            if magnitude >= (size as u64) * 2 / 3 {
                return format!("{:.1} {unit}", bytes as f64 / size as f64);
            }
        }
    }
    format!("{bytes} B")
}

fn trailing_groups(mut value: i64, base: i64) -> u32 {
    let mut groups = 0;
    while value != 0 && value % base == 0 {
        value /= base;
        groups += 1;
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_storj_notations() {
        assert_eq!(parse("1TiB"), Ok(1 << 40));
        assert_eq!(parse("1 TB"), Ok(1_000_000_000_000));
        assert_eq!(parse("1gb"), Ok(1_000_000_000));
        assert_eq!(parse("1.5KB"), Ok(1500));
        assert_eq!(parse("5000000"), Ok(5_000_000));
        assert_eq!(parse("5k"), Ok(5000));
        assert_eq!(parse("1e3"), Ok(1000));
        assert_eq!(parse("-1GB"), Ok(-1_000_000_000));
        assert_eq!(parse(""), Err("empty size".into()));
        assert_eq!(parse("1XB"), Err("unknown suffix \"XB\"".into()));
        assert_eq!(parse("abc"), Err("unknown suffix \"ABCB\"".into()));
        assert_eq!(parse("1.2.3GB"), Err("strconv.ParseFloat: parsing \"1.2.3\": invalid syntax".into()));
    }

    #[test]
    fn formats_like_storj() {
        assert_eq!(format(25_000_000_000), "25.00 GB");
        assert_eq!(format(1 << 40), "1.0 TiB");
        assert_eq!(format(1_000_000_000), "1.00 GB");
        assert_eq!(format(1_000_000), "1.00 MB");
        assert_eq!(format(1500), "1.5 KiB");
        assert_eq!(format(700), "0.7 KiB");
        assert_eq!(format(0), "0 B");
        assert_eq!(format(100), "100 B");
        assert_eq!(format(-1_000_000_000), "-1.00 GB");
    }
}
