//! Configuration: one declarative table of settings. Each has a key (`smtp.host`), an
//! environment variable (`PORTICO_SMTP_HOST`), a default and a line of documentation; the
//! table drives parsing, `portico config` and the docs. Values come from the defaults, then
//! `portico.toml`, then the environment, then command-line flags. An unknown key or a bad
//! value stops the start with a message that names the key.

use anyhow::{Context, Result, anyhow, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Text,
    /// An IANA time zone name (`Europe/Berlin`).
    TimeZone,
    Secret,
    Bool,
    Integer {
        min: i64,
        max: i64,
    },
    OneOf(&'static [&'static str]),
    Colour,
    SocketAddr,
}

pub struct Setting {
    pub key: &'static str,
    pub default: &'static str,
    pub kind: Kind,
    pub doc: &'static str,
}

impl Setting {
    pub fn env_var(&self) -> String {
        format!("PORTICO_{}", self.key.replace('.', "_").to_uppercase())
    }
}

pub const SETTINGS: &[Setting] = &[
    Setting {
        key: "listen",
        default: "127.0.0.1:8080",
        kind: Kind::SocketAddr,
        doc: "Address and port to serve HTTP on.",
    },
    Setting {
        key: "shutdown_timeout_seconds",
        default: "30",
        kind: Kind::Integer { min: 1, max: 3600 },
        doc: "On SIGTERM or Ctrl-C, how long requests in flight may take to finish; after that, uploads still arriving are stopped (their parts removed) and the rest is cut off. The exit status is 0 either way.",
    },
    Setting {
        key: "data_dir",
        default: "./data",
        kind: Kind::Text,
        doc: "Directory for the SQLite database and other local data.",
    },
    Setting {
        key: "database_url",
        default: "",
        kind: Kind::Secret,
        doc: "sqlite://… or postgres://…; empty means sqlite://<data_dir>/portico.db. DATABASE_URL is read too.",
    },
    Setting {
        key: "database_max_connections",
        default: "16",
        kind: Kind::Integer { min: 1, max: 1000 },
        doc: "Database connections (readers on SQLite).",
    },
    Setting {
        key: "base_url",
        default: "",
        kind: Kind::Text,
        doc: "The public address for links in emails, such as https://projects.example.com; empty means http://<listen>.",
    },
    Setting {
        key: "trust_proxy",
        default: "false",
        kind: Kind::Bool,
        doc: "Set to true when Portico runs behind a reverse proxy (nginx, Caddy, a load balancer): the client's address is then the last one in X-Forwarded-For, which the proxy must set. Left false behind a proxy, every visitor has the proxy's address: login throttling and the audit log cannot tell people apart. Never true without a proxy: anyone could choose their address.",
    },
    Setting {
        key: "brand.name",
        default: "Portico",
        kind: Kind::Text,
        doc: "The product name shown on every page and email.",
    },
    Setting {
        key: "brand.color",
        default: "#2f5bea",
        kind: Kind::Colour,
        doc: "The brand colour, #rrggbb.",
    },
    Setting {
        key: "brand.logo",
        default: "",
        kind: Kind::Text,
        doc: "Path of a PNG, JPEG, SVG or WebP logo; empty shows the name as a wordmark.",
    },
    Setting {
        key: "time_zone",
        default: "UTC",
        kind: Kind::TimeZone,
        doc: "The installation's time zone (IANA name): the day an invoice is issued, falls due and becomes overdue, and when reminders go out.",
    },
    Setting {
        key: "date_format",
        default: "d mmm yyyy",
        kind: Kind::OneOf(&["d mmm yyyy", "mmm d, yyyy", "yyyy-mm-dd", "dd.mm.yyyy", "dd/mm/yyyy"]),
        doc: "How dates read for people who chose no format: in emails and PDFs, and on pages when the browser names no language.",
    },
    Setting {
        key: "board.columns",
        default: "To Do, In Progress, Under Review, Completed",
        kind: Kind::Text,
        doc: "The columns of a new project's board, separated by commas; the last one counts as completed. The second-to-last receives tasks submitted for client review.",
    },
    Setting {
        key: "files.storage",
        default: "local",
        kind: Kind::OneOf(&["local", "s3"]),
        doc: "Where file bytes are kept: local (the files directory under data_dir) or s3 (any S3-compatible store).",
    },
    Setting {
        key: "files.max_upload_mb",
        default: "50",
        kind: Kind::Integer { min: 1, max: 1_000_000 },
        doc: "Largest file accepted in one upload, in megabytes (MiB).",
    },
    Setting {
        key: "files.trash_days",
        default: "30",
        kind: Kind::Integer { min: 0, max: 3650 },
        doc: "Days a deleted file stays in the trash before it is purged for good.",
    },
    Setting {
        key: "files.s3.bucket",
        default: "",
        kind: Kind::Text,
        doc: "S3 bucket for files (with files.storage = s3).",
    },
    Setting {
        key: "files.s3.endpoint",
        default: "",
        kind: Kind::Text,
        doc: "S3 endpoint URL, such as http://127.0.0.1:9000 for a self-hosted store; empty for AWS.",
    },
    Setting {
        key: "files.s3.region",
        default: "us-east-1",
        kind: Kind::Text,
        doc: "S3 region.",
    },
    Setting {
        key: "files.s3.access_key",
        default: "",
        kind: Kind::Secret,
        doc: "S3 access key id.",
    },
    Setting {
        key: "files.s3.secret_key",
        default: "",
        kind: Kind::Secret,
        doc: "S3 secret access key.",
    },
    Setting {
        key: "files.s3.path_style",
        default: "true",
        kind: Kind::Bool,
        doc: "Address the bucket in the path (endpoint/bucket/key), as self-hosted stores expect; false for virtual-hosted style.",
    },
    Setting {
        key: "session.idle_minutes",
        default: "1440",
        kind: Kind::Integer { min: 5, max: 525_600 },
        doc: "A session unused this long ends.",
    },
    Setting {
        key: "session.absolute_days",
        default: "14",
        kind: Kind::Integer { min: 1, max: 365 },
        doc: "A session ends this long after login, used or not.",
    },
    Setting {
        key: "smtp.host",
        default: "",
        kind: Kind::Text,
        doc: "SMTP server; empty writes emails to the log instead of sending them.",
    },
    Setting {
        key: "smtp.port",
        default: "587",
        kind: Kind::Integer { min: 1, max: 65535 },
        doc: "SMTP port.",
    },
    Setting {
        key: "smtp.tls",
        default: "starttls",
        kind: Kind::OneOf(&["none", "starttls", "tls"]),
        doc: "none, starttls (required) or tls (implicit, port 465).",
    },
    Setting {
        key: "smtp.ca_file",
        default: "",
        kind: Kind::Text,
        doc: "A PEM file of certificate authorities to trust for the SMTP server besides the system's (a relay with a private CA).",
    },
    Setting {
        key: "smtp.username",
        default: "",
        kind: Kind::Text,
        doc: "SMTP user name; empty for no authentication.",
    },
    Setting {
        key: "smtp.password",
        default: "",
        kind: Kind::Secret,
        doc: "SMTP password.",
    },
    Setting {
        key: "smtp.from",
        default: "Portico <portico@localhost>",
        kind: Kind::Text,
        doc: "The From address of every email.",
    },
    Setting {
        key: "smtp.timeout_seconds",
        default: "30",
        kind: Kind::Integer { min: 1, max: 600 },
        doc: "Give up on an SMTP conversation after this long (the email is retried).",
    },
    Setting {
        key: "jobs.workers",
        default: "2",
        kind: Kind::Integer { min: 1, max: 64 },
        doc: "Background workers delivering emails and other side effects.",
    },
    Setting {
        key: "jobs.retry_base_seconds",
        default: "30",
        kind: Kind::Integer { min: 1, max: 3600 },
        doc: "First retry delay of a failed job; doubled each time up to an hour.",
    },
    Setting {
        key: "mail.retry_days",
        default: "4",
        kind: Kind::Integer { min: 1, max: 60 },
        doc: "How many days an email the SMTP server does not take (an outage, a 4xx answer) is retried before it counts as undelivered; a 5xx refusal is not retried. Undelivered emails are listed for admins, who can send them again.",
    },
    Setting {
        key: "payments.stripe_api",
        default: "https://api.stripe.com",
        kind: Kind::Text,
        doc: "Stripe's API. Change it only to point at a test double.",
    },
    Setting {
        key: "payments.paypal_api",
        default: "https://api-m.paypal.com",
        kind: Kind::Text,
        doc: "PayPal's REST API: https://api-m.sandbox.paypal.com for the sandbox.",
    },
    Setting {
        key: "payments.twocheckout_checkout",
        default: "https://secure.2checkout.com/checkout/buy",
        kind: Kind::Text,
        doc: "2Checkout's hosted checkout, where buy links point.",
    },
    Setting {
        key: "secrets.key_file",
        default: "",
        kind: Kind::Text,
        doc: "The key sealing gateway secrets in the database; created on first start. Empty means <data_dir>/secrets.key. Back it up apart from the database.",
    },
    Setting {
        key: "log",
        default: "info",
        kind: Kind::Text,
        doc: "Log filter (tracing's EnvFilter syntax); RUST_LOG overrides it.",
    },
];

