//! The Lighthouse API v0.2 (`/api/v0.2`): session logins, users with
//! AuthLevels, beacons and their instances, aliases, and applications
//! deployed through beacons with a streamed progress report.

pub mod applications;
pub mod beacon_http;
pub mod beacons;
pub mod deploy;
pub mod errors;
pub mod rules;
pub mod session;
mod store;
pub mod tokens;
pub mod users;

/// Generated from `openapi/lighthouse.yaml` by build.rs.
#[allow(clippy::large_enum_variant, clippy::too_many_arguments)]
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/lighthouse.rs"));
}

use std::sync::Arc;

use api::*;
use errors::LighthouseError;
use session::LighthouseCaller;

pub const SPEC_YAML: &str = include_str!("../../../openapi/lighthouse.yaml");
pub const SPEC_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/lighthouse.json"));
pub const PATH_PREFIX: &str = "/api/v0.2";

#[derive(Clone)]
pub struct Lighthouse {
    db: sea_orm::DatabaseConnection,
    sessions: session::Sessions,
    sealer: tokens::Sealer,
    http: beacon_http::BeaconHttp,
    running: Arc<applications::Running>,
}

impl Lighthouse {
    pub fn new(sessions: session::Sessions, sealer: tokens::Sealer) -> Self {
        Self {
            db: sessions.db.clone(),
            sessions,
            sealer,
            http: beacon_http::BeaconHttp::new(),
            running: Arc::default(),
        }
    }
}

/// The paths whose last parameter the original matched with gorilla's
/// `{Name:.*}`, slashes included (a beacon at `example.com/mybeacon`, an
/// instance at `127.0.0.1:5001/v1.12`).
const REST_PARAMETER_PATHS: [&str; 9] = [
    "/aliases/",
    "/beacons/token/",
    "/beacons/list/",
    "/beacons/refresh/",
    "/applications/list/",
    "/applications/start/",
    "/applications/stop/",
    "/applications/revert/",
    "/applications/update/",
];

/// Reads a request as gorilla/mux would route it: the slashes in a
/// trailing `.*` parameter become part of it (percent-encoded, which the
/// router decodes into the parameter).
pub fn prepare(req: &mut poem::Request) {
    let path = req.uri().path();
    let Some(below) = path.strip_prefix(PATH_PREFIX) else { return };
    let Some((route, rest)) = REST_PARAMETER_PATHS
        .iter()
        .find_map(|route| below.strip_prefix(route).map(|rest| (route, rest)))
        .filter(|(_, rest)| rest.contains('/'))
    else {
        return;
    };
    let rewritten = format!("{PATH_PREFIX}{route}{}", rest.replace('/', "%2F"));
    let uri = match req.uri().query() {
        Some(query) => format!("{rewritten}?{query}"),
        None => rewritten,
    };
    if let Ok(uri) = uri.parse() {
        *req.uri_mut() = uri;
    }
}

/// Ends the session a login or logout request carries (a failed login
/// logs out, as the original's did; a successful one replaces it), around
/// the surface's routes, since only the raw request shows the cookie.
pub async fn session_edges<E: poem::Endpoint>(next: Arc<E>, req: poem::Request) -> poem::Result<poem::Response> {
    use poem::IntoResponse;
    let path = req.uri().path();
    let ends = matches!(
        (req.method().as_str(), path.strip_prefix(PATH_PREFIX)),
        ("POST", Some("/login")) | ("GET", Some("/logout"))
    );
    let ending = ends.then(|| session::presented(&req)).flatten();
    let sessions = req.data::<session::Sessions>().cloned();
    let response = next.call(req).await?.into_response();
    if let (Some(value), Some(sessions)) = (ending, sessions)
        && let Err(error) = session::end(&sessions.db, &value).await
    {
        tracing::warn!(%error, "ending a lighthouse session");
    }
    Ok(response)
}

/// How Lighthouse answers a path it does not route: without a session, its
/// middleware's 401 (it runs before routing); with one, its 404.
pub fn unmatched(presented_session: bool) -> poem::Response {
    use poem::IntoResponse;
    match presented_session {
        false => LighthouseError::not_logged_in().into_response(),
        true => LighthouseError::new(poem::http::StatusCode::NOT_FOUND, "lighthouse", "page not found").into_response(),
    }
}

/// Operations declare who may call them (`x-steward-permission`); the
/// AuthLevel and resource-level rules need the objects named, so each
/// handler applies its rule (`rules.rs`) where it reads them.
#[async_trait::async_trait]
impl crate::wire::Authorize<LighthouseCaller, LighthouseError> for Lighthouse {
    async fn authorize(
        &self,
        _caller: &LighthouseCaller,
        _permission: &crate::wire::Permission,
        _body: Option<&serde_json::Value>,
    ) -> Result<(), LighthouseError> {
        Ok(())
    }
}

/// Go's `strconv.ParseBool` defaults, as the original reads its flags.
fn flag(value: Option<bool>) -> bool {
    value.unwrap_or(false)
}

#[async_trait::async_trait]
impl LighthouseApi for Lighthouse {
    async fn login(&self, request: LoginRequest) -> Result<LoginResponse, LighthouseError> {
        users::login(self, request.body).await
    }

    async fn logout(&self) -> Result<LogoutResponse, LighthouseError> {
        Ok(users::logout())
    }

    async fn list_users(&self, caller: LighthouseCaller) -> Result<ListUsersResponse, LighthouseError> {
        users::list(self, &caller).await.map(ListUsersResponse::Ok)
    }

