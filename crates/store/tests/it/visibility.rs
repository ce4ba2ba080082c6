//! The differential test of the visibility policy: on random workspaces, every scoped query
//! returns exactly what the pure policy of `domain::access` allows, for every kind of viewer.

use chrono::Duration;
use domain::access::*;
use domain::activity::ActivityKind;
use domain::ids::*;
use domain::invoices::InvoiceStatus;
use domain::milestones::MilestoneDetails;
use domain::projects::{ProjectDetails, ProjectInput, ProjectStatus};
use domain::tasks::{TaskDetails, TaskInput};
use domain::users::{Email, PageRequest, PersonName, Role};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeSet, HashMap};
use store::on_both_databases;
use store::scope::Scope;
use store::testing::{Backend, fresh_db};
use uuid::Uuid;

on_both_databases!(scoped_queries_return_exactly_what_the_policy_allows);

struct Person {
    id: UserId,
    org: Option<ClientOrgId>,
    viewer: Viewer,
}

struct ProjectModel {
    id: ProjectId,
    archived: bool,
    staff: Vec<UserId>,
    orgs: Vec<ClientOrgId>,
    status: &'static str,
    deadline: Option<chrono::NaiveDate>,
}

struct TaskModel {
    id: TaskId,
    project: usize,
    facts: TaskFacts,
    due: Option<chrono::NaiveDate>,
    completed: bool,
    assignees: Vec<UserId>,
    /// The current review: whom it is addressed to, and its state.
    review: Option<(ReviewFacts, &'static str)>,
}

/// A review round, addressed to one of the project's organisations, perhaps decided by one
/// of its contacts.
struct RoundModel {
    id: Uuid,
    task: usize,
    review: ReviewFacts,
    decider_org: Option<ClientOrgId>,
}

struct CommentModel {
    id: CommentId,
    task: usize,
    facts: CommentFacts,
}

struct MilestoneModel {
    id: MilestoneId,
    project: usize,
    facts: MilestoneFacts,
}

struct FileModel {
    id: FileId,
    project: usize,
    /// The task of an attachment.
    task: Option<usize>,
    facts: FileFacts,
    /// Each version's id and its uploader's organisation (whose name a client may not see).
    versions: Vec<(Uuid, Option<ClientOrgId>)>,
}

struct InvoiceModel {
    id: InvoiceId,
    facts: InvoiceFacts,
}

struct EventModel {
    project: usize,
    facts: EventFacts,
    marker: String,
}

struct World {
    people: Vec<Person>,
    projects: Vec<ProjectModel>,
    tasks: Vec<TaskModel>,
    comments: Vec<CommentModel>,
    rounds: Vec<RoundModel>,
    milestones: Vec<MilestoneModel>,
    events: Vec<EventModel>,
    files: Vec<FileModel>,
    invoices: Vec<InvoiceModel>,
}

fn random_permissions(rng: &mut StdRng) -> PortalPermissions {
    PortalPermissions::from_permissions(Permission::ALL.into_iter().filter(|_| rng.gen_bool(0.7)))
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T], p: f64) -> Vec<T> {
    items.iter().copied().filter(|_| rng.gen_bool(p)).collect()
}

