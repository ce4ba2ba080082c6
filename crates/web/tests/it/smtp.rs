//! A real SMTP server on loopback for the tests, as strict as a real one: it speaks RFC 5321
//! (EHLO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) to lettre over TCP, in
//! order (MAIL before EHLO, RCPT before MAIL or DATA before RCPT is a 503), with a size limit
//! (SIZE in EHLO, 552 past it), and keeps what it receives. A secure one also offers
//! STARTTLS with a certificate of its own test CA and AUTH (PLAIN, LOGIN), and takes no mail
//! before both (530). It can be stopped and started again on the same port, to test an
//! outage, and told to refuse a recipient for a while (4xx) or for good (5xx).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// The largest message the server takes (announced as SIZE).
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;

/// One received message, and how it came.
#[derive(Clone, Debug)]
pub struct Received {
    pub to: Vec<String>,
    pub raw: Vec<u8>,
    /// Whether the session had been upgraded with STARTTLS.
    pub over_tls: bool,
    /// The user the session authenticated as.
    pub authenticated_as: Option<String>,
}

impl Received {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default().parse(&self.raw).expect("a parseable message")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    pub fn text(&self) -> String {
        self.parsed().body_text(0).map(|t| t.into_owned()).unwrap_or_default()
    }

    pub fn html(&self) -> String {
        self.parsed().body_html(0).map(|t| t.into_owned()).unwrap_or_default()
    }

    /// The first link into Portico in the plain-text body.
    pub fn link(&self) -> String {
        let text = self.text();
        text.split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .expect("a link in the email")
            .to_owned()
    }
}
#[derive(Default)]
struct Inbox {
    messages: Mutex<Vec<Received>>,
    arrived: Notify,
    /// Recipients refused at RCPT TO, with the reply (a 4xx defers, a 5xx refuses for good).
    refused: Mutex<std::collections::HashMap<String, &'static str>>,
    /// Replies the server gave that were not 2xx or 3xx, for the tests to read.
    errors: Mutex<Vec<String>>,
    /// What a secure server asks for: STARTTLS with this configuration, then these
    /// credentials.
    secure: Option<Secure>,
}

struct Secure {
    tls: tokio_rustls::TlsAcceptor,
    user: String,
    password: String,
}

pub struct SmtpServer {
    pub addr: SocketAddr,
    inbox: Arc<Inbox>,
    task: Mutex<Option<JoinHandle<()>>>,
    /// The PEM certificate of the CA that signed a secure server's certificate.
    pub ca_pem: Option<Vec<u8>>,
}

impl SmtpServer {
    /// Plain SMTP, no authentication (a relay on the same machine).
    pub async fn start() -> SmtpServer {
        Self::listen(Inbox::default(), None).await
    }

    /// STARTTLS required (a certificate for 127.0.0.1 from a CA made for this server), then
    /// AUTH with `user` and `password`.
    pub async fn start_secure(user: &str, password: &str) -> SmtpServer {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name.push(rcgen::DnType::CommonName, "Portico test mail CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca, ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
        let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        let secure = Secure {
            tls: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            user: user.to_owned(),
            password: password.to_owned(),
        };
        let inbox = Inbox {
            secure: Some(secure),
            ..Inbox::default()
        };
        Self::listen(inbox, Some(ca.pem().into_bytes())).await
    }

    async fn listen(inbox: Inbox, ca_pem: Option<Vec<u8>>) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let addr = listener.local_addr().unwrap();
        let inbox = Arc::new(inbox);
        let task = tokio::spawn(accept_loop(listener, inbox.clone()));
        SmtpServer {
            addr,
            inbox,
            task: Mutex::new(Some(task)),
            ca_pem,
        }
    }

    /// The server's error replies so far (such as `530 5.7.0 Authentication required`).
    pub fn errors(&self) -> Vec<String> {
        self.inbox.errors.lock().unwrap().clone()
    }

    /// Stops listening: connections are refused until [`SmtpServer::restart`].
    pub fn stop(&self) {
        if let Some(task) = self.task.lock().unwrap().take() {
            task.abort();
        }
    }

