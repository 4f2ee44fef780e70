//! The HTTP surface: the CSSM calls under [`API_ROOT`] and the `/_sim` control routes.
//!
//! Every API request passes `Caller` (count, latency, faults, token) before its handler; every
//! refusal becomes a response in `ApiError::into_response`, the one place statuses are chosen.
//!
//! Answers to the licence call (and alike, the subscriptions call): `offset` and `limit` are record counts; the page holds at most
//! `min(limit, max_page)` records (a missing or zero `limit` means `max_page`); `totalRecords` is
//! the number of records matching the VA filter (left out with `omit_total`). An empty
//! `virtualAccounts` (or none) means every VA; names are matched exactly. When nothing matches,
//! the answer is CSSM's "no data" body: no `licenses` field and `message_code: "NO DATA FOUND"`.
//! An account the user may not see is a 403, an unknown one a 404; the VA call also answers 404
//! when the path's `CUSTOMER|HOLDING` is not the account's type.

use std::fmt::Write as _;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::auth::AuthError;
use crate::config::FaultUpdate;
use crate::dataset::{AccountData, Dataset};
use crate::faults::Injected;
use crate::state::{Refusal, SimState};
use crate::users::accounts_of_user;

/// Where CSSM serves the licensing API.
pub const API_ROOT: &str = "/services/api/smart-accounts-and-licensing";

/// The simulator's routes (no prefix beyond [`API_ROOT`], so it can be nested anywhere).
pub fn router(state: SimState) -> Router {
    Router::new()
        .route(&format!("{API_ROOT}/v2/accounts"), get(accounts))
        .route(
            &format!("{API_ROOT}/v1/accounts/{{domain}}/licenses"),
            post(licenses),
        )
        .route(
            &format!("{API_ROOT}/v1/accounts/{{domain}}/license-subscriptions"),
            post(subscriptions),
        )
        .route(
            &format!("{API_ROOT}/v1/accounts/{{domain}}/{{kind}}/virtual-accounts"),
            get(virtual_accounts),
        )
        .route("/_sim/stats", get(stats))
        .route("/_sim/stats/reset", post(reset_stats))
        .route("/_sim/faults", get(faults).post(update_faults))
        .route("/_sim/advance", get(advanced).post(advance))
        .fallback(not_found)
        .with_state(state)
}

/// Everything a request can be refused for, mapped to a CSSM-like JSON error.
#[derive(Debug)]
enum ApiError {
    Refused(Refusal),
    NotFound(String),
    Forbidden(String),
    BadRequest(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message, retry_after) = match self {
            ApiError::Refused(Refusal::Injected(Injected::RateLimited { retry_after_secs })) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests, retry later".to_string(),
                Some(retry_after_secs),
            ),
            ApiError::Refused(Refusal::Injected(_)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Service temporarily unavailable".to_string(),
                None,
            ),
            ApiError::Refused(Refusal::Auth(e @ AuthError::IntrospectionFailed(_))) => {
                tracing::warn!(error = %e, "token introspection failed");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The token could not be checked, retry later".to_string(),
                    None,
                )
            }
            ApiError::Refused(Refusal::Auth(e)) => (StatusCode::UNAUTHORIZED, e.to_string(), None),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m, None),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m, None),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m, None),
        };
        let body = serde_json::json!({"status": "ERROR", "statusMessage": message});
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        response
    }
}

/// An admitted API caller: the user index behind its bearer token.
struct Caller {
    user: usize,
}

impl FromRequestParts<SimState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &SimState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|t| !t.is_empty());
        let user = state.admit(token).await.map_err(ApiError::Refused)?;
        Ok(Caller { user })
    }
}

fn json_response(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// The account at `domain` of `dataset` if `user` may see it.
fn visible_account<'a>(
    dataset: &'a Dataset,
    state: &SimState,
    user: usize,
    domain: &str,
) -> Result<&'a AccountData, ApiError> {
    let (index, account) = dataset
        .find(domain)
        .ok_or_else(|| ApiError::NotFound(format!("Smart account {domain} not found")))?;
    if !accounts_of_user(user, state.users(), dataset.account_count()).contains(&index) {
        return Err(ApiError::Forbidden(format!(
            "You do not have access to smart account {domain}"
        )));
    }
    Ok(account)
}

async fn accounts(caller: Caller, State(state): State<SimState>) -> Response {
    let dataset = state.dataset();
    let visible = accounts_of_user(caller.user, state.users(), dataset.account_count());
    let mut body = String::from("{\"accounts\":[");
    for (n, index) in visible.iter().enumerate() {
        if n > 0 {
            body.push(',');
        }
        body.push_str(&dataset.accounts[*index].json);
    }
    body.push_str("],\"status\":\"SUCCESS\",\"statusMessage\":\"\"}");
    state.account_list_served();
    json_response(body)
}

/// The body of the licence and subscription calls (unknown fields are ignored).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageQuery {
    #[serde(default)]
    virtual_accounts: Option<Vec<String>>,
    /// Subscription statuses (`Active`, `Expired`), subscriptions call only.
    #[serde(default)]
    status: Option<Vec<String>>,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    offset: Option<u64>,
}

impl PageQuery {
    fn parse(body: &[u8]) -> Result<Self, ApiError> {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::BadRequest(format!("Invalid request body: {e}")))
    }

    /// Whether a record of VA `va` is asked for (no list or an empty one: every VA).
    fn wants(&self, va: Option<&String>) -> bool {
        match &self.virtual_accounts {
            None => true,
            Some(wanted) => wanted.is_empty() || va.is_some_and(|va| wanted.contains(va)),
        }
    }
}

