//! Several nodes on one database: a node that cannot open the secrets the first node sealed,
//! or that keeps files somewhere else, refuses to start and says what to share; a node that
//! shares both serves the same workspace (sessions, files). On SQLite and PostgreSQL.

use crate::support::*;
use reqwest::StatusCode;
use store::on_both_databases;

on_both_databases!(a_second_node_must_share_the_secrets_key_and_the_file_storage);

async fn a_second_node_must_share_the_secrets_key_and_the_file_storage(backend: Backend) {
    let first = TestApp::spawn(backend).await;
    let demo = first.demo().await;
    let sam = first.login(STAFF, DEMO_PASSWORD).await;
    let uploaded = sam
        .upload(
            &format!("/projects/{}/files", demo.acme),
            &[("handover.txt", b"shared bytes", "text/plain")],
        )
        .await;
    assert!(uploaded.flash().contains("Uploaded handover.txt"), "{}", uploaded.flash());
    let app::storage::StorageConfig::Local { root } = first.app.config.files.storage.clone() else {
        panic!("the first node keeps files on local disk");
    };
    let second = |vault: Option<app::vault::Vault>, files_root: Option<std::path::PathBuf>| Options {
        database_url: Some(first.database_url.clone()),
        seed_demo: false,
        vault,
        files_root,
        ..Default::default()
    };

    // Its own secrets key (what a fresh data directory makes): refused, saying what to share.
    let refused = TestApp::try_spawn_with(backend, second(None, Some(root.clone())))
        .await
        .err()
        .expect("a node with another secrets key does not start");
    let said = refused.to_string();
    assert!(said.contains("secrets key") && said.contains("same key file"), "{said}");

    // The same key, its own files directory: refused, naming both places.
    let refused = TestApp::try_spawn_with(backend, second(Some(first.app.config.vault.clone()), None))
        .await
        .err()
        .expect("a node with its own file storage does not start");
    let said = refused.to_string();
    assert!(said.contains("file storage") && said.contains("the same storage"), "{said}");

    // Sharing both, it starts and serves the same workspace: a login, the file from node one.
    let node = TestApp::spawn_with(backend, second(Some(first.app.config.vault.clone()), Some(root))).await;
    let file = {
        let files = node
            .app
            .files_in(&demo.admin, demo.acme, app::files::Destination::Top, None, 200)
            .await
            .unwrap();
        files.iter().find(|f| f.name == "handover.txt").expect("the file is listed").id
    };
    let sam_there = node.login(STAFF, DEMO_PASSWORD).await;
    let download = sam_there.get(&format!("/projects/{}/files/{file}/download", demo.acme)).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body, "shared bytes");
}
