//! Files over HTTP: upload, versions, download with ranges and safe headers, who sees what,
//! and the bad input of the issue. Each storage scenario runs on SQLite and PostgreSQL, each
//! with local storage and with S3 (s3s-fs); a half whose suite is off is reported as ignored.

use crate::support::*;
use domain::ids::ProjectId;
use reqwest::StatusCode;
use store::on_both_databases;

/// Runs a file scenario on each database with each storage: `sqlite_local`, `postgres_local`,
/// `sqlite_s3`, `postgres_s3`.
macro_rules! on_each_database_and_storage {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use crate::support::{Backend, FileStorage};

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite_local() {
                    super::$name(Backend::Sqlite, FileStorage::Local).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(portico_postgres_suite), ignore = "PostgreSQL suite off: set PORTICO_TEST_POSTGRES_URL to run it")]
                async fn postgres_local() {
                    super::$name(Backend::Postgres, FileStorage::Local).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(portico_s3_suite), ignore = "S3 suite off: set PORTICO_TEST_S3_URL and PORTICO_TEST_S3_ROOT to run it")]
                async fn sqlite_s3() {
                    super::$name(Backend::Sqlite, FileStorage::S3).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(
                    not(all(portico_s3_suite, portico_postgres_suite)),
                    ignore = "S3 suite off: set PORTICO_TEST_S3_URL, PORTICO_TEST_S3_ROOT and PORTICO_TEST_POSTGRES_URL to run it"
                )]
                async fn postgres_s3() {
                    super::$name(Backend::Postgres, FileStorage::S3).await;
                }
            }
        )*
    };
}

on_each_database_and_storage!(
    uploads_version_and_download_exactly,
    clients_see_shared_files_and_their_own_uploads_only,
    bad_uploads_are_refused_and_lose_nothing,
    an_upload_cut_off_half_way_leaves_nothing,
    two_uploads_of_one_name_at_once_become_two_versions,
    a_file_whose_object_vanished_gives_a_clear_error,
    attachments_are_seen_only_where_their_task_is,
    the_trash_restores_and_purges,
    the_trash_is_purged_at_once_with_a_period_of_0_days,
    orphans_are_found_both_ways_and_cleaned_up,
    files_and_folders_are_renamed_and_moved,
    images_get_thumbnails_behind_the_policy,
    a_large_folder_is_listed_page_by_page,
    the_api_uploads_lists_downloads_and_shares,
);

on_both_databases!(
    clients_browse_the_folders_that_hold_what_is_shared_with_them,
    what_staff_attach_to_a_shared_task_is_what_its_client_reviews,
    why_and_preview_cover_files,
    a_back_address_with_line_breaks_is_refused_before_the_change,
    file_names_given_only_as_filename_star_are_read_and_nameless_files_are_reported,
    an_upload_cut_off_by_a_crash_is_reported_and_removed,
);

/// A process killed mid-upload left a 56 MiB `…#1` file that the orphan check did not see
/// ("storage and the file list agree"). Local storage only: S3 expires unfinished uploads.
async fn an_upload_cut_off_by_a_crash_is_reported_and_removed(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    // An upload that never finishes or aborts: what a kill -9 leaves.
    let mut upload = t.app.storage.begin("files/crashed/upload").await.unwrap();
    upload.write(bytes::Bytes::from(vec![7u8; 64 * 1024])).await.unwrap();
    std::mem::forget(upload);
    let partial = t.app.storage.partial_uploads("files").await.unwrap();
    assert_eq!(partial.len(), 1, "{partial:?}");
    assert!(partial[0].key.starts_with("files/crashed/upload#"), "{partial:?}");

    admin.post_form("/admin/media/orphans", &[]).await;
    let report = media_task_result(&admin).await;
    assert!(report.contains("Uploads that never finished (1)"), "{report}");
    assert!(report.contains(&partial[0].key));
    assert!(!report.contains("Storage and the file list agree"));

    // At start-up, only what nobody has written to for a while goes.
    assert_eq!(t.app.remove_abandoned_uploads(chrono::Duration::minutes(2)).await.unwrap(), 0);
    assert_eq!(t.app.remove_abandoned_uploads(chrono::Duration::zero()).await.unwrap(), 1);
    assert!(t.app.storage.partial_uploads("files").await.unwrap().is_empty());
    admin.post_form("/admin/media/orphans", &[]).await;
    assert!(media_task_result(&admin).await.contains("Storage and the file list agree"));
}

/// A multipart body written by hand: each part's Content-Disposition parameters and bytes.
fn multipart_body(boundary: &str, parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (disposition, bytes) in parts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// A part with only `filename*=` was dropped without a word (the API answered 422 with empty
/// lists, the portal 200 and no message). Now the name is read, and what cannot be is said.
async fn file_names_given_only_as_filename_star_are_read_and_nameless_files_are_reported(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let sam = t.login(STAFF, DEMO_PASSWORD).await;
    let token = sam.csrf().await;
    let boundary = "starstarstar";
    let body = multipart_body(
        boundary,
        &[
            ("name=\"files\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt", b"cv"),
            ("name=\"files\"; filename*=Shift_JIS''%82%A0.txt", b"sjis"),
            ("name=\"files\"", b"no name at all"),
        ],
    );
    let response = sam
        .http
        .post(t.url(&format!("/projects/{}/files?_csrf={token}", demo.acme)))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .header("x-requested-with", "fetch")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let report: serde_json::Value = response.json().await.unwrap();
    assert_eq!(report["uploaded"][0]["name"], "résumé.txt", "{report}");
    let errors = report["errors"].to_string();
    assert!(errors.contains("Shift_JIS character set"), "{errors}");
    assert!(errors.contains("without a file name"), "{errors}");

    // The portal's form says the same in its message.
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let token = carla.csrf().await;
    let body = multipart_body(boundary, &[("name=\"files\"", b"nameless")]);
    let page = carla
        .http
        .post(t.url(&format!("/portal/projects/{}/files?_csrf={token}", demo.acme)))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    let page = Page {
        status: page.status(),
        headers: page.headers().clone(),
        body: String::new(),
    };
    assert!(page.flash().contains("without a file name"), "{}", page.flash());
}

/// A CR, LF or other control character in a form's `back` field was a 500 after the change
/// had been saved. Now the address is checked first and a bad one leads to the files page.
async fn a_back_address_with_line_breaks_is_refused_before_the_change(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let sam = t.login(STAFF, DEMO_PASSWORD).await;
    let file = file_id(&t, demo.shared, "Licence costs.txt").await;
    let files = format!("/projects/{}/files", demo.shared);
    for back in [
        format!("{files}\r\nX-Injected: 1"),
        format!("{files}\n"),
        format!("{files}\u{0}"),
        format!("{files}\u{7f}"),
        format!("{files}\t"),
        "https://evil.example/".to_owned(),
        "//evil.example/".to_owned(),
    ] {
        let page = sam
            .post_form(&format!("{files}/{file}/visibility"), &[("shared", "on"), ("back", &back)])
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{back:?}: {}", page.body);
        assert_eq!(page.location(), files, "{back:?} leads to the files page");
        assert!(!page.headers.contains_key("x-injected"));
    }
    let kept = sam
        .post_form(
            &format!("{files}/{file}/visibility"),
            &[("shared", ""), ("back", &format!("{files}/{file}"))],
        )
        .await;
    assert_eq!(kept.location(), format!("{files}/{file}"), "a page of the project is kept");
}

/// Runs a scenario with each storage the suite has.
/// The ids of the files listed on a staff files page, by name.
async fn file_id(app: &TestApp, project: ProjectId, name: &str) -> String {
    let admin = app.demo().await.admin;
    let files = app
        .app
        .files_in(&admin, project, app::files::Destination::Top, None, 200)
        .await
        .unwrap();
    files
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no file {name}"))
        .id
        .to_string()
}

/// Downloads a file, following an S3 presigned link when storage hands one out.
async fn fetch(client: &Client, path: &str, headers: &[(&str, &str)]) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let (status, response_headers, body) = client.get_bytes(path, headers).await;
    if status == StatusCode::SEE_OTHER || status == StatusCode::FOUND || status == StatusCode::TEMPORARY_REDIRECT {
        let link = response_headers["location"].to_str().unwrap().to_owned();
        assert!(link.contains("X-Amz-Signature="), "a presigned link: {link}");
        assert!(link.contains("X-Amz-Expires=300"), "links live five minutes: {link}");
        let mut request = reqwest::Client::new().get(&link);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        return (status, headers, response.bytes().await.unwrap().to_vec());
    }
    (status, response_headers, body)
}