/// One page of `items` (JSON texts) as CSSM answers it, `field` naming the list.
fn page<T: AsRef<str>>(state: &SimState, query: &PageQuery, field: &str, items: &[T]) -> Response {
    let total = items.len();
    let limit = match query.limit {
        None | Some(0) => state.max_page(),
        Some(n) => usize::try_from(n)
            .unwrap_or(usize::MAX)
            .min(state.max_page()),
    };
    let start = usize::try_from(query.offset.unwrap_or(0))
        .unwrap_or(usize::MAX)
        .min(total);
    let page = &items[start..start.saturating_add(limit).min(total)];
    state.count_page(page.len());

    let size: usize = page.iter().map(|r| r.as_ref().len() + 1).sum();
    let mut body = String::with_capacity(128 + size);
    if total == 0 {
        body.push_str(
            "{\"status\":\"SUCCESS\",\"statusMessage\":\"NO DATA FOUND\",\"message_code\":\"NO DATA FOUND\"",
        );
    } else {
        // Writing to a String cannot fail.
        let _ = write!(body, "{{\"{field}\":[");
        for (n, item) in page.iter().enumerate() {
            if n > 0 {
                body.push(',');
            }
            body.push_str(item.as_ref());
        }
        body.push_str("],\"status\":\"SUCCESS\",\"statusMessage\":\"\"");
    }
    if !state.omit_total() {
        let _ = write!(body, ",\"totalRecords\":{total}");
    }
    body.push('}');
    json_response(body)
}

async fn licenses(
    caller: Caller,
    State(state): State<SimState>,
    Path(domain): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let dataset = state.dataset();
    let account = visible_account(&dataset, &state, caller.user, &domain)?;
    let query = PageQuery::parse(&body)?;
    if query.virtual_accounts.as_ref().is_none_or(Vec::is_empty) {
        // Every VA: page straight over the pre-serialised records.
        return Ok(page(&state, &query, "licenses", &account.records));
    }
    let matching: Vec<&str> = account
        .records
        .iter()
        .filter(|r| query.wants(r.virtual_account.as_ref()))
        .map(|r| r.raw.get())
        .collect();
    Ok(page(&state, &query, "licenses", &matching))
}

/// Subscriptions are the entitlement lines with a `subscriptionId`; a line is `Expired` when
/// its end date is before the simulator's `now`, else `Active` (perpetual or unreadable ends
/// included). The `status` filter matches case-insensitively; empty or absent means all.
async fn subscriptions(
    caller: Caller,
    State(state): State<SimState>,
    Path(domain): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let dataset = state.dataset();
    let account = visible_account(&dataset, &state, caller.user, &domain)?;
    let query = PageQuery::parse(&body)?;
    let statuses = query.status.clone().unwrap_or_default();
    let now = state.now();
    let matching: Vec<String> = account
        .subscriptions
        .iter()
        .filter(|s| query.wants(s.virtual_account.as_ref()))
        .filter_map(|s| {
            let status = match s.end {
                Some(end) if end < now => "Expired",
                _ => "Active",
            };
            let wanted =
                statuses.is_empty() || statuses.iter().any(|w| w.eq_ignore_ascii_case(status));
            wanted.then(|| format!("{},\"status\":\"{status}\"}}", s.json_open))
        })
        .collect();
    Ok(page(&state, &query, "licenseSubscriptions", &matching))
}

async fn virtual_accounts(
    caller: Caller,
    State(state): State<SimState>,
    Path((domain, kind)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let dataset = state.dataset();
    let account = visible_account(&dataset, &state, caller.user, &domain)?;
    if !kind.eq_ignore_ascii_case(&account.account_type) {
        return Err(ApiError::NotFound(format!(
            "Smart account {domain} is not of type {kind}"
        )));
    }
    Ok(json_response(format!(
        "{{\"virtualAccounts\":{},\"status\":\"SUCCESS\",\"statusMessage\":\"\"}}",
        account.virtual_accounts_json
    )))
}

async fn stats(State(state): State<SimState>) -> Response {
    Json(state.stats()).into_response()
}

async fn reset_stats(State(state): State<SimState>) -> StatusCode {
    state.reset_stats();
    StatusCode::NO_CONTENT
}

async fn faults(State(state): State<SimState>) -> Response {
    Json(state.faults()).into_response()
}

async fn update_faults(State(state): State<SimState>, body: Bytes) -> Result<Response, ApiError> {
    let update: FaultUpdate = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("Invalid fault settings: {e}")))?;
    let settings = update.apply(state.faults());
    state.set_faults(settings).map_err(ApiError::BadRequest)?;
    Ok(Json(settings).into_response())
}

/// The body and answer of `/_sim/advance`.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    days: i64,
}

/// `GET /_sim/advance`: `{"days": N}`, how many days after the base the served data is.
async fn advanced(State(state): State<SimState>) -> Response {
    Json(Advance {
        days: state.advanced_days(),
    })
    .into_response()
}

/// `POST /_sim/advance` with `{"days": N}`: serves the base data advanced by `N` days (an
/// absolute offset from the base, not added to the current one; `0` restores the base;
/// negative: earlier). Answers the new `{"days": N}`.
async fn advance(State(state): State<SimState>, body: Bytes) -> Result<Response, ApiError> {
    let wanted: Advance = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("Invalid advance: {e}")))?;
    state
        .advance_to(wanted.days)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok(Json(wanted).into_response())
}

async fn not_found() -> ApiError {
    ApiError::NotFound("No such resource".to_string())
}