/// Environment variables with the prefix that are not settings but are allowed (test switches).
const RESERVED_ENV: &[&str] = &["PORTICO_TEST_", "PORTICO_E2E"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Default,
    File,
    Env,
    Flag,
}

impl Source {
    fn label(self) -> &'static str {
        match self {
            Source::Default => "default",
            Source::File => "from portico.toml",
            Source::Env => "from the environment",
            Source::Flag => "from a flag",
        }
    }
}

/// The effective configuration: every key with its value and where it came from.
#[derive(Clone, Debug)]
pub struct Config {
    values: BTreeMap<&'static str, (String, Source)>,
}

fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

fn validate(setting: &Setting, value: &str) -> Result<()> {
    let fail = |why: String| Err(anyhow!("setting `{}` ({}): {why}, got {value:?}", setting.key, setting.env_var()));
    match setting.kind {
        Kind::Text | Kind::Secret => Ok(()),
        Kind::TimeZone => value
            .parse::<chrono_tz::Tz>()
            .map(drop)
            .or_else(|_| fail("must be a time zone name like Europe/Berlin or America/New_York".into())),
        Kind::Bool => match value {
            "true" | "false" => Ok(()),
            _ => fail("must be true or false".into()),
        },
        Kind::Integer { min, max } => match value.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(()),
            _ => fail(format!("must be a whole number from {min} to {max}")),
        },
        Kind::OneOf(choices) => {
            if choices.contains(&value) {
                Ok(())
            } else {
                fail(format!("must be one of {}", choices.join(", ")))
            }
        }
        Kind::Colour => {
            let hex = value.strip_prefix('#').unwrap_or("");
            if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
                Ok(())
            } else {
                fail("must be a colour like #2f5bea".into())
            }
        }
        Kind::SocketAddr => value
            .parse::<std::net::SocketAddr>()
            .map(drop)
            .or_else(|_| fail("must be an address and port like 127.0.0.1:8080".into())),
    }
}