async fn build(db: &store::Db, seed: u64) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    let now = store::now();
    let today = now.date_naive();
    let mut tx = db.begin().await.unwrap();
    let mut conn = tx.conn();
    let mut people = Vec::new();
    let mut orgs = Vec::new();
    let add_person = |role: Role, org: Option<ClientOrgId>, n: usize| {
        let email = Email::parse(&format!("p{n}-{seed}@example.com")).unwrap();
        let name = PersonName::parse(&format!("Person {n}")).unwrap();
        (email, name, role, org)
    };
    let admin_spec = add_person(Role::Admin, None, 0);
    let mut specs = vec![admin_spec];
    for n in 1..=3 {
        specs.push(add_person(Role::Staff, None, n));
    }
    for o in 0..3 {
        let permissions = random_permissions(&mut rng);
        let details = domain::clients::ClientDetails::parse(&domain::clients::ClientInput {
            name: &format!("Org {o}"),
            permissions,
            ..Default::default()
        })
        .unwrap();
        let org = store::clients::insert(&mut conn, &details, now).await.unwrap();
        orgs.push((org, details.permissions));
        for c in 0..2 {
            specs.push(add_person(Role::Client, Some(org), 10 + o * 2 + c));
        }
    }
    for (email, name, role, org) in &specs {
        let new = store::users::NewUser {
            email,
            name,
            role: *role,
            client_org_id: *org,
            password_hash: None,
        };
        let id = store::users::insert(&mut conn, &new, now).await.unwrap();
        let viewer = match (role, org) {
            (Role::Admin, _) => Viewer::Admin(id),
            (Role::Staff, _) => {
                let finance = rng.gen_bool(0.5);
                store::users::set_finance(&mut conn, id, finance, now).await.unwrap();
                Viewer::Staff { id, finance }
            }
            (Role::Client, Some(org)) => {
                let org_permissions = orgs.iter().find(|(o, _)| o == org).unwrap().1;
                let narrowed = rng.gen_bool(0.4).then(|| random_permissions(&mut rng));
                store::clients::set_contact_permissions(&mut conn, *org, id, narrowed)
                    .await
                    .unwrap();
                Viewer::Client {
                    contact: id,
                    org: *org,
                    permissions: PortalPermissions::for_contact(org_permissions, narrowed),
                }
            }
            _ => unreachable!(),
        };
        people.push(Person { id, org: *org, viewer });
    }
    let staff_ids: Vec<UserId> = people
        .iter()
        .filter(|p| matches!(p.viewer, Viewer::Staff { .. }))
        .map(|p| p.id)
        .collect();
    let org_ids: Vec<ClientOrgId> = orgs.iter().map(|(o, _)| *o).collect();

    let mut world = World {
        people,
        projects: vec![],
        tasks: vec![],
        comments: vec![],
        rounds: vec![],
        milestones: vec![],
        events: vec![],
        files: vec![],
        invoices: vec![],
    };
    for p in 0..6 {
        let id = ProjectId::new();
        let status = ProjectStatus::ALL[rng.gen_range(0..3)].as_str();
        let deadline = rng
            .gen_bool(0.7)
            .then(|| today + chrono::Days::new(rng.gen_range(0..20)) - chrono::Days::new(10));
        let deadline_text = deadline.map(|d| d.to_string()).unwrap_or_default();
        let details = ProjectDetails::parse(&ProjectInput {
            name: &format!("Project {p}"),
            status,
            deadline: &deadline_text,
            ..Default::default()
        })
        .unwrap();
        store::projects::insert(&mut conn, id, &details, None, now).await.unwrap();
        let model = ProjectModel {
            id,
            archived: rng.gen_bool(0.2),
            staff: pick(&mut rng, &staff_ids, 0.5),
            orgs: pick(&mut rng, &org_ids, 0.5),
            status,
            deadline,
        };
        store::projects::set_staff(&mut conn, id, &model.staff).await.unwrap();
        store::projects::set_client_orgs(&mut conn, id, &model.orgs).await.unwrap();
        if model.archived {
            store::projects::set_archived(&mut conn, id, Some(now), now).await.unwrap();
        }
        let column = store::projects::insert_column(&mut conn, id, "To Do", 1, false, now).await.unwrap();
        let project_index = world.projects.len();
        world.projects.push(model);

        for m in 0..rng.gen_range(0..3) {
            let mid = MilestoneId::new();
            let facts = MilestoneFacts {
                client_visible: rng.gen_bool(0.5),
            };
            let details = MilestoneDetails::parse(&format!("M{m}"), "", "", facts.client_visible).unwrap();
            store::milestones::insert(&mut conn, mid, id, &details, now).await.unwrap();
            world.milestones.push(MilestoneModel {
                id: mid,
                project: project_index,
                facts,
            });
            let marker = format!("m-{mid}");
            let event = store::activity::NewEvent {
                project: id,
                milestone: Some(mid),
                detail: marker.clone(),
                ..Default::default()
            };
            store::activity::record(&mut conn, ActivityKind::MilestoneCreated, &event, now)
                .await
                .unwrap();
            let facts = EventFacts {
                client_safe: true,
                actor_org: None,
                task: None,
                milestone: Some(facts),
                comment: None,
                file: None,
                audience_org: None,
            };
            world.events.push(EventModel {
                project: project_index,
                facts,
                marker,
            });
        }
        for t in 0..rng.gen_range(0..5) {
            let tid = TaskId::new();
            let facts = TaskFacts {
                client_visible: rng.gen_bool(0.6),
                archived: rng.gen_bool(0.2),
            };
            let due = rng
                .gen_bool(0.7)
                .then(|| today + chrono::Days::new(rng.gen_range(0..30)) - chrono::Days::new(15));
            let due_text = due.map(|d| d.to_string()).unwrap_or_default();
            let details = TaskDetails::parse(&TaskInput {
                name: &format!("T{t}"),
                due_date: &due_text,
                ..Default::default()
            })
            .unwrap();
            let completed = rng.gen_bool(0.4);
            let assignees = pick(&mut rng, &staff_ids, 0.4);
            let new = store::tasks::NewTask {
                id: tid,
                project: id,
                column,
                position: t as i64,
                details: &details,
                milestone: None,
                client_visible: facts.client_visible,
                review_enabled: false,
                requested_by: None,
                created_by: None,
                completed_at: completed.then_some(now),
            };
            store::tasks::insert(&mut conn, &new, now).await.unwrap();
            store::tasks::set_assignees(&mut conn, tid, &assignees).await.unwrap();
            if facts.archived {
                store::tasks::set_archived(&mut conn, id, tid, Some(now), now).await.unwrap();
            }
            let task_index = world.tasks.len();
            world.tasks.push(TaskModel {
                id: tid,
                project: project_index,
                facts,
                due,
                completed,
                assignees,
                review: None,
            });
            for k in 0..rng.gen_range(0..4) {
                let author = &world.people[rng.gen_range(0..world.people.len())];
                let (author_id, author_org) = (author.id, author.org);
                let cid = CommentId::new();
                let internal = author_org.is_none() && rng.gen_bool(0.4);
                let body = format!("c{k}");
                let comment = store::comments::NewComment {
                    id: cid,
                    task: tid,
                    project: id,
                    author: author_id,
                    author_org,
                    body: &body,
                    internal,
                };
                store::comments::insert(&mut conn, &comment, now + Duration::milliseconds(k))
                    .await
                    .unwrap();
                let comment_facts = CommentFacts { internal, author_org };
                world.comments.push(CommentModel {
                    id: cid,
                    task: task_index,
                    facts: comment_facts,
                });
                let marker = format!("c-{cid}");
                let event = store::activity::NewEvent {
                    project: id,
                    actor: Some(author_id),
                    task: Some(tid),
                    comment: Some(cid),
                    detail: marker.clone(),
                    ..Default::default()
                };
                store::activity::record(&mut conn, ActivityKind::CommentAdded, &event, now)
                    .await
                    .unwrap();
                let facts = EventFacts {
                    client_safe: true,
                    actor_org: Some(author_org),
                    task: Some(facts),
                    milestone: None,
                    comment: Some(comment_facts),
                    file: None,
                    audience_org: None,
                };
                world.events.push(EventModel {
                    project: project_index,
                    facts,
                    marker,
                });
            }
            let kind = if rng.gen_bool(0.5) {
                ActivityKind::TaskMoved
            } else {
                ActivityKind::TaskMadeInternal
            };
            let marker = format!("t-{tid}");
            let event = store::activity::NewEvent {
                project: id,
                task: Some(tid),
                detail: marker.clone(),
                ..Default::default()
            };
            store::activity::record(&mut conn, kind, &event, now).await.unwrap();
            let event_facts = EventFacts {
                client_safe: kind.client_safe(),
                actor_org: None,
                task: Some(facts),
                milestone: None,
                comment: None,
                file: None,
                audience_org: None,
            };
            world.events.push(EventModel {
                project: project_index,
                facts: event_facts,
                marker,
            });
            review_rounds(&mut conn, &mut rng, &mut world, task_index, now).await;
        }
        // Files: shared or internal, uploaded by staff or by one of the project's organisations,
        // some in the trash, some attached to one of the project's tasks.
        let project_tasks: Vec<usize> = (0..world.tasks.len())
            .filter(|&t| world.tasks[t].project == project_index)
            .collect();
        for n in 0..rng.gen_range(0..6) {
            let fid = FileId::new();
            let task = (!project_tasks.is_empty() && rng.gen_bool(0.3)).then(|| project_tasks[rng.gen_range(0..project_tasks.len())]);
            let place = match task {
                Some(t) => store::files::Place::Task(id, world.tasks[t].id),
                None => store::files::Place::Top(id),
            };
            let uploader = &world.people[rng.gen_range(0..world.people.len())];
            let uploader_org = uploader.org.filter(|org| world.projects[project_index].orgs.contains(org));
            let facts = FileFacts {
                client_visible: rng.gen_bool(0.5),
                uploader_org,
                in_trash: rng.gen_bool(0.2),
            };
            let name = format!("f{n}.txt");
            let new = store::files::NewFile {
                id: fid,
                place,
                owner: uploader_org.map_or(id.0, |o| o.0),
                name: &name,
                client_visible: facts.client_visible,
                uploader_org,
                created_by: uploader.id,
            };
            store::files::insert(&mut conn, &new, now).await.unwrap();
            let mut versions = Vec::new();
            for v in 0..rng.gen_range(1..=2) {
                let by = &world.people[rng.gen_range(0..world.people.len())];
                let version = store::files::NewVersion {
                    id: FileVersionId::new(),
                    file: fid,
                    object_key: &format!("files/{fid}/{v}"),
                    size_bytes: 10,
                    content_type: "text/plain",
                    sha256: "",
                    uploaded_by: by.id,
                };
                store::files::add_version(&mut conn, &version, now).await.unwrap();
                versions.push((version.id.0, by.org));
            }
            if facts.in_trash {
                store::files::trash(&mut conn, id, fid, uploader.id, now).await.unwrap();
            }
            let marker = format!("f-{fid}");
            let event = store::activity::NewEvent {
                project: id,
                file: Some(fid),
                detail: marker.clone(),
                ..Default::default()
            };
            store::activity::record(&mut conn, ActivityKind::FileUploaded, &event, now)
                .await
                .unwrap();
            world.events.push(EventModel {
                project: project_index,
                facts: EventFacts {
                    client_safe: true,
                    actor_org: None,
                    task: None,
                    milestone: None,
                    comment: None,
                    file: Some((task.map(|t| world.tasks[t].facts), facts)),
                    audience_org: None,
                },
                marker,
            });
            world.files.push(FileModel {
                id: fid,
                project: project_index,
                task,
                facts,
                versions,
            });
        }
    }
    let creator = world.people[0].id;
    for n in 0..12 {
        let org = org_ids[rng.gen_range(0..org_ids.len())];
        let id = add_invoice(&mut conn, &mut rng, org, None, creator, now).await;
        let sent = rng.gen_bool(0.7);
        if sent {
            let issue = today - chrono::Days::new(rng.gen_range(0..150));
            let due = rng.gen_bool(0.8).then(|| issue + chrono::Days::new(rng.gen_range(0..60)));
            store::invoices::mark_sent(&mut conn, id, &format!("T-{seed}-{n}"), issue, due, now)
                .await
                .unwrap();
            let status = [
                InvoiceStatus::Sent,
                InvoiceStatus::Viewed,
                InvoiceStatus::PartiallyPaid,
                InvoiceStatus::Paid,
                InvoiceStatus::Overdue,
            ][rng.gen_range(0..5)];
            store::invoices::save_status(&mut conn, id, status, status == InvoiceStatus::Overdue, now)
                .await
                .unwrap();
            let currency = domain::money::Currency::parse(&store::invoices::get_any(&mut conn, id).await.unwrap().currency).unwrap();
            for k in 0..rng.gen_range(0..3) {
                let amount = rng.gen_range(1..=300);
                store::invoices::add_paid(&mut conn, id, amount, false).await.unwrap();
                let payment = store::invoices::NewPayment {
                    id: PaymentId::new(),
                    invoice: id,
                    client_org: org,
                    amount,
                    currency,
                    method: "bank_transfer",
                    reference: "",
                    note: "",
                    received_on: issue + chrono::Days::new(k),
                    gateway_ref: None,
                    recorded_by: Some(creator),
                };
                store::invoices::insert_payment(&mut conn, &payment, now).await.unwrap();
            }
            if rng.gen_bool(0.3) {
                let note = add_invoice(&mut conn, &mut rng, org, Some(id), creator, now).await;
                store::invoices::mark_sent(&mut conn, note, &format!("C-{seed}-{n}"), issue, None, now)
                    .await
                    .unwrap();
                world.invoices.push(InvoiceModel {
                    id: note,
                    facts: InvoiceFacts {
                        client_org: org,
                        sent: true,
                    },
                });
            }
            if rng.gen_bool(0.15) {
                store::invoices::set_void(&mut conn, id, "test", now).await.unwrap();
            }
        }
        world.invoices.push(InvoiceModel {
            id,
            facts: InvoiceFacts { client_org: org, sent },
        });
    }
    tx.commit().await.unwrap();
    world
}

