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
    name: String,
    viewer: Viewer,
}

struct ProjectModel {
    id: ProjectId,
    archived: bool,
    staff: Vec<UserId>,
    orgs: Vec<ClientOrgId>,
    show_assignees: bool,
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

/// A review round, addressed to one of the project's organisations, submitted by a member of
/// staff and perhaps decided by one of the organisation's contacts (people indexes).
struct RoundModel {
    id: Uuid,
    task: usize,
    review: ReviewFacts,
    submitter: usize,
    decider: Option<usize>,
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

/// A folder, perhaps inside another folder of the same project.
struct FolderModel {
    id: FolderId,
    project: usize,
    parent: Option<usize>,
}

struct FileModel {
    id: FileId,
    project: usize,
    /// The task of an attachment.
    task: Option<usize>,
    folder: Option<usize>,
    facts: FileFacts,
    /// The person who uploaded the first version (people index).
    uploader: usize,
    /// Each version's id and its uploader (people index).
    versions: Vec<(Uuid, usize)>,
}

struct InvoiceModel {
    id: InvoiceId,
    facts: InvoiceFacts,
}

/// A conversation: its kind, its project (a discussion's), the client organisation its
/// participants allow, and who takes part.
struct ConversationModel {
    id: ConversationId,
    kind: domain::conversations::ConversationKind,
    project: Option<usize>,
    client_org: Option<ClientOrgId>,
    participants: Vec<UserId>,
    /// Oldest first.
    messages: Vec<MessageId>,
}

struct EventModel {
    project: usize,
    facts: EventFacts,
    /// Who acted (people index); `None` for events no one did.
    actor: Option<usize>,
    marker: String,
}

#[derive(Default)]
struct World {
    people: Vec<Person>,
    orgs: Vec<ClientOrgId>,
    projects: Vec<ProjectModel>,
    tasks: Vec<TaskModel>,
    comments: Vec<CommentModel>,
    rounds: Vec<RoundModel>,
    milestones: Vec<MilestoneModel>,
    folders: Vec<FolderModel>,
    events: Vec<EventModel>,
    files: Vec<FileModel>,
    invoices: Vec<InvoiceModel>,
    conversations: Vec<ConversationModel>,
}

impl World {
    fn staff_ids(&self) -> Vec<UserId> {
        let staff = self.people.iter().filter(|p| matches!(p.viewer, Viewer::Staff { .. }));
        staff.map(|p| p.id).collect()
    }

    /// People who may act in a project: staff, and the contacts of its organisations.
    fn project_people(&self, project: usize) -> Vec<usize> {
        let orgs = &self.projects[project].orgs;
        (0..self.people.len())
            .filter(|&p| self.people[p].org.is_none_or(|org| orgs.contains(&org)))
            .collect()
    }
}

/// What an event is about, by index into the world.
#[derive(Clone, Copy, Default)]
struct About {
    task: Option<usize>,
    milestone: Option<usize>,
    comment: Option<usize>,
    file: Option<usize>,
    audience: Option<ClientOrgId>,
}

fn random_permissions(rng: &mut StdRng) -> PortalPermissions {
    PortalPermissions::from_permissions(Permission::ALL.into_iter().filter(|_| rng.gen_bool(0.7)))
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T], p: f64) -> Vec<T> {
    items.iter().copied().filter(|_| rng.gen_bool(p)).collect()
}

fn one_of<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.gen_range(0..items.len())]
}

/// Anyone at all, or sometimes no one: the actor of an event about to be recorded. Actors
/// come from every kind of viewer, other organisations' contacts included (a contact acts,
/// then their organisation leaves the project).
fn someone(rng: &mut StdRng, world: &World) -> Option<usize> {
    rng.gen_bool(0.85).then(|| rng.gen_range(0..world.people.len()))
}

async fn build(db: &store::Db, seed: u64) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    let now = store::now();
    let mut tx = db.begin().await.unwrap();
    let mut conn = tx.conn();
    let mut world = World::default();
    add_people(&mut conn, &mut rng, &mut world, seed, now).await;
    for p in 0..6 {
        add_project(&mut conn, &mut rng, &mut world, p, now).await;
    }
    add_invoices(&mut conn, &mut rng, &mut world, seed, now).await;
    add_conversations(&mut conn, &mut rng, &mut world, now).await;
    tx.commit().await.unwrap();
    world
}

/// Discussions on random projects (with an organisation on the project, one that is not, or
/// none), direct messages and groups: staff and the contacts of at most one organisation,
/// some of its contacts left out. Participants sets the rule refuses are not recorded.
async fn add_conversations(conn: &mut store::Conn<'_>, rng: &mut StdRng, world: &mut World, now: chrono::DateTime<chrono::Utc>) {
    use domain::conversations::{ConversationKind, Participant, client_org_of};
    let staff: Vec<usize> = (0..world.people.len()).filter(|i| world.people[*i].org.is_none()).collect();
    for n in 0..10 {
        let kind = one_of(rng, &ConversationKind::ALL);
        let project = (kind == ConversationKind::Discussion).then(|| rng.gen_range(0..world.projects.len()));
        let org = rng.gen_bool(0.75).then(|| one_of(rng, &world.orgs));
        let contacts: Vec<usize> = (0..world.people.len())
            .filter(|i| org.is_some() && world.people[*i].org == org)
            .collect();
        let mut people: Vec<usize> = match kind {
            ConversationKind::Direct => {
                let mut pool = staff.clone();
                pool.extend(&contacts);
                let first = one_of(rng, &pool);
                let second = one_of(rng, &pool);
                vec![first, second]
            }
            _ => {
                let mut chosen = pick(rng, &staff, 0.5);
                chosen.extend(pick(rng, &contacts, 0.6));
                chosen
            }
        };
        people.dedup();
        let participants: Vec<Participant> = people
            .iter()
            .map(|i| Participant {
                user: world.people[*i].id,
                org: world.people[*i].org,
            })
            .collect();
        let Ok(client_org) = client_org_of(kind, &participants) else {
            continue;
        };
        let id = ConversationId::new();
        let users: Vec<UserId> = participants.iter().map(|p| p.user).collect();
        let new = store::conversations::NewConversation {
            id,
            kind,
            project: project.map(|p| world.projects[p].id),
            client_org,
            title: &format!("Conversation {n}"),
            created_by: world.people[0].id,
            participants: &users,
        };
        let at = now + Duration::seconds(n);
        store::conversations::insert(conn, &new, at).await.unwrap();
        // A few messages by its participants, a millisecond apart, the last one of this
        // conversation still before the next conversation's start.
        let mut messages = Vec::new();
        for k in 0..rng.gen_range(0..5) {
            let message = store::conversations::NewMessage {
                id: MessageId::new(),
                conversation: id,
                author: one_of(rng, &users),
                body: &format!("Message {k}"),
                reply_to: messages.last().copied(),
            };
            store::conversations::insert_message(conn, &message, at + Duration::milliseconds(k + 1))
                .await
                .unwrap();
            messages.push(message.id);
        }
        world.conversations.push(ConversationModel {
            id,
            kind,
            project,
            client_org,
            participants: users,
            messages,
        });
    }
}