fn is_local(headers: &reqwest::header::HeaderMap) -> bool {
    headers.get("content-security-policy").is_some()
}

async fn uploads_version_and_download_exactly(backend: Backend, storage: FileStorage) {
    let t = TestApp::spawn_with(
        backend,
        Options {
            storage,
            ..Options::default()
        },
    )
    .await;
    let demo = t.demo().await;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let files = format!("/projects/{}/files", demo.acme);
    // Larger than one storage part, so the upload is really streamed in parts.
    let big: Vec<u8> = (0..9 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let page = staff
        .upload(
            &files,
            &[
                ("Brief (v1).pdf", b"%PDF-1.7\n first", "application/pdf"),
                ("big.bin", &big, "application/octet-stream"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let listing = staff.get(&files).await;
    assert!(
        listing.body.contains("Brief (v1).pdf") && listing.body.contains("big.bin"),
        "{}",
        listing.body
    );

    let brief = file_id(&t, demo.acme, "Brief (v1).pdf").await;
    let download = format!("{files}/{brief}/download");
    let (status, headers, body) = fetch(&staff, &download, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"%PDF-1.7\n first");
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"Brief (v1).pdf\"; filename*=UTF-8''Brief%20%28v1%29.pdf"
    );
    if is_local(&headers) {
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers["content-security-policy"].to_str().unwrap().starts_with("sandbox"));
    }

    // The same name again is version 2; version 1 stays downloadable by staff.
    let page = staff
        .upload(&files, &[("brief (V1).PDF", b"%PDF-1.7\n second", "application/pdf")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(fetch(&staff, &download, &[]).await.2, b"%PDF-1.7\n second");
    assert_eq!(fetch(&staff, &format!("{download}?version=1"), &[]).await.2, b"%PDF-1.7\n first");

    // Ranges: the middle, the tail, and one outside the file.
    let big_id = file_id(&t, demo.acme, "big.bin").await;
    let big_path = format!("{files}/{big_id}/download");
    let (status, headers, body) = fetch(&staff, &big_path, &[("range", "bytes=1000-1999")]).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body, big[1000..2000]);
    assert_eq!(headers["content-range"], format!("bytes 1000-1999/{}", big.len()));
    let (_, _, tail) = fetch(&staff, &big_path, &[("range", "bytes=-10")]).await;
    assert_eq!(tail, big[big.len() - 10..]);
    let (status, _, whole) = fetch(&staff, &big_path, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(whole == big, "the whole file comes back byte for byte");
    if t.app.storage.link("x", "a", "b").await.unwrap().is_none() {
        let (status, _, _) = fetch(&staff, &big_path, &[("range", "bytes=999999999-")]).await;
        assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    }
}

async fn clients_see_shared_files_and_their_own_uploads_only(backend: Backend, storage: FileStorage) {
    let t = TestApp::spawn_with(
        backend,
        Options {
            storage,
            ..Options::default()
        },
    )
    .await;
    let demo = t.demo().await;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let acme = t.login(CLIENT, DEMO_PASSWORD).await;
    let globex = t.login(OTHER_CLIENT, DEMO_PASSWORD).await;
    let staff_files = format!("/projects/{}/files", demo.shared);
    let portal_files = format!("/portal/projects/{}/files", demo.shared);
    staff.upload(&staff_files, &[("plan.txt", b"internal plan", "text/plain")]).await;
    let plan = file_id(&t, demo.shared, "plan.txt").await;

    // Internal: neither client sees it or can fetch it by id.
    assert!(!acme.get(&portal_files).await.body.contains("plan.txt"));
    let (status, _, _) = acme.get_bytes(&format!("{portal_files}/{plan}/download"), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Shared: both clients on the project see it.
    let page = staff
        .post_form(&format!("{staff_files}/{plan}/visibility"), &[("shared", "on")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    for client in [&acme, &globex] {
        assert!(client.get(&portal_files).await.body.contains("plan.txt"));
        let (status, _, body) = fetch(client, &format!("{portal_files}/{plan}/download"), &[]).await;
        assert_eq!((status, body.as_slice()), (StatusCode::OK, &b"internal plan"[..]));
    }
    // Clients never get older versions.
    let (status, _, _) = acme.get_bytes(&format!("{portal_files}/{plan}/download?version=1"), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Acme's upload: staff and Acme see it, Globex on the same project does not.
    let page = acme.upload(&portal_files, &[("acme-notes.txt", b"from acme", "text/plain")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let notes = file_id(&t, demo.shared, "acme-notes.txt").await;
    assert!(acme.get(&portal_files).await.body.contains("acme-notes.txt"));
    assert!(!globex.get(&portal_files).await.body.contains("acme-notes.txt"));
    let (status, _, _) = globex.get_bytes(&format!("{portal_files}/{notes}/download"), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(staff.get(&staff_files).await.body.contains("acme-notes.txt"));
    // The upload is in the activity feed for staff and Acme, never for Globex; sharing
    // a file is an event too.
    let overview = staff.get(&format!("/projects/{}", demo.shared)).await.body;
    assert!(overview.contains("uploaded") && overview.contains("acme-notes.txt"), "staff feed");
    assert!(overview.contains("shared the file"), "the share of plan.txt");
    assert!(acme.get("/portal").await.body.contains("acme-notes.txt"));
    assert!(!globex.get("/portal").await.body.contains("acme-notes.txt"));
    // An upload of the same name by Globex is Globex's own file, not a version of Acme's.
    globex
        .upload(&portal_files, &[("acme-notes.txt", b"from globex", "text/plain")])
        .await;
    let (_, _, body) = fetch(&acme, &format!("{portal_files}/{notes}/download"), &[]).await;
    assert_eq!(body, b"from acme");

    // A finance-only contact has no files page; staff routes stay closed to clients.
    let finance = t.login(FINANCE, DEMO_PASSWORD).await;
    assert_eq!(
        finance.get(&format!("/portal/projects/{}/files", demo.acme)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(acme.get(&staff_files).await.status, StatusCode::FORBIDDEN);
}

async fn bad_uploads_are_refused_and_lose_nothing(backend: Backend, storage: FileStorage) {
    let options = Options {
        max_upload_bytes: 1024 * 1024,
        ..Options::default()
    };
    let t = TestApp::spawn_with(backend, Options { storage, ..options }).await;
    let demo = t.demo().await;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let files = format!("/projects/{}/files", demo.acme);
    let too_big = vec![7u8; 1024 * 1024 + 1];
    let long_name = format!("{}.txt", "n".repeat(10_000));
    let page = staff
        .upload(
            &files,
            &[
                ("empty.txt", b"", "text/plain"),
                ("huge.bin", &too_big, "application/octet-stream"),
                ("../../etc/passwd", b"root", "text/plain"),
                ("/abs/path.txt", b"abs", "text/plain"),
                ("photo\u{202E}gpj.exe", b"rlo", "text/plain"),
                ("...", b"dots", "text/plain"),
                (&long_name, b"long", "text/plain"),
                ("fake.png", b"<!DOCTYPE html><script>alert(1)</script>", "image/png"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let flash = page.flash();
    assert!(flash.contains("empty.txt is empty"), "{flash}");
    assert!(flash.contains("huge.bin is larger than the limit of 1.0 MB"), "{flash}");
    assert!(flash.contains("The file needs a name"), "{flash}");
    assert!(!flash.contains("interrupted"), "{flash}");
    assert_eq!(page.flash_kind(), "warning", "some files were refused: {flash}");

    // A NUL in the multipart header itself makes the request malformed: a clear message,
    // and nothing half-saved.
    let page = staff.upload(&files, &[("nul\0name.txt", b"nul", "text/plain")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let flash = page.flash();
    assert!(
        flash.contains("The upload was interrupted") && flash.contains("were not saved"),
        "{flash}"
    );
    assert_eq!(page.flash_kind(), "error");

    let admin = t.demo().await.admin;
    let listed: Vec<String> = t
        .app
        .files_in(&admin, demo.acme, app::files::Destination::Top, None, 200)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    for expected in ["passwd", "path.txt", "photogpj.exe", "fake.png"] {
        assert!(listed.iter().any(|n| n == expected), "{expected} in {listed:?}");
    }
    assert!(listed.iter().any(|n| n.chars().count() == 180 && n.ends_with(".txt")), "{listed:?}");
    assert!(!listed.iter().any(|n| n == "empty.txt" || n == "huge.bin"));

    // The lying image is HTML: served only as a download, never as HTML or an image.
    // A project quota (set by an admin on the files page): what is stored counts, and an
    // upload that would pass it is refused.
    t.app.set_storage_quota(&demo.admin, demo.globex, Some(64)).await.unwrap();
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let page = admin
        .post_form(&format!("/projects/{}/files/quota", demo.globex), &[("quota_mb", "many")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        admin
            .get(&format!("/projects/{}/files", demo.globex))
            .await
            .body
            .contains("whole number of megabytes")
    );
    let globex_files = format!("/projects/{}/files", demo.globex);
    let page = staff
        .upload(&globex_files, &[("over-quota.bin", &[1u8; 100], "application/octet-stream")])
        .await;
    let flash = page.flash();
    assert!(flash.contains("does not fit in the project's storage quota"), "{flash}");
    // The quota counts the request's own files as they are saved.
    t.app
        .set_storage_quota(&demo.admin, demo.globex, Some(used_by(&t, demo.globex).await + 150))
        .await
        .unwrap();
    let page = staff
        .upload(
            &globex_files,
            &[
                ("q1.bin", &[1u8; 100], "application/octet-stream"),
                ("q2.bin", &[2u8; 100], "application/octet-stream"),
            ],
        )
        .await;
    let flash = page.flash();
    assert!(flash.contains("q2.bin does not fit"), "{flash}");
    let page = admin
        .post_form(&format!("/projects/{}/files/quota", demo.globex), &[("quota_mb", "")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = staff
        .upload(&globex_files, &[("over-quota.bin", &[1u8; 100], "application/octet-stream")])
        .await;
    let flash = page.flash();
    assert!(flash.contains("Uploaded over-quota.bin"), "{flash}");
    assert_eq!(page.flash_kind(), "success");

    let fake = file_id(&t, demo.acme, "fake.png").await;
    let (_, headers, _) = fetch(&staff, &format!("{files}/{fake}/download?inline=true"), &[]).await;
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment;"));
}

/// A client that hangs up half way through an upload leaves nothing: no file, no staging
/// file on the local disk, no multipart upload or part open on S3. Checked on the disk itself,
/// after first seeing the unfinished upload there.
async fn an_upload_cut_off_half_way_leaves_nothing(backend: Backend, storage: FileStorage) {
    let t = TestApp::spawn_with(
        backend,
        Options {
            storage,
            ..Options::default()
        },
    )
    .await;
    use tokio::io::AsyncWriteExt;
    let demo = t.demo().await;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let token = staff.csrf().await;
    let cookies = staff.cookie_header();
    // A raw request that announces 20 MB and sends 10 (more than one 8 MB part), then hangs up.
    let boundary = "cutcutcut";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"cut.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    let request = format!(
        "POST /projects/{}/files?_csrf={token} HTTP/1.1\r\nHost: {}\r\nCookie: {cookies}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n{head}",
        demo.acme,
        t.addr,
        head.len() + 20 * 1024 * 1024 + 40,
    );
    let before = t.files_on_disk.contents();
    let mut stream = tokio::net::TcpStream::connect(t.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(&vec![1u8; 10 * 1024 * 1024]).await.unwrap();
    stream.flush().await.unwrap();
    // The upload is on the disk, unfinished: a staging file, or an open upload with a part.
    t.wait_until("the unfinished upload to reach the disk", || async {
        let now = t.files_on_disk.contents();
        let uploads = t.files_on_disk.open_uploads();
        now != before && uploads.iter().all(|u| !t.files_on_disk.parts_of(u).is_empty())
    })
    .await;
    let unfinished: Vec<String> = t.files_on_disk.contents().difference(&before).cloned().collect();
    let uploads = t.files_on_disk.open_uploads();
    drop(stream);

    // The open upload goes first, then its parts.
    let parts_left = || uploads.iter().flat_map(|u| t.files_on_disk.parts_of(u)).collect::<Vec<_>>();
    t.wait_until("the cut-off upload to be cleaned up", || async {
        t.files_on_disk.contents() == before && parts_left().is_empty()
    })
    .await;
    assert!(!unfinished.is_empty(), "the upload was seen unfinished on the disk");
    let admin = t.demo().await.admin;
    let listed = t
        .app
        .files_in(&admin, demo.acme, app::files::Destination::Top, None, 200)
        .await
        .unwrap();
    assert!(listed.iter().all(|f| f.name != "cut.bin"), "no file from a cut-off upload");
}

async fn two_uploads_of_one_name_at_once_become_two_versions(backend: Backend, storage: FileStorage) {
    let t = TestApp::spawn_with(
        backend,
        Options {
            storage,
            ..Options::default()
        },
    )
    .await;
    let demo = t.demo().await;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let files = format!("/projects/{}/files", demo.acme);
    let (a, b) = tokio::join!(
        staff.upload(&files, &[("same.txt", b"first", "text/plain")]),
        staff.upload(&files, &[("same.txt", b"second", "text/plain")]),
    );
    assert_eq!((a.status, b.status), (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER));
    let admin = t.demo().await.admin;
    let same: Vec<_> = t
        .app
        .files_in(&admin, demo.acme, app::files::Destination::Top, None, 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.name == "same.txt")
        .collect();
    assert_eq!(same.len(), 1, "one file");
    assert_eq!(same[0].version_count, 2, "two versions");
}

async fn a_file_whose_object_vanished_gives_a_clear_error(backend: Backend, storage: FileStorage) {
    let t = TestApp::spawn_with(
        backend,
        Options {
            storage,
            ..Options::default()
        },
    )
    .await;
    let demo = t.demo().await;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let files = format!("/projects/{}/files", demo.acme);
    staff.upload(&files, &[("gone.txt", b"soon gone", "text/plain")]).await;
    let id = file_id(&t, demo.acme, "gone.txt").await;
    let (_, versions) = t.app.file(&demo.admin, demo.acme, id.parse().unwrap()).await.unwrap();
    assert!(t.app.storage.exists(&versions[0].object_key).await.unwrap());
    t.app.storage.delete(&versions[0].object_key).await.unwrap();
    if t.app.storage.link("x", "a", "b").await.unwrap().is_none() {
        let page = staff.get(&format!("{files}/{id}/download")).await;
        assert_eq!(page.status, StatusCode::CONFLICT);
        assert!(page.body.contains("missing from storage"), "{}", page.body);
    }
}

async fn attachments_are_seen_only_where_their_task_is(backend: Backend, storage: FileStorage) {
    let t = TestApp::spawn_with(
        backend,
        Options {
            storage,
            ..Options::default()
        },
    )
    .await;
    let demo = t.demo().await;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let acme = t.login(CLIENT, DEMO_PASSWORD).await;
    let globex = t.login(OTHER_CLIENT, DEMO_PASSWORD).await;
    let palette = demo.task(demo.shared, "Colour palette").await;
    let budget = demo.task(demo.shared, "Budget check").await;
    let staff_task = |task| format!("/projects/{}/tasks/{task}", demo.shared);
    let portal_task = |task| format!("/portal/projects/{}/tasks/{task}", demo.shared);

    let page = staff
        .upload(
            &format!("{}/attachments", staff_task(palette)),
            &[("swatches.png", b"\x89PNG\r\n\x1a\n", "image/png")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), format!("{}#attachments", staff_task(palette)));
    staff
        .upload(
            &format!("{}/attachments", staff_task(budget)),
            &[("quote.txt", b"quote", "text/plain")],
        )
        .await;
    assert!(staff.get(&staff_task(palette)).await.body.contains("swatches.png"));

    // Attached to a shared task, it is shared at once; made internal, it is hidden; shared
    // again, it is visible where the task is.
    assert!(acme.get(&portal_task(palette)).await.body.contains("swatches.png"));
    let admin = demo.admin;
    let files = |task| {
        let app = t.app.clone();
        async move {
            app.files_in(&admin, demo.shared, app::files::Destination::Task(task), None, 50)
                .await
                .unwrap()
        }
    };
    let swatches = files(palette).await[0].id;
    let quote = files(budget).await[0].id;
    let back = format!("{}#attachments", staff_task(palette));
    let visibility = format!("/projects/{}/files/{swatches}/visibility", demo.shared);
    staff.post_form(&visibility, &[("back", &back)]).await;
    assert!(!acme.get(&portal_task(palette)).await.body.contains("swatches.png"));
    let page = staff.post_form(&visibility, &[("shared", "on"), ("back", &back)]).await;
    assert_eq!(page.location(), back, "back to the task");
    // A `back` outside the project is ignored.
    let page = staff
        .post_form(
            &format!("/projects/{}/files/{quote}/visibility", demo.shared),
            &[("shared", "on"), ("back", "https://evil.example/")],
        )
        .await;
    assert_eq!(page.location(), format!("/projects/{}/files", demo.shared));
    for client in [&acme, &globex] {
        assert!(client.get(&portal_task(palette)).await.body.contains("swatches.png"));
    }
    // An attachment keeps its name and its task: renaming or moving it is refused, clearly.
    let rename = app::files::FileChange {
        name: Some("palette.png".into()),
        ..Default::default()
    };
    match t.app.change_file(&admin, demo.shared, swatches, &rename).await {
        Err(domain::Error::Invalid { message, .. }) => assert!(message.contains("belongs to its task"), "{message}"),
        other => panic!("renaming an attachment: {other:?}"),
    }
    // Shared, but on an internal task: hidden with its task.
    let (status, _, _) = acme
        .get_bytes(&format!("/portal/projects/{}/files/{quote}/download", demo.shared), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Acme's attachment: Acme and staff see it, Globex does not.
    let page = acme
        .upload(
            &format!("{}/attachments", portal_task(palette)),
            &[("acme-feedback.txt", b"ok", "text/plain")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(acme.get(&portal_task(palette)).await.body.contains("acme-feedback.txt"));
    assert!(!globex.get(&portal_task(palette)).await.body.contains("acme-feedback.txt"));
    assert!(staff.get(&staff_task(palette)).await.body.contains("acme-feedback.txt"));
    // No attaching to a task the client cannot see.
    let page = acme
        .upload(&format!("{}/attachments", portal_task(budget)), &[("x.txt", b"x", "text/plain")])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

async fn the_trash_restores_and_purges(backend: Backend, storage: FileStorage) {
    let t = TestApp::spawn_with(
        backend,
        Options {
            storage,
            ..Options::default()
        },
    )
    .await;
    let demo = t.demo().await;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let files = format!("/projects/{}/files", demo.acme);
    staff.upload(&files, &[("old.txt", b"old", "text/plain")]).await;
    let id = file_id(&t, demo.acme, "old.txt").await;
    let (_, versions) = t.app.file(&demo.admin, demo.acme, id.parse().unwrap()).await.unwrap();
    let key = versions[0].object_key.clone();

    let page = staff.post_form(&format!("{files}/{id}/delete"), &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(!staff.get(&files).await.body.contains("old.txt"));
    assert!(staff.get(&format!("{files}/trash")).await.body.contains("old.txt"));
    // The name is free while the file is in the trash; restoring it then is refused clearly.
    staff.upload(&files, &[("old.txt", b"new", "text/plain")]).await;
    let page = staff.post_form(&format!("{files}/{id}/restore"), &[]).await;
    assert_eq!(page.location(), format!("{files}/trash"));
    let shown = staff.follow(&page).await.body;
    assert!(
        shown.contains("A file of the same name is in that place now; rename it first."),
        "{shown}"
    );
    // With the new one deleted too, the old one comes back.
    let newer = file_id(&t, demo.acme, "old.txt").await;
    staff.post_form(&format!("{files}/{newer}/delete"), &[]).await;
    let page = staff.post_form(&format!("{files}/{id}/restore"), &[]).await;
    assert_eq!(page.location(), files);
    assert_eq!(fetch(&staff, &format!("{files}/{id}/download"), &[]).await.2, b"old");

    // Purged after the trash period (here 30 days: nothing yet), objects first.
    assert_eq!(t.app.purge_trash().await.unwrap(), 0);
    assert!(t.app.storage.exists(&key).await.unwrap());
}

/// With a trash period of 0 days, the purge takes what is in the trash at once.
async fn the_trash_is_purged_at_once_with_a_period_of_0_days(backend: Backend, storage: FileStorage) {
    let purge_at_once = Options {
        trash_days: 0,
        ..Options::default()
    };
    let t = TestApp::spawn_with(backend, Options { storage, ..purge_at_once }).await;
    let demo = t.demo().await;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let files = format!("/projects/{}/files", demo.acme);
    staff.upload(&files, &[("gone.txt", b"gone", "text/plain")]).await;
    let id = file_id(&t, demo.acme, "gone.txt").await;
    let (_, versions) = t.app.file(&demo.admin, demo.acme, id.parse().unwrap()).await.unwrap();
    staff.post_form(&format!("{files}/{id}/delete"), &[]).await;
    // The purge's delete is guarded: a file restored after the purge read its batch is kept.
    // (Here the restore comes first; the guard is what makes the order not matter.)
    staff.post_form(&format!("{files}/{id}/restore"), &[]).await;
    {
        let mut tx = t.app.db.begin().await.unwrap();
        let gone = store::files::delete_trashed(&mut tx.conn(), id.parse().unwrap(), store::now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(!gone, "a restored file is not deleted");
    }
    staff.post_form(&format!("{files}/{id}/delete"), &[]).await;
    let key = &versions[0].object_key;
    assert!(
        t.files_on_disk.contents().contains(key),
        "the bytes are on the disk until the purge"
    );
    assert_eq!(t.app.purge_trash().await.unwrap(), 1);
    assert!(!t.app.storage.exists(key).await.unwrap());
    assert!(
        !t.files_on_disk.contents().contains(key),
        "the purge removed the bytes from the disk"
    );
    assert!(!staff.get(&format!("{files}/trash")).await.body.contains("gone.txt"));
}

async fn orphans_are_found_both_ways_and_cleaned_up(backend: Backend, storage: FileStorage) {
    let t = TestApp::spawn_with(
        backend,
        Options {
            storage,
            ..Options::default()
        },
    )
    .await;
    let demo = t.demo().await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let files = format!("/projects/{}/files", demo.acme);
    staff
        .upload(&files, &[("kept.txt", b"kept", "text/plain"), ("lost.txt", b"lost", "text/plain")])
        .await;
    // An object nobody recorded, and a version whose object vanished.
    let mut stray = t.app.storage.begin("files/stray/object").await.unwrap();
    stray.write(bytes::Bytes::from_static(b"stray")).await.unwrap();
    stray.finish().await.unwrap();
    let lost = file_id(&t, demo.acme, "lost.txt").await;
    let (_, versions) = t.app.file(&demo.admin, demo.acme, lost.parse().unwrap()).await.unwrap();
    t.app.storage.delete(&versions[0].object_key).await.unwrap();

    // A version recorded after the check began (its object written after the listing
    // passed its key) is not mistaken for a row whose object vanished.
    let phantom = "files/recorded/after-the-listing";
    {
        let version = store::files::NewVersion {
            id: domain::ids::FileVersionId::new(),
            file: file_id(&t, demo.acme, "kept.txt").await.parse().unwrap(),
            object_key: phantom,
            size_bytes: 4,
            content_type: "text/plain",
            sha256: "",
            uploaded_by: demo.admin.user_id(),
        };
        let mut tx = t.app.db.begin().await.unwrap();
        let later = store::now() + chrono::Duration::minutes(5);
        store::files::add_version(&mut tx.conn(), &version, later).await.unwrap();
        tx.commit().await.unwrap();
    }

    // The check runs in the background; the media page shows progress, then the result.
    let page = admin.post_form("/admin/media/orphans", &[]).await;
    assert_eq!(page.location(), "/admin/media");
    let report = media_task_result(&admin).await;
    assert!(report.contains("files/stray/object"), "{report}");
    assert!(report.contains(&versions[0].object_key));
    assert!(!report.contains(phantom), "{report}");
    assert!(!report.contains("Storage and the file list agree"));

    // The web cleanup spares objects younger than an hour (uploads in flight); the rows go.
    let page = admin.post_form("/admin/media/cleanup", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        media_task_result(&admin)
            .await
            .contains("Removed 0 stored objects without a file and 1 file versions")
    );
    assert!(t.app.storage.exists("files/stray/object").await.unwrap());
    let (objects, rows) = t.app.clean_orphans(&demo.admin, chrono::Duration::zero()).await.unwrap();
    assert_eq!((objects, rows), (1, 0));
    assert!(!t.app.storage.exists("files/stray/object").await.unwrap());
    assert!(
        !staff.get(&files).await.body.contains("lost.txt"),
        "a file left without versions goes"
    );
    assert!(staff.get(&files).await.body.contains("kept.txt"));
    admin.post_form("/admin/media/orphans", &[]).await;
    assert!(media_task_result(&admin).await.contains("Storage and the file list agree"));
    assert!(admin.get("/admin/media").await.body.contains("Acme website redesign"));
}

async fn why_and_preview_cover_files(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let ask = |file: String, email: &'static str| {
        let (admin, t, shared) = (&admin, &t, demo.shared);
        async move {
            let contact = t.user_id(email).await;
            admin
                .get(&format!("/admin/projects/{shared}/visibility?file={file}&contact={contact}"))
                .await
                .body
        }
    };
    let guidelines = file_id(&t, demo.shared, "Brand guidelines draft.pdf").await;
    let licences = file_id(&t, demo.shared, "Licence costs.txt").await;
    let acme_upload = file_id(&t, demo.shared, "Acme logo files.txt").await;
    assert!(ask(guidelines.clone(), CLIENT).await.contains("Visible: this contact sees it"));
    assert!(ask(licences, CLIENT).await.contains("The item is internal"));
    assert!(ask(acme_upload.clone(), CLIENT).await.contains("Visible"));
    assert!(
        ask(acme_upload, OTHER_CLIENT)
            .await
            .contains("written by another client organisation")
    );
    assert!(
        ask(guidelines, FINANCE)
            .await
            .contains("none of the portal permissions that show projects")
    );

    // Preview: Oscar's files page lists what Globex sees, read-only, without download links.
    let oscar = t.user_id(OTHER_CLIENT).await;
    let page = admin.get(&format!("/admin/preview/{oscar}/projects/{}/files", demo.shared)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Brand guidelines draft.pdf") && page.body.contains("Globex fonts.txt"));
    assert!(!page.body.contains("Acme logo files.txt") && !page.body.contains("Licence costs.txt"));
    assert!(
        !page.body.contains("/download") && !page.body.contains("multipart/form-data"),
        "read-only"
    );
}

async fn files_and_folders_are_renamed_and_moved(backend: Backend, storage: FileStorage) {
    let t = TestApp::spawn_with(
        backend,
        Options {
            storage,
            ..Options::default()
        },
    )
    .await;
    let demo = t.demo().await;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let files = format!("/projects/{}/files", demo.acme);
    let folder_of = |location: &str| location.split("folder=").nth(1).unwrap().to_owned();
    let a = folder_of(
        staff
            .post_form(&format!("/projects/{}/folders", demo.acme), &[("name", "Contracts")])
            .await
            .location(),
    );
    let b = folder_of(
        staff
            .post_form(&format!("/projects/{}/folders", demo.acme), &[("name", "Signed"), ("parent", &a)])
            .await
            .location(),
    );
    // The same name twice in one place is refused; a folder never moves into its own subfolder.
    let page = staff
        .post_form(&format!("/projects/{}/folders", demo.acme), &[("name", "contracts")])
        .await;
    assert!(
        page.location().ends_with(&format!("/projects/{}/files", demo.acme)),
        "{}",
        page.location()
    );
    let shown = staff.follow(&page).await.body;
    assert!(shown.contains("A folder named contracts is already there."), "{shown}");
    let page = staff
        .post_form(
            &format!("/projects/{}/folders/{a}", demo.acme),
            &[("name", "Contracts"), ("parent", &b)],
        )
        .await;
    assert_eq!(page.location(), format!("{files}?folder={a}"));
    let shown = staff.follow(&page).await.body;
    assert!(
        shown.contains("A folder cannot move into itself or one of its subfolders."),
        "{shown}"
    );
    let listing = staff.get(&format!("{files}?folder={a}")).await.body;
    assert!(listing.contains("Signed/"), "the subfolder stays where it was");
    // The folder's move picker offers neither the folder itself nor its subfolders.
    let c = folder_of(
        staff
            .post_form(&format!("/projects/{}/folders", demo.acme), &[("name", "Archive")])
            .await
            .location(),
    );
    let listing = staff.get(&format!("{files}?folder={a}")).await.body;
    assert!(listing.contains(&format!("<option value=\"{c}\"")), "another folder is offered");
    assert!(
        !listing.contains(&format!("<option value=\"{b}\"")),
        "a folder cannot move into its subfolder"
    );
    assert!(!listing.contains(&format!("<option value=\"{a}\"")), "nor into itself");

    // A file is renamed and moved into the subfolder; its page lists its versions.
    staff.upload(&files, &[("draft.txt", b"one", "text/plain")]).await;
    staff.upload(&files, &[("draft.txt", b"two", "text/plain")]).await;
    let id = file_id(&t, demo.acme, "draft.txt").await;
    let detail = staff.get(&format!("{files}/{id}")).await;
    assert!(detail.body.contains("Version 2") && detail.body.contains("Version 1"));
    let page = staff
        .post_form(&format!("{files}/{id}"), &[("name", "Final contract.txt"), ("folder", &b)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(staff.get(&format!("{files}?folder={b}")).await.body.contains("Final contract.txt"));
    assert!(!staff.get(&files).await.body.contains("draft.txt"));
    // A bad name is refused with the form shown again, and nothing changes.
    let page = staff.post_form(&format!("{files}/{id}"), &[("name", ".."), ("folder", &b)]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("The file needs a name"));

    // A folder with something in it is not deleted; once empty, it is.
    let page = staff
        .post_form(
            &format!("/projects/{}/folders/{b}", demo.acme),
            &[("delete", "true"), ("parent", &a)],
        )
        .await;
    assert!(staff.get(page.location()).await.status == StatusCode::OK);
    assert!(staff.get(&format!("{files}?folder={a}")).await.body.contains("Signed/"));
    staff.post_form(&format!("{files}/{id}/delete"), &[]).await;
    t.app.purge_trash().await.unwrap();
    let page = staff
        .post_form(
            &format!("/projects/{}/folders/{b}", demo.acme),
            &[("delete", "true"), ("parent", &a)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

async fn images_get_thumbnails_behind_the_policy(backend: Backend, storage: FileStorage) {
    let t = TestApp::spawn_with(
        backend,
        Options {
            storage,
            ..Options::default()
        },
    )
    .await;
    let demo = t.demo().await;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let oscar = t.login(OTHER_CLIENT, DEMO_PASSWORD).await;
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let image = file_id(&t, demo.globex, "App store screenshots.png").await;
    let path = format!("/projects/{}/files/{image}/thumbnail", demo.globex);
    let (status, headers, body) = staff.get_bytes(&path, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["cache-control"], "no-store", "nothing stays in the browser after logout");
    assert!(body.starts_with(b"\x89PNG"), "a PNG");
    // Made once, then served from storage.
    assert_eq!(staff.get_bytes(&path, &[]).await.2, body);
    let portal = format!("/portal/projects/{}/files/{image}/thumbnail", demo.globex);
    assert_eq!(oscar.get_bytes(&portal, &[]).await.0, StatusCode::OK);
    assert_eq!(carla.get_bytes(&portal, &[]).await.0, StatusCode::NOT_FOUND);
    // A file that claims to be an image but is not gets no thumbnail.
    let files = format!("/projects/{}/files", demo.globex);
    staff
        .upload(&files, &[("broken.png", b"\x89PNG\r\n\x1a\n not really", "image/png")])
        .await;
    let broken = file_id(&t, demo.globex, "broken.png").await;
    assert_eq!(
        staff.get_bytes(&format!("{files}/{broken}/thumbnail"), &[]).await.0,
        StatusCode::NOT_FOUND
    );
    // Text has none either, and the list shows thumbnails only for images.
    let listing = staff.get(&files).await.body;
    assert!(listing.contains(&format!("{image}/thumbnail")));
    let text = file_id(&t, demo.globex, "Release plan.txt").await;
    assert!(!listing.contains(&format!("{text}/thumbnail")));
}

async fn a_large_folder_is_listed_page_by_page(backend: Backend, storage: FileStorage) {
    let t = TestApp::spawn_with(
        backend,
        Options {
            storage,
            ..Options::default()
        },
    )
    .await;
    let demo = t.demo().await;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let files = format!("/projects/{}/files", demo.acme);
    let names: Vec<String> = (0..120).map(|i| format!("Report {i:03}.txt")).collect();
    for batch in names.chunks(20) {
        let parts: Vec<(&str, &[u8], &str)> = batch.iter().map(|n| (n.as_str(), &b"x"[..], "text/plain")).collect();
        assert_eq!(staff.upload(&files, &parts).await.status, StatusCode::SEE_OTHER);
    }
    // Follow the "Next page" links as a person would: every name once, in order.
    let mut seen = Vec::new();
    let mut path = files.clone();
    for _ in 0..10 {
        let page = staff.get(&path).await.body;
        seen.extend(names.iter().filter(|n| page.contains(&format!(">{n}</a>"))).cloned());
        match page.split("rel=\"next\" href=\"").nth(1) {
            // As a browser reads the attribute: the template writes & as a character reference.
            Some(rest) => path = rest.split('"').next().unwrap().replace("&#38;", "&").replace("&amp;", "&"),
            None => break,
        }
    }
    assert_eq!(seen, names, "all 120 reports, each once, in name order");
}

async fn the_api_uploads_lists_downloads_and_shares(backend: Backend, storage: FileStorage) {
    let t = TestApp::spawn_with(
        backend,
        Options {
            storage,
            ..Options::default()
        },
    )
    .await;
    let demo = t.demo().await;
    let http = t.client();
    let staff = t.app.create_api_token(STAFF, "files").await.unwrap();
    let carla = t.app.create_api_token(CLIENT, "files").await.unwrap();
    let oscar = t.app.create_api_token(OTHER_CLIENT, "files").await.unwrap();
    let files = format!("/api/v1/projects/{}/files", demo.shared);
    let upload = |token: String, name: &'static str, bytes: &'static [u8]| {
        let (http, files) = (http.clone(), files.clone());
        async move {
            let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name);
            let response = http
                .http
                .post(http.url(&files))
                .bearer_auth(token)
                .multipart(reqwest::multipart::Form::new().part("files", part))
                .send()
                .await
                .unwrap();
            (response.status(), response.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, report) = upload(carla.clone(), "api-brief.txt", b"from the api").await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let id = report["uploaded"][0]["id"].as_str().unwrap().to_owned();
    let (status, report) = upload(carla.clone(), "empty.txt", b"").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(report["errors"][0], "empty.txt is empty.");

    // Carla lists and downloads her upload; Oscar (Globex, same project) does not see it.
    let listed = http.api(reqwest::Method::GET, &files, &carla, None).await.json();
    assert!(listed["items"].as_array().unwrap().iter().any(|f| f["id"] == id.as_str()));
    let listed = http.api(reqwest::Method::GET, &files, &oscar, None).await.json();
    assert!(!listed["items"].as_array().unwrap().iter().any(|f| f["id"] == id.as_str()));
    let content = http
        .http
        .get(http.url(&format!("{files}/{id}/content")))
        .bearer_auth(&carla)
        .send()
        .await
        .unwrap();
    // On S3 the API hands out a presigned link, to be fetched without the token.
    let content = match content.headers().get("location") {
        Some(link) => {
            let link = link.to_str().unwrap();
            assert!(link.contains("X-Amz-Signature="), "a presigned link: {link}");
            reqwest::get(link).await.unwrap()
        }
        None => content,
    };
    assert_eq!(content.bytes().await.unwrap().as_ref(), b"from the api");
    assert_eq!(
        http.api(reqwest::Method::GET, &format!("{files}/{id}"), &oscar, None).await.status,
        StatusCode::NOT_FOUND
    );

    // Staff rename and share it; now Oscar sees it too. Clients cannot change files.
    let change = serde_json::json!({"name": "Brief from Acme.txt", "client_visible": true});
    let page = http
        .api(reqwest::Method::PATCH, &format!("{files}/{id}"), &staff, Some(change.clone()))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.json()["name"], "Brief from Acme.txt");
    assert_eq!(page.json()["client_visible"], true);
    let detail = http.api(reqwest::Method::GET, &format!("{files}/{id}"), &oscar, None).await.json();
    assert_eq!(detail["history"].as_array().unwrap().len(), 1);
    // Globex sees the shared file but not the name of the Acme contact who uploaded it.
    assert_eq!(detail["history"][0]["uploaded_by"], serde_json::Value::Null, "{detail}");
    assert_eq!(detail["uploaded_by"], serde_json::Value::Null);
    let as_staff = http.api(reqwest::Method::GET, &format!("{files}/{id}"), &staff, None).await.json();
    assert_eq!(as_staff["history"][0]["uploaded_by"], "Carla Romero");
    // Once shared, Acme's upload of the same name is refused: it would reach Globex unreviewed.
    let (status, report) = upload(carla.clone(), "Brief from Acme.txt", b"changed").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        report["errors"][0].as_str().unwrap().contains("has been shared by the team"),
        "{report}"
    );
    assert_eq!(
        http.api(reqwest::Method::PATCH, &format!("{files}/{id}"), &carla, Some(change))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Shared now, so Carla may no longer delete it; staff may.
    assert_eq!(
        http.api(reqwest::Method::DELETE, &format!("{files}/{id}"), &carla, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        http.api(reqwest::Method::DELETE, &format!("{files}/{id}"), &staff, None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let spec = http.get("/api/v1/openapi.json").await.body;
    assert!(spec.contains("/api/v1/projects/{id}/files/{file}/content"));
}

/// The media page once the background orphan task has finished (it refreshes itself while the
/// task runs).
async fn media_task_result(admin: &Client) -> String {
    for _ in 0..200 {
        let page = admin.get("/admin/media").await.body;
        if !page.contains("http-equiv=\"refresh\"") {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the orphan task did not finish in 10 s");
}

/// Bytes a project's files take, as the quota counts them.
async fn used_by(t: &TestApp, project: ProjectId) -> u64 {
    let admin = t.demo().await.admin;
    t.app.storage_use(&admin, project).await.unwrap().0
}

/// A client was asked to review a deliverable they could not see: attachments were internal
/// by default, and submitting said nothing. Now staff's attachments to a shared task are shared
/// unless kept internal, and submitting warns when the client would see no attachment.
async fn what_staff_attach_to_a_shared_task_is_what_its_client_reviews(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let sam = t.app.user(t.user_id(STAFF).await).await.unwrap().viewer();
    let new_task = |name: &'static str| {
        let (app, sam) = (t.app.clone(), sam);
        async move {
            let details = domain::tasks::TaskDetails::parse(&domain::tasks::TaskInput {
                name,
                ..Default::default()
            })
            .unwrap();
            let settings = app::tasks::TaskSettings {
                column: None,
                milestone: None,
                assignees: vec![],
                client_visible: true,
                review_enabled: true,
            };
            app.create_task(&sam, demo.acme, &details, &settings).await.unwrap()
        }
    };
    let attach = |task, name: &'static str, internal: bool| {
        let staff = &staff;
        async move {
            let token = staff.csrf().await;
            let mut form = reqwest::multipart::Form::new();
            if internal {
                form = form.text("internal", "on");
            }
            let part = reqwest::multipart::Part::bytes(b"the deliverable".to_vec()).file_name(name);
            let path = format!("/projects/{}/tasks/{task}/attachments?_csrf={token}", demo.acme);
            let response = staff
                .http
                .post(staff.url(&path))
                .multipart(form.part("files", part))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
        }
    };
    let portal_task = |task| format!("/portal/projects/{}/tasks/{task}", demo.acme);
    let submit = |task| {
        let staff = &staff;
        async move {
            let page = staff
                .post_form(
                    &format!("/projects/{}/tasks/{task}/submit-review", demo.acme),
                    &[("note", "Please look")],
                )
                .await;
            assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
            page
        }
    };

    // Kept internal on purpose: the client does not see it, and submitting says so.
    let banner = new_task("Banner").await;
    let form = staff.get(&format!("/projects/{}/tasks/{banner}", demo.acme)).await.body;
    assert!(form.contains("what you attach is shared with its clients"), "the default is said");
    attach(banner, "costing.xlsx", true).await;
    assert!(!carla.get(&portal_task(banner)).await.body.contains("costing.xlsx"));
    let sent = submit(banner).await;
    assert_eq!(sent.flash_kind(), "warning");
    assert!(
        sent.flash().contains("Acme") && sent.flash().contains("they see no attachment"),
        "{}",
        sent.flash()
    );

    // Attached by default to a shared task: shared, so the client reviews it.
    let poster = new_task("Poster").await;
    attach(poster, "poster.pdf", false).await;
    let shown = carla.get(&portal_task(poster)).await.body;
    assert!(shown.contains("poster.pdf"), "{shown}");
    let sent = submit(poster).await;
    assert_eq!(sent.flash_kind(), "success", "{}", sent.flash());
    assert!(sent.flash().contains("with 1 attachment they can open"), "{}", sent.flash());
}

/// The portal flattened folders and had no page for a file. Now a client browses the folders
/// that hold something shared with them (never an empty or internal-only one, not even by its
/// address), and a file's page says what it is, who uploaded it and when, with a preview.
async fn clients_browse_the_folders_that_hold_what_is_shared_with_them(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let sam = t.app.user(t.user_id(STAFF).await).await.unwrap().viewer();
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let put = |folder: Option<domain::ids::FolderId>, name: &'static str, bytes: &'static [u8], shared: bool| {
        let app = t.app.clone();
        async move {
            let destination = folder.map_or(app::files::Destination::Top, app::files::Destination::Folder);
            let permit = app.permit_upload(&sam, demo.acme, destination).await.unwrap();
            let body = futures::stream::iter([Ok::<_, std::convert::Infallible>(bytes::Bytes::from_static(bytes))]);
            let file = app.upload(&sam, &permit, name, body).await.unwrap().file;
            if shared {
                let share = app::files::FileChange {
                    client_visible: Some(true),
                    ..Default::default()
                };
                app.change_file(&sam, demo.acme, file, &share).await.unwrap();
            }
            file
        }
    };
    let top = t.app.folder_listing(&sam, demo.acme, None, None, 10).await.unwrap();
    let designs = top.folders.iter().find(|f| f.name == "Designs").unwrap().id;
    let internal = t.app.create_folder(&sam, demo.acme, None, "Internal notes").await.unwrap();
    put(Some(internal), "notes.txt", b"internal", false).await;
    let empty = t.app.create_folder(&sam, demo.acme, None, "Empty").await.unwrap();
    let round = t.app.create_folder(&sam, demo.acme, Some(designs), "Round 1").await.unwrap();
    put(Some(round), "first draft.png", b"\x89PNG\r\n\x1a\n", true).await;

    let files = format!("/portal/projects/{}/files", demo.acme);
    let top = carla.get(&files).await.body;
    assert!(top.contains(">Designs/</a>") && top.contains("Sitemap.txt"), "{top}");
    assert!(
        !top.contains("Internal notes") && !top.contains("Empty/") && !top.contains("Homepage mockup"),
        "{top}"
    );
    let inside = carla.get(&format!("{files}?folder={designs}")).await.body;
    assert!(
        inside.contains(">Round 1/</a>") && inside.contains("Homepage mockup.png"),
        "{inside}"
    );
    let deeper = carla.get(&format!("{files}?folder={round}")).await.body;
    assert!(
        deeper.contains("first draft.png") && deeper.contains(&format!("?folder={designs}\">Designs</a>")),
        "{deeper}"
    );
    for hidden in [internal, empty] {
        assert_eq!(carla.get(&format!("{files}?folder={hidden}")).await.status, StatusCode::NOT_FOUND);
    }

    // A file's page: what it is, by whom, when; a preview of an image; the download.
    let mockup = file_id(&t, demo.acme, "Sitemap.txt").await;
    let page = carla.get(&format!("{files}/{mockup}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for expected in [
        "Sitemap.txt",
        "Text",
        "Version",
        "Uploaded by",
        "Sam Okafor",
        &format!("{files}/{mockup}/download"),
    ] {
        assert!(page.body.contains(expected), "{expected:?} missing: {}", page.body);
    }
    let in_folder = |folder| {
        let app = t.app.clone();
        async move {
            app.files_in(&demo.admin, demo.acme, app::files::Destination::Folder(folder), None, 10)
                .await
                .unwrap()[0]
                .id
        }
    };
    let draft = in_folder(round).await;
    let image = carla.get(&format!("{files}/{draft}")).await.body;
    assert!(
        image.contains(&format!("<img class=\"preview\" src=\"{files}/{draft}/download?inline=true\"")),
        "{image}"
    );
    assert!(
        image.contains(&format!("?folder={round}\">Round 1</a>")),
        "the path to the file: {image}"
    );
    let notes = in_folder(internal).await;
    assert_eq!(carla.get(&format!("{files}/{notes}")).await.status, StatusCode::NOT_FOUND);
}
