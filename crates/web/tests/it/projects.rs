//! Projects, tasks, comments and review as people use them, over HTTP, on both databases:
//! what staff change reaches the portal at once, and nothing more than was shared.

use crate::support::*;
use domain::ids::ProjectId;
use reqwest::StatusCode;
use store::on_both_databases;

on_both_databases!(
    a_stored_word_that_does_not_read_is_an_error_never_a_default,
    making_a_task_internal_removes_it_from_the_portal_at_once,
    internal_comments_and_other_clients_comments_stay_out_of_the_portal,
    a_review_round_trip_is_recorded_and_exported,
    a_review_on_a_shared_project_is_seen_only_by_the_organisation_it_is_addressed_to,
    a_client_request_lands_internal_for_triage,
    concurrent_moves_keep_every_card_once_in_a_consistent_order,
    why_cant_my_client_see_this_names_the_layer,
    preview_shows_the_contacts_portal_read_only,
    bad_task_input_is_refused_and_nothing_is_stored,
    projects_are_listed_filtered_and_paged,
    milestones_are_edited_shared_and_completed,
    an_admin_adds_a_client_and_invites_its_contacts,
    long_comment_threads_are_paged,
    a_step_moves_a_card_one_place,
    staff_create_internal_projects_and_only_admins_share_them_with_clients,
    an_approved_task_is_asked_again_only_by_reopening_its_review,
    the_feed_tells_one_persons_burst_on_an_item_as_one_line,
    the_portal_offers_what_each_contact_may_see,
    a_task_page_reads_first_and_edits_on_request,
    a_clients_page_lists_its_projects_and_invoices,
);

fn portal_task(project: ProjectId, task: domain::ids::TaskId) -> String {
    format!("/portal/projects/{project}/tasks/{task}")
}

async fn making_a_task_internal_removes_it_from_the_portal_at_once(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let task = demo.task(demo.acme, "Logo refresh").await;
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let sam = t.login(STAFF, DEMO_PASSWORD).await;

    assert_eq!(carla.get(&portal_task(demo.acme, task)).await.status, StatusCode::OK);
    let project_page = carla.get(&format!("/portal/projects/{}", demo.acme)).await;
    assert!(project_page.body.contains("Logo refresh"));

    let hidden = sam
        .post_form(
            &format!("/projects/{}/tasks/{task}/visibility", demo.acme),
            &[("client_visible", "0")],
        )
        .await;
    assert_eq!(hidden.status, StatusCode::SEE_OTHER);
    assert_eq!(carla.get(&portal_task(demo.acme, task)).await.status, StatusCode::NOT_FOUND);
    let project_page = carla.get(&format!("/portal/projects/{}", demo.acme)).await;
    assert!(!project_page.body.contains("Logo refresh"), "gone from the list");
    let dashboard = carla.get("/portal").await;
    assert!(
        !dashboard.body.contains("Logo refresh"),
        "gone from reviews waiting and the activity feed"
    );

    // What Carla wrote on it stays in the staff view.
    let staff_view = sam.get(&format!("/projects/{}/tasks/{task}", demo.acme)).await;
    assert!(staff_view.body.contains("Thanks! We will look at both today."));

    sam.post_form(
        &format!("/projects/{}/tasks/{task}/visibility", demo.acme),
        &[("client_visible", "1")],
    )
    .await;
    assert_eq!(carla.get(&portal_task(demo.acme, task)).await.status, StatusCode::OK);
}

