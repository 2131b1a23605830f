//! Cloudlet-pool access (`/auth/cloudletpoolaccess{invitation,response,
//! granted,pending}/*`): operators invite developer orgs to their pools,
//! developers answer, and an accepted invitation grants the developer the
//! pool's cloudlets. Rules and messages are MC's (`orgcloudletpools.go`,
//! `authz_orgcloudletpool.go`); see docs/mc-pool-access-wire.md.

use std::collections::BTreeSet;

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::api::{self, OrgCloudletPool, OrgCloudletPoolFilter};
use super::caller::McCaller;
use super::errors::McError;
use super::store::{self, text};
use super::{Mc, change, rbac};
use crate::db::entities::mc_org_cloudlet_pool::{self as row, Column};

const INVITATION: &str = "invitation";
const RESPONSE: &str = "response";

/// A developer org and an operator's pool in a region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Access {
    pub org: String,
    pub region: String,
    pub pool: String,
    pub pool_org: String,
}

impl Access {
    fn of(body: &OrgCloudletPool) -> Self {
        Self {
            org: text(&body.org).to_owned(),
            region: text(&body.region).to_owned(),
            pool: text(&body.cloudlet_pool).to_owned(),
            pool_org: text(&body.cloudlet_pool_org).to_owned(),
        }
    }

    fn of_row(model: &row::Model) -> Self {
        Self {
            org: model.org.clone(),
            region: model.region.clone(),
            pool: model.cloudlet_pool.clone(),
            pool_org: model.cloudlet_pool_org.clone(),
        }
    }

    fn wire(&self, decision: Option<&str>) -> OrgCloudletPool {
        OrgCloudletPool {
            org: Some(self.org.clone()),
            region: Some(self.region.clone()),
            cloudlet_pool: Some(self.pool.clone()),
            cloudlet_pool_org: Some(self.pool_org.clone()),
            r#type: None,
            decision: decision.filter(|d| !d.is_empty()).map(str::to_owned),
        }
    }
}

/// `validateOrgCloudletPool`.
fn validate(access: &Access) -> Result<(), McError> {
    let missing = [
        (access.org.is_empty(), "Organization name not specified"),
        (access.region.is_empty(), "Region not specified"),
        (access.pool.is_empty(), "CloudletPool name not specified"),
        (access.pool_org.is_empty(), "CloudletPool organization not specified"),
    ];
    match missing.iter().find(|(empty, _)| *empty) {
        Some((_, message)) => Err(McError::bad_request(*message)),
        None => Ok(()),
    }
}

fn matching(access: &Access, kind: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(Column::Org.eq(&access.org))
        .add(Column::Region.eq(&access.region))
        .add(Column::CloudletPool.eq(&access.pool))
        .add(Column::CloudletPoolOrg.eq(&access.pool_org))
        .add(Column::Kind.eq(kind))
}

