//! Pulse's own users, sessions and API tokens. Secrets arrive here already hashed: this module
//! never sees a password or a token.

use super::{Store, StoreError};
use crate::permissions::{Role, Scope, TokenInfo, UserInfo};
use sqlx::any::AnyRow;
use sqlx::Row;

/// A user with what login needs.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
}

/// A session joined with its user.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_ms: i64,
    pub last_seen_ms: i64,
}

/// A token with what the guard needs.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub scope: Scope,
    pub expires_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
    pub last_used_ms: Option<i64>,
}

/// A role or scope column holding a value this version does not know: refused, never widened.
fn role_of(row: &AnyRow, col: usize) -> Result<Role, StoreError> {
    let text: String = row.try_get(col)?;
    Role::parse(&text).ok_or_else(|| {
        StoreError::Query(sqlx::Error::Decode(
            format!("unknown role `{text}` in the database").into(),
        ))
    })
}

fn scope_of(row: &AnyRow, col: usize) -> Result<Scope, StoreError> {
    let text: String = row.try_get(col)?;
    Scope::parse(&text).ok_or_else(|| {
        StoreError::Query(sqlx::Error::Decode(
            format!("unknown token scope `{text}` in the database").into(),
        ))
    })
}

const TOKEN_COLS: &str = "id, name, role, scope, prefix, created_ms, expires_ms, last_used_ms, \
                          revoked_ms";

