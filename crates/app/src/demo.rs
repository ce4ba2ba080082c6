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
use domain::ids::{ClientOrgId, ColumnId, ProjectId, UserId};
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

const DEMO_NAMES: &[&str] = &["Ada Admin", "Sam Staff", "Carla Client", "Oscar Other", "Fiona Finance"];

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
    /// each client on the shared project), milestones and tasks awaiting review.
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
        let today = self.today();
        let day = |offset: i64| (today + chrono::Duration::days(offset)).format("%Y-%m-%d").to_string();

        let project = |name: &'static str, description: &'static str, status: &'static str, deadline: String, orgs: Vec<ClientOrgId>| {
            let members = Members {
                staff: vec![staff.id],
                client_orgs: orgs,
            };
            let start = day(-20);
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
        let website = project(
            "Acme website redesign",
            "A new **marketing site** for Acme: fresh layout, faster pages, and a blog.\n\nWe share designs here for your review.",
            "active",
            day(30),
            vec![acme],
        )
        .await?;
        let brand = project(
            "Brand guidelines",
            "One set of brand guidelines for the joint venture: colours, type and tone of voice.",
            "active",
            day(12),
            vec![acme, globex],
        )
        .await?;
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
        for (project, name, column, shared, priority, due, review) in tasks {
            let columns = {
                let mut handle = self.db.read().await?;
                store::projects::columns(&mut handle.conn(), *project).await?
            };
            let due = due.map(day).unwrap_or_default();
            let details = TaskDetails::parse(&TaskInput {
                name,
                description: "",
                priority,
                start_date: "",
                due_date: &due,
            })?;
            let settings = TaskSettings {
                column: columns.get(*column).map(|c| ColumnId(c.id)),
                assignees: vec![staff.id],
                client_visible: *shared,
                review_enabled: *review,
                ..Default::default()
            };
            ids.push(self.create_task(&sam, *project, &details, &settings).await?);
        }
        let (logo, homepage, palette, typography) = (ids[4], ids[2], ids[6], ids[7]);
        // The review's deliverable, attached to the shared task (so shared with Acme).
        let permit = self.permit_upload(&sam, website, crate::files::Destination::Task(logo)).await?;
        for (name, background, ink) in [
            ("Logo – light.png", [250, 248, 244], [31, 58, 147]),
            ("Logo – dark.png", [24, 28, 38], [242, 201, 76]),
        ] {
            let body = futures::stream::iter([Ok::<_, std::convert::Infallible>(bytes::Bytes::from(logo_png(background, ink)))]);
            self.upload(&sam, &permit, name, body).await?;
        }
        self.submit_for_review(
            &sam,
            website,
            logo,
            None,
            "Two logo options, light and dark. Which one do you prefer?",
            None,
        )
        .await?;
        self.submit_for_review(&sam, website, homepage, None, "First layout of the homepage.", None)
            .await?;
        self.decide_review(
            &carla.viewer(),
            website,
            homepage,
            "request_revisions",
            "Please make the header image larger.",
        )
        .await?;
        self.submit_for_review(
            &sam,
            brand,
            palette,
            Some(acme),
            "The palette, with contrast ratios for text.",
            None,
        )
        .await?;

        self.add_comment(&sam, website, logo, "The dark version works best on the new header.", false)
            .await?;
        self.add_comment(
            &sam,
            website,
            logo,
            "Internal: the client prefers blue; keep the budget in mind.",
            true,
        )
        .await?;
        self.add_comment(&carla.viewer(), website, logo, "Thanks! We will look at both today.", false)
            .await?;
        self.add_comment(&sam, brand, typography, "We suggest Inter for body text.", false)
            .await?;
        self.add_comment(&carla.viewer(), brand, typography, "Acme is happy with Inter.", false)
            .await?;
        self.add_comment(&oscar.viewer(), brand, typography, "Globex would like a serif for headings.", false)
            .await?;
        self.add_comment(&sam, brand, typography, "@staff check the licence cost before we agree.", true)
            .await?;

        for (project, name, offset, shared) in [
            (website, "Design approved", 10, true),
            (website, "Launch", 30, true),
            (website, "Internal retrospective", 35, false),
            (brand, "Guidelines published", 12, true),
        ] {
            let details = MilestoneDetails::parse(name, "", &day(offset), shared)?;
            self.create_milestone(&sam, project, &details).await?;
        }
        self.seed_demo_files(&sam, &carla.viewer(), &oscar.viewer(), [website, brand, mobile])
            .await?;
        self.seed_demo_invoices(&admin, &carla.viewer(), (acme, website), (globex, mobile))
            .await
    }

    /// Invoices in every status for both clients, with payments, a refund and a credit note;
    /// the workspace's business details and two tax rates.
    async fn seed_demo_invoices(
        &self,
        admin: &Viewer,
        carla: &Viewer,
        (acme, website): (ClientOrgId, ProjectId),
        (globex, mobile): (ClientOrgId, ProjectId),
    ) -> Result<()> {
        use crate::invoices::{InvoiceInput, InvoiceSettings, LineInput, Notify, PaymentInput};
        use domain::invoices::TaxRate;
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
        let today = self.today();
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
        let pay = |amount: &str, method: &str, reference: &str, days_ago: u64| PaymentInput {
            amount: amount.into(),
            method: method.into(),
            reference: reference.into(),
            received_on: Some(today - chrono::Days::new(days_ago)),
            ..Default::default()
        };
        // Acme, in euros: paid, partly paid and overdue, viewed, sent, credited, void, draft.
        let discovery = vec![line("Discovery workshop", "1", "1800"), line("Site map and wireframes", "12", "95")];
        let paid = self
            .create_invoice(admin, &invoice(acme, Some(website), "EUR", 60, discovery.clone()))
            .await?;
        self.send(admin, paid, Notify::Nobody).await?;
        self.record_manual(
            admin,
            paid,
            &pay("3528", "bank_transfer", "SEPA 2026-0412", 48),
            false,
            Notify::Nobody,
        )
        .await?;
        let late = vec![
            line("Visual design, round 1", "24", "95"),
            line("Stock photography licence", "1", "240"),
        ];
        let overdue = self.create_invoice(admin, &invoice(acme, Some(website), "EUR", 35, late)).await?;
        self.send(admin, overdue, Notify::Nobody).await?;
        self.record_manual(
            admin,
            overdue,
            &pay("1000", "bank_transfer", "SEPA 2026-0502", 12),
            false,
            Notify::Nobody,
        )
        .await?;
        let build = vec![line("Front-end build", "40", "95"), line("Content migration", "16", "80")];
        let viewed = self.create_invoice(admin, &invoice(acme, Some(website), "EUR", 5, build)).await?;
        self.send(admin, viewed, Notify::Nobody).await?;
        self.open_invoice(carla, viewed).await?;
        let hosting = vec![line("Hosting, 12 months", "12", "29.50")];
        let sent = self.create_invoice(admin, &invoice(acme, None, "EUR", 1, hosting.clone())).await?;
        self.send(admin, sent, Notify::Nobody).await?;
        let credited = self
            .create_invoice(admin, &invoice(acme, Some(website), "EUR", 30, hosting.clone()))
            .await?;
        self.send(admin, credited, Notify::Nobody).await?;
        self.credit(
            admin,
            credited,
            &[line("Hosting, 2 months not used", "2", "29.50")],
            "Launch moved by two months",
            Notify::Nobody,
        )
        .await?;
        let mistaken = self.create_invoice(admin, &invoice(acme, None, "EUR", 15, hosting)).await?;
        self.send(admin, mistaken, Notify::Nobody).await?;
        self.void_invoice(admin, mistaken, "Sent twice by mistake").await?;
        self.create_invoice(
            admin,
            &invoice(acme, Some(website), "EUR", 0, vec![line("Launch support", "8", "95")]),
        )
        .await?;
        // Globex, in US dollars: paid with a refund, sent.
        let app_design = vec![line("App design sprint", "1", "6400"), line("Prototype testing", "6", "120")];
        let refunded = self
            .create_invoice(admin, &invoice(globex, Some(mobile), "USD", 45, app_design))
            .await?;
        self.send(admin, refunded, Notify::Nobody).await?;
        self.record_manual(
            admin,
            refunded,
            &pay("8544", "bank_transfer", "ACH 88213", 30),
            false,
            Notify::Nobody,
        )
        .await?;
        self.record_refund(admin, refunded, &pay("144", "bank_transfer", "ACH 88990", 20))
            .await?;
        let sprint = vec![line("Development sprint 1", "80", "110")];
        let globex_sent = self.create_invoice(admin, &invoice(globex, Some(mobile), "USD", 3, sprint)).await?;
        self.send(admin, globex_sent, Notify::Nobody).await?;
        self.mark_overdue_invoices().await?;
        Ok(())
    }

    /// A folder and a few files per project, some shared; on the shared project one upload by
    /// each client organisation (seen by staff and that organisation only).
    async fn seed_demo_files(&self, sam: &Viewer, carla: &Viewer, oscar: &Viewer, projects: [ProjectId; 3]) -> Result<()> {
        use crate::files::Destination;
        let [website, brand, mobile] = projects;
        let designs = self.create_folder(sam, website, None, "Designs").await?;
        // Who uploads, where, the name, the bytes, and whether staff share it.
        let files: [DemoFile; 9] = [
            (sam, website, Destination::Folder(designs), "Homepage mockup.png", DEMO_PNG, true),
            (sam, website, Destination::Top, "Sitemap.txt", b"Home\nAbout\nBlog\nContact\n", true),
            (
                sam,
                website,
                Destination::Top,
                "Budget notes.txt",
                b"Internal: hours left 42.\n",
                false,
            ),
            (sam, brand, Destination::Top, "Brand guidelines draft.pdf", DEMO_PDF, true),
            (
                sam,
                brand,
                Destination::Top,
                "Licence costs.txt",
                b"Internal: font licences 1,200 EUR.\n",
                false,
            ),
            (
                carla,
                brand,
                Destination::Top,
                "Acme logo files.txt",
                b"Logo sources from Acme.\n",
                false,
            ),
            (oscar, brand, Destination::Top, "Globex fonts.txt", b"Fonts Globex uses.\n", false),
            (sam, mobile, Destination::Top, "App store screenshots.png", DEMO_PNG, true),
            (sam, mobile, Destination::Top, "Release plan.txt", b"Beta in two weeks.\n", false),
        ];
        for (who, project, destination, name, bytes, shared) in files {
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

type DemoFile<'a> = (&'a Viewer, ProjectId, crate::files::Destination, &'a str, &'a [u8], bool);

/// A 1×1 PNG, for demo images.
const DEMO_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63,
    0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

/// A one-page PDF, for demo documents.
const DEMO_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj \
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
