//! Two-factor authentication as MC does it: a random base32 key shown once
//! (with a QR code of its otpauth URL as a base64 PNG), then 6-digit
//! SHA-1 codes checked against a 30 s period and, failing that, MC's own
//! 120 s period, each with one step of clock skew either way.

use base64::Engine as _;
use totp_rs::{Algorithm, TOTP};

const ISSUER: &str = "EdgeCloud";
const DIGITS: usize = 6;

/// A new shared key: 20 random bytes in base32 (32 characters).
pub fn new_key() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes)?;
    Ok(data_encoding::BASE32_NOPAD.encode(&bytes))
}

pub fn otpauth_url(key: &str, account: &str) -> String {
    let account: String = url_escape(account);
    format!("otpauth://totp/{ISSUER}:{account}?algorithm=SHA1&digits=6&issuer={ISSUER}&period=120&secret={key}")
}

fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The key's otpauth URL as a 200×200 PNG QR code, base64-encoded (how
/// Go's JSON writes MC's `[]byte`).
pub fn qr_png_base64(key: &str, account: &str) -> Option<String> {
    let code = qrcode::QrCode::new(otpauth_url(key, account).as_bytes()).ok()?;
    let modules = code.width();
    let quiet = 4;
    let side = modules + 2 * quiet;
    let scale = (200 / side).max(1);
    let size = side * scale;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; size * size];
    for y in 0..modules {
        for x in 0..modules {
            if colors[y * modules + x] == qrcode::Color::Dark {
                for dy in 0..scale {
                    let row = (y + quiet) * scale + dy;
                    let start = row * size + (x + quiet) * scale;
                    pixels[start..start + scale].fill(0);
                }
            }
        }
    }
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, size as u32, size as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().ok()?;
        writer.write_image_data(&pixels).ok()?;
    }
    Some(base64::engine::general_purpose::STANDARD.encode(png))
}

/// MC's codes with `period` and `skew` steps either way (totp-rs checks
/// them in constant time).
fn totp(secret: Vec<u8>, period: u64, skew: u8) -> TOTP {
    // MC's keys are 20 bytes; unchecked only skips totp-rs's 16-byte floor
    // for keys a client configured elsewhere.
    TOTP::new_unchecked(Algorithm::SHA1, DIGITS, skew, period, secret)
}

/// RFC 6238's code for `counter` with a 30 s period.
#[cfg(test)]
fn code_at(secret: &[u8], counter: u64) -> String {
    totp(secret.to_vec(), 30, 0).generate(counter * 30)
}

/// Whether `code` is valid for `key` at `now` (Unix seconds): MC tries its
/// 30 s period, then its 120 s one, each with one step of skew.
pub fn verify(key: &str, code: &str, now: i64) -> bool {
    let Ok(secret) = data_encoding::BASE32_NOPAD.decode(key.trim_end_matches('=').as_bytes()) else { return false };
    let code = code.trim();
    [30u64, 120].into_iter().any(|period| totp(secret.clone(), period, 1).check(code, now.max(0) as u64))
}

/// The code for `key` at `now` with MC's mailed 120 s period.
pub fn current_code(key: &str, now: i64) -> Option<String> {
    let secret = data_encoding::BASE32_NOPAD.decode(key.as_bytes()).ok()?;
    Some(totp(secret, 120, 0).generate(now.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_vector() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits) → 287082.
        assert_eq!(code_at(b"12345678901234567890", 59 / 30), "287082");
    }

    #[test]
    fn codes_verify_with_skew_and_both_periods() {
        let key = new_key().unwrap();
        assert_eq!(key.len(), 32);
        let secret = data_encoding::BASE32_NOPAD.decode(key.as_bytes()).unwrap();
        let now = 1_700_000_000;
        assert!(verify(&key, &code_at(&secret, now as u64 / 30), now));
        assert!(verify(&key, &code_at(&secret, now as u64 / 30 - 1), now));
        assert!(verify(&key, &current_code(&key, now).unwrap(), now));
        assert!(!verify(&key, &code_at(&secret, now as u64 / 30 - 5), now));
        assert!(!verify(&key, "", now));
    }

    #[test]
    fn the_qr_code_is_a_png() {
        let png = qr_png_base64("JBSWY3DPEHPK3PXP", "alice@example.com").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD.decode(png).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
    }
}