/// An admin, three members of staff (finance or not) and two contacts in each of three
/// organisations (some with narrowed permissions).
async fn add_people(conn: &mut store::Conn<'_>, rng: &mut StdRng, world: &mut World, seed: u64, now: chrono::DateTime<chrono::Utc>) {
    let mut orgs = Vec::new();
    let mut specs = vec![(Role::Admin, None)];
    specs.extend([(Role::Staff, None); 3]);
    for o in 0..3 {
        let permissions = random_permissions(rng);
        let details = domain::clients::ClientDetails::parse(&domain::clients::ClientInput {
            name: &format!("Org {o}"),
            permissions,
            ..Default::default()
        })
        .unwrap();
        let org = store::clients::insert(conn, &details, now).await.unwrap();
        orgs.push((org, details.permissions));
        specs.extend([(Role::Client, Some(org)); 2]);
    }
    for (n, (role, org)) in specs.into_iter().enumerate() {
        let name = format!("Person {n}");
        let new = store::users::NewUser {
            email: &Email::parse(&format!("p{n}-{seed}@example.com")).unwrap(),
            name: &PersonName::parse(&name).unwrap(),
            role,
            client_org_id: org,
            password_hash: None,
        };
        let id = store::users::insert(conn, &new, now).await.unwrap();
        let viewer = match (role, org) {
            (Role::Admin, _) => Viewer::Admin(id),
            (Role::Staff, _) => {
                let finance = rng.gen_bool(0.5);
                store::users::set_finance(conn, id, finance, now).await.unwrap();
                Viewer::Staff { id, finance }
            }
            (Role::Client, Some(org)) => {
                let org_permissions = orgs.iter().find(|(o, _)| *o == org).unwrap().1;
                let narrowed = rng.gen_bool(0.4).then(|| random_permissions(rng));
                store::clients::set_contact_permissions(conn, org, id, narrowed).await.unwrap();
                Viewer::Client {
                    contact: id,
                    org,
                    permissions: PortalPermissions::for_contact(org_permissions, narrowed),
                }
            }
            _ => unreachable!(),
        };
        world.people.push(Person { id, org, name, viewer });
    }
    world.orgs = orgs.into_iter().map(|(o, _)| o).collect();
}

/// Records an event and its model: the facts the policy decides on are the items' current
/// facts, so events are recorded after their items reached their final state.
async fn record_event(
    conn: &mut store::Conn<'_>,
    world: &mut World,
    project: usize,
    kind: ActivityKind,
    actor: Option<usize>,
    about: About,
    at: chrono::DateTime<chrono::Utc>,
) {
    let marker = format!("e{}", world.events.len());
    let event = store::activity::NewEvent {
        project: world.projects[project].id,
        actor: actor.map(|a| world.people[a].id),
        task: about.task.map(|t| world.tasks[t].id),
        milestone: about.milestone.map(|m| world.milestones[m].id),
        comment: about.comment.map(|c| world.comments[c].id),
        file: about.file.map(|f| world.files[f].id),
        detail: marker.clone(),
        audience: about.audience,
    };
    store::activity::record(conn, kind, &event, at).await.unwrap();
    let facts = EventFacts {
        client_safe: kind.client_safe(),
        actor_org: actor.map(|a| world.people[a].org),
        task: about.task.map(|t| world.tasks[t].facts),
        milestone: about.milestone.map(|m| world.milestones[m].facts),
        comment: about.comment.map(|c| world.comments[c].facts),
        file: about.file.map(|f| {
            let file = &world.files[f];
            (file.task.map(|t| world.tasks[t].facts), file.facts)
        }),
        audience_org: about.audience,
    };
    world.events.push(EventModel {
        project,
        facts,
        actor,
        marker,
    });
}

/// A project with staff, organisations, milestones, nested folders, tasks (some done, some
/// reviewed) with comments, files, and the events of each.
async fn add_project(conn: &mut store::Conn<'_>, rng: &mut StdRng, world: &mut World, p: usize, now: chrono::DateTime<chrono::Utc>) {
    let today = now.date_naive();
    let id = ProjectId::new();
    let status = ProjectStatus::ALL[rng.gen_range(0..3)].as_str();
    let deadline = rng
        .gen_bool(0.7)
        .then(|| today + chrono::Days::new(rng.gen_range(0..20)) - chrono::Days::new(10));
    let deadline_text = deadline.map(|d| d.to_string()).unwrap_or_default();
    let show_assignees = rng.gen_bool(0.5);
    let details = ProjectDetails::parse(&ProjectInput {
        name: &format!("Project {p}"),
        status,
        deadline: &deadline_text,
        show_assignees,
        ..Default::default()
    })
    .unwrap();
    store::projects::insert(conn, id, &details, None, now).await.unwrap();
    let staff_ids = world.staff_ids();
    let model = ProjectModel {
        id,
        archived: rng.gen_bool(0.2),
        staff: pick(rng, &staff_ids, 0.5),
        orgs: pick(rng, &world.orgs, 0.5),
        show_assignees,
        status,
        deadline,
    };
    store::projects::set_staff(conn, id, &model.staff).await.unwrap();
    store::projects::set_client_orgs(conn, id, &model.orgs).await.unwrap();
    if model.archived {
        store::projects::set_archived(conn, id, Some(now), now).await.unwrap();
    }
    let todo = store::projects::insert_column(conn, id, "To Do", 1, false, now).await.unwrap();
    let done = store::projects::insert_column(conn, id, "Done", 2, true, now).await.unwrap();
    let project = world.projects.len();
    world.projects.push(model);
    let actor = someone(rng, world);
    record_event(conn, world, project, ActivityKind::ProjectCreated, actor, About::default(), now).await;

    for m in 0..rng.gen_range(0..3) {
        let mid = MilestoneId::new();
        let facts = MilestoneFacts {
            client_visible: rng.gen_bool(0.5),
        };
        let details = MilestoneDetails::parse(&format!("M{m}"), "", "", facts.client_visible).unwrap();
        store::milestones::insert(conn, mid, id, &details, now).await.unwrap();
        let milestone = world.milestones.len();
        world.milestones.push(MilestoneModel { id: mid, project, facts });
        let about = About {
            milestone: Some(milestone),
            ..Default::default()
        };
        for kind in [ActivityKind::MilestoneCreated, ActivityKind::MilestoneCompleted] {
            let actor = someone(rng, world);
            record_event(conn, world, project, kind, actor, about, now).await;
        }
    }

    // Folders, each at the top or inside an earlier folder of the project.
    let first_folder = world.folders.len();
    for f in 0..rng.gen_range(0..4) {
        let fid = FolderId::new();
        let parent = (world.folders.len() > first_folder && rng.gen_bool(0.6)).then(|| rng.gen_range(first_folder..world.folders.len()));
        let admin = world.people[0].id;
        store::files::insert_folder(
            conn,
            fid,
            id,
            parent.map(|f| world.folders[f].id),
            &format!("Folder {f}"),
            admin,
            now,
        )
        .await
        .unwrap();
        world.folders.push(FolderModel { id: fid, project, parent });
    }
    let folders: Vec<usize> = (first_folder..world.folders.len()).collect();

    for t in 0..rng.gen_range(0..5) {
        add_task(conn, rng, world, project, t, [todo, done], now).await;
    }

    // Files: shared or internal, uploaded by staff or a contact of one of the project's
    // organisations, some in the trash, some attached to a task, some in folders.
    let project_tasks: Vec<usize> = (0..world.tasks.len()).filter(|&t| world.tasks[t].project == project).collect();
    let uploaders = world.project_people(project);
    for n in 0..rng.gen_range(0..8) {
        let fid = FileId::new();
        let task = (!project_tasks.is_empty() && rng.gen_bool(0.25)).then(|| one_of(rng, &project_tasks));
        let folder = (task.is_none() && !folders.is_empty() && rng.gen_bool(0.6)).then(|| one_of(rng, &folders));
        let place = match (task, folder) {
            (Some(t), _) => store::files::Place::Task(id, world.tasks[t].id),
            (None, Some(f)) => store::files::Place::Folder(id, world.folders[f].id),
            (None, None) => store::files::Place::Top(id),
        };
        let uploader = one_of(rng, &uploaders);
        let uploader_org = world.people[uploader].org;
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
            created_by: world.people[uploader].id,
        };
        store::files::insert(conn, &new, now).await.unwrap();
        let mut versions = Vec::new();
        for v in 0..rng.gen_range(1..=2) {
            let by = if v == 0 { uploader } else { one_of(rng, &uploaders) };
            let version = store::files::NewVersion {
                id: FileVersionId::new(),
                file: fid,
                object_key: &format!("files/{fid}/{v}"),
                size_bytes: 10,
                content_type: "text/plain",
                sha256: "",
                uploaded_by: world.people[by].id,
            };
            store::files::add_version(conn, &version, now).await.unwrap();
            versions.push((version.id.0, by));
        }
        if facts.in_trash {
            store::files::trash(conn, id, fid, world.people[uploader].id, now).await.unwrap();
        }
        let file = world.files.len();
        world.files.push(FileModel {
            id: fid,
            project,
            task,
            folder,
            facts,
            uploader,
            versions: versions.clone(),
        });
        let about = About {
            file: Some(file),
            ..Default::default()
        };
        record_event(conn, world, project, ActivityKind::FileUploaded, Some(uploader), about, now).await;
        for (_, by) in &versions[1..] {
            record_event(conn, world, project, ActivityKind::FileVersionAdded, Some(*by), about, now).await;
        }
        if rng.gen_bool(0.3) {
            let actor = someone(rng, world);
            record_event(conn, world, project, ActivityKind::FileShared, actor, about, now).await;
        }
    }
}

