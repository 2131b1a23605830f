//! What an event search asks, read as MC's `node.EventSearch` and matched
//! as its Elasticsearch queries would: keyword fields (name, org, type,
//! region, tag key) exactly or by `*`/`?` wildcards, case-sensitive; the
//! error text and tag values by lower-cased words.

use serde_json::Value;

use super::super::api::{EventMatch, EventSearch};
use super::super::errors::McError;
use super::super::regional::app_rules::parse_duration;

/// The default window: MC resolves an unset one to the last 48 hours.
const DEFAULT_WINDOW_US: i128 = 48 * 3600 * 1_000_000;
/// Elasticsearch's `index.max_result_window`.
const MAX_RESULT_WINDOW: i64 = 10_000;

/// `[start, end)` in microseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start_us: i64,
    pub end_us: i64,
}

fn parse_time(value: &Option<String>) -> Result<Option<i128>, McError> {
    let Some(text) = value else { return Ok(None) };
    let parsed = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|_| {
        McError::bad_request(format!(
            r#"Invalid JSON data: Unmarshal time "{text}" failed, valid values are RFC3339 format, i.e. "2006-01-02T15:04:05Z", or "2006-01-02T15:04:05+07:00""#
        ))
    })?;
    // Go clients send the zero time for "not set" (the field has no
    // omitempty); MC reads it so.
    if parsed == GO_ZERO_TIME {
        return Ok(None);
    }
    Ok(Some(parsed.unix_timestamp_nanos() / 1000))
}

/// Go's zero `time.Time`, 0001-01-01T00:00:00Z.
const GO_ZERO_TIME: time::OffsetDateTime = time::macros::datetime!(0001-01-01 00:00:00 UTC);

/// `edgeproto.Duration`: a Go duration string or integer nanoseconds; the
/// age in microseconds.
fn parse_age(value: &Option<Value>, field: &str) -> Result<i128, McError> {
    let refused = |got: String| {
        McError::bad_request(format!(
            r#"Invalid JSON data: Unmarshal error: expected duration, but got {got} for field "{field}", valid values are 300ms, 1s, 1.5h, 2h45m, etc"#
        ))
    };
    match value {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(number)) => {
            number.as_i64().map(|nanos| i128::from(nanos) / 1000).ok_or_else(|| refused(format!("number {number}")))
        }
        Some(Value::String(text)) => {
            let (negative, unsigned) = match text.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, text.as_str()),
            };
            let nanos = parse_duration(unsigned).map_err(|_| refused(format!("string {text}")))?;
            let micros = i128::from(nanos) / 1000;
            Ok(if negative { -micros } else { micros })
        }
        Some(other) => Err(refused(kind_name(other).to_owned())),
    }
}

fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "bool",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        _ => "value",
    }
}

/// MC's `TimeRange.Resolve(48h)`.
pub fn resolve(search: &EventSearch, now_us: i128) -> Result<Window, McError> {
    let start_time = parse_time(&search.starttime)?;
    let end_time = parse_time(&search.endtime)?;
    let mut start_age = parse_age(&search.startage, "startage")?;
    let end_age = parse_age(&search.endage, "endage")?;
    let mut now = now_us;
    let (mut start_name, mut end_name) = ("start time", "end time");
    let start = match start_time {
        None => {
            if start_age == 0 {
                start_age = DEFAULT_WINDOW_US;
                if let Some(end) = end_time {
                    now = end;
                }
            } else {
                start_name = "start age";
            }
            now - start_age
        }
        Some(_) if start_age != 0 => {
            return Err(McError::bad_request("May only specify one of start time or start age"));
        }
        Some(start) => start,
    };
    let end = match end_time {
        None => {
            if end_age != 0 {
                end_name = "end age";
            }
            now - end_age
        }
        Some(_) if end_age != 0 => return Err(McError::bad_request("May only specify one of end time or end age")),
        Some(end) => end,
    };
    if start >= end {
        return Err(McError::bad_request(super::super::errors::capitalized(&format!(
            "{start_name} must be before (older than) {end_name}"
        ))));
    }
    let clamp = |us: i128| us.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    Ok(Window { start_us: clamp(start), end_us: clamp(end) })
}

