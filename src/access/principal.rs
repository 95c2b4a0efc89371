//! Who a request is: a logged-in user (session cookie), an API token (bearer), or an anonymous
//! visitor. Sessions and tokens are looked up by digest and remembered for a few seconds, so a
//! dashboard polling every few seconds costs no database read per request.

use super::secrets::{digest, TOKEN_PREFIX};
use crate::config::{AuthSettings, TrafficSettings};
use crate::permissions::{Principal, Role, Scope, Who};
use crate::store::{Store, StoreError};
use axum::http::{header, HeaderMap};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The cookie that carries the session id.
pub const SESSION_COOKIE: &str = "pulse_session";
/// How long a looked-up session or token is trusted before the database is asked again: the
/// delay after which another replica sees a logout, a revocation or a role change.
const CACHE_TTL: Duration = Duration::from_secs(5);
/// Cached lookups kept at most; beyond it the cache starts afresh (forged ids cannot grow it).
const CACHE_MAX: usize = 10_000;
/// `last_seen_ms` / `last_used_ms` are written at most this often per session or token (and
/// only when the cache asks the database, every `CACHE_TTL` at most).
const TOUCH_EVERY_MS: i64 = 60_000;

/// Why a caller could not be identified.
#[derive(Debug, thiserror::Error)]
pub enum IdentifyError {
    /// A bearer token was sent and is not valid: refused rather than treated as anonymous.
    #[error("the bearer token is not valid (unknown, revoked or expired)")]
    BadToken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
struct Cached {
    at: Instant,
    /// `None`: the id or token is not valid.
    principal: Option<Principal>,
}

/// Looks callers up; one per process, shared by the guard and the login handlers.
#[derive(Clone, Debug)]
pub struct Identifier {
    store: Store,
    settings: Arc<AuthSettings>,
    traffic: Arc<TrafficSettings>,
    cache: Arc<Mutex<HashMap<String, Cached>>>,
}

impl Identifier {
    pub fn new(store: Store, settings: Arc<AuthSettings>, traffic: Arc<TrafficSettings>) -> Self {
        Identifier {
            store,
            settings,
            traffic,
            cache: Arc::default(),
        }
    }

    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    /// The caller of a request with these headers.
    pub async fn identify(
        &self,
        headers: &HeaderMap,
        now_ms: i64,
    ) -> Result<Principal, IdentifyError> {
        if let Some(token) = crate::auth::bearer(headers) {
            return self.by_token(token, now_ms).await;
        }
        if let Some(id) = session_cookie(headers) {
            if let Some(p) = self.by_session(&id, now_ms).await? {
                return Ok(p);
            }
        }
        Ok(Principal::anonymous(self.settings.anonymous))
    }

    /// Forgets a cached session at once (logout on this replica).
    pub fn forget(&self, key: &str) {
        self.lock().remove(key);
    }

    /// Forgets every cached lookup (a user's role or password changed).
    pub fn forget_all(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cached(&self, key: &str) -> Option<Cached> {
        let c = self.lock().get(key).cloned()?;
        (c.at.elapsed() < CACHE_TTL).then_some(c)
    }

    fn remember(&self, key: String, principal: Option<Principal>) {
        let mut cache = self.lock();
        if cache.len() >= CACHE_MAX {
            cache.retain(|_, c| c.at.elapsed() < CACHE_TTL);
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(
            key,
            Cached {
                at: Instant::now(),
                principal,
            },
        );
    }

    async fn by_token(&self, token: &str, now_ms: i64) -> Result<Principal, IdentifyError> {
        // Configured tokens keep working as before: ingest tokens may also read (analyst).
        if crate::auth::token_matches(token, &self.traffic.ingest_tokens) {
            return Ok(config_token(token, true));
        }
        if crate::auth::token_matches(token, &self.traffic.read_tokens) {
            return Ok(config_token(token, false));
        }
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
            return Err(IdentifyError::BadToken);
        }
        let key = format!("t:{}", digest(token));
        if let Some(c) = self.cached(&key) {
            return c.principal.ok_or(IdentifyError::BadToken);
        }
        let row = self.store.token_by_hash(&key[2..]).await?;
        let valid =
            row.filter(|t| t.revoked_ms.is_none() && t.expires_ms.is_none_or(|exp| exp > now_ms));
        let principal = valid.as_ref().map(|t| Principal {
            who: Who::Token {
                id: Some(t.id),
                name: t.name.clone(),
            },
            role: (t.scope == Scope::Read).then_some(t.role),
            ingest: t.scope == Scope::Ingest,
            session: None,
        });
        // Touched only on a lookup (every few seconds at most), and at most once a minute.
        if let Some(t) = valid.filter(|t| due(t.last_used_ms, now_ms)) {
            if let Err(e) = self.store.touch_token(t.id, now_ms).await {
                tracing::warn!(error = %e, "could not record a token's last use");
            }
        }
        self.remember(key, principal.clone());
        principal.ok_or(IdentifyError::BadToken)
    }

    async fn by_session(&self, id: &str, now_ms: i64) -> Result<Option<Principal>, StoreError> {
        let key = format!("s:{}", digest(id));
        if let Some(c) = self.cached(&key) {
            return Ok(c.principal);
        }
        let row = self.store.session(&key[2..]).await?;
        let idle = self.settings.session_idle.as_millis() as i64;
        let max = self.settings.session_max.as_millis() as i64;
        let live = row.filter(|s| {
            !s.disabled && now_ms - s.created_ms < max && now_ms - s.last_seen_ms < idle
        });
        if live
            .as_ref()
            .is_some_and(|s| due(Some(s.last_seen_ms), now_ms))
        {
            self.store.touch_session(&key[2..], now_ms).await?;
        }
        let principal = live.map(|s| Principal {
            who: Who::User {
                id: s.user_id,
                name: s.name,
            },
            role: Some(s.role),
            ingest: false,
            session: Some(key[2..].to_string()),
        });
        self.remember(key, principal.clone());
        Ok(principal)
    }
}

/// Whether a use last recorded at `last_ms` should be recorded again now.
fn due(last_ms: Option<i64>, now_ms: i64) -> bool {
    last_ms.is_none_or(|last| now_ms.saturating_sub(last) >= TOUCH_EVERY_MS)
}

fn config_token(token: &str, ingest: bool) -> Principal {
    Principal {
        who: Who::Token {
            id: None,
            name: crate::auth::token_actor(token)
                .trim_start_matches("token:")
                .to_string(),
        },
        role: Some(Role::Analyst),
        ingest,
        session: None,
    }
}

/// The session id from the request's cookies.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| cookie::Cookie::parse(pair.trim().to_string()).ok())
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}
