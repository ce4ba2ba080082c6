//! The JSON API: bearer tokens, problem bodies, and the OpenAPI document.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use store::on_both_databases;

on_both_databases!(
    tokens_authenticate_and_carry_the_role,
    admins_manage_people_through_the_api,
    bad_bodies_get_problem_details,
    the_openapi_document_describes_every_api_route,
    a_clients_token_gets_the_clients_view,
    staff_run_a_task_through_the_api,
    paging_beyond_its_bounds_is_refused_not_clamped,
);

async fn tokens_authenticate_and_carry_the_role(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let client = t.client();
    let admin_token = t.app.create_api_token(ADMIN, "tests").await.unwrap();
    let staff_token = t.app.create_api_token(STAFF, "tests").await.unwrap();
    assert!(admin_token.starts_with("pt_"));

    let me = client.api(Method::GET, "/api/v1/me", &admin_token, None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["email"], ADMIN);
    assert_eq!(me.json()["role"], "admin");

    let anonymous = client.get("/api/v1/me").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers.get("www-authenticate").is_some());
    assert_eq!(anonymous.json()["code"], "unauthenticated");
    let forged = client.api(Method::GET, "/api/v1/me", "pt_forged", None).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);

    let staff = client.api(Method::GET, "/api/v1/users", &staff_token, None).await;
    assert_eq!(staff.status, StatusCode::FORBIDDEN);
    assert_eq!(staff.json()["code"], "forbidden");

    // A browser session does not authenticate the API.
    let browser = t.login(ADMIN, DEMO_PASSWORD).await;
    assert_eq!(browser.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);

    t.app
        .deactivate_user(&app::users::Actor::Operator, t.user_id(STAFF).await)
        .await
        .unwrap();
    assert_eq!(
        client.api(Method::GET, "/api/v1/me", &staff_token, None).await.status,
        StatusCode::UNAUTHORIZED,
        "a deactivated person's token stops working"
    );
}

