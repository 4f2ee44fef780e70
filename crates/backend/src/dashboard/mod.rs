//! The Smart Licensing Dashboard (issue 16): a person's licences in the browser, served by the
//! backend, which holds their sign-in (tokens never reach the browser).
//!
//! Layout:
//! - [`session`]: the session cookie (hash stored, `HttpOnly`, `SameSite=Lax`, `Secure` on
//!   https), the CSRF token of every state-changing request, and the opaque id that names a
//!   person's dashboard in URLs.
//! - [`data`]: the person's inventory through the shared cache (`slbot-cache`) or a CSSM fetch
//!   with their token, with progress while it runs.
//! - [`view`]: a URL's question (filters, licence search, days, sort) → the engine's report,
//!   narrowed and sorted → a table, CSV or XLSX, so a download is exactly what is shown.
//! - [`page`] and [`svg`]: the HTML and the charts; `assets/`: one stylesheet, one small
//!   script, compiled into the binary.
//!
//! Routes (under `/dashboard`): `/` (to the person's own dashboard), `/{id}/` (overview),
//! `/{id}/report/{name}` (a report; `.csv` / `.xlsx` download it), `/{id}/api/report/{name}`
//! (the report's JSON, as `slbot report --format json`), `/{id}/api/progress`, `POST
//! /{id}/refresh`, `POST /sign-out`, `/assets/…`. [`Refusal`] is the one place where a refusal
//! becomes a status and a page (or JSON for the API).
//!
//! Access: only a session made by the sign-in callback (after its e-mail and organisation
//! policy checks, the bot's [`slbot_config::AccessPolicy`]) opens a dashboard, and only the
//! signed-in person's own.

pub mod data;
pub mod page;
pub mod session;
pub mod svg;
pub mod view;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use data::{LoadError, Loaded, Loader};
use page::Frame;
use session::{Current, Sessions};
use view::View;

