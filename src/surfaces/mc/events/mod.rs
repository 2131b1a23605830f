//! MC's events (`/auth/events/{show,find,terms}`): searches of the audit
//! log `record` writes. The store narrows by time window, exact names and
//! exact orgs through indexes; the rest of a search's criteria are matched
//! here, newest first, page by page.

pub mod record;
pub mod search;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::ControlFlow;

use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::api::{self, AggrVal, EventData, EventSearch, EventTerms};
use super::caller::McCaller;
use super::errors::McError;
use super::{Mc, rbac, store};
use crate::db::audit;
use crate::db::entities::{audit_event, audit_event_org, mc_org};
use search::{Candidate, Criteria, Window};

pub use record::recorded;

/// Rows read per round trip while scanning, at most (the first read asks
/// for what the page needs; each next one for twice as many).
const MAX_BATCH: u64 = 1024;

/// A stored event, decoded.
struct Event {
    id: i64,
    at_us: i64,
    name: String,
    kind: String,
    region: String,
    error: String,
    orgs: Vec<String>,
    tags: BTreeMap<String, String>,
    /// The tags as stored, while no criterion has needed them parsed.
    unparsed_tags: Option<String>,
}

fn parse_tags(text: &str) -> BTreeMap<String, String> {
    serde_json::from_str(text).unwrap_or_default()
}

impl Event {
    fn from_row(row: audit_event::Model, with_tags: bool) -> Self {
        let (tags, unparsed_tags) = match (row.tags, with_tags) {
            (Some(text), true) => (parse_tags(&text), None),
            (text, _) => (BTreeMap::new(), text),
        };
        Self {
            id: row.id,
            at_us: row.at_us.unwrap_or_default(),
            name: row.name.unwrap_or_default(),
            kind: row.kind.unwrap_or_default(),
            region: row.region.unwrap_or_default(),
            error: row.error.unwrap_or_default(),
            orgs: row.orgs.and_then(|orgs| serde_json::from_str(&orgs).ok()).unwrap_or_default(),
            tags,
            unparsed_tags,
        }
    }

    fn candidate(&self) -> Candidate<'_> {
        Candidate {
            name: &self.name,
            orgs: &self.orgs,
            kind: &self.kind,
            region: &self.region,
            error: &self.error,
            tags: &self.tags,
        }
    }

    fn data(self) -> EventData {
        let text = |value: String| (!value.is_empty()).then_some(value);
        let tags = match &self.unparsed_tags {
            Some(unparsed) => parse_tags(unparsed),
            None => self.tags,
        };
        EventData {
            name: self.name,
            org: (!self.orgs.is_empty()).then_some(self.orgs),
            r#type: self.kind,
            region: text(self.region),
            timestamp: store::go_time(Some(audit::from_micros(self.at_us))),
            error: text(self.error),
            mtags: (!tags.is_empty()).then_some(tags),
        }
    }
}

/// A search, checked and scoped to the caller.
struct Scoped {
    window: Window,
    /// `None`: every org.
    orgs: Option<Vec<String>>,
    matching: Criteria,
    excluded: Criteria,
    /// The orgs' creation instants, for callers who only see events from
    /// an org's creation on (everyone but AdminManagers).
    created: Option<HashMap<String, i64>>,
}

