//! MC's password rules: 8 to 4095 characters, and an estimated crack time
//! (zxcvbn's guesses at a million a second) of at least 30 days, or two
//! years for administrators, reported in MC's words.

pub const USER_MIN_CRACK_SECONDS: f64 = 30.0 * 86_400.0;
pub const ADMIN_MIN_CRACK_SECONDS: f64 = 2.0 * 365.0 * 86_400.0;

/// MC's length check (in characters, not bytes).
pub fn check_length(password: &str) -> Result<(), String> {
    match password.chars().count() {
        n if n < 8 => Err("Invalid password, password must be at least 8 characters".to_owned()),
        n if n >= 4096 => Err("Invalid password, password must be less than 4096 characters".to_owned()),
        _ => Ok(()),
    }
}

/// zxcvbn's estimate of the seconds an offline attack needs.
pub fn crack_seconds(password: &str) -> f64 {
    zxcvbn::zxcvbn(password, &[]).guesses() as f64 / 1e6
}

/// Refuses a password weaker than `minimum`; the estimate otherwise.
pub fn check_strength(password: &str, minimum: f64) -> Result<f64, String> {
    let seconds = crack_seconds(password);
    if seconds < minimum {
        return Err(too_weak(minimum, seconds));
    }
    Ok(seconds)
}

pub fn too_weak(minimum: f64, seconds: f64) -> String {
    format!(
        "Password too weak, requires crack time {} but is {}. Please increase length or complexity",
        display_time(minimum),
        display_time(seconds)
    )
}

/// MC's rendering of a duration (its own variant of zxcvbn's, including
/// the years branch dividing by a century, so that range shows 2.0 years).
pub fn display_time(seconds: f64) -> String {
    let minute = 60.0;
    let hour = minute * 60.0;
    let day = hour * 24.0;
    let month = day * 31.0;
    let year = month * 12.0;
    let century = year * 100.0;
    let shown = |value: f64, unit: &str| format!("{:.1} {unit}", 1.0 + value.ceil());
    if seconds < 1.0 {
        "less than a second".to_owned()
    } else if seconds < minute {
        shown(seconds, "seconds")
    } else if seconds < hour {
        shown(seconds / minute, "minutes")
    } else if seconds < day {
        shown(seconds / hour, "hours")
    } else if seconds < month {
        shown(seconds / day, "days")
    } else if seconds < year {
        shown(seconds / month, "months")
    } else if seconds < century {
        shown(seconds / century, "years")
    } else {
        "centuries".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_read_as_mc_prints_them() {
        assert_eq!(display_time(USER_MIN_CRACK_SECONDS), "31.0 days");
        assert_eq!(display_time(ADMIN_MIN_CRACK_SECONDS), "2.0 years");
        assert_eq!(display_time(0.5), "less than a second");
    }

    #[test]
    fn mc_test_vectors() {
        for strong in
            ["1orangefoxquickhandlebrush1", "mexadminfastedgecloudinfra", "thequickbrownfoxjumpedoverthelazydog9$"]
        {
            assert_eq!(display_time(crack_seconds(strong)), "centuries", "{strong}");
            assert!(check_strength(strong, ADMIN_MIN_CRACK_SECONDS).is_ok(), "{strong}");
        }
        for weak in ["admin123", "weakweak", "somerandompassword", "mexadmin123", "yzdF8!aw", "oldpwd1"] {
            assert!(check_strength(weak, USER_MIN_CRACK_SECONDS).is_err(), "{weak}");
        }
        assert_eq!(
            check_strength("somerandompassword", USER_MIN_CRACK_SECONDS).unwrap_err(),
            "Password too weak, requires crack time 31.0 days but is 3.0 minutes. Please increase length or complexity"
        );
    }

    #[test]
    fn length_counts_characters() {
        assert!(check_length("ééééééé").is_err());
        assert!(check_length("éééééééé").is_ok());
        assert!(check_length(&"a".repeat(4096)).is_err());
    }
}
