//! The demo workspace: an admin, a staff member, two client organisations (Acme with a
//! second, invoices-only contact) and three projects with boards, comments and reviews. Every
//! demo login has the password `portico-demo`. Seeding is idempotent: a restart finds the
//! people and projects already there and adds nothing.

pub mod large;

use crate::App;
use crate::projects::Members;
use crate::tasks::TaskSettings;
use crate::users::{Actor, FirstPassword, NewUserInput};
use domain::Result;
use domain::access::{Permission, PortalPermissions, Viewer};
use domain::ids::{ClientOrgId, ProjectId, UserId};
use domain::milestones::MilestoneDetails;
use domain::projects::{ProjectDetails, ProjectInput};
use domain::tasks::{TaskDetails, TaskInput};
use domain::users::{Email, PageRequest};

/// A demo task: project, name, column index, shared, priority, due in days, review on.
type DemoTask<'a> = (ProjectId, &'a str, usize, bool, &'a str, Option<i64>, bool);

pub const DEMO_PASSWORD: &str = "portico-demo";

/// One demo login, printed at start.
pub struct DemoLogin {
    pub role: &'static str,
    pub email: &'static str,
    pub organisation: Option<&'static str>,
}

pub const DEMO_LOGINS: &[DemoLogin] = &[
    DemoLogin {
        role: "admin",
        email: "admin@example.com",
        organisation: None,
    },
    DemoLogin {
        role: "staff",
        email: "staff@example.com",
        organisation: None,
    },
    DemoLogin {
        role: "client",
        email: "client@example.com",
        organisation: Some("Acme"),
    },
    DemoLogin {
        role: "client",
        email: "other@example.net",
        organisation: Some("Globex"),
    },
    DemoLogin {
        role: "client (invoices only)",
        email: "finance@example.com",
        organisation: Some("Acme"),
    },
];

const DEMO_NAMES: &[&str] = &["Ada Lindqvist", "Sam Okafor", "Carla Romero", "Oscar Bennett", "Fiona Walsh"];

impl App {
    /// Creates whatever of the demo workspace is missing. Returns how many people it added.
    pub async fn seed_demo(&self) -> Result<usize> {
        let mut added = 0;
        for (login, name) in DEMO_LOGINS.iter().zip(DEMO_NAMES) {
            let exists = {
                let mut handle = self.db.read().await?;
                store::users::find_by_email(&mut handle.conn(), &Email::parse(login.email)?)
                    .await?
                    .is_some()
            };
            if exists {
                continue;
            }
            let client_org_id = match login.organisation {
                Some(org) => Some(self.find_or_create_client_org(org).await?),
                None => None,
            };
            let role = login.role.split_whitespace().next().unwrap_or(login.role);
            let input = NewUserInput {
                email: login.email.into(),
                name: (*name).into(),
                role: role.into(),
                client_org_id,
            };
            let created = self
                .create_user(&Actor::Operator, &input, FirstPassword::Set(DEMO_PASSWORD.into()))
                .await?;
            if let (Some(org), true) = (client_org_id, login.email.starts_with("finance@")) {
                let invoices_only = PortalPermissions::from_permissions([Permission::ViewInvoices, Permission::PayInvoices]);
                self.set_contact_permissions(&Actor::Operator, org, created.user.id, Some(invoices_only))
                    .await?;
            }
            added += 1;
        }
        let no_projects = {
            let mut handle = self.db.read().await?;
            let everything = store::scope::Scope::new(&Viewer::Admin(UserId(uuid::Uuid::nil())));
            store::projects::list(
                &mut handle.conn(),
                &everything,
                &Default::default(),
                PageRequest::new(Some(1), Some(1)),
            )
            .await?
            .total
                == 0
        };
        if no_projects {
            self.seed_demo_projects().await?;
        }
        Ok(added)
    }