impl Scoped {
    async fn new(mc: &Mc, caller: &McCaller, search: &EventSearch, org_history: bool) -> Result<Self, McError> {
        let window = search::resolve(search, i128::from(audit::micros(time::OffsetDateTime::now_utc())))?;
        let rights = mc.rights(&caller.subject()).await?;
        let viewable = rights.orgs_with(rbac::USERS, rbac::VIEW);
        if viewable.is_empty() {
            return Err(McError::forbidden());
        }
        let caller_orgs = (!viewable.contains("")).then_some(&viewable);
        let requested = search.allowedorgs.clone().unwrap_or_default();
        let created = match org_history && !rights.is_admin_manager() {
            true => Some(org_creations(mc).await?),
            false => None,
        };
        Ok(Self {
            window,
            orgs: search::org_scope(&requested, caller_orgs),
            matching: Criteria::new(search.r#match.as_ref())?,
            excluded: Criteria::new(search.notmatch.as_ref())?,
            created,
        })
    }

    /// Whether the caller may see the event: one of its orgs existed when
    /// it happened (so a new org does not inherit a deleted namesake's).
    fn visible(&self, event: &Event) -> bool {
        let Some(created) = &self.created else { return true };
        let earliest = event.orgs.iter().filter_map(|org| created.get(org)).min();
        earliest.is_some_and(|created| event.at_us >= *created)
    }

    fn admits(&self, event: &Event) -> bool {
        search::in_scope(&self.orgs, &event.orgs) && !self.excluded.any(&event.candidate()) && self.visible(event)
    }

    /// Reads the window newest first, handing each admitted event over
    /// until `each` breaks.
    async fn scan(
        &self,
        mc: &Mc,
        read: Read<'_>,
        mut each: impl FnMut(Event) -> ControlFlow<()>,
    ) -> Result<(), McError> {
        let with_tags = read.tags || self.matching.needs_tags() || self.excluded.needs_tags();
        let mut batch = read.first.clamp(1, MAX_BATCH);
        let mut after: Option<(i64, i64)> = None;
        loop {
            let mut query = audit_event::Entity::find()
                .filter(audit_event::Column::Surface.eq("mc"))
                .filter(audit_event::Column::AtUs.gte(self.window.start_us))
                .filter(audit_event::Column::AtUs.lt(self.window.end_us))
                .filter(audit_event::Column::Name.is_not_null());
            if let Some(names) = read.names {
                query = query.filter(audit_event::Column::Name.is_in(names.iter().cloned()));
            }
            if let Some(orgs) = self.orgs.as_ref().filter(|orgs| !orgs.iter().any(|org| org.contains(['*', '?']))) {
                // Probed per event through the orgs' primary key (org, at_us,
                // event_id): the cost stays linear in the rows read whatever
                // plan the database picks (an IN subquery became a nested
                // loop over the org's whole range on PostgreSQL before its
                // statistics caught up).
                let mut org_of_event = Query::select();
                org_of_event
                    .expr(Expr::val(1))
                    .from(audit_event_org::Entity)
                    .and_where(
                        Expr::col((audit_event_org::Entity, audit_event_org::Column::EventId))
                            .equals((audit_event::Entity, audit_event::Column::Id)),
                    )
                    .and_where(
                        Expr::col((audit_event_org::Entity, audit_event_org::Column::AtUs))
                            .equals((audit_event::Entity, audit_event::Column::AtUs)),
                    )
                    .and_where(audit_event_org::Column::Org.is_in(orgs.iter().cloned()));
                query = query.filter(Expr::exists(org_of_event.to_owned()));
            }
            // A row-value bound, so both databases seek the index
            // (an OR of the two conditions made PostgreSQL sort the window
            // for every page).
            if let Some((at_us, id)) = after {
                let position = Expr::tuple([Expr::col(audit_event::Column::AtUs), Expr::col(audit_event::Column::Id)]);
                query = query.filter(position.lt(Expr::tuple([Expr::value(at_us), Expr::value(id)])));
            }
            let rows = query
                .order_by_desc(audit_event::Column::AtUs)
                .order_by_desc(audit_event::Column::Id)
                .limit(batch)
                .all(&mc.db)
                .await?;
            let full = rows.len() as u64 == batch;
            batch = Ord::min(batch * 2, MAX_BATCH);
            for row in rows {
                let event = Event::from_row(row, with_tags);
                after = Some((event.at_us, event.id));
                if self.admits(&event) && each(event).is_break() {
                    return Ok(());
                }
            }
            if !full {
                return Ok(());
            }
        }
    }
}

/// How a scan reads: the exact names the store may narrow by, how many rows
/// the first read asks for, and whether every event's tags are needed.
struct Read<'a> {
    names: Option<&'a [String]>,
    first: u64,
    tags: bool,
}

async fn org_creations(mc: &Mc) -> Result<HashMap<String, i64>, McError> {
    let orgs = mc_org::Entity::find()
        .select_only()
        .columns([mc_org::Column::Name, mc_org::Column::CreatedAt])
        .into_tuple::<(String, time::OffsetDateTime)>()
        .all(&mc.db)
        .await?;
    Ok(orgs.into_iter().map(|(name, created)| (name, audit::micros(created))).collect())
}

