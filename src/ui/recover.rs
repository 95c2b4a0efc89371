//! What the browser does when the app's wasm stops: a panic aborts the whole module and leaves
//! a page that no longer answers clicks. The likeliest cause is a page's code chunk that could
//! not be fetched (a new release replaced the files this tab was loaded with, or the network
//! dropped); a full load of the address the person asked for gets the current release.

use std::cell::RefCell;
use wasm_bindgen::{closure::Closure, JsCast};

/// Where a panic sends the tab: the link followed last, if it was followed moments ago.
struct Next {
    href: String,
    at: f64,
}

thread_local! {
    static NEXT: RefCell<Option<Next>> = const { RefCell::new(None) };
}

/// A link click counts as the destination for this long (ms); a lazy page chunk arrives, or
/// fails, well within it.
const NEXT_FRESH_MS: f64 = 10_000.0;
/// At most one recovery per this long (ms), so a page that panics on every load is not
/// reloaded in a loop.
const ONCE_PER_MS: f64 = 30_000.0;
const STORAGE_KEY: &str = "pulse-recovered-at";

/// Installs the panic hook (which still logs the panic to the console) and remembers the
/// links followed, in the capture phase so the router's own handler cannot hide them.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        recover();
    }));
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let on_click = Closure::<dyn Fn(web_sys::Event)>::new(|ev: web_sys::Event| {
        let anchor = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("a[href]").ok().flatten())
            .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
        if let Some(a) = anchor {
            NEXT.with(|n| {
                *n.borrow_mut() = Some(Next {
                    href: a.href(),
                    at: js_sys::Date::now(),
                })
            });
        }
    });
    let _ = document.add_event_listener_with_callback_and_bool(
        "click",
        on_click.as_ref().unchecked_ref(),
        true,
    );
    // Lives as long as the page.
    on_click.forget();
}

fn recover() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let now = js_sys::Date::now();
    let storage = window.session_storage().ok().flatten();
    let last = storage
        .as_ref()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|v| v.parse::<f64>().ok());
    if last.is_some_and(|t| now - t < ONCE_PER_MS) {
        return;
    }
    if let Some(s) = &storage {
        let _ = s.set_item(STORAGE_KEY, &now.to_string());
    }
    let next = NEXT
        .try_with(|n| {
            n.try_borrow().ok().and_then(|n| {
                n.as_ref()
                    .filter(|n| now - n.at < NEXT_FRESH_MS)
                    .map(|n| n.href.clone())
            })
        })
        .ok()
        .flatten();
    let location = window.location();
    let _ = match next {
        Some(href) => location.assign(&href),
        None => location.reload(),
    };
}
