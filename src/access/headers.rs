//! Security headers on every response: what the browser may load and run (CSP), no MIME
//! sniffing, no framing, a same-origin referrer, and HSTS when Pulse is served over https.

use crate::config::{AuthSettings, CookieSecure};
use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// What every policy allows: Pulse's own files, the wasm, inline styles (ECharts sets style
/// attributes), no plugins, no framing, forms posting only to Pulse.
const BASE: &str = "default-src 'self'; img-src 'self' data:; connect-src 'self'; \
                    style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'; \
                    form-action 'self'; frame-ancestors 'none'";

/// The policy of a rendered page: its inline scripts (hydration, resources) carry `nonce`.
pub fn page_policy(nonce: &str) -> String {
    format!("{BASE}; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'")
}

/// Everything else (JSON, static files, the 403 page) runs no inline script at all.
fn default_policy() -> String {
    format!("{BASE}; script-src 'self' 'wasm-unsafe-eval'")
}

/// Adds the headers to every response of `router` (a page's own CSP, with its nonce, wins).
pub fn apply<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    settings: &AuthSettings,
) -> Router<S> {
    let fixed = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    let mut router = router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&default_policy())
                .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'")),
        ))
        .layer(fixed(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(fixed(header::X_FRAME_OPTIONS, "DENY"))
        .layer(fixed(header::REFERRER_POLICY, "same-origin"));
    if settings.cookie_secure == CookieSecure::Always {
        router = router.layer(fixed(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ));
    }
    router
}