    pub async fn restart(&self) {
        self.stop();
        // The aborted listener frees the port asynchronously: retry briefly.
        for _ in 0..50 {
            if let Ok(listener) = TcpListener::bind(self.addr).await {
                *self.task.lock().unwrap() = Some(tokio::spawn(accept_loop(listener, self.inbox.clone())));
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("could not listen on {} again", self.addr);
    }

    /// Answers RCPT TO for `address` with `reply` (for example `550 5.1.1 No such user`).
    pub fn refuse(&self, address: &str, reply: &'static str) {
        self.inbox.refused.lock().unwrap().insert(address.to_ascii_lowercase(), reply);
    }

    /// Takes `address` again.
    pub fn accept(&self, address: &str) {
        self.inbox.refused.lock().unwrap().remove(&address.to_ascii_lowercase());
    }

    pub fn messages(&self) -> Vec<Received> {
        self.inbox.messages.lock().unwrap().clone()
    }

    pub fn messages_to(&self, address: &str) -> Vec<Received> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// Waits until `count` messages to `address` have arrived (or fails after 15 s).
    pub async fn wait_for(&self, address: &str, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let arrived = self.inbox.arrived.notified();
            let messages = self.messages_to(address);
            if messages.len() >= count {
                return messages;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("expected {count} message(s) to {address}, got {}", self.messages_to(address).len());
            }
        }
    }
}

impl SmtpServer {
    /// Waits until a message to `address` whose subject contains `subject` has arrived (or
    /// fails after 15 s), and returns every such message.
    pub async fn wait_for_subject(&self, address: &str, subject: &str) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let arrived = self.inbox.arrived.notified();
            let matching: Vec<Received> = self
                .messages_to(address)
                .into_iter()
                .filter(|m| m.subject().contains(subject))
                .collect();
            if !matching.is_empty() {
                return matching;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("expected a message to {address} about {subject:?}");
            }
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept_loop(listener: TcpListener, inbox: Arc<Inbox>) {
    let mut sessions = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        sessions.spawn(session(stream, inbox.clone()));
    }
}

async fn session(stream: TcpStream, inbox: Arc<Inbox>) {
    let mut stream = BufReader::new(stream);
    if stream.get_mut().write_all(b"220 portico-test ESMTP\r\n").await.is_err() {
        return;
    }
    // The plain conversation ends with QUIT, a hang-up, or STARTTLS: then it goes on, from
    // the beginning (EHLO), inside TLS.
    if converse(&mut stream, &inbox, false).await != Ended::ByStartTls {
        return;
    }
    let Some(secure) = &inbox.secure else { return };
    let Ok(tls) = secure.tls.accept(stream.into_inner()).await else {
        return;
    };
    converse(&mut BufReader::new(tls), &inbox, true).await;
}

#[derive(PartialEq)]
enum Ended {
    ByClient,
    ByStartTls,
}

/// The state of one SMTP session (RFC 5321 §4.1.4: EHLO, then MAIL, RCPT…, DATA).
#[derive(Default)]
struct Envelope {
    greeted: bool,
    user: Option<String>,
    from: Option<String>,
    to: Vec<String>,
}

async fn converse<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut BufReader<S>, inbox: &Inbox, over_tls: bool) -> Ended {
    let mut envelope = Envelope::default();
    let mut line = String::new();
    loop {
        line.clear();
        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
            return Ended::ByClient;
        }
        let command = line.trim_end().to_ascii_uppercase();
        let verb = command.split(' ').next().unwrap_or_default();
        let reply: String = match verb {
            "EHLO" | "HELO" => {
                envelope = Envelope {
                    greeted: true,
                    ..Envelope::default()
                };
                let mut lines = vec!["portico-test".to_owned(), "8BITMIME".into(), "SMTPUTF8".into()];
                lines.push(format!("SIZE {MAX_MESSAGE_BYTES}"));
                match (&inbox.secure, over_tls) {
                    (Some(_), false) => lines.push("STARTTLS".into()),
                    (Some(_), true) => lines.push("AUTH PLAIN LOGIN".into()),
                    (None, _) => {}
                }
                let last = lines.len() - 1;
                lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }))
                    .collect()
            }
            "STARTTLS" if inbox.secure.is_some() && !over_tls => {
                if !envelope.greeted {
                    "503 5.5.1 EHLO first\r\n".into()
                } else {
                    let _ = stream.get_mut().write_all(b"220 2.0.0 Ready to start TLS\r\n").await;
                    return Ended::ByStartTls;
                }
            }
            "AUTH" if inbox.secure.is_some() => match authenticate(stream, inbox, &line, over_tls, envelope.greeted).await {
                Ok(user) => {
                    envelope.user = Some(user);
                    "235 2.7.0 Authentication successful\r\n".into()
                }
                Err(reply) => reply,
            },
            "MAIL" => match (&inbox.secure, over_tls, &envelope) {
                (_, _, Envelope { greeted: false, .. }) => "503 5.5.1 EHLO first\r\n".into(),
                (Some(_), false, _) => "530 5.7.0 Must issue a STARTTLS command first\r\n".into(),
                (Some(_), true, Envelope { user: None, .. }) => "530 5.7.0 Authentication required\r\n".into(),
                (_, _, Envelope { from: Some(_), .. }) => "503 5.5.1 Nested MAIL command\r\n".into(),
                _ => {
                    let size = command
                        .split("SIZE=")
                        .nth(1)
                        .and_then(|s| s.split(' ').next()?.parse::<usize>().ok());
                    if size.is_some_and(|size| size > MAX_MESSAGE_BYTES) {
                        "552 5.3.4 Message size exceeds fixed maximum message size\r\n".into()
                    } else {
                        envelope.from = Some(line.trim_end()[10..].to_owned());
                        "250 2.1.0 OK\r\n".into()
                    }
                }
            },
            "RCPT" if envelope.from.is_none() => "503 5.5.1 MAIL first\r\n".into(),
            "RCPT" => {
                let address = line.trim_end()[8..].trim().trim_start_matches('<').trim_end_matches('>').to_owned();
                let refusal = inbox.refused.lock().unwrap().get(&address.to_ascii_lowercase()).copied();
                match refusal {
                    Some(reply) => format!("{reply}\r\n"),
                    None => {
                        envelope.to.push(address);
                        "250 2.1.5 OK\r\n".into()
                    }
                }
            }
            "DATA" if envelope.to.is_empty() => "503 5.5.1 RCPT first\r\n".into(),
            "DATA" => {
                let _ = stream.get_mut().write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await;
                let Some(raw) = read_data(stream).await else {
                    return Ended::ByClient;
                };
                let to = std::mem::take(&mut envelope.to);
                envelope.from = None;
                if raw.len() > MAX_MESSAGE_BYTES {
                    "552 5.3.4 Message size exceeds fixed maximum message size\r\n".into()
                } else {
                    inbox.messages.lock().unwrap().push(Received {
                        to,
                        raw,
                        over_tls,
                        authenticated_as: envelope.user.clone(),
                    });
                    inbox.arrived.notify_waiters();
                    "250 2.0.0 OK: queued\r\n".into()
                }
            }
            "RSET" => {
                envelope.from = None;
                envelope.to.clear();
                "250 2.0.0 OK\r\n".into()
            }
            "NOOP" => "250 2.0.0 OK\r\n".into(),
            "QUIT" => {
                let _ = stream.get_mut().write_all(b"221 2.0.0 Bye\r\n").await;
                return Ended::ByClient;
            }
            _ => "500 5.5.2 Command not recognised\r\n".into(),
        };
        if !reply.starts_with('2') && !reply.starts_with('3') {
            inbox.errors.lock().unwrap().push(reply.trim_end().to_owned());
        }
        if stream.get_mut().write_all(reply.as_bytes()).await.is_err() {
            return Ended::ByClient;
        }
    }
}