/// `from` and `limit` for show and find, as Elasticsearch takes them.
pub fn page(search: &EventSearch) -> Result<(usize, usize), McError> {
    let from = search.from.unwrap_or(0);
    let limit = match search.limit.unwrap_or(0) {
        0 => 10,
        limit => limit,
    };
    if from < 0 {
        return Err(McError::bad_request("[from] parameter cannot be negative"));
    }
    if limit < 0 {
        return Err(McError::bad_request("[size] parameter cannot be negative"));
    }
    if from.saturating_add(limit) > MAX_RESULT_WINDOW {
        return Err(McError::bad_request(format!(
            "Result window is too large, from + size must be less than or equal to: [{MAX_RESULT_WINDOW}]"
        )));
    }
    Ok((from as usize, limit as usize))
}

/// Buckets per field for terms (100 when 0).
pub fn buckets(search: &EventSearch) -> Result<usize, McError> {
    match search.limit.unwrap_or(0) {
        0 => Ok(100),
        limit if limit < 0 => Err(McError::bad_request("[size] must be greater than 0.")),
        limit => Ok(usize::try_from(limit).unwrap_or(usize::MAX).min(MAX_RESULT_WINDOW as usize)),
    }
}

/// An event as the matcher sees it.
pub struct Candidate<'a> {
    pub name: &'a str,
    pub orgs: &'a [String],
    pub kind: &'a str,
    pub region: &'a str,
    pub error: &'a str,
    pub tags: &'a std::collections::BTreeMap<String, String>,
}

/// `*` any run, `?` one character (Elasticsearch's wildcard query).
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// A keyword term or wildcard.
fn keyword(value: &str, field: &str) -> bool {
    match value.contains('*') {
        true => glob(value, field),
        false => value == field,
    }
}

/// The standard analyzer's words: Unicode (UAX #29) words, lower-cased,
/// so `1.0`, `foo_bar` and `example.com` stay whole and `-` splits.
pub fn words(text: &str) -> Vec<String> {
    use unicode_segmentation::UnicodeSegmentation;
    text.unicode_words().map(str::to_lowercase).collect()
}

const DASHED_WILDCARD: &str = "for wildcard matching, don't use '-' because the value is split up by '-' and wildcard is matching words, not the full text";

/// A text criterion: a wildcard over single words, or words of which all
/// (`every`) or any must appear.
#[derive(Debug)]
enum Text {
    Wildcard(String),
    Words(Vec<String>),
}

impl Text {
    fn new(value: &str) -> Self {
        match value.contains('*') {
            true => Self::Wildcard(value.to_lowercase()),
            false => Self::Words(words(value)),
        }
    }

    /// A tag value: MC refuses a wildcard with `-` there (values are split
    /// at `-`, wildcards match single words).
    fn tag_value(value: &str) -> Result<Self, McError> {
        match value.contains('*') && value.contains('-') {
            true => Err(McError::bad_request(super::super::errors::capitalized(DASHED_WILDCARD))),
            false => Ok(Self::new(value)),
        }
    }

    fn matches(&self, text: &str, every: bool) -> bool {
        let have = words(text);
        match self {
            Self::Wildcard(pattern) => have.iter().any(|word| glob(pattern, word)),
            // A value without words matches nothing (`zero_terms_query: none`).
            Self::Words(wanted) if wanted.is_empty() => false,
            Self::Words(wanted) if every => wanted.iter().all(|word| have.contains(word)),
            Self::Words(wanted) => wanted.iter().any(|word| have.contains(word)),
        }
    }
}

/// One `EventMatch`, ready to test events against.
#[derive(Debug, Default)]
pub struct Criteria {
    names: Vec<String>,
    orgs: Vec<String>,
    types: Vec<String>,
    regions: Vec<String>,
    error: Option<Text>,
    tags: Vec<(String, Text)>,
    failed: bool,
}

fn list(values: &Option<Vec<String>>) -> Vec<String> {
    values.clone().unwrap_or_default()
}