/// A task, done (in the done column) or open, with assignees, comments, task events and
/// perhaps review rounds.
async fn add_task(
    conn: &mut store::Conn<'_>,
    rng: &mut StdRng,
    world: &mut World,
    project: usize,
    t: usize,
    [todo, done]: [domain::ids::ColumnId; 2],
    now: chrono::DateTime<chrono::Utc>,
) {
    let today = now.date_naive();
    let project_id = world.projects[project].id;
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
    let assignees = pick(rng, &world.staff_ids(), 0.4);
    let new = store::tasks::NewTask {
        id: tid,
        project: project_id,
        column: if completed { done } else { todo },
        position: t as i64,
        details: &details,
        milestone: None,
        client_visible: facts.client_visible,
        review_enabled: false,
        requested_by: None,
        created_by: None,
        completed_at: completed.then_some(now),
    };
    store::tasks::insert(conn, &new, now).await.unwrap();
    store::tasks::set_assignees(conn, tid, &assignees).await.unwrap();
    if facts.archived {
        store::tasks::set_archived(conn, project_id, tid, Some(now), now).await.unwrap();
    }
    let task = world.tasks.len();
    world.tasks.push(TaskModel {
        id: tid,
        project,
        facts,
        due,
        completed,
        assignees,
        review: None,
    });
    let about = About {
        task: Some(task),
        ..Default::default()
    };
    const TASK_EVENTS: [ActivityKind; 5] = [
        ActivityKind::TaskCreated,
        ActivityKind::TaskRequested,
        ActivityKind::TaskMoved,
        ActivityKind::TaskShared,
        ActivityKind::TaskMadeInternal,
    ];
    for _ in 0..rng.gen_range(1..=2) {
        let (kind, actor) = (one_of(rng, &TASK_EVENTS), someone(rng, world));
        record_event(conn, world, project, kind, actor, about, now).await;
    }

    let authors = world.project_people(project);
    for k in 0..rng.gen_range(0..4) {
        let author = one_of(rng, &authors);
        let author_org = world.people[author].org;
        let cid = CommentId::new();
        let internal = author_org.is_none() && rng.gen_bool(0.4);
        let comment = store::comments::NewComment {
            id: cid,
            task: tid,
            project: project_id,
            author: world.people[author].id,
            author_org,
            body: &format!("c{k}"),
            internal,
        };
        let at = now + Duration::milliseconds(k);
        store::comments::insert(conn, &comment, at).await.unwrap();
        let comment = world.comments.len();
        world.comments.push(CommentModel {
            id: cid,
            task,
            facts: CommentFacts { internal, author_org },
        });
        let about = About {
            task: Some(task),
            comment: Some(comment),
            ..Default::default()
        };
        record_event(conn, world, project, ActivityKind::CommentAdded, Some(author), about, at).await;
    }
    review_rounds(conn, rng, world, task, now).await;
}

/// Up to two review rounds of a task on a project with clients, each addressed to a random
/// organisation of the project, submitted by staff and perhaps decided by one of that
/// organisation's contacts, with the events a review writes (addressed like the round).
async fn review_rounds(conn: &mut store::Conn<'_>, rng: &mut StdRng, world: &mut World, task: usize, now: chrono::DateTime<chrono::Utc>) {
    let project = world.tasks[task].project;
    let orgs = world.projects[project].orgs.clone();
    // Only a project with clients can have a review, and some tasks of those have none.
    if orgs.is_empty() || rng.gen_bool(0.3) {
        return;
    }
    let task_id = world.tasks[task].id;
    let staff: Vec<usize> = (0..world.people.len()).filter(|&p| world.people[p].org.is_none()).collect();
    for round in 0..rng.gen_range(1..=2) {
        let org = one_of(rng, &orgs);
        let at = now + Duration::seconds(round);
        let submitter = one_of(rng, &staff);
        let (id, _) = store::reviews::open_round(conn, task_id, org, world.people[submitter].id, "look", None, at)
            .await
            .unwrap();
        let contacts: Vec<usize> = (0..world.people.len()).filter(|&p| world.people[p].org == Some(org)).collect();
        let decision = rng.gen_bool(0.6).then(|| {
            let decision = if rng.gen_bool(0.5) {
                domain::reviews::Decision::Approved
            } else {
                domain::reviews::Decision::RevisionsRequested
            };
            (decision, one_of(rng, &contacts))
        });
        if let Some((decision, by)) = decision {
            store::reviews::decide(conn, task_id, org, decision, world.people[by].id, "our CFO hates teal", at)
                .await
                .unwrap();
        }
        let state = decision.map_or("pending", |(d, _)| d.as_str());
        store::tasks::set_review_state(conn, task_id, Some(state.parse().unwrap()), Some(org), at)
            .await
            .unwrap();
        let review = ReviewFacts { addressed_to: Some(org) };
        world.tasks[task].review = Some((review, state));
        world.rounds.push(RoundModel {
            id: id.0,
            task,
            review,
            submitter,
            decider: decision.map(|(_, by)| by),
        });
        let about = About {
            task: Some(task),
            audience: Some(org),
            ..Default::default()
        };
        record_event(conn, world, project, ActivityKind::ReviewSubmitted, Some(submitter), about, at).await;
        let Some((decision, by)) = decision else {
            // A pending round must be decided before the next (as the app enforces).
            break;
        };
        let kind = match decision {
            domain::reviews::Decision::Approved => ActivityKind::ReviewApproved,
            domain::reviews::Decision::RevisionsRequested => ActivityKind::RevisionsRequested,
        };
        record_event(conn, world, project, kind, Some(by), about, at).await;
    }
}

