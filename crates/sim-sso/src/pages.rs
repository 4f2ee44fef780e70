//! The login pages: `GET /authorize` shows a form, `POST /authorize` issues a code and sends
//! the browser back to the client's `redirect_uri` with `code` and `state`.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use serde::Deserialize;
use url::Url;

use crate::html::{escape, page};
use crate::state::{random_value, CodeGrant, Endpoint, SsoState};

/// The authorization request, as a query (GET) or as the form's hidden fields (POST).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    /// POST only: a preset person's button.
    person: Option<String>,
    /// POST only: the typed e-mail.
    email: Option<String>,
    /// POST only: the "Cancel" button.
    cancel: Option<String>,
}

/// A checked authorization request.
struct Request {
    client_id: String,
    redirect_uri: Url,
    scope: String,
    state: String,
    code_challenge: String,
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(page(
            "Sign-in request refused",
            &format!("<p>{}</p>", escape(message)),
        )),
    )
        .into_response()
}

/// The request, or the sentence explaining why it is refused.
fn check(state: &SsoState, p: &AuthorizeParams) -> Result<Request, &'static str> {
    let client_id = p.client_id.clone().unwrap_or_default();
    if client_id != state.config().client_id {
        return Err("Unknown client_id: this application is not registered.");
    }
    let redirect_uri = p
        .redirect_uri
        .as_deref()
        .and_then(|u| Url::parse(u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or("redirect_uri is missing or not an absolute http(s) URL.")?;
    if p.response_type.as_deref() != Some("code") {
        return Err("Only response_type=code is supported.");
    }
    let code_challenge = p.code_challenge.clone().unwrap_or_default();
    if p.code_challenge_method.as_deref() != Some("S256")
        || code_challenge.len() != 43
        || !code_challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(
            "PKCE is required: code_challenge_method=S256 and a 43-character code_challenge.",
        );
    }
    let state_value = p.state.clone().unwrap_or_default();
    if state_value.is_empty() {
        return Err("state is required.");
    }
    Ok(Request {
        client_id,
        redirect_uri,
        scope: p.scope.clone().unwrap_or_default(),
        state: state_value,
        code_challenge,
    })
}

fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        escape(name),
        escape(value)
    )
}

/// `GET /authorize`: the login form.
pub(crate) async fn login_form(
    State(state): State<SsoState>,
    Query(params): Query<AuthorizeParams>,
) -> Response {
    state.count(Endpoint::AuthorizePage);
    let req = match check(&state, &params) {
        Ok(r) => r,
        Err(why) => return bad_request(why),
    };
    let action = match &state.config().external_base_url {
        Some(base) => format!("{}/authorize", base.trim_end_matches('/')),
        // Relative to this page's own URL, so the form works under any prefix.
        None => "authorize".to_string(),
    };
    let mut body = format!("<form method=\"post\" action=\"{}\">", escape(&action));
    for (name, value) in [
        ("response_type", "code"),
        ("client_id", req.client_id.as_str()),
        ("redirect_uri", req.redirect_uri.as_str()),
        ("scope", req.scope.as_str()),
        ("state", req.state.as_str()),
        ("code_challenge", req.code_challenge.as_str()),
        ("code_challenge_method", "S256"),
    ] {
        body.push_str(&hidden(name, value));
    }
    body.push_str("<p>Sign in as one of the demo people:</p>");
    for person in &state.config().people {
        body.push_str(&format!(
            "<div><button type=\"submit\" name=\"person\" value=\"{}\">{} &lt;{}&gt;</button></div>",
            escape(&person.email),
            escape(&person.display_name),
            escape(&person.email)
        ));
    }
    body.push_str(
        "<p><label>or any e-mail address: <input type=\"email\" name=\"email\" \
         autocomplete=\"email\"></label> <button type=\"submit\">Sign in</button></p>\
         <p><button type=\"submit\" name=\"cancel\" value=\"1\">Cancel</button></p></form>",
    );
    Html(page("Sign in to Cisco", &body)).into_response()
}

fn plausible_email(s: &str) -> bool {
    let s = s.trim();
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && s.len() <= 254
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

fn redirect(to: &Url) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

/// `POST /authorize`: the person chose who they are.
pub(crate) async fn submit_login(
    State(state): State<SsoState>,
    Form(params): Form<AuthorizeParams>,
) -> Response {
    state.count(Endpoint::AuthorizeSubmit);
    let req = match check(&state, &params) {
        Ok(r) => r,
        Err(why) => return bad_request(why),
    };
    let mut back = req.redirect_uri.clone();
    if params.cancel.is_some() {
        back.query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("state", &req.state);
        return redirect(&back);
    }
    let email = params
        .person
        .filter(|p| !p.trim().is_empty())
        .or(params.email)
        .unwrap_or_default();
    if !plausible_email(&email) {
        return bad_request("Please choose a demo person or type an e-mail address.");
    }
    let now = state.clock().now();
    state.prune(now);
    let code = random_value("sim-code-");
    state.lock().codes.insert(
        code.clone(),
        CodeGrant {
            client_id: req.client_id,
            redirect_uri: req.redirect_uri.to_string(),
            code_challenge: req.code_challenge,
            scope: req.scope,
            email: email.trim().to_string(),
            expires_at: now + state.config().code_ttl,
        },
    );
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &req.state);
    redirect(&back)
}

#[cfg(test)]
mod tests {
    use super::plausible_email;

    #[test]
    fn only_plausible_addresses_are_accepted_as_logins() {
        assert!(plausible_email("ana@example.com"));
        assert!(!plausible_email("ana"));
        assert!(!plausible_email("@example.com"));
        assert!(!plausible_email("ana@localhost"));
        assert!(!plausible_email("a b@example.com"));
    }
}
