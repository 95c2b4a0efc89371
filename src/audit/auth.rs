//! Authentication events among the audit events (seed 000's authentication monitoring): which
//! actions they are, and the bounded provider and method labels they are rolled up and exported
//! under, whatever a gateway sends.

use crate::events::AuthKey;
use crate::model::OTHER;
use serde_json::Value;
use std::collections::HashSet;

pub const OAUTH_FLOW: &str = "auth.oauth_flow";
pub const TOKEN_REFRESH: &str = "auth.token_refresh";
pub const SESSION_VALIDATION: &str = "auth.session_validation";
pub const LOGIN: &str = "auth.login";
pub const MFA_CHALLENGE: &str = "auth.mfa_challenge";
/// A role synchronised from the identity provider (a role-migration action).
pub const ROLE_SYNC: &str = "role.change.oauth_sync";

/// The category of the auth actions (seed 000's five event types).
pub const CATEGORY: &str = "auth_events";
pub const ACTIONS: [&str; 5] = [
    OAUTH_FLOW,
    TOKEN_REFRESH,
    SESSION_VALIDATION,
    LOGIN,
    MFA_CHALLENGE,
];

/// Identity providers named as themselves in rollups and metrics; config adds more.
pub const KNOWN_PROVIDERS: [&str; 16] = [
    "azure_ad",
    "microsoft",
    "entra_id",
    "github",
    "gitlab",
    "google",
    "okta",
    "auth0",
    "keycloak",
    "cognito",
    "onelogin",
    "ping",
    "saml",
    "ldap",
    "oidc",
    "local",
];

/// MFA methods and OAuth flow types named as themselves; config adds more.
pub const KNOWN_METHODS: [&str; 16] = [
    "totp",
    "hotp",
    "webauthn",
    "passkey",
    "sms",
    "email",
    "push",
    "voice",
    "backup_code",
    "authorization_code",
    "pkce",
    "client_credentials",
    "device_code",
    "refresh_token",
    "implicit",
    "password",
];

/// Whether an action is one the authentication views count.
pub fn is_auth_action(action: &str) -> bool {
    ACTIONS.contains(&action) || action == ROLE_SYNC
}

/// The label sets: known names plus configured ones; anything else is `other`.
#[derive(Debug, Clone)]
pub struct AuthLabels {
    providers: HashSet<String>,
    methods: HashSet<String>,
}

impl Default for AuthLabels {
    fn default() -> Self {
        AuthLabels::new(&[], &[])
    }
}

impl AuthLabels {
    pub fn new(extra_providers: &[String], extra_methods: &[String]) -> AuthLabels {
        let set = |known: &[&str], extra: &[String]| -> HashSet<String> {
            known
                .iter()
                .map(|s| s.to_string())
                .chain(extra.iter().cloned())
                .collect()
        };
        AuthLabels {
            providers: set(&KNOWN_PROVIDERS, extra_providers),
            methods: set(&KNOWN_METHODS, extra_methods),
        }
    }

    fn label(set: &HashSet<String>, value: Option<&str>) -> String {
        match value {
            None | Some("") => String::new(),
            Some(v) if set.contains(v) => v.to_string(),
            Some(_) => OTHER.to_string(),
        }
    }

    /// The labels of an auth action's event; `None` for any other action.
    pub fn key(
        &self,
        action: &str,
        provider: Option<&str>,
        details: Option<&Value>,
    ) -> Option<AuthKey> {
        if !is_auth_action(action) {
            return None;
        }
        let field = match action {
            MFA_CHALLENGE => Some("method"),
            OAUTH_FLOW => Some("flow_type"),
            _ => None,
        };
        let method = field.and_then(|f| details?.get(f)?.as_str());
        Some(AuthKey {
            provider: Self::label(&self.providers, provider),
            method: Self::label(&self.methods, method),
        })
    }

    /// Whether `p` is a provider label (a known or configured name, or `other`).
    pub fn is_provider_label(&self, p: &str) -> bool {
        p == OTHER || self.providers.contains(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_are_known_names_configured_names_or_other() {
        let l = AuthLabels::new(&["corp_sso".into()], &["yubikey".into()]);
        let k = |a, p, d| l.key(a, p, d);
        let mfa = json!({"method": "totp"});
        assert_eq!(
            k(MFA_CHALLENGE, Some("github"), Some(&mfa)),
            Some(AuthKey {
                provider: "github".into(),
                method: "totp".into()
            })
        );
        let odd = json!({"method": "carrier-pigeon", "flow_type": "yubikey"});
        let got = k(MFA_CHALLENGE, Some("made-up-idp-42"), Some(&odd)).unwrap();
        assert_eq!(
            (got.provider.as_str(), got.method.as_str()),
            ("other", "other")
        );
        // The flow type is the OAuth flow's method; MFA's field means nothing there.
        let got = k(OAUTH_FLOW, Some("corp_sso"), Some(&odd)).unwrap();
        assert_eq!(
            (got.provider.as_str(), got.method.as_str()),
            ("corp_sso", "yubikey")
        );
        let got = k(TOKEN_REFRESH, None, Some(&odd)).unwrap();
        assert_eq!((got.provider.as_str(), got.method.as_str()), ("", ""));
        assert!(k(ROLE_SYNC, Some("azure_ad"), None).is_some());
        assert_eq!(k("resource.view", Some("github"), None), None);
    }
}
