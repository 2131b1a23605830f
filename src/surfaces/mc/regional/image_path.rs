//! An app's image path: MC's check that it names a host
//! (`checkImagePathStrings`, before the Controller sees the app), the
//! Controller's Docker normalisation (`k8smgmt.FixImagePath`) and its
//! VM image checks (`util.ValidateImagePath`). URLs are read as Go's
//! `net/url` reads them, for the parts these checks look at.

/// What Go's `url.Parse` finds in a path: its scheme, host and path.
#[derive(Debug, PartialEq)]
struct Url {
    scheme: String,
    host: String,
    path: String,
}

/// Go's `getScheme`: letters first, then letters, digits, `+-.`, up to `:`.
fn scheme_of(raw: &str) -> Result<(&str, &str), &'static str> {
    for (index, c) in raw.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if index > 0 => {}
            ':' if index == 0 => return Err("missing protocol scheme"),
            ':' => return Ok((&raw[..index], &raw[index + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// Go's `url.Parse`, its error wrapped as Go wraps it.
fn parse_url(raw: &str) -> Result<Url, String> {
    let fail = |why: &str| format!("parse \"{raw}\": {why}");
    if raw.chars().any(|c| (c as u32) < 0x20 || c as u32 == 0x7f) {
        return Err(fail("net/url: invalid control character in URL"));
    }
    let without_fragment = raw.split('#').next().unwrap_or_default();
    let (scheme, rest) = scheme_of(without_fragment).map_err(fail)?;
    let rest = rest.split('?').next().unwrap_or_default();
    if !rest.starts_with('/') && !scheme.is_empty() {
        // An opaque URL (`nginx:latest`): no host.
        return Ok(Url { scheme: scheme.to_lowercase(), host: String::new(), path: String::new() });
    }
    if scheme.is_empty() && rest.split('/').next().is_some_and(|segment| segment.contains(':')) {
        return Err(fail("first path segment in URL cannot contain colon"));
    }
    let Some(authority_and_path) = rest.strip_prefix("//") else {
        return Ok(Url { scheme: scheme.to_lowercase(), host: String::new(), path: rest.to_owned() });
    };
    let (authority, path) = match authority_and_path.find('/') {
        Some(at) => authority_and_path.split_at(at),
        None => (authority_and_path, ""),
    };
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let port = host.rsplit_once(':').filter(|_| !host.starts_with('[')).map(|(_, port)| port);
    if let Some(port) = port.filter(|port| !port.chars().all(|c| c.is_ascii_digit())) {
        return Err(fail(&format!("invalid port \":{port}\" after host")));
    }
    if let Some(bad) = host.chars().find(|c| " <>\"{}|\\^`".contains(*c)) {
        return Err(fail(&format!("invalid character \"{bad}\" in host name")));
    }
    Ok(Url { scheme: scheme.to_lowercase(), host: host.to_owned(), path: path.to_owned() })
}

/// MC's refusal of an image path with no host it can tell (no Edge Cloud
/// registries are configured here, so its org checks never apply).
pub fn check_host(image_path: &str) -> Result<(), String> {
    if image_path.is_empty() {
        return Ok(());
    }
    let mut url = parse_url(image_path).map_err(|e| format!("Failed to parse ImagePath, {e}"))?;
    if url.scheme.is_empty() {
        url = parse_url(&format!("http://{image_path}"))
            .map_err(|e| format!("Failed to parse http:// scheme prepended ImagePath, {e}"))?;
    }
    match url.host.is_empty() {
        true => Err(format!("Unable to determine host from ImagePath {image_path}")),
        false => Ok(()),
    }
}

/// `FixImagePath`: `localhost/` dropped; Docker Hub named where the path
/// names no registry (`nginx` is `docker.io/nginx`).
pub fn docker_normalised(image_path: &str) -> String {
    let first = image_path.split('/').next().unwrap_or_default();
    if first == "localhost" {
        return image_path.replace("localhost/", "");
    }
    match !image_path.contains('/') || !first.contains('.') {
        true => format!("docker.io/{image_path}"),
        false => image_path.to_owned(),
    }
}

/// `ValidateImagePath` for a VM image: a file with an md5 checksum.
pub fn check_vm_image(image_path: &str) -> Result<(), String> {
    let with_scheme = match image_path.contains("://") {
        true => image_path.to_owned(),
        false => format!("https://{image_path}"),
    };
    let url = parse_url(&with_scheme).map_err(|e| format!("invalid image path: {e}"))?;
    let file = url.path.rsplit('/').next().unwrap_or_default();
    if !file.contains('.') {
        return Err("missing filename from image path".into());
    }
    let parts: Vec<&str> = image_path.split('#').collect();
    let [_, checksum] = parts.as_slice() else {
        return Err(
            "md5 checksum of image is required. Please append checksum to imagepath: \"<url>#md5:checksum\"".into()
        );
    };
    let sum: Vec<&str> = checksum.split(':').collect();
    let [kind, digest] = sum.as_slice() else {
        return Err("incorrect checksum format, valid format: \"<url>#md5:checksum\"".into());
    };
    if *kind != "md5" {
        return Err("only md5 checksum is supported".into());
    }
    if digest.len() < 32 {
        return Err("md5 checksum must be at least 32 characters".into());
    }
    match digest.len() % 2 == 0 && digest.chars().all(|c| c.is_ascii_hexdigit()) {
        true => Ok(()),
        false => Err("invalid md5 checksum".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_found_as_mc_finds_them() {
        assert_eq!(check_host("docker.io/library/nginx:latest"), Ok(()));
        assert_eq!(check_host("https://registry.example.com/x"), Ok(()));
        assert_eq!(check_host("nginx"), Ok(()));
        assert_eq!(check_host("/nginx"), Err("Unable to determine host from ImagePath /nginx".into()));
        assert_eq!(check_host("nginx:latest"), Err("Unable to determine host from ImagePath nginx:latest".into()));
        assert_eq!(
            check_host("1.2.3.4:5000/img"),
            Err(
                "Failed to parse ImagePath, parse \"1.2.3.4:5000/img\": first path segment in URL cannot contain colon"
                    .into()
            )
        );
        assert_eq!(
            check_host("http://host:abc/x"),
            Err("Failed to parse ImagePath, parse \"http://host:abc/x\": invalid port \":abc\" after host".into())
        );
    }

    #[test]
    fn docker_paths_name_their_registry() {
        assert_eq!(docker_normalised("nginx"), "docker.io/nginx");
        assert_eq!(docker_normalised("library/nginx:1"), "docker.io/library/nginx:1");
        assert_eq!(docker_normalised("localhost/img"), "img");
        assert_eq!(docker_normalised("ghcr.io/org/img"), "ghcr.io/org/img");
    }

    #[test]
    fn vm_images_carry_a_checksum() {
        let sum = "0123456789abcdef0123456789abcdef";
        assert_eq!(check_vm_image(&format!("https://host/img.qcow2#md5:{sum}")), Ok(()));
        assert_eq!(check_vm_image("https://host/img#md5:x"), Err("missing filename from image path".into()));
        assert!(check_vm_image("host/img.qcow2").is_err_and(|e| e.starts_with("md5 checksum of image is required")));
        assert_eq!(check_vm_image("host/img.qcow2#sha1:x"), Err("only md5 checksum is supported".into()));
        assert_eq!(check_vm_image("host/img.qcow2#md5:x"), Err("md5 checksum must be at least 32 characters".into()));
    }
}