    /// Three projects: one for Acme, one shared by Acme and Globex, one for Globex; boards
    /// with tasks in every column, internal and shared work, comments of both kinds (one by
    /// each client on the shared project), milestones, deliverables awaiting review, files and
    /// invoices. Written as six weeks of history, step by step, so it reads like real work.
    async fn seed_demo_projects(&self) -> Result<()> {
        let person = |email: &str| {
            let email = email.to_owned();
            async move {
                let mut handle = self.db.read().await?;
                store::users::find_by_email(&mut handle.conn(), &Email::parse(&email)?)
                    .await?
                    .ok_or(domain::Error::NotFound)
            }
        };
        let admin = person("admin@example.com").await?;
        let staff = person("staff@example.com").await?;
        let carla = person("client@example.com").await?;
        let oscar = person("other@example.net").await?;
        let acme = carla.client_org_id.ok_or(domain::Error::NotFound)?;
        let globex = oscar.client_org_id.ok_or(domain::Error::NotFound)?;
        let admin = admin.viewer();
        let sam = staff.viewer();
        let history = History::begin(self);
        let today = history.today;
        let day = |offset: i64| (today + chrono::Duration::days(offset)).format("%Y-%m-%d").to_string();

        history.at(44, 9, 5);
        self.seed_demo_clients(acme, globex).await?;
        let project = |name: &'static str, description: &'static str, status: &'static str, deadline: String, orgs: Vec<ClientOrgId>| {
            let members = Members {
                staff: vec![staff.id],
                client_orgs: orgs,
            };
            let start = day(-42);
            async move {
                let details = ProjectDetails::parse(&ProjectInput {
                    name,
                    description,
                    status,
                    start_date: &start,
                    deadline: &deadline,
                    show_assignees: false,
                })?;
                self.create_project(&admin, &details, &members).await
            }
        };
        history.at(42, 9, 30);
        let website = project(
            "Acme website redesign",
            "A new **marketing site** for Acme: fresh layout, faster pages, and a blog.\n\nWe share designs here for your review.",
            "active",
            day(30),
            vec![acme],
        )
        .await?;
        history.at(41, 14, 10);
        let brand = project(
            "Brand guidelines",
            "One set of brand guidelines for the joint venture: colours, type and tone of voice.",
            "active",
            day(12),
            vec![acme, globex],
        )
        .await?;
        history.at(36, 10, 0);
        let mobile = project(
            "Globex mobile app",
            "The first release of the Globex field app.",
            "on_hold",
            day(-3),
            vec![globex],
        )
        .await?;

        let tasks: &[DemoTask] = &[
            (website, "Collect brand assets", 0, true, "medium", Some(5), false),
            (website, "Set up the staging server", 0, false, "high", Some(2), false),
            (website, "Homepage layout", 1, true, "high", Some(4), true),
            (website, "Internal QA checklist", 1, false, "low", None, false),
            (website, "Logo refresh", 1, true, "urgent", Some(1), true),
            (website, "Kick-off meeting", 3, true, "medium", Some(-14), false),
            (brand, "Colour palette", 1, true, "high", Some(3), true),
            (brand, "Typography", 0, true, "medium", Some(8), false),
            (brand, "Budget check", 1, false, "medium", Some(-1), false),
            (brand, "Tone of voice", 3, true, "low", Some(-5), false),
            (mobile, "Login screen", 1, true, "high", Some(-2), false),
            (mobile, "Offline sync spike", 0, false, "urgent", None, false),
        ];
        let mut ids = Vec::new();
        for (n, (project, name, column, shared, priority, due, review)) in tasks.iter().enumerate() {
            // Planned over the first two weeks, a few tasks a day.
            history.at(35 - n as u64, 10 + (n % 3) as u32 * 2, 15 * (n % 4) as u32);
            let columns = {
                let mut handle = self.db.read().await?;
                store::projects::columns(&mut handle.conn(), *project).await?
            };
            let due = due.map(day).unwrap_or_default();
            let details = TaskDetails::parse(&TaskInput {
                name,
                description: demo_brief(name),
                priority,
                start_date: "",
                due_date: &due,
            })?;
            let settings = TaskSettings {
                column: columns.get(*column).map(|c| c.id),
                assignees: vec![staff.id],
                client_visible: *shared,
                review_enabled: *review,
                ..Default::default()
            };
            ids.push(self.create_task(&sam, *project, &details, &settings).await?);
        }
        let (logo, homepage, palette, typography) = (ids[4], ids[2], ids[6], ids[7]);