/// Everything behind the dashboard's routes.
pub struct Dashboard {
    pub sessions: Arc<Sessions>,
    pub loader: Loader,
    /// Absolute URL of `/dashboard` under the public URL (no trailing slash).
    pub root: String,
    /// Where "Sign in with Cisco" goes.
    pub login_url: String,
    /// The public origin (`scheme://host[:port]`), which a state-changing request's `Origin`
    /// must be when it sends one.
    pub origin: String,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

type Dash = State<Arc<Dashboard>>;

/// The dashboard's routes, with their own security headers.
pub fn router(dashboard: Arc<Dashboard>) -> Router {
    Router::new()
        .route("/dashboard", get(entry))
        .route("/dashboard/", get(entry))
        .route("/dashboard/assets/{file}", get(asset))
        .route("/dashboard/sign-out", post(sign_out))
        .route("/dashboard/{view}", get(overview))
        .route("/dashboard/{view}/", get(overview))
        .route("/dashboard/{view}/report/{name}", get(report))
        .route("/dashboard/{view}/api/report/{name}", get(api_report))
        .route("/dashboard/{view}/api/progress", get(api_progress))
        .route("/dashboard/{view}/refresh", post(refresh))
        .layer(axum::middleware::map_response(headers))
        .with_state(dashboard)
}

async fn headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    for (name, value) in [
        // `same-origin`, not `no-referrer`: with no referrer at all a browser sends
        // `Origin: null` on its form posts, and the Origin check below needs the real one.
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        // A person's licences are not for shared caches, nor for the back button after sign out.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Why a request is not answered with data.
#[derive(Debug)]
enum Refusal {
    /// No valid session cookie (never signed in here, expired, signed out).
    NoSession,
    /// A valid session, but the URL names someone else's dashboard.
    NotYours { own: String },
    /// A state-changing request without this session's CSRF token (or from another origin).
    Csrf,
    /// The inventory could not be loaded.
    Load(LoadError),
    /// The session store failed.
    Store(String),
    /// Not a page of the dashboard.
    NotFound,
}

impl Refusal {
    fn respond(self, d: &Dashboard, api: bool) -> Response {
        let (status, title, sentence, link): (StatusCode, &str, String, Option<(String, &str)>) =
            match &self {
                Refusal::NoSession => (
                    StatusCode::UNAUTHORIZED,
                    "Please sign in",
                    "Your dashboard session has ended, or you have not signed in in this browser \
                     yet. Sign in with your Cisco account to see your licenses."
                        .to_string(),
                    Some((d.login_url.clone(), "Sign in with Cisco")),
                ),
                Refusal::NotYours { own } => (
                    StatusCode::FORBIDDEN,
                    "This is not your dashboard",
                    "This link opens another person's dashboard, so nothing of it is shown. Each \
                     person sees only their own licenses."
                        .to_string(),
                    Some((format!("{}/{own}/", d.root), "Open your dashboard")),
                ),
                Refusal::Csrf => (
                    StatusCode::FORBIDDEN,
                    "Nothing was done",
                    "This request did not come from your dashboard page (its security token is \
                     missing or wrong), so nothing was done. Go back to your dashboard and try \
                     again."
                        .to_string(),
                    Some((format!("{}/", d.root), "Back to your dashboard")),
                ),
                Refusal::Load(LoadError::NotSignedIn) => (
                    StatusCode::UNAUTHORIZED,
                    "Please sign in again",
                    "Your Cisco sign-in is no longer stored (you signed out in Webex, or it \
                     expired). Sign in again to see your licenses."
                        .to_string(),
                    Some((d.login_url.clone(), "Sign in with Cisco")),
                ),
                Refusal::Load(LoadError::Refused(_)) => (
                    StatusCode::UNAUTHORIZED,
                    "Cisco refused your sign-in",
                    "Cisco Smart Software Manager refused your sign-in. Please sign in again."
                        .to_string(),
                    Some((d.login_url.clone(), "Sign in with Cisco")),
                ),
                Refusal::Load(LoadError::Unavailable(_)) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Cisco is not answering",
                    "Cisco Smart Software Manager is not answering right now. This is not your \
                     fault; please try again in a few minutes."
                        .to_string(),
                    Some((format!("{}/", d.root), "Try again")),
                ),
                Refusal::Load(LoadError::SignInService(_)) | Refusal::Store(_) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The sign-in service is not answering",
                    "The sign-in service cannot be reached right now. Please try again in a few \
                     minutes."
                        .to_string(),
                    Some((format!("{}/", d.root), "Try again")),
                ),
                Refusal::NotFound => (
                    StatusCode::NOT_FOUND,
                    "No such page",
                    "The dashboard has no page at this address.".to_string(),
                    Some((format!("{}/", d.root), "Open your dashboard")),
                ),
            };
        match &self {
            Refusal::Load(e) => tracing::warn!(error = %e, "dashboard: no inventory to show"),
            Refusal::Store(e) => tracing::error!(error = %e, "dashboard: session store failed"),
            Refusal::NotYours { .. } => {
                tracing::info!("dashboard: a URL of another person's dashboard was refused")
            }
            Refusal::Csrf => tracing::info!(
                "dashboard: a state-changing request without its CSRF token was refused"
            ),
            _ => {}
        }
        let mut response = if api {
            (status, Json(json!({"error": title, "message": sentence}))).into_response()
        } else {
            let link = link.as_ref().map(|(h, t)| (h.as_str(), *t));
            (status, Html(page::message(&d.root, title, &sentence, link))).into_response()
        };
        if matches!(self, Refusal::NoSession) {
            response
                .headers_mut()
                .append(header::SET_COOKIE, d.sessions.keys.clear_cookie());
        }
        response
    }
}

impl Dashboard {
    async fn session(&self, headers: &HeaderMap) -> Result<Current, Refusal> {
        self.sessions
            .current(headers)
            .await
            .map_err(|e| Refusal::Store(e.to_string()))?
            .ok_or(Refusal::NoSession)
    }

    /// The session, if the URL's dashboard id is its person's.
    async fn owner(&self, headers: &HeaderMap, view_id: &str) -> Result<Current, Refusal> {
        let current = self.session(headers).await?;
        let own = self.sessions.keys.view_id(&current.person_id);
        if !slbot_signing::scheme::constant_time_eq(own.as_bytes(), view_id.as_bytes()) {
            return Err(Refusal::NotYours { own });
        }
        Ok(current)
    }

    /// A state-changing request: a valid session, this session's CSRF token, and no foreign
    /// `Origin`.
    async fn checked(
        &self,
        headers: &HeaderMap,
        form_token: Option<&str>,
    ) -> Result<Current, Refusal> {
        let current = self.session(headers).await?;
        if let Some(origin) = headers.get(header::ORIGIN) {
            if origin.as_bytes() != self.origin.as_bytes() {
                return Err(Refusal::Csrf);
            }
        }
        let given = form_token
            .or_else(|| headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))
            .unwrap_or("");
        if !self.sessions.keys.csrf_matches(&current.id, given) {
            return Err(Refusal::Csrf);
        }
        Ok(current)
    }

    fn base(&self, current: &Current) -> String {
        format!(
            "{}/{}",
            self.root,
            self.sessions.keys.view_id(&current.person_id)
        )
    }

    fn now(&self) -> i64 {
        self.loader.clock.now().timestamp()
    }
}

