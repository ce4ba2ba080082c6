//! Faults of the database itself: a full disk is named as such and, once space is back, the
//! next write works without a restart.

use domain::Error;
use store::on_both_databases;
use store::testing::{Backend, fresh_db};

on_both_databases!(a_full_database_refuses_a_write_then_recovers_without_a_restart);

/// Shrinks the room SQLite may use to what the file holds now, so the next large write fails
/// with `SQLITE_FULL` exactly as on a full disk. The limit holds for the one write connection.
async fn fill_sqlite(db: &store::Db) {
    let mut tx = db.begin().await.unwrap();
    store::on_conn!(&mut tx.conn(), c => {
        sqlx::query("CREATE TABLE filler (x BLOB)").execute(&mut *c).await.unwrap();
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(&mut *c).await.unwrap();
        sqlx::query(&format!("PRAGMA max_page_count = {}", pages + 2)).execute(&mut *c).await.unwrap();
    });
    tx.commit().await.unwrap();
}

async fn large_write(db: &store::Db) -> Result<(), Error> {
    let mut tx = db.begin().await?;
    store::execute!(&mut tx.conn(), sqlx::query("INSERT INTO filler VALUES (randomblob(400000))")).map_err(store::db_error)?;
    tx.commit().await
}

async fn a_full_database_refuses_a_write_then_recovers_without_a_restart(backend: Backend) {
    let (db, _dir) = fresh_db(backend).await;
    if backend == Backend::Postgres {
        // PostgreSQL's disk cannot be filled from a test (its disk_full code is mapped in
        // store's unit tests); what it shares with SQLite is that a failed transaction leaves
        // the pool usable: an error inside a transaction, then a normal write.
        let mut tx = db.begin().await.unwrap();
        let failed = store::execute!(&mut tx.conn(), sqlx::query("INSERT INTO no_such_table VALUES (1)"));
        assert!(failed.is_err());
        drop(tx);
        let mut tx = db.begin().await.expect("a transaction after a failed one");
        store::execute!(&mut tx.conn(), sqlx::query("CREATE TABLE filler (x BYTEA)")).unwrap();
        tx.commit().await.unwrap();
        return;
    }
    fill_sqlite(&db).await;

    let refused = large_write(&db).await.expect_err("the database is full");
    assert!(
        matches!(&refused, Error::StorageFull(detail) if detail.contains("full")),
        "a full disk is named as such, not an internal error: {refused:?}"
    );
    // Space comes back: the limit was the failed connection's, and that connection, which
    // sqlx still counted as inside the transaction SQLite had rolled back, is replaced. Before
    // that, every later write failed with "begin_with at non-zero transaction depth".
    large_write(&db).await.expect("the write succeeds once there is room");
    let mut read = db.read().await.unwrap();
    let rows: i64 =
        store::on_conn!(&mut read.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM filler").fetch_one(&mut *c).await.unwrap());
    assert_eq!(rows, 1, "only the write that had room was stored");
}
