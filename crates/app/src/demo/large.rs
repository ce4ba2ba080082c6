//! The benchmark dataset (`portico demo --scale large`): 200 staff, 5,000 client
//! organisations with 2 contacts each, 20,000 projects, 1,000,000 tasks and 3,000,000
//! comments, written in bulk. One project in 200 has a 500-task board, and the first task of
//! every project carries 50 comments, so the benchmarks have their large pages. Every login
//! has the demo password.

use crate::App;
use chrono::Duration;
use domain::Result;
use domain::access::PortalPermissions;
use domain::tasks::POSITION_GAP;
use domain::users::NewPassword;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use store::bulk::{Value, insert, run};
use uuid::Uuid;

/// How big a dataset to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    pub staff: usize,
    pub organisations: usize,
    pub contacts_per_organisation: usize,
    pub projects: usize,
    pub tasks: usize,
    pub comments: usize,
    pub invoices_per_organisation: usize,
}

impl Scale {
    pub const LARGE: Scale = Scale {
        staff: 200,
        organisations: 5_000,
        contacts_per_organisation: 2,
        projects: 20_000,
        tasks: 1_000_000,
        comments: 3_000_000,
        invoices_per_organisation: 20,
    };

    /// A tenth of large in every dimension but the big pages: for trying it out quickly.
    pub const MEDIUM: Scale = Scale {
        staff: 20,
        organisations: 500,
        contacts_per_organisation: 2,
        projects: 2_000,
        tasks: 100_000,
        comments: 300_000,
        invoices_per_organisation: 20,
    };

    /// Just enough for the tests.
    pub const TINY: Scale = Scale {
        staff: 4,
        organisations: 6,
        contacts_per_organisation: 2,
        projects: 12,
        tasks: 1_100,
        comments: 1_400,
        invoices_per_organisation: 3,
    };

    pub fn parse(name: &str) -> Option<Scale> {
        match name {
            "large" => Some(Scale::LARGE),
            "medium" => Some(Scale::MEDIUM),
            "tiny" => Some(Scale::TINY),
            _ => None,
        }
    }
}

/// Where the build is, for a progress bar.
pub trait Progress {
    fn stage(&self, name: &str, total: u64);
    fn advance(&self, done: u64);
}

/// The login of the first generated contact and staff member, for benchmarks.
/// A typical client: four projects of 48 tasks (client 00000's projects all have 500).
pub const BENCH_CLIENT: &str = "client-00001-a@example.com";
pub const BENCH_STAFF: &str = "staff-000@example.com";

/// The invoices of the benchmarks' typical client's organisation (`BENCH_CLIENT`'s).
pub const BENCH_CLIENT_INVOICES: usize = 1_000;

/// Projects with a big board: one in this many.
const BIG_BOARD_EVERY: usize = 200;
const BIG_BOARD_TASKS: usize = 500;
const BUSY_TASK_COMMENTS: usize = 50;
const PROJECTS_PER_TRANSACTION: usize = 100;