/// The message after DATA, dot-unstuffed, up to the lone dot; `None` if the client hangs up.
async fn read_data<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut BufReader<S>) -> Option<Vec<u8>> {
    let mut raw = Vec::new();
    loop {
        let mut data = Vec::new();
        if stream.read_until(b'\n', &mut data).await.unwrap_or(0) == 0 {
            return None;
        }
        if data == b".\r\n" || data == b".\n" {
            return Some(raw);
        }
        let data = data.strip_prefix(b".").unwrap_or(&data);
        raw.extend_from_slice(data);
    }
}

/// AUTH PLAIN (initial response or after a 334) or LOGIN, inside TLS only; the user, or the
/// error reply.
async fn authenticate<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut BufReader<S>,
    inbox: &Inbox,
    line: &str,
    over_tls: bool,
    greeted: bool,
) -> Result<String, String> {
    use base64::Engine;
    let secure = inbox.secure.as_ref().expect("AUTH is offered by a secure server only");
    if !greeted {
        return Err("503 5.5.1 EHLO first\r\n".into());
    }
    if !over_tls {
        return Err("538 5.7.11 Encryption required for requested authentication mechanism\r\n".into());
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut ask = async |prompt: &str| -> Option<String> {
        stream.get_mut().write_all(format!("334 {prompt}\r\n").as_bytes()).await.ok()?;
        let mut answer = String::new();
        stream.read_line(&mut answer).await.ok()?;
        Some(answer.trim_end().to_owned())
    };
    let parts: Vec<&str> = line.split_whitespace().collect();
    let decode = |text: &str| b64.decode(text).ok().and_then(|bytes| String::from_utf8(bytes).ok());
    let (user, password) = match parts.get(1).map(|m| m.to_ascii_uppercase()).as_deref() {
        Some("PLAIN") => {
            let response = match parts.get(2) {
                Some(initial) => initial.to_string(),
                None => ask("").await.unwrap_or_default(),
            };
            let decoded = decode(&response).unwrap_or_default();
            let mut fields = decoded.split('\0').skip(1);
            (
                fields.next().unwrap_or_default().to_owned(),
                fields.next().unwrap_or_default().to_owned(),
            )
        }
        Some("LOGIN") => {
            let user = ask(&b64.encode("Username:")).await.and_then(|u| decode(&u)).unwrap_or_default();
            let password = ask(&b64.encode("Password:")).await.and_then(|p| decode(&p)).unwrap_or_default();
            (user, password)
        }
        _ => return Err("504 5.5.4 Unrecognised authentication type\r\n".into()),
    };
    if user == secure.user && password == secure.password {
        Ok(user)
    } else {
        Err("535 5.7.8 Authentication credentials invalid\r\n".into())
    }
}