        history.at(22, 9, 40);
        for (project, name, offset, shared) in [
            (website, "Design approved", 10, true),
            (website, "Launch", 30, true),
            (website, "Internal retrospective", 35, false),
            (brand, "Guidelines published", 12, true),
        ] {
            let details = MilestoneDetails::parse(name, "", &day(offset), shared)?;
            self.create_milestone(&sam, project, &details).await?;
        }
        self.seed_demo_files(&history, &sam, &carla.viewer(), &oscar.viewer(), [website, brand, mobile])
            .await?;

        history.at(9, 16, 20);
        self.submit_for_review(&sam, website, homepage, None, "First layout of the homepage.", None)
            .await?;
        history.at(8, 11, 5);
        self.decide_review(
            &carla.viewer(),
            website,
            homepage,
            "request_revisions",
            "Please make the header image larger.",
        )
        .await?;
        history.at(6, 9, 50);
        self.add_comment(&sam, brand, typography, "We suggest Inter for body text.", false)
            .await?;
        history.at(6, 15, 30);
        self.add_comment(&carla.viewer(), brand, typography, "Acme is happy with Inter.", false)
            .await?;
        history.at(5, 10, 15);
        self.add_comment(&oscar.viewer(), brand, typography, "Globex would like a serif for headings.", false)
            .await?;
        history.at(5, 11, 0);
        self.add_comment(&sam, brand, typography, "@staff check the licence cost before we agree.", true)
            .await?;
        history.at(3, 14, 45);
        self.submit_for_review(
            &sam,
            brand,
            palette,
            Some(acme),
            "The palette, with contrast ratios for text.",
            None,
        )
        .await?;
        // The review's deliverable, attached to the shared task (so shared with Acme).
        history.at(2, 10, 30);
        let permit = self.permit_upload(&sam, website, crate::files::Destination::Task(logo)).await?;
        for (name, background, ink) in [
            ("Logo – light.png", [250, 248, 244], [31, 58, 147]),
            ("Logo – dark.png", [24, 28, 38], [242, 201, 76]),
        ] {
            let body = futures::stream::iter([Ok::<_, std::convert::Infallible>(bytes::Bytes::from(logo_png(background, ink)))]);
            self.upload(&sam, &permit, name, body).await?;
        }
        history.at(2, 10, 40);
        self.submit_for_review(
            &sam,
            website,
            logo,
            None,
            "Two logo options, light and dark. Which one do you prefer?",
            None,
        )
        .await?;
        history.at(2, 10, 55);
        self.add_comment(&sam, website, logo, "The dark version works best on the new header.", false)
            .await?;
        history.at(2, 11, 20);
        self.add_comment(
            &sam,
            website,
            logo,
            "Internal: the client prefers blue; keep the budget in mind.",
            true,
        )
        .await?;
        history.at(1, 9, 15);
        self.add_comment(&carla.viewer(), website, logo, "Thanks! We will look at both today.", false)
            .await?;
        self.seed_demo_invoices(&history, &admin, &carla.viewer(), (acme, website), (globex, mobile))
            .await?;
        drop(history);
        // With the clock back at today, invoices past their due date are overdue.
        self.mark_overdue_invoices().await?;
        Ok(())
    }

    /// The two client organisations' records: addresses for the invoices, currencies their
    /// invoices are in, phone and website.
    async fn seed_demo_clients(&self, acme: ClientOrgId, globex: ClientOrgId) -> Result<()> {
        use domain::clients::{ClientDetails, ClientInput};
        let permissions = PortalPermissions::organisation_default();
        let records = [
            (
                acme,
                ClientInput {
                    name: "Acme",
                    address: "Torstraße 120\n10119 Berlin\nGermany",
                    billing_address: "Acme GmbH, Accounts payable\nTorstraße 120\n10119 Berlin\nGermany",
                    phone: "+49 30 5557 1200",
                    website: "https://acme.example",
                    tax_id: "DE 298 765 432",
                    currency: "EUR",
                    notes: "Marketing team led by Carla; invoices go to Fiona in accounts.",
                    permissions,
                },
            ),
            (
                globex,
                ClientInput {
                    name: "Globex",
                    address: "455 Market Street, Suite 900\nSan Francisco, CA 94105\nUnited States",
                    billing_address: "Globex Corporation\n455 Market Street, Suite 900\nSan Francisco, CA 94105\nUnited States",
                    phone: "+1 415 555 0134",
                    website: "https://globex.example",
                    tax_id: "EIN 94-5550134",
                    currency: "USD",
                    notes: "Field-service software; Oscar runs the mobile programme.",
                    permissions,
                },
            ),
        ];
        for (org, input) in records {
            self.update_client(&Actor::Operator, org, &ClientDetails::parse(&input)?).await?;
        }
        Ok(())
    }

    /// Invoices in every status for both clients, with payments, a refund and a credit note;
    /// the workspace's business details and two tax rates. Each is issued, sent and paid on
    /// its own day.
    async fn seed_demo_invoices(
        &self,
        history: &History<'_>,
        admin: &Viewer,
        carla: &Viewer,
        (acme, website): (ClientOrgId, ProjectId),
        (globex, mobile): (ClientOrgId, ProjectId),
    ) -> Result<()> {
        use crate::invoices::{InvoiceInput, InvoiceSettings, LineInput, Notify, PaymentInput};
        use domain::invoices::TaxRate;
        history.at(63, 9, 0);
        let settings = InvoiceSettings {
            business_name: "Portico Studio Ltd".into(),
            business_address: "12 Harbour Street\nBristol BS1 4RN\nUnited Kingdom".into(),
            tax_id: "GB 123 4567 89".into(),
            payment_terms: "Bank transfer to Portico Studio Ltd, IBAN GB33 BUKB 2020 1555 5555 55. Please quote the invoice number.".into(),
            footer: "Thank you for working with us.".into(),
            ..InvoiceSettings::default()
        };
        self.save_invoice_settings(admin, &settings).await?;
        let vat = TaxRate::parse("VAT", "20", false, false)?;
        self.add_tax_rate(admin, &vat).await?;
        self.add_tax_rate(admin, &TaxRate::parse("Reduced VAT", "5", false, false)?).await?;
        let today = history.today;
        let line = |description: &str, quantity: &str, price: &str| LineInput {
            description: description.into(),
            quantity: quantity.into(),
            unit_price: price.into(),
            discount_percent: String::new(),
            taxes: vec![0],
        };
        let invoice =
            |client: ClientOrgId, project: Option<ProjectId>, currency: &str, days_ago: u64, lines: Vec<LineInput>| InvoiceInput {
                client_org: Some(client),
                project,
                currency: currency.into(),
                issue_date: Some(today - chrono::Days::new(days_ago)),
                terms_days: Some(14),
                lines,
                tax_rates: vec![vat.clone()],
                notes: "Thank you for your business.".into(),
                ..Default::default()
            };
        let pay = |amount: &str, method: &str, reference: &str, days_ago: u64| {
            history.at(days_ago, 11, 30);
            PaymentInput {
                amount: amount.into(),
                method: method.into(),
                reference: reference.into(),
                received_on: Some(today - chrono::Days::new(days_ago)),
                ..Default::default()
            }
        };
        // In the order it happened, so invoice numbers follow the calendar. Acme pays in euros
        // (paid, partly paid and overdue, viewed, sent, credited, void, draft); Globex in US
        // dollars (paid with a refund, sent).
        let discovery = vec![line("Discovery workshop", "1", "1800"), line("Site map and wireframes", "12", "95")];
        let late = vec![
            line("Visual design, round 1", "24", "95"),
            line("Stock photography licence", "1", "240"),
        ];
        let hosting = vec![line("Hosting, 12 months", "12", "29.50")];
        let app_design = vec![line("App design sprint", "1", "6400"), line("Prototype testing", "6", "120")];
        let build = vec![line("Front-end build", "40", "95"), line("Content migration", "16", "80")];
        let sprint = vec![line("Development sprint 1", "80", "110")];

        history.at(60, 9, 30);
        let paid = self
            .create_invoice(admin, &invoice(acme, Some(website), "EUR", 60, discovery))
            .await?;
        self.send(admin, paid, Notify::Nobody).await?;
        let paid_in_full = pay("3528", "bank_transfer", "SEPA 2026-0412", 48);
        self.record_manual(admin, paid, &paid_in_full, false, Notify::Nobody).await?;
        history.at(45, 10, 0);
        let refunded = self
            .create_invoice(admin, &invoice(globex, Some(mobile), "USD", 45, app_design))
            .await?;
        self.send(admin, refunded, Notify::Nobody).await?;
        history.at(35, 9, 30);
        let overdue = self.create_invoice(admin, &invoice(acme, Some(website), "EUR", 35, late)).await?;
        self.send(admin, overdue, Notify::Nobody).await?;
        history.at(30, 10, 0);
        let credited = self
            .create_invoice(admin, &invoice(acme, Some(website), "EUR", 30, hosting.clone()))
            .await?;
        self.send(admin, credited, Notify::Nobody).await?;
        let globex_paid = pay("8544", "bank_transfer", "ACH 88213", 30);
        self.record_manual(admin, refunded, &globex_paid, false, Notify::Nobody).await?;
        history.at(26, 15, 10);
        self.credit(
            admin,
            credited,
            &[line("Hosting, 2 months not used", "2", "29.50")],
            "Launch moved by two months",
            Notify::Nobody,
        )
        .await?;
        self.record_refund(admin, refunded, &pay("144", "bank_transfer", "ACH 88990", 20))
            .await?;
        history.at(15, 9, 45);
        let mistaken = self.create_invoice(admin, &invoice(acme, None, "EUR", 15, hosting.clone())).await?;
        self.send(admin, mistaken, Notify::Nobody).await?;
        history.at(15, 10, 5);
        self.void_invoice(admin, mistaken, "Sent twice by mistake").await?;
        let part_payment = pay("1000", "bank_transfer", "SEPA 2026-0502", 12);
        self.record_manual(admin, overdue, &part_payment, false, Notify::Nobody).await?;
        history.at(5, 9, 30);
        let viewed = self.create_invoice(admin, &invoice(acme, Some(website), "EUR", 5, build)).await?;
        self.send(admin, viewed, Notify::Nobody).await?;
        history.at(4, 13, 20);
        self.open_invoice(carla, viewed).await?;
        history.at(3, 9, 30);
        let globex_sent = self.create_invoice(admin, &invoice(globex, Some(mobile), "USD", 3, sprint)).await?;
        self.send(admin, globex_sent, Notify::Nobody).await?;
        history.at(1, 9, 30);
        let sent = self.create_invoice(admin, &invoice(acme, None, "EUR", 1, hosting)).await?;
        self.send(admin, sent, Notify::Nobody).await?;
        history.at(1, 16, 40);
        self.create_invoice(
            admin,
            &invoice(acme, Some(website), "EUR", 0, vec![line("Launch support", "8", "95")]),
        )
        .await?;
        Ok(())
    }

    /// A folder and a few files per project, some shared; on the shared project one upload by
    /// each client organisation (seen by staff and that organisation only). Images and PDFs
    /// are drawn for the demo, so previews show real-looking work.
    async fn seed_demo_files(
        &self,
        history: &History<'_>,
        sam: &Viewer,
        carla: &Viewer,
        oscar: &Viewer,
        projects: [ProjectId; 3],
    ) -> Result<()> {
        use crate::files::Destination;
        let [website, brand, mobile] = projects;
        history.at(21, 9, 0);
        let designs = self.create_folder(sam, website, None, "Designs").await?;
        let mockup = homepage_mockup_png();
        let screenshots = app_screens_png();
        let guidelines = guidelines_pdf();
        // Who uploads, where, the name, the bytes, whether staff share it, and how many days ago.
        let files: [DemoFile; 9] = [
            (
                sam,
                website,
                Destination::Top,
                "Sitemap.txt",
                b"Home\nAbout\nBlog\nContact\n",
                true,
                21,
            ),
            (
                sam,
                website,
                Destination::Top,
                "Budget notes.txt",
                b"Internal: hours left 42.\n",
                false,
                20,
            ),
            (sam, brand, Destination::Top, "Brand guidelines draft.pdf", &guidelines, true, 18),
            (
                sam,
                brand,
                Destination::Top,
                "Licence costs.txt",
                b"Internal: font licences 1,200 EUR.\n",
                false,
                17,
            ),
            (
                carla,
                brand,
                Destination::Top,
                "Acme logo files.txt",
                b"Logo sources from Acme.\n",
                false,
                16,
            ),
            (
                oscar,
                brand,
                Destination::Top,
                "Globex fonts.txt",
                b"Fonts Globex uses.\n",
                false,
                14,
            ),
            (sam, mobile, Destination::Top, "App store screenshots.png", &screenshots, true, 12),
            (
                sam,
                mobile,
                Destination::Top,
                "Release plan.txt",
                b"Beta in two weeks.\n",
                false,
                11,
            ),
            (sam, website, Destination::Folder(designs), "Homepage mockup.png", &mockup, true, 10),
        ];
        for (who, project, destination, name, bytes, shared, days_ago) in files {
            history.at(days_ago, 14, 5);
            let permit = self.permit_upload(who, project, destination).await?;
            let body = futures::stream::iter([Ok::<_, std::convert::Infallible>(bytes::Bytes::copy_from_slice(bytes))]);
            let uploaded = self.upload(who, &permit, name, body).await?;
            if shared {
                let share = crate::files::FileChange {
                    client_visible: Some(true),
                    ..Default::default()
                };
                self.change_file(sam, project, uploaded.file, &share).await?;
            }
        }
        Ok(())
    }
}