impl App {
    /// Builds the dataset into an empty workspace (the demo logins are added too).
    pub async fn seed_large_demo(&self, scale: Scale, progress: &dyn Progress) -> Result<()> {
        self.seed_demo().await?;
        {
            let mut handle = self.db.read().await?;
            if store::users::find_by_email(&mut handle.conn(), &domain::users::Email::parse(BENCH_STAFF)?)
                .await?
                .is_some()
            {
                return Err(domain::Error::conflict("demo", "the benchmark dataset is already in this database"));
            }
        }
        let hash = self.passwords.hash(&NewPassword::parse(super::DEMO_PASSWORD)?).await?;
        let now = self.now();
        let mut rng = StdRng::seed_from_u64(20_261_128);

        progress.stage(
            "people",
            (scale.staff + scale.organisations * (1 + scale.contacts_per_organisation)) as u64,
        );
        let staff: Vec<Uuid> = (0..scale.staff).map(|_| Uuid::now_v7()).collect();
        let orgs: Vec<Uuid> = (0..scale.organisations).map(|_| Uuid::now_v7()).collect();
        let mut contacts: Vec<(Uuid, Uuid)> = Vec::new();
        {
            let mut tx = self.db.begin().await?;
            let mut conn = tx.conn();
            let person = |id: Uuid, email: String, name: String, role: &str, org: Option<Uuid>| {
                vec![
                    Value::Uuid(id),
                    Value::Text(email),
                    Value::Text(name),
                    Value::Text(role.into()),
                    Value::OptUuid(org),
                    Value::Text(hash.clone()),
                    Value::Time(now),
                    Value::Time(now),
                ]
            };
            const USER_COLUMNS: [&str; 8] = [
                "id",
                "email",
                "name",
                "role",
                "client_org_id",
                "password_hash",
                "created_at",
                "updated_at",
            ];
            let rows: Vec<Vec<Value>> = staff
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    person(
                        *id,
                        format!("staff-{i:03}@example.com"),
                        format!("Staff Member {i:03}"),
                        "staff",
                        None,
                    )
                })
                .collect();
            insert(&mut conn, "users", &USER_COLUMNS, &rows).await?;
            let org_rows: Vec<Vec<Value>> = orgs
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    vec![
                        Value::Uuid(*id),
                        Value::Text(format!("Client {i:05} Ltd")),
                        Value::Text("EUR".into()),
                        Value::Int(PortalPermissions::organisation_default().bits()),
                        Value::Time(now),
                    ]
                })
                .collect();
            insert(
                &mut conn,
                "client_orgs",
                &["id", "name", "currency", "portal_permissions", "created_at"],
                &org_rows,
            )
            .await?;
            let mut rows = Vec::new();
            for (i, org) in orgs.iter().enumerate() {
                for c in 0..scale.contacts_per_organisation {
                    let id = Uuid::now_v7();
                    let letter = (b'a' + c as u8) as char;
                    contacts.push((id, *org));
                    rows.push(person(
                        id,
                        format!("client-{i:05}-{letter}@example.com"),
                        format!("Contact {i:05}{letter}"),
                        "client",
                        Some(*org),
                    ));
                }
            }
            insert(&mut conn, "users", &USER_COLUMNS, &rows).await?;
            run(
                &mut conn,
                "UPDATE client_orgs SET primary_contact_id = (SELECT u.id FROM users u WHERE u.client_org_id = client_orgs.id ORDER BY u.email LIMIT 1) \
                 WHERE primary_contact_id IS NULL",
            )
            .await?;
            tx.commit().await?;
        }
        progress.advance((scale.staff + scale.organisations * (1 + scale.contacts_per_organisation)) as u64);

        // Task counts per project: the big boards first, the rest spread evenly.
        let big = scale.projects.div_ceil(BIG_BOARD_EVERY);
        let rest_tasks = scale.tasks.saturating_sub(big * BIG_BOARD_TASKS);
        let rest_projects = scale.projects - big;
        let tasks_of = |p: usize| -> usize {
            if p.is_multiple_of(BIG_BOARD_EVERY) {
                BIG_BOARD_TASKS
            } else {
                let k = p - p / BIG_BOARD_EVERY - 1;
                rest_tasks / rest_projects + usize::from(k < rest_tasks % rest_projects)
            }
        };
        // Comments: 50 on each project's first task, the rest spread over the other tasks.
        let busy = scale.projects * BUSY_TASK_COMMENTS;
        let other_tasks = scale.tasks.saturating_sub(scale.projects).max(1);
        let rest_comments = scale.comments.saturating_sub(busy);

        progress.stage("projects, tasks and comments", scale.projects as u64);
        let mut other_task_index = 0usize;
        for batch in (0..scale.projects).collect::<Vec<_>>().chunks(PROJECTS_PER_TRANSACTION) {
            let mut rows = Rows::default();
            for &p in batch {
                let project = Uuid::now_v7();
                let created = now - Duration::days(365) + Duration::minutes((p as i64 * 26) % (365 * 24 * 60));
                let status = match p % 10 {
                    0 => "on_hold",
                    1 | 2 => "completed",
                    _ => "active",
                };
                let deadline = (created + Duration::days(30 + (p % 300) as i64)).date_naive();
                rows.projects.push(vec![
                    Value::Uuid(project),
                    Value::Text(format!("Project {p:05}")),
                    Value::Text(format!("Work for client {:05}.", p % scale.organisations)),
                    Value::Text(status.into()),
                    Value::Date(Some(created.date_naive())),
                    Value::Date(Some(deadline)),
                    Value::Bool(p % 3 == 0),
                    Value::OptTime((p % 97 == 0).then_some(now)),
                    Value::Time(created),
                    Value::Time(created),
                ]);
                let team: Vec<Uuid> = (0..3).map(|k| staff[(p * 7 + k * 13) % staff.len()]).collect();
                for member in dedup(&team) {
                    rows.project_staff.push(vec![Value::Uuid(project), Value::Uuid(member)]);
                }
                // One organisation in ten shares its project with the next organisation.
                let mut client_indexes = vec![p % orgs.len()];
                if p % 10 == 5 && orgs.len() > 1 {
                    client_indexes.push((p + 1) % orgs.len());
                }
                for &org in &client_indexes {
                    rows.project_clients.push(vec![Value::Uuid(project), Value::Uuid(orgs[org])]);
                }
                let columns: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
                for (i, (column, name)) in columns
                    .iter()
                    .zip(["To Do", "In Progress", "Under Review", "Completed"])
                    .enumerate()
                {
                    rows.columns.push(vec![
                        Value::Uuid(*column),
                        Value::Uuid(project),
                        Value::Text(name.into()),
                        Value::Int((i as i64 + 1) * POSITION_GAP),
                        Value::Bool(i == 3),
                        Value::Time(created),
                    ]);
                }
                let milestones: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
                for (i, milestone) in milestones.iter().enumerate() {
                    rows.milestones.push(vec![
                        Value::Uuid(*milestone),
                        Value::Uuid(project),
                        Value::Text(format!("Phase {}", i + 1)),
                        Value::Text(String::new()),
                        Value::Date(Some((created + Duration::days(30 * (i as i64 + 1))).date_naive())),
                        Value::Bool(i != 2),
                        Value::Time(created),
                        Value::Time(created),
                    ]);
                }
                let mut positions = [0i64; 4];
                let per_org = scale.contacts_per_organisation;
                let project_contacts: Vec<(Uuid, Uuid)> = client_indexes
                    .iter()
                    .flat_map(|&org| contacts[org * per_org..(org + 1) * per_org].iter().copied())
                    .collect();
                for t in 0..tasks_of(p) {
                    let task = Uuid::now_v7();
                    let column = rng.gen_range(0..4);
                    positions[column] += POSITION_GAP;
                    let task_created = created + Duration::minutes(t as i64 * 7);
                    let due = (task_created + Duration::days(rng.gen_range(-20..60))).date_naive();
                    let shared = t == 0 || rng.gen_bool(0.6);
                    let assignee = team[t % team.len()];
                    rows.tasks.push(vec![
                        Value::Uuid(task),
                        Value::Uuid(project),
                        Value::Uuid(columns[column]),
                        Value::Int(positions[column]),
                        Value::Text(format!("Task {t} of project {p:05}")),
                        Value::Text("Details of the work, in **Markdown**.".into()),
                        Value::Text(["low", "medium", "high", "urgent"][t % 4].into()),
                        Value::Date(Some(due)),
                        Value::OptUuid((t % 5 == 0).then(|| milestones[t % 3])),
                        Value::Bool(shared),
                        Value::Bool(column == 2),
                        Value::OptText(None),
                        Value::OptTime((column == 3).then_some(task_created + Duration::days(3))),
                        Value::OptTime((t > 0 && t % 50 == 0).then_some(now)),
                        Value::Time(task_created),
                        Value::Time(task_created),
                    ]);
                    rows.assignees.push(vec![Value::Uuid(task), Value::Uuid(assignee)]);
                    rows.activity.push(vec![
                        Value::Uuid(Uuid::now_v7()),
                        Value::Uuid(project),
                        Value::OptUuid(Some(assignee)),
                        Value::Text("task_created".into()),
                        Value::OptUuid(Some(task)),
                        Value::Bool(true),
                        Value::Text(String::new()),
                        Value::Time(task_created),
                    ]);
                    let comments = if t == 0 {
                        BUSY_TASK_COMMENTS
                    } else {
                        other_task_index += 1;
                        rest_comments / other_tasks + usize::from(other_task_index <= rest_comments % other_tasks)
                    };
                    for k in 0..comments {
                        let by_client = shared && !project_contacts.is_empty() && k % 4 == 1;
                        let (author, author_org) = if by_client {
                            let (contact, org) = project_contacts[k % project_contacts.len()];
                            (contact, Some(org))
                        } else {
                            (team[k % team.len()], None)
                        };
                        rows.comments.push(vec![
                            Value::Uuid(Uuid::now_v7()),
                            Value::Uuid(task),
                            Value::Uuid(project),
                            Value::Uuid(author),
                            Value::OptUuid(author_org),
                            Value::Text(format!("Comment {k} on task {t}: looks good, one more pass on the details.")),
                            Value::Bool(!by_client && k % 3 == 2),
                            Value::Time(task_created + Duration::minutes(k as i64 + 1)),
                        ]);
                    }
                }
            }
            rows.write(self).await?;
            progress.advance(batch.len() as u64);
        }
        self.seed_large_invoices(scale, &orgs, staff[0], &mut rng, progress).await?;
        // Fresh statistics, so that the query planners know the tables' sizes.
        progress.stage("statistics", 1);
        let mut tx = self.db.begin().await?;
        run(&mut tx.conn(), "ANALYZE").await?;
        tx.commit().await?;
        progress.advance(1);
        Ok(())
    }
}

