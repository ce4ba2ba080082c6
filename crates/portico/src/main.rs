//! `portico`: the one binary. It reads the configuration, opens the database, runs the
//! migrations and then serves, or runs one administrative command.

mod config;

use anyhow::{Context, Result, bail};
use app::users::{Actor, FirstPassword, NewUserInput};
use app::{App, AppConfig};
use clap::{Parser, Subcommand};
use config::Config;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::{Db, DbOptions};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(name = "portico", version, about = "Projects, tasks and a client portal, self-hosted.")]
struct Cli {
    /// A configuration file (default: ./portico.toml when it exists).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Directory for the SQLite database and local data (PORTICO_DATA_DIR).
    #[arg(long, global = true)]
    data_dir: Option<String>,
    /// sqlite://… or postgres://… (DATABASE_URL, PORTICO_DATABASE_URL).
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web interface and the API.
    Serve {
        /// Address and port to listen on (PORTICO_LISTEN).
        #[arg(long)]
        listen: Option<String>,
        /// Seed a demo workspace (once) and print its logins.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage people.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Build the demo workspace; `--scale large` adds the benchmark dataset (200 staff,
    /// 5,000 client organisations, 20,000 projects, 1,000,000 tasks, 3,000,000 comments).
    Demo {
        /// `small` (the demo workspace only), `medium` (a tenth of large) or `large`.
        #[arg(long, default_value = "small", value_parser = ["small", "tiny", "medium", "large"])]
        scale: String,
    },
    /// Print the effective configuration, secrets redacted.
    Config {
        /// Print the reference of every setting (Markdown) instead.
        #[arg(long)]
        reference: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a person. Prints a one-time link to choose the password, unless --password-stdin.
    Create {
        #[arg(long, value_parser = ["admin", "staff", "client"])]
        role: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The client organisation of a client contact (created if it does not exist).
        #[arg(long)]
        organisation: Option<String>,
        /// Read the password from the first line of standard input instead.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a personal access token for the API; it is shown once.
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long, default_value = "command line")]
        name: String,
    },
}

