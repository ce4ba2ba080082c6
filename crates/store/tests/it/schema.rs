//! The SQLite and PostgreSQL migrations must describe the same tables, columns,
//! nullability and indexes.

use std::collections::BTreeSet;
use store::testing::{Backend, fresh_db};
use store::{Conn, on_conn};

type Column = (String, String, bool);

/// Every column with whether it may be NULL. A SQLite primary key column counts as NOT NULL
/// (as in PostgreSQL) even where the declaration omits it.
async fn columns(conn: &mut Conn<'_>) -> BTreeSet<Column> {
    let sql = match conn.backend() {
        store::Backend::Sqlite => {
            "SELECT m.name, p.name, p.\"notnull\" = 0 AND p.pk = 0 FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                                  WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' AND m.name NOT LIKE '\\_sqlx%' ESCAPE '\\'"
        }
        store::Backend::Postgres => {
            "SELECT table_name::text, column_name::text, is_nullable = 'YES' FROM information_schema.columns \
                                    WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%'"
        }
    };
    let rows: Vec<Column> = on_conn!(conn, c => sqlx::query_as(sql).fetch_all(c).await).unwrap();
    rows.into_iter().collect()
}

async fn indexes(conn: &mut Conn<'_>) -> BTreeSet<String> {
    let sql = match conn.backend() {
        store::Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        store::Backend::Postgres => {
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'"
        }
    };
    let rows: Vec<String> = on_conn!(conn, c => sqlx::query_scalar(sql).fetch_all(c).await).unwrap();
    rows.into_iter().collect()
}

#[tokio::test]
#[cfg_attr(
    not(portico_postgres_suite),
    ignore = "PostgreSQL suite off: set PORTICO_TEST_POSTGRES_URL to run it"
)]
async fn both_migration_sets_give_the_same_schema() {
    let (sqlite, _dir) = fresh_db(Backend::Sqlite).await;
    let (postgres, _) = fresh_db(Backend::Postgres).await;
    let mut a = sqlite.read().await.unwrap();
    let mut b = postgres.read().await.unwrap();
    let (sqlite_columns, postgres_columns) = (columns(&mut a.conn()).await, columns(&mut b.conn()).await);
    assert!(sqlite_columns.len() > 30, "the schema was read: {sqlite_columns:?}");
    let only_sqlite: Vec<_> = sqlite_columns.difference(&postgres_columns).collect();
    let only_postgres: Vec<_> = postgres_columns.difference(&sqlite_columns).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "columns differ (table, column, nullable):\nonly SQLite: {only_sqlite:?}\nonly PostgreSQL: {only_postgres:?}"
    );
    assert_eq!(indexes(&mut a.conn()).await, indexes(&mut b.conn()).await, "indexes differ");
}