/// Flattens `[smtp] host = "x"` into `smtp.host = "x"`.
fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<(String, toml::Value)>) {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&full, inner, out),
            other => out.push((full, other.clone())),
        }
    }
}

impl Config {
    /// Resolves the configuration. `file` is read if given (it must exist) or if
    /// `portico.toml` exists in the working directory.
    pub fn load(file: Option<&Path>, env: &BTreeMap<String, String>, flags: &[(&'static str, Option<String>)]) -> Result<Config> {
        let mut values: BTreeMap<&'static str, (String, Source)> =
            SETTINGS.iter().map(|s| (s.key, (s.default.to_owned(), Source::Default))).collect();

        let default_file = PathBuf::from("portico.toml");
        let file = match file {
            Some(path) => Some(path.to_path_buf()),
            None => default_file.exists().then_some(default_file),
        };
        if let Some(path) = file {
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read the configuration file {}", path.display()))?;
            let table: toml::Table = text.parse().with_context(|| format!("{} is not valid TOML", path.display()))?;
            let mut pairs = vec![];
            flatten("", &table, &mut pairs);
            for (key, value) in pairs {
                let setting = setting(&key)
                    .ok_or_else(|| anyhow!("unknown setting `{key}` in {}; `portico config` lists the settings", path.display()))?;
                let value = match value {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(n) => n.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    other => bail!(
                        "setting `{key}` in {}: expected a string, number or boolean, got {}",
                        path.display(),
                        other.type_str()
                    ),
                };
                values.insert(setting.key, (value, Source::File));
            }
        }

        for (name, value) in env {
            if !name.starts_with("PORTICO_") || RESERVED_ENV.iter().any(|r| name.starts_with(r)) {
                continue;
            }
            let setting = SETTINGS
                .iter()
                .find(|s| s.env_var() == *name)
                .ok_or_else(|| anyhow!("unknown environment variable {name}; `portico config` lists the settings"))?;
            values.insert(setting.key, (value.clone(), Source::Env));
        }
        if let Some(url) = env.get("DATABASE_URL")
            && !env.contains_key("PORTICO_DATABASE_URL")
        {
            values.insert("database_url", (url.clone(), Source::Env));
        }

        for (key, value) in flags {
            if let Some(value) = value {
                values.insert(key, (value.clone(), Source::Flag));
            }
        }

        for setting in SETTINGS {
            validate(setting, &values[setting.key].0)?;
        }
        Ok(Config { values })
    }

    pub fn get(&self, key: &str) -> &str {
        &self
            .values
            .get(key)
            .unwrap_or_else(|| panic!("`{key}` is not in the settings table"))
            .0
    }

    pub fn integer(&self, key: &str) -> i64 {
        self.get(key).parse().expect("validated at load")
    }

    pub fn flag(&self, key: &str) -> bool {
        self.get(key) == "true"
    }

    pub fn data_dir(&self) -> PathBuf {
        PathBuf::from(self.get("data_dir"))
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match self.get("database_url") {
            "" => format!("sqlite://{}", self.data_dir().join("portico.db").display()),
            url => url.to_owned(),
        }
    }

    pub fn listen(&self) -> std::net::SocketAddr {
        self.get("listen").parse().expect("validated at load")
    }

    pub fn base_url(&self, bound: std::net::SocketAddr) -> String {
        match self.get("base_url") {
            "" => format!("http://{bound}"),
            url => url.trim_end_matches('/').to_owned(),
        }
    }

    /// The effective configuration as text, secrets redacted (`portico config`).
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for setting in SETTINGS {
            let (value, source) = &self.values[setting.key];
            let shown = match setting.kind {
                Kind::Secret if !value.is_empty() => redact(value),
                _ => value.clone(),
            };
            out.push_str(&format!(
                "# {} ({}; {})\n{} = {:?}\n\n",
                setting.doc,
                setting.env_var(),
                source.label(),
                setting.key,
                shown
            ));
        }
        out
    }
}

/// The settings as a Markdown table: `docs/CONFIGURATION.md` is this output (a test
/// keeps them equal).
pub fn reference() -> String {
    let mut out = String::from(
        "# Configuration\n\nGenerated by `portico config --reference`; do not edit by hand.\n\n\
         Values come from the defaults, then `portico.toml` (or `--config FILE`), then the environment, then flags \
         (`--listen`, `--data-dir`, `--database-url`). In `portico.toml`, a key `smtp.host` is written `host = \"…\"` \
         under `[smtp]`. Unknown keys and bad values stop the start with a message naming the key.\n\n\
         | key | environment | default | meaning |\n|---|---|---|---|\n",
    );
    for setting in SETTINGS {
        let default = if setting.default.is_empty() {
            "(empty)".to_owned()
        } else {
            format!("`{}`", setting.default)
        };
        out.push_str(&format!(
            "| `{}` | `{}` | {default} | {} |\n",
            setting.key,
            setting.env_var(),
            setting.doc
        ));
    }
    out
}

/// Hides a secret, keeping the scheme and host of a URL so the operator can tell which it is.
fn redact(value: &str) -> String {
    match value.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.rsplit_once('@').map(|(_, host)| host).unwrap_or(rest);
            let host = host.split('/').next().unwrap_or_default();
            format!("{scheme}://***@{host}/***")
        }
        None => "***".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_then_env_then_flags() {
        let config = Config::load(
            None,
            &env(&[("PORTICO_LISTEN", "127.0.0.1:9000"), ("PORTICO_SMTP_PORT", "2525")]),
            &[("smtp.port", Some("25".into()))],
        )
        .unwrap();
        assert_eq!(config.get("listen"), "127.0.0.1:9000");
        assert_eq!(config.integer("smtp.port"), 25);
        assert_eq!(config.get("brand.name"), "Portico");
        assert!(config.database_url().starts_with("sqlite://"));
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = Config::load(None, &env(&[("PORTICO_SMTP_PORT", "seventy")]), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("smtp.port") && err.contains("PORTICO_SMTP_PORT"), "{err}");
        let err = Config::load(None, &env(&[("PORTICO_BRAND_COLOR", "red;}")]), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("brand.color"), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = Config::load(None, &env(&[("PORTICO_LISTN", "x")]), &[]).unwrap_err().to_string();
        assert!(err.contains("PORTICO_LISTN"), "{err}");
        let dir = std::env::temp_dir().join(format!("portico-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("portico.toml");
        std::fs::write(&file, "[smtp]\nhots = \"mail\"\n").unwrap();
        let err = Config::load(Some(&file), &env(&[]), &[]).unwrap_err().to_string();
        assert!(err.contains("smtp.hots"), "{err}");
        std::fs::write(&file, "listen = \"127.0.0.1:7000\"\n[smtp]\nport = 2525\n").unwrap();
        let config = Config::load(Some(&file), &env(&[("PORTICO_TEST_POSTGRES_URL", "x")]), &[]).unwrap();
        assert_eq!((config.get("listen"), config.integer("smtp.port")), ("127.0.0.1:7000", 2525));
    }

    #[test]
    fn the_configuration_reference_is_current() {
        let committed = include_str!("../../../docs/CONFIGURATION.md");
        assert_eq!(committed, reference(), "run `portico config --reference > docs/CONFIGURATION.md`");
    }

    #[test]
    fn secrets_are_redacted() {
        let config = Config::load(
            None,
            &env(&[
                ("DATABASE_URL", "postgres://u:hunter2@db.internal:5432/portico"),
                ("PORTICO_SMTP_PASSWORD", "hunter2"),
            ]),
            &[],
        )
        .unwrap();
        let text = config.describe();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("postgres://***@db.internal:5432/***"), "{text}");
    }
}
