//! What the pages do, done through the API: the board and milestones, comments, the review
//! trail, folders, the trash, attachments and storage, invoicing settings, tax rates and
//! gateways (secrets write-only), invoices' PDFs, credit notes, refunds and Pay Now, reports,
//! undelivered emails, invitations, the audit trail and one's own dates.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use store::on_both_databases;

on_both_databases!(
    the_board_milestones_and_comments_are_run_through_the_api,
    folders_the_trash_attachments_and_storage_through_the_api,
    invoicing_settings_tax_rates_and_gateways_through_the_api,
    invoices_reports_and_the_audit_trail_through_the_api,
);

/// Calls the API and insists on the status, showing the body otherwise.
async fn call(client: &Client, method: Method, path: &str, token: &str, body: Option<Value>, status: StatusCode) -> Value {
    let page = client.api(method.clone(), path, token, body).await;
    assert_eq!(page.status, status, "{method} {path}: {}", page.body);
    if page.body.is_empty() { Value::Null } else { page.json() }
}

/// A token of Sam's, given the finance permission (invoices, payments, reports).
async fn finance_staff(t: &TestApp) -> String {
    let sam = t.user_id(STAFF).await;
    t.app.set_finance(&app::users::Actor::Operator, sam, true).await.unwrap();
    t.app.create_api_token(STAFF, "tests").await.unwrap()
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_board_milestones_and_comments_are_run_through_the_api(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let c = t.client();
    let staff = t.app.create_api_token(STAFF, "tests").await.unwrap();
    let client = t.app.create_api_token(CLIENT, "tests").await.unwrap();
    let project = format!("/api/v1/projects/{}", demo.acme);
    let (ok, created, gone) = (StatusCode::OK, StatusCode::CREATED, StatusCode::NO_CONTENT);

    // Columns: add (before the completed column), rename, move, delete.
    let before = call(&c, Method::GET, &format!("{project}/columns"), &staff, None, ok).await;
    let added = call(
        &c,
        Method::POST,
        &format!("{project}/columns"),
        &staff,
        Some(json!({"name": "QA"})),
        created,
    )
    .await;
    let qa = added["id"].as_str().unwrap().to_owned();
    let after = names(&call(&c, Method::GET, &format!("{project}/columns"), &staff, None, ok).await);
    assert_eq!(after.len(), names(&before).len() + 1);
    assert_eq!(
        after[after.len() - 2],
        "QA",
        "a new column goes before the completed one: {after:?}"
    );
    let column = format!("{project}/columns/{qa}");
    let moved = call(
        &c,
        Method::PATCH,
        &column,
        &staff,
        Some(json!({"name": "Testing", "shift": "left"})),
        ok,
    )
    .await;
    let moved = names(&moved);
    assert_eq!(moved[moved.len() - 3], "Testing", "{moved:?}");
    let sideways = c.api(Method::PATCH, &column, &staff, Some(json!({"shift": "up"}))).await;
    assert_eq!(
        (sideways.status, sideways.json()["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("shift"))
    );
    call(&c, Method::DELETE, &column, &staff, None, gone).await;
    assert_eq!(
        names(&call(&c, Method::GET, &format!("{project}/columns"), &staff, None, ok).await),
        names(&before)
    );
    // A column with tasks stays.
    let busy = before[0]["id"].as_str().unwrap();
    let refused = c.api(Method::DELETE, &format!("{project}/columns/{busy}"), &staff, None).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);

    // Milestones: change only what is given, complete, delete (its tasks stay, unlinked).
    let made = call(
        &c,
        Method::POST,
        &format!("{project}/milestones"),
        &staff,
        Some(json!({"name": "Beta", "target_date": "2027-02-01"})),
        created,
    )
    .await;
    let milestone = format!("{project}/milestones/{}", made["id"].as_str().unwrap());
    let task = call(
        &c,
        Method::POST,
        &format!("{project}/tasks"),
        &staff,
        Some(json!({"name": "Beta checklist", "milestone_id": made["id"]})),
        created,
    )
    .await;
    let changed = call(
        &c,
        Method::PATCH,
        &milestone,
        &staff,
        Some(json!({"description": "Feature complete", "completed": true})),
        ok,
    )
    .await;
    assert_eq!(
        (changed["name"].as_str(), changed["target_date"].as_str()),
        (Some("Beta"), Some("2027-02-01"))
    );
    assert_eq!(changed["description"], "Feature complete");
    assert!(changed["completed_at"].is_string());
    let blank = c.api(Method::PATCH, &milestone, &staff, Some(json!({"name": " "}))).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(c.api(Method::DELETE, &milestone, &client, None).await.status, StatusCode::FORBIDDEN);
    call(&c, Method::DELETE, &milestone, &staff, None, gone).await;
    assert_eq!(c.api(Method::DELETE, &milestone, &staff, None).await.status, StatusCode::NOT_FOUND);
    let task_path = format!("{project}/tasks/{}", task["id"].as_str().unwrap());
    let unlinked = call(&c, Method::GET, &task_path, &staff, None, ok).await;
    assert!(unlinked["milestone_id"].is_null(), "{unlinked}");

    // Archiving through PATCH, the project's and a task's.
    let archived = call(&c, Method::PATCH, &task_path, &staff, Some(json!({"archived": true})), ok).await;
    assert_eq!(archived["archived"], true);
    let archived = call(&c, Method::PATCH, &project, &staff, Some(json!({"archived": true})), ok).await;
    assert_eq!(archived["archived"], true);
    assert_eq!(
        c.api(Method::GET, &project, &client, None).await.status,
        StatusCode::NOT_FOUND,
        "clients no longer see it"
    );
    call(&c, Method::PATCH, &project, &staff, Some(json!({"archived": false})), ok).await;

    // Comments: only the author edits; the author or the project's staff delete, leaving a trace.
    let logo = demo.task(demo.acme, "Logo refresh").await;
    let comments = format!("{project}/tasks/{logo}/comments");
    let said = call(&c, Method::POST, &comments, &client, Some(json!({"body": "Looks great"})), created).await;
    let comment = format!("{comments}/{}", said["id"].as_str().unwrap());
    assert_eq!(
        c.api(Method::PATCH, &comment, &staff, Some(json!({"body": "Edited by staff"})))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    call(&c, Method::PATCH, &comment, &client, Some(json!({"body": "Looks great!"})), gone).await;
    call(&c, Method::DELETE, &comment, &staff, None, gone).await;
    let listed = call(&c, Method::GET, &comments, &client, None, ok).await;
    let entry = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == said["id"])
        .unwrap()
        .clone();
    assert!(entry["edited_at"].is_string() && entry["deleted_at"].is_string(), "{entry}");

    // The review trail: the rounds of tasks the caller sees, with the task's name.
    let trail = call(&c, Method::GET, &format!("{project}/reviews"), &staff, None, ok).await;
    let rounds = trail.as_array().unwrap();
    assert!(rounds.iter().any(|r| r["task"]["name"] == "Logo refresh"), "{trail}");
    let shared_trail = call(
        &c,
        Method::GET,
        &format!("/api/v1/projects/{}/reviews", demo.shared),
        &client,
        None,
        ok,
    )
    .await;
    assert!(
        shared_trail.as_array().unwrap().iter().all(|r| r["organisation"].is_null()),
        "a client is not told whom other rounds were addressed to: {shared_trail}"
    );
}

async fn folders_the_trash_attachments_and_storage_through_the_api(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let c = t.client();
    let (admin, staff, client) = (
        t.app.create_api_token(ADMIN, "tests").await.unwrap(),
        t.app.create_api_token(STAFF, "tests").await.unwrap(),
        t.app.create_api_token(CLIENT, "tests").await.unwrap(),
    );
    let (ok, created, gone) = (StatusCode::OK, StatusCode::CREATED, StatusCode::NO_CONTENT);
    let project = format!("/api/v1/projects/{}", demo.acme);

    // Folders: a client sees a folder only once it holds something they see.
    let made = call(
        &c,
        Method::POST,
        &format!("{project}/folders"),
        &staff,
        Some(json!({"name": "Deliverables"})),
        created,
    )
    .await;
    let folder_id = made["id"].as_str().unwrap().to_owned();
    let inner = call(
        &c,
        Method::POST,
        &format!("{project}/folders"),
        &staff,
        Some(json!({"name": "Round 1", "parent_id": folder_id})),
        created,
    )
    .await;
    let twin = c
        .api(
            Method::POST,
            &format!("{project}/folders"),
            &staff,
            Some(json!({"name": "Deliverables"})),
        )
        .await;
    assert_eq!(
        (twin.status, twin.json()["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name"))
    );
    let client_folders =
        |c: Client, token: String, path: String| async move { names(&call(&c, Method::GET, &path, &token, None, StatusCode::OK).await) };
    let folders = format!("{project}/folders");
    assert!(
        !client_folders(t.client(), client.clone(), folders.clone())
            .await
            .contains(&"Deliverables".to_owned())
    );
    let upload = c
        .api_upload(
            &format!("{project}/files?folder={}", inner["id"].as_str().unwrap()),
            &staff,
            &[("proof.txt", b"first proof")],
        )
        .await;
    assert_eq!(upload.status, created, "{}", upload.body);
    let file_id = upload.json()["uploaded"][0]["id"].as_str().unwrap().to_owned();
    let file = format!("{project}/files/{file_id}");
    call(&c, Method::PATCH, &file, &staff, Some(json!({"client_visible": true})), ok).await;
    let seen = client_folders(t.client(), client.clone(), folders.clone()).await;
    assert!(
        seen.contains(&"Deliverables".to_owned()) && seen.contains(&"Round 1".to_owned()),
        "{seen:?}"
    );

    // Renaming and moving; never into itself; only an empty folder goes.
    let folder = format!("{project}/folders/{folder_id}");
    let renamed = call(&c, Method::PATCH, &folder, &staff, Some(json!({"name": "Final files"})), ok).await;
    assert_eq!(renamed["name"], "Final files");
    let loop_ = c.api(Method::PATCH, &folder, &staff, Some(json!({"parent_id": inner["id"]}))).await;
    assert_eq!(
        (loop_.status, loop_.json()["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("parent"))
    );
    let full = c.api(Method::DELETE, &folder, &staff, None).await;
    assert_eq!(full.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", full.body);
    assert_eq!(c.api(Method::DELETE, &folder, &client, None).await.status, StatusCode::FORBIDDEN);

    // The trash: a deleted file is listed there and comes back.
    call(&c, Method::DELETE, &file, &staff, None, gone).await;
    let trash = call(&c, Method::GET, &format!("{project}/trash"), &staff, None, ok).await;
    assert!(trash.as_array().unwrap().iter().any(|f| f["id"] == file_id.as_str()), "{trash}");
    assert_eq!(
        c.api(Method::GET, &format!("{project}/trash"), &client, None).await.status,
        StatusCode::FORBIDDEN
    );
    let restored = call(&c, Method::POST, &format!("{file}/restore"), &staff, None, ok).await;
    assert_eq!(restored["name"], "proof.txt");

    // Attachments: a client of the task's organisation sees the shared ones; a contact without
    // the files permission sees none.
    let logo = demo.task(demo.acme, "Logo refresh").await;
    let attachments = format!("{project}/tasks/{logo}/attachments");
    let attached = c
        .api_upload(&attachments, &staff, &[("logo-notes.txt", b"Logo v3: the final colours")])
        .await;
    assert_eq!(attached.status, created, "{}", attached.body);
    let seen = names(&call(&c, Method::GET, &attachments, &client, None, ok).await);
    assert!(seen.contains(&"logo-notes.txt".to_owned()), "{seen:?}");
    let operator = app::users::Actor::Operator;
    let org = t.org_of(CLIENT).await;
    let nora = t.app.add_contact(&operator, org, "Nora Noperm", "nora@example.com").await.unwrap();
    let view_only = domain::access::PortalPermissions::from_permissions([domain::access::Permission::ViewTasks]);
    t.app.set_contact_permissions(&operator, org, nora, Some(view_only)).await.unwrap();
    let nora_token = t.app.create_api_token("nora@example.com", "tests").await.unwrap();
    assert_eq!(call(&c, Method::GET, &attachments, &nora_token, None, ok).await, json!([]));

    // Storage: the quota an admin sets; staff may not.
    let storage = format!("{project}/storage");
    let used = call(&c, Method::GET, &storage, &admin, None, ok).await;
    assert!(used["used_bytes"].as_u64().unwrap() > 0 && used["quota_bytes"].is_null(), "{used}");
    let capped = call(&c, Method::PUT, &storage, &admin, Some(json!({"quota_bytes": 5_000_000})), ok).await;
    assert_eq!(capped["quota_bytes"], 5_000_000);
    assert_eq!(
        c.api(Method::PUT, &storage, &staff, Some(json!({"quota_bytes": null})))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Media: totals, and the orphan check's progress until it has looked at everything.
    let media = call(&c, Method::GET, "/api/v1/media?per_page=5", &admin, None, ok).await;
    assert!(
        media["bytes"].as_i64().unwrap() > 0 && !media["by_project"].as_array().unwrap().is_empty(),
        "{media}"
    );
    let started = call(&c, Method::POST, "/api/v1/media/orphans", &admin, None, StatusCode::ACCEPTED).await;
    assert!(["running", "checked"].contains(&started["state"].as_str().unwrap()), "{started}");
    let token = admin.clone();
    t.wait_until("the orphan check to finish", || {
        let (c, token) = (t.client(), token.clone());
        async move { c.api(Method::GET, "/api/v1/media", &token, None).await.json()["task"]["state"] == "checked" }
    })
    .await;
    let checked = call(&c, Method::GET, "/api/v1/media", &admin, None, ok).await;
    assert!(checked["task"]["checked_rows"].as_u64().unwrap() > 0, "{checked}");
    assert_eq!(checked["task"]["orphaned_objects"], 0);
}

async fn invoicing_settings_tax_rates_and_gateways_through_the_api(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let c = t.client();
    let (admin, finance) = (t.app.create_api_token(ADMIN, "tests").await.unwrap(), finance_staff(&t).await);
    let ok = StatusCode::OK;

    // Settings: read, replace, and a refusal that names the field and changes nothing.
    let mut settings = call(&c, Method::GET, "/api/v1/settings/invoicing", &admin, None, ok).await;
    settings["business_name"] = json!("Northwind Studio");
    settings["default_terms_days"] = json!(14);
    let saved = call(&c, Method::PUT, "/api/v1/settings/invoicing", &admin, Some(settings.clone()), ok).await;
    assert_eq!(
        (saved["business_name"].as_str(), saved["default_terms_days"].as_i64()),
        (Some("Northwind Studio"), Some(14))
    );
    let mut same_patterns = settings.clone();
    same_patterns["credit_note_pattern"] = settings["number_pattern"].clone();
    same_patterns["business_name"] = json!("Not saved");
    let refused = c.api(Method::PUT, "/api/v1/settings/invoicing", &admin, Some(same_patterns)).await;
    assert_eq!(
        (refused.status, refused.json()["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("credit_note_pattern"))
    );
    let mut missing = settings.clone();
    missing.as_object_mut().unwrap().remove("footer");
    assert_eq!(
        c.api(Method::PUT, "/api/v1/settings/invoicing", &admin, Some(missing)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let kept = call(&c, Method::GET, "/api/v1/settings/invoicing", &admin, None, ok).await;
    assert_eq!(kept["business_name"], "Northwind Studio");
    assert_eq!(
        c.api(Method::GET, "/api/v1/settings/invoicing", &finance, None).await.status,
        StatusCode::FORBIDDEN
    );

    // Tax rates: added by admins, listed for finance, archived.
    let rate = call(
        &c,
        Method::POST,
        "/api/v1/tax-rates",
        &admin,
        Some(json!({"name": "Export duty", "percent": "7.50"})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(rate["percent"], "7.5");
    let listed = call(&c, Method::GET, "/api/v1/tax-rates", &finance, None, ok).await;
    assert!(names(&listed).contains(&"Export duty".to_owned()));
    let bad = c
        .api(
            Method::POST,
            "/api/v1/tax-rates",
            &admin,
            Some(json!({"name": "Odd", "percent": "abc"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    call(
        &c,
        Method::POST,
        &format!("/api/v1/tax-rates/{}/archive", rate["id"].as_str().unwrap()),
        &admin,
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert!(!names(&call(&c, Method::GET, "/api/v1/tax-rates", &finance, None, ok).await).contains(&"Export duty".to_owned()));

    // Gateways: a secret goes in and never comes out again.
    let secret = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";
    let stripe = call(
        &c,
        Method::PUT,
        "/api/v1/settings/gateways/stripe",
        &admin,
        Some(json!({"values": {"secret_key": secret, "webhook_secret": "whsec_0123456789abcdefghij"}})),
        ok,
    )
    .await;
    assert_eq!(stripe["configured"], true, "{stripe}");
    let all = c.api(Method::GET, "/api/v1/settings/gateways", &admin, None).await;
    assert!(
        !all.body.contains(secret) && !all.body.contains("whsec_0123456789"),
        "a secret came back: {}",
        all.body
    );
    let key = all.json().as_array().unwrap()[0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "secret_key")
        .cloned()
        .unwrap();
    assert_eq!(
        (key["saved"].as_str(), key["value"].is_null()),
        (Some("saved, ending in …p7dc"), true)
    );
    // Leaving a secret out keeps it; an unknown setting is refused by name.
    let kept = call(
        &c,
        Method::PUT,
        "/api/v1/settings/gateways/stripe",
        &admin,
        Some(json!({"values": {}})),
        ok,
    )
    .await;
    assert_eq!(kept["configured"], true);
    let unknown = c
        .api(
            Method::PUT,
            "/api/v1/settings/gateways/stripe",
            &admin,
            Some(json!({"values": {"client_id": "x"}})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown.json()["detail"].as_str().unwrap().contains("secret_key"),
        "{}",
        unknown.body
    );
    let off = call(
        &c,
        Method::PUT,
        "/api/v1/settings/gateways/stripe",
        &admin,
        Some(json!({"turn_off": true})),
        ok,
    )
    .await;
    assert_eq!(off["configured"], false);
}

async fn invoices_reports_and_the_audit_trail_through_the_api(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let c = t.client();
    let (admin, finance, client) = (
        t.app.create_api_token(ADMIN, "tests").await.unwrap(),
        finance_staff(&t).await,
        t.app.create_api_token(CLIENT, "tests").await.unwrap(),
    );
    let ok = StatusCode::OK;
    let acme = t.org_of(CLIENT).await;

    // A sent invoice: its PDF for the client, a credit note and a refund by finance.
    let draft = json!({"client_org_id": acme.0, "lines": [{"description": "Design sprint", "quantity": "2", "unit_price": "400"}]});
    let made = call(&c, Method::POST, "/api/v1/invoices", &finance, Some(draft), StatusCode::CREATED).await;
    let invoice = format!("/api/v1/invoices/{}", made["id"].as_str().unwrap());
    call(&c, Method::POST, &format!("{invoice}/send"), &finance, None, ok).await;
    let (status, headers, pdf) = c
        .get_bytes(&format!("{invoice}/pdf"), &[("authorization", &format!("Bearer {client}"))])
        .await;
    assert_eq!(
        (status, &headers["content-type"]),
        (ok, &"application/pdf".parse::<reqwest::header::HeaderValue>().unwrap())
    );
    assert!(pdf.starts_with(b"%PDF"));
    let note = call(
        &c,
        Method::POST,
        &format!("{invoice}/credit"),
        &finance,
        Some(json!({"lines": [{"description": "Goodwill", "quantity": "1", "unit_price": "100"}], "reason": "Late delivery"})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (note["kind"].as_str(), note["total"].as_str()),
        (Some("credit_note"), Some("100.00"))
    );
    call(
        &c,
        Method::POST,
        &format!("{invoice}/payments"),
        &finance,
        Some(json!({"amount": "200", "method": "bank_transfer"})),
        ok,
    )
    .await;
    let refunded = call(
        &c,
        Method::POST,
        &format!("{invoice}/refunds"),
        &finance,
        Some(json!({"amount": "50", "method": "bank_transfer"})),
        ok,
    )
    .await;
    assert_eq!(refunded["paid"], "150.00");
    let too_much = c
        .api(
            Method::POST,
            &format!("{invoice}/refunds"),
            &finance,
            Some(json!({"amount": "500", "method": "cash"})),
        )
        .await;
    assert_eq!(too_much.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", too_much.body);
    // Pay Now without a gateway set up: a clear refusal, not a checkout.
    let pay = c
        .api(Method::POST, &format!("{invoice}/pay"), &client, Some(json!({"gateway": "stripe"})))
        .await;
    assert_eq!(pay.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", pay.body);

    // Reports: the invoice is in this month's revenue and the payments, with its refund.
    let report = call(&c, Method::GET, "/api/v1/reports/financial", &finance, None, ok).await;
    assert!(
        !report["revenue"].as_array().unwrap().is_empty() && !report["clients"].as_array().unwrap().is_empty(),
        "{report}"
    );
    let payments = call(&c, Method::GET, "/api/v1/reports/payments?per_page=5", &finance, None, ok).await;
    let amounts: Vec<&str> = payments["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["amount"].as_str().unwrap())
        .collect();
    assert!(amounts.contains(&"-50.00") && amounts.contains(&"200.00"), "{amounts:?}");
    assert_eq!(
        c.api(Method::GET, "/api/v1/reports/financial", &client, None).await.status,
        StatusCode::FORBIDDEN
    );

    // People: the finance permission, a new invitation, one's own dates.
    let sam = t.user_id(STAFF).await;
    let changed = call(
        &c,
        Method::PATCH,
        &format!("/api/v1/users/{sam}"),
        &admin,
        Some(json!({"finance": false})),
        ok,
    )
    .await;
    assert_eq!(changed["finance"], false);
    let invited = call(
        &c,
        Method::POST,
        "/api/v1/users",
        &admin,
        Some(json!({"email": "dora@example.com", "name": "Dora Designer", "role": "staff"})),
        StatusCode::CREATED,
    )
    .await;
    t.smtp.wait_for("dora@example.com", 1).await;
    call(
        &c,
        Method::POST,
        &format!("/api/v1/users/{}/invite", invited["id"].as_str().unwrap()),
        &admin,
        None,
        ok,
    )
    .await;
    t.smtp.wait_for("dora@example.com", 2).await;
    let me = call(
        &c,
        Method::PATCH,
        "/api/v1/me",
        &client,
        Some(json!({"date_format": "dd.mm.yyyy", "time_zone": "Europe/Berlin"})),
        ok,
    )
    .await;
    assert_eq!(
        (me["date_format"].as_str(), me["time_zone"].as_str()),
        (Some("dd.mm.yyyy"), Some("Europe/Berlin"))
    );
    let only_zone = call(&c, Method::PATCH, "/api/v1/me", &client, Some(json!({"time_zone": ""})), ok).await;
    assert_eq!(
        (only_zone["date_format"].as_str(), only_zone["time_zone"].is_null()),
        (Some("dd.mm.yyyy"), true)
    );
    let bad = c
        .api(Method::PATCH, "/api/v1/me", &client, Some(json!({"time_zone": "Mars/Olympus"})))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The audit trail: newest first, by subject, by action.
    let trail = call(&c, Method::GET, "/api/v1/audit?per_page=100", &admin, None, ok).await;
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"user.created"), "{actions:?}");
    let about_sam = call(&c, Method::GET, &format!("/api/v1/audit?subject={sam}"), &admin, None, ok).await;
    let items = about_sam["items"].as_array().unwrap();
    assert!(
        !items.is_empty() && items.iter().all(|e| e["subject_id"] == sam.to_string().as_str()),
        "{about_sam}"
    );
    assert_eq!(
        items[0]["actor"]["name"], "Ada Lindqvist",
        "the finance change, by the admin, comes first: {about_sam}"
    );
    let malformed = c.api(Method::GET, "/api/v1/audit?subject=nope", &admin, None).await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Undelivered emails: none here, and a retry that finds nothing says so.
    let undelivered = call(&c, Method::GET, "/api/v1/emails/undelivered", &admin, None, ok).await;
    assert_eq!(
        (undelivered["items"].clone(), undelivered["more"].clone()),
        (json!([]), json!(false))
    );
    let retried = call(&c, Method::POST, "/api/v1/emails/retry", &admin, Some(json!({})), ok).await;
    assert_eq!(retried["queued"], 0);
}