/// Invites (`kind` invitation) or answers (response), after MC's checks.
async fn create(mc: &Mc, caller: &McCaller, body: OrgCloudletPool, kind: &str) -> Result<api::Result, McError> {
    let access = Access::of(&body);
    validate(&access)?;
    let (resource, org) = match kind {
        INVITATION => (rbac::CLOUDLET_POOLS, &access.pool_org),
        _ => (rbac::USERS, &access.org),
    };
    if !mc.rights(&caller.subject()).await?.allows(org, resource, rbac::MANAGE) {
        return Err(McError::forbidden());
    }
    let decision = match kind {
        INVITATION => String::new(),
        _ => text(&body.decision).to_owned(),
    };
    let txn = crate::db::begin_write(&mc.db).await?;
    if kind == RESPONSE {
        if decision != "accept" && decision != "reject" {
            return Err(McError::bad_request("Decision must be either accept or reject"));
        }
        if row::Entity::find().filter(matching(&access, INVITATION)).one(&txn).await?.is_none() {
            return Err(McError::bad_request("No invitation for specified cloudlet pool access"));
        }
    }
    // The developer org is held while its access is added, as regional
    // objects hold theirs, so that a racing org delete sees the row.
    let developer = match store::org_by_name(&txn, &access.org).await? {
        Some(found) => super::regional::store::lock_org(&txn, &found.name).await?.and(Some(found)),
        None => None,
    };
    match developer {
        None => return Err(McError::bad_request("Specified developer organization not found")),
        Some(found) if found.org_type != "developer" => {
            return Err(McError::bad_request("Specified organization is not a developer organization"));
        }
        Some(_) => {}
    }
    let region = super::regional::region(mc, &Some(access.region.clone())).await?;
    let pool = super::regional::cloudlet_pool::CLOUDLET_POOL
        .key_text(&serde_json::json!({"key": {"organization": access.pool_org, "name": access.pool}}));
    let found =
        super::regional::store::find_for_update(&txn, &region, &super::regional::cloudlet_pool::CLOUDLET_POOL, &pool)
            .await?;
    if found.is_none() {
        return Err(McError::bad_request(format!(
            "Specified CloudletPool {} org {} for region {region} not found",
            access.pool, access.pool_org
        )));
    }
    let model = row::ActiveModel {
        seq: sea_orm::ActiveValue::NotSet,
        org: Set(access.org.clone()),
        region: Set(access.region.clone()),
        cloudlet_pool: Set(access.pool.clone()),
        cloudlet_pool_org: Set(access.pool_org.clone()),
        kind: Set(kind.to_owned()),
        decision: Set(decision),
    };
    let on_conflict =
        OnConflict::columns([Column::Org, Column::Region, Column::CloudletPool, Column::CloudletPoolOrg, Column::Kind])
            .do_nothing()
            .to_owned();
    let inserted = row::Entity::insert(model).on_conflict(on_conflict).exec_without_returning(&txn).await?;
    if inserted == 0 {
        return Err(McError::bad_request(format!(
            "CloudletPool {kind} for org {}, region {}, pool {} poolorg {} already exists",
            access.org, access.region, access.pool, access.pool_org
        )));
    }
    let target = format!("{} {} {} {}", access.region, access.pool_org, access.pool, access.org);
    mc.audited.record(&txn, &change(caller.username(), &format!("create cloudlet pool {kind}"), &target)).await?;
    txn.commit().await?;
    Ok(api::Result { message: Some(format!("{} created", super::errors::capitalized(kind))), code: None })
}

/// Withdraws an invitation (and the response to it) or a response.
async fn delete(mc: &Mc, caller: &McCaller, body: OrgCloudletPool, kind: &str) -> Result<api::Result, McError> {
    let access = Access::of(&body);
    validate(&access)?;
    let (resource, org) = match kind {
        INVITATION => (rbac::CLOUDLET_POOLS, &access.pool_org),
        _ => (rbac::USERS, &access.org),
    };
    if !mc.rights(&caller.subject()).await?.allows(org, resource, rbac::MANAGE) {
        return Err(McError::forbidden());
    }
    let txn = crate::db::begin_write(&mc.db).await?;
    let removed = row::Entity::delete_many().filter(matching(&access, kind)).exec(&txn).await?.rows_affected;
    if kind == INVITATION {
        row::Entity::delete_many().filter(matching(&access, RESPONSE)).exec(&txn).await?;
    }
    if removed == 0 {
        let what = super::errors::capitalized(kind);
        txn.commit().await?;
        return Err(McError::bad_request(format!("{what} not found")));
    }
    let target = format!("{} {} {} {}", access.region, access.pool_org, access.pool, access.org);
    mc.audited.record(&txn, &change(caller.username(), &format!("delete cloudlet pool {kind}"), &target)).await?;
    txn.commit().await?;
    Ok(api::Result { message: Some(format!("{} deleted", super::errors::capitalized(kind))), code: None })
}