/// What a demo task is about, as its owner would write it.
fn demo_brief(task: &str) -> &'static str {
    match task {
        "Collect brand assets" => "Logos (vector), brand fonts and photo rights from Acme's marketing team.",
        "Homepage layout" => "Hero with the new photography, three service cards, customer quotes and a clear **Contact us**.",
        "Logo refresh" => "Modernise the mark for small sizes: a light and a dark version, both as SVG and PNG.",
        "Kick-off meeting" => "Goals, audiences, timeline and who approves what. Notes are in the files.",
        "Set up the staging server" => "Staging at *staging.acme.example* with basic auth; deploy from the main branch.",
        "Internal QA checklist" => "Accessibility (WCAG 2.2 AA), page speed, forms, 404s and redirects before launch.",
        "Colour palette" => "Primary, secondary and neutral colours with contrast ratios for text on each.",
        "Typography" => "Body and heading faces, sizes and line heights; licences for web and print.",
        "Budget check" => "Compare hours spent with the estimate before the next phase.",
        "Tone of voice" => "Three principles with do and don't examples.",
        "Login screen" => "Email and password, passkeys later; offline message when there is no signal.",
        "Offline sync spike" => "Find out how much of a technician's day can work without a connection.",
        _ => "",
    }
}

/// The demo is written as a history: each step happens on its own day and hour, in the
/// workspace's time zone, so the feed, the comments and the trails read like weeks of work.
/// The clock goes back to the present when this is dropped, also when seeding fails.
struct History<'a> {
    app: &'a App,
    /// The real today, from which the history counts back.
    today: chrono::NaiveDate,
    saved: i64,
}

