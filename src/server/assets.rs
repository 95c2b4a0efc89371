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
                let o = &state.leptos_options;
                let immutable = is_fingerprinted(req.uri(), o.hash_files, &o.site_pkg_dir, |f| {
                    crate::site::versioned(&o.site_root, f)
                });
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
/// the `?v=` that `versioned` (`site::versioned`) gives the file now. Any other `v` is an old
/// or made-up URL: it gets the current file, but revalidated, never kept for a year.
fn is_fingerprinted(
    uri: &axum::http::Uri,
    hash_files: bool,
    pkg_dir: &str,
    versioned: impl FnOnce(&str) -> String,
) -> bool {
    let path = uri.path();
    let in_pkg = path
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(pkg_dir))
        .is_some_and(|rest| rest.starts_with('/'));
    if hash_files && in_pkg {
        return true;
    }
    let Some(v) = uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("v=")))
    else {
        return false;
    };
    // Only plain file names are hashed (and remembered): a request cannot grow that memory
    // with spellings of its own (percent-escapes, dot segments).
    let file = &path[1..];
    let plain = !file.is_empty()
        && !file.contains("..")
        && file
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b));
    plain && versioned(file) == format!("{path}?v={v}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hashed_names_and_the_current_version_are_kept_for_good() {
        let u = |s: &str| s.parse::<axum::http::Uri>().unwrap();
        let now = |f: &str| format!("/{f}?v=0a1b");
        // (URL, hash_files, kept for good)
        for (url, hashed, kept) in [
            ("/pkg/mcp-pulse.abc.wasm", true, true),
            ("/pkg/mcp-pulse.wasm", false, false),
            ("/pkgx/a.js", true, false),
            ("/echarts.min.js?v=0a1b", false, true),
            // An old or made-up version is served, but not kept for good.
            ("/echarts.min.js?v=evil", false, false),
            ("/echarts.min.js?x=1", true, false),
            ("/favicon.svg", true, false),
        ] {
            assert_eq!(is_fingerprinted(&u(url), hashed, "pkg", now), kept, "{url}");
        }
        // Only plain file names are hashed.
        let never = |_: &str| -> String { panic!("only plain file names are hashed") };
        for url in ["/echarts%2emin.js?v=0a1b", "/a/../echarts.min.js?v=0a1b"] {
            assert!(!is_fingerprinted(&u(url), false, "pkg", never), "{url}");
        }
    }
}
