//! Who may see and do what: Pulse's six roles, the permissions they grant, the one table that
//! names the permission every page and server function needs, and the caller a request
//! carries. A leaf shared by the server (`access` enforces it) and the browser (pages a role
//! cannot see are not linked).

use serde::{Deserialize, Serialize};

/// Longest user name accepted anywhere.
pub const MAX_NAME_LEN: usize = 64;

/// The seed's hierarchy, lowest privilege first: each role has every permission of the roles
/// below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Guest,
    Viewer,
    Analyst,
    Developer,
    Manager,
    Admin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Guest,
        Role::Viewer,
        Role::Analyst,
        Role::Developer,
        Role::Manager,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Guest => "guest",
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Developer => "developer",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, so column widths in the command-line listings apply.
        f.pad(self.as_str())
    }
}

/// What a request needs. `Public` needs nothing; `Ingest` needs a token with the ingest
/// scope; every other permission needs a role at or above `min_role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Probes, the login page, static files.
    Public,
    /// Overall status and component statuses, without error texts or details.
    Status,
    /// Component details and history, the Requests and Performance pages.
    Details,
    /// Role and authentication analytics, exports, the analytics APIs.
    Analytics,
    /// "Check now", test notifications.
    Operate,
    /// Silences, maintenance windows, acknowledging alerts.
    Manage,
    /// Users, tokens, Pulse's own audit log, the configuration view.
    Admin,
    /// Posting events (a token with the ingest scope).
    Ingest,
}

impl Permission {
    /// The lowest role holding this permission (`None`: not a role's permission).
    pub fn min_role(self) -> Option<Role> {
        match self {
            Permission::Public | Permission::Ingest => None,
            Permission::Status => Some(Role::Guest),
            Permission::Details => Some(Role::Viewer),
            Permission::Analytics => Some(Role::Analyst),
            Permission::Operate => Some(Role::Developer),
            Permission::Manage => Some(Role::Manager),
            Permission::Admin => Some(Role::Admin),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Public => "public",
            Permission::Status => "status",
            Permission::Details => "details",
            Permission::Analytics => "analytics",
            Permission::Operate => "operate",
            Permission::Manage => "manage",
            Permission::Admin => "admin",
            Permission::Ingest => "ingest",
        }
    }
}

/// Whether a role (or no role: a visitor who may see nothing without logging in) holds a
/// permission.
pub fn role_allows(role: Option<Role>, perm: Permission) -> bool {
    match perm {
        Permission::Public => true,
        Permission::Ingest => false,
        p => match (role, p.min_role()) {
            (Some(r), Some(min)) => r >= min,
            _ => false,
        },
    }
}

/// The dashboard's pages (router paths) and what each needs. The guard refuses a page the
/// visitor may not see; the navigation links only what the visitor may see.
pub const PAGES: &[(&str, Permission)] = &[
    ("/", Permission::Status),
    ("/components/{name}", Permission::Details),
    ("/requests", Permission::Details),
    ("/performance", Permission::Details),
    ("/roles", Permission::Analytics),
    ("/authentication", Permission::Analytics),
    ("/alerts", Permission::Details),
    ("/login", Permission::Public),
    ("/admin", Permission::Admin),
    ("/admin/audit", Permission::Admin),
    ("/admin/config", Permission::Admin),
];

/// Server functions (by endpoint name, under `/api/`) and what each needs.
pub const SERVER_FNS: &[(&str, Permission)] = &[
    ("whoami", Permission::Public),
    ("get_health", Permission::Status),
    ("get_overview", Permission::Status),
    ("get_component", Permission::Details),
    ("run_check", Permission::Operate),
    ("get_realtime", Permission::Details),
    ("get_endpoints", Permission::Details),
    ("get_trends", Permission::Details),
    ("get_roles", Permission::Analytics),
    ("get_role_summary", Permission::Analytics),
    ("get_auth", Permission::Analytics),
    ("get_admin", Permission::Admin),
    ("create_user", Permission::Admin),
    ("set_user", Permission::Admin),
    ("create_token", Permission::Admin),
    ("revoke_token", Permission::Admin),
    ("get_own_audit", Permission::Admin),
    ("get_config_view", Permission::Admin),
    ("get_alerts", Permission::Details),
    ("get_component_alerts", Permission::Details),
    ("get_alert_banner", Permission::Status),
    ("send_test_notification", Permission::Operate),
    ("create_silence", Permission::Manage),
    ("expire_silence", Permission::Manage),
    ("expire_window", Permission::Manage),
];

/// The permission a page path needs (`None`: not a page).
pub fn page_permission(path: &str) -> Option<Permission> {
    PAGES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, perm)| *perm)
}

/// The permission a server function needs; an unlisted one is admin-only (never open by
/// omission).
pub fn server_fn_permission(name: &str) -> Permission {
    SERVER_FNS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| *p)
        .unwrap_or(Permission::Admin)
}