impl<'a> History<'a> {
    fn begin(app: &'a App) -> Self {
        let today = app.today();
        let saved = app.clock.travel_to(app.now());
        History { app, today, saved }
    }

    /// Sets the clock to a time of day, some days ago; never later than the present.
    fn at(&self, days_ago: u64, hour: u32, minute: u32) {
        use chrono::TimeZone;
        self.app.clock.restore(self.saved);
        let present = self.app.now();
        let local = (self.today - chrono::Days::new(days_ago))
            .and_hms_opt(hour, minute, 0)
            .unwrap_or_default();
        let at = self
            .app
            .config
            .time_zone
            .from_local_datetime(&local)
            .earliest()
            .map_or(present, |t| t.with_timezone(&chrono::Utc));
        self.app.clock.travel_to(at.min(present));
    }
}

impl Drop for History<'_> {
    fn drop(&mut self) {
        self.app.clock.restore(self.saved);
    }
}

/// A logo draft for the demo's review: a mark (a ring and a bar) on a background, 480×300.
fn logo_png(background: [u8; 3], ink: [u8; 3]) -> Vec<u8> {
    let image = image::RgbImage::from_fn(480, 300, |x, y| {
        let (dx, dy) = (x as f32 - 150.0, y as f32 - 150.0);
        let distance = (dx * dx + dy * dy).sqrt();
        let ring = (52.0..78.0).contains(&distance);
        let bar = (205..420).contains(&x) && (132..168).contains(&y);
        image::Rgb(if ring || bar { ink } else { background })
    });
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("a PNG is written to memory");
    png
}

