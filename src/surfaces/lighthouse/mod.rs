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
    sealer: crate::sealing::Sealer,
    http: beacon_http::BeaconHttp,
    running: Arc<applications::Running>,
}

impl Lighthouse {
    pub fn new(sessions: session::Sessions, sealer: crate::sealing::Sealer) -> Self {
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

/// Around the surface's routes, where the raw request shows the cookie:
/// - a logout ends the session it carries; a login that succeeds replaces
///   it, and one with a wrong password for a known user ends it (the
///   original set `logged_in` false then; an unknown email left it alone);
/// - a path no route matches answers the original's 401 unless the
///   session is a live one (its middleware ran before its router).
pub async fn session_edges<E: poem::Endpoint>(next: Arc<E>, mut req: poem::Request) -> poem::Result<poem::Response> {
    use poem::IntoResponse;
    let presented = session::presented(&req);
    let Some(sessions) = req.data::<session::Sessions>().cloned() else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let route = (method.as_str(), path.strip_prefix(PATH_PREFIX));
    let (login, logout) = (route == ("POST", Some("/login")), route == ("GET", Some("/logout")));
    // The login's email, read from a copy of the body (already bounded).
    let email = match (login, &presented) {
        (true, Some(_)) => {
            let bytes = req.take_body().into_bytes().await.unwrap_or_default();
            req.set_body(bytes.clone());
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|form| form.get("Email").and_then(|e| e.as_str()).map(str::to_owned))
        }
        _ => None,
    };
    let answered = match next.call(req).await {
        Ok(output) => output.into_response(),
        Err(error) if matches!(error.status().as_u16(), 404 | 405) => {
            let live = match &presented {
                Some(value) => matches!(session::live(&sessions.db, value).await, Ok(Some(_))),
                None => false,
            };
            return match (live, empty_parameter(route)) {
                (true, Some(answer)) => Ok(answer),
                (true, None) => Err(error),
                (false, _) => Ok(LighthouseError::not_logged_in().into_response()),
            };
        }
        Err(error) => return Err(error),
    };
    let Some(value) = presented else { return Ok(answered) };
    let ends = logout
        || (login && answered.status().is_success())
        || (login && answered.status() == poem::http::StatusCode::UNAUTHORIZED && known(&sessions, email).await);
    if ends && let Err(error) = session::end(&sessions.db, &value).await {
        tracing::warn!(%error, "ending a lighthouse session");
    }
    Ok(answered)
}

/// What the original answered for a route whose trailing `{Name:.*}`
/// parameter is empty (gorilla matched it; poem's router does not): the
/// handler's own answer to an empty name.
fn empty_parameter(route: (&str, Option<&str>)) -> Option<poem::Response> {
    use poem::IntoResponse;
    use poem::http::StatusCode;
    match (route.0, route.1?) {
        ("PUT", "/beacons/token/") => {
            Some(LighthouseError::beacons(StatusCode::BAD_REQUEST, errors::BEACON_PARAMETERS).into_response())
        }
        // Nobody has a level on the beacon "": an empty list.
        ("GET", "/beacons/list/") => Some(crate::wire::json_response(StatusCode::OK, &serde_json::json!([]))),
        ("GET", "/applications/list/")
        | ("POST", "/applications/start/" | "/applications/stop/")
        | ("PUT", "/applications/revert/" | "/applications/update/") => {
            Some(LighthouseError::applications(StatusCode::NOT_FOUND, errors::APP_UNKNOWN).into_response())
        }
        _ => None,
    }
}

/// Whether a login named a user that exists.
async fn known(sessions: &session::Sessions, email: Option<String>) -> bool {
    match email {
        Some(email) => matches!(store::user(&sessions.db, &email).await, Ok(Some(_))),
        None => false,
    }
}

/// Removes applications whose first deployment began over an hour ago and
/// never finished (a process stopped mid-stream), at start, so their
/// names come free again; how many.
pub async fn sweep_unfinished_applications(db: &sea_orm::DatabaseConnection) -> Result<u64, sea_orm::DbErr> {
    let before = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let txn = crate::db::begin_write(db).await?;
    let removed = store::sweep_unfinished_applications(&txn, before).await?;
    txn.commit().await?;
    Ok(removed)
}

/// How Lighthouse answers a path it does not route for a live session
/// (`session_edges` has answered the others with its 401).
pub fn unmatched() -> poem::Response {
    use poem::IntoResponse;
    LighthouseError::new(poem::http::StatusCode::NOT_FOUND, "lighthouse", "page not found").into_response()
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

/// A query flag as the original reads it: Go's `strconv.ParseBool`, and
/// false for anything it refuses (`getBoolParamOrDefault`).
fn flag(value: Option<String>) -> bool {
    matches!(value.as_deref(), Some("1" | "t" | "T" | "TRUE" | "true" | "True"))
}

/// A query number as the original reads it: Go's `strconv.ParseInt`, and
/// `default` for anything it refuses (`getInt64ParamOrDefault`).
fn number(value: Option<String>, default: i64) -> i64 {
    value.and_then(|text| text.parse().ok()).unwrap_or(default)
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
        applications::history(self, &caller, &request.id, number(request.count, i64::from(i32::MAX)))
            .await
            .map(GetApplicationHistoryResponse::Ok)
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
        applications::revert(self, &caller, &request.id, number(request.target, -1), pull)
            .await
            .map(RevertApplicationResponse::Ok)
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
    fn empty_trailing_parameters_answer_as_the_handlers_did() {
        let status = |method: &str, path: &str| {
            super::empty_parameter((method, path.strip_prefix(super::PATH_PREFIX)))
                .map(|answer| answer.status().as_u16())
        };
        assert_eq!(status("PUT", "/api/v0.2/beacons/token/"), Some(400));
        assert_eq!(status("GET", "/api/v0.2/beacons/list/"), Some(200));
        assert_eq!(status("POST", "/api/v0.2/applications/start/"), Some(404));
        assert_eq!(status("PUT", "/api/v0.2/applications/update/"), Some(404));
        assert_eq!(status("GET", "/api/v0.2/users/"), None);
    }

    #[test]
    fn query_values_read_as_go_reads_them() {
        let some = |text: &str| Some(text.to_owned());
        for yes in ["1", "t", "T", "TRUE", "true", "True"] {
            assert!(super::flag(some(yes)), "{yes}");
        }
        for no in ["0", "f", "False", "yes", "", "tRuE"] {
            assert!(!super::flag(some(no)), "{no}");
        }
        assert!(!super::flag(None));
        assert_eq!(super::number(some("+5"), 0), 5);
        assert_eq!(super::number(some("-2"), 0), -2);
        assert_eq!(super::number(some("abc"), -1), -1);
        assert_eq!(super::number(some("99999999999999999999"), 7), 7);
    }

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