/// Twelve invoices to random organisations: drafts, and sent ones in every state with
/// payments, credit notes and voids.
async fn add_invoices(conn: &mut store::Conn<'_>, rng: &mut StdRng, world: &mut World, seed: u64, now: chrono::DateTime<chrono::Utc>) {
    let today = now.date_naive();
    let creator = world.people[0].id;
    for n in 0..12 {
        let org = one_of(rng, &world.orgs);
        let id = add_invoice(conn, rng, org, None, creator, now).await;
        let sent = rng.gen_bool(0.7);
        if sent {
            let issue = today - chrono::Days::new(rng.gen_range(0..150));
            let due = rng.gen_bool(0.8).then(|| issue + chrono::Days::new(rng.gen_range(0..60)));
            store::invoices::mark_sent(conn, id, &format!("T-{seed}-{n}"), issue, due, now)
                .await
                .unwrap();
            let status = [
                InvoiceStatus::Sent,
                InvoiceStatus::Viewed,
                InvoiceStatus::PartiallyPaid,
                InvoiceStatus::Paid,
                InvoiceStatus::Overdue,
            ][rng.gen_range(0..5)];
            store::invoices::save_status(conn, id, status, status == InvoiceStatus::Overdue, now)
                .await
                .unwrap();
            let currency = store::invoices::get_any(conn, id).await.unwrap().currency;
            for k in 0..rng.gen_range(0..3) {
                let amount = rng.gen_range(1..=300);
                store::invoices::add_paid(conn, id, amount, false).await.unwrap();
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
                store::invoices::insert_payment(conn, &payment, now).await.unwrap();
            }
            if rng.gen_bool(0.3) {
                let note = add_invoice(conn, rng, org, Some(id), creator, now).await;
                store::invoices::mark_sent(conn, note, &format!("C-{seed}-{n}"), issue, None, now)
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
                store::invoices::set_void(conn, id, "test", now).await.unwrap();
            }
        }
        world.invoices.push(InvoiceModel {
            id,
            facts: InvoiceFacts { client_org: org, sent },
        });
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
    let kind = if credits.is_some() {
        domain::invoices::InvoiceKind::CreditNote
    } else {
        domain::invoices::InvoiceKind::Invoice
    };
    store::invoices::insert(conn, id, kind, &fields, credits, creator, now)
        .await
        .unwrap();
    id
}

fn conversation_facts<'a>(world: &'a World, conversation: &'a ConversationModel) -> ConversationFacts<'a> {
    ConversationFacts {
        kind: conversation.kind,
        client_org: conversation.client_org,
        participants: &conversation.participants,
        project: conversation.project.map(|p| facts(&world.projects[p])),
    }
}

/// The conversations a viewer sees: the list, its count, its pages and each get.
async fn conversations_match(conn: &mut store::Conn<'_>, world: &World, viewer: &Viewer, who: &str, coverage: &mut Coverage) {
    let scope = Scope::new(viewer);
    let shown = |c: &&ConversationModel| conversation_visibility(viewer, &conversation_facts(world, c)).is_ok();
    // Newest activity first: the model's conversations were recorded a second apart, in order.
    let expected: Vec<Uuid> = world.conversations.iter().filter(shown).rev().map(|c| c.id.0).collect();
    let listed = store::conversations::list(conn, &scope, PageRequest::new(Some(1), Some(100)))
        .await
        .unwrap();
    assert_eq!(
        listed.items.iter().map(|c| c.id.0).collect::<Vec<_>>(),
        expected,
        "conversations for {who}"
    );
    assert_eq!(listed.total as usize, expected.len(), "the conversation count for {who}");
    let second_page = store::conversations::list(conn, &scope, PageRequest::new(Some(2), Some(2)))
        .await
        .unwrap();
    assert_eq!(
        second_page.items.iter().map(|c| c.id.0).collect::<Vec<_>>(),
        expected.iter().skip(2).take(2).copied().collect::<Vec<_>>(),
        "the second page of conversations for {who}"
    );
    for conversation in &world.conversations {
        let got = found(store::conversations::get(conn, &scope, conversation.id).await, "conversation get");
        let allowed = conversation_visibility(viewer, &conversation_facts(world, conversation));
        assert_eq!(got, allowed.is_ok(), "conversation get for {who}");
        if let Viewer::Client { org, .. } = viewer
            && conversation.client_org == Some(*org)
        {
            match allowed {
                Ok(()) => coverage.saw(Case::ConversationShownToClient, 1),
                Err(_) => coverage.saw(Case::ConversationOfTheirOrganisationHidden, 1),
            }
        }
        // Its messages, newest first, two at a time: all of them where it is visible, none
        // elsewhere (an empty page, like a conversation without messages).
        let expected: Vec<MessageId> = match got {
            true => conversation.messages.iter().rev().copied().collect(),
            false => Vec::new(),
        };
        let mut paged = Vec::new();
        let mut before = None;
        loop {
            let page = store::conversations::messages(conn, &scope, conversation.id, before, 2)
                .await
                .unwrap();
            paged.extend(page.iter().map(|m| m.id));
            match page.last() {
                Some(last) if page.len() == 2 => before = Some((last.created_at, last.id)),
                _ => break,
            }
        }
        assert_eq!(paged, expected, "a conversation's messages for {who}");
        if got {
            let mut participants = store::conversations::participants(conn, conversation.id).await.unwrap();
            participants.sort_unstable();
            let mut model = conversation.participants.clone();
            model.sort_unstable();
            model.dedup();
            assert_eq!(participants, model, "a conversation's participants");
        }
    }
}

fn facts<'a>(project: &'a ProjectModel) -> ProjectFacts<'a> {
    ProjectFacts {
        archived: project.archived,
        staff: &project.staff,
        client_orgs: &project.orgs,
        show_assignees: project.show_assignees,
    }
}

/// Worlds per database in a run. Each takes about half a second; new seeds every run, so the
/// runs add up to thousands of worlds.
const WORLDS_PER_RUN: u64 = 24;