type DemoFile<'a> = (&'a Viewer, ProjectId, crate::files::Destination, &'a str, &'a [u8], bool, u64);

/// Fills rectangles (x, y, width, height, colour) on a canvas of one colour and encodes it.
fn drawing_png(width: u32, height: u32, paper: [u8; 3], shapes: &[(u32, u32, u32, u32, [u8; 3])]) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        let on_top = shapes
            .iter()
            .rev()
            .find(|(left, top, w, h, _)| (*left..left + w).contains(&x) && (*top..top + h).contains(&y));
        image::Rgb(on_top.map_or(paper, |shape| shape.4))
    });
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("a PNG is written to memory");
    png
}

/// A homepage wireframe, 1200×800: navigation, a hero with its headline and button, three
/// feature cards and a footer.
fn homepage_mockup_png() -> Vec<u8> {
    let (ink, navy, blue, grey, light, white) = (
        [40, 44, 52],
        [22, 36, 71],
        [47, 91, 234],
        [206, 212, 222],
        [238, 241, 246],
        [255, 255, 255],
    );
    let mut shapes = vec![
        (0, 0, 1200, 72, white),
        (48, 22, 120, 28, navy),
        (760, 30, 70, 12, grey),
        (850, 30, 70, 12, grey),
        (940, 30, 70, 12, grey),
        (1040, 20, 112, 34, blue),
        (0, 72, 1200, 380, navy),
        (80, 150, 520, 34, white),
        (80, 200, 440, 34, white),
        (80, 262, 400, 12, grey),
        (80, 284, 360, 12, grey),
        (80, 330, 170, 48, blue),
        (660, 120, 460, 290, [64, 96, 170]),
        (700, 160, 380, 210, [98, 132, 206]),
        (0, 740, 1200, 60, ink),
        (48, 764, 200, 12, [120, 126, 138]),
    ];
    for column in 0..3 {
        let left = 80 + column * 360;
        shapes.extend([
            (left, 500, 320, 200, white),
            (left + 24, 524, 48, 48, light),
            (left + 24, 596, 200, 16, ink),
            (left + 24, 628, 260, 10, grey),
            (left + 24, 648, 230, 10, grey),
        ]);
    }
    drawing_png(1200, 800, light, &shapes)
}

