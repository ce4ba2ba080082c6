//! Logging in and out, sessions, and passwords: set by invitation, reset by email, changed
//! by their owner. Passwords are hashed with Argon2id; secrets are stored as SHA-256 only.

use crate::secrets::{random_token, token_hash};
use crate::{App, mail};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Duration, Utc};
use domain::auth::{ThrottleRule, ThrottleState};
use domain::ids::UserId;
use domain::users::{Email, NewPassword, User};
use domain::{Error, Result};
use std::sync::{Arc, LazyLock};
use store::Conn;
use store::tokens::PasswordPurpose;

/// Hashes and verifies passwords on a few dedicated threads, one per core. Argon2 is slow
/// and takes 19 MiB per operation by design: more parallel hashes than cores would add only
/// memory (glibc keeps each thread's arena), so excess logins wait in a queue instead.
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<HasherInner>,
}

struct HasherInner {
    tasks: std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>,
    /// A hash of a random password, verified against when the account does not exist, so
    /// that "no such account" takes as long as "wrong password".
    dummy_hash: LazyLock<String>,
}

fn dummy_hash() -> String {
    hash_blocking(&random_token()).expect("hashing a random password")
}

fn argon2() -> Argon2<'static> {
    // OWASP's recommended Argon2id parameters: 19 MiB, two passes, one lane.
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters"),
    )
}