fn main() -> std::process::ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// glibc's allocator, set for a small server (docs/BENCHMARKS.md, "Memory"): by default it
/// gives every thread that allocates its own arena and keeps freed memory in each, and after
/// the first large buffer is freed it stops handing large buffers back to the system (a
/// 19 MiB Argon2 buffer then stays resident per hashing thread). Four arenas, buffers over
/// 1 MiB always mapped and unmapped, and free memory at the top of a heap returned above
/// 4 MiB took idle RSS from 106 to 29 MiB and RSS after a mixed load from about 400 to
/// 120 MiB, at the same throughput (two arenas saved a little more but cost 15 %).
/// Skipped when the operator tunes malloc themselves.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let tuned_outside = [
            "GLIBC_TUNABLES",
            "MALLOC_ARENA_MAX",
            "MALLOC_MMAP_THRESHOLD_",
            "MALLOC_TRIM_THRESHOLD_",
        ]
        .iter()
        .any(|name| std::env::var_os(name).is_some());
        if !tuned_outside {
            // SAFETY: mallopt only sets allocator parameters; this runs before any other
            // thread exists.
            unsafe {
                libc::mallopt(libc::M_ARENA_MAX, 4);
                libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
                libc::mallopt(libc::M_TRIM_THRESHOLD, 4 * 1024 * 1024);
            }
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let listen = match &cli.command {
        Command::Serve { listen, .. } => listen.clone(),
        _ => None,
    };
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let flags = [
        ("listen", listen),
        ("data_dir", cli.data_dir.clone()),
        ("database_url", cli.database_url.clone()),
    ];
    if let Command::Config { reference: true } = cli.command {
        print!("{}", config::reference());
        return Ok(());
    }
    let config = Config::load(cli.config.as_deref(), &env, &flags)?;
    init_tracing(&config);
    match cli.command {
        Command::Config { .. } => {
            print!("{}", config.describe());
            Ok(())
        }
        Command::Migrate => {
            let db = open_database(&config).await?;
            db.close().await;
            println!("The database is up to date.");
            Ok(())
        }
        Command::Serve { demo, .. } => serve(config, demo).await,
        Command::User {
            command:
                UserCommand::Create {
                    role,
                    email,
                    name,
                    organisation,
                    password_stdin,
                },
        } => {
            let app = build_app(&config, open_database(&config).await?, config.base_url(config.listen()))?;
            let client_org_id = match (role.as_str(), organisation) {
                ("client", Some(org)) => Some(app.find_or_create_client_org(&org).await?),
                ("client", None) => bail!("a client contact needs --organisation NAME"),
                (_, Some(_)) => bail!("--organisation is only for client contacts"),
                (_, None) => None,
            };
            let first_password = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                FirstPassword::Set(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                FirstPassword::ReturnLink
            };
            let input = NewUserInput {
                email,
                name,
                role,
                client_org_id,
            };
            let created = app.create_user(&Actor::Operator, &input, first_password).await?;
            println!(
                "Added {} <{}> as {}.",
                created.user.name,
                created.user.email,
                created.user.role.label()
            );
            if let Some(link) = created.link {
                println!("Send them this link to choose a password (it works once, within seven days):\n{link}");
            }
            app.db.close().await;
            Ok(())
        }
        Command::Demo { scale } => {
            let app = build_app(&config, open_database(&config).await?, config.base_url(config.listen()))?;
            let started = std::time::Instant::now();
            match app::demo::large::Scale::parse(&scale) {
                None => {
                    let added = app.seed_demo().await?;
                    print_demo_logins(added);
                }
                Some(size) => {
                    app.seed_large_demo(size, &ProgressBar::default()).await?;
                    eprintln!();
                    println!(
                        "Benchmark dataset built in {:.0} s. Logins (password `{}`): {} (staff), {} (client), and the demo logins.",
                        started.elapsed().as_secs_f64(),
                        app::demo::DEMO_PASSWORD,
                        app::demo::large::BENCH_STAFF,
                        app::demo::large::BENCH_CLIENT
                    );
                }
            }
            app.db.close().await;
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { email, name },
        } => {
            let app = build_app(&config, open_database(&config).await?, config.base_url(config.listen()))?;
            let token = app.create_api_token(&email, &name).await?;
            println!("{token}");
            eprintln!("This token is shown once. Use it as: Authorization: Bearer <token>");
            app.db.close().await;
            Ok(())
        }
    }
}

/// A one-line progress bar on standard error.
#[derive(Default)]
struct ProgressBar {
    state: std::sync::Mutex<(String, u64, u64, Option<std::time::Instant>)>,
}

impl app::demo::large::Progress for ProgressBar {
    fn stage(&self, name: &str, total: u64) {
        let mut state = self.state.lock().expect("progress lock");
        if state.3.is_some() {
            eprintln!();
        }
        *state = (name.to_owned(), 0, total.max(1), Some(std::time::Instant::now()));
        draw(&state);
    }

    fn advance(&self, done: u64) {
        let mut state = self.state.lock().expect("progress lock");
        state.1 = (state.1 + done).min(state.2);
        draw(&state);
    }
}

fn draw((name, done, total, started): &(String, u64, u64, Option<std::time::Instant>)) {
    const WIDTH: u64 = 30;
    let filled = done * WIDTH / total;
    let bar: String = (0..WIDTH).map(|i| if i < filled { '#' } else { '.' }).collect();
    let elapsed = started.map(|s| s.elapsed().as_secs()).unwrap_or_default();
    eprint!("\r{name:<30} [{bar}] {:>3}% {done}/{total} {elapsed}s ", done * 100 / total);
}

fn init_tracing(config: &Config) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(config.get("log")));
    // Colours only for a person at a terminal: a journal or a log file gets plain text
    // (NO_COLOR turns them off anywhere).
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colours)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn open_database(config: &Config) -> Result<Db> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(config.data_dir())
            .with_context(|| format!("cannot create the data directory {}", config.data_dir().display()))?;
    }
    let options = DbOptions {
        url,
        max_connections: config.integer("database_max_connections") as u32,
    };
    let db = Db::connect(&options).await.map_err(explained)?;
    db.migrate().await.map_err(explained)?;
    Ok(db)
}

/// A domain error for the operator: its detail (which names the file or host, the cause and
/// what to do), where the web's answer would only say "temporarily unavailable".
fn explained(error: domain::Error) -> anyhow::Error {
    match error.detail() {
        Some(detail) => anyhow::anyhow!("{detail}"),
        None => anyhow::anyhow!("{error}"),
    }
}