impl Criteria {
    pub fn new(matching: Option<&EventMatch>) -> Result<Self, McError> {
        let Some(matching) = matching else { return Ok(Self::default()) };
        let error = matching.error.as_deref().filter(|error| !error.is_empty()).map(Text::new);
        let mut tags = Vec::new();
        for (key, value) in matching.tags.iter().flatten() {
            tags.push((key.clone(), Text::tag_value(value)?));
        }
        Ok(Self {
            names: list(&matching.names),
            orgs: list(&matching.orgs),
            types: list(&matching.types),
            regions: list(&matching.regions),
            error,
            tags,
            failed: matching.failed.unwrap_or(false),
        })
    }

    /// Whether matching reads tags.
    pub fn needs_tags(&self) -> bool {
        !self.tags.is_empty()
    }

    /// Exact names the store can look up (none if any is a wildcard).
    pub fn exact_names(&self) -> Option<&[String]> {
        (!self.names.is_empty() && !self.names.iter().any(|name| name.contains('*'))).then_some(&self.names)
    }

    /// The criteria's clauses, each met or not (`every`: words all needed).
    fn clauses(&self, event: &Candidate<'_>, every: bool) -> Vec<bool> {
        let any_of = |values: &[String], field: &str| values.iter().any(|value| keyword(value, field));
        let mut out = Vec::new();
        if !self.names.is_empty() {
            out.push(any_of(&self.names, event.name));
        }
        if !self.regions.is_empty() {
            out.push(any_of(&self.regions, event.region));
        }
        if !self.orgs.is_empty() {
            out.push(event.orgs.iter().any(|org| any_of(&self.orgs, org)));
        }
        if !self.types.is_empty() {
            out.push(any_of(&self.types, event.kind));
        }
        if let Some(error) = &self.error {
            out.push(error.matches(event.error, every));
        }
        if self.failed {
            out.push(!event.error.is_empty());
        }
        for (key, value) in &self.tags {
            let tag = event.tags.get(key);
            match every {
                true => out.push(tag.is_some_and(|text| value.matches(text, true))),
                // find scores the key and the value apart.
                false => {
                    out.push(tag.is_some());
                    out.push(tag.is_some_and(|text| value.matches(text, false)));
                }
            }
        }
        out
    }

    /// show and terms: every clause holds.
    pub fn all(&self, event: &Candidate<'_>) -> bool {
        self.clauses(event, true).into_iter().all(|met| met)
    }

    /// notmatch: any clause holding excludes.
    pub fn any(&self, event: &Candidate<'_>) -> bool {
        self.clauses(event, true).into_iter().any(|met| met)
    }

    /// find: how many clauses hold.
    pub fn score(&self, event: &Candidate<'_>) -> usize {
        self.clauses(event, false).into_iter().filter(|met| *met).count()
    }
}

/// Which orgs' events a search may return: `None` for all.
pub fn org_scope(
    requested: &[String],
    caller_orgs: Option<&std::collections::BTreeSet<String>>,
) -> Option<Vec<String>> {
    match caller_orgs {
        // An admin's own list, as sent (empty: every org).
        None => (!requested.is_empty()).then(|| requested.to_vec()),
        // A non-admin's orgs, narrowed by the list sent, never widened.
        Some(mine) => Some(
            mine.iter()
                .filter(|org| requested.is_empty() || requested.iter().any(|wanted| keyword(wanted, org)))
                .cloned()
                .collect(),
        ),
    }
}

