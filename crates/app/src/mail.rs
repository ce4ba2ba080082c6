//! Email: messages in plain text and HTML, delivered over SMTP by lettre from the outbox.
//! With no SMTP host configured, messages are written to the log instead (development and
//! the demo), and a warning at start says so.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP: only for a relay on the same machine or a trusted network.
    None,
    /// Upgrade with STARTTLS (port 587); refuse to send if the server does not offer it.
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

#[derive(Clone, Debug)]
pub struct MailConfig {
    /// Empty: log messages instead of sending them.
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The From header, such as `Portico <portico@example.com>`.
    pub from: String,
    pub timeout: Duration,
    /// Certificate authorities (PEM) to trust for the SMTP server besides the system's: a
    /// relay whose certificate a private CA signed.
    pub ca_pem: Option<Vec<u8>>,
}

/// Checks that a CA file holds at least one PEM certificate, so a bad `smtp.ca_file` stops
/// the start instead of failing every email.
pub fn check_ca_pem(pem: &[u8]) -> Result<(), String> {
    if !String::from_utf8_lossy(pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err("no PEM certificate in it".into());
    }
    lettre::transport::smtp::client::Certificate::from_pem(pem)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// One message, complete: what the outbox stores and the worker sends.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Result<Mailbox, String>,
}

impl Mailer {
    pub fn new(config: &MailConfig) -> Mailer {
        let from = config
            .from
            .parse::<Mailbox>()
            .map_err(|e| format!("invalid from address {:?}: {e}", config.from));
        if config.host.is_empty() {
            return Mailer { transport: None, from };
        }
        let tls = |host: &str| match &config.ca_pem {
            Some(pem) => TlsParameters::builder(host.to_owned())
                .add_root_certificate(lettre::transport::smtp::client::Certificate::from_pem(pem)?)
                .build_rustls(),
            None => TlsParameters::new(host.to_owned()),
        };
        let tls = match config.tls {
            SmtpTls::None => Ok(Tls::None),
            SmtpTls::Starttls => tls(&config.host).map(Tls::Required),
            SmtpTls::Tls => tls(&config.host).map(Tls::Wrapper),
        };
        let tls = tls.unwrap_or_else(|e| {
            tracing::error!(error = %e, "SMTP TLS setup failed; mail will be retried without success until fixed");
            Tls::Required(TlsParameters::new(String::new()).expect("empty host parameters"))
        });
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Mailer {
            transport: Some(builder.build()),
            from,
        }
    }

    /// Sends one message. The error text is kept on the job for the admin to read.
    pub async fn send(&self, email: &Email) -> Result<(), SendFailure> {
        self.send_with(email, None).await
    }

    /// Sends one message with a file attached (name, content type, bytes).
    pub async fn send_with(&self, email: &Email, attachment: Option<(&str, &str, Vec<u8>)>) -> Result<(), SendFailure> {
        let from = self.from.clone().map_err(SendFailure::permanent)?;
        let to = Mailbox::new(
            Some(email.to_name.clone()),
            email
                .to
                .parse()
                .map_err(|e| SendFailure::permanent(format!("invalid recipient {:?}: {e}", email.to)))?,
        );
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(&email.subject)
            .multipart(match attachment {
                None => MultiPart::alternative_plain_html(email.text.clone(), email.html.clone()),
                Some((name, content_type, bytes)) => {
                    let content_type =
                        ContentType::parse(content_type).map_err(|e| SendFailure::permanent(format!("attachment type: {e}")))?;
                    MultiPart::mixed()
                        .multipart(MultiPart::alternative_plain_html(email.text.clone(), email.html.clone()))
                        .singlepart(Attachment::new(name.to_owned()).body(bytes, content_type))
                }
            })
            .map_err(|e| SendFailure::permanent(format!("could not build message: {e}")))?;
        match &self.transport {
            Some(transport) => transport.send(message).await.map(drop).map_err(|e| SendFailure {
                // A 5xx answer (no such mailbox, refused) will be the same next time; a
                // 4xx, a timeout or a connection that fails may not.
                permanent: e.is_permanent(),
                message: format!("SMTP: {e}"),
            }),
            None => {
                tracing::warn!(to = %email.to, subject = %email.subject, body = %email.text, "SMTP is not configured: email logged, not sent");
                Ok(())
            }
        }
    }
}

