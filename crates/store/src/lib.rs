//! The database. One `Db` that is SQLite or PostgreSQL, chosen by the URL's scheme; one
//! repository module per feature; SQL written once in the common dialect and run on either
//! backend through the [`on_conn!`] dispatch macro.
//!
//! Repositories take a [`Conn`]: a pooled connection for reads ([`Db::read`]) or a
//! transaction ([`Db::begin`]) owned by the calling service.

pub mod activity;
pub mod audit;
pub mod bulk;
pub mod clients;
pub mod comments;
pub mod conversations;
pub mod files;
pub mod invoices;
pub mod jobs;
pub mod milestones;
pub mod payments;
pub mod projects;
pub mod reports;
pub mod reviews;
pub mod scope;
pub mod sessions;
pub mod settings;
pub mod tasks;
pub mod throttle;
pub mod tokens;
pub mod users;

#[doc(hidden)]
pub mod testing;

use domain::Error;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// Runs `$body` with `$c` bound to the backend's own connection type. The body is written
/// once and compiled for each backend, so one SQL string serves both.
#[macro_export]
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::Conn::Sqlite($c) => {
                let $c: &mut ::sqlx::SqliteConnection = &mut **$c;
                $body
            }
            $crate::Conn::Pg($c) => {
                let $c: &mut ::sqlx::PgConnection = &mut **$c;
                $body
            }
        }
    };
}

/// Executes a statement on either backend and returns the number of rows it changed.
#[macro_export]
macro_rules! execute {
    ($conn:expr, $query:expr) => {
        $crate::on_conn!($conn, c => $query.execute(c).await.map(|done| done.rows_affected()))
    };
}

/// The database, shared by the whole process (cheap to clone).
#[derive(Clone, Debug)]
pub enum Db {
    /// SQLite allows one writer at a time: writes go through a one-connection pool so they
    /// queue in-process instead of failing with "database is locked"; reads run in parallel.
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
        /// The database file, whose disk `/readyz` watches.
        file: std::path::PathBuf,
    },
    Pg(PgPool),
}

/// Which backend a `Db` or `Conn` talks to, for the few queries whose dialects differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A borrowed connection on either backend: what every repository function takes.
pub enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Pg(&'c mut PgConnection),
}

impl Conn<'_> {
    pub fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Pg(_) => Backend::Postgres,
        }
    }
}

/// A pooled connection for reads outside a transaction.
pub enum Handle {
    Sqlite(PoolConnection<Sqlite>),
    Pg(PoolConnection<Postgres>),
}

impl Handle {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Handle::Sqlite(c) => Conn::Sqlite(c),
            Handle::Pg(c) => Conn::Pg(c),
        }
    }
}

/// A transaction: dropped without `commit` it rolls back, so an error half-way stores nothing.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Pg(Transaction<'static, Postgres>),
}

impl Tx {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t) => Conn::Sqlite(t),
            Tx::Pg(t) => Conn::Pg(t),
        }
    }

    pub async fn commit(self) -> Result<(), Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Pg(t) => t.commit().await,
        }
        .map_err(db_error)
    }
}

/// How long a request waits for a database connection before it is answered 503: short, so
/// a database that is down or restarting gives a quick, clear answer instead of a hang.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a write waits for SQLite's one writer: as long as SQLite's own busy timeout.
pub const SQLITE_WRITE_QUEUE_TIMEOUT: Duration = Duration::from_secs(10);

/// How to open the database.
#[derive(Clone, Debug)]
pub struct DbOptions {
    pub url: String,
    /// Connections for reads (SQLite) or in all (PostgreSQL).
    pub max_connections: u32,
}