/// The worlds of this run: `PORTICO_TEST_SEED` replays one, otherwise a random start.
fn seeds() -> Vec<u64> {
    match std::env::var("PORTICO_TEST_SEED") {
        Ok(seed) => vec![seed.parse().expect("PORTICO_TEST_SEED is a number (a seed a failed run printed)")],
        Err(_) => {
            let start: u64 = rand::random::<u32>().into();
            (start..start + WORLDS_PER_RUN).collect()
        }
    }
}

/// Prints how to replay the world being checked when a check fails on it.
struct ReplayHint(u64, Backend);

impl Drop for ReplayHint {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "the differential test failed on world {seed} ({backend:?}); replay it with PORTICO_TEST_SEED={seed}",
                seed = self.0,
                backend = self.1
            );
        }
    }
}

/// The cases the worlds of a run must contain, or the checks about them would pass on worlds
/// without them. Counted over the run: one replayed world need not have them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Case {
    DoneTask,
    OpenTask,
    AssignedTaskWithDueDate,
    ProjectDeadline,
    VersionUploadedByClient,
    Payment,
    CreditNote,
    RoundShownToClient,
    RoundHiddenFromClient,
    /// A client sees everything an event is about but not who did it: the event is hidden by
    /// the people rule alone.
    EventHiddenOnlyByItsActor,
    /// A viewer sees a file but may not know who uploaded it.
    UploaderNameHidden,
    /// A client sees a file in a folder inside a folder.
    ClientFileInNestedFolder,
    /// A place lists more files than a keyset page holds.
    FilesOverSeveralPages,
    /// A client may not browse a folder of a project they see (empty, or internal inside).
    FolderHiddenFromClient,
    /// A contact sees a conversation of their organisation.
    ConversationShownToClient,
    /// A conversation of a contact's own organisation is hidden from them (not a participant,
    /// permission off, or its project hidden).
    ConversationOfTheirOrganisationHidden,
}

impl Case {
    const ALL: [Case; 16] = [
        Case::DoneTask,
        Case::OpenTask,
        Case::AssignedTaskWithDueDate,
        Case::ProjectDeadline,
        Case::VersionUploadedByClient,
        Case::Payment,
        Case::CreditNote,
        Case::RoundShownToClient,
        Case::RoundHiddenFromClient,
        Case::EventHiddenOnlyByItsActor,
        Case::UploaderNameHidden,
        Case::ClientFileInNestedFolder,
        Case::FilesOverSeveralPages,
        Case::FolderHiddenFromClient,
        Case::ConversationShownToClient,
        Case::ConversationOfTheirOrganisationHidden,
    ];
}

#[derive(Default)]
struct Coverage(std::collections::BTreeMap<Case, usize>);

impl Coverage {
    fn saw(&mut self, case: Case, times: usize) {
        *self.0.entry(case).or_default() += times;
    }

    fn assert_complete(&self) {
        let missing: Vec<Case> = Case::ALL
            .into_iter()
            .filter(|c| !self.0.contains_key(c) || self.0[c] == 0)
            .collect();
        assert!(missing.is_empty(), "the worlds of this run lack {missing:?} (seen: {:?})", self.0);
    }
}

/// Whether a scoped query found its item. Not found means hidden; any other error fails the
/// test, so a query that breaks is never taken for one that hides.
fn found<T>(result: Result<T, domain::Error>, what: &str) -> bool {
    match result {
        Ok(_) => true,
        Err(domain::Error::NotFound) => false,
        Err(e) => panic!("{what}: the query failed: {e}"),
    }
}

async fn scoped_queries_return_exactly_what_the_policy_allows(backend: Backend) {
    let seeds = seeds();
    let mut coverage = Coverage::default();
    for &seed in &seeds {
        let _hint = ReplayHint(seed, backend);
        let (db, _dir) = fresh_db(backend).await;
        let world = build(&db, seed).await;
        let mut handle = db.read().await.unwrap();
        let mut conn = handle.conn();
        count_world_cases(&mut conn, &world, &mut coverage).await;
        for person in &world.people {
            let who = format!("world {seed}, {:?}", person.viewer);
            check_viewer(&mut conn, &world, &person.viewer, &who, &mut coverage).await;
        }
    }
    if seeds.len() > 1 {
        coverage.assert_complete();
    }
    eprintln!("checked {} worlds on {backend:?}: {:?}", seeds.len(), coverage.0);
}

