//! What the browser does when the app's wasm stops: a panic aborts the whole module and leaves
//! a page that no longer answers clicks. The likeliest cause is a page's code chunk that could
//! not be fetched (a new release replaced the files this tab was loaded with, or the network
//! dropped); a full load of the address the person asked for gets the current release.

use wasm_bindgen::JsCast;

/// At most one recovery per this long (ms), so a page that panics on every load is not
/// reloaded in a loop. Whole milliseconds: float formatting and parsing would add tens of KB
/// to the wasm.
const ONCE_PER_MS: u64 = 30_000;
const STORAGE_KEY: &str = "pulse-recovered-at";

/// Installs the panic hook, which still logs the panic to the console.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        recover();
    }));
}

fn recover() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let now = js_sys::Date::now() as u64;
    let storage = window.session_storage().ok().flatten();
    let last = storage
        .as_ref()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|v| v.parse::<u64>().ok());
    if last.is_some_and(|t| now.saturating_sub(t) < ONCE_PER_MS) {
        return;
    }
    if let Some(s) = &storage {
        let _ = s.set_item(STORAGE_KEY, &now.to_string());
    }
    // The router changes the address only once the page's chunk has arrived, so the link just
    // followed (focused by the click or by the keyboard) says where the person was going. A
    // click listener would remember it in every browser, but a Rust closure here drew 56 KB of
    // the pages' code into the Overview's wasm; where links take no focus (Safari) the page
    // reloads where it was and the next click fetches the new chunk.
    let next = window
        .document()
        .and_then(|d| d.active_element())
        .and_then(|el| el.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .map(|a| a.href())
        .filter(|href| !href.is_empty());
    let location = window.location();
    let _ = match next {
        Some(href) => location.assign(&href),
        None => location.reload(),
    };
}