impl Db {
    /// Opens the database named by the URL: `sqlite://path` (created if missing) or
    /// `postgres://…`. Any other scheme is refused with a message that says what is accepted.
    pub async fn connect(options: &DbOptions) -> Result<Db, Error> {
        let url = options.url.as_str();
        if url.starts_with("sqlite:") {
            let base = SqliteConnectOptions::from_str(url)
                .map_err(|e| Error::invalid("database_url", format!("invalid SQLite URL: {e}")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("temp_store", "memory")
                .pragma("cache_size", "-8000")
                // Reads map the file instead of copying pages into each connection's cache.
                .pragma("mmap_size", "268435456");
            let file = base.get_filename().to_path_buf();
            // Open the writer first: it creates the file and switches it to WAL.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(SQLITE_WRITE_QUEUE_TIMEOUT)
                // When a write fails with a full disk or I/O error, SQLite may roll the
                // transaction back by itself; sqlx 0.8.6 then still counts the connection as
                // inside a transaction and refuses every later BEGIN. A connection in that
                // state is closed here (the rollback of the failed transaction has run by
                // then: the pool pings a connection before taking it back) and a fresh one
                // is opened, so one failed write never breaks the ones after it.
                .before_acquire(|conn, _| Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) }))
                .connect_with(base.clone())
                .await
                .map_err(|e| sqlite_open_error(&file, e))?;
            let read = SqlitePoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(base.read_only(true))
                .await
                .map_err(|e| sqlite_open_error(&file, e))?;
            Ok(Db::Sqlite { write, read, file })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let connect =
                PgConnectOptions::from_str(url).map_err(|e| Error::invalid("database_url", format!("invalid PostgreSQL URL: {e}")))?;
            // One connection first: the pool would hide its error behind "timed out".
            let probe = tokio::time::timeout(
                PG_CONNECT_TIMEOUT,
                <sqlx::postgres::PgConnection as sqlx::Connection>::connect_with(&connect),
            )
            .await
            .map_err(|_| {
                let silent = std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer within {} s", PG_CONNECT_TIMEOUT.as_secs()),
                );
                postgres_open_error(&connect, sqlx::Error::Io(silent))
            })?
            .map_err(|e| postgres_open_error(&connect, e))?;
            sqlx::Connection::close(probe).await.map_err(db_error)?;
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections.max(2))
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(connect.clone())
                .await
                .map_err(|e| postgres_open_error(&connect, e))?;
            Ok(Db::Pg(pool))
        } else {
            Err(Error::invalid(
                "database_url",
                "database URL must start with sqlite:// or postgres://",
            ))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Pg(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations of this backend's set.
    pub async fn migrate(&self) -> Result<(), Error> {
        match self {
            Db::Sqlite { write, file, .. } => sqlx::migrate!("./migrations/sqlite").run(write).await.map_err(|e| match e {
                // A damaged file often opens and fails on the first read.
                sqlx::migrate::MigrateError::Execute(e) => sqlite_open_error(file, e),
                e => Error::internal(format!("migrating {}: {e}", file.display())),
            }),
            Db::Pg(pool) => sqlx::migrate!("./migrations/postgres")
                .run(pool)
                .await
                .map_err(|e| Error::internal(format!("migrating the PostgreSQL database: {e}"))),
        }
    }

    /// A connection for reads.
    pub async fn read(&self) -> Result<Handle, Error> {
        match self {
            Db::Sqlite { read, .. } => read.acquire().await.map(Handle::Sqlite),
            Db::Pg(pool) => pool.acquire().await.map(Handle::Pg),
        }
        .map_err(db_error)
    }

    /// A transaction for writes. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so two processes never deadlock upgrading a read lock.
    pub async fn begin(&self) -> Result<Tx, Error> {
        match self {
            Db::Sqlite { write, .. } => write.begin_with("BEGIN IMMEDIATE").await.map(Tx::Sqlite),
            Db::Pg(pool) => pool.begin().await.map(Tx::Pg),
        }
        .map_err(db_error)
    }

    /// Whether the database answers a read: `/readyz`.
    pub async fn ping(&self) -> Result<(), Error> {
        let mut handle = self.read().await?;
        execute!(&mut handle.conn(), sqlx::query("SELECT 1")).map(drop).map_err(db_error)
    }

    /// Whether a write can start: a write transaction is opened (on SQLite it takes the write
    /// lock), answers, and is rolled back. `/readyz`.
    pub async fn ping_write(&self) -> Result<(), Error> {
        let mut tx = self.begin().await?;
        execute!(&mut tx.conn(), sqlx::query("SELECT 1")).map(drop).map_err(db_error)
    }

    /// The SQLite database's file (`None` on PostgreSQL), whose disk must have room.
    pub fn local_file(&self) -> Option<&std::path::Path> {
        match self {
            Db::Sqlite { file, .. } => Some(file),
            Db::Pg(_) => None,
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { write, read, .. } => {
                read.close().await;
                // Fold the journal into the database file, so that after a clean stop the
                // file alone is the whole database (for a copy or a backup).
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(write).await {
                    tracing::warn!(error = %e, "could not fold the SQLite journal into the database at close");
                }
                write.close().await;
            }
            Db::Pg(pool) => pool.close().await,
        }
    }
}

/// The current time at the precision both backends store (microseconds), so a value reads
/// back exactly as it was written on either.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// A database error reading one row: a stored value that does not decode names the row, its
/// column and the value (`task 0192…: column "priority": "urgentt" is not a priority`).
pub fn row_error(row: impl std::fmt::Display) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| match e {
        sqlx::Error::ColumnDecode { index, source } => Error::internal(format!("{row}: column {index}: {source}")),
        e => db_error(e),
    }
}

/// Maps a database failure to the domain error: outages and a database busy for longer than
/// the busy timeout are `Unavailable` (worth a retry), a full disk is `StorageFull` (the
/// person is told nothing was saved), everything else is `Internal` and logged, never shown.
pub fn db_error(e: sqlx::Error) -> Error {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => Error::Unavailable(e.to_string()),
        sqlx::Error::Database(ref d) => {
            let backend = match d.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                Some(_) => Backend::Sqlite,
                None => Backend::Postgres,
            };
            match fault_of(backend, d.code().as_deref()) {
                Some(DatabaseFault::DiskFull) => Error::StorageFull(format!("database: {d}")),
                Some(DatabaseFault::Busy) => Error::Unavailable(format!("database busy or restarting: {d}")),
                None => Error::internal(e),
            }
        }
        e => Error::internal(e),
    }
}