fn build_app(config: &Config, db: Db, base_url: String) -> Result<App> {
    let smtp_tls = match config.get("smtp.tls") {
        "none" => app::mail::SmtpTls::None,
        "tls" => app::mail::SmtpTls::Tls,
        _ => app::mail::SmtpTls::Starttls,
    };
    let optional = |key: &str| Some(config.get(key).to_owned()).filter(|v| !v.is_empty());
    let key_file = match optional("secrets.key_file") {
        Some(path) => std::path::PathBuf::from(path),
        None => {
            std::fs::create_dir_all(config.data_dir())
                .with_context(|| format!("cannot create the data directory {}", config.data_dir().display()))?;
            config.data_dir().join("secrets.key")
        }
    };
    let smtp_ca = match optional("smtp.ca_file") {
        Some(path) => {
            let pem = std::fs::read(&path).with_context(|| format!("setting `smtp.ca_file`: cannot read {path}"))?;
            app::mail::check_ca_pem(&pem).map_err(|e| anyhow::anyhow!("setting `smtp.ca_file`: {path}: {e}"))?;
            Some(pem)
        }
        None => None,
    };
    let app_config = AppConfig {
        base_url,
        product_name: config.get("brand.name").to_owned(),
        brand_color: config.get("brand.color").to_owned(),
        board_columns: domain::projects::parse_default_columns(config.get("board.columns"))?,
        time_zone: config
            .get("time_zone")
            .parse()
            .map_err(|_| anyhow::anyhow!("setting `time_zone`: unknown time zone"))?,
        date_format: config.get("date_format").parse()?,
        session_idle_timeout: chrono::Duration::minutes(config.integer("session.idle_minutes")),
        session_absolute_timeout: chrono::Duration::days(config.integer("session.absolute_days")),
        mail: app::mail::MailConfig {
            host: config.get("smtp.host").to_owned(),
            port: config.integer("smtp.port") as u16,
            tls: smtp_tls,
            username: optional("smtp.username"),
            password: optional("smtp.password"),
            from: config.get("smtp.from").to_owned(),
            timeout: Duration::from_secs(config.integer("smtp.timeout_seconds") as u64),
            ca_pem: smtp_ca,
        },
        jobs: app::jobs::JobsConfig {
            workers: config.integer("jobs.workers") as usize,
            base_backoff: Duration::from_secs(config.integer("jobs.retry_base_seconds") as u64),
            retry_horizon: Duration::from_secs(config.integer("mail.retry_days") as u64 * 24 * 3600),
            ..Default::default()
        },
        files: app::files::FilesConfig {
            storage: storage_config(config),
            max_upload_bytes: config.integer("files.max_upload_mb") as u64 * 1024 * 1024,
            trash_days: config.integer("files.trash_days") as u32,
        },
        payments: app::payments::PaymentsConfig {
            stripe_api: config.get("payments.stripe_api").to_owned(),
            paypal_api: config.get("payments.paypal_api").to_owned(),
            twocheckout_checkout: config.get("payments.twocheckout_checkout").to_owned(),
        },
        vault: app::vault::Vault::open_or_create(&key_file)
            .with_context(|| format!("cannot read or create the secrets key {}", key_file.display()))?,
    };
    App::new(db, app_config).map_err(explained)
}

fn storage_config(config: &Config) -> app::storage::StorageConfig {
    match config.get("files.storage") {
        "s3" => app::storage::StorageConfig::S3 {
            bucket: config.get("files.s3.bucket").to_owned(),
            endpoint: config.get("files.s3.endpoint").to_owned(),
            region: config.get("files.s3.region").to_owned(),
            access_key: config.get("files.s3.access_key").to_owned(),
            secret_key: config.get("files.s3.secret_key").to_owned(),
            path_style: config.flag("files.s3.path_style"),
        },
        // Object keys start with `files/`: files live in `<data>/files/<project>/<version>`.
        _ => app::storage::StorageConfig::Local {
            root: config.data_dir().to_path_buf(),
        },
    }
}