/// `/dashboard`: to the person's own dashboard, or the sign-in.
async fn entry(State(d): Dash, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    match d.session(&headers).await {
        Ok(current) => {
            let q = q.map(|q| format!("?{q}")).unwrap_or_default();
            Redirect::to(&format!("{}/{q}", d.base(&current))).into_response()
        }
        Err(refusal) => refusal.respond(&d, false),
    }
}

async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "dashboard.css" => (
            include_str!("assets/dashboard.css"),
            "text/css; charset=utf-8",
        ),
        "dashboard.js" => (
            include_str!("assets/dashboard.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// The inventory, or the progress page / a refusal.
async fn inventory(
    d: &Dashboard,
    current: &Current,
) -> Result<Result<Arc<slbot_inventory::Inventory>, Option<slbot_cssm::Progress>>, Refusal> {
    match d.loader.load(&current.person_id).await {
        Ok(Loaded::Ready(inv)) => Ok(Ok(inv)),
        Ok(Loaded::Loading(p)) => Ok(Err(p)),
        Err(e) => Err(Refusal::Load(e)),
    }
}

async fn overview(
    State(d): Dash,
    Path(view_id): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let result = async {
        let current = d.owner(&headers, &view_id).await?;
        let base = d.base(&current);
        let csrf = d.sessions.keys.csrf(&current.id);
        let frame = Frame {
            base: &base,
            root: &d.root,
            csrf: &csrf,
        };
        let view = View::parse(q.as_deref());
        let inv = match inventory(&d, &current).await? {
            Ok(inv) => inv,
            Err(progress) => return Ok(Html(page::loading(&frame, progress)).into_response()),
        };
        let now = d.now();
        Ok(match view {
            Ok(view) => Html(page::overview(&frame, &inv, &view, now)).into_response(),
            Err(e) => (
                StatusCode::BAD_REQUEST,
                Html(page::problem_in(
                    &frame,
                    &View::default(),
                    "Overview",
                    &e.to_string(),
                    &inv,
                    now,
                )),
            )
                .into_response(),
        })
    }
    .await;
    result.unwrap_or_else(|r: Refusal| r.respond(&d, false))
}

/// What a report URL asks for: the page, or a download.
enum Format {
    Page,
    Csv,
    Xlsx,
}

async fn report(
    State(d): Dash,
    Path((view_id, name)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let (name, format) = if let Some(n) = name.strip_suffix(".csv") {
        (n.to_string(), Format::Csv)
    } else if let Some(n) = name.strip_suffix(".xlsx") {
        (n.to_string(), Format::Xlsx)
    } else {
        (name, Format::Page)
    };
    let result = async {
        let current = d.owner(&headers, &view_id).await?;
        if !view::PAGES.iter().any(|(n, _)| *n == name) {
            return Err(Refusal::NotFound);
        }
        let base = d.base(&current);
        let csrf = d.sessions.keys.csrf(&current.id);
        let frame = Frame {
            base: &base,
            root: &d.root,
            csrf: &csrf,
        };
        let inv = match inventory(&d, &current).await? {
            Ok(inv) => inv,
            Err(progress) => {
                return Ok(match format {
                    Format::Page => Html(page::loading(&frame, progress)).into_response(),
                    _ => (
                        StatusCode::SERVICE_UNAVAILABLE,
                        [(header::RETRY_AFTER, "5")],
                        "Your licenses are still being read from CSSM; try again in a moment.",
                    )
                        .into_response(),
                });
            }
        };
        let now = d.now();
        let view = match View::parse(q.as_deref()) {
            Ok(v) => v,
            Err(e) => {
                return Ok((
                    StatusCode::BAD_REQUEST,
                    Html(page::problem_in(
                        &frame,
                        &View::default(),
                        "Report",
                        &e.to_string(),
                        &inv,
                        now,
                    )),
                )
                    .into_response())
            }
        };
        let report = match view.report(&inv, &name, now) {
            None => return Err(Refusal::NotFound),
            Some(Err(e)) => {
                return Ok((
                    StatusCode::BAD_REQUEST,
                    Html(page::problem_in(
                        &frame,
                        &view,
                        "Report",
                        &e.to_string(),
                        &inv,
                        now,
                    )),
                )
                    .into_response())
            }
            Some(Ok(r)) => r,
        };
        Ok(match format {
            Format::Page => {
                Html(page::report(&frame, &inv, &view, &name, &report, now)).into_response()
            }
            Format::Csv => download(view::csv(&report), &name, "csv", "text/csv; charset=utf-8"),
            Format::Xlsx => download(
                view::xlsx(&report),
                &name,
                "xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        })
    }
    .await;
    result.unwrap_or_else(|r: Refusal| r.respond(&d, false))
}

fn download(bytes: Result<Vec<u8>, String>, name: &str, ext: &str, kind: &'static str) -> Response {
    match bytes {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
                (
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_str(&format!("attachment; filename=\"slbot-{name}.{ext}\""))
                        .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
                ),
            ],
            Body::from(bytes),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "dashboard: a download could not be written");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The file could not be written. Please try again.",
            )
                .into_response()
        }
    }
}

async fn api_report(
    State(d): Dash,
    Path((view_id, name)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let result = async {
        let current = d.owner(&headers, &view_id).await?;
        let inv = match inventory(&d, &current).await? {
            Ok(inv) => inv,
            Err(_) => {
                return Ok((StatusCode::ACCEPTED, Json(json!({"state": "loading"}))).into_response())
            }
        };
        let view = match View::parse(q.as_deref()) {
            Ok(v) => v,
            Err(e) => {
                return Ok((
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": e.to_string()})),
                )
                    .into_response())
            }
        };
        match view.report(&inv, &name, d.now()) {
            None => Err(Refusal::NotFound),
            Some(Err(e)) => Ok((
                StatusCode::BAD_REQUEST,
                Json(json!({"error": e.to_string()})),
            )
                .into_response()),
            Some(Ok(r)) => Ok((
                [(header::CONTENT_TYPE, "application/json")],
                r.to_json_string(),
            )
                .into_response()),
        }
    }
    .await;
    result.unwrap_or_else(|r: Refusal| r.respond(&d, true))
}

async fn api_progress(State(d): Dash, Path(view_id): Path<String>, headers: HeaderMap) -> Response {
    let result = async {
        let current = d.owner(&headers, &view_id).await?;
        Ok(match d.loader.load(&current.person_id).await {
            Ok(Loaded::Ready(_)) => Json(json!({"state": "ready"})),
            Ok(Loaded::Loading(p)) => {
                let p = p.unwrap_or_default();
                Json(json!({
                    "state": "loading",
                    "accountsDone": p.accounts_done,
                    "accountsTotal": p.accounts_total,
                    "pagesDone": p.pages_done,
                    "pagesTotal": p.pages_total,
                }))
            }
            Err(e) => Json(json!({"state": "error", "message": e.to_string()})),
        }
        .into_response())
    }
    .await;
    result.unwrap_or_else(|r: Refusal| r.respond(&d, true))
}

/// The `csrf` field of a form body (`application/x-www-form-urlencoded`).
fn csrf_field(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
}

async fn refresh(
    State(d): Dash,
    Path(view_id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let token = csrf_field(&body);
    let result = async {
        let current = d.checked(&headers, token.as_deref()).await?;
        let own = d.sessions.keys.view_id(&current.person_id);
        if own != view_id {
            return Err(Refusal::NotYours { own });
        }
        d.loader.forget(&current.person_id).await;
        Ok(Redirect::to(&format!("{}/", d.base(&current))).into_response())
    }
    .await;
    result.unwrap_or_else(|r: Refusal| r.respond(&d, false))
}

async fn sign_out(State(d): Dash, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let token = csrf_field(&body);
    let result = async {
        let current = d.checked(&headers, token.as_deref()).await?;
        d.sessions
            .revoke(&current.id)
            .await
            .map_err(|e| Refusal::Store(e.to_string()))?;
        tracing::info!(person_id = %current.person_id, "dashboard: signed out");
        let mut response = Html(page::message(
            &d.root,
            "You're signed out of the dashboard",
            "This browser's dashboard session has ended. Your sign-in for the bot in Webex is \
             unchanged (send it `sign out` to end that too).",
            Some((&d.login_url, "Sign in again")),
        ))
        .into_response();
        response
            .headers_mut()
            .append(header::SET_COOKIE, d.sessions.keys.clear_cookie());
        Ok(response)
    }
    .await;
    result.unwrap_or_else(|r: Refusal| r.respond(&d, false))
}
