//! Just enough HTML for server-rendered pages.

/// Escapes text for an HTML element or a double-quoted attribute (the workspace's one copy).
pub use slbot_html::escape;

/// A whole page.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>body{{font-family:system-ui,sans-serif;max-width:34rem;\
         margin:3rem auto;padding:0 1rem;color:#1d1d1f}}button{{margin:.25rem 0;padding:.5rem \
         1rem}}.sim{{color:#8a5a00;font-size:.9rem}}</style></head><body>\
         <h1>{}</h1><p class=\"sim\">Cisco SSO simulator: no real Cisco account is used.</p>{}\
         </body></html>\n",
        escape(title),
        escape(title),
        body
    )
}
