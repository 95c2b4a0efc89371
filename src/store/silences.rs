//! Silences and maintenance windows made through the API or the Alerts page (those in the
//! config file are not stored).

use super::{Store, StoreError};
use sqlx::Row;

/// A maintenance window made through the API (its spec as posted, validated).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredWindow {
    pub id: i64,
    /// The `MaintenanceSpec` as JSON.
    pub spec: String,
    pub created_by: String,
    pub created_ms: i64,
    pub expired_ms: Option<i64>,
}

impl Store {
    pub async fn create_silence(&self, s: &crate::suppression::Silence) -> Result<i64, StoreError> {
        let matchers = serde_json::to_string(&s.matchers).unwrap_or_default();
        let sql = self.sql(
            "INSERT INTO alert_silences (matchers, starts_ms, ends_ms, created_by, comment, created_ms) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        );
        let row = sqlx::query(&sql)
            .bind(matchers)
            .bind(s.starts_ms)
            .bind(s.ends_ms)
            .bind(s.created_by.clone())
            .bind(s.comment.clone())
            .bind(s.created_ms)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Silences that end after `after_ms`, newest first.
    pub async fn silences(
        &self,
        after_ms: i64,
    ) -> Result<Vec<crate::suppression::Silence>, StoreError> {
        let sql = self.sql(
            "SELECT id, matchers, starts_ms, ends_ms, created_by, comment, created_ms \
             FROM alert_silences WHERE ends_ms > ? ORDER BY id DESC LIMIT 1000",
        );
        let rows = sqlx::query(&sql)
            .bind(after_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let m: String = r.try_get(1)?;
                Ok(crate::suppression::Silence {
                    id: r.try_get(0)?,
                    matchers: serde_json::from_str(&m).unwrap_or_default(),
                    starts_ms: r.try_get(2)?,
                    ends_ms: r.try_get(3)?,
                    created_by: r.try_get(4)?,
                    comment: r.try_get(5)?,
                    created_ms: r.try_get(6)?,
                })
            })
            .collect()
    }

    /// Ends a silence now; false when there is no such silence still running.
    pub async fn expire_silence(&self, id: i64, now_ms: i64) -> Result<bool, StoreError> {
        let sql = self.sql("UPDATE alert_silences SET ends_ms = ? WHERE id = ? AND ends_ms > ?");
        let n = sqlx::query(&sql)
            .bind(now_ms)
            .bind(id)
            .bind(now_ms)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    pub async fn create_window(
        &self,
        spec: &str,
        by: &str,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let sql = self.sql(
            "INSERT INTO alert_maintenance (spec, created_by, created_ms) VALUES (?, ?, ?) RETURNING id",
        );
        let row = sqlx::query(&sql)
            .bind(spec.to_string())
            .bind(by.to_string())
            .bind(now_ms)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Windows not expired.
    pub async fn windows(&self) -> Result<Vec<StoredWindow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, spec, created_by, created_ms, expired_ms FROM alert_maintenance \
             WHERE expired_ms IS NULL ORDER BY id DESC LIMIT 1000",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredWindow {
                    id: r.try_get(0)?,
                    spec: r.try_get(1)?,
                    created_by: r.try_get(2)?,
                    created_ms: r.try_get(3)?,
                    expired_ms: r.try_get(4)?,
                })
            })
            .collect()
    }

    pub async fn expire_window(&self, id: i64, now_ms: i64) -> Result<bool, StoreError> {
        let sql = self
            .sql("UPDATE alert_maintenance SET expired_ms = ? WHERE id = ? AND expired_ms IS NULL");
        let n = sqlx::query(&sql)
            .bind(now_ms)
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }
}