impl Store {
    pub async fn count_users(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM pulse_users")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Creates a user; `false` when the name is taken (nothing changes then).
    pub async fn create_user(
        &self,
        name: &str,
        password_hash: &str,
        role: Role,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let sql = self.sql(
            "INSERT INTO pulse_users (name, password_hash, role, disabled, created_ms) \
             VALUES (?, ?, ?, 0, ?) ON CONFLICT (name) DO NOTHING",
        );
        let done = sqlx::query(&sql)
            .bind(name.to_string())
            .bind(password_hash.to_string())
            .bind(role.as_str())
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn user_by_name(&self, name: &str) -> Result<Option<UserRow>, StoreError> {
        let sql = self
            .sql("SELECT id, name, password_hash, role, disabled FROM pulse_users WHERE name = ?");
        let row = sqlx::query(&sql)
            .bind(name.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(UserRow {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                password_hash: r.try_get(2)?,
                role: role_of(&r, 3)?,
                disabled: r.try_get::<i64, _>(4)? != 0,
            })
        })
        .transpose()
    }

    pub async fn list_users(&self) -> Result<Vec<UserInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, role, disabled, created_ms, last_login_ms FROM pulse_users ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UserInfo {
                    name: r.try_get(0)?,
                    role: role_of(r, 1)?,
                    disabled: r.try_get::<i64, _>(2)? != 0,
                    created_ms: r.try_get(3)?,
                    last_login_ms: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Changes what is given of a user's password hash, role and disabled flag, and ends the
    /// user's sessions when any of them changed (a new password or role applies at once).
    /// `false` when there is no such user.
    pub async fn update_user(
        &self,
        name: &str,
        password_hash: Option<&str>,
        role: Option<Role>,
        disabled: Option<bool>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let sql = self.sql(
            "UPDATE pulse_users SET password_hash = COALESCE(?, password_hash), \
             role = COALESCE(?, role), disabled = COALESCE(?, disabled) WHERE name = ?",
        );
        let done = sqlx::query(&sql)
            .bind(password_hash.map(str::to_string))
            .bind(role.map(|r| r.as_str().to_string()))
            .bind(disabled.map(i64::from))
            .bind(name.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let sql = self.sql(
            "DELETE FROM pulse_sessions WHERE user_id IN (SELECT id FROM pulse_users WHERE name = ?)",
        );
        sqlx::query(&sql)
            .bind(name.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn touch_login(&self, user_id: i64, now_ms: i64) -> Result<(), StoreError> {
        let sql = self.sql("UPDATE pulse_users SET last_login_ms = ? WHERE id = ?");
        sqlx::query(&sql)
            .bind(now_ms)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let sql = self.sql(
            "INSERT INTO pulse_sessions (id_hash, user_id, created_ms, last_seen_ms) \
             VALUES (?, ?, ?, ?)",
        );
        sqlx::query(&sql)
            .bind(id_hash.to_string())
            .bind(user_id)
            .bind(now_ms)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>, StoreError> {
        let sql = self.sql(
            "SELECT s.user_id, u.name, u.role, u.disabled, s.created_ms, s.last_seen_ms \
             FROM pulse_sessions s JOIN pulse_users u ON u.id = s.user_id WHERE s.id_hash = ?",
        );
        let row = sqlx::query(&sql)
            .bind(id_hash.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(SessionRow {
                user_id: r.try_get(0)?,
                name: r.try_get(1)?,
                role: role_of(&r, 2)?,
                disabled: r.try_get::<i64, _>(3)? != 0,
                created_ms: r.try_get(4)?,
                last_seen_ms: r.try_get(5)?,
            })
        })
        .transpose()
    }

    pub async fn touch_session(&self, id_hash: &str, now_ms: i64) -> Result<(), StoreError> {
        let sql = self.sql("UPDATE pulse_sessions SET last_seen_ms = ? WHERE id_hash = ?");
        sqlx::query(&sql)
            .bind(now_ms)
            .bind(id_hash.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        let sql = self.sql("DELETE FROM pulse_sessions WHERE id_hash = ?");
        sqlx::query(&sql)
            .bind(id_hash.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes sessions created before `created_before` or idle since `seen_before`.
    pub async fn prune_sessions(
        &self,
        created_before: i64,
        seen_before: i64,
    ) -> Result<u64, StoreError> {
        let sql = self.sql("DELETE FROM pulse_sessions WHERE created_ms < ? OR last_seen_ms < ?");
        let done = sqlx::query(&sql)
            .bind(created_before)
            .bind(seen_before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create_token(
        &self,
        name: &str,
        token_hash: &str,
        prefix: &str,
        role: Role,
        scope: Scope,
        now_ms: i64,
        expires_ms: Option<i64>,
    ) -> Result<i64, StoreError> {
        let sql = self.sql(
            "INSERT INTO pulse_tokens (name, token_hash, prefix, role, scope, created_ms, \
             expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        );
        let row = sqlx::query(&sql)
            .bind(name.to_string())
            .bind(token_hash.to_string())
            .bind(prefix.to_string())
            .bind(role.as_str())
            .bind(scope.as_str())
            .bind(now_ms)
            .bind(expires_ms)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<TokenRow>, StoreError> {
        let sql = self.sql(
            "SELECT id, name, role, scope, expires_ms, revoked_ms, last_used_ms FROM pulse_tokens \
             WHERE token_hash = ?",
        );
        let row = sqlx::query(&sql)
            .bind(token_hash.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(TokenRow {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                role: role_of(&r, 2)?,
                scope: scope_of(&r, 3)?,
                expires_ms: r.try_get(4)?,
                revoked_ms: r.try_get(5)?,
                last_used_ms: r.try_get(6)?,
            })
        })
        .transpose()
    }

    pub async fn touch_token(&self, id: i64, now_ms: i64) -> Result<(), StoreError> {
        let sql = self.sql("UPDATE pulse_tokens SET last_used_ms = ? WHERE id = ?");
        sqlx::query(&sql)
            .bind(now_ms)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn list_tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLS} FROM pulse_tokens ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    role: role_of(r, 2)?,
                    scope: scope_of(r, 3)?,
                    prefix: r.try_get(4)?,
                    created_ms: r.try_get(5)?,
                    expires_ms: r.try_get(6)?,
                    last_used_ms: r.try_get(7)?,
                    revoked_ms: r.try_get(8)?,
                })
            })
            .collect()
    }

    /// Revokes a token; `false` when there is no such token or it was already revoked.
    pub async fn revoke_token(&self, id: i64, now_ms: i64) -> Result<bool, StoreError> {
        let sql =
            self.sql("UPDATE pulse_tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL");
        let done = sqlx::query(&sql)
            .bind(now_ms)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