/// Up to two review rounds of a task on a project with clients, each addressed to a random
/// organisation of the project and perhaps decided by one of that organisation's contacts,
/// with the activity events a review writes (addressed like the round).
async fn review_rounds(conn: &mut store::Conn<'_>, rng: &mut StdRng, world: &mut World, task: usize, now: chrono::DateTime<chrono::Utc>) {
    let project = &world.projects[world.tasks[task].project];
    let (project_id, orgs) = (project.id, project.orgs.clone());
    // Only a project with clients can have a review; some tasks have none.
    if orgs.is_empty() {
        return;
    }
    if rng.gen_bool(0.3) {
        return;
    }
    let task_id = world.tasks[task].id;
    let submitter = world.people.iter().find(|p| matches!(p.viewer, Viewer::Admin(_))).unwrap().id;
    for round in 0..rng.gen_range(1..=2) {
        let org = orgs[rng.gen_range(0..orgs.len())];
        let at = now + Duration::seconds(round);
        let (id, _) = store::reviews::open_round(conn, task_id, org, submitter, "look", at).await.unwrap();
        let mut state = "pending";
        let mut decider_org = None;
        let contacts: Vec<UserId> = world.people.iter().filter(|p| p.org == Some(org)).map(|p| p.id).collect();
        if rng.gen_bool(0.6) {
            let decision = if rng.gen_bool(0.5) {
                domain::reviews::Decision::Approved
            } else {
                domain::reviews::Decision::RevisionsRequested
            };
            let by = contacts[rng.gen_range(0..contacts.len())];
            store::reviews::decide(conn, task_id, org, decision, by, "our CFO hates teal", at)
                .await
                .unwrap();
            state = decision.as_str();
            decider_org = Some(org);
        }
        store::tasks::set_review_state(conn, task_id, Some(state.parse().unwrap()), Some(org), at)
            .await
            .unwrap();
        let review = ReviewFacts { addressed_to: Some(org) };
        world.tasks[task].review = Some((review, state));
        world.rounds.push(RoundModel {
            id: id.0,
            task,
            review,
            decider_org,
        });
        let marker = format!("r-{}", id.0);
        let event = store::activity::NewEvent {
            project: project_id,
            task: Some(task_id),
            detail: marker.clone(),
            audience: Some(org),
            ..Default::default()
        };
        store::activity::record(conn, ActivityKind::ReviewSubmitted, &event, at)
            .await
            .unwrap();
        world.events.push(EventModel {
            project: world.tasks[task].project,
            facts: EventFacts {
                client_safe: true,
                actor_org: None,
                task: Some(world.tasks[task].facts),
                milestone: None,
                comment: None,
                file: None,
                audience_org: Some(org),
            },
            marker,
        });
        if state == "pending" {
            // A pending round must be decided before the next (as the app enforces).
            break;
        }
    }
}