/// Every scoped query, for one viewer of one world.
async fn check_viewer(conn: &mut store::Conn<'_>, world: &World, viewer: &Viewer, who: &str, coverage: &mut Coverage) {
    let scope = Scope::new(viewer);
    for archived in [false, true] {
        let filter = store::projects::ProjectFilter {
            archived,
            ..Default::default()
        };
        let page = store::projects::list(conn, &scope, &filter, PageRequest::new(Some(1), Some(100)))
            .await
            .unwrap();
        let listed: BTreeSet<Uuid> = page.items.iter().map(|p| p.id.0).collect();
        let expected: BTreeSet<Uuid> = world
            .projects
            .iter()
            .filter(|p| p.archived == archived && project_visibility(viewer, &facts(p)).is_ok())
            .map(|p| p.id.0)
            .collect();
        assert_eq!(listed, expected, "projects (archived {archived}) for {who}");
        assert_eq!(page.total as usize, expected.len(), "project count for {who}");
    }
    // One organisation's projects (the client page), within what the viewer sees.
    for org in &world.orgs {
        let filter = store::projects::ProjectFilter {
            client_org: Some(*org),
            ..Default::default()
        };
        let page = store::projects::list(conn, &scope, &filter, PageRequest::new(Some(1), Some(100)))
            .await
            .unwrap();
        let expected: BTreeSet<Uuid> = world
            .projects
            .iter()
            .filter(|p| !p.archived && p.orgs.contains(org) && project_visibility(viewer, &facts(p)).is_ok())
            .map(|p| p.id.0)
            .collect();
        assert_eq!(
            page.items.iter().map(|p| p.id.0).collect::<BTreeSet<_>>(),
            expected,
            "an organisation's projects for {who}"
        );
        assert_eq!(page.total as usize, expected.len());
    }
    for project in &world.projects {
        let sees = found(store::projects::get(conn, &scope, project.id).await, "project get");
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
            let (tasks, total) = store::tasks::list(conn, &scope, project.id, &filter, 500, 0).await.unwrap();
            assert_eq!(total as usize, tasks.len());
            listed.extend(tasks.iter().map(|t| t.id.0));
        }
        let expected: BTreeSet<Uuid> = world
            .tasks
            .iter()
            .filter(|t| t.project == index && task_visibility(viewer, &facts(project), &t.facts).is_ok())
            .map(|t| t.id.0)
            .collect();
        assert_eq!(listed, expected, "tasks of a project for {who}");
        visible_tasks.extend(expected);

        let milestones: BTreeSet<Uuid> = store::milestones::list(conn, &scope, project.id)
            .await
            .unwrap()
            .iter()
            .map(|m| m.id.0)
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
        let got = store::tasks::get(conn, &scope, project.id, task.id).await;
        if let Ok(shown) = &got {
            // The task's review state: shown where its review is, hidden (no review) elsewhere.
            let expected = task
                .review
                .filter(|(review, _)| review_visibility(viewer, &facts(project), &task.facts, review).is_ok())
                .map(|(_, state)| state);
            assert_eq!(shown.review_state.map(|s| s.as_str()), expected, "review state of a task for {who}");
        }
        assert_eq!(found(got, "task get"), visible_tasks.contains(&task.id.0), "task get for {who}");
        // Asked for within another project, a task is never found.
        let elsewhere = world.projects.iter().find(|p| p.id != project.id).unwrap();
        assert!(!found(store::tasks::get(conn, &scope, elsewhere.id, task.id).await, "task get"));

        let rounds = store::reviews::for_task(conn, &scope, project.id, task.id).await.unwrap();
        let expected: BTreeSet<Uuid> = world
            .rounds
            .iter()
            .filter(|r| std::ptr::eq(&world.tasks[r.task], task))
            .filter(|r| review_visibility(viewer, &facts(project), &task.facts, &r.review).is_ok())
            .map(|r| r.id)
            .collect();
        assert_eq!(
            rounds.iter().map(|r| r.id.0).collect::<BTreeSet<_>>(),
            expected,
            "review rounds of a task for {who}"
        );
        if viewer.is_client() && task_visibility(viewer, &facts(project), &task.facts).is_ok() {
            let all = world.rounds.iter().filter(|r| std::ptr::eq(&world.tasks[r.task], task)).count();
            coverage.saw(Case::RoundShownToClient, rounds.len());
            coverage.saw(Case::RoundHiddenFromClient, all - rounds.len());
        }
        round_names_match(world, viewer, &rounds, who);

        let (comments, total) = store::comments::list(conn, &scope, project.id, task.id, 100, 0).await.unwrap();
        assert_eq!(total as usize, comments.len());
        let listed: BTreeSet<Uuid> = comments.iter().map(|c| c.id.0).collect();
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
        let trail = store::reviews::for_project(conn, &scope, project.id, 10_000).await.unwrap();
        let first = store::reviews::for_project(conn, &scope, project.id, 1).await.unwrap();
        let expected: BTreeSet<Uuid> = world
            .rounds
            .iter()
            .filter(|r| world.tasks[r.task].project == index)
            .filter(|r| review_visibility(viewer, &facts(project), &world.tasks[r.task].facts, &r.review).is_ok())
            .map(|r| r.id)
            .collect();
        assert_eq!(
            trail.iter().map(|r| r.id.0).collect::<BTreeSet<_>>(),
            expected,
            "the review trail of a project for {who}"
        );
        assert_eq!(
            first.len(),
            usize::from(!expected.is_empty()),
            "whether a project has a trail, for {who}"
        );
        round_names_match(world, viewer, &trail, who);
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
    let listed = store::tasks::pending_reviews(conn, &scope, 1000).await.unwrap();
    assert_eq!(
        listed.iter().map(|t| t.id.0).collect::<BTreeSet<_>>(),
        pending,
        "reviews waiting for {who}"
    );
    let count = store::tasks::pending_review_count(conn, &scope).await.unwrap();
    assert_eq!(count as usize, pending.len(), "the count of reviews waiting for {who}");

    files_match(conn, world, viewer, who, coverage).await;

    let expected: BTreeSet<Uuid> = world
        .invoices
        .iter()
        .filter(|i| invoice_visibility(viewer, &i.facts).is_ok())
        .map(|i| i.id.0)
        .collect();
    let filter = store::invoices::InvoiceFilter::default();
    let listed = store::invoices::list(conn, &scope, &filter, PageRequest::new(Some(1), Some(100)))
        .await
        .unwrap();
    assert_eq!(
        listed.items.iter().map(|i| i.id.0).collect::<BTreeSet<_>>(),
        expected,
        "invoices for {who}"
    );
    assert_eq!(listed.total as usize, expected.len(), "invoice count for {who}");
    // Three at a time, the pages join up to the whole list, each counting all of it.
    let mut paged = Vec::new();
    for page in 1.. {
        let items = store::invoices::list(conn, &scope, &filter, PageRequest::new(Some(page), Some(3)))
            .await
            .unwrap();
        assert_eq!(items.total, listed.total, "the invoice count on page {page} for {who}");
        paged.extend(items.items.iter().map(|i| i.id.0));
        if items.items.len() < 3 {
            break;
        }
    }
    assert_eq!(
        paged,
        listed.items.iter().map(|i| i.id.0).collect::<Vec<_>>(),
        "invoice pages for {who}"
    );
    for invoice in &world.invoices {
        let got = found(store::invoices::get(conn, &scope, invoice.id).await, "invoice get");
        assert_eq!(got, invoice_visibility(viewer, &invoice.facts).is_ok(), "invoice get for {who}");
    }

    details_pages_and_aggregates_match(conn, world, viewer, who).await;
    feed_matches(conn, world, viewer, who, coverage).await;
    conversations_match(conn, world, viewer, who, coverage).await;
}

/// A round names its submitter and its decider exactly where the viewer may know them.
fn round_names_match(world: &World, viewer: &Viewer, rounds: &[store::reviews::Round], who: &str) {
    let name_for = |person: usize| {
        let person = &world.people[person];
        person_visible(viewer, person.org).then(|| person.name.clone())
    };
    for round in rounds {
        let model = world.rounds.iter().find(|r| r.id == round.id.0).unwrap();
        assert_eq!(round.submitted_by, name_for(model.submitter), "the submitter's name for {who}");
        assert_eq!(round.decided_by, model.decider.and_then(name_for), "the decider's name for {who}");
    }
}

