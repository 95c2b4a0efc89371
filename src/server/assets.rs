//! The site's files (wasm, JS, CSS, ECharts, icons): served pre-compressed when the build wrote
//! `.br`/`.gz` beside them, cached for a year when their name or URL carries their hash, and
//! revalidated (304) otherwise, so a repeat visit fetches only the page. Anything else falls
//! through to the app's not-found page.

use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// Request headers the file service needs: encodings, and the validators and ranges a browser
/// sends on a reload.
const FORWARDED: [header::HeaderName; 5] = [
    header::ACCEPT_ENCODING,
    header::IF_MODIFIED_SINCE,
    header::IF_UNMODIFIED_SINCE,
    header::RANGE,
    header::IF_RANGE,
];

/// The router's fallback: a file of the site, or the app's 404 page.
pub async fn files_or_not_found(State(state): State<AppState>, req: Request<Body>) -> Response {
    if req.method() == Method::GET || req.method() == Method::HEAD {
        let mut fwd = Request::builder()
            .method(req.method().clone())
            .uri(req.uri().clone());
        for name in FORWARDED {
            if let Some(v) = req.headers().get(&name) {
                fwd = fwd.header(name, v);
            }
        }
        if let Ok(fwd) = fwd.body(Body::empty()) {
            // The file service's error type is `Infallible`.
            let Ok(res) = ServeDir::new(&*state.leptos_options.site_root)
                .precompressed_br()
                .precompressed_gzip()
                .append_index_html_on_directories(false)
                .oneshot(fwd)
                .await;
            if res.status() != StatusCode::NOT_FOUND {
                let immutable = is_fingerprinted(
                    req.uri(),
                    state.leptos_options.hash_files,
                    &state.leptos_options.site_pkg_dir,
                );
                let mut res = res.into_response();
                let h = res.headers_mut();
                h.insert(
                    header::CACHE_CONTROL,
                    if immutable { IMMUTABLE } else { REVALIDATE },
                );
                h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
                return res;
            }
        }
    }
    let page = leptos_axum::file_and_error_handler::<AppState, _>(crate::ui::shell);
    page(req.uri().clone(), State(state), req).await
}

/// Whether the URL names one version of a file for good: cargo-leptos's hashed `pkg/` names, or
/// a `?v=` carrying the content hash (`site::versioned`).
fn is_fingerprinted(uri: &axum::http::Uri, hash_files: bool, pkg_dir: &str) -> bool {
    let in_pkg = uri
        .path()
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(pkg_dir))
        .is_some_and(|rest| rest.starts_with('/'));
    (hash_files && in_pkg)
        || uri
            .query()
            .is_some_and(|q| q.split('&').any(|kv| kv.starts_with("v=")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hashed_names_and_versioned_urls_are_kept_for_good() {
        let u = |s: &str| s.parse::<axum::http::Uri>().unwrap();
        assert!(is_fingerprinted(&u("/pkg/mcp-pulse.abc.wasm"), true, "pkg"));
        assert!(!is_fingerprinted(&u("/pkg/mcp-pulse.wasm"), false, "pkg"));
        assert!(!is_fingerprinted(&u("/pkgx/a.js"), true, "pkg"));
        assert!(is_fingerprinted(&u("/echarts.min.js?v=0a1b"), false, "pkg"));
        assert!(!is_fingerprinted(&u("/echarts.min.js?x=1"), true, "pkg"));
        assert!(!is_fingerprinted(&u("/favicon.svg"), true, "pkg"));
    }
}