/// A draft invoice (or, with `credits`, a credit note of that invoice) of a random total in
/// EUR or USD.
async fn add_invoice(
    conn: &mut store::Conn<'_>,
    rng: &mut StdRng,
    org: ClientOrgId,
    credits: Option<InvoiceId>,
    creator: UserId,
    now: chrono::DateTime<chrono::Utc>,
) -> InvoiceId {
    let id = InvoiceId::new();
    let total = rng.gen_range(100..2_000);
    let fields = store::invoices::InvoiceFields {
        client_org: org,
        project: None,
        currency: domain::money::Currency::parse(["EUR", "USD"][rng.gen_range(0..2)]).unwrap(),
        issue_date: None,
        due_date: None,
        terms_days: None,
        discount: domain::invoices::Discount::None,
        tax_rates: &[],
        notes: "",
        terms: "",
        footer: "",
        subtotal: total,
        discount_minor: 0,
        tax_minor: 0,
        total,
    };
    let kind = if credits.is_some() { "credit_note" } else { "invoice" };
    store::invoices::insert(conn, id, kind, &fields, credits, creator, now)
        .await
        .unwrap();
    id
}

fn facts<'a>(project: &'a ProjectModel) -> ProjectFacts<'a> {
    ProjectFacts {
        archived: project.archived,
        staff: &project.staff,
        client_orgs: &project.orgs,
        show_assignees: false,
    }
}