/// Files by place (the top, each folder, each task) in keyset pages, the portal's list, single
/// files and versions, each with the uploader's name only where the viewer may know them.
async fn files_match(conn: &mut store::Conn<'_>, world: &World, viewer: &Viewer, who: &str, coverage: &mut Coverage) {
    let scope = Scope::new(viewer);
    let visible = |file: &FileModel| {
        let project = &world.projects[file.project];
        let task = file.task.map(|t| world.tasks[t].facts);
        file_visibility(viewer, &facts(project), task.as_ref(), &file.facts).is_ok()
    };
    let uploader_name = |person: usize| {
        let person = &world.people[person];
        person_visible(viewer, person.org).then(|| person.name.clone())
    };
    let check_names = |files: &[store::files::File], coverage: &mut Coverage| {
        for file in files {
            let model = world.files.iter().find(|f| f.id == file.id).unwrap();
            let expected = uploader_name(model.uploader);
            assert_eq!(file.uploader_name, expected, "the uploader's name of a file for {who}");
            coverage.saw(Case::UploaderNameHidden, usize::from(expected.is_none()));
        }
    };
    // Each place with the files the viewer sees in it.
    let shown_in = |in_place: &dyn Fn(&FileModel) -> bool| -> BTreeSet<Uuid> {
        world.files.iter().filter(|f| in_place(f) && visible(f)).map(|f| f.id.0).collect()
    };
    let mut places = Vec::new();
    for (index, project) in world.projects.iter().enumerate() {
        let top = shown_in(&|f| f.project == index && f.task.is_none() && f.folder.is_none());
        places.push((store::files::Place::Top(project.id), top));
    }
    for (index, folder) in world.folders.iter().enumerate() {
        let project = world.projects[folder.project].id;
        places.push((
            store::files::Place::Folder(project, folder.id),
            shown_in(&|f| f.folder == Some(index)),
        ));
    }
    for (index, task) in world.tasks.iter().enumerate() {
        let project = world.projects[task.project].id;
        places.push((store::files::Place::Task(project, task.id), shown_in(&|f| f.task == Some(index))));
    }
    for (place, expected) in &places {
        let all = store::files::list(conn, &scope, *place, None, 1000).await.unwrap();
        assert_eq!(
            &all.iter().map(|f| f.id.0).collect::<BTreeSet<_>>(),
            expected,
            "files in {place:?} for {who}"
        );
        check_names(&all, coverage);
        // Two at a time from the last name and id: the pages join up to the whole list.
        let mut paged = Vec::new();
        let mut after: Option<(String, domain::ids::FileId)> = None;
        loop {
            let keyset = after.as_ref().map(|(name, id)| (name.as_str(), *id));
            let page = store::files::list(conn, &scope, *place, keyset, 2).await.unwrap();
            after = page.last().map(|f| (domain::files::name_key(&f.name), f.id));
            paged.extend(page.iter().map(|f| f.id.0));
            if page.len() < 2 {
                break;
            }
        }
        assert_eq!(
            paged,
            all.iter().map(|f| f.id.0).collect::<Vec<_>>(),
            "file pages of {place:?} for {who}"
        );
        coverage.saw(Case::FilesOverSeveralPages, usize::from(all.len() > 2));
    }

    // The folders the viewer may browse: those with a visible file inside, at any depth.
    let within = |folder: usize, mut inner: Option<usize>| {
        while let Some(f) = inner {
            if f == folder {
                return true;
            }
            inner = world.folders[f].parent;
        }
        false
    };
    for (index, project) in world.projects.iter().enumerate() {
        let listed: BTreeSet<Uuid> = store::files::visible_folders(conn, &scope, project.id)
            .await
            .unwrap()
            .iter()
            .map(|f| f.id.0)
            .collect();
        let expected: BTreeSet<Uuid> = (0..world.folders.len())
            .filter(|&folder| world.folders[folder].project == index)
            .filter(|&folder| {
                world
                    .files
                    .iter()
                    .any(|f| f.task.is_none() && within(folder, f.folder) && visible(f))
            })
            .map(|folder| world.folders[folder].id.0)
            .collect();
        coverage.saw(
            Case::FolderHiddenFromClient,
            usize::from(
                viewer.is_client()
                    && project_visibility(viewer, &facts(project)).is_ok()
                    && expected.len() < world.folders.iter().filter(|f| f.project == index).count(),
            ),
        );
        assert_eq!(listed, expected, "the folders to browse for {who}");
    }
    for (index, project) in world.projects.iter().enumerate() {
        let expected: BTreeSet<Uuid> = world
            .files
            .iter()
            .filter(|f| f.project == index && f.task.is_none() && visible(f))
            .map(|f| f.id.0)
            .collect();
        let (portal, total) = store::files::list_project(conn, &scope, project.id, 1000, 0).await.unwrap();
        assert_eq!(
            portal.iter().map(|f| f.id.0).collect::<BTreeSet<_>>(),
            expected,
            "project files for {who}"
        );
        assert_eq!(total as usize, expected.len());
        check_names(&portal, coverage);
    }
    for file in &world.files {
        let project = &world.projects[file.project];
        let got = store::files::get(conn, &scope, project.id, file.id).await;
        if let Ok(shown) = &got {
            check_names(std::slice::from_ref(shown), coverage);
            let nested = file.folder.is_some_and(|f| world.folders[f].parent.is_some());
            coverage.saw(Case::ClientFileInNestedFolder, usize::from(viewer.is_client() && nested));
        }
        assert_eq!(found(got, "file get"), visible(file), "file get for {who}");

        // The versions of a file the caller has already found visible: all of them, with the
        // uploader's name only where the viewer may know the person.
        let versions = store::files::versions(conn, &scope, file.id).await.unwrap();
        assert_eq!(
            versions.iter().map(|v| v.id.0).collect::<BTreeSet<_>>(),
            file.versions.iter().map(|(id, _)| *id).collect(),
            "versions for {who}"
        );
        for version in &versions {
            let by = file.versions.iter().find(|(id, _)| *id == version.id.0).unwrap().1;
            assert_eq!(version.uploaded_by_name, uploader_name(by), "a version's uploader for {who}");
        }
    }
}

/// The activity feed, whole and in keyset pages: exactly the events the policy shows, each
/// naming its actor.
async fn feed_matches(conn: &mut store::Conn<'_>, world: &World, viewer: &Viewer, who: &str, coverage: &mut Coverage) {
    let scope = Scope::new(viewer);
    let feed = store::activity::feed(conn, &scope, None, None, 10_000).await.unwrap();
    // Paged two at a time, the feed reads its events in windows of six, most of them hidden
    // from a client: the pages still join up to exactly the whole feed.
    let mut paged = Vec::new();
    let mut before = None;
    loop {
        let page = store::activity::feed(conn, &scope, None, before, 2).await.unwrap();
        before = page.last().map(|e| (e.created_at, e.id));
        let last_page = page.len() < 2;
        paged.extend(page.into_iter().map(|e| e.id.0));
        if last_page {
            break;
        }
    }
    assert_eq!(paged, feed.iter().map(|e| e.id.0).collect::<Vec<_>>(), "feed pages for {who}");
    let shown: HashMap<&str, &store::activity::Entry> = feed.iter().map(|e| (e.detail.as_str(), e)).collect();
    for event in &world.events {
        let project = facts(&world.projects[event.project]);
        let expected = event_visible(viewer, &project, &event.facts);
        let entry = shown.get(event.marker.as_str());
        assert_eq!(entry.is_some(), expected, "event {} for {who}", event.marker);
        if let Some(entry) = entry {
            let actor = event.actor.map(|a| world.people[a].name.clone());
            assert_eq!(entry.actor_name, actor, "the actor of event {} for {who}", event.marker);
        }
        let anonymous = EventFacts {
            actor_org: None,
            ..event.facts
        };
        let hidden_by_actor = !expected && event_visible(viewer, &project, &anonymous);
        coverage.saw(Case::EventHiddenOnlyByItsActor, usize::from(hidden_by_actor));
    }
}

