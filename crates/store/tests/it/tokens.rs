//! Password links work once, even when two requests race to use the same one.

use chrono::Duration;
use domain::users::{Email, PersonName, Role};
use store::on_both_databases;
use store::testing::{Backend, fresh_db};
use store::tokens::PasswordPurpose;

on_both_databases!(a_password_token_is_consumed_exactly_once, expired_tokens_are_refused);

async fn person(db: &store::Db) -> domain::ids::UserId {
    let mut tx = db.begin().await.unwrap();
    let email = Email::parse("ann@example.com").unwrap();
    let name = PersonName::parse("Ann").unwrap();
    let new = store::users::NewUser {
        email: &email,
        name: &name,
        role: Role::Staff,
        client_org_id: None,
        password_hash: None,
    };
    let id = store::users::insert(&mut tx.conn(), &new, store::now()).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn a_password_token_is_consumed_exactly_once(backend: Backend) {
    let (db, _dir) = fresh_db(backend).await;
    let user = person(&db).await;
    let now = store::now();
    let mut tx = db.begin().await.unwrap();
    store::tokens::insert_password_token(
        &mut tx.conn(),
        b"hash-of-secret",
        user,
        PasswordPurpose::Reset,
        now,
        now + Duration::hours(1),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let attempts: Vec<_> = (0..6)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut tx = db.begin().await.unwrap();
                let owner = store::tokens::consume_password_token(&mut tx.conn(), b"hash-of-secret", store::now())
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                owner
            })
        })
        .collect();
    let mut winners = 0;
    for attempt in attempts {
        if let Some(owner) = attempt.await.unwrap() {
            assert_eq!(owner, user);
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

async fn expired_tokens_are_refused(backend: Backend) {
    let (db, _dir) = fresh_db(backend).await;
    let user = person(&db).await;
    let issued = store::now() - Duration::hours(2);
    let mut tx = db.begin().await.unwrap();
    let mut conn = tx.conn();
    store::tokens::insert_password_token(&mut conn, b"old", user, PasswordPurpose::Reset, issued, issued + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        store::tokens::peek_password_token(&mut conn, b"old", store::now()).await.unwrap(),
        None
    );
    assert_eq!(
        store::tokens::consume_password_token(&mut conn, b"old", store::now())
            .await
            .unwrap(),
        None
    );
}