async fn scoped_queries_return_exactly_what_the_policy_allows(backend: Backend) {
    // Rounds a client saw and rounds hidden from a client, over every seed: both must occur,
    // or the review checks below would hold for a world without reviews.
    let (mut rounds_shown_to_clients, mut rounds_hidden_from_clients) = (0, 0);
    for seed in 0..4 {
        let (db, _dir) = fresh_db(backend).await;
        let world = build(&db, seed).await;
        let mut handle = db.read().await.unwrap();
        let mut conn = handle.conn();
        the_world_has_every_case(&mut conn, &world, seed).await;
        for person in &world.people {
            let viewer = &person.viewer;
            let scope = Scope::new(viewer);
            let who = format!("seed {seed}, {viewer:?}");

            for archived in [false, true] {
                let filter = store::projects::ProjectFilter {
                    archived,
                    ..Default::default()
                };
                let page = store::projects::list(&mut conn, &scope, &filter, PageRequest::new(Some(1), Some(100)))
                    .await
                    .unwrap();
                let listed: BTreeSet<Uuid> = page.items.iter().map(|p| p.id).collect();
                let expected: BTreeSet<Uuid> = world
                    .projects
                    .iter()
                    .filter(|p| p.archived == archived && project_visibility(viewer, &facts(p)).is_ok())
                    .map(|p| p.id.0)
                    .collect();
                assert_eq!(listed, expected, "projects (archived {archived}) for {who}");
                assert_eq!(page.total as usize, expected.len(), "project count for {who}");
            }
            for project in &world.projects {
                let sees = store::projects::get(&mut conn, &scope, project.id).await.is_ok();
                assert_eq!(sees, project_visibility(viewer, &facts(project)).is_ok(), "project get for {who}");
            }

            let mut visible_tasks = BTreeSet::new();
            for (index, project) in world.projects.iter().enumerate() {
                let mut listed = BTreeSet::new();
                for archived in [false, true] {
                    let filter = store::tasks::TaskFilter {
                        archived,
                        ..Default::default()
                    };
                    let (tasks, total) = store::tasks::list(&mut conn, &scope, project.id, &filter, 500, 0).await.unwrap();
                    assert_eq!(total as usize, tasks.len());
                    listed.extend(tasks.iter().map(|t| t.id));
                }
                let expected: BTreeSet<Uuid> = world
                    .tasks
                    .iter()
                    .filter(|t| t.project == index && task_visibility(viewer, &facts(project), &t.facts).is_ok())
                    .map(|t| t.id.0)
                    .collect();
                assert_eq!(listed, expected, "tasks of a project for {who}");
                visible_tasks.extend(expected);

                let milestones: BTreeSet<Uuid> = store::milestones::list(&mut conn, &scope, project.id)
                    .await
                    .unwrap()
                    .iter()
                    .map(|m| m.id)
                    .collect();
                let expected: BTreeSet<Uuid> = world
                    .milestones
                    .iter()
                    .filter(|m| m.project == index && milestone_visibility(viewer, &facts(project), &m.facts).is_ok())
                    .map(|m| m.id.0)
                    .collect();
                assert_eq!(milestones, expected, "milestones for {who}");
            }

            for task in &world.tasks {
                let project = &world.projects[task.project];
                let got = store::tasks::get(&mut conn, &scope, project.id, task.id).await;
                assert_eq!(got.is_ok(), visible_tasks.contains(&task.id.0), "task get for {who}");
                // Asked for within another project, a task is never found.
                let elsewhere = world.projects.iter().find(|p| p.id != project.id).unwrap();
                assert!(store::tasks::get(&mut conn, &scope, elsewhere.id, task.id).await.is_err());

                // The task's review state: shown where its review is, hidden (no review) elsewhere.
                if let Ok(shown) = &got {
                    let expected = task
                        .review
                        .filter(|(review, _)| review_visibility(viewer, &facts(project), &task.facts, review).is_ok())
                        .map(|(_, state)| state);
                    assert_eq!(shown.review_state.as_deref(), expected, "review state of a task for {who}");
                }
                let rounds = store::reviews::for_task(&mut conn, &scope, project.id, task.id).await.unwrap();
                let expected: BTreeSet<Uuid> = world
                    .rounds
                    .iter()
                    .filter(|r| std::ptr::eq(&world.tasks[r.task], task))
                    .filter(|r| review_visibility(viewer, &facts(project), &task.facts, &r.review).is_ok())
                    .map(|r| r.id)
                    .collect();
                assert_eq!(
                    rounds.iter().map(|r| r.id).collect::<BTreeSet<_>>(),
                    expected,
                    "review rounds of a task for {who}"
                );
                if viewer.is_client() && task_visibility(viewer, &facts(project), &task.facts).is_ok() {
                    let all = world.rounds.iter().filter(|r| std::ptr::eq(&world.tasks[r.task], task)).count();
                    rounds_shown_to_clients += rounds.len();
                    rounds_hidden_from_clients += all - rounds.len();
                }
                for round in &rounds {
                    let model = world.rounds.iter().find(|r| r.id == round.id).unwrap();
                    let named = model.decider_org.is_some_and(|org| person_visible(viewer, Some(org)));
                    assert_eq!(round.decided_by.is_some(), named, "the decider's name for {who}");
                }

                let (comments, total) = store::comments::list(&mut conn, &scope, project.id, task.id, 100, 0).await.unwrap();
                assert_eq!(total as usize, comments.len());
                let listed: BTreeSet<Uuid> = comments.iter().map(|c| c.id).collect();
                let expected: BTreeSet<Uuid> = world
                    .comments
                    .iter()
                    .filter(|c| std::ptr::eq(&world.tasks[c.task], task))
                    .filter(|c| comment_visibility(viewer, &facts(project), &task.facts, &c.facts).is_ok())
                    .map(|c| c.id.0)
                    .collect();
                assert_eq!(listed, expected, "comments for {who}");
            }

            let mut pending = BTreeSet::new();
            for (index, project) in world.projects.iter().enumerate() {
                let trail = store::reviews::for_project(&mut conn, &scope, project.id).await.unwrap();
                let expected: BTreeSet<Uuid> = world
                    .rounds
                    .iter()
                    .filter(|r| world.tasks[r.task].project == index)
                    .filter(|r| review_visibility(viewer, &facts(project), &world.tasks[r.task].facts, &r.review).is_ok())
                    .map(|r| r.id)
                    .collect();
                assert_eq!(
                    trail.iter().map(|r| r.id).collect::<BTreeSet<_>>(),
                    expected,
                    "the review trail of a project for {who}"
                );
                pending.extend(
                    world
                        .tasks
                        .iter()
                        .filter(|t| t.project == index && !t.facts.archived)
                        .filter(|t| {
                            t.review.is_some_and(|(review, state)| {
                                state == "pending" && review_visibility(viewer, &facts(project), &t.facts, &review).is_ok()
                            })
                        })
                        .map(|t| t.id.0),
                );
            }
            let listed = store::tasks::pending_reviews(&mut conn, &scope, 1000).await.unwrap();
            assert_eq!(
                listed.iter().map(|t| t.id).collect::<BTreeSet<_>>(),
                pending,
                "reviews waiting for {who}"
            );
            let count = store::tasks::pending_review_count(&mut conn, &scope).await.unwrap();
            assert_eq!(count as usize, pending.len(), "the count of reviews waiting for {who}");

            for project in &world.projects {
                let index = world.projects.iter().position(|p| p.id == project.id).unwrap();
                let expected: BTreeSet<Uuid> = world
                    .files
                    .iter()
                    .filter(|f| f.project == index && f.task.is_none())
                    .filter(|f| file_visibility(viewer, &facts(project), None, &f.facts).is_ok())
                    .map(|f| f.id.0)
                    .collect();
                let top = store::files::Place::Top(project.id);
                let listed: BTreeSet<Uuid> = store::files::list(&mut conn, &scope, top, None, 1000)
                    .await
                    .unwrap()
                    .iter()
                    .map(|f| f.id)
                    .collect();
                assert_eq!(listed, expected, "files for {who}");
                let (portal, total) = store::files::list_project(&mut conn, &scope, project.id, 1000, 0).await.unwrap();
                assert_eq!(
                    portal.iter().map(|f| f.id).collect::<BTreeSet<_>>(),
                    expected,
                    "project files for {who}"
                );
                assert_eq!(total as usize, expected.len());
            }
            for file in &world.files {
                let project = &world.projects[file.project];
                let task = file.task.map(|t| world.tasks[t].facts);
                let expected = file_visibility(viewer, &facts(project), task.as_ref(), &file.facts).is_ok();
                let got = store::files::get(&mut conn, &scope, project.id, file.id).await;
                assert_eq!(got.is_ok(), expected, "file get for {who}");
                if let Some(t) = file.task {
                    let place = store::files::Place::Task(project.id, world.tasks[t].id);
                    let listed = store::files::list(&mut conn, &scope, place, None, 1000).await.unwrap();
                    assert_eq!(listed.iter().any(|f| f.id == file.id.0), expected, "attachments for {who}");
                }
            }

            let expected: BTreeSet<Uuid> = world
                .invoices
                .iter()
                .filter(|i| invoice_visibility(viewer, &i.facts).is_ok())
                .map(|i| i.id.0)
                .collect();
            let filter = store::invoices::InvoiceFilter::default();
            let page = PageRequest::new(Some(1), Some(100));
            let listed = store::invoices::list(&mut conn, &scope, &filter, page).await.unwrap();
            assert_eq!(
                listed.items.iter().map(|i| i.id).collect::<BTreeSet<_>>(),
                expected,
                "invoices for {who}"
            );
            assert_eq!(listed.total as usize, expected.len(), "invoice count for {who}");
            for invoice in &world.invoices {
                let got = store::invoices::get(&mut conn, &scope, invoice.id).await;
                assert_eq!(
                    got.is_ok(),
                    invoice_visibility(viewer, &invoice.facts).is_ok(),
                    "invoice get for {who}"
                );
            }

            details_pages_and_aggregates_match(&mut conn, &world, viewer, &who).await;

            let feed = store::activity::feed(&mut conn, &scope, None, None, 10_000).await.unwrap();
            let shown: HashMap<&str, usize> = feed.iter().map(|e| (e.detail.as_str(), 1)).collect();
            // Paged two at a time, the feed reads its events in windows of six, most of them
            // hidden from a client: the pages still join up to exactly the whole feed.
            let mut paged = Vec::new();
            let mut before = None;
            loop {
                let page = store::activity::feed(&mut conn, &scope, None, before, 2).await.unwrap();
                before = page.last().map(|e| (e.created_at, e.id));
                let last_page = page.len() < 2;
                paged.extend(page.into_iter().map(|e| e.id));
                if last_page {
                    break;
                }
            }
            assert_eq!(paged, feed.iter().map(|e| e.id).collect::<Vec<_>>(), "feed pages for {who}");
            for event in &world.events {
                let expected = event_visible(viewer, &facts(&world.projects[event.project]), &event.facts);
                assert_eq!(
                    shown.contains_key(event.marker.as_str()),
                    expected,
                    "event {} for {who}",
                    event.marker
                );
            }
        }
    }
    assert!(
        rounds_shown_to_clients > 0 && rounds_hidden_from_clients > 0,
        "the worlds have reviews some clients see and others do not ({rounds_shown_to_clients} shown, {rounds_hidden_from_clients} hidden)"
    );
}