/// Three phone screens of the Globex field app, side by side, 1200×800.
fn app_screens_png() -> Vec<u8> {
    let (frame, screen, teal, grey, ink) = ([30, 33, 40], [250, 250, 252], [0, 128, 128], [214, 218, 226], [50, 54, 64]);
    let mut shapes = Vec::new();
    for phone in 0..3 {
        let left = 90 + phone * 370;
        shapes.extend([
            (left, 60, 300, 680, frame),
            (left + 14, 90, 272, 620, screen),
            (left + 14, 90, 272, 70, teal),
            (left + 34, 116, 140, 18, screen),
        ]);
        for row in 0..6 {
            let top = 184 + row * 82;
            shapes.extend([
                (left + 30, top, 48, 48, grey),
                (left + 92, top + 6, 150, 14, ink),
                (left + 92, top + 30, 110, 10, grey),
            ]);
        }
        shapes.push((left + 210, 640, 56, 56, teal));
    }
    drawing_png(1200, 800, [226, 232, 240], &shapes)
}

/// A two-page PDF draft of the brand guidelines: headings, text and colour swatches.
fn guidelines_pdf() -> Vec<u8> {
    let text = |x: u32, y: u32, size: u32, words: &str| format!("BT /F1 {size} Tf {x} {y} Td ({words}) Tj ET\n");
    let swatch = |x: u32, (r, g, b): (f32, f32, f32)| format!("{r} {g} {b} rg {x} 520 90 90 re f 0 g\n");
    let first = [
        text(72, 760, 26, "Brand guidelines"),
        text(72, 730, 12, "Draft for Acme and Globex - prepared by Portico Studio"),
        text(72, 680, 16, "1. Colour palette"),
        swatch(72, (0.09, 0.14, 0.28)),
        swatch(182, (0.18, 0.36, 0.92)),
        swatch(292, (0.95, 0.79, 0.30)),
        swatch(402, (0.93, 0.94, 0.96)),
        text(72, 495, 10, "Navy #172447     Blue #2F5BEA     Gold #F2C94C     Mist #EEF1F6"),
        text(72, 440, 16, "2. Typography"),
        text(72, 410, 12, "Headings and body text: Inter. Sizes follow a 1.25 scale."),
        text(72, 390, 12, "Globex asked for a serif for headings; options follow on page 2."),
    ]
    .concat();
    let second = [
        text(72, 760, 16, "3. Tone of voice"),
        text(72, 730, 12, "Plain words, short sentences, and the reader's point of view."),
        text(72, 710, 12, "Say what happens next; never blame the reader."),
        text(72, 660, 16, "4. Logo use"),
        text(72, 630, 12, "Keep clear space of one ring width around the mark."),
    ]
    .concat();
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 6 0 R >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 7 0 R >>".to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{first}endstream", first.len()),
        format!("<< /Length {} >>\nstream\n{second}endstream", second.len()),
    ];
    let mut pdf = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (n, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.push_str(&format!("{} 0 obj\n{object}\nendobj\n", n + 1));
    }
    let xref = pdf.len();
    pdf.push_str(&format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1));
    for offset in offsets {
        pdf.push_str(&format!("{offset:010} 00000 n \n"));
    }
    pdf.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    pdf.into_bytes()
}