/// Why a message was not sent, and whether trying again can help.
#[derive(Debug)]
pub struct SendFailure {
    /// The server refused it for good (a 5xx answer), or it can never be sent as it is.
    pub permanent: bool,
    pub message: String,
}

impl SendFailure {
    pub fn permanent(message: impl Into<String>) -> SendFailure {
        SendFailure {
            permanent: true,
            message: message.into(),
        }
    }

    pub fn temporary(message: impl Into<String>) -> SendFailure {
        SendFailure {
            permanent: false,
            message: message.into(),
        }
    }
}

/// Escapes text for HTML email bodies.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The branding of an email: the product name and colour from settings.
pub struct Branding<'a> {
    pub product_name: &'a str,
    pub brand_color: &'a str,
}

/// A message with one call to action (invitations, password resets, notifications).
pub struct ActionEmail<'a> {
    pub to: &'a str,
    pub to_name: &'a str,
    pub subject: &'a str,
    /// Plain-text paragraphs before the action.
    pub paragraphs: &'a [&'a str],
    pub action_label: &'a str,
    pub action_url: &'a str,
    /// A last line, such as what to do if the email was unexpected.
    pub footer: &'a str,
}

/// Renders the message in plain text and branded HTML.
pub fn action_email(brand: &Branding<'_>, message: &ActionEmail<'_>) -> Email {
    let ActionEmail {
        to,
        to_name,
        subject,
        paragraphs,
        action_label,
        action_url,
        footer,
    } = *message;
    let mut text = format!("Hello {to_name},\n\n");
    for p in paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
    }
    text.push_str(&format!("{action_label}:\n{action_url}\n\n{footer}\n\n— {}\n", brand.product_name));

    let name = escape_html(brand.product_name);
    let color = if brand.brand_color.starts_with('#')
        && brand.brand_color.len() <= 9
        && brand.brand_color[1..].chars().all(|c| c.is_ascii_hexdigit())
    {
        brand.brand_color
    } else {
        "#2f5bea"
    };
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<p style=\"margin:0 0 16px\">{}</p>", escape_html(p)))
        .collect();
    let url = escape_html(action_url);
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{subject}</title></head>\
<body style=\"margin:0;padding:24px;background:#f4f5f7;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#1f2430;line-height:1.5\">\
<table role=\"presentation\" width=\"100%\" style=\"max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;border-top:4px solid {color}\"><tr><td style=\"padding:32px\">\
<p style=\"margin:0 0 24px;font-size:18px;font-weight:600\">{name}</p>\
<p style=\"margin:0 0 16px\">Hello {to_name_html},</p>{body}\
<p style=\"margin:24px 0\"><a href=\"{url}\" style=\"display:inline-block;background:{color};color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:600\">{label}</a></p>\
<p style=\"margin:0 0 16px;font-size:13px;color:#5a6170\">If the button does not work, copy this address into your browser:<br><a href=\"{url}\" style=\"color:{color};word-break:break-all\">{url}</a></p>\
<p style=\"margin:0;font-size:13px;color:#5a6170\">{footer_html}</p>\
</td></tr></table></body></html>",
        subject = escape_html(subject),
        to_name_html = escape_html(to_name),
        label = escape_html(action_label),
        footer_html = escape_html(footer),
    );
    Email {
        to: to.to_owned(),
        to_name: to_name.to_owned(),
        subject: subject.to_owned(),
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_emails_escape_html_and_keep_text_readable() {
        let brand = Branding {
            product_name: "Acme <Studio>",
            brand_color: "red;background:url(x)",
        };
        let message = ActionEmail {
            to: "a@example.com",
            to_name: "Ann <b>",
            subject: "Welcome",
            paragraphs: &["Line & more"],
            action_label: "Set your password",
            action_url: "https://x.test/p/abc?a=1&b=2",
            footer: "Ignore if unexpected.",
        };
        let email = action_email(&brand, &message);
        assert!(email.text.contains("Hello Ann <b>,"));
        assert!(email.text.contains("https://x.test/p/abc?a=1&b=2"));
        assert!(email.html.contains("Hello Ann &lt;b&gt;,"));
        assert!(email.html.contains("Acme &lt;Studio&gt;"));
        assert!(email.html.contains("href=\"https://x.test/p/abc?a=1&amp;b=2\""));
        assert!(!email.html.contains("url(x)"), "an unsafe colour falls back to the default");
    }
}