/// Who is looking, as the dashboard needs to know it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Me {
    /// The logged-in user's name; `None` for an anonymous visitor.
    pub name: Option<String>,
    /// The role in effect (an anonymous visitor's is `[auth] anonymous`, or none).
    pub role: Option<Role>,
}

impl Me {
    pub fn can(&self, perm: Permission) -> bool {
        role_allows(self.role, perm)
    }

    /// Whether a page at `path` (a router path from [`PAGES`]) is visible.
    pub fn sees(&self, path: &str) -> bool {
        page_permission(path).is_some_and(|p| self.can(p))
    }
}

/// A user as the admin page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInfo {
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_ms: i64,
    pub last_login_ms: Option<i64>,
}

/// What an API token may do besides its role's reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The analytics APIs, as far as the token's role allows.
    Read,
    /// Posting events (ingest and OTLP).
    Ingest,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Ingest => "ingest",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        match text {
            "read" => Some(Scope::Read),
            "ingest" => Some(Scope::Ingest),
            _ => None,
        }
    }
}

/// A token as the admin page lists it (the secret itself is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub scope: Scope,
    /// The first characters of the token, so an operator can tell tokens apart.
    pub prefix: String,
    pub created_ms: i64,
    pub expires_ms: Option<i64>,
    pub last_used_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
}

/// What the login page (and the JSON login answer) says for a failure code.
pub fn login_message(code: &str, wait_secs: u64) -> String {
    match code {
        "invalid" => "Wrong username or password.".to_string(),
        "throttled" => format!("Too many attempts. Try again in {wait_secs} s."),
        "unavailable" => "Logging in is not possible right now; try again.".to_string(),
        _ => "Please fill in both fields.".to_string(),
    }
}

/// What the admin page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminPage {
    pub users: Vec<UserInfo>,
    pub tokens: Vec<TokenInfo>,
}

/// One event of Pulse's own audit log as the admin page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnAuditRow {
    pub ts_ms: i64,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub resource: Option<String>,
    pub outcome: String,
}

/// A page of Pulse's own audit log, newest first; `older` continues it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnAuditPage {
    pub events: Vec<OwnAuditRow>,
    /// The cursor of the next (older) page, when there is one.
    pub older: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Who {
    User {
        id: i64,
        name: String,
    },
    /// A token from the database (`id`) or from `PULSE_INGEST_TOKENS`/`PULSE_READ_TOKENS`.
    Token {
        id: Option<i64>,
        name: String,
    },
    Anonymous,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub who: Who,
    /// The role in effect; `None` when the caller holds no role's permissions.
    pub role: Option<Role>,
    /// May post events.
    pub ingest: bool,
    /// The session's digest when the caller came with a session cookie.
    pub session: Option<String>,
}

impl Principal {
    pub fn anonymous(role: Option<Role>) -> Principal {
        Principal {
            who: Who::Anonymous,
            role,
            ingest: false,
            session: None,
        }
    }

    pub fn allows(&self, perm: Permission) -> bool {
        match perm {
            Permission::Ingest => self.ingest,
            p => role_allows(self.role, p),
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.who == Who::Anonymous
    }

    /// How the caller is named in Pulse's own audit log.
    pub fn actor(&self) -> String {
        match &self.who {
            Who::User { name, .. } => name.clone(),
            Who::Token { name, .. } => format!("token:{name}"),
            Who::Anonymous => "anonymous".to_string(),
        }
    }

    pub fn me(&self) -> Me {
        Me {
            name: match &self.who {
                Who::User { name, .. } => Some(name.clone()),
                _ => None,
            },
            role: self.role,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_holds_the_permissions_of_the_roles_below() {
        assert!(role_allows(Some(Role::Guest), Permission::Status));
        assert!(!role_allows(Some(Role::Guest), Permission::Details));
        assert!(role_allows(Some(Role::Viewer), Permission::Details));
        assert!(!role_allows(Some(Role::Viewer), Permission::Analytics));
        assert!(role_allows(Some(Role::Analyst), Permission::Analytics));
        assert!(!role_allows(Some(Role::Analyst), Permission::Operate));
        assert!(role_allows(Some(Role::Developer), Permission::Operate));
        assert!(!role_allows(Some(Role::Developer), Permission::Manage));
        assert!(role_allows(Some(Role::Manager), Permission::Manage));
        assert!(!role_allows(Some(Role::Manager), Permission::Admin));
        assert!(role_allows(Some(Role::Admin), Permission::Admin));
        // Nobody holds ingest by role, and a visitor without a role sees only public pages.
        assert!(!role_allows(Some(Role::Admin), Permission::Ingest));
        assert!(!role_allows(None, Permission::Status));
        assert!(role_allows(None, Permission::Public));
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
