//! UUIDs read with storj.io/common/uuid's rules and messages: from a path
//! segment, or from a JSON string (whose quotes count toward its length).

use uuid::Uuid;

fn parse_canonical(text: &str) -> Option<Uuid> {
    let bytes = text.as_bytes();
    let dashes_right = [8, 13, 18, 23].iter().all(|&i| bytes.get(i) == Some(&b'-'));
    let hex_right = bytes.iter().enumerate().all(|(i, b)| [8, 13, 18, 23].contains(&i) || b.is_ascii_hexdigit());
    (bytes.len() == 36 && dashes_right && hex_right).then(|| Uuid::parse_str(text).ok()).flatten()
}

pub fn from_path(text: &str) -> Result<Uuid, String> {
    if text.len() != 36 {
        return Err(format!("uuid: invalid string length {} expected 36", text.len()));
    }
    parse_canonical(text).ok_or_else(|| "uuid: invalid string".to_owned())
}

pub fn from_json(text: &str) -> Result<Uuid, String> {
    if text.len() != 36 {
        return Err(format!("uuid: bytes have wrong length {} expected 38", text.len() + 2));
    }
    parse_canonical(text).ok_or_else(|| "uuid: invalid string".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_storj() {
        assert_eq!(from_path("abc"), Err("uuid: invalid string length 3 expected 36".into()));
        assert_eq!(from_path("zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"), Err("uuid: invalid string".into()));
        assert_eq!(from_path("0123456789abcdef0123456789abcdef0123"), Err("uuid: invalid string".into()));
        assert_eq!(from_json(""), Err("uuid: bytes have wrong length 2 expected 38".into()));
        let id = "7C9E6679-7425-40DE-944B-E07FC1F90AE7";
        assert_eq!(from_path(id).unwrap().to_string(), id.to_lowercase());
    }
}
