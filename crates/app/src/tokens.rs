//! Personal access tokens for the JSON API: shown once, stored as a hash, tied to a person
//! whose role and state they carry (a deactivated person's tokens stop working).

use crate::App;
use crate::secrets::{random_token, token_hash};
use domain::users::{Email, User};
use domain::{Error, Result};

/// The prefix makes leaked tokens recognisable to secret scanners.
pub const TOKEN_PREFIX: &str = "pt_";

impl App {
    /// Creates a token for the person with this email and returns it (the only time it is shown).
    pub async fn create_api_token(&self, email: &str, name: &str) -> Result<String> {
        let email = Email::parse(email)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::invalid("name", "give the token a name of 1 to 100 characters"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let user = store::users::find_by_email(&mut conn, &email)
            .await?
            .ok_or_else(|| Error::invalid("email", format!("no person with the email {email}")))?;
        if !user.is_active() {
            return Err(Error::invalid("email", "this person is deactivated"));
        }
        let token = format!("{TOKEN_PREFIX}{}", random_token());
        let id = store::tokens::insert_api_token(&mut conn, user.id, name, &token_hash(&token), now).await?;
        store::audit::record(
            &mut conn,
            None,
            "api_token.created",
            Some(user.id.0),
            &format!("token {name:?} ({id}) created"),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The active person behind a bearer token.
    pub async fn api_token_user(&self, token: &str) -> Result<Option<User>> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let Some(id) = store::tokens::api_token_owner(&mut conn, &token_hash(token)).await? else {
            return Ok(None);
        };
        Ok(Some(store::users::get(&mut conn, id).await?).filter(User::is_active))
    }
}