/// Why a SQLite database could not be opened, naming the file and what to do. Reached at
/// start-up, where the person reading it is the one who can fix it.
fn sqlite_open_error(file: &std::path::Path, e: sqlx::Error) -> Error {
    let code = match &e {
        sqlx::Error::Database(d) => d.code().and_then(|c| c.parse::<i32>().ok()).map(|c| c & 0xff),
        _ => None,
    };
    let file_name = file.display();
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let advice = if !dir.is_dir() {
        format!(
            "the directory {} does not exist: create it, or point data_dir (or database_url) at one that does",
            dir.display()
        )
    } else if let Err(write) = probe_writable(dir) {
        format!(
            "Portico cannot write in {} ({write}); it keeps the database and its journal there: give the user Portico runs as write access, or choose another data_dir",
            dir.display()
        )
    } else if matches!(code, Some(SQLITE_NOTADB | SQLITE_CORRUPT)) {
        format!("{file_name} is damaged or is not a SQLite database: restore it from a backup, or move it aside to start with an empty one")
    } else {
        return Error::Unavailable(format!("cannot open the SQLite database {file_name}: {e}"));
    };
    Error::Unavailable(format!("cannot open the SQLite database {file_name}: {e}. What to do: {advice}."))
}

/// How long the first connection to PostgreSQL may take (a host that drops packets).
const PG_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// SQLite's "file is not a database" and "database disk image is malformed".
const SQLITE_NOTADB: i32 = 26;
const SQLITE_CORRUPT: i32 = 11;

/// Whether a file can be created in `dir` (mode bits alone do not say: a read-only mount).
fn probe_writable(dir: &std::path::Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".portico-write-check-{}", std::process::id()));
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}

/// Why PostgreSQL could not be reached, naming the server, user and database.
fn postgres_open_error(connect: &PgConnectOptions, e: sqlx::Error) -> Error {
    let server = format!(
        "PostgreSQL at {}:{} (user {}, database {})",
        connect.get_host(),
        connect.get_port(),
        connect.get_username(),
        connect.get_database().unwrap_or(connect.get_username())
    );
    let advice = match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("28P01") || d.code().as_deref() == Some("28000") => {
            "check the user name and password in database_url"
        }
        sqlx::Error::Database(d) if d.code().as_deref() == Some("3D000") => "create the database, or name an existing one in database_url",
        _ => "check that PostgreSQL is running and accepts connections from this machine, and the host and port in database_url",
    };
    Error::Unavailable(format!("cannot connect to {server}: {e}. What to do: {advice}."))
}

/// A database error that is not a bug: the disk is full, or the database is busy past its
/// timeout or restarting.
#[derive(Debug, PartialEq, Eq)]
enum DatabaseFault {
    DiskFull,
    Busy,
}

/// Reads a backend's error code: SQLite's result codes (`SQLITE_FULL` 13, `SQLITE_BUSY` 5,
/// `SQLITE_LOCKED` 6; extended codes keep the primary one in the low byte) and PostgreSQL's
/// SQLSTATEs (`disk_full` 53100; lock timeout, admin or crash shutdown, "cannot connect now",
/// too many connections).
fn fault_of(backend: Backend, code: Option<&str>) -> Option<DatabaseFault> {
    let code = code?;
    match backend {
        Backend::Sqlite => match code.parse::<i32>().ok()? & 0xff {
            13 => Some(DatabaseFault::DiskFull),
            5 | 6 => Some(DatabaseFault::Busy),
            _ => None,
        },
        Backend::Postgres => match code {
            "53100" => Some(DatabaseFault::DiskFull),
            "55P03" | "57P01" | "57P02" | "57P03" | "53300" => Some(DatabaseFault::Busy),
            _ => None,
        },
    }
}

/// Whether the failure is a unique-constraint violation (a duplicate email, say).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

/// Escapes `%`, `_` and `\` so user text matches literally inside `LIKE … ESCAPE '\'`.
pub fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_and_a_busy_database_are_told_apart_from_bugs_on_both_backends() {
        assert_eq!(fault_of(Backend::Sqlite, Some("13")), Some(DatabaseFault::DiskFull));
        // SQLITE_IOERR_* extended codes are not "full"; SQLITE_BUSY_SNAPSHOT (517) is busy.
        assert_eq!(fault_of(Backend::Sqlite, Some("517")), Some(DatabaseFault::Busy));
        assert_eq!(fault_of(Backend::Sqlite, Some("5")), Some(DatabaseFault::Busy));
        assert_eq!(fault_of(Backend::Sqlite, Some("19")), None, "a constraint is not a fault");
        assert_eq!(fault_of(Backend::Postgres, Some("53100")), Some(DatabaseFault::DiskFull));
        assert_eq!(fault_of(Backend::Postgres, Some("57P01")), Some(DatabaseFault::Busy));
        assert_eq!(fault_of(Backend::Postgres, Some("23505")), None);
        assert_eq!(fault_of(Backend::Postgres, None), None);
    }
}
