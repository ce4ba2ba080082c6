//! The demo workspace: an admin, a staff member and two client organisations with one
//! contact each, all with the password `portico-demo`. Seeding is idempotent: a restart
//! finds the people already there and adds nothing.

use crate::App;
use crate::users::{Actor, FirstPassword, NewUserInput};
use domain::Result;
use domain::users::Email;

pub const DEMO_PASSWORD: &str = "portico-demo";

/// One demo login, printed at start.
pub struct DemoLogin {
    pub role: &'static str,
    pub email: &'static str,
    pub organisation: Option<&'static str>,
}

pub const DEMO_LOGINS: &[DemoLogin] = &[
    DemoLogin {
        role: "admin",
        email: "admin@example.com",
        organisation: None,
    },
    DemoLogin {
        role: "staff",
        email: "staff@example.com",
        organisation: None,
    },
    DemoLogin {
        role: "client",
        email: "client@example.com",
        organisation: Some("Acme"),
    },
    DemoLogin {
        role: "client",
        email: "other@example.net",
        organisation: Some("Globex"),
    },
];

const DEMO_NAMES: &[&str] = &["Ada Admin", "Sam Staff", "Carla Client", "Oscar Other"];

impl App {
    /// Creates whatever of the demo workspace is missing. Returns how many people it added.
    pub async fn seed_demo(&self) -> Result<usize> {
        let mut added = 0;
        for (login, name) in DEMO_LOGINS.iter().zip(DEMO_NAMES) {
            let exists = {
                let mut handle = self.db.read().await?;
                store::users::find_by_email(&mut handle.conn(), &Email::parse(login.email)?)
                    .await?
                    .is_some()
            };
            if exists {
                continue;
            }
            let client_org_id = match login.organisation {
                Some(org) => Some(self.find_or_create_client_org(org).await?),
                None => None,
            };
            let input = NewUserInput {
                email: login.email.into(),
                name: (*name).into(),
                role: login.role.into(),
                client_org_id,
            };
            self.create_user(&Actor::Operator, &input, FirstPassword::Set(DEMO_PASSWORD.into()))
                .await?;
            added += 1;
        }
        Ok(added)
    }
}