    async fn create_user(
        &self,
        caller: LighthouseCaller,
        request: CreateUserRequest,
    ) -> Result<CreateUserResponse, LighthouseError> {
        users::create(self, &caller, request.body).await.map(|()| CreateUserResponse::Ok)
    }

    async fn get_user(
        &self,
        caller: LighthouseCaller,
        request: GetUserRequest,
    ) -> Result<GetUserResponse, LighthouseError> {
        users::get(self, &caller, &request.email).await.map(GetUserResponse::Ok)
    }

    async fn update_user(
        &self,
        caller: LighthouseCaller,
        request: UpdateUserRequest,
    ) -> Result<UpdateUserResponse, LighthouseError> {
        users::update(self, &caller, &request.email, request.body).await.map(|()| UpdateUserResponse::Ok)
    }

    async fn create_beacon(
        &self,
        caller: LighthouseCaller,
        request: CreateBeaconRequest,
    ) -> Result<CreateBeaconResponse, LighthouseError> {
        beacons::create(self, &caller, request.body).await.map(|()| CreateBeaconResponse::Ok)
    }

    async fn update_beacon_token(
        &self,
        caller: LighthouseCaller,
        request: UpdateBeaconTokenRequest,
    ) -> Result<UpdateBeaconTokenResponse, LighthouseError> {
        beacons::update_token(self, &caller, &request.beacon, request.body)
            .await
            .map(|()| UpdateBeaconTokenResponse::Ok)
    }

    async fn list_beacons(&self, caller: LighthouseCaller) -> Result<ListBeaconsResponse, LighthouseError> {
        beacons::list(self, &caller).await.map(ListBeaconsResponse::Ok)
    }

    async fn list_beacon_instances(
        &self,
        caller: LighthouseCaller,
        request: ListBeaconInstancesRequest,
    ) -> Result<ListBeaconInstancesResponse, LighthouseError> {
        beacons::instances(self, &caller, &request.beacon, flag(request.refresh))
            .await
            .map(ListBeaconInstancesResponse::Ok)
    }

    async fn refresh_beacon(
        &self,
        caller: LighthouseCaller,
        request: RefreshBeaconRequest,
    ) -> Result<RefreshBeaconResponse, LighthouseError> {
        beacons::refresh(self, &caller, &request.beacon).await.map(|()| RefreshBeaconResponse::Ok)
    }

    async fn update_alias(
        &self,
        caller: LighthouseCaller,
        request: UpdateAliasRequest,
    ) -> Result<UpdateAliasResponse, LighthouseError> {
        beacons::update_alias(self, &caller, &request.address, request.body).await.map(|()| UpdateAliasResponse::Ok)
    }

    async fn create_application(
        &self,
        caller: LighthouseCaller,
        request: CreateApplicationRequest,
    ) -> Result<CreateApplicationResponse, LighthouseError> {
        let (start, pull) = (flag(request.start), flag(request.force_pull));
        applications::create(self, &caller, start, pull, request.body).await.map(CreateApplicationResponse::Ok)
    }

    async fn list_applications(&self, caller: LighthouseCaller) -> Result<ListApplicationsResponse, LighthouseError> {
        applications::list(self, &caller).await.map(ListApplicationsResponse::Ok)
    }

    async fn get_application_history(
        &self,
        caller: LighthouseCaller,
        request: GetApplicationHistoryRequest,
    ) -> Result<GetApplicationHistoryResponse, LighthouseError> {
        applications::history(self, &caller, &request.id, request.count).await.map(GetApplicationHistoryResponse::Ok)
    }

    async fn start_application(
        &self,
        caller: LighthouseCaller,
        request: StartApplicationRequest,
    ) -> Result<StartApplicationResponse, LighthouseError> {
        applications::set_state(self, &caller, &request.id, true).await.map(StartApplicationResponse::Ok)
    }

    async fn stop_application(
        &self,
        caller: LighthouseCaller,
        request: StopApplicationRequest,
    ) -> Result<StopApplicationResponse, LighthouseError> {
        applications::set_state(self, &caller, &request.id, false).await.map(StopApplicationResponse::Ok)
    }

    async fn revert_application(
        &self,
        caller: LighthouseCaller,
        request: RevertApplicationRequest,
    ) -> Result<RevertApplicationResponse, LighthouseError> {
        let pull = flag(request.force_pull);
        applications::revert(self, &caller, &request.id, request.target, pull).await.map(RevertApplicationResponse::Ok)
    }

    async fn update_application(
        &self,
        caller: LighthouseCaller,
        request: UpdateApplicationRequest,
    ) -> Result<UpdateApplicationResponse, LighthouseError> {
        let restart = flag(request.restart);
        applications::update(self, &caller, &request.id, restart, request.body).await.map(UpdateApplicationResponse::Ok)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn trailing_parameters_keep_their_slashes() {
        let rewrite = |uri: &str| {
            let mut req = poem::Request::builder().uri(uri.parse().unwrap()).finish();
            super::prepare(&mut req);
            req.uri().to_string()
        };
        assert_eq!(rewrite("/api/v0.2/aliases/127.0.0.1:5001/v1.12"), "/api/v0.2/aliases/127.0.0.1:5001%2Fv1.12");
        assert_eq!(
            rewrite("/api/v0.2/beacons/list/example.com/mybeacon?refresh=true"),
            "/api/v0.2/beacons/list/example.com%2Fmybeacon?refresh=true"
        );
        assert_eq!(rewrite("/api/v0.2/beacons/list"), "/api/v0.2/beacons/list");
        assert_eq!(rewrite("/api/v0.2/users/a/b"), "/api/v0.2/users/a/b");
    }
}