/// The aggregates compared below would agree on an empty world: each seed's world has done
/// and open tasks, assigned tasks with due dates, projects with deadlines in the past, files
/// with versions by clients, payments and credit notes.
async fn the_world_has_every_case(conn: &mut store::Conn<'_>, world: &World, seed: u64) {
    let tasks = &world.tasks;
    assert!(
        tasks.iter().any(|t| t.completed) && tasks.iter().any(|t| !t.completed),
        "seed {seed}: done and open tasks"
    );
    assert!(
        tasks.iter().any(|t| !t.assignees.is_empty() && t.due.is_some()),
        "seed {seed}: assigned tasks with a due date"
    );
    assert!(world.projects.iter().any(|p| p.deadline.is_some()), "seed {seed}: deadlines");
    assert!(
        world.files.iter().any(|f| f.versions.iter().any(|(_, org)| org.is_some())),
        "seed {seed}: versions uploaded by clients"
    );
    let admin = Scope::new(&world.people[0].viewer);
    let payments = store::reports::payment_history(conn, &admin, PageRequest::new(Some(1), Some(1)))
        .await
        .unwrap();
    assert!(payments.total > 0, "seed {seed}: payments");
    let mut notes = 0;
    for invoice in &world.invoices {
        notes += store::invoices::credit_notes(conn, &admin, invoice.id).await.unwrap().len();
    }
    assert!(notes > 0, "seed {seed}: credit notes");
}

