//! Many rows at once, for the benchmark dataset (`portico demo --scale large`): one
//! multi-row `INSERT` per chunk, as large as the backend's parameter limit allows, on a
//! transaction the caller owns.

use crate::{Conn, db_error, execute};
use chrono::{DateTime, NaiveDate, Utc};
use domain::Result;
use uuid::Uuid;

/// One value of a row.
#[derive(Clone, Debug)]
pub enum Value {
    Uuid(Uuid),
    OptUuid(Option<Uuid>),
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    Bool(bool),
    Date(Option<NaiveDate>),
    Time(DateTime<Utc>),
    OptTime(Option<DateTime<Utc>>),
}

/// Both backends accept this many parameters in one statement (SQLite 32,766; PostgreSQL 65,535).
const MAX_PARAMETERS: usize = 30_000;

/// Inserts `rows` into `table`. Table and column names come from the caller's code, never
/// from input.
pub async fn insert(conn: &mut Conn<'_>, table: &str, columns: &[&str], rows: &[Vec<Value>]) -> Result<()> {
    let per_statement = (MAX_PARAMETERS / columns.len()).max(1);
    // SQLite looks `$n` parameters up by name, which is quadratic in a statement of thousands
    // of them; its anonymous `?` are positional and cost nothing.
    let anonymous = matches!(conn, Conn::Sqlite(_));
    for chunk in rows.chunks(per_statement) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            debug_assert_eq!(row.len(), columns.len());
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for j in 0..row.len() {
                n += 1;
                if j > 0 {
                    sql.push_str(", ");
                }
                if anonymous {
                    sql.push('?');
                } else {
                    sql.push_str(&format!("${n}"));
                }
            }
            sql.push(')');
        }
        execute!(conn, {
            let mut query = sqlx::query(&sql);
            for value in chunk.iter().flatten() {
                query = match value {
                    Value::Uuid(v) => query.bind(*v),
                    Value::OptUuid(v) => query.bind(*v),
                    Value::Text(v) => query.bind(v.as_str()),
                    Value::OptText(v) => query.bind(v.as_deref()),
                    Value::Int(v) => query.bind(*v),
                    Value::OptInt(v) => query.bind(*v),
                    Value::Bool(v) => query.bind(*v),
                    Value::Date(v) => query.bind(*v),
                    Value::Time(v) => query.bind(*v),
                    Value::OptTime(v) => query.bind(*v),
                };
            }
            query
        })
        .map_err(db_error)?;
    }
    Ok(())
}

/// Runs a statement that takes no parameters (a bulk `UPDATE` after the inserts).
pub async fn run(conn: &mut Conn<'_>, sql: &str) -> Result<u64> {
    execute!(conn, sqlx::query(sql)).map_err(db_error)
}

/// A count from a statement without parameters (for checking a built dataset).
pub async fn count(conn: &mut Conn<'_>, sql: &str) -> Result<i64> {
    crate::on_conn!(conn, c => sqlx::query_scalar(sql).fetch_one(c).await).map_err(db_error)
}