impl App {
    /// Invoices for every organisation (and `BENCH_CLIENT_INVOICES` for the benchmark
    /// client's), in every status, with their lines and payments; figures computed by the
    /// domain, as the app would.
    async fn seed_large_invoices(
        &self,
        scale: Scale,
        orgs: &[Uuid],
        creator: Uuid,
        rng: &mut StdRng,
        progress: &dyn Progress,
    ) -> Result<()> {
        use domain::invoices::{Discount, Line, TaxRate, compute_totals};
        let count_of = |o: usize| {
            if o == 1 {
                BENCH_CLIENT_INVOICES
            } else {
                scale.invoices_per_organisation
            }
        };
        let total: usize = (0..orgs.len()).map(count_of).sum();
        progress.stage("invoices", total as u64);
        let vat = TaxRate::parse("VAT", "20", false, false)?;
        let rates = serde_json::to_string(&[&vat]).map_err(domain::Error::internal)?;
        let discount = serde_json::to_string(&Discount::None).map_err(domain::Error::internal)?;
        let today = self.today();
        let now = self.now();
        let (mut invoices, mut lines, mut payments) = (Vec::new(), Vec::new(), Vec::new());
        for (o, org) in orgs.iter().enumerate() {
            for n in 0..count_of(o) {
                let id = Uuid::now_v7();
                let items = [
                    Line {
                        description: "Design and development".into(),
                        quantity: rust_decimal::Decimal::from(rng.gen_range(1..40)),
                        unit_price: 9_500,
                        discount_percent: rust_decimal::Decimal::ZERO,
                        taxes: vec![0],
                    },
                    Line {
                        description: "Hosting".into(),
                        quantity: rust_decimal::Decimal::ONE,
                        unit_price: 2_950,
                        discount_percent: rust_decimal::Decimal::ZERO,
                        taxes: vec![0],
                    },
                ];
                let totals = compute_totals(&items, std::slice::from_ref(&vat), Discount::None)?;
                let issued = today - chrono::Days::new(rng.gen_range(0..400));
                let due = issued + chrono::Days::new(14);
                // Half paid, a tenth partly paid; the rest open (overdue once due).
                let roll = rng.gen_range(0..10);
                let paid = match roll {
                    0..=4 => totals.total,
                    5 => totals.total / 2,
                    _ => 0,
                };
                let status = match roll {
                    0..=4 => "paid",
                    _ if due < today => "overdue",
                    5 => "partially_paid",
                    6 => "viewed",
                    _ => "sent",
                };
                invoices.push(vec![
                    Value::Uuid(id),
                    Value::Text("invoice".into()),
                    Value::Uuid(*org),
                    Value::Text(format!("LRG-{o:05}-{n:04}")),
                    Value::Text(status.into()),
                    Value::Text("EUR".into()),
                    Value::Date(Some(issued)),
                    Value::Date(Some(due)),
                    Value::Text(discount.clone()),
                    Value::Text(rates.clone()),
                    Value::Text(String::new()),
                    Value::Int(totals.subtotal),
                    Value::Int(0),
                    Value::Int(totals.tax_added),
                    Value::Int(totals.total),
                    Value::Int(paid),
                    Value::Int(0),
                    Value::Bool(status == "overdue"),
                    Value::Time(now),
                    Value::Uuid(creator),
                    Value::Time(now),
                    Value::Text(String::new()),
                    Value::Text(String::new()),
                    Value::Text(String::new()),
                    Value::Time(now),
                ]);
                for (position, (line, figures)) in items.iter().zip(&totals.lines).enumerate() {
                    lines.push(vec![
                        Value::Uuid(Uuid::now_v7()),
                        Value::Uuid(id),
                        Value::Int(position as i64),
                        Value::Text(line.description.clone()),
                        Value::Text(line.quantity.to_string()),
                        Value::Int(line.unit_price),
                        Value::Text("0".into()),
                        Value::Text("[0]".into()),
                        Value::Int(figures.amount),
                        Value::Int(figures.discount),
                        Value::Int(figures.net),
                    ]);
                }
                if paid > 0 {
                    payments.push(vec![
                        Value::Uuid(Uuid::now_v7()),
                        Value::Uuid(id),
                        Value::Int(paid),
                        Value::Text("EUR".into()),
                        Value::Text("bank_transfer".into()),
                        Value::Text(format!("SEPA {o:05}-{n:04}")),
                        Value::Date(Some(due.min(today))),
                        Value::Time(now),
                        Value::Text(String::new()),
                        Value::Uuid(*org),
                    ]);
                }
            }
            if invoices.len() >= 2_000 || o + 1 == orgs.len() {
                let mut tx = self.db.begin().await?;
                let mut conn = tx.conn();
                insert(
                    &mut conn,
                    "invoices",
                    &[
                        "id",
                        "kind",
                        "client_org_id",
                        "number",
                        "status",
                        "currency",
                        "issue_date",
                        "due_date",
                        "discount",
                        "tax_rates",
                        "notes",
                        "subtotal_minor",
                        "discount_minor",
                        "tax_minor",
                        "total_minor",
                        "paid_minor",
                        "credited_minor",
                        "overdue",
                        "sent_at",
                        "created_by",
                        "created_at",
                        "terms",
                        "footer",
                        "void_reason",
                        "updated_at",
                    ],
                    &invoices,
                )
                .await?;
                insert(
                    &mut conn,
                    "invoice_lines",
                    &[
                        "id",
                        "invoice_id",
                        "position",
                        "description",
                        "quantity",
                        "unit_price_minor",
                        "discount_percent",
                        "taxes",
                        "amount_minor",
                        "discount_minor",
                        "net_minor",
                    ],
                    &lines,
                )
                .await?;
                insert(
                    &mut conn,
                    "payments",
                    &[
                        "id",
                        "invoice_id",
                        "amount_minor",
                        "currency",
                        "method",
                        "reference",
                        "received_on",
                        "created_at",
                        "note",
                        "client_org_id",
                    ],
                    &payments,
                )
                .await?;
                tx.commit().await?;
                progress.advance(invoices.len() as u64);
                invoices.clear();
                lines.clear();
                payments.clear();
            }
        }
        Ok(())
    }
}