fn hash_blocking(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(Error::internal)
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordHasher {
    pub fn new() -> Self {
        let (tasks, queue) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    // Ends when the last `PasswordHasher` is dropped and the channel closes.
                    while let Ok(task) = { queue.lock().map(|q| q.recv()).unwrap_or(Err(std::sync::mpsc::RecvError)) } {
                        task();
                    }
                })
                .expect("spawn a password hashing thread");
        }
        let dummy_hash = LazyLock::new(dummy_hash as fn() -> String);
        PasswordHasher {
            inner: Arc::new(HasherInner { tasks, dummy_hash }),
        }
    }

    /// Runs `work` on a hashing thread.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce(&HasherInner) -> T + Send + 'static) -> Result<T> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let inner = self.inner.clone();
        self.inner
            .tasks
            .send(Box::new(move || {
                let _ = reply.send(work(&inner));
            }))
            .map_err(|_| Error::internal("password hashing threads stopped"))?;
        answer.await.map_err(Error::internal)
    }

    pub async fn hash(&self, password: &NewPassword) -> Result<String> {
        let password = password.expose().to_owned();
        self.run(move |_| hash_blocking(&password)).await?
    }

    /// Verifies `password` against `hash`, or against the dummy hash when there is none.
    pub async fn verify(&self, password: &str, hash: Option<String>) -> Result<bool> {
        let password = password.to_owned();
        self.run(move |inner| {
            let real = hash.is_some();
            let hash = hash.unwrap_or_else(|| inner.dummy_hash.clone());
            let parsed = PasswordHash::new(&hash).map_err(Error::internal)?;
            Ok(real && argon2().verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await?
    }

    /// Computes the dummy hash on a hashing thread now, rather than during the first failed
    /// login, without holding up the caller.
    pub fn warm_up(&self) {
        let _ = self.inner.tasks.send(Box::new({
            let inner = self.inner.clone();
            move || {
                LazyLock::force(&inner.dummy_hash);
            }
        }));
    }
}

/// A password being replaced, and how the audit trail names it.
struct PasswordChange<'a> {
    user_id: UserId,
    hash: &'a str,
    action: &'static str,
    detail: &'static str,
}

/// Where a request comes from, for throttling and the session list.
#[derive(Clone, Debug, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A logged-in person and the hash of their session token.
#[derive(Clone, Debug)]
pub struct SessionUser {
    pub user: User,
    pub session_hash: [u8; 32],
}

/// A new session: the token goes into the cookie and nowhere else.
pub struct NewSession {
    pub token: String,
    pub user: User,
}

pub const WRONG_CREDENTIALS: &str = "The email or password is not correct.";
const DEACTIVATED: &str = "This account has been deactivated. Ask your administrator to reactivate it.";
const RESET_LINK_LIFETIME: Duration = Duration::hours(1);
const INVITE_LINK_LIFETIME: Duration = Duration::days(7);

async fn throttle_check(conn: &mut Conn<'_>, key: &str, rule: &ThrottleRule, now: DateTime<Utc>) -> Result<Option<ThrottleState>> {
    let state = store::throttle::get(conn, key).await?;
    match rule.locked_for(state.as_ref(), now) {
        Some(retry_after) => Err(Error::RateLimited { retry_after }),
        None => Ok(state),
    }
}

async fn throttle_count(
    conn: &mut Conn<'_>,
    key: &str,
    rule: &ThrottleRule,
    state: Option<&ThrottleState>,
    now: DateTime<Utc>,
) -> Result<()> {
    store::throttle::put(conn, key, &rule.after_failure(state, now)).await
}

/// The keys a login is counted under: the address and account pair, the account, the address.
fn login_throttle_keys(client: &ClientInfo, email: &str) -> [(String, ThrottleRule); 3] {
    let account = email.trim().to_lowercase();
    let address = client.ip.as_deref().unwrap_or("unknown");
    [
        (format!("login:pair:{address}:{account}"), ThrottleRule::LOGIN_PAIR),
        (format!("login:account:{account}"), ThrottleRule::LOGIN_ACCOUNT),
        (format!("login:address:{address}"), ThrottleRule::LOGIN_ADDRESS),
    ]
}

impl App {
    /// Checks the credentials and opens a session. Throttled three ways (see
    /// [`ThrottleRule::LOGIN_PAIR`] and its siblings): the guesser's own address and account
    /// lock, the account locks against guesses from everywhere, and an address that fails
    /// often only waits, so that people sharing it still log in. A wrong email and a wrong
    /// password give the same answer in the same time.
    pub async fn login(&self, email: &str, password: &str, client: &ClientInfo, replaces: Option<&str>) -> Result<NewSession> {
        // A form sent without an email or a password is not a guess: no throttle, no hashing.
        if email.trim().is_empty() || password.is_empty() {
            return Err(Error::invalid("email", "enter your email address and your password"));
        }
        let keys = login_throttle_keys(client, email);
        let now = self.now();
        let (states, user, hash) = {
            let mut handle = self.db.read().await?;
            let mut conn = handle.conn();
            let pair_state = throttle_check(&mut conn, &keys[0].0, &keys[0].1, now).await?;
            let account_state = throttle_check(&mut conn, &keys[1].0, &keys[1].1, now).await?;
            let address_state = store::throttle::get(&mut conn, &keys[2].0).await?;
            let user = match Email::parse(email) {
                Ok(email) => store::users::find_by_email(&mut conn, &email).await?,
                Err(_) => None,
            };
            let hash = match &user {
                Some(user) => store::users::password_hash(&mut conn, user.id).await?,
                None => None,
            };
            ([pair_state, account_state, address_state], user, hash)
        };
        // An address that fails often waits before its password is checked (no connection
        // is held while it waits).
        if let Some(wait) = ThrottleRule::LOGIN_ADDRESS.delay(states[2].as_ref(), now) {
            tokio::time::sleep(wait).await;
        }
        let valid = self.passwords.verify(password, hash).await?;
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let user = match user {
            Some(user) if valid => user,
            _ => {
                for ((key, rule), state) in keys.iter().zip(&states) {
                    throttle_count(&mut conn, key, rule, state.as_ref(), now).await?;
                }
                tx.commit().await?;
                return Err(Error::Unauthenticated(WRONG_CREDENTIALS));
            }
        };
        if !user.is_active() {
            return Err(Error::Unauthenticated(DEACTIVATED));
        }
        // A success ends the guesser's lock for this address; the account's count from
        // elsewhere and the address's count for other accounts stay.
        store::throttle::clear(&mut conn, &keys[0].0).await?;
        if let Some(old) = replaces {
            store::sessions::delete(&mut conn, &token_hash(old)).await?;
        }
        let token = self.create_session(&mut conn, user.id, client, now).await?;
        store::users::record_login(&mut conn, user.id, now).await?;
        tx.commit().await?;
        Ok(NewSession { token, user })
    }

    async fn create_session(&self, conn: &mut Conn<'_>, user_id: UserId, client: &ClientInfo, now: DateTime<Utc>) -> Result<String> {
        let token = random_token();
        let expires_at = now + self.config.session_absolute_timeout;
        let session = store::sessions::NewSession {
            token_hash: &token_hash(&token),
            user_id,
            expires_at,
            ip: client.ip.as_deref(),
            user_agent: client.user_agent.as_deref().map(|ua| &ua[..ua.floor_char_boundary(400)]),
        };
        store::sessions::insert(conn, &session, now).await?;
        Ok(token)
    }

    /// The person behind a session cookie, if the session is live. Past its idle timeout a
    /// session ends; its last use is recorded at most once a minute to spare the writer.
    pub async fn session_user(&self, token: &str) -> Result<Option<SessionUser>> {
        let now = self.now();
        let hash = token_hash(token);
        let found = {
            let mut handle = self.db.read().await?;
            store::users::find_by_session(&mut handle.conn(), &hash, now).await?
        };
        let Some((user, last_seen_at)) = found else {
            return Ok(None);
        };
        let idle = now - last_seen_at;
        if idle > self.config.session_idle_timeout {
            self.logout(token).await?;
            return Ok(None);
        }
        if !user.is_active() {
            return Ok(None);
        }
        if idle > Duration::minutes(1) {
            let mut tx = self.db.begin().await?;
            store::sessions::touch(&mut tx.conn(), &hash, now).await?;
            tx.commit().await?;
        }
        Ok(Some(SessionUser { user, session_hash: hash }))
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        let mut tx = self.db.begin().await?;
        store::sessions::delete(&mut tx.conn(), &token_hash(token)).await?;
        tx.commit().await
    }

    /// Sends a reset link if the account exists and is active. The caller shows the same
    /// answer either way. Throttled per address and per IP.
    pub async fn request_password_reset(&self, email: &str, client: &ClientInfo) -> Result<()> {
        let now = self.now();
        let email = Email::parse(email)?;
        let address_key = format!("reset:address:{email}");
        let ip_key = format!("reset:ip:{}", client.ip.as_deref().unwrap_or("unknown"));
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let ip_state = throttle_check(&mut conn, &ip_key, &ThrottleRule::RESET_IP, now).await?;
        let address_state = throttle_check(&mut conn, &address_key, &ThrottleRule::RESET_ADDRESS, now).await?;
        // Every request counts; the one that goes over the limit is refused (and recorded).
        let ip_state = ThrottleRule::RESET_IP.after_failure(ip_state.as_ref(), now);
        let address_state = ThrottleRule::RESET_ADDRESS.after_failure(address_state.as_ref(), now);
        store::throttle::put(&mut conn, &ip_key, &ip_state).await?;
        store::throttle::put(&mut conn, &address_key, &address_state).await?;
        let over_limit = [ip_state.locked_until, address_state.locked_until].into_iter().flatten().max();
        if let Some(until) = over_limit {
            tx.commit().await?;
            return Err(Error::RateLimited {
                retry_after: (until - now).to_std().unwrap_or_default(),
            });
        }
        if let Some(user) = store::users::find_by_email(&mut conn, &email).await?.filter(User::is_active) {
            let link = self.issue_password_link(&mut conn, user.id, PasswordPurpose::Reset, now).await?;
            let subject = format!("Reset your {} password", self.config.product_name);
            let message = mail::ActionEmail {
                to: &user.email,
                to_name: &user.name,
                subject: &subject,
                paragraphs: &[
                    "Someone asked to reset the password of your account. If it was you, choose a new password with the link below. It works once and expires in one hour.",
                ],
                action_label: "Choose a new password",
                action_url: &link,
                footer: "If you did not ask for this, ignore this email: your password stays as it is.",
            };
            let email = mail::action_email(&self.branding(), &message);
            self.enqueue(&mut conn, &crate::jobs::Job::SendEmail(email)).await?;
        }
        tx.commit().await?;
        self.outbox.wake();
        Ok(())
    }

    pub fn branding(&self) -> mail::Branding<'_> {
        mail::Branding {
            product_name: &self.config.product_name,
            brand_color: &self.config.brand_color,
        }
    }

    /// Stores a new single-use password token and returns the link that carries it.
    pub(crate) async fn issue_password_link(
        &self,
        conn: &mut Conn<'_>,
        user_id: UserId,
        purpose: PasswordPurpose,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let token = random_token();
        let lifetime = match purpose {
            PasswordPurpose::Invite => INVITE_LINK_LIFETIME,
            PasswordPurpose::Reset => RESET_LINK_LIFETIME,
        };
        store::tokens::insert_password_token(conn, &token_hash(&token), user_id, purpose, now, now + lifetime).await?;
        Ok(self.link(&format!("/password/{token}")))
    }

    /// The person a password link is for, if it is still valid (to show the form).
    pub async fn password_link_user(&self, token: &str) -> Result<Option<User>> {
        // Tokens are 43 URL-safe characters; anything else cannot match and is not looked up.
        let token_shaped = token.len() <= 64 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !token_shaped {
            return Ok(None);
        }
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        match store::tokens::peek_password_token(&mut conn, &token_hash(token), self.now()).await? {
            Some(id) => Ok(Some(store::users::get(&mut conn, id).await?).filter(User::is_active)),
            None => Ok(None),
        }
    }

    /// Sets the password from an invitation or reset link, ends every other session, and
    /// opens a new one. The link works once.
    pub async fn set_password_with_link(&self, token: &str, password: &str, client: &ClientInfo) -> Result<NewSession> {
        let password = NewPassword::parse(password)?;
        let hash = self.passwords.hash(&password).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let invalid = || Error::invalid("token", "This link has expired or has already been used. Ask for a new one.");
        let user_id = store::tokens::consume_password_token(&mut conn, &token_hash(token), now)
            .await?
            .ok_or_else(invalid)?;
        let user = store::users::get(&mut conn, user_id).await?;
        if !user.is_active() {
            return Err(invalid());
        }
        // The owner proved who they are: their account's lock and their own address's end.
        // (The address's count stays: it is about every account tried from there.)
        let [pair, account, _address] = login_throttle_keys(client, user.email.as_str());
        for (key, _) in [pair, account] {
            store::throttle::clear(&mut conn, &key).await?;
        }
        let change = PasswordChange {
            user_id,
            hash: &hash,
            action: "password.set",
            detail: "password set with an emailed link",
        };
        let token = self.replace_password(&mut conn, &change, client, now).await?;
        tx.commit().await?;
        let user = self.user(user_id).await?;
        Ok(NewSession { token, user })
    }

    /// Changes the password of a logged-in person who knows the current one. Every session
    /// ends, and the browser that made the change gets a fresh one.
    pub async fn change_password(&self, session: &SessionUser, current: &str, new: &str, client: &ClientInfo) -> Result<String> {
        let user_id = session.user.id;
        let hash = {
            let mut handle = self.db.read().await?;
            store::users::password_hash(&mut handle.conn(), user_id).await?
        };
        if !self.passwords.verify(current, hash).await? {
            return Err(Error::invalid("current_password", "The current password is not correct."));
        }
        let new = NewPassword::parse(new)?;
        if new.expose() == current {
            return Err(Error::invalid("password", "The new password must differ from the current one."));
        }
        let hash = self.passwords.hash(&new).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let change = PasswordChange {
            user_id,
            hash: &hash,
            action: "password.changed",
            detail: "password changed by its owner",
        };
        let token = self.replace_password(&mut conn, &change, client, now).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Stores a new password hash and ends everything the old password opened: other password
    /// links and every session. Returns a fresh session for the browser that made the change.
    async fn replace_password(
        &self,
        conn: &mut Conn<'_>,
        change: &PasswordChange<'_>,
        client: &ClientInfo,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let user_id = change.user_id;
        store::users::set_password_hash(conn, user_id, change.hash, now).await?;
        store::tokens::retire_password_tokens(conn, user_id, now).await?;
        store::sessions::delete_for_user(conn, user_id, None).await?;
        store::audit::record(conn, Some(user_id), change.action, Some(user_id.0), change.detail, now).await?;
        self.create_session(conn, user_id, client, now).await
    }

    /// Deletes sessions past their expiry (run periodically).
    pub async fn purge_expired_sessions(&self) -> Result<u64> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let removed = store::sessions::delete_expired(&mut tx.conn(), now, now - self.config.session_idle_timeout).await?;
        tx.commit().await?;
        Ok(removed)
    }
}
