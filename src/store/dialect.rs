//! What differs between SQLite and PostgreSQL, in one place: placeholders, upserts, scalar
//! MIN/MAX, types and collations, and the one path every multi-row INSERT or upsert takes.

use super::{Backend, Store, StoreError};

/// Most parameters one statement binds: under SQLite's limit (32,766) and PostgreSQL's
/// (65,535), so a chunk of rows never fails for its size.
pub(crate) const MAX_PARAMS: usize = 30_000;

/// A query over either backend.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// A multi-row statement. Its text changes with the row count, so it stays out of the
/// connection's statement cache: kept, up to 100 prepared statements of hundreds of rows each
/// per connection held hundreds of MB once batch sizes varied (Pulse's own traffic).
pub(crate) fn batch_query(sql: &str) -> AnyQuery<'_> {
    sqlx::query(sql).persistent(false)
}

/// A (cached) query with `binds` bound in order: the span filters' integers.
pub(crate) fn query_with(sql: &str, binds: Vec<i64>) -> AnyQuery<'_> {
    binds.into_iter().fold(sqlx::query(sql), |q, b| q.bind(b))
}

/// Writes `rows` with multi-row statements of at most `MAX_PARAMS` parameters: `sql_for(n)` is
/// the statement (in the backend's dialect) for `n` rows of `cols` parameters each, and `bind`
/// binds one row. Callers sort rows by key first where rows are upserted, so concurrent
/// writers lock them in the same order.
pub(crate) async fn insert_rows<T>(
    conn: &mut sqlx::AnyConnection,
    rows: &[T],
    cols: usize,
    sql_for: impl Fn(usize) -> String,
    bind: impl for<'q> Fn(AnyQuery<'q>, &T) -> AnyQuery<'q>,
) -> Result<(), StoreError> {
    for chunk in rows.chunks((MAX_PARAMS / cols.max(1)).max(1)) {
        let sql = sql_for(chunk.len());
        let mut q = batch_query(&sql);
        for row in chunk {
            q = bind(q, row);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

impl Store {
    /// Rewrites `?` placeholders for backends that number them.
    pub(crate) fn sql(&self, text: &str) -> String {
        match self.backend {
            Backend::Sqlite => text.to_string(),
            Backend::Postgres => numbered_placeholders(text),
        }
    }

    /// Multi-row upsert into a table of keys and a `count` that adds on conflict.
    pub(crate) fn add_counts_sql(&self, table: &str, key_cols: &[&str], rows: usize) -> String {
        let keys = key_cols.join(", ");
        self.sql(&format!(
            "INSERT INTO {table} ({keys}, count) VALUES {} ON CONFLICT ({keys}) \
             DO UPDATE SET count = {table}.count + excluded.count",
            values(key_cols.len() + 1, rows)
        ))
    }

    /// `MIN`/`MAX` of two values: SQLite's scalar forms, PostgreSQL's `LEAST`/`GREATEST`.
    pub(crate) fn least_greatest(&self) -> (&'static str, &'static str) {
        match self.backend {
            Backend::Sqlite => ("MIN", "MAX"),
            Backend::Postgres => ("LEAST", "GREATEST"),
        }
    }

    /// The floating-point type a `CAST` names.
    pub(crate) fn real(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "REAL",
            Backend::Postgres => "DOUBLE PRECISION",
        }
    }

    /// Collation for name tie-breaks that orders bytes as Rust does, whatever the database's
    /// locale (SQLite's default already is bytewise).
    pub(crate) fn bytewise(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " COLLATE \"C\"",
        }
    }

    /// `INSERT INTO table (cols) VALUES …` for `rows` rows, in the backend's dialect.
    pub(crate) fn insert_sql(&self, table: &str, cols: &str, rows: usize) -> String {
        let n = cols.split(',').count();
        self.sql(&format!(
            "INSERT INTO {table} ({cols}) VALUES {}",
            values(n, rows)
        ))
    }
}

/// `(?, ?), (?, ?)`: the VALUES list of a multi-row INSERT of `rows` rows of `cols` columns.
pub(crate) fn values(cols: usize, rows: usize) -> String {
    let one = format!("({})", vec!["?"; cols].join(", "));
    vec![one.as_str(); rows].join(",")
}

/// `a = ? AND b = ?` → `a = $1 AND b = $2`. Our SQL has no `?` inside string literals.
fn numbered_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut n = 0;
    for ch in text.chars() {
        if ch == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            numbered_placeholders("a = ? AND b IN (?, ?)"),
            "a = $1 AND b IN ($2, $3)"
        );
        assert_eq!(numbered_placeholders("SELECT 1"), "SELECT 1");
    }
}
