//! `mcp-pulse user …` and `mcp-pulse token …`: managing Pulse's users and API tokens from the
//! command line, against the database the config names (a running server sees the change
//! within seconds).

use crate::access::users::{self, UserError};
use crate::config::Config;
use crate::permissions::{Role, Scope};
use crate::store::Store;
use std::io::BufRead;

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from stdin (one line).
    Add {
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Set a user's password, read from stdin (one line); the user's sessions end.
    Passwd { name: String },
    /// Change a user's role; the user's sessions end.
    Role {
        name: String,
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// List users.
    List,
    /// Disable a user (sessions end; logging in is refused).
    Disable { name: String },
    /// Enable a disabled user.
    Enable { name: String },
}

#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print it (the only time it is shown).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role, default_value = "analyst")]
        role: Role,
        /// `read` (the analytics APIs, as the role allows) or `ingest` (posting events).
        #[arg(long, value_parser = parse_scope, default_value = "read")]
        scope: Scope,
        /// Lifetime, e.g. 90d; without it the token lasts until revoked.
        #[arg(long, value_parser = humantime::parse_duration)]
        expires: Option<std::time::Duration>,
    },
    /// List tokens (never the secrets).
    List,
    /// Revoke a token by id.
    Revoke { id: i64 },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| {
        format!("`{text}` is not one of guest, viewer, analyst, developer, manager, admin")
    })
}

fn parse_scope(text: &str) -> Result<Scope, String> {
    Scope::parse(text).ok_or_else(|| format!("`{text}` is not one of read, ingest"))
}

#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    User(#[from] UserError),
    #[error("cannot read the password from stdin: {0}")]
    Stdin(String),
}

fn read_password() -> Result<String, AccountsError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| AccountsError::Stdin(e.to_string()))?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err(AccountsError::Stdin("no password given".into()));
    }
    Ok(password)
}

fn date(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".to_string())
}

pub async fn user(config: &Config, cmd: UserCommand) -> Result<(), AccountsError> {
    let store = Store::connect(&config.database_url).await?;
    match cmd {
        UserCommand::Add { name, role } => {
            let password = read_password()?;
            users::add_user(&store, &name, role, &password).await?;
            println!("created {name} ({role})");
        }
        UserCommand::Passwd { name } => {
            let password = read_password()?;
            users::change_user(&store, &name, Some(&password), None, None).await?;
            println!("password of {name} changed; its sessions ended");
        }
        UserCommand::Role { name, role } => {
            users::change_user(&store, &name, None, Some(role), None).await?;
            println!("{name} is now {role}; its sessions ended");
        }
        UserCommand::List => {
            println!(
                "{:<24} {:<10} {:<9} {:<17} LAST LOGIN",
                "NAME", "ROLE", "STATE", "CREATED"
            );
            for u in users::list_users(&store).await? {
                println!(
                    "{:<24} {:<10} {:<9} {:<17} {}",
                    u.name,
                    u.role,
                    if u.disabled { "disabled" } else { "enabled" },
                    date(Some(u.created_ms)),
                    date(u.last_login_ms)
                );
            }
        }
        UserCommand::Disable { name } => {
            users::change_user(&store, &name, None, None, Some(true)).await?;
            println!("{name} disabled");
        }
        UserCommand::Enable { name } => {
            users::change_user(&store, &name, None, None, Some(false)).await?;
            println!("{name} enabled");
        }
    }
    store.close().await;
    Ok(())
}

pub async fn token(config: &Config, cmd: TokenCommand) -> Result<(), AccountsError> {
    let store = Store::connect(&config.database_url).await?;
    match cmd {
        TokenCommand::Create {
            name,
            role,
            scope,
            expires,
        } => {
            let (id, token) = users::create_token(&store, &name, role, scope, expires).await?;
            eprintln!(
                "token {id} `{name}` ({role}, {}) created; it is shown only now:",
                scope.as_str()
            );
            println!("{token}");
        }
        TokenCommand::List => {
            println!(
                "{:>4} {:<20} {:<10} {:<7} {:<11} {:<17} {:<17} STATE",
                "ID", "NAME", "ROLE", "SCOPE", "PREFIX", "LAST USED", "EXPIRES"
            );
            for t in users::list_tokens(&store).await? {
                let state = if t.revoked_ms.is_some() {
                    "revoked"
                } else if t.expires_ms.is_some_and(|e| e <= crate::model::now_ms()) {
                    "expired"
                } else {
                    "active"
                };
                println!(
                    "{:>4} {:<20} {:<10} {:<7} {:<11} {:<17} {:<17} {state}",
                    t.id,
                    t.name,
                    t.role,
                    t.scope.as_str(),
                    t.prefix,
                    date(t.last_used_ms),
                    date(t.expires_ms)
                );
            }
        }
        TokenCommand::Revoke { id } => {
            users::revoke_token(&store, id).await?;
            println!("token {id} revoked");
        }
    }
    store.close().await;
    Ok(())
}