/// Details, pages, dashboard counts and financial aggregates, for one viewer: each equals what
/// the pure policy allows, an aggregate equal to the same sum over the allowed items.
async fn details_pages_and_aggregates_match(conn: &mut store::Conn<'_>, world: &World, viewer: &Viewer, who: &str) {
    let scope = Scope::new(viewer);
    let today = store::now().date_naive();

    for comment in &world.comments {
        let task = &world.tasks[comment.task];
        let project = &world.projects[task.project];
        let got = store::comments::get(conn, &scope, project.id, task.id, comment.id).await;
        let expected = comment_visibility(viewer, &facts(project), &task.facts, &comment.facts).is_ok();
        assert_eq!(got.is_ok(), expected, "comment get for {who}");
    }
    for milestone in &world.milestones {
        let project = &world.projects[milestone.project];
        let got = store::milestones::get(conn, &scope, project.id, milestone.id).await;
        let expected = milestone_visibility(viewer, &facts(project), &milestone.facts).is_ok();
        assert_eq!(got.is_ok(), expected, "milestone get for {who}");
    }
    for file in &world.files {
        // The versions of a file the caller has already found visible: all of them, with the
        // uploader's name only where the viewer may know the person.
        let versions = store::files::versions(conn, &scope, file.id).await.unwrap();
        assert_eq!(
            versions.iter().map(|v| v.id).collect::<BTreeSet<_>>(),
            file.versions.iter().map(|(id, _)| *id).collect(),
            "versions for {who}"
        );
        for version in &versions {
            let uploader_org = file.versions.iter().find(|(id, _)| *id == version.id).unwrap().1;
            assert_eq!(
                version.uploaded_by_name.is_some(),
                person_visible(viewer, uploader_org),
                "a version's uploader for {who}"
            );
        }
    }

    // Tasks page by page join up to the whole list; projects with their progress.
    let mut expected_progress = HashMap::new();
    for (index, project) in world.projects.iter().enumerate() {
        let filter = store::tasks::TaskFilter::default();
        let (all, _) = store::tasks::list(conn, &scope, project.id, &filter, 500, 0).await.unwrap();
        let mut paged = Vec::new();
        for offset in (0..).step_by(2) {
            let page = store::tasks::list_page(conn, &scope, project.id, &filter, 2, offset).await.unwrap();
            let last = page.len() < 2;
            paged.extend(page.into_iter().map(|t| t.id));
            if last {
                break;
            }
        }
        assert_eq!(paged, all.iter().map(|t| t.id).collect::<Vec<_>>(), "task pages for {who}");
        let counted: Vec<&TaskModel> = world
            .tasks
            .iter()
            .filter(|t| t.project == index && !t.facts.archived && task_visibility(viewer, &facts(project), &t.facts).is_ok())
            .collect();
        if !counted.is_empty() {
            let done = counted.iter().filter(|t| t.completed).count() as i64;
            expected_progress.insert(project.id.0, (done, counted.len() as i64));
        }
    }
    let ids: Vec<ProjectId> = world.projects.iter().map(|p| p.id).collect();
    let progress: HashMap<Uuid, (i64, i64)> = store::projects::progress(conn, &scope, &ids)
        .await
        .unwrap()
        .into_iter()
        .map(|(id, p)| (id, (p.done, p.total)))
        .collect();
    assert_eq!(progress, expected_progress, "progress for {who}");
    let filter = store::projects::ProjectFilter::default();
    let items = store::projects::list_items(conn, &scope, &filter, 100, 0).await.unwrap();
    let expected: BTreeSet<Uuid> = world
        .projects
        .iter()
        .filter(|p| !p.archived && project_visibility(viewer, &facts(p)).is_ok())
        .map(|p| p.id.0)
        .collect();
    assert_eq!(
        items.iter().map(|i| i.id).collect::<BTreeSet<_>>(),
        expected,
        "project items for {who}"
    );
    for item in &items {
        let (done, total) = expected_progress.get(&item.id).copied().unwrap_or((0, 0));
        assert_eq!(
            (item.progress.done, item.progress.total),
            (done, total),
            "a project item's progress for {who}"
        );
    }

    let counts = store::projects::status_counts(conn, &scope, today).await.unwrap();
    let counted: Vec<&ProjectModel> = world
        .projects
        .iter()
        .filter(|p| !p.archived && project_visibility(viewer, &facts(p)).is_ok())
        .collect();
    let with_status = |status: &str| counted.iter().filter(|p| p.status == status).count() as i64;
    let overdue = counted
        .iter()
        .filter(|p| p.status != "completed" && p.deadline.is_some_and(|d| d < today))
        .count() as i64;
    assert_eq!(
        (counts.total, counts.active, counts.on_hold, counts.completed, counts.overdue),
        (
            counted.len() as i64,
            with_status("active"),
            with_status("on_hold"),
            with_status("completed"),
            overdue
        ),
        "project status counts for {who}"
    );

    // Anyone's tasks due soon, as this viewer may see them.
    let due_before = today + chrono::Days::new(5);
    for person in world.people.iter().filter(|p| matches!(p.viewer, Viewer::Staff { .. })) {
        let listed: BTreeSet<Uuid> = store::tasks::assigned_due(conn, &scope, person.id, due_before, 1000)
            .await
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect();
        let expected: BTreeSet<Uuid> = world
            .tasks
            .iter()
            .filter(|t| t.assignees.contains(&person.id) && !t.completed && !t.facts.archived)
            .filter(|t| t.due.is_some_and(|d| d < due_before))
            .filter(|t| {
                let project = &world.projects[t.project];
                !project.archived && task_visibility(viewer, &facts(project), &t.facts).is_ok()
            })
            .map(|t| t.id.0)
            .collect();
        assert_eq!(listed, expected, "tasks due for another person, for {who}");
    }

    invoice_aggregates_match(conn, world, viewer, who, today).await;
}

/// The invoices and payments the policy lets the viewer see, read back whole.
async fn visible_invoices(
    conn: &mut store::Conn<'_>,
    world: &World,
    viewer: &Viewer,
) -> Vec<(store::invoices::Invoice, Vec<store::invoices::Payment>)> {
    let mut visible = Vec::new();
    for invoice in world.invoices.iter().filter(|i| invoice_visibility(viewer, &i.facts).is_ok()) {
        let row = store::invoices::get_any(conn, invoice.id).await.unwrap();
        let payments = store::invoices::payments(conn, invoice.id).await.unwrap();
        visible.push((row, payments));
    }
    visible
}

