//! The one table from request path to what it needs: the API routes (declared beside their
//! handlers), the pages and the server functions ([`super::PAGES`], [`super::SERVER_FNS`]).

use crate::permissions::{Permission, PAGES, SERVER_FNS};

/// Where Leptos serves server functions.
pub const SERVER_FN_PREFIX: &str = "/api/";

/// What a path needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Need(Permission),
    /// `/metrics`: open, unless `[metrics] bearer_token` is set; then that token (or a
    /// logged-in viewer).
    Metrics,
}

#[derive(Debug, thiserror::Error)]
#[error("the access rules conflict at `{path}`: {reason}")]
pub struct RulesError {
    path: String,
    reason: String,
}

#[derive(Clone, Debug)]
pub struct Rules {
    router: matchit::Router<Rule>,
    pages: matchit::Router<()>,
}

impl Rules {
    /// The table for the API routes given and every page and server function.
    pub fn build(api: &[(&'static str, Rule)]) -> Result<Rules, RulesError> {
        let mut router = matchit::Router::new();
        let mut page_router = matchit::Router::new();
        for (path, _) in PAGES {
            page_router.insert(*path, ()).map_err(|e| RulesError {
                path: path.to_string(),
                reason: e.to_string(),
            })?;
        }
        let pages = PAGES
            .iter()
            .map(|(p, perm)| (p.to_string(), Rule::Need(*perm)));
        let fns = SERVER_FNS
            .iter()
            .map(|(name, perm)| (format!("{SERVER_FN_PREFIX}{name}"), Rule::Need(*perm)));
        let api = api.iter().map(|(p, r)| (p.to_string(), *r));
        for (path, rule) in pages.chain(fns).chain(api) {
            router.insert(path.clone(), rule).map_err(|e| RulesError {
                path,
                reason: e.to_string(),
            })?;
        }
        Ok(Rules {
            router,
            pages: page_router,
        })
    }

    /// The rule for a path. A path in no table is a static file or a 404 (public), except
    /// under the server-function prefix, where an unlisted function is admin-only: a new
    /// function is never open by omission.
    pub fn lookup(&self, path: &str) -> Rule {
        match self.router.at(path) {
            Ok(m) => *m.value,
            Err(_) if path.starts_with(SERVER_FN_PREFIX) => Rule::Need(Permission::Admin),
            Err(_) => Rule::Need(Permission::Public),
        }
    }

    /// Whether a path is one of the dashboard's pages.
    pub fn is_page(&self, path: &str) -> bool {
        self.pages.at(path).is_ok()
    }

    /// Whether a path has a rule of its own (the tests' completeness check).
    pub fn covers(&self, path: &str) -> bool {
        self.router.at(path).is_ok()
    }
}