/// Counts the cases a world contains that the aggregates below need: done and open tasks,
/// assigned tasks with due dates, projects with deadlines, versions by clients, payments and
/// credit notes.
async fn count_world_cases(conn: &mut store::Conn<'_>, world: &World, coverage: &mut Coverage) {
    let tasks = &world.tasks;
    coverage.saw(Case::DoneTask, tasks.iter().filter(|t| t.completed).count());
    coverage.saw(Case::OpenTask, tasks.iter().filter(|t| !t.completed).count());
    let assigned_due = tasks.iter().filter(|t| !t.assignees.is_empty() && t.due.is_some());
    coverage.saw(Case::AssignedTaskWithDueDate, assigned_due.count());
    coverage.saw(
        Case::ProjectDeadline,
        world.projects.iter().filter(|p| p.deadline.is_some()).count(),
    );
    let by_clients = world
        .files
        .iter()
        .flat_map(|f| &f.versions)
        .filter(|(_, by)| world.people[*by].org.is_some());
    coverage.saw(Case::VersionUploadedByClient, by_clients.count());
    let admin = Scope::new(&world.people[0].viewer);
    let payments = store::reports::payment_history(conn, &admin, PageRequest::new(Some(1), Some(1)))
        .await
        .unwrap();
    coverage.saw(Case::Payment, payments.total as usize);
    for invoice in &world.invoices {
        let notes = store::invoices::credit_notes(conn, &admin, invoice.id).await.unwrap().len();
        coverage.saw(Case::CreditNote, notes);
    }
}

/// Details, pages, dashboard counts and financial aggregates, for one viewer: each equals what
/// the pure policy allows, an aggregate equal to the same sum over the allowed items.
async fn details_pages_and_aggregates_match(conn: &mut store::Conn<'_>, world: &World, viewer: &Viewer, who: &str) {
    let scope = Scope::new(viewer);
    let today = store::now().date_naive();

    for comment in &world.comments {
        let task = &world.tasks[comment.task];
        let project = &world.projects[task.project];
        let got = found(
            store::comments::get(conn, &scope, project.id, task.id, comment.id).await,
            "comment get",
        );
        let expected = comment_visibility(viewer, &facts(project), &task.facts, &comment.facts).is_ok();
        assert_eq!(got, expected, "comment get for {who}");
    }
    for milestone in &world.milestones {
        let project = &world.projects[milestone.project];
        let got = found(
            store::milestones::get(conn, &scope, project.id, milestone.id).await,
            "milestone get",
        );
        let expected = milestone_visibility(viewer, &facts(project), &milestone.facts).is_ok();
        assert_eq!(got, expected, "milestone get for {who}");
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
            paged.extend(page.into_iter().map(|t| t.id.0));
            if last {
                break;
            }
        }
        assert_eq!(paged, all.iter().map(|t| t.id.0).collect::<Vec<_>>(), "task pages for {who}");
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
        .map(|(id, p)| (id.0, (p.done, p.total)))
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
        items.iter().map(|i| i.id.0).collect::<BTreeSet<_>>(),
        expected,
        "project items for {who}"
    );
    for item in &items {
        let (done, total) = expected_progress.get(&item.id.0).copied().unwrap_or((0, 0));
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
            .map(|t| t.id.0)
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
    let is_open = |i: &store::invoices::Invoice| {
        i.kind == domain::invoices::InvoiceKind::Invoice && matches!(i.status.as_str(), "sent" | "viewed" | "partially_paid" | "overdue")
    };
    let counted = |i: &store::invoices::Invoice| i.sent_at.is_some() && i.voided_at.is_none();

    let mut expected: std::collections::BTreeMap<String, (i64, i64, i64, i64)> = Default::default();
    for (i, _) in visible.iter().filter(|(i, _)| is_open(i)) {
        let entry = expected.entry(i.currency.code().to_owned()).or_default();
        entry.0 += 1;
        entry.1 += balance(i);
        if i.status == domain::invoices::InvoiceStatus::Overdue {
            entry.2 += 1;
            entry.3 += balance(i);
        }
    }
    let got: std::collections::BTreeMap<String, (i64, i64, i64, i64)> = store::invoices::open_totals(conn, &scope)
        .await
        .unwrap()
        .into_iter()
        .map(|t| {
            (
                t.currency.code().to_owned(),
                (t.open_count, t.open_minor, t.overdue_count, t.overdue_minor),
            )
        })
        .collect();
    assert_eq!(got, expected, "open invoice totals for {who}");

    let payments: BTreeSet<Uuid> = visible.iter().flat_map(|(_, p)| p.iter().map(|p| p.id.0)).collect();
    let recent = store::invoices::recent_payments(conn, &scope, 1000).await.unwrap();
    assert_eq!(
        recent.iter().map(|p| p.payment.id.0).collect::<BTreeSet<_>>(),
        payments,
        "recent payments for {who}"
    );
    let history = store::reports::payment_history(conn, &scope, PageRequest::new(Some(1), Some(100)))
        .await
        .unwrap();
    assert_eq!(
        history.items.iter().map(|p| p.id.0).collect::<BTreeSet<_>>(),
        payments,
        "payment history for {who}"
    );
    assert_eq!(history.total as usize, payments.len(), "payment count for {who}");

    for invoice in &world.invoices {
        let notes: BTreeSet<Uuid> = store::invoices::credit_notes(conn, &scope, invoice.id)
            .await
            .unwrap()
            .iter()
            .map(|n| n.id.0)
            .collect();
        let expected: BTreeSet<Uuid> = visible
            .iter()
            .filter(|(n, _)| n.credits_invoice_id == Some(invoice.id))
            .map(|(n, _)| n.id.0)
            .collect();
        assert_eq!(notes, expected, "credit notes for {who}");
    }

    let from = today - chrono::Days::new(90);
    let mut months: std::collections::BTreeMap<(String, String), (i64, i64)> = Default::default();
    let month = |date: chrono::NaiveDate| date.format("%Y-%m").to_string();
    for (i, payments) in &visible {
        if counted(i) && i.issue_date.is_some_and(|d| d >= from) {
            let signed = if i.kind == domain::invoices::InvoiceKind::CreditNote {
                -i.total_minor
            } else {
                i.total_minor
            };
            months
                .entry((month(i.issue_date.unwrap()), i.currency.code().to_owned()))
                .or_default()
                .0 += signed;
        }
        for p in payments.iter().filter(|p| p.received_on >= from) {
            months.entry((month(p.received_on), p.currency.code().to_owned())).or_default().1 += p.amount_minor;
        }
    }
    let got: std::collections::BTreeMap<(String, String), (i64, i64)> = store::reports::revenue_by_month(conn, &scope, from)
        .await
        .unwrap()
        .into_iter()
        .map(|m| ((m.month, m.currency.code().to_owned()), (m.invoiced_minor, m.received_minor)))
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
        let entry = aging.entry(i.currency.code().to_owned()).or_default();
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
            (a.currency.code().to_owned(), figures)
        })
        .collect();
    assert_eq!(got, aging, "receivables for {who}");

    let mut per_client: std::collections::BTreeMap<(Uuid, String), (i64, i64, i64, i64)> = Default::default();
    for (i, _) in visible
        .iter()
        .filter(|(i, _)| i.kind == domain::invoices::InvoiceKind::Invoice && counted(i))
    {
        let entry = per_client.entry((i.client_org_id.0, i.currency.code().to_owned())).or_default();
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
                (c.client_org_id.0, c.currency.code().to_owned()),
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