async fn internal_comments_and_other_clients_comments_stay_out_of_the_portal(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let task = demo.task(demo.shared, "Typography").await;
    let sam = t.login(STAFF, DEMO_PASSWORD).await;
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let oscar = t.login(OTHER_CLIENT, DEMO_PASSWORD).await;
    let path = format!("/projects/{}/tasks/{task}/comments", demo.shared);
    sam.post_form(
        &path,
        &[
            ("body", "Margin is thin on this one <script>x</script>"),
            ("visibility", "internal"),
        ],
    )
    .await;
    sam.post_form(
        &path,
        &[("body", "We will send **two** options on Friday."), ("visibility", "client")],
    )
    .await;

    let for_carla = carla.get(&portal_task(demo.shared, task)).await.body;
    assert!(
        for_carla.contains("<strong>two</strong> options"),
        "visible comments render as Markdown"
    );
    assert!(!for_carla.contains("Margin is thin"), "internal comments never reach the portal");
    assert!(
        for_carla.contains("Acme is happy with Inter."),
        "Carla sees her own organisation's comment"
    );
    assert!(!for_carla.contains("Globex would like a serif"), "and never Globex's");
    let for_oscar = oscar.get(&portal_task(demo.shared, task)).await.body;
    assert!(for_oscar.contains("Globex would like a serif") && !for_oscar.contains("Acme is happy"));

    // A client cannot slip an internal comment in, and a comment they post is theirs alone.
    let reply = carla
        .post_form(
            &format!("/portal/projects/{}/tasks/{task}/comments", demo.shared),
            &[("body", "Sounds good from Acme")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(
        !oscar
            .get(&portal_task(demo.shared, task))
            .await
            .body
            .contains("Sounds good from Acme")
    );
    // An edit keeps the earlier text for staff; the portal shows only that it was edited.
    let (comments, _) = t.app.comments(&demo.admin, demo.shared, task, 100, 0).await.unwrap();
    let visible = comments.iter().find(|c| c.body.starts_with("We will send")).unwrap().id;
    let edited = sam
        .post_form(
            &format!("/projects/{}/tasks/{task}/comments/{visible}", demo.shared),
            &[("action", "edit"), ("body", "We will send **three** options on Monday.")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER);
    let for_carla = carla.get(&portal_task(demo.shared, task)).await.body;
    assert!(for_carla.contains("three") && for_carla.contains("(edited)") && !for_carla.contains("on Friday"));
    let carla_edits = carla
        .post_form(
            &format!("/projects/{}/tasks/{task}/comments/{visible}", demo.shared),
            &[("body", "x")],
        )
        .await;
    assert_eq!(carla_edits.status, StatusCode::FORBIDDEN, "the workspace is not the portal");
    let staff_view = sam.get(&format!("/projects/{}/tasks/{task}", demo.shared)).await.body;
    assert!(staff_view.contains("Earlier versions (1)") && staff_view.contains("We will send **two** options on Friday."));
    assert!(staff_view.contains("Sounds good from Acme") && staff_view.contains("Margin is thin on this one &#60;script&#62;"));
}

async fn a_review_round_trip_is_recorded_and_exported(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let task = demo.task(demo.acme, "Logo refresh").await;
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let sam = t.login(STAFF, DEMO_PASSWORD).await;
    let review = format!("/portal/projects/{}/tasks/{task}/review", demo.acme);
    assert_eq!(demo.column_of(demo.acme, task).await, "Under Review");

    let no_reason = carla
        .post_form(&review, &[("decision", "request_revisions"), ("comment", "  ")])
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY, "revisions need a comment");
    let revisions = carla
        .post_form(&review, &[("decision", "request_revisions"), ("comment", "Use the darker blue")])
        .await;
    assert_eq!(revisions.status, StatusCode::SEE_OTHER);
    assert_eq!(demo.column_of(demo.acme, task).await, "In Progress", "back to the staff workflow");
    let again = carla.post_form(&review, &[("decision", "approve")]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "a decided round cannot be decided twice");

    // The project says where a revision request sends the task: now the first column.
    let overview = t.app.project_overview(&demo.admin, demo.acme).await.unwrap();
    let to_do = overview.columns[0].id.to_string();
    let mut fields: Vec<(&str, &str)> = vec![
        ("name", "Acme website redesign"),
        ("status", "active"),
        ("revisions_column", &to_do),
    ];
    let review_column = overview.project.review_column_id.unwrap().to_string();
    let approved_column = overview.project.approved_column_id.unwrap().to_string();
    fields.push(("review_column", &review_column));
    fields.push(("approved_column", &approved_column));
    let other = t.app.project_overview(&demo.admin, demo.shared).await.unwrap().columns[0]
        .id
        .to_string();
    let foreign = sam
        .post_form(
            &format!("/projects/{}", demo.acme),
            &[("name", "Acme website redesign"), ("revisions_column", &other)],
        )
        .await;
    assert_eq!(
        foreign.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a column of another project is refused"
    );
    let unchanged = t.app.project_overview(&demo.admin, demo.acme).await.unwrap().project;
    assert!(unchanged.description.contains("marketing site"), "a refused edit stores nothing");
    assert_eq!(
        sam.post_form(&format!("/projects/{}", demo.acme), &fields).await.status,
        StatusCode::SEE_OTHER
    );

    let resubmit = sam
        .post_form(
            &format!("/projects/{}/tasks/{task}/submit-review", demo.acme),
            &[("note", "Darker blue, as asked")],
        )
        .await;
    assert_eq!(resubmit.flash_kind(), "success", "{}", resubmit.flash());
    assert_eq!(demo.column_of(demo.acme, task).await, "Under Review");
    let second = carla
        .post_form(&review, &[("decision", "request_revisions"), ("comment", "Almost: a bit lighter")])
        .await;
    assert_eq!(second.status, StatusCode::SEE_OTHER);
    assert_eq!(
        demo.column_of(demo.acme, task).await,
        "To Do",
        "the project's chosen revisions column"
    );
    sam.post_form(
        &format!("/projects/{}/tasks/{task}/submit-review", demo.acme),
        &[("note", "Lighter")],
    )
    .await;
    let approved = carla.post_form(&review, &[("decision", "approve")]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    assert_eq!(demo.column_of(demo.acme, task).await, "Completed");

    let csv = carla.get(&format!("/portal/projects/{}/reviews.csv", demo.acme)).await;
    assert_eq!(csv.status, StatusCode::OK);
    let rows: Vec<&str> = csv.body.lines().filter(|l| l.starts_with("Logo refresh,")).collect();
    assert_eq!(rows.len(), 3, "three rounds: {}", csv.body);
    assert!(rows[0].contains("revisions_requested") && rows[0].contains("Carla Romero") && rows[0].contains("Use the darker blue"));
    assert!(rows[2].contains("approved") && rows[2].contains("Lighter"));
    let json = sam.get(&format!("/projects/{}/reviews.json", demo.acme)).await.json();
    let rounds: Vec<&serde_json::Value> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["task_name"] == "Logo refresh")
        .collect();
    assert_eq!(rounds.len(), 3);
    assert_eq!(rounds[2]["decided_by"], "Carla Romero");
}

/// The attack that found the leak: on the project Acme and Globex share, Acme's decision and
/// its comment reached Globex's contact on the task page, in the API and in the CSV, and the
/// task read "Approved" to Globex, who never decided.
async fn a_review_on_a_shared_project_is_seen_only_by_the_organisation_it_is_addressed_to(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let sam = t.login(STAFF, DEMO_PASSWORD).await;
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let oscar = t.login(OTHER_CLIENT, DEMO_PASSWORD).await;
    let task = demo.task(demo.shared, "Typography").await;
    let staff_page = format!("/projects/{}/tasks/{task}", demo.shared);
    let review_on = sam
        .post_form(
            &staff_page,
            &[
                ("name", "Typography"),
                ("priority", "medium"),
                ("client_visible", "on"),
                ("review_enabled", "on"),
            ],
        )
        .await;
    assert_eq!(review_on.status, StatusCode::SEE_OTHER, "{}", review_on.body);
    let submit = format!("{staff_page}/submit-review");

    // Two clients share the project: staff must say which one reviews.
    let form = sam.get(&staff_page).await;
    assert!(form.body.contains("Client who reviews"), "the form asks whom to address");
    let unaddressed = sam.post_form(&submit, &[("note", "Fonts")]).await;
    assert_eq!(unaddressed.flash_kind(), "error");
    let shown = sam.follow(&unaddressed).await.body;
    assert!(shown.contains("Choose the client organisation"), "{shown}");
    let acme_org = t.org_of(CLIENT).await;
    let addressed = sam
        .post_form(&submit, &[("note", "Fonts for headings"), ("organisation", &acme_org.to_string())])
        .await;
    assert_eq!(addressed.status, StatusCode::SEE_OTHER, "{}", addressed.body);

    // Globex sees the task, not the review: no prompt, no badge, no trail.
    let portal = portal_task(demo.shared, task);
    let globex_view = oscar.get(&portal).await;
    assert_eq!(globex_view.status, StatusCode::OK);
    assert!(!globex_view.body.contains("Fonts for headings"), "the note is Acme's");
    assert!(!globex_view.body.contains("Your review"), "no prompt for Globex");
    assert!(!globex_view.body.contains("Awaiting review"));
    let refused = oscar.post_form(&format!("{portal}/review"), &[("decision", "approve")]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "Globex cannot decide Acme's review");
    assert!(carla.get(&portal).await.body.contains("Your review"), "Acme is asked");

    let decided = carla
        .post_form(
            &format!("{portal}/review"),
            &[("decision", "request_revisions"), ("comment", "our CFO hates teal")],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER);
    let globex_view = oscar.get(&portal).await.body;
    for leak in ["our CFO hates teal", "Revisions requested", "Round 1"] {
        assert!(!globex_view.contains(leak), "{leak:?} reached Globex's task page");
    }
    let csv = oscar.get(&format!("/portal/projects/{}/reviews.csv", demo.shared)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(!csv.body.contains("Typography"), "Globex's CSV: {}", csv.body);
    let globex_token = t.app.create_api_token(OTHER_CLIENT, "tests").await.unwrap();
    let api = t.client();
    let path = format!("/api/v1/projects/{}/tasks/{task}/reviews", demo.shared);
    let rounds = api.api(reqwest::Method::GET, &path, &globex_token, None).await;
    assert_eq!(rounds.status, StatusCode::OK);
    assert_eq!(rounds.json(), serde_json::json!([]), "no round for Globex in the API");
    let task_json = api
        .api(
            reqwest::Method::GET,
            &format!("/api/v1/projects/{}/tasks/{task}", demo.shared),
            &globex_token,
            None,
        )
        .await
        .json();
    assert_eq!(task_json["name"], "Typography", "Globex sees the task itself");
    assert!(task_json["review"]["state"].is_null(), "but not its review's state: {task_json}");
    let feed = oscar.get("/portal").await.body;
    assert!(
        !feed.contains("our CFO hates teal") && !feed.contains("Typography for review"),
        "Globex's dashboard"
    );

    // Acme and staff see the whole trail, and staff see whom each round was for.
    let acme_token = t.app.create_api_token(CLIENT, "tests").await.unwrap();
    let acme_rounds = api.api(reqwest::Method::GET, &path, &acme_token, None).await.json();
    assert_eq!(acme_rounds[0]["comment"], "our CFO hates teal");
    assert!(sam.get(&staff_page).await.body.contains("Round 1</strong> for Acme"));

    // "Why can't my client see this?" names the layer for Globex's contact.
    let admin_token = t.app.create_api_token(ADMIN, "tests").await.unwrap();
    let oscar_id = t.user_id(OTHER_CLIENT).await;
    let why = api
        .api(
            reqwest::Method::GET,
            &format!("/api/v1/projects/{}/visibility?review={task}&contact={oscar_id}", demo.shared),
            &admin_token,
            None,
        )
        .await
        .json();
    assert_eq!(why["visible"], false);
    assert_eq!(why["layer"], "review_for_another_organisation", "{why}");
    let carla_id = t.user_id(CLIENT).await;
    let why = api
        .api(
            reqwest::Method::GET,
            &format!("/api/v1/projects/{}/visibility?review={task}&contact={carla_id}", demo.shared),
            &admin_token,
            None,
        )
        .await
        .json();
    assert_eq!(why["visible"], true, "{why}");
}

async fn a_client_request_lands_internal_for_triage(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let path = format!("/portal/projects/{}/requests", demo.acme);
    let refused = carla.post_form(&path, &[("name", "A press kit page")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "task requests are off by default");

    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let acme_org = t.org_of(CLIENT).await;
    let record = admin.get(&format!("/admin/clients/{acme_org}")).await;
    assert!(record.body.contains("Request new tasks"));
    let mut fields: Vec<(&str, &str)> = vec![("name", "Acme"), ("currency", "USD")];
    for key in ["view_tasks", "comment_on_tasks", "request_tasks", "review", "view_milestones"] {
        fields.push(("permissions", key));
    }
    assert_eq!(
        admin.post_form(&format!("/admin/clients/{acme_org}"), &fields).await.status,
        StatusCode::SEE_OTHER
    );

    let sent = carla
        .post_form(&path, &[("name", "A press kit page"), ("description", "For the launch")])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let portal = carla.get(&format!("/portal/projects/{}", demo.acme)).await;
    assert!(
        !portal.body.contains("A press kit page"),
        "a request is internal until staff share it"
    );
    let task = demo.task(demo.acme, "A press kit page").await;
    let card = t.app.task(&demo.admin, demo.acme, task).await.unwrap();
    assert!(!card.task.client_visible && card.task.requested_by_org_id == Some(acme_org));
    let sam = t.login(STAFF, DEMO_PASSWORD).await;
    let triage = sam.get(&format!("/projects/{}/tasks/{task}", demo.acme)).await;
    assert!(triage.body.contains("Requested by a client"));
}

async fn concurrent_moves_keep_every_card_once_in_a_consistent_order(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let sam = domain::access::Viewer::staff(t.user_id(STAFF).await);
    let overview = t.app.project_overview(&sam, demo.acme).await.unwrap();
    let columns: Vec<domain::ids::ColumnId> = overview.columns.iter().map(|c| c.id).collect();
    let (cards, _) = t.app.tasks(&sam, demo.acme, &Default::default(), 100, 0).await.unwrap();
    let ids: Vec<domain::ids::TaskId> = cards.iter().map(|c| c.task.id).collect();

    // Two people drag cards at once, over and over, each always to the top of a column.
    let mut moves = Vec::new();
    for round in 0..24 {
        let app = t.app.clone();
        let task = ids[round % ids.len()];
        let column = columns[(round * 7) % columns.len()];
        let project = demo.acme;
        moves.push(tokio::spawn(async move {
            app.move_task(&sam, project, task, app::tasks::Drop { column, after: None }).await
        }));
    }
    for m in moves {
        m.await.unwrap().unwrap();
    }
    let board = t.app.board(&sam, demo.acme, &Default::default()).await.unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for (_, cards) in &board.columns {
        let positions: Vec<i64> = cards.iter().map(|c| c.task.position).collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "positions are distinct and ordered: {positions:?}"
        );
        for card in cards {
            assert!(seen.insert(card.task.id), "a card appears once");
            let done = board.columns.iter().find(|(c, _)| c.id == card.task.column_id).unwrap().0.is_done;
            assert_eq!(card.task.completed_at.is_some(), done, "completion follows the column");
        }
    }
    assert_eq!(seen.len(), ids.len(), "no card lost");
}

async fn why_cant_my_client_see_this_names_the_layer(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let internal = demo.task(demo.acme, "Set up the staging server").await;
    let shared = demo.task(demo.acme, "Collect brand assets").await;
    let ask = |task: domain::ids::TaskId, email: &'static str| {
        let admin = &admin;
        let t = &t;
        let acme = demo.acme;
        async move {
            let contact = t.user_id(email).await;
            admin
                .get(&format!("/admin/projects/{acme}/visibility?task={task}&contact={contact}"))
                .await
                .body
        }
    };
    assert!(ask(shared, CLIENT).await.contains("Visible: this contact sees it"));
    assert!(ask(internal, CLIENT).await.contains("The item is internal"));
    assert!(
        ask(shared, OTHER_CLIENT)
            .await
            .contains("organisation is not assigned to the project")
    );
    assert!(
        ask(shared, FINANCE)
            .await
            .contains("none of the portal permissions that show projects")
    );
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    assert_eq!(
        staff.get(&format!("/admin/projects/{}/visibility", demo.acme)).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn preview_shows_the_contacts_portal_read_only(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let oscar = t.user_id(OTHER_CLIENT).await;
    let dashboard = admin.get(&format!("/admin/preview/{oscar}")).await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.body.contains("exactly as Oscar Bennett sees it"));
    assert!(dashboard.body.contains("Globex mobile app") && !dashboard.body.contains("Acme website redesign"));
    let own = admin.get(&format!("/admin/preview/{oscar}/projects/{}", demo.globex)).await;
    assert!(own.status == StatusCode::OK && own.body.contains("Login screen") && !own.body.contains("Offline sync spike"));
    let task = demo.task(demo.shared, "Colour palette").await;
    let page = admin
        .get(&format!("/admin/preview/{oscar}/projects/{}/tasks/{task}", demo.shared))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("<form method=\"post\" action=\"/portal"),
        "no form in a preview"
    );
    assert!(!page.body.contains("Acme is happy"), "the preview hides what Oscar cannot see");
}

async fn bad_task_input_is_refused_and_nothing_is_stored(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let sam = t.login(STAFF, DEMO_PASSWORD).await;
    let path = format!("/projects/{}/tasks", demo.acme);
    let long = "n".repeat(10_000);
    let other_column = t.app.project_overview(&demo.admin, demo.shared).await.unwrap().columns[0]
        .id
        .to_string();
    for (field, value) in [
        ("name", long.as_str()),
        ("name", ""),
        ("priority", "asap"),
        ("due_date", "2026-02-30"),
        ("column", other_column.as_str()),
        ("assignees", "not-an-id"),
    ] {
        let mut fields = vec![("name", "Valid"), ("priority", "high")];
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let page = sam.post_form(&path, &fields).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}={value:.20}");
        assert!(page.body.contains("class=\"alert\""), "a message for {field}");
    }
    let backwards = sam
        .post_form(
            &path,
            &[("name", "Backwards"), ("start_date", "2026-12-10"), ("due_date", "2026-12-01")],
        )
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (cards, _) = t.app.tasks(&demo.admin, demo.acme, &Default::default(), 100, 0).await.unwrap();
    assert_eq!(cards.len(), 6, "nothing half-stored");

    let sneaky = "'; DROP TABLE tasks; -- <img src=x onerror=alert(1)>";
    let created = sam.post_form(&path, &[("name", sneaky), ("client_visible", "on")]).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let portal = carla.get(&format!("/portal/projects/{}", demo.acme)).await.body;
    assert!(
        portal.contains("&#39;; DROP TABLE tasks; -- &#60;img src=x onerror=alert(1)&#62;"),
        "stored literally, shown escaped"
    );
}

async fn projects_are_listed_filtered_and_paged(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    for n in 0..32 {
        let name = format!("Zeta project {n:02}");
        let status = if n % 2 == 0 { "active" } else { "on_hold" };
        let page = admin.post_form("/projects", &[("name", &name), ("status", status)]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
    }
    let first = admin.get("/projects?q=zeta").await;
    assert!(first.body.contains("32 projects · page 1 of 2"), "{}", first.body);
    let held = admin.get("/projects?q=zeta&status=on_hold").await;
    assert!(held.body.contains("16 projects"));
    let sam = t.login(STAFF, DEMO_PASSWORD).await;
    let staff_view = sam.get("/projects?q=zeta").await;
    assert!(
        staff_view.body.contains("No projects here"),
        "staff see only the projects they are on"
    );
    assert_eq!(admin.get("/projects?status=paused").await.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The dashboard's Overdue tile opens the projects it counts: past their deadline, not done.
    let today = t.app.today();
    for (name, deadline, status) in [
        ("Late launch", today - chrono::Days::new(3), "active"),
        ("Late but done", today - chrono::Days::new(3), "completed"),
        ("On time", today + chrono::Days::new(3), "active"),
    ] {
        let deadline = deadline.to_string();
        let page = admin
            .post_form("/projects", &[("name", name), ("status", status), ("deadline", &deadline)])
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
    let dashboard = admin.get("/admin").await.body;
    assert!(dashboard.contains(r#"href="/projects?status=overdue""#), "the tile is a link");
    let overdue = admin.get("/projects?status=overdue").await.body;
    assert!(overdue.contains("Late launch"), "{overdue}");
    assert!(!overdue.contains("Late but done") && !overdue.contains("On time") && !overdue.contains("Zeta project"));
}

async fn milestones_are_edited_shared_and_completed(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let sam = t.login(STAFF, DEMO_PASSWORD).await;
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let portal = format!("/portal/projects/{}", demo.acme);
    assert!(carla.get(&portal).await.body.contains("Design approved"));
    assert!(!carla.get(&portal).await.body.contains("Internal retrospective"));

    let milestones = t.app.milestones(&demo.admin, demo.acme).await.unwrap();
    let design = milestones.iter().find(|m| m.name == "Design approved").unwrap().id;
    let path = format!("/projects/{}/milestones/{design}", demo.acme);
    let bad = sam.post_form(&path, &[("name", ""), ("target_date", "2026-13-01")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let hidden = sam
        .post_form(&path, &[("name", "Design signed off"), ("target_date", "2026-12-20")])
        .await;
    assert_eq!(hidden.status, StatusCode::SEE_OTHER);
    let page = carla.get(&portal).await.body;
    assert!(
        !page.contains("Design signed off") && !page.contains("Design approved"),
        "unticked: internal at once"
    );

    sam.post_form(
        &path,
        &[
            ("name", "Design signed off"),
            ("target_date", "2026-12-20"),
            ("client_visible", "on"),
        ],
    )
    .await;
    assert_eq!(sam.post_form(&path, &[("completed", "1")]).await.status, StatusCode::SEE_OTHER);
    let page = carla.get(&portal).await.body;
    assert!(page.contains("Design signed off") && page.contains("20 Dec 2026") && page.contains("Completed"));
    let feed = carla.get("/portal").await.body;
    assert!(feed.contains("completed the milestone"), "the client's activity shows it");
}

async fn an_admin_adds_a_client_and_invites_its_contacts(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let duplicate = admin.post_form("/admin/clients", &[("name", "Acme"), ("currency", "EUR")]).await;
    assert_eq!(
        duplicate.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "one record per organisation name"
    );
    assert!(duplicate.body.contains("already exists") || duplicate.body.contains("with this name exists"));
    let bad = admin
        .post_form(
            "/admin/clients",
            &[("name", "Initech"), ("currency", "EURO"), ("website", "javascript:x")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("value=\"Initech\""), "the form keeps what was typed");

    let created = admin
        .post_form(
            "/admin/clients",
            &[
                ("name", "Initech"),
                ("currency", "eur"),
                ("address", "1 Main St\nSpringfield"),
                ("permissions", "view_invoices"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let record = created.location().to_owned();
    let page = admin.get(&record).await;
    assert!(page.body.contains("EUR") && page.body.contains("1 Main St"));

    let added = admin
        .post_form(
            &format!("{record}/contacts"),
            &[("name", "Peter Gibbons"), ("email", "peter@initech.example")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let mail = t.smtp.wait_for("peter@initech.example", 1).await;
    assert!(mail[0].text().contains("client portal"), "an invitation to the portal");
    let page = admin.get(&record).await.body;
    assert!(page.contains("Peter Gibbons") && page.contains("Primary") && page.contains("Invited"));

    let listed = admin.get("/admin/clients?q=gibbons").await.body;
    assert!(
        listed.contains("Initech") && !listed.contains("Globex"),
        "search finds the organisation by its contact"
    );
    assert_eq!(
        admin.post_form(&format!("{record}/archive"), &[("archived", "1")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(
        !admin.get("/admin/clients").await.body.contains("Initech"),
        "archived clients leave the list"
    );
    assert!(admin.get("/admin/clients?archived=1").await.body.contains("Initech"));
}

async fn long_comment_threads_are_paged(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let task = demo.task(demo.acme, "Collect brand assets").await;
    let sam = domain::access::Viewer::staff(t.user_id(STAFF).await);
    for n in 0..105 {
        t.app
            .add_comment(&sam, demo.acme, task, &format!("Note number {n:03}"), false)
            .await
            .unwrap();
    }
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let first = carla.get(&portal_task(demo.acme, task)).await.body;
    assert!(first.contains("105 comments · page 1 of 2") && first.contains("Note number 000") && !first.contains("Note number 104"));
    let second = carla.get(&format!("{}?page=2", portal_task(demo.acme, task))).await.body;
    assert!(second.contains("Note number 104") && !second.contains("Note number 000"));
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let staff_second = staff.get(&format!("/projects/{}/tasks/{task}?page=2", demo.acme)).await.body;
    assert!(staff_second.contains("Note number 104") && staff_second.contains("page 2 of 2"));
}

async fn a_step_moves_a_card_one_place(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let sam = t.login(STAFF, DEMO_PASSWORD).await;
    let order = |column: usize| {
        let demo = &demo;
        async move {
            let board = demo.app.board(&demo.admin, demo.acme, &Default::default()).await.unwrap();
            board.columns[column].1.iter().map(|c| c.task.name.clone()).collect::<Vec<_>>()
        }
    };
    assert_eq!(order(0).await, vec!["Collect brand assets", "Set up the staging server"]);
    let staging = demo.task(demo.acme, "Set up the staging server").await;
    let step = |step: &'static str| {
        let sam = &sam;
        let acme = demo.acme;
        async move {
            sam.post_form(&format!("/projects/{acme}/tasks/{staging}/move"), &[("step", step)])
                .await
                .status
        }
    };
    assert_eq!(step("up").await, StatusCode::SEE_OTHER);
    assert_eq!(order(0).await, vec!["Set up the staging server", "Collect brand assets"]);
    step("up").await;
    assert_eq!(
        order(0).await[0],
        "Set up the staging server",
        "a step past the edge changes nothing"
    );
    step("down").await;
    assert_eq!(order(0).await, vec!["Collect brand assets", "Set up the staging server"]);
    step("next").await;
    assert_eq!(
        order(1).await.last().map(String::as_str),
        Some("Set up the staging server"),
        "to the bottom of the next column"
    );
    step("previous").await;
    assert_eq!(order(0).await.last().map(String::as_str), Some("Set up the staging server"));
    assert_eq!(step("sideways").await, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn staff_create_internal_projects_and_only_admins_share_them_with_clients(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let acme_org = t.org_of(CLIENT).await.to_string();
    let sam = t.login(STAFF, DEMO_PASSWORD).await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;

    let form = sam.get("/projects/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(!form.body.contains("name=\"client_orgs\""), "no client checkboxes for staff");
    assert!(form.body.contains("an admin shares it with a client organisation"));
    assert!(admin.get("/projects/new").await.body.contains("name=\"client_orgs\""));

    // A form sent with a client anyway, and the API: refused with the reason, nothing made.
    let refused = sam
        .post_form(
            "/projects",
            &[("name", "Sneaky share"), ("status", "active"), ("client_orgs", &acme_org)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Only an admin shares a project"), "{}", refused.body);
    let token = t.app.create_api_token(STAFF, "tests").await.unwrap();
    let by_api = sam
        .api(
            reqwest::Method::POST,
            "/api/v1/projects",
            &token,
            Some(serde_json::json!({"name": "Sneaky share", "status": "active", "client_orgs": [acme_org]})),
        )
        .await;
    assert_eq!(by_api.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", by_api.body);
    assert!(by_api.body.contains("client_orgs"), "{}", by_api.body);
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    assert!(!carla.get("/portal").await.body.contains("Sneaky share"));
    let admin_viewer = domain::access::Viewer::Admin(t.user_id(ADMIN).await);
    let all = t
        .app
        .projects(
            &admin_viewer,
            &Default::default(),
            domain::users::PageRequest::new(Some(1), Some(100)),
        )
        .await
        .unwrap();
    assert!(all.items.len() >= 3, "the demo's projects are listed");
    assert!(!all.items.iter().any(|p| p.name == "Sneaky share"), "nothing was created");

    // Without a client it is created, internal; the admin then shares it.
    let created = sam
        .post_form("/projects", &[("name", "Internal kickoff"), ("status", "active")])
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let project = created.location().trim_start_matches("/projects/").to_owned();
    assert!(!carla.get("/portal").await.body.contains("Internal kickoff"));
    let sam_id = t.user_id(STAFF).await.to_string();
    let shared = admin
        .post_form(
            &format!("/projects/{project}"),
            &[
                ("name", "Internal kickoff"),
                ("status", "active"),
                ("staff", &sam_id),
                ("client_orgs", &acme_org),
            ],
        )
        .await;
    assert_eq!(shared.status, StatusCode::SEE_OTHER, "{}", shared.body);
    assert!(carla.get("/portal").await.body.contains("Internal kickoff"));
}

/// "Submit for review" was still offered after the client approved, and a new round silently
/// replaced the approval. Now an approved task is asked again only by reopening its review,
/// with a reason the trail keeps.
async fn an_approved_task_is_asked_again_only_by_reopening_its_review(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let logo = demo.task(demo.acme, "Logo refresh").await;
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let sam = t.login(STAFF, DEMO_PASSWORD).await;
    let approved = carla
        .post_form(&format!("{}/review", portal_task(demo.acme, logo)), &[("decision", "approve")])
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);

    let staff_task = format!("/projects/{}/tasks/{logo}", demo.acme);
    let page = sam.get(&staff_task).await.body;
    assert!(
        page.contains("Reopen the review") && !page.contains(">Submit for review<"),
        "{page}"
    );

    // Asked again without a reason: refused, and the approval stands.
    let submit = format!("{staff_task}/submit-review");
    let refused = sam.post_form(&submit, &[("note", "One more look?")]).await;
    assert_eq!(refused.flash_kind(), "error", "{}", refused.flash());
    assert!(refused.flash().contains("reopen the review"), "{}", refused.flash());
    let blank = sam.post_form(&submit, &[("reopen_reason", "  "), ("note", "x")]).await;
    assert_eq!(blank.flash_kind(), "error");
    let shown = carla.get(&portal_task(demo.acme, logo)).await.body;
    assert!(shown.contains("Approved") && !shown.contains("Reopened"), "{shown}");

    // Reopened with a reason: a new round waits for Acme, and both sides read why.
    let reopened = sam
        .post_form(
            &submit,
            &[("reopen_reason", "They want a print version"), ("note", "Print proofs attached")],
        )
        .await;
    assert_ne!(reopened.flash_kind(), "error", "{}", reopened.flash());
    let shown = carla.get(&portal_task(demo.acme, logo)).await.body;
    assert!(
        shown.contains("Reopened after your approval: “They want a print version”"),
        "{shown}"
    );
    assert!(
        sam.get(&staff_task)
            .await
            .body
            .contains("Reopened after approval: “They want a print version”")
    );
    let (_, _, csv) = sam.get_bytes(&format!("/projects/{}/reviews.csv", demo.acme), &[]).await;
    assert!(String::from_utf8(csv).unwrap().contains(",They want a print version,"));
    let state = t.app.task(&demo.admin, demo.acme, logo).await.unwrap().task.review_state;
    assert_eq!(state.map(|s| s.as_str()), Some("pending"));
}

/// The lines of a page's activity feed, as text with the markup of each line kept.
fn feed_lines(html: &str) -> Vec<String> {
    let feed = html
        .split("<ol class=\"timeline\">")
        .nth(1)
        .expect("a feed")
        .split("</ol>")
        .next()
        .unwrap();
    feed.split("<li>")
        .skip(1)
        .map(|l| l.split("</li>").next().unwrap().to_owned())
        .collect()
}

async fn the_feed_tells_one_persons_burst_on_an_item_as_one_line(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let sam = domain::access::Viewer::Staff {
        id: t.user_id(STAFF).await,
        finance: false,
    };
    let sam_name = t.app.user(t.user_id(STAFF).await).await.unwrap().name;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let portal = format!("/portal/projects/{}", demo.acme);

    // A file uploaded, then shared: one line, not "uploaded" and then "shared".
    let files = format!("/projects/{}/files", demo.acme);
    staff.upload(&files, &[("plan.txt", b"the plan", "text/plain")]).await;
    let plan = t
        .app
        .files_in(&demo.admin, demo.acme, app::files::Destination::Top, None, 200)
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.name == "plan.txt")
        .unwrap()
        .id;
    let shared = staff.post_form(&format!("{files}/{plan}/visibility"), &[("shared", "on")]).await;
    assert_eq!(shared.status, StatusCode::SEE_OTHER);
    let lines = feed_lines(&carla.get(&portal).await.body);
    let about_plan: Vec<&String> = lines.iter().filter(|l| l.contains("plan.txt")).collect();
    assert_eq!(about_plan.len(), 1, "{lines:#?}");
    assert!(
        about_plan[0].contains(&format!("{sam_name} uploaded and shared the file <a")),
        "{}",
        about_plan[0]
    );

    // A card moved three times: one line saying where it ended up; only its name links.
    let task = demo.task(demo.acme, "Collect brand assets").await;
    for _ in 0..3 {
        t.app.step_task(&sam, demo.acme, task, app::tasks::Step::Next).await.unwrap();
    }
    let lines = feed_lines(&staff.get(&format!("/projects/{}", demo.acme)).await.body);
    let moves: Vec<&String> = lines.iter().filter(|l| l.contains("moved")).collect();
    assert_eq!(moves.len(), 1, "{lines:#?}");
    assert!(
        moves[0].ends_with(&format!(
            "moved <a href=\"/projects/{}/tasks/{task}\">Collect brand assets</a> to Completed <span class=\"muted\">(3 times)</span>",
            demo.acme
        )),
        "{}",
        moves[0]
    );

    // Another person's event, or a pause, starts a new line.
    let carla_viewer = t.app.user(t.user_id(CLIENT).await).await.unwrap().viewer();
    t.app
        .add_comment(&carla_viewer, demo.acme, task, "Got them, thanks.", false)
        .await
        .unwrap();
    t.app.clock.advance(chrono::Duration::minutes(11));
    t.app
        .add_comment(&carla_viewer, demo.acme, task, "One more thing.", false)
        .await
        .unwrap();
    t.app
        .add_comment(&carla_viewer, demo.acme, task, "And another.", false)
        .await
        .unwrap();
    let lines = feed_lines(&carla.get(&portal).await.body);
    let comments: Vec<&String> = lines.iter().filter(|l| l.contains("commented on")).collect();
    assert!(comments.len() >= 2, "{lines:#?}");
    assert!(comments[0].contains("(2 times)"), "the newest burst: {}", comments[0]);
    assert!(!comments[1].contains("times)"), "the comment before the pause: {}", comments[1]);
}

async fn the_portal_offers_what_each_contact_may_see(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let nav = |html: &str| {
        html.split("<nav")
            .nth(1)
            .unwrap_or_default()
            .split("</nav>")
            .next()
            .unwrap()
            .to_owned()
    };

    // A contact with every permission: projects, files and invoices in the navigation.
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let home = carla.get("/portal").await.body;
    for href in ["/portal/projects", "/portal/files", "/portal/invoices"] {
        assert!(nav(&home).contains(&format!("href=\"{href}\"")), "{href} in {}", nav(&home));
    }
    let projects = carla.get("/portal/projects").await;
    assert_eq!(projects.status, StatusCode::OK);
    assert!(projects.body.contains("Acme website redesign") && projects.body.contains("Brand guidelines"));
    assert!(!projects.body.contains("Globex mobile app"), "another client's project");
    let files = carla.get("/portal/files").await.body;
    assert!(
        files.contains("Homepage mockup.png") && files.contains("Brand guidelines draft.pdf"),
        "{files}"
    );
    assert!(
        !files.contains("Budget notes.txt") && !files.contains("Globex fonts.txt"),
        "internal or another client's"
    );

    // The review history is offered where there is one.
    let website = carla.get(&format!("/portal/projects/{}", demo.acme)).await.body;
    assert!(website.contains("Review history (CSV)"));
    let oscar = t.login(OTHER_CLIENT, DEMO_PASSWORD).await;
    let mobile = oscar.get(&format!("/portal/projects/{}", demo.globex)).await.body;
    assert!(!mobile.contains("Review history (CSV)"), "no review on the Globex app yet");

    // A project without tasks says so, not "0% · 0 of 0 tasks completed".
    let details = domain::projects::ProjectDetails::parse(&domain::projects::ProjectInput {
        name: "Annual report",
        status: "active",
        ..Default::default()
    })
    .unwrap();
    let members = app::projects::Members {
        staff: vec![t.user_id(STAFF).await],
        client_orgs: vec![t.org_of(CLIENT).await],
    };
    t.app.create_project(&demo.admin, &details, &members).await.unwrap();
    let listed = carla.get("/portal/projects").await.body;
    let card = listed.split("Annual report").nth(1).unwrap().split("</li>").next().unwrap();
    assert!(card.contains("No tasks yet") && !card.contains("0 of 0"), "{card}");

    // An invoices-only contact is offered invoices, not projects that "will appear here".
    let fiona = t.login(FINANCE, DEMO_PASSWORD).await;
    let home = fiona.get("/portal").await.body;
    assert!(nav(&home).contains("href=\"/portal/invoices\""));
    assert!(!nav(&home).contains("/portal/projects") && !nav(&home).contains("/portal/files"));
    assert!(!home.contains("Your projects") && !home.contains("will appear here"), "{home}");
    assert_eq!(fiona.get("/portal/files").await.status, StatusCode::NOT_FOUND);
}

async fn a_task_page_reads_first_and_edits_on_request(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let task = demo.task(demo.acme, "Homepage layout").await;
    let page = format!("/projects/{}/tasks/{task}", demo.acme);

    // The edit form, asked for, saves; the page then reads the task, not a form.
    let form = staff.get(&format!("{page}?edit=1")).await.body;
    assert!(form.contains("id=\"name\"") && form.contains("Save changes"), "the form on request");
    let mut fields: Vec<(&str, String)> = vec![
        ("name", "Homepage layout".into()),
        ("description", "The hero gets **the new photo**.".into()),
        ("priority", "high".into()),
        ("client_visible", "on".into()),
        ("review_enabled", "on".into()),
    ];
    let column = form.split("name=\"column\"").nth(1).unwrap().split("selected").next().unwrap();
    let column = column.rsplit("value=\"").next().unwrap().split('"').next().unwrap().to_owned();
    fields.push(("column", column));
    fields.push(("assignees", t.user_id(STAFF).await.to_string()));
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = staff.post_form(&page, &borrowed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let read = staff.get(&page).await.body;
    assert!(!read.contains("id=\"name\""), "no form until Edit");
    assert!(read.contains("<strong>the new photo</strong>"), "the description rendered");
    assert!(read.contains("href=\"?edit=1#task-form-title\""), "an Edit action");
    assert!(
        read.contains("Sam Okafor") && read.contains("High"),
        "assignee and priority in words"
    );
    assert!(read.contains("Shared with the project's clients, who review it"));

    // A refused change shows the form again with what was typed.
    let mut bad = borrowed.clone();
    bad[0] = ("name", "");
    let refused = staff.post_form(&page, &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("id=\"name\"") && refused.body.contains("the new photo"));
}

async fn a_clients_page_lists_its_projects_and_invoices(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let acme = t.org_of(CLIENT).await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let page = admin.get(&format!("/admin/clients/{acme}")).await.body;
    let section = |title: &str| {
        page.split(&format!("id=\"{title}\""))
            .nth(1)
            .unwrap()
            .split("</section>")
            .next()
            .unwrap()
            .to_owned()
    };
    let projects = section("client-projects-title");
    assert!(
        projects.contains("Acme website redesign") && projects.contains("Brand guidelines"),
        "{projects}"
    );
    assert!(!projects.contains("Globex mobile app"));
    let invoices = section("client-invoices-title");
    assert!(
        invoices.contains("INV-") && invoices.contains("Viewed") && invoices.contains("Draft"),
        "{invoices}"
    );
    assert!(
        invoices.contains(&format!("href=\"/invoices?client={acme}\"")),
        "a link to all of them: {invoices}"
    );

    // The projects list filtered by the client, as the page's links do.
    let listed = admin.get(&format!("/projects?client={acme}")).await.body;
    assert!(listed.contains("Acme website redesign") && !listed.contains("Globex mobile app"));
    assert_eq!(
        admin.get("/projects?client=nonsense").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

/// A stored word the code does not know is a read error naming the row, the column and the
/// value, never a default (a priority that did not parse used to read as Medium). Priorities,
/// review states and attempt statuses are also held by CHECK constraints; a gateway is not
/// (a gateway could be retired), so it shows the read.
async fn a_stored_word_that_does_not_read_is_an_error_never_a_default(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let corrupt = |sql: &'static str| {
        let app = t.app.clone();
        async move {
            let mut tx = app.db.begin().await.unwrap();
            let done = store::on_conn!(&mut tx.conn(), c => sqlx::query(sql).execute(&mut *c).await.map(|_| ()));
            tx.commit().await.unwrap();
            done
        }
    };
    assert!(
        corrupt("UPDATE tasks SET priority = 'urgentt' WHERE name = 'Logo refresh'")
            .await
            .is_err()
    );

    let invoice = {
        let filter = store::invoices::InvoiceFilter {
            status: Some(domain::invoices::InvoiceStatus::Sent),
            ..Default::default()
        };
        let page = domain::users::PageRequest::new(Some(1), Some(1));
        t.app.invoices(&demo.admin, &filter, page).await.unwrap().items[0].id
    };
    let attempt = domain::ids::PaymentAttemptId::new();
    let new = store::payments::NewAttempt {
        id: attempt,
        invoice,
        gateway: domain::payments::Gateway::Stripe,
        amount: 100,
        currency: domain::money::Currency::parse("EUR").unwrap(),
        created_by: t.user_id(CLIENT).await,
    };
    let mut tx = t.app.db.begin().await.unwrap();
    store::payments::insert_attempt(&mut tx.conn(), &new, chrono::Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let read = || async {
        let mut handle = t.app.db.read().await.unwrap();
        store::payments::attempt(&mut handle.conn(), attempt).await
    };
    assert_eq!(read().await.unwrap().gateway, domain::payments::Gateway::Stripe);
    corrupt("UPDATE payment_attempts SET gateway = 'stripey'").await.unwrap();
    let detail = match read().await.map(|_| ()).unwrap_err() {
        domain::Error::Internal(detail) => detail,
        other => panic!("an internal error, not {other:?}"),
    };
    assert!(detail.contains(&format!("payment attempt {attempt}")), "{detail}");
    assert!(
        detail.contains("gateway") && detail.contains("\"stripey\" is not a payment gateway"),
        "{detail}"
    );
}