fn load_logo(config: &Config) -> Result<Option<web::Logo>> {
    let path = config.get("brand.logo");
    if path.is_empty() {
        return Ok(None);
    }
    let content_type = match path.rsplit('.').next().map(str::to_lowercase).as_deref() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("svg") => "image/svg+xml",
        Some("webp") => "image/webp",
        _ => bail!("setting `brand.logo`: the logo must be a .png, .jpg, .svg or .webp file, got {path:?}"),
    };
    let bytes = std::fs::read(path).with_context(|| format!("setting `brand.logo`: cannot read {path}"))?;
    Ok(Some(web::Logo {
        bytes: Arc::new(bytes),
        content_type: content_type.into(),
    }))
}

/// An unfinished upload untouched this long at start-up was cut off by a stop or a crash
/// (uploads that stall are cut after far less).
const ABANDONED_UPLOAD_IDLE: chrono::Duration = chrono::Duration::minutes(2);

async fn serve(config: Config, demo: bool) -> Result<()> {
    let started = std::time::Instant::now();
    let logo = load_logo(&config)?;
    let listener = tokio::net::TcpListener::bind(config.listen())
        .await
        .with_context(|| format!("cannot listen on {}", config.listen()))?;
    let address = listener.local_addr()?;
    let base_url = config.base_url(address);
    let db = open_database(&config).await?;
    let app = build_app(&config, db, base_url.clone())?;
    app.check_shared_with_other_nodes().await.map_err(explained)?;
    app.passwords.warm_up();
    app.remove_abandoned_uploads(ABANDONED_UPLOAD_IDLE)
        .await
        .map_err(explained)
        .context("removing unfinished uploads left by an earlier run")?;
    if let Some(warning) = app.mail_warning() {
        tracing::warn!("{warning}");
    }
    if demo {
        let added = app.seed_demo().await.map_err(explained).context("seeding the demo workspace")?;
        print_demo_logins(added);
    }

    let shutdown = CancellationToken::new();
    let workers = tokio::spawn(app::jobs::run_workers(app.clone(), shutdown.clone()));
    let housekeeping = tokio::spawn(housekeeping(app.clone(), shutdown.clone()));
    tokio::spawn(cancel_on_signal(shutdown.clone()));

    let state = web::AppState {
        app: app.clone(),
        web: Arc::new(web::WebConfig {
            secure_cookies: base_url.starts_with("https://"),
            trust_proxy: config.flag("trust_proxy"),
            logo,
            pdf: Default::default(),
        }),
    };
    println!(
        "{} is ready at {base_url} (listening on {address}, started in {} ms)",
        app.config.product_name,
        started.elapsed().as_millis()
    );
    let options = web::ServeOptions {
        shutdown_deadline: Duration::from_secs(config.integer("shutdown_timeout_seconds") as u64),
        ..Default::default()
    };
    match web::serve(listener, state, shutdown.clone(), options)
        .await
        .context("serving HTTP")?
    {
        web::Stopped::Cleanly => tracing::info!("shutting down: requests finished; stopping workers"),
        web::Stopped::AtDeadline { cut } => tracing::warn!(
            cut,
            deadline_seconds = options.shutdown_deadline.as_secs(),
            "shutting down: requests still running at the deadline were stopped; stopping workers"
        ),
    }
    shutdown.cancel();
    let _ = workers.await;
    let _ = housekeeping.await;
    app.db.close().await;
    tracing::info!("stopped cleanly");
    Ok(())
}

fn print_demo_logins(added: usize) {
    let state = if added > 0 {
        "Demo workspace created"
    } else {
        "Demo workspace already present"
    };
    println!("{state}. Log in with password `{}`:", app::demo::DEMO_PASSWORD);
    for login in app::demo::DEMO_LOGINS {
        match login.organisation {
            Some(org) => println!("  {:<7} {:<22} ({org})", login.role, login.email),
            None => println!("  {:<7} {}", login.role, login.email),
        }
    }
}

/// Periodic upkeep: expired sessions are removed hourly.
async fn housekeeping(app: App, shutdown: CancellationToken) {
    loop {
        match app.purge_expired_sessions().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "expired sessions removed"),
            Err(e) => tracing::warn!(error = %e, "session cleanup failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}

async fn cancel_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutdown requested");
    shutdown.cancel();
}
