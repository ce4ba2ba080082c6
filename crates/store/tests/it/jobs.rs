//! The outbox queue: concurrent workers never claim the same job, leases expire, and
//! failures are retried or given up.

use chrono::Duration;
use std::collections::BTreeSet;
use store::on_both_databases;
use store::testing::{Backend, fresh_db};

on_both_databases!(
    concurrent_workers_claim_each_job_once,
    an_expired_lease_makes_the_job_due_again,
    failures_are_retried_then_given_up
);

async fn concurrent_workers_claim_each_job_once(backend: Backend) {
    let (db, _dir) = fresh_db(backend).await;
    let now = store::now();
    let mut tx = db.begin().await.unwrap();
    for i in 0..40 {
        store::jobs::enqueue(&mut tx.conn(), "test", &format!("{{\"n\":{i}}}"), 5, now, now)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let workers: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut claimed = vec![];
                loop {
                    let mut tx = db.begin().await.unwrap();
                    let job = store::jobs::claim(&mut tx.conn(), now, now + Duration::minutes(5)).await.unwrap();
                    tx.commit().await.unwrap();
                    match job {
                        Some(job) => claimed.push(job.id),
                        None => return claimed,
                    }
                }
            })
        })
        .collect();
    let mut all = vec![];
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let distinct: BTreeSet<_> = all.iter().collect();
    assert_eq!(all.len(), 40, "every job claimed");
    assert_eq!(distinct.len(), 40, "no job claimed twice");
}

async fn an_expired_lease_makes_the_job_due_again(backend: Backend) {
    let (db, _dir) = fresh_db(backend).await;
    let now = store::now();
    let mut tx = db.begin().await.unwrap();
    let id = store::jobs::enqueue(&mut tx.conn(), "test", "{}", 5, now, now).await.unwrap();
    let first = store::jobs::claim(&mut tx.conn(), now, now + Duration::minutes(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.id, first.attempts), (id, 1));
    assert!(
        store::jobs::claim(&mut tx.conn(), now + Duration::minutes(1), now + Duration::minutes(6))
            .await
            .unwrap()
            .is_none(),
        "leased"
    );
    let again = store::jobs::claim(&mut tx.conn(), now + Duration::minutes(6), now + Duration::minutes(11))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.id, again.attempts), (id, 2), "a crashed worker's job is retried");
    tx.commit().await.unwrap();
}

async fn failures_are_retried_then_given_up(backend: Backend) {
    let (db, _dir) = fresh_db(backend).await;
    let now = store::now();
    let mut tx = db.begin().await.unwrap();
    let mut conn = tx.conn();
    store::jobs::enqueue(&mut conn, "test", "{\"secret\":\"link\"}", 2, now, now)
        .await
        .unwrap();
    let job = store::jobs::claim(&mut conn, now, now + Duration::minutes(5))
        .await
        .unwrap()
        .unwrap();
    store::jobs::fail(&mut conn, job.id, "SMTP down", Some(now + Duration::seconds(30)), now)
        .await
        .unwrap();
    assert!(
        store::jobs::claim(&mut conn, now + Duration::seconds(10), now + Duration::minutes(5))
            .await
            .unwrap()
            .is_none(),
        "not before the backoff"
    );
    assert_eq!(store::jobs::next_due(&mut conn).await.unwrap(), Some(now + Duration::seconds(30)));
    let job = store::jobs::claim(&mut conn, now + Duration::seconds(31), now + Duration::minutes(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.attempts, 2);
    store::jobs::fail(&mut conn, job.id, "SMTP down", None, now).await.unwrap();
    let counts = store::jobs::counts(&mut conn).await.unwrap();
    assert_eq!((counts.pending, counts.failed), (0, 1));
    assert_eq!(store::jobs::next_due(&mut conn).await.unwrap(), None);
}