async fn invoice_aggregates_match(conn: &mut store::Conn<'_>, world: &World, viewer: &Viewer, who: &str, today: chrono::NaiveDate) {
    let scope = Scope::new(viewer);
    let visible = visible_invoices(conn, world, viewer).await;
    let balance = |i: &store::invoices::Invoice| i.total_minor - i.credited_minor - i.paid_minor;
    let is_open =
        |i: &store::invoices::Invoice| i.kind == "invoice" && matches!(i.status.as_str(), "sent" | "viewed" | "partially_paid" | "overdue");
    let counted = |i: &store::invoices::Invoice| i.sent_at.is_some() && i.voided_at.is_none();

    let mut expected: std::collections::BTreeMap<String, (i64, i64, i64, i64)> = Default::default();
    for (i, _) in visible.iter().filter(|(i, _)| is_open(i)) {
        let entry = expected.entry(i.currency.clone()).or_default();
        entry.0 += 1;
        entry.1 += balance(i);
        if i.status == "overdue" {
            entry.2 += 1;
            entry.3 += balance(i);
        }
    }
    let got: std::collections::BTreeMap<String, (i64, i64, i64, i64)> = store::invoices::open_totals(conn, &scope)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.currency, (t.open_count, t.open_minor, t.overdue_count, t.overdue_minor)))
        .collect();
    assert_eq!(got, expected, "open invoice totals for {who}");

    let payments: BTreeSet<Uuid> = visible.iter().flat_map(|(_, p)| p.iter().map(|p| p.id)).collect();
    let recent = store::invoices::recent_payments(conn, &scope, 1000).await.unwrap();
    assert_eq!(
        recent.iter().map(|p| p.payment.id).collect::<BTreeSet<_>>(),
        payments,
        "recent payments for {who}"
    );
    let history = store::reports::payment_history(conn, &scope, PageRequest::new(Some(1), Some(100)))
        .await
        .unwrap();
    assert_eq!(
        history.items.iter().map(|p| p.id).collect::<BTreeSet<_>>(),
        payments,
        "payment history for {who}"
    );
    assert_eq!(history.total as usize, payments.len(), "payment count for {who}");

    for invoice in &world.invoices {
        let notes: BTreeSet<Uuid> = store::invoices::credit_notes(conn, &scope, invoice.id)
            .await
            .unwrap()
            .iter()
            .map(|n| n.id)
            .collect();
        let expected: BTreeSet<Uuid> = visible
            .iter()
            .filter(|(n, _)| n.credits_invoice_id == Some(invoice.id.0))
            .map(|(n, _)| n.id)
            .collect();
        assert_eq!(notes, expected, "credit notes for {who}");
    }

    let from = today - chrono::Days::new(90);
    let mut months: std::collections::BTreeMap<(String, String), (i64, i64)> = Default::default();
    let month = |date: chrono::NaiveDate| date.format("%Y-%m").to_string();
    for (i, payments) in &visible {
        if counted(i) && i.issue_date.is_some_and(|d| d >= from) {
            let signed = if i.kind == "credit_note" { -i.total_minor } else { i.total_minor };
            months.entry((month(i.issue_date.unwrap()), i.currency.clone())).or_default().0 += signed;
        }
        for p in payments.iter().filter(|p| p.received_on >= from) {
            months.entry((month(p.received_on), p.currency.clone())).or_default().1 += p.amount_minor;
        }
    }
    let got: std::collections::BTreeMap<(String, String), (i64, i64)> = store::reports::revenue_by_month(conn, &scope, from)
        .await
        .unwrap()
        .into_iter()
        .map(|m| ((m.month, m.currency), (m.invoiced_minor, m.received_minor)))
        .collect();
    assert_eq!(got, months, "revenue by month for {who}");

    let mut aging: std::collections::BTreeMap<String, [i64; 7]> = Default::default();
    for (i, _) in visible.iter().filter(|(i, _)| is_open(i)) {
        let late = i.due_date.map_or(0, |due| (today - due).num_days());
        let bucket = match late {
            ..=0 => 0,
            1..=30 => 1,
            31..=60 => 2,
            61..=90 => 3,
            _ => 4,
        };
        let entry = aging.entry(i.currency.clone()).or_default();
        entry[bucket] += balance(i);
        entry[5] += balance(i);
        entry[6] += 1;
    }
    let got: std::collections::BTreeMap<String, [i64; 7]> = store::reports::receivables(conn, &scope, today, None)
        .await
        .unwrap()
        .into_iter()
        .map(|a| {
            let figures = [
                a.current_minor,
                a.days_1_30_minor,
                a.days_31_60_minor,
                a.days_61_90_minor,
                a.days_over_90_minor,
                a.total_minor,
                a.invoices,
            ];
            (a.currency, figures)
        })
        .collect();
    assert_eq!(got, aging, "receivables for {who}");

    let mut per_client: std::collections::BTreeMap<(Uuid, String), (i64, i64, i64, i64)> = Default::default();
    for (i, _) in visible.iter().filter(|(i, _)| i.kind == "invoice" && counted(i)) {
        let entry = per_client.entry((i.client_org_id, i.currency.clone())).or_default();
        entry.0 += 1;
        entry.1 += i.total_minor - i.credited_minor;
        entry.2 += i.paid_minor;
        entry.3 += balance(i);
    }
    let totals = store::reports::client_totals(conn, &scope, PageRequest::new(Some(1), Some(100)))
        .await
        .unwrap();
    let got: std::collections::BTreeMap<(Uuid, String), (i64, i64, i64, i64)> = totals
        .items
        .into_iter()
        .map(|c| {
            (
                (c.client_org_id, c.currency),
                (c.invoices, c.invoiced_minor, c.paid_minor, c.outstanding_minor),
            )
        })
        .collect();
    assert_eq!(got, per_client, "totals per client for {who}");
    assert_eq!(totals.total as usize, per_client.len(), "the number of client rows for {who}");
}

/// The guard that keeps this test whole: every public store function that takes a `&Scope` is
/// a scoped query, and each must be called above (by its path, `store::module::name(`). A new
/// scoped function fails this until the differential test checks it.
#[test]
fn every_scoped_store_function_is_checked_by_the_differential_test() {
    let source_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let this_test = include_str!("visibility.rs");
    let mut scoped = Vec::new();
    for entry in std::fs::read_dir(&source_dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(module) = path
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|_| path.extension().is_some_and(|e| e == "rs"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices("pub async fn ") {
            let rest = &text[at + "pub async fn ".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            // The parameters: up to the body's opening brace.
            let signature = &rest[..rest.find('{').unwrap_or(rest.len())];
            if signature.contains("&Scope") {
                scoped.push(format!("store::{module}::{name}("));
            }
        }
    }
    assert!(scoped.len() > 30, "the scan finds the scoped functions ({} found)", scoped.len());
    let unchecked: Vec<&String> = scoped.iter().filter(|call| !this_test.contains(call.as_str())).collect();
    assert!(
        unchecked.is_empty(),
        "scoped store functions the differential test never calls: {unchecked:?}"
    );
}