pub fn in_scope(scope: &Option<Vec<String>>, orgs: &[String]) -> bool {
    match scope {
        None => true,
        Some(allowed) => orgs.iter().any(|org| allowed.iter().any(|wanted| keyword(wanted, org))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(json: &str) -> EventSearch {
        poem_openapi::types::ParseFromJSON::parse_from_json(serde_json::from_str(json).ok()).unwrap()
    }

    const NOW: i128 = 1_000_000_000_000_000;
    const HOUR: i128 = 3_600_000_000;

    #[test]
    fn windows_resolve_as_mcs_time_range() {
        let window = resolve(&search("{}"), NOW).unwrap();
        assert_eq!((window.start_us as i128, window.end_us as i128), (NOW - 48 * HOUR, NOW));
        let window = resolve(&search(r#"{"startage":"1h","endage":"30m"}"#), NOW).unwrap();
        assert_eq!((window.start_us as i128, window.end_us as i128), (NOW - HOUR, NOW - HOUR / 2));
        let end_only = resolve(&search(r#"{"endtime":"2001-09-09T01:46:40Z"}"#), NOW).unwrap();
        assert_eq!(end_only.end_us as i128, NOW);
        assert_eq!(end_only.start_us as i128, NOW - 48 * HOUR);
        let message = |json: &str| resolve(&search(json), NOW).unwrap_err().message;
        assert_eq!(
            message(r#"{"starttime":"2001-09-09T01:46:40Z","startage":"1h"}"#),
            "May only specify one of start time or start age"
        );
        assert_eq!(
            message(r#"{"endtime":"2001-09-09T01:46:40Z","endage":"1h"}"#),
            "May only specify one of end time or end age"
        );
        assert_eq!(message(r#"{"startage":"1h","endage":"2h"}"#), "Start age must be before (older than) end age");
        assert_eq!(
            message(r#"{"starttime":"2001-09-09T01:46:40Z","endage":"1h"}"#),
            "Start time must be before (older than) end age"
        );
        assert!(
            message(r#"{"startage":"5x"}"#).contains("expected duration, but got string 5x for field \"startage\"")
        );
        assert!(message(r#"{"starttime":"yesterday"}"#).starts_with("Invalid JSON data: Unmarshal time \"yesterday\""));
        let go_client =
            r#"{"starttime":"0001-01-01T00:00:00Z","endtime":"0001-01-01T00:00:00Z","startage":"0s","endage":"0s"}"#;
        let unset = resolve(&search(go_client), NOW).unwrap();
        assert_eq!((unset.start_us as i128, unset.end_us as i128), (NOW - 48 * HOUR, NOW));
        let nanos = resolve(&search(r#"{"startage":3600000000000}"#), NOW).unwrap();
        assert_eq!(nanos.start_us as i128, NOW - HOUR);
    }

    #[test]
    fn paging_follows_elasticsearch() {
        assert_eq!(page(&search("{}")).unwrap(), (0, 10));
        assert_eq!(page(&search(r#"{"from":5,"limit":3}"#)).unwrap(), (5, 3));
        assert!(page(&search(r#"{"from":9999,"limit":2}"#)).is_err());
        assert!(page(&search(r#"{"limit":-1}"#)).is_err());
        assert_eq!(buckets(&search("{}")).unwrap(), 100);
    }

    #[test]
    fn wildcards_and_words() {
        assert!(glob("create*", "createApp") && glob("*App*", "CreateAppInst") && glob("a?c", "abc"));
        assert!(!glob("create", "createApp") && !glob("Create*", "createApp"));
        let text = Text::new("Failure Random");
        assert!(text.matches("failed, random failure", true));
        assert!(!text.matches("failed, random", true) && text.matches("failed, random", false));
        assert!(Text::tag_value("dmuus-cloud*").is_err() && Text::tag_value("dmuus*").is_ok());
        assert!(Text::new("dmuus cloud").matches("dmuus-cloud-1", true));
        assert!(Text::new("clo*").matches("dmuus-CLOUD-1", true));
        assert!(Text::new("1.*").matches("version 1.0", true) && !Text::new("1").matches("version 1.0", true));
    }

    #[test]
    fn non_admin_scopes_narrow_and_never_widen() {
        let mine: std::collections::BTreeSet<String> = ["a".to_owned(), "b".to_owned()].into();
        assert_eq!(org_scope(&[], Some(&mine)), Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(org_scope(&["b".to_owned(), "other".to_owned()], Some(&mine)), Some(vec!["b".to_owned()]));
        assert_eq!(org_scope(&[], None), None);
        assert_eq!(org_scope(&["x*".to_owned()], None), Some(vec!["x*".to_owned()]));
    }
}