/// Every access row matching `filter`, in the order written.
async fn rows(db: &impl ConnectionTrait, filter: &OrgCloudletPoolFilter) -> Result<Vec<row::Model>, McError> {
    let mut query = row::Entity::find().order_by_asc(Column::Seq);
    let conditions = [
        (Column::Org, &filter.org),
        (Column::Region, &filter.region),
        (Column::CloudletPool, &filter.cloudlet_pool),
        (Column::CloudletPoolOrg, &filter.cloudlet_pool_org),
        (Column::Kind, &filter.r#type),
        (Column::Decision, &filter.decision),
    ];
    for (column, value) in conditions {
        if let Some(value) = value {
            query = query.filter(column.eq(value.clone()));
        }
    }
    Ok(query.all(db).await?)
}

/// MC's `getAccessGranted`: an invitation and an accepting response, in
/// the order the later of the two was written.
fn granted(rows: &[row::Model]) -> Vec<Access> {
    let mut state: std::collections::BTreeMap<Access, u8> = Default::default();
    let mut out = Vec::new();
    for model in rows {
        let bit = match (model.kind.as_str(), model.decision.as_str()) {
            (INVITATION, _) => 1,
            (RESPONSE, "accept") => 2,
            _ => continue,
        };
        let access = Access::of_row(model);
        let entry = state.entry(access.clone()).or_default();
        *entry |= bit;
        if *entry == 3 {
            out.push(access);
            *entry = 4;
        }
    }
    out
}

/// MC's `getAccessPending`: invitations with no response at all.
fn pending(rows: &[row::Model]) -> Vec<Access> {
    let answered: BTreeSet<Access> = rows.iter().filter(|m| m.kind == RESPONSE).map(Access::of_row).collect();
    rows.iter().filter(|m| m.kind == INVITATION).map(Access::of_row).filter(|a| !answered.contains(a)).collect()
}

/// The pools of `region` granted to any of `orgs` (or to every org), as
/// (pool org, pool name).
pub async fn granted_pools(
    db: &impl ConnectionTrait,
    region: &str,
    orgs: Option<&BTreeSet<String>>,
) -> Result<BTreeSet<(String, String)>, McError> {
    let filter = OrgCloudletPoolFilter { region: Some(region.to_owned()), ..Default::default() };
    let all = rows(db, &filter).await?;
    Ok(granted(&all)
        .into_iter()
        .filter(|access| orgs.is_none_or(|orgs| orgs.contains(&access.org)))
        .map(|access| (access.pool_org, access.pool))
        .collect())
}

/// The developer orgs granted pools of `pool_orgs` in `region` (any when none).
pub async fn granted_orgs(
    db: &impl ConnectionTrait,
    region: Option<&str>,
    pool_orgs: &BTreeSet<String>,
) -> Result<BTreeSet<String>, McError> {
    let filter = OrgCloudletPoolFilter { region: region.map(str::to_owned), ..Default::default() };
    let all = rows(db, &filter).await?;
    Ok(granted(&all).into_iter().filter(|a| pool_orgs.contains(&a.pool_org)).map(|a| a.org).collect())
}

/// The rows the caller may see of the kind shown.
async fn show(
    mc: &Mc,
    caller: &McCaller,
    filter: Option<OrgCloudletPoolFilter>,
    shown: &str,
) -> Result<Vec<OrgCloudletPool>, McError> {
    let mut filter = filter.unwrap_or_default();
    match shown {
        INVITATION | RESPONSE => filter.r#type = Some(shown.to_owned()),
        _ => filter.r#type = None,
    }
    let rights = mc.rights(&caller.subject()).await?;
    let operator_orgs = rights.orgs_with(rbac::CLOUDLET_POOLS, rbac::VIEW);
    let developer_orgs = rights.orgs_with(rbac::USERS, rbac::VIEW);
    if operator_orgs.is_empty() && developer_orgs.is_empty() {
        return Err(McError::forbidden());
    }
    let all = operator_orgs.contains("");
    let visible: Vec<row::Model> = rows(&mc.db, &filter)
        .await?
        .into_iter()
        .filter(|m| all || operator_orgs.contains(&m.cloudlet_pool_org) || developer_orgs.contains(&m.org))
        .collect();
    Ok(match shown {
        INVITATION | RESPONSE => visible.iter().map(|m| Access::of_row(m).wire(Some(&m.decision))).collect(),
        "granted" => granted(&visible).iter().map(|a| a.wire(None)).collect(),
        _ => pending(&visible).iter().map(|a| a.wire(None)).collect(),
    })
}

/// MC's refusal to delete a pool someone was invited to.
pub async fn refuse_referenced_pool(
    db: &impl ConnectionTrait,
    region: &str,
    pool_org: &str,
    pool: &str,
) -> Result<(), McError> {
    let filter = OrgCloudletPoolFilter {
        region: Some(region.to_owned()),
        cloudlet_pool: Some(pool.to_owned()),
        cloudlet_pool_org: Some(pool_org.to_owned()),
        ..Default::default()
    };
    let refs: Vec<String> = rows(db, &filter).await?.iter().map(|m| format!("{} {}", m.org, m.kind)).collect();
    match refs.is_empty() {
        true => Ok(()),
        false => Err(McError::bad_request(format!(
            "Cannot delete CloudletPool region {region} name {pool} because it is referenced by {}",
            refs.join(", ")
        ))),
    }
}

/// Whether any access row names `org` as its developer (MC's foreign key
/// refuses the org's delete then).
pub async fn names_org(db: &impl ConnectionTrait, org: &str) -> Result<bool, McError> {
    Ok(row::Entity::find().filter(Column::Org.eq(org)).one(db).await?.is_some())
}

#[async_trait::async_trait]
impl api::CloudletPoolAccessApi for Mc {
    async fn create_cloudlet_pool_access_invitation(
        &self,
        caller: McCaller,
        request: api::CreateCloudletPoolAccessInvitationRequest,
    ) -> Result<api::CreateCloudletPoolAccessInvitationResponse, McError> {
        create(self, &caller, request.body, INVITATION).await.map(api::CreateCloudletPoolAccessInvitationResponse::Ok)
    }

    async fn delete_cloudlet_pool_access_invitation(
        &self,
        caller: McCaller,
        request: api::DeleteCloudletPoolAccessInvitationRequest,
    ) -> Result<api::DeleteCloudletPoolAccessInvitationResponse, McError> {
        delete(self, &caller, request.body, INVITATION).await.map(api::DeleteCloudletPoolAccessInvitationResponse::Ok)
    }

    async fn show_cloudlet_pool_access_invitation(
        &self,
        caller: McCaller,
        request: api::ShowCloudletPoolAccessInvitationRequest,
    ) -> Result<api::ShowCloudletPoolAccessInvitationResponse, McError> {
        show(self, &caller, request.body, INVITATION).await.map(api::ShowCloudletPoolAccessInvitationResponse::Ok)
    }

    async fn create_cloudlet_pool_access_response(
        &self,
        caller: McCaller,
        request: api::CreateCloudletPoolAccessResponseRequest,
    ) -> Result<api::CreateCloudletPoolAccessResponseResponse, McError> {
        create(self, &caller, request.body, RESPONSE).await.map(api::CreateCloudletPoolAccessResponseResponse::Ok)
    }

    async fn delete_cloudlet_pool_access_response(
        &self,
        caller: McCaller,
        request: api::DeleteCloudletPoolAccessResponseRequest,
    ) -> Result<api::DeleteCloudletPoolAccessResponseResponse, McError> {
        delete(self, &caller, request.body, RESPONSE).await.map(api::DeleteCloudletPoolAccessResponseResponse::Ok)
    }

    async fn show_cloudlet_pool_access_response(
        &self,
        caller: McCaller,
        request: api::ShowCloudletPoolAccessResponseRequest,
    ) -> Result<api::ShowCloudletPoolAccessResponseResponse, McError> {
        show(self, &caller, request.body, RESPONSE).await.map(api::ShowCloudletPoolAccessResponseResponse::Ok)
    }

    async fn show_cloudlet_pool_access_granted(
        &self,
        caller: McCaller,
        request: api::ShowCloudletPoolAccessGrantedRequest,
    ) -> Result<api::ShowCloudletPoolAccessGrantedResponse, McError> {
        show(self, &caller, request.body, "granted").await.map(api::ShowCloudletPoolAccessGrantedResponse::Ok)
    }

    async fn show_cloudlet_pool_access_pending(
        &self,
        caller: McCaller,
        request: api::ShowCloudletPoolAccessPendingRequest,
    ) -> Result<api::ShowCloudletPoolAccessPendingResponse, McError> {
        show(self, &caller, request.body, "pending").await.map(api::ShowCloudletPoolAccessPendingResponse::Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(n: u8, kind: &str, decision: &str) -> row::Model {
        row::Model {
            seq: 0,
            org: format!("dev{n}"),
            region: "local".into(),
            cloudlet_pool: "pool".into(),
            cloudlet_pool_org: "op".into(),
            kind: kind.into(),
            decision: decision.into(),
        }
    }

    /// MC's own unit test of the pairing (orgcloudletpools_test.go).
    #[test]
    fn grants_and_pending_pair_as_mc_pairs_them() {
        let (i, a, r) = (INVITATION, "accept", "reject");
        let rows = [
            model(7, RESPONSE, a),
            model(1, i, ""),
            model(1, RESPONSE, a),
            model(2, i, ""),
            model(3, RESPONSE, a),
            model(4, i, ""),
            model(6, i, ""),
            model(5, RESPONSE, a),
            model(4, RESPONSE, a),
            model(7, i, ""),
            model(8, i, ""),
            model(8, RESPONSE, r),
            model(9, i, ""),
            model(10, RESPONSE, r),
            model(10, i, ""),
        ];
        let orgs = |list: Vec<Access>| list.into_iter().map(|a| a.org).collect::<Vec<_>>();
        assert_eq!(orgs(granted(&rows)), ["dev1", "dev4", "dev7"]);
        assert_eq!(orgs(pending(&rows)), ["dev2", "dev6", "dev9"]);
    }
}