pub async fn show(mc: &Mc, caller: &McCaller, search: EventSearch) -> Result<Vec<EventData>, McError> {
    let scoped = Scoped::new(mc, caller, &search, true).await?;
    let (from, limit) = search::page(&search)?;
    let mut skipped = 0;
    let mut out = Vec::new();
    scoped
        .scan(mc, Read { names: scoped.matching.exact_names(), first: (from + limit) as u64, tags: false }, |event| {
            if !scoped.matching.all(&event.candidate()) {
                return ControlFlow::Continue(());
            }
            match skipped < from {
                true => skipped += 1,
                false => out.push(event.data()),
            }
            if out.len() >= limit { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        })
        .await?;
    Ok(out)
}

pub async fn find(mc: &Mc, caller: &McCaller, search: EventSearch) -> Result<Vec<EventData>, McError> {
    let scoped = Scoped::new(mc, caller, &search, true).await?;
    let (from, limit) = search::page(&search)?;
    let keep = from + limit;
    // Best first: most criteria met, then newest (the scan's order breaks
    // ties, as it is newest first).
    let mut ranked: Vec<(usize, usize, Event)> = Vec::new();
    let mut seen = 0usize;
    scoped
        .scan(mc, Read { names: None, first: MAX_BATCH, tags: false }, |event| {
            let score = scoped.matching.score(&event.candidate());
            ranked.push((score, seen, event));
            seen += 1;
            if ranked.len() >= keep.max(1) * 4 {
                trim(&mut ranked, keep);
            }
            ControlFlow::Continue(())
        })
        .await?;
    trim(&mut ranked, keep);
    Ok(ranked.into_iter().skip(from).map(|(_, _, event)| event.data()).collect())
}

fn trim(ranked: &mut Vec<(usize, usize, Event)>, keep: usize) {
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.truncate(keep);
}

pub async fn terms(mc: &Mc, caller: &McCaller, search: EventSearch) -> Result<EventTerms, McError> {
    let scoped = Scoped::new(mc, caller, &search, false).await?;
    let size = search::buckets(&search)?;
    let mut counts: [HashMap<String, i64>; 5] = Default::default();
    scoped
        .scan(mc, Read { names: scoped.matching.exact_names(), first: MAX_BATCH, tags: true }, |event| {
            if !scoped.matching.all(&event.candidate()) {
                return ControlFlow::Continue(());
            }
            let [names, orgs, types, regions, tag_keys] = &mut counts;
            *names.entry(event.name).or_default() += 1;
            for org in event.orgs.into_iter().collect::<BTreeSet<_>>() {
                *orgs.entry(org).or_default() += 1;
            }
            *types.entry(event.kind).or_default() += 1;
            if !event.region.is_empty() {
                *regions.entry(event.region).or_default() += 1;
            }
            for key in event.tags.into_keys() {
                *tag_keys.entry(key).or_default() += 1;
            }
            ControlFlow::Continue(())
        })
        .await?;
    let [names, orgs, types, regions, tag_keys] = counts;
    Ok(EventTerms {
        names: top(names, size),
        orgs: top(orgs, size),
        types: top(types, size),
        regions: top(regions, size),
        tagkeys: top(tag_keys, size.saturating_mul(2)),
    })
}

/// Elasticsearch's terms buckets: most frequent first, then by key; none
/// leaves the field out.
fn top(counts: HashMap<String, i64>, size: usize) -> Option<Vec<AggrVal>> {
    let mut buckets: Vec<(String, i64)> = counts.into_iter().collect();
    buckets.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    buckets.truncate(size);
    (!buckets.is_empty()).then(|| buckets.into_iter().map(|(key, count)| AggrVal { key, count: Some(count) }).collect())
}

#[async_trait::async_trait]
impl api::EventsApi for Mc {
    async fn show_events(
        &self,
        caller: McCaller,
        request: api::ShowEventsRequest,
    ) -> Result<api::ShowEventsResponse, McError> {
        show(self, &caller, request.body).await.map(api::ShowEventsResponse::Ok)
    }

    async fn find_events(
        &self,
        caller: McCaller,
        request: api::FindEventsRequest,
    ) -> Result<api::FindEventsResponse, McError> {
        find(self, &caller, request.body).await.map(api::FindEventsResponse::Ok)
    }

    async fn event_terms(
        &self,
        caller: McCaller,
        request: api::EventTermsRequest,
    ) -> Result<api::EventTermsResponse, McError> {
        terms(self, &caller, request.body).await.map(api::EventTermsResponse::Ok)
    }
}