fn dedup(ids: &[Uuid]) -> Vec<Uuid> {
    let mut out: Vec<Uuid> = Vec::new();
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    out
}

/// The rows of one batch of projects, written in one transaction.
#[derive(Default)]
struct Rows {
    projects: Vec<Vec<Value>>,
    project_staff: Vec<Vec<Value>>,
    project_clients: Vec<Vec<Value>>,
    columns: Vec<Vec<Value>>,
    milestones: Vec<Vec<Value>>,
    tasks: Vec<Vec<Value>>,
    assignees: Vec<Vec<Value>>,
    activity: Vec<Vec<Value>>,
    comments: Vec<Vec<Value>>,
}

impl Rows {
    async fn write(&self, app: &App) -> Result<()> {
        let mut tx = app.db.begin().await?;
        let mut conn = tx.conn();
        let c = &mut conn;
        insert(
            c,
            "projects",
            &[
                "id",
                "name",
                "description",
                "status",
                "start_date",
                "deadline",
                "show_assignees",
                "archived_at",
                "created_at",
                "updated_at",
            ],
            &self.projects,
        )
        .await?;
        insert(c, "project_staff", &["project_id", "user_id"], &self.project_staff).await?;
        insert(c, "project_clients", &["project_id", "client_org_id"], &self.project_clients).await?;
        insert(
            c,
            "board_columns",
            &["id", "project_id", "name", "position", "is_done", "created_at"],
            &self.columns,
        )
        .await?;
        insert(
            c,
            "milestones",
            &[
                "id",
                "project_id",
                "name",
                "description",
                "target_date",
                "client_visible",
                "created_at",
                "updated_at",
            ],
            &self.milestones,
        )
        .await?;
        insert(
            c,
            "tasks",
            &[
                "id",
                "project_id",
                "column_id",
                "position",
                "name",
                "description",
                "priority",
                "due_date",
                "milestone_id",
                "client_visible",
                "review_enabled",
                "review_state",
                "completed_at",
                "archived_at",
                "created_at",
                "updated_at",
            ],
            &self.tasks,
        )
        .await?;
        insert(c, "task_assignees", &["task_id", "user_id"], &self.assignees).await?;
        insert(
            c,
            "activity",
            &[
                "id",
                "project_id",
                "actor_id",
                "kind",
                "task_id",
                "client_safe",
                "detail",
                "created_at",
            ],
            &self.activity,
        )
        .await?;
        insert(
            c,
            "comments",
            &[
                "id",
                "task_id",
                "project_id",
                "author_id",
                "author_org_id",
                "body",
                "internal",
                "created_at",
            ],
            &self.comments,
        )
        .await?;
        tx.commit().await
    }
}