async fn admins_manage_people_through_the_api(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let client = t.client();
    let token = t.app.create_api_token(ADMIN, "tests").await.unwrap();
    let created = client
        .api(
            Method::POST,
            "/api/v1/users",
            &token,
            Some(json!({"email": "Dora@Example.com", "name": "Dora Designer", "role": "staff"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let user = created.json();
    assert_eq!(user["email"], "dora@example.com");
    assert_eq!(user["has_password"], false);
    t.smtp.wait_for("dora@example.com", 1).await;

    let id = user["id"].as_str().unwrap().to_owned();
    let fetched = client.api(Method::GET, &format!("/api/v1/users/{id}"), &token, None).await;
    assert_eq!(fetched.json()["name"], "Dora Designer");
    let patched = client
        .api(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            &token,
            Some(json!({"name": "Dora D."})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(patched.json()["name"], "Dora D.");
    assert_eq!(patched.json()["email"], "dora@example.com", "an absent field is unchanged");

    let off = client
        .api(Method::POST, &format!("/api/v1/users/{id}/deactivate"), &token, None)
        .await;
    assert_eq!(off.json()["active"], false);
    let on = client
        .api(Method::POST, &format!("/api/v1/users/{id}/reactivate"), &token, None)
        .await;
    assert_eq!(on.json()["active"], true);

    let page = client
        .api(Method::GET, "/api/v1/users?role=staff&per_page=1&page=2", &token, None)
        .await;
    let body = page.json();
    assert_eq!(body["total"], 2);
    assert_eq!(body["per_page"], 1);
    assert_eq!(body["items"].as_array().unwrap().len(), 1);

    let duplicate = client
        .api(
            Method::POST,
            "/api/v1/users",
            &token,
            Some(json!({"email": "dora@example.com", "name": "Dup", "role": "staff"})),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert_eq!(duplicate.json()["field"], "email");
    let missing = client
        .api(Method::GET, &format!("/api/v1/users/{}", uuid::Uuid::now_v7()), &token, None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn bad_bodies_get_problem_details(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let client = t.client();
    let token = t.app.create_api_token(ADMIN, "tests").await.unwrap();
    let url = client.url("/api/v1/users");
    let send = |body: &'static str, content_type: &'static str| {
        client
            .http
            .post(url.clone())
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    let malformed = send("{\"email\": ", "application/json").await.unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(malformed.headers()["content-type"], "application/problem+json");
    let text = send("email=x", "text/plain").await.unwrap();
    assert_eq!(text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let unknown = send(
        "{\"email\":\"a@b.co\",\"name\":\"A\",\"role\":\"staff\",\"is_admin\":true}",
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = unknown.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("is_admin"), "{problem}");
    let wrong_type = send("{\"email\":1,\"name\":\"A\",\"role\":\"staff\"}", "application/json")
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad_role = send("{\"email\":\"a@b.co\",\"name\":\"A\",\"role\":\"root\"}", "application/json")
        .await
        .unwrap();
    assert_eq!(bad_role.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = bad_role.json().await.unwrap();
    assert_eq!(problem["field"], "role");
    assert_eq!(t.job_counts().await.pending + t.job_counts().await.done, 0, "nothing was sent");

    // A query string that does not parse is a problem too, not a plain-text answer.
    let query = client.api(Method::GET, "/api/v1/projects?page=abc", &token, None).await;
    assert_eq!(query.status, StatusCode::BAD_REQUEST);
    assert_eq!(query.headers["content-type"], "application/problem+json");
    assert_eq!(
        (query.json()["code"].as_str(), query.json()["field"].as_str()),
        (Some("invalid_input"), Some("query"))
    );
    assert!(query.json()["detail"].as_str().unwrap().contains("page"), "{}", query.body);
}

async fn the_openapi_document_describes_every_api_route(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let doc = t.client().get("/api/v1/openapi.json").await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["components"]["securitySchemes"]["token"].is_object());
    for route in web::routes::route_table()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/") && r.path != "/api/v1/openapi.json")
    {
        let method = route.method.as_str().to_lowercase();
        assert!(
            doc["paths"][route.path][&method].is_object(),
            "{} {} is missing from the OpenAPI document",
            route.method,
            route.path
        );
    }
    // The document says what the API does: errors are problem details, and an operation that
    // takes a JSON body also answers 400 and 415 (bad_bodies_get_problem_details checks the
    // behaviour).
    let mut with_body = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            for (status, response) in responses.iter().filter(|(s, _)| s.as_str() >= "400") {
                for (media, body) in response["content"].as_object().into_iter().flatten() {
                    if body["schema"]["$ref"].as_str().is_some_and(|r| r.ends_with("/Problem")) {
                        assert_eq!(media, "application/problem+json", "{method} {path} {status}");
                    }
                }
            }
            // A path parameter is one the path names; everything else is in the query.
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["in"] == "path" {
                    let name = parameter["name"].as_str().unwrap();
                    assert!(path.contains(&format!("{{{name}}}")), "{method} {path}: {name} is not in the path");
                }
            }
            if operation["requestBody"]["content"]["application/json"].is_object() {
                with_body += 1;
                assert!(responses.contains_key("400") && responses.contains_key("415"), "{method} {path}");
            }
        }
    }
    assert!(with_body >= 10, "operations with a JSON body: {with_body}");
    // Required fields, formats and bounds are in the schemas, as the server enforces them.
    let new_user = &doc["components"]["schemas"]["NewUserRequest"];
    assert_eq!(new_user["properties"]["email"]["format"], "email", "{new_user}");
    assert_eq!(new_user["properties"]["name"]["minLength"], 1, "{new_user}");
    let required: Vec<&str> = new_user["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        required.contains(&"email") && required.contains(&"name") && required.contains(&"role"),
        "{required:?}"
    );
    let per_page = doc["paths"]["/api/v1/projects"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "per_page")
        .unwrap();
    assert_eq!(
        (&per_page["in"], &per_page["schema"]["maximum"]),
        (&serde_json::json!("query"), &serde_json::json!(100))
    );
    let upload = &doc["paths"]["/api/v1/projects/{id}/files"]["post"];
    assert!(upload["requestBody"]["content"]["multipart/form-data"].is_object(), "{upload}");
    assert!(
        upload["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .is_some_and(|r| r.ends_with("/UploadReport"))
    );
}

async fn a_clients_token_gets_the_clients_view(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let client = t.client();
    let carla = t.app.create_api_token(CLIENT, "tests").await.unwrap();
    let oscar = t.app.create_api_token(OTHER_CLIENT, "tests").await.unwrap();

    let projects = client.api(Method::GET, "/api/v1/projects", &carla, None).await.json();
    let names: Vec<&str> = projects["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"Brand guidelines") && !names.contains(&"Globex mobile app"));

    let shared = format!("/api/v1/projects/{}", demo.shared);
    let project = client.api(Method::GET, &shared, &carla, None).await.json();
    let orgs: Vec<&str> = project["client_orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(orgs, vec!["Acme"], "a client sees only their own organisation on a shared project");
    assert!(
        project["staff"].as_array().unwrap().is_empty(),
        "assignees are hidden on this project"
    );

    let tasks = client.api(Method::GET, &format!("{shared}/tasks"), &carla, None).await.json();
    let task_names: Vec<&str> = tasks["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(!task_names.contains(&"Budget check"), "no internal task: {task_names:?}");
    assert!(
        tasks["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["requested_by_client"].is_null() && t["assignees"] == json!([]))
    );

    let typography = demo.task(demo.shared, "Typography").await;
    let comments = client
        .api(Method::GET, &format!("{shared}/tasks/{typography}/comments"), &carla, None)
        .await
        .json();
    let bodies: Vec<&str> = comments["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert!(bodies.contains(&"Acme is happy with Inter.") && !bodies.iter().any(|b| b.contains("serif") || b.contains("licence")));

    let internal = client
        .api(
            Method::POST,
            &format!("{shared}/tasks/{typography}/comments"),
            &carla,
            Some(json!({"body": "psst", "internal": true})),
        )
        .await;
    assert_eq!(
        internal.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "clients cannot write internal comments"
    );

    let acme_project = format!("/api/v1/projects/{}", demo.acme);
    let swapped = client.api(Method::GET, &acme_project, &oscar, None).await;
    assert_eq!(swapped.status, StatusCode::NOT_FOUND);
    assert_eq!(swapped.json()["code"], "not_found");
    let logo = demo.task(demo.acme, "Logo refresh").await;
    let by_other_project = client.api(Method::GET, &format!("{shared}/tasks/{logo}"), &oscar, None).await;
    assert_eq!(
        by_other_project.status,
        StatusCode::NOT_FOUND,
        "an id is resolved within its project"
    );

    let approve = client
        .api(
            Method::POST,
            &format!("{acme_project}/tasks/{logo}/reviews"),
            &carla,
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(approve.status, StatusCode::OK);
    assert_eq!(approve.json()["review"]["state"], "approved");
    assert_eq!(approve.json()["status"]["name"], "Completed");

    let page = client.api(Method::GET, "/api/v1/activity?limit=2", &carla, None).await.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let next = page["next"].as_str().unwrap().to_owned();
    let older = client
        .api(Method::GET, &format!("/api/v1/activity?limit=2&before={next}"), &carla, None)
        .await
        .json();
    assert_ne!(older["items"][0]["id"], page["items"][0]["id"], "the cursor moves on");
    let bad = client.api(Method::GET, "/api/v1/activity?before=nonsense", &carla, None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn staff_run_a_task_through_the_api(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let client = t.client();
    let sam = t.app.create_api_token(STAFF, "tests").await.unwrap();
    let carla = t.app.create_api_token(CLIENT, "tests").await.unwrap();
    let tasks = format!("/api/v1/projects/{}/tasks", demo.acme);

    let created = client
        .api(
            Method::POST,
            &tasks,
            &sam,
            Some(json!({"name": "Hero video", "priority": "high", "due_date": "2026-12-24"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let task = created.json();
    assert_eq!(task["client_visible"], false, "internal by default");
    assert_eq!(task["status"]["name"], "To Do");
    let path = format!("{tasks}/{}", task["id"].as_str().unwrap());
    assert_eq!(client.api(Method::GET, &path, &carla, None).await.status, StatusCode::NOT_FOUND);

    let shared = client
        .api(
            Method::PATCH,
            &path,
            &sam,
            Some(json!({"client_visible": true, "review_enabled": true})),
        )
        .await;
    assert_eq!(shared.status, StatusCode::OK);
    assert_eq!(client.api(Method::GET, &path, &carla, None).await.status, StatusCode::OK);

    let submitted = client
        .api(Method::POST, &format!("{path}/reviews"), &sam, Some(json!({"note": "Cut 1"})))
        .await;
    assert_eq!(submitted.json()["status"]["name"], "Under Review");
    let no_comment = client
        .api(
            Method::POST,
            &format!("{path}/reviews"),
            &carla,
            Some(json!({"decision": "request_revisions"})),
        )
        .await;
    assert_eq!(no_comment.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_comment.json()["field"], "comment");
    let bad_priority = client.api(Method::PATCH, &path, &sam, Some(json!({"priority": "asap"}))).await;
    assert_eq!(bad_priority.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown_field = client.api(Method::PATCH, &path, &sam, Some(json!({"colour": "red"}))).await;
    assert_eq!(unknown_field.status, StatusCode::UNPROCESSABLE_ENTITY);
    let project = format!("/api/v1/projects/{}", demo.acme);
    let foreign = t.app.project_overview(&demo.admin, demo.shared).await.unwrap().columns[0].id;
    let refused = client
        .api(
            Method::PATCH,
            &project,
            &sam,
            Some(json!({"name": "Renamed", "revisions_column_id": foreign})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["field"], "revisions_column");
    let after = client.api(Method::GET, &project, &sam, None).await.json();
    assert_eq!(after["name"], "Acme website redesign", "nothing of a refused edit is stored");
    let members = client.api(Method::PATCH, &project, &sam, Some(json!({"client_orgs": []}))).await;
    assert_eq!(members.status, StatusCode::FORBIDDEN, "staff do not change who is on a project");
    let rounds = client.api(Method::GET, &format!("{path}/reviews"), &carla, None).await.json();
    assert_eq!(rounds.as_array().unwrap().len(), 1);
    assert_eq!(rounds[0]["note"], "Cut 1");
}

/// A page size or limit outside what an operation allows is refused by name: a client that
/// asked for 500 items is told, instead of silently getting 100.
async fn paging_beyond_its_bounds_is_refused_not_clamped(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let client = t.client();
    let token = t.app.create_api_token(ADMIN, "tests").await.unwrap();
    let task = demo.task(demo.acme, "Logo refresh").await;
    let get = |path: String| {
        let (client, token) = (&client, &token);
        async move { client.api(Method::GET, &path, token, None).await }
    };
    for (path, field) in [
        ("/api/v1/projects?per_page=101".to_owned(), "per_page"),
        ("/api/v1/projects?page=0".to_owned(), "page"),
        ("/api/v1/users?per_page=0".to_owned(), "per_page"),
        ("/api/v1/clients?per_page=500".to_owned(), "per_page"),
        ("/api/v1/invoices?per_page=101".to_owned(), "per_page"),
        ("/api/v1/activity?limit=101".to_owned(), "limit"),
        (format!("/api/v1/projects/{}/tasks?per_page=201", demo.acme), "per_page"),
        (format!("/api/v1/projects/{}/files?per_page=0", demo.acme), "per_page"),
        (format!("/api/v1/projects/{}/tasks/{task}/comments?offset=-1", demo.acme), "offset"),
    ] {
        let refused = get(path.clone()).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", refused.body);
        assert_eq!(refused.json()["field"], field, "{path}");
    }
    // The largest allowed size is answered as asked.
    let page = get("/api/v1/projects?per_page=100".to_owned()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.json()["per_page"], 100);
}
