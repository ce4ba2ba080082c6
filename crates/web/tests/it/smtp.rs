//! A real SMTP server on loopback for the tests: it speaks the protocol (EHLO, MAIL, RCPT,
//! DATA with dot-unstuffing, RSET, NOOP, QUIT) to lettre over TCP and keeps what it
//! receives. It can be stopped and started again on the same port, to test an outage, and
//! told to refuse a recipient for a while (4xx) or for good (5xx).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// One received message.
#[derive(Clone, Debug)]
pub struct Received {
    pub to: Vec<String>,
    pub raw: Vec<u8>,
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
}

pub struct SmtpServer {
    pub addr: SocketAddr,
    inbox: Arc<Inbox>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let addr = listener.local_addr().unwrap();
        let inbox = Arc::new(Inbox::default());
        let task = tokio::spawn(accept_loop(listener, inbox.clone()));
        SmtpServer {
            addr,
            inbox,
            task: Mutex::new(Some(task)),
        }
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
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut to = vec![];
    let _ = write.write_all(b"220 portico-test ESMTP\r\n").await;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-portico-test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if command.starts_with("HELO") || command.starts_with("MAIL FROM") || command.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if command.starts_with("RCPT TO") {
            let address = line.trim_end()[8..].trim().trim_start_matches('<').trim_end_matches('>').to_owned();
            let refusal = inbox.refused.lock().unwrap().get(&address.to_ascii_lowercase()).copied();
            match refusal {
                Some(reply) => {
                    let _ = write.write_all(format!("{reply}\r\n").as_bytes()).await;
                    continue;
                }
                None => {
                    to.push(address);
                    b"250 OK\r\n"
                }
            }
        } else if command.starts_with("RSET") {
            to.clear();
            b"250 OK\r\n"
        } else if command == "DATA" {
            let _ = write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await;
            let mut raw = Vec::new();
            loop {
                let mut data = String::new();
                if lines.read_line(&mut data).await.unwrap_or(0) == 0 {
                    return;
                }
                if data == ".\r\n" || data == ".\n" {
                    break;
                }
                let data = data.strip_prefix('.').unwrap_or(&data);
                raw.extend_from_slice(data.as_bytes());
            }
            inbox.messages.lock().unwrap().push(Received {
                to: std::mem::take(&mut to),
                raw,
            });
            inbox.arrived.notify_waiters();
            b"250 OK: queued\r\n"
        } else if command == "QUIT" {
            let _ = write.write_all(b"221 Bye\r\n").await;
            return;
        } else {
            b"502 Command not implemented\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
