//! Managing users and API tokens: the first-run admin, and the operations the command line
//! (`mcp-pulse user …`, `mcp-pulse token …`) and the admin page share.

use super::secrets::{self, SecretError};
use crate::permissions::{Role, Scope, TokenInfo, UserInfo};
use crate::store::{Store, StoreError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The file the first-run admin password is written to, next to the database.
pub const ADMIN_PASSWORD_FILE: &str = "admin-password.txt";

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("a user name is 1 to 64 letters, digits, `.`, `_`, `-` or `@`")]
    BadName,
    #[error("a user named `{0}` already exists")]
    Exists(String),
    #[error("no user named `{0}`")]
    NoUser(String),
    #[error("no token with id {0} (or it is already revoked)")]
    NoToken(i64),
    #[error("a token name is 1 to 64 printable characters")]
    BadTokenName,
    #[error("the last enabled admin cannot be disabled or lose the admin role")]
    LastAdmin,
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write {path}: {reason}")]
    File { path: String, reason: String },
}

pub fn valid_name(name: &str) -> bool {
    (1..=crate::permissions::MAX_NAME_LEN).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// What the first run did about the admin account.
#[derive(Debug, PartialEq)]
pub enum FirstRun {
    /// Users exist already: nothing to do.
    HasUsers,
    /// `admin` was created with `PULSE_ADMIN_PASSWORD`.
    FromEnvironment,
    /// `admin` was created with a generated password, written to this file.
    Generated { password: String, file: PathBuf },
}

/// With no users, creates `admin`: with `PULSE_ADMIN_PASSWORD` when given, else with a random
/// password written (mode 0600) to `admin-password.txt` in `data_dir`. Several replicas
/// starting at once create one admin: the name is unique and only the winner writes.
pub async fn ensure_admin(
    store: &Store,
    data_dir: &Path,
    from_env: Option<String>,
) -> Result<FirstRun, UserError> {
    if store.count_users().await? > 0 {
        return Ok(FirstRun::HasUsers);
    }
    let (password, generated) = match from_env {
        Some(p) => (p, false),
        None => (secrets::generated_password()?, true),
    };
    let hash = secrets::hash_password(&password)?;
    if !store
        .create_user("admin", &hash, Role::Admin, crate::model::now_ms())
        .await?
    {
        return Ok(FirstRun::HasUsers);
    }
    if !generated {
        return Ok(FirstRun::FromEnvironment);
    }
    let file = data_dir.join(ADMIN_PASSWORD_FILE);
    write_private(&file, &format!("{password}\n")).map_err(|reason| UserError::File {
        path: file.display().to_string(),
        reason,
    })?;
    Ok(FirstRun::Generated { password, file })
}

fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        // An existing file keeps its mode on open: set it explicitly.
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| e.to_string())?;
    }
    f.write_all(text.as_bytes()).map_err(|e| e.to_string())
}

pub async fn add_user(
    store: &Store,
    name: &str,
    role: Role,
    password: &str,
) -> Result<(), UserError> {
    if !valid_name(name) {
        return Err(UserError::BadName);
    }
    let hash = secrets::hash_password(password)?;
    if store
        .create_user(name, &hash, role, crate::model::now_ms())
        .await?
    {
        Ok(())
    } else {
        Err(UserError::Exists(name.to_string()))
    }
}

/// Changes a user's password, role or enabled state; the user's sessions end. The last
/// enabled admin keeps the role and stays enabled (never a Pulse nobody can administer).
pub async fn change_user(
    store: &Store,
    name: &str,
    password: Option<&str>,
    role: Option<Role>,
    disabled: Option<bool>,
) -> Result<(), UserError> {
    let hash = password.map(secrets::hash_password).transpose()?;
    let users = store.list_users().await?;
    let Some(user) = users.iter().find(|u| u.name == name) else {
        return Err(UserError::NoUser(name.to_string()));
    };
    let demotes = user.role == Role::Admin
        && !user.disabled
        && (disabled == Some(true) || role.is_some_and(|r| r != Role::Admin));
    let admins = users
        .iter()
        .filter(|u| u.role == Role::Admin && !u.disabled)
        .count();
    if demotes && admins <= 1 {
        return Err(UserError::LastAdmin);
    }
    if store
        .update_user(name, hash.as_deref(), role, disabled)
        .await?
    {
        Ok(())
    } else {
        Err(UserError::NoUser(name.to_string()))
    }
}

pub async fn list_users(store: &Store) -> Result<Vec<UserInfo>, UserError> {
    Ok(store.list_users().await?)
}

/// A new token: its id and the secret, which is shown once and stored only as a digest.
pub async fn create_token(
    store: &Store,
    name: &str,
    role: Role,
    scope: Scope,
    expires_in: Option<Duration>,
) -> Result<(i64, String), UserError> {
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(|c| c.is_control()) {
        return Err(UserError::BadTokenName);
    }
    let token = secrets::api_token()?;
    let now = crate::model::now_ms();
    let prefix: String = token
        .chars()
        .take(secrets::TOKEN_PREFIX.len() + 4)
        .collect();
    let expires = expires_in.map(|d| now.saturating_add(d.as_millis() as i64));
    let id = store
        .create_token(
            name,
            &secrets::digest(&token),
            &prefix,
            role,
            scope,
            now,
            expires,
        )
        .await?;
    Ok((id, token))
}

pub async fn list_tokens(store: &Store) -> Result<Vec<TokenInfo>, UserError> {
    Ok(store.list_tokens().await?)
}

pub async fn revoke_token(store: &Store, id: i64) -> Result<(), UserError> {
    if store.revoke_token(id, crate::model::now_ms()).await? {
        Ok(())
    } else {
        Err(UserError::NoToken(id))
    }
}
