//! Invoices as use cases: drafts, sending with gapless numbers, the status machine, payments,
//! refunds, credit notes, voiding, the overdue job and who sees what. On SQLite and
//! PostgreSQL.

use crate::support::*;
use app::invoices::{InvoiceInput, LineInput, PaymentInput};
use domain::Error;
use domain::access::Viewer;
use domain::ids::InvoiceId;
use domain::invoices::{InvoiceStatus, TaxRate};
use domain::users::PageRequest;
use mail_parser::MimeHeaders;
use store::invoices::InvoiceFilter;
use store::on_both_databases;

on_both_databases!(
    drafts_are_sent_with_a_number_and_never_edited_after,
    concurrent_sends_get_distinct_gapless_numbers,
    payments_racing_for_the_last_cent_do_not_both_pass,
    credit_notes_and_voiding_follow_the_status_machine,
    clients_see_their_own_sent_invoices_only,
    the_overdue_job_marks_invoices_past_due,
    bad_invoices_are_refused_with_clear_errors,
    the_portal_shows_a_clients_invoices_and_their_totals,
    reports_add_up_per_currency_and_age,
    invoice_emails_reach_the_clients_contacts_once,
    the_pdf_is_downloaded_by_its_client_and_finance_staff_only,
    the_api_writes_sends_and_pays_invoices,
    a_clients_invoices_are_newest_first_by_issue_date_and_sortable,
    the_invoice_forms_running_total_is_what_saving_gives,
    a_stored_amount_that_does_not_read_is_an_error_never_zero,
);

on_both_databases!(
    only_with(
        portico_pdf_text_suite,
        "PDF text suite off: set PORTICO_TEST_PDF_TEXT=1 (needs poppler-utils) to run it",
        "PDF text suite off: set PORTICO_TEST_PDF_TEXT=1 and PORTICO_TEST_POSTGRES_URL to run it"
    ):
    the_pdf_prints_the_figures_of_the_invoice_page,
);

async fn viewer(t: &TestApp, email: &str) -> Viewer {
    t.app.user(t.user_id(email).await).await.unwrap().viewer()
}

fn line(description: &str, quantity: &str, unit_price: &str, taxes: Vec<usize>) -> LineInput {
    LineInput {
        description: description.into(),
        quantity: quantity.into(),
        unit_price: unit_price.into(),
        discount_percent: String::new(),
        taxes,
    }
}

/// A draft for Acme in euros: 2 × 500.00 + 1.5 × 80.00, 20 % VAT: 1,344.00.
pub(crate) async fn acme_draft(t: &TestApp) -> InvoiceInput {
    InvoiceInput {
        client_org: Some(t.org_of(CLIENT).await),
        currency: "EUR".into(),
        terms_days: Some(14),
        lines: vec![line("Design", "2", "500", vec![0]), line("Hosting", "1.5", "80", vec![0])],
        tax_rates: vec![TaxRate::parse("VAT", "20", false, false).unwrap()],
        notes: "Thank you for your business.".into(),
        ..Default::default()
    }
}

fn payment(amount: &str) -> PaymentInput {
    PaymentInput {
        amount: amount.into(),
        method: "bank_transfer".into(),
        reference: "SEPA 123".into(),
        ..Default::default()
    }
}

/// The sequence of a number such as `INV-2026-0042` (42).
fn sequence(number: &str) -> i64 {
    number.rsplit('-').next().unwrap().parse().unwrap()
}

async fn status(t: &TestApp, id: InvoiceId) -> InvoiceStatus {
    let demo = t.demo().await;
    t.app.invoice(&demo.admin, id).await.unwrap().status
}

async fn drafts_are_sent_with_a_number_and_never_edited_after(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.demo().await.admin;
    let mut input = acme_draft(&t).await;
    let id = t.app.create_invoice(&admin, &input).await.unwrap();
    let details = t.app.invoice(&admin, id).await.unwrap();
    assert_eq!(details.status, InvoiceStatus::Draft);
    assert_eq!(details.invoice.number, None, "a draft has no number");
    assert_eq!(details.invoice.total_minor, 134_400);
    assert_eq!(
        details.totals.total, details.invoice.total_minor,
        "the stored total is the computed one"
    );

    // A draft is edited in place.
    input.lines.push(line("Support", "1", "56", vec![]));
    t.app.update_invoice(&admin, id, &input).await.unwrap();
    assert_eq!(t.app.invoice(&admin, id).await.unwrap().invoice.total_minor, 140_000);

    // The demo workspace has sent invoices this year already: this one takes the next number.
    let year = t.app.today().format("%Y").to_string();
    let number = t.app.send_invoice(&admin, id).await.unwrap();
    assert!(number.starts_with(&format!("INV-{year}-")), "{number}");
    let first = sequence(&number);
    let sent = t.app.invoice(&admin, id).await.unwrap();
    assert_eq!(sent.status, InvoiceStatus::Sent);
    assert_eq!(sent.invoice.issue_date, Some(t.app.today()));
    assert_eq!(sent.invoice.due_date, Some(t.app.today() + chrono::Days::new(14)), "net 14");

    // Sent: not edited, deleted or sent again; the next invoice takes the next number.
    match t.app.update_invoice(&admin, id, &input).await {
        Err(Error::Conflict { message, .. }) => assert!(message.contains("credit note"), "{message}"),
        other => panic!("editing a sent invoice: {other:?}"),
    }
    assert!(t.app.delete_invoice(&admin, id).await.is_err());
    assert!(t.app.send_invoice(&admin, id).await.is_err());
    let next = t.app.create_invoice(&admin, &input).await.unwrap();
    assert_eq!(
        t.app.send_invoice(&admin, next).await.unwrap(),
        format!("INV-{year}-{:04}", first + 1)
    );

    // A deleted draft never had a number, so none is lost.
    let scrap = t.app.create_invoice(&admin, &input).await.unwrap();
    t.app.delete_invoice(&admin, scrap).await.unwrap();
    let third = t.app.create_invoice(&admin, &input).await.unwrap();
    assert_eq!(
        t.app.send_invoice(&admin, third).await.unwrap(),
        format!("INV-{year}-{:04}", first + 2)
    );
}

async fn concurrent_sends_get_distinct_gapless_numbers(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.demo().await.admin;
    let input = acme_draft(&t).await;
    let mut drafts = Vec::new();
    for _ in 0..12 {
        drafts.push(t.app.create_invoice(&admin, &input).await.unwrap());
    }
    let sends = drafts.iter().map(|id| {
        let app = t.app.clone();
        let id = *id;
        tokio::spawn(async move { app.send_invoice(&admin, id).await })
    });
    let numbers: Vec<String> = futures::future::join_all(sends)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();
    let mut sequences: Vec<i64> = numbers.iter().map(|n| sequence(n)).collect();
    sequences.sort();
    let from = sequences[0];
    assert_eq!(
        sequences,
        (from..from + 12).collect::<Vec<_>>(),
        "distinct and gapless: {numbers:?}"
    );
}

async fn payments_racing_for_the_last_cent_do_not_both_pass(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.demo().await.admin;
    let id = t.app.create_invoice(&admin, &acme_draft(&t).await).await.unwrap();
    // A draft cannot be paid.
    assert!(t.app.record_payment(&admin, id, &payment("10")).await.is_err());
    t.app.send_invoice(&admin, id).await.unwrap();

    // 1,344.00 owed; two payments of 700.00 at once: one passes.
    let race = (0..2).map(|_| {
        let app = t.app.clone();
        tokio::spawn(async move { app.record_payment(&admin, id, &payment("700")).await })
    });
    let outcomes: Vec<_> = futures::future::join_all(race).await.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(outcomes.iter().filter(|r| r.is_ok()).count(), 1, "{outcomes:?}");
    let refused = outcomes.into_iter().find_map(|r| r.err()).unwrap();
    assert!(refused.to_string().contains("more than the EUR 644.00 still owed"), "{refused}");
    assert_eq!(status(&t, id).await, InvoiceStatus::PartiallyPaid);

    // Too many decimals, zero and unknown methods are refused; the rest settles it.
    assert!(t.app.record_payment(&admin, id, &payment("0.001")).await.is_err());
    assert!(t.app.record_payment(&admin, id, &payment("0")).await.is_err());
    let bad_method = PaymentInput {
        method: "bitcoin".into(),
        ..payment("1")
    };
    assert!(t.app.record_payment(&admin, id, &bad_method).await.is_err());
    t.app.record_payment(&admin, id, &payment("644")).await.unwrap();
    assert_eq!(status(&t, id).await, InvoiceStatus::Paid);
    match t.app.record_payment(&admin, id, &payment("1")).await {
        Err(Error::Conflict { message, .. }) => assert!(message.contains("already paid")),
        other => panic!("paying a paid invoice: {other:?}"),
    }

    // A refund reopens it; no refund beyond what was paid.
    t.app.record_refund(&admin, id, &payment("100")).await.unwrap();
    let details = t.app.invoice(&admin, id).await.unwrap();
    assert_eq!(details.status, InvoiceStatus::PartiallyPaid);
    assert_eq!(details.invoice.paid_minor, 124_400);
    assert_eq!(
        details.payments.iter().map(|p| p.amount_minor).collect::<Vec<_>>(),
        vec![70_000, 64_400, -10_000]
    );
    assert!(t.app.record_refund(&admin, id, &payment("1244.01")).await.is_err());
}

async fn credit_notes_and_voiding_follow_the_status_machine(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.demo().await.admin;
    let input = acme_draft(&t).await;
    let id = t.app.create_invoice(&admin, &input).await.unwrap();
    t.app.send_invoice(&admin, id).await.unwrap();

    // Credit one hosting unit (80.00 + VAT = 96.00).
    let credit = t
        .app
        .credit_invoice(&admin, id, &[line("Hosting not used", "1", "80", vec![0])], "One month not used")
        .await
        .unwrap();
    let note = t.app.invoice(&admin, credit).await.unwrap();
    let year = t.app.today().format("%Y").to_string();
    let number = note.invoice.number.clone().unwrap();
    assert!(
        number.starts_with(&format!("CN-{year}-")),
        "credit notes have their own series: {number}"
    );
    assert_eq!(note.invoice.total_minor, 9600);
    assert_eq!(note.invoice.credits_invoice_id, Some(id));
    let details = t.app.invoice(&admin, id).await.unwrap();
    assert_eq!(details.invoice.credited_minor, 9600);
    assert_eq!(details.invoice.balance(), 134_400 - 9600);
    assert_eq!(details.credit_notes.len(), 1);
    // No credit beyond the invoice, and a reason is required.
    let too_much = t
        .app
        .credit_invoice(&admin, id, &[line("All", "1", "1200", vec![0])], "Everything")
        .await;
    assert!(too_much.unwrap_err().to_string().contains("not yet credited"));
    assert!(t.app.credit_invoice(&admin, id, &[line("x", "1", "1", vec![])], " ").await.is_err());

    // Paying the rest settles it even though the credit paid part of it.
    t.app.record_payment(&admin, id, &payment("1248")).await.unwrap();
    assert_eq!(status(&t, id).await, InvoiceStatus::Paid);
    // A paid invoice is not voided until refunded.
    assert!(
        t.app
            .void_invoice(&admin, id, "Sent by mistake")
            .await
            .unwrap_err()
            .to_string()
            .contains("Refund")
    );

    // An unpaid one is, with a reason, and then takes no payment.
    let other = t.app.create_invoice(&admin, &input).await.unwrap();
    assert!(
        t.app
            .void_invoice(&admin, other, "x")
            .await
            .unwrap_err()
            .to_string()
            .contains("Delete a draft")
    );
    t.app.send_invoice(&admin, other).await.unwrap();
    assert!(t.app.void_invoice(&admin, other, "").await.is_err(), "a reason is required");
    t.app.void_invoice(&admin, other, "Sent to the wrong client").await.unwrap();
    assert_eq!(status(&t, other).await, InvoiceStatus::Void);
    assert!(t.app.record_payment(&admin, other, &payment("1")).await.is_err());
}

async fn clients_see_their_own_sent_invoices_only(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.demo().await.admin;
    let carla = viewer(&t, CLIENT).await;
    let finance = viewer(&t, FINANCE).await;
    let oscar = viewer(&t, OTHER_CLIENT).await;
    let sam = viewer(&t, STAFF).await;
    let input = acme_draft(&t).await;
    let draft = t.app.create_invoice(&admin, &input).await.unwrap();
    let sent = t.app.create_invoice(&admin, &input).await.unwrap();
    t.app.send_invoice(&admin, sent).await.unwrap();
    let page = PageRequest::new(Some(1), Some(50));
    let listed = |viewer: Viewer| {
        let app = t.app.clone();
        async move {
            app.invoices(&viewer, &InvoiceFilter::default(), page)
                .await
                .map(|p| p.items.iter().map(|i| i.id).collect::<Vec<_>>())
        }
    };

    // Acme's finance contact sees the sent one, not the draft; Globex sees neither (each
    // also has the demo workspace's invoices: only their own, only sent ones).
    let acme = t.org_of(CLIENT).await;
    let globex = t.org_of(OTHER_CLIENT).await;
    let seen = listed(finance).await.unwrap();
    assert!(seen.contains(&sent) && !seen.contains(&draft));
    for id in &seen {
        let invoice = t.app.invoice(&admin, *id).await.unwrap().invoice;
        assert_eq!(invoice.client_org_id, acme);
        assert!(invoice.sent_at.is_some());
    }
    assert!(matches!(t.app.invoice(&finance, draft).await, Err(Error::NotFound)));
    let seen = listed(oscar).await.unwrap();
    assert!(!seen.is_empty() && !seen.contains(&sent));
    for id in &seen {
        assert_eq!(t.app.invoice(&admin, *id).await.unwrap().invoice.client_org_id, globex);
    }
    assert!(matches!(t.app.invoice(&oscar, sent).await, Err(Error::NotFound)));
    // Staff without the finance permission see no invoices at all, and change none.
    assert!(matches!(listed(sam).await, Err(Error::Forbidden)));
    assert!(matches!(t.app.invoice(&sam, sent).await, Err(Error::NotFound)));
    assert!(matches!(t.app.create_invoice(&sam, &input).await, Err(Error::Forbidden)));
    let sam_finance = match sam {
        Viewer::Staff { id, .. } => Viewer::Staff { id, finance: true },
        other => other,
    };
    let seen = listed(sam_finance).await.unwrap();
    assert!(seen.contains(&draft) && seen.contains(&sent), "finance staff see drafts too");
    // Clients change nothing.
    assert!(matches!(
        t.app.record_payment(&finance, sent, &payment("1")).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(t.app.void_invoice(&finance, sent, "no").await, Err(Error::Forbidden)));

    // Carla has the invoice permission too; her first open marks it viewed, once.
    assert_eq!(status(&t, sent).await, InvoiceStatus::Sent);
    // Reading it (as an admin previewing her portal does) is not opening it.
    assert_eq!(t.app.invoice(&carla, sent).await.unwrap().status, InvoiceStatus::Sent);
    let opened = t.app.open_invoice(&carla, sent).await.unwrap();
    assert_eq!(opened.status, InvoiceStatus::Viewed);
    let first_view = opened.invoice.viewed_at;
    assert_eq!(t.app.open_invoice(&carla, sent).await.unwrap().invoice.viewed_at, first_view);
    // Staff opening it does not count as the client's view.
    let other = t.app.create_invoice(&admin, &input).await.unwrap();
    t.app.send_invoice(&admin, other).await.unwrap();
    t.app.open_invoice(&admin, other).await.unwrap();
    assert_eq!(status(&t, other).await, InvoiceStatus::Sent);
}

async fn the_overdue_job_marks_invoices_past_due(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.demo().await.admin;
    let today = t.app.today();
    let mut input = acme_draft(&t).await;
    input.issue_date = Some(today - chrono::Days::new(30));
    input.terms_days = Some(14);
    let late = t.app.create_invoice(&admin, &input).await.unwrap();
    t.app.send_invoice(&admin, late).await.unwrap();
    input.issue_date = Some(today);
    let current = t.app.create_invoice(&admin, &input).await.unwrap();
    t.app.send_invoice(&admin, current).await.unwrap();
    t.app.record_payment(&admin, late, &payment("100")).await.unwrap();

    // The server's hourly housekeeping may run its first pass at any moment of this test, so
    // the job is judged by its effect and its trail, not by which pass did the work.
    t.app.mark_overdue_invoices().await.unwrap();
    assert_eq!(status(&t, late).await, InvoiceStatus::Overdue, "overdue even when partly paid");
    assert_eq!(status(&t, current).await, InvoiceStatus::Sent);
    assert_eq!(t.app.mark_overdue_invoices().await.unwrap(), 0, "nothing left to mark");
    let marked = {
        let mut handle = t.app.db.read().await.unwrap();
        store::audit::for_subject(&mut handle.conn(), late.0, 50).await.unwrap()
    };
    assert_eq!(marked.iter().filter(|a| a.action == "invoice.overdue").count(), 1, "marked once");
    // Paid in full, it is paid, not overdue.
    t.app.record_payment(&admin, late, &payment("1244")).await.unwrap();
    assert_eq!(status(&t, late).await, InvoiceStatus::Paid);
}

async fn bad_invoices_are_refused_with_clear_errors(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let admin = demo.admin;
    let good = acme_draft(&t).await;
    let refused = |input: InvoiceInput| {
        let app = t.app.clone();
        async move {
            match app.create_invoice(&admin, &input).await {
                Err(Error::Invalid { field, message }) => format!("{field}: {message}"),
                other => panic!("accepted: {other:?}"),
            }
        }
    };
    let with_line = |l: LineInput| InvoiceInput {
        lines: vec![l],
        ..good.clone()
    };
    assert!(
        refused(InvoiceInput {
            currency: "EUX".into(),
            ..good.clone()
        })
        .await
        .contains("EUX is not a currency code")
    );
    assert!(refused(with_line(line("x", "-1", "10", vec![]))).await.contains("more than zero"));
    assert!(
        refused(with_line(line("x", "1000000000000000", "10", vec![])))
            .await
            .starts_with("quantity")
    );
    assert!(
        refused(with_line(line("x", "1", "1000000000000000", vec![])))
            .await
            .starts_with("unit_price")
    );
    assert!(
        refused(with_line(line("x", "1", "10.001", vec![])))
            .await
            .contains("at most 2 decimals")
    );
    assert!(
        refused(InvoiceInput {
            currency: "JPY".into(),
            ..with_line(line("x", "1", "10.5", vec![]))
        })
        .await
        .contains("no decimals")
    );
    assert!(
        refused(with_line(line("x", "1", "10", vec![7])))
            .await
            .contains("tax rate the invoice does not have")
    );
    assert!(
        refused(InvoiceInput {
            client_org: None,
            ..good.clone()
        })
        .await
        .starts_with("client_org")
    );
    // A project of another client.
    assert!(
        refused(InvoiceInput {
            project: Some(demo.globex),
            ..good.clone()
        })
        .await
        .contains("not a client of that project")
    );
    assert!(
        refused(InvoiceInput {
            discount_kind: "fixed".into(),
            discount_value: "99999".into(),
            ..good.clone()
        })
        .await
        .contains("larger than the subtotal")
    );
    // An empty invoice is kept as a draft but not sent.
    let empty = t
        .app
        .create_invoice(
            &admin,
            &InvoiceInput {
                lines: vec![],
                ..good.clone()
            },
        )
        .await
        .unwrap();
    match t.app.send_invoice(&admin, empty).await {
        Err(Error::Invalid { message, .. }) => assert!(message.contains("at least one line")),
        other => panic!("sent an empty invoice: {other:?}"),
    }
    // The currency defaults to the client's.
    let default_currency = t
        .app
        .create_invoice(
            &admin,
            &InvoiceInput {
                currency: String::new(),
                ..good
            },
        )
        .await
        .unwrap();
    let client = t.org_of(CLIENT).await;
    let expected = {
        let mut handle = t.app.db.read().await.unwrap();
        store::clients::get(&mut handle.conn(), client).await.unwrap().currency
    };
    assert_eq!(
        t.app.invoice(&admin, default_currency).await.unwrap().invoice.currency.code(),
        expected
    );
}

async fn the_portal_shows_a_clients_invoices_and_their_totals(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let admin = demo.admin;
    let mut input = acme_draft(&t).await;
    input.project = Some(demo.acme);
    let id = t.app.create_invoice(&admin, &input).await.unwrap();
    let number = t.app.send_invoice(&admin, id).await.unwrap();
    let fiona = t.login(FINANCE, DEMO_PASSWORD).await;
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let oscar = t.login(OTHER_CLIENT, DEMO_PASSWORD).await;

    // The dashboard's block sums Acme's open invoices per currency; Globex's is its own.
    let dashboard = fiona.get("/portal").await.body;
    assert!(dashboard.contains("All invoices"), "{dashboard}");
    let acme_open = t.app.invoice_overview(&viewer(&t, FINANCE).await).await.unwrap().unwrap();
    let eur = acme_open.totals.iter().find(|c| c.currency.code() == "EUR").unwrap();
    assert!(dashboard.contains(&domain::money::Currency::parse("EUR").unwrap().format(eur.open_minor)));
    let globex = oscar.get("/portal").await.body;
    assert!(!globex.contains(&number));
    let globex_open = t.app.invoice_overview(&viewer(&t, OTHER_CLIENT).await).await.unwrap().unwrap();
    assert!(
        globex_open.totals.iter().all(|c| c.currency.code() == "USD"),
        "Globex's invoices are in dollars only"
    );
    // A contact without the invoice permission has no block and no invoice pages.
    let nora = t
        .app
        .create_user(
            &app::users::Actor::Operator,
            &app::users::NewUserInput {
                email: "nora@example.com".into(),
                name: "Nora Noperm".into(),
                role: "client".into(),
                client_org_id: Some(t.org_of(CLIENT).await),
            },
            app::users::FirstPassword::Set(DEMO_PASSWORD.into()),
        )
        .await
        .unwrap();
    let view_only = domain::access::PortalPermissions::from_permissions([domain::access::Permission::ViewTasks]);
    t.app
        .set_contact_permissions(&app::users::Actor::Operator, t.org_of(CLIENT).await, nora.user.id, Some(view_only))
        .await
        .unwrap();
    let nora = t.login("nora@example.com", DEMO_PASSWORD).await;
    assert!(!nora.get("/portal").await.body.contains("All invoices"));
    assert_eq!(
        nora.get(&format!("/portal/invoices/{id}")).await.status,
        reqwest::StatusCode::NOT_FOUND
    );

    // The project's page lists its invoices for Carla.
    let project = carla.get(&format!("/portal/projects/{}", demo.acme)).await.body;
    assert!(project.contains("Invoices for this project") && project.contains(&number));

    // An admin's preview reads the invoice as Carla sees it without marking it viewed; her
    // own open does.
    let admin_client = t.login(ADMIN, DEMO_PASSWORD).await;
    let carla_id = t.user_id(CLIENT).await;
    let preview = admin_client.get(&format!("/admin/preview/{carla_id}/invoices/{id}")).await;
    assert_eq!(preview.status, reqwest::StatusCode::OK);
    assert!(preview.body.contains("Preview:") && preview.body.contains(&number));
    assert_eq!(status(&t, id).await, InvoiceStatus::Sent);
    let page = carla.get(&format!("/portal/invoices/{id}")).await;
    assert!(page.body.contains("Billed to"));
    assert_eq!(status(&t, id).await, InvoiceStatus::Viewed);
    // The list filters by status.
    let viewed = carla.get("/portal/invoices?status=viewed").await.body;
    assert!(viewed.contains(&number));
    assert!(!carla.get("/portal/invoices?status=paid").await.body.contains(&number));
}

async fn reports_add_up_per_currency_and_age(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.demo().await.admin;
    let today = t.app.today();
    // Francs, which no demo invoice uses: the CHF figures are this test's alone.
    let chf = |days_ago: u64, terms: i32, price: &str| InvoiceInput {
        client_org: None,
        currency: "CHF".into(),
        issue_date: Some(today - chrono::Days::new(days_ago)),
        terms_days: Some(terms),
        lines: vec![line("Work", "1", price, vec![])],
        tax_rates: vec![],
        ..Default::default()
    };
    let acme = t.org_of(CLIENT).await;
    let mut ids = Vec::new();
    for (days_ago, terms, price) in [(100, 0, "100"), (0, 30, "200"), (45, 0, "50")] {
        let input = InvoiceInput {
            client_org: Some(acme),
            ..chf(days_ago, terms, price)
        };
        let id = t.app.create_invoice(&admin, &input).await.unwrap();
        t.app.send_invoice(&admin, id).await.unwrap();
        ids.push(id);
    }
    t.app.record_payment(&admin, ids[0], &payment("30")).await.unwrap();
    t.app
        .credit_invoice(&admin, ids[1], &[line("Less work", "1", "20", vec![])], "Scope cut")
        .await
        .unwrap();

    let report = t.app.financial_report(&admin, PageRequest::new(Some(1), Some(100))).await.unwrap();
    let aging = report.receivables.iter().find(|a| a.currency.code() == "CHF").unwrap();
    assert_eq!(
        (
            aging.current_minor,
            aging.days_1_30_minor,
            aging.days_31_60_minor,
            aging.days_61_90_minor,
            aging.days_over_90_minor
        ),
        (18_000, 0, 5_000, 0, 7_000)
    );
    assert_eq!((aging.total_minor, aging.invoices), (30_000, 3));
    let month = |days_ago: u64| (today - chrono::Days::new(days_ago)).format("%Y-%m").to_string();
    let revenue = |m: String| {
        report
            .revenue
            .iter()
            .find(|r| r.currency.code() == "CHF" && r.month == m)
            .map(|r| (r.invoiced_minor, r.received_minor))
    };
    let this_month = month(0);
    let expected_now = if month(45) == this_month {
        (18_000 + 5_000, 3_000)
    } else {
        (18_000, 3_000)
    };
    assert_eq!(
        revenue(this_month.clone()),
        Some(expected_now),
        "invoiced less the credit note; received"
    );
    let clients = report.clients.items.iter().find(|c| c.currency.code() == "CHF").unwrap();
    assert_eq!(
        (
            clients.invoices,
            clients.invoiced_minor,
            clients.paid_minor,
            clients.outstanding_minor
        ),
        (3, 33_000, 3_000, 30_000)
    );

    let csv = t.app.report_csv(&admin, "receivables").await.unwrap();
    assert!(csv.contains("CHF,180.00,0.00,50.00,0.00,70.00,300.00,3\r\n"), "{csv}");
    let csv = t.app.report_csv(&admin, "payments").await.unwrap();
    assert!(csv.contains(",CHF,bank_transfer,SEPA 123,"), "{csv}");
    assert!(
        t.app
            .report_csv(&admin, "clients")
            .await
            .unwrap()
            .contains("Acme,CHF,3,330.00,30.00,300.00\r\n")
    );

    // Nobody else sees them: staff without the finance permission, and clients.
    for email in [STAFF, CLIENT, FINANCE] {
        let who = viewer(&t, email).await;
        assert!(
            matches!(
                t.app.financial_report(&who, PageRequest::new(None, None)).await,
                Err(Error::Forbidden)
            ),
            "{email}"
        );
        assert!(matches!(t.app.report_csv(&who, "payments").await, Err(Error::Forbidden)), "{email}");
    }
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    assert_eq!(staff.get("/reports").await.status, reqwest::StatusCode::FORBIDDEN);
    let admin_http = t.login(ADMIN, DEMO_PASSWORD).await;
    let page = admin_http.get("/reports").await;
    assert!(
        page.body.contains("CHF 300.00") && page.body.contains("<svg"),
        "the page shows the figures and the chart"
    );
    // One chart per currency, though the months interleave EUR, USD and CHF.
    for code in ["EUR", "USD", "CHF"] {
        assert_eq!(page.body.matches(&format!("Figures by month ({code})")).count(), 1, "{code}");
    }
}

async fn invoice_emails_reach_the_clients_contacts_once(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.demo().await.admin;
    let mut input = acme_draft(&t).await;
    input.terms_days = Some(0);
    let id = t.app.create_invoice(&admin, &input).await.unwrap();
    let number = t.app.send_invoice(&admin, id).await.unwrap();

    // Both Acme contacts who see invoices get it, in plain text and HTML, with the link.
    let subject = format!("Invoice {number} from Portico Studio Ltd");
    for contact in [CLIENT, FINANCE] {
        let mail = t.smtp.wait_for_subject(contact, &subject).await;
        assert_eq!(mail.len(), 1, "once to {contact}");
        let text = mail[0].text();
        assert!(
            text.contains("for EUR 1,344.00") && (text.contains("due on receipt") || text.contains("It is due on")),
            "{text}"
        );
        assert!(text.contains(&format!("/portal/invoices/{id}")), "{text}");
        assert!(mail[0].html().contains("View the invoice"));
        // The PDF goes with it (the invoicing settings' default), named by the number.
        let parsed = mail[0].parsed();
        let pdf = parsed.attachments().next().expect("the invoice PDF is attached");
        assert_eq!(pdf.attachment_name(), Some(format!("{number}.pdf").as_str()));
        assert!(pdf.contents().starts_with(b"%PDF-"));
    }
    assert!(
        t.smtp.messages_to(OTHER_CLIENT).iter().all(|m| !m.subject().contains(&number)),
        "never another client"
    );

    // A payment sends a receipt with what is still due (and no PDF).
    t.app.record_payment(&admin, id, &payment("344")).await.unwrap();
    let receipt = t
        .smtp
        .wait_for_subject(FINANCE, &format!("Payment received for invoice {number}"))
        .await;
    assert!(receipt[0].text().contains("EUR 1,000.00 is still due"), "{}", receipt[0].text());
    assert_eq!(receipt[0].parsed().attachments().count(), 0);

    // A credit note goes to the same contacts, with its PDF and what is still due.
    let note = t
        .app
        .credit_invoice(&admin, id, &[line("Hosting not used", "1", "80", vec![0])], "One month not used")
        .await
        .unwrap();
    let mut handle = t.app.db.read().await.unwrap();
    let note_number = store::invoices::get_any(&mut handle.conn(), note).await.unwrap().number.unwrap();
    drop(handle);
    for contact in [CLIENT, FINANCE] {
        let mail = t
            .smtp
            .wait_for_subject(contact, &format!("Credit note {note_number} for invoice {number}"))
            .await;
        assert_eq!(mail.len(), 1);
        let text = mail[0].text();
        assert!(text.contains("for EUR 96.00") && text.contains("EUR 904.00 is still due"), "{text}");
        assert!(text.contains(&format!("/portal/invoices/{note}")), "{text}");
        let parsed = mail[0].parsed();
        let pdf = parsed.attachments().next().expect("the credit note's PDF");
        assert_eq!(pdf.attachment_name(), Some(format!("{note_number}.pdf").as_str()));
    }

    // With the PDF turned off in the settings, the next invoice's email has none.
    let mut settings = t.app.invoice_settings().await.unwrap();
    settings.attach_pdf = false;
    t.app.save_invoice_settings(&admin, &settings).await.unwrap();
    let plain = t.app.create_invoice(&admin, &acme_draft(&t).await).await.unwrap();
    let plain_number = t.app.send_invoice(&admin, plain).await.unwrap();
    let mail = t.smtp.wait_for_subject(CLIENT, &format!("Invoice {plain_number} ")).await;
    assert_eq!(mail[0].parsed().attachments().count(), 0);

    // Due today: the reminder of the day goes out once, however often the job runs.
    t.app.send_invoice_reminders().await.unwrap();
    t.app.send_invoice_reminders().await.unwrap();
    let reminder = format!("Reminder: invoice {number} is due today");
    t.smtp.wait_for_subject(CLIENT, &reminder).await;
    t.outbox_drained().await;
    let reminders = t.smtp.messages_to(CLIENT).into_iter().filter(|m| m.subject() == reminder).count();
    assert_eq!(reminders, 1);
}

/// The text of a PDF, read back by poppler's `pdftotext` (the PDF text suite,
/// `PORTICO_TEST_PDF_TEXT=1`, which `.ci/run` sets after installing poppler-utils).
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempdir::TempDir::new();
    let file = dir.path().join("invoice.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("PORTICO_TEST_PDF_TEXT=1 needs pdftotext (poppler-utils)");
    // One space for every run of white space: a long name wraps.
    let text = String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(!text.is_empty(), "pdftotext read no text from the PDF");
    text
}

async fn the_pdf_prints_the_figures_of_the_invoice_page(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.demo().await.admin;
    let mut input = acme_draft(&t).await;
    input.notes = "Thanks #1 [really] *truly*".into();
    let id = t.app.create_invoice(&admin, &input).await.unwrap();
    let number = t.app.send_invoice(&admin, id).await.unwrap();
    t.app.record_payment(&admin, id, &payment("344")).await.unwrap();

    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let (code, _, body) = carla.get_bytes(&format!("/portal/invoices/{id}/pdf"), &[]).await;
    assert_eq!(code, reqwest::StatusCode::OK);
    let text = pdf_text(&body);
    for expected in [
        number.as_str(),
        "Portico Studio Ltd",
        "Acme",
        "Design",
        "EUR 1,344.00",
        "EUR 1,000.00",
        "Thanks #1 [really] *truly*",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from the PDF:\n{text}");
    }
    // Its dates read as on the page: the workspace's format here, the reader's browser's below.
    let today = t.app.today();
    assert!(text.contains(&today.format("%-d %b %Y").to_string()), "{text}");
    let german = t.login_speaking(CLIENT, DEMO_PASSWORD, "de-DE").await;
    let (_, _, body) = german.get_bytes(&format!("/portal/invoices/{id}/pdf"), &[]).await;
    assert!(pdf_text(&body).contains(&today.format("%d.%m.%Y").to_string()), "German dates");
    // The copy the invoice email carries prints the same invoice.
    let mail = t.smtp.wait_for_subject(CLIENT, &format!("Invoice {number} ")).await;
    let parsed = mail[0].parsed();
    let attached = pdf_text(parsed.attachments().next().expect("the invoice PDF is attached").contents());
    assert!(attached.contains(&number) && attached.contains("1,344.00"), "{attached}");
}

/// Only the invoice's client and finance staff download its PDF; downloading is not opening.
async fn the_pdf_is_downloaded_by_its_client_and_finance_staff_only(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.demo().await.admin;
    let id = t.app.create_invoice(&admin, &acme_draft(&t).await).await.unwrap();
    let number = t.app.send_invoice(&admin, id).await.unwrap();

    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let (code, headers, body) = carla.get_bytes(&format!("/portal/invoices/{id}/pdf"), &[]).await;
    assert_eq!(code, reqwest::StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(headers["content-disposition"].to_str().unwrap().contains(&format!("{number}.pdf")));
    assert!(body.starts_with(b"%PDF-") && body.trim_ascii_end().ends_with(b"%%EOF"));
    // Downloading is not opening it in the portal.
    assert!(t.app.invoice(&admin, id).await.unwrap().invoice.viewed_at.is_none());
    // Globex cannot have it; staff without the finance permission neither.
    let oscar = t.login(OTHER_CLIENT, DEMO_PASSWORD).await;
    assert_eq!(
        oscar.get_bytes(&format!("/portal/invoices/{id}/pdf"), &[]).await.0,
        reqwest::StatusCode::NOT_FOUND
    );
    let sam = t.login(STAFF, DEMO_PASSWORD).await;
    assert_eq!(
        sam.get_bytes(&format!("/invoices/{id}/pdf"), &[]).await.0,
        reqwest::StatusCode::FORBIDDEN
    );
    let (code, _, staff_copy) = t
        .login(ADMIN, DEMO_PASSWORD)
        .await
        .get_bytes(&format!("/invoices/{id}/pdf"), &[])
        .await;
    assert_eq!(code, reqwest::StatusCode::OK);
    assert!(staff_copy.starts_with(b"%PDF-"));
}

async fn the_api_writes_sends_and_pays_invoices(backend: Backend) {
    use reqwest::Method;
    let t = TestApp::spawn(backend).await;
    let admin = t.app.create_api_token(ADMIN, "invoices").await.unwrap();
    let carla = t.app.create_api_token(CLIENT, "invoices").await.unwrap();
    let http = t.client();
    let acme = t.org_of(CLIENT).await;
    let draft = serde_json::json!({
        "client_org_id": acme.0,
        "currency": "EUR",
        "terms_days": 30,
        "tax_rates": [{"name": "VAT", "percent": "20"}],
        "lines": [{"description": "Design", "quantity": "2", "unit_price": "500", "taxes": [0]}],
    });
    let created = http.api(Method::POST, "/api/v1/invoices", &admin, Some(draft.clone())).await;
    assert_eq!(created.status, reqwest::StatusCode::CREATED, "{}", created.body);
    let invoice = created.json();
    assert_eq!(
        (invoice["status"].as_str(), invoice["total"].as_str()),
        (Some("draft"), Some("1200.00"))
    );
    assert_eq!(invoice["tax_rates"][0]["amount"], "200.00");
    let id = invoice["id"].as_str().unwrap().to_owned();
    // The client does not see a draft; once sent, it does.
    assert_eq!(
        http.api(Method::GET, &format!("/api/v1/invoices/{id}"), &carla, None).await.status,
        reqwest::StatusCode::NOT_FOUND
    );
    let sent = http
        .api(Method::POST, &format!("/api/v1/invoices/{id}/send"), &admin, None)
        .await
        .json();
    assert!(sent["number"].as_str().unwrap().starts_with("INV-"));
    let seen = http.api(Method::GET, &format!("/api/v1/invoices/{id}"), &carla, None).await;
    assert_eq!(seen.status, reqwest::StatusCode::OK);
    // Bad input and a sent invoice's edit are refused with problem bodies.
    let bad = serde_json::json!({"amount": "1200.001", "method": "cash"});
    let refused = http
        .api(Method::POST, &format!("/api/v1/invoices/{id}/payments"), &admin, Some(bad))
        .await;
    assert_eq!(refused.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("at most 2 decimals"), "{}", refused.body);
    let edit = http.api(Method::PUT, &format!("/api/v1/invoices/{id}"), &admin, Some(draft)).await;
    assert_eq!(edit.status, reqwest::StatusCode::CONFLICT);
    let paid = http
        .api(
            Method::POST,
            &format!("/api/v1/invoices/{id}/payments"),
            &admin,
            Some(serde_json::json!({"amount": "1200", "method": "bank_transfer"})),
        )
        .await
        .json();
    assert_eq!((paid["status"].as_str(), paid["balance"].as_str()), (Some("paid"), Some("0.00")));
    // The client's list has it, as paid; the client cannot record payments.
    let listed = http.api(Method::GET, "/api/v1/invoices?status=paid", &carla, None).await.json();
    assert!(listed["items"].as_array().unwrap().iter().any(|i| i["id"] == id.as_str()));
    let forbidden = http
        .api(
            Method::POST,
            &format!("/api/v1/invoices/{id}/payments"),
            &carla,
            Some(serde_json::json!({"amount": "1", "method": "cash"})),
        )
        .await;
    assert_eq!(forbidden.status, reqwest::StatusCode::FORBIDDEN);
}

/// A client's invoices came in the order they were created, so one backdated last showed
/// first. Now they are newest first by issue date (the number breaking a tie), and sortable.
async fn a_clients_invoices_are_newest_first_by_issue_date_and_sortable(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.demo().await.admin;
    let today = t.app.today();
    let mut numbers = Vec::new();
    // Created in this order, issued 40, 5 and 20 days ago; the second is the largest.
    for (days_ago, quantity) in [(40, "1"), (5, "9"), (20, "2")] {
        let input = InvoiceInput {
            issue_date: Some(today - chrono::Days::new(days_ago)),
            lines: vec![line("Design", quantity, "100", vec![])],
            tax_rates: vec![],
            ..acme_draft(&t).await
        };
        let id = t.app.create_invoice(&admin, &input).await.unwrap();
        numbers.push(t.app.send_invoice(&admin, id).await.unwrap());
    }
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let order_on = |body: String| {
        let mut at: Vec<(usize, &String)> = numbers.iter().map(|n| (body.find(n.as_str()).expect("listed"), n)).collect();
        at.sort();
        at.into_iter().map(|(_, n)| n.clone()).collect::<Vec<_>>()
    };
    let newest = order_on(carla.get("/portal/invoices").await.body);
    assert_eq!(
        newest,
        [numbers[1].clone(), numbers[2].clone(), numbers[0].clone()],
        "by issue date"
    );
    let oldest = order_on(carla.get("/portal/invoices?sort=oldest").await.body);
    assert_eq!(oldest, [numbers[0].clone(), numbers[2].clone(), numbers[1].clone()]);
    let largest = order_on(carla.get("/portal/invoices?sort=largest").await.body);
    assert_eq!(largest[0], numbers[1], "the largest first");
    assert_eq!(
        carla.get("/portal/invoices?sort=sideways").await.status,
        reqwest::StatusCode::NOT_FOUND
    );
    // The API sorts the same way, and refuses an unknown order by name.
    let token = t.app.create_api_token(CLIENT, "sort").await.unwrap();
    let api = t.client().api(reqwest::Method::GET, "/api/v1/invoices", &token, None).await.json();
    let listed: Vec<&str> = api["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["number"].as_str())
        .collect();
    let ours: Vec<&str> = listed.into_iter().filter(|n| numbers.iter().any(|m| m == n)).collect();
    assert_eq!(ours, [numbers[1].as_str(), numbers[2].as_str(), numbers[0].as_str()]);
    let refused = t
        .client()
        .api(reqwest::Method::GET, "/api/v1/invoices?sort=sideways", &token, None)
        .await;
    assert_eq!(refused.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("sort"), "{}", refused.body);
}

/// The form asks the server for its total as the user types; the figures are those the saved
/// draft then has, and what stops the draft is said instead of a total.
async fn the_invoice_forms_running_total_is_what_saving_gives(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let acme = t.org_of(CLIENT).await.to_string();
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let vat = serde_json::to_string(&TaxRate::parse("VAT", "20", false, false).unwrap()).unwrap();
    let form = [
        ("client_org", acme.as_str()),
        ("line_description", "Design review"),
        ("line_quantity", "3"),
        ("line_unit_price", "120.50"),
        ("line_discount", ""),
        ("line_tax", vat.as_str()),
        ("line_tax2", ""),
        ("line_description", "Travel"),
        ("line_quantity", "1"),
        ("line_unit_price", "80"),
        ("line_discount", ""),
        ("line_tax", ""),
        ("line_tax2", ""),
    ];
    let totals = admin.post_form("/invoices/totals", &form).await;
    assert_eq!(totals.status, reqwest::StatusCode::OK, "{}", totals.body);
    let figures = totals.json();
    assert_eq!(figures["subtotal"], "EUR 441.50");
    assert_eq!(figures["tax"], "EUR 72.30");
    assert_eq!(figures["total"], "EUR 513.80");
    assert!(figures["discount"].is_null());
    // Saved, the draft says the same.
    let saved = admin.post_form("/invoices", &form).await;
    let draft = admin.follow(&saved).await.body;
    assert!(draft.contains("EUR 513.80"), "the saved draft's total");

    // Without a client there is no total yet, and the answer says why.
    let refused = admin.post_form("/invoices/totals", &form[1..]).await;
    assert_eq!(refused.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["field"], "client_org");
    assert!(refused.json()["error"].as_str().unwrap().contains("client"));
}

/// Money never silently becomes 0: a stored quantity, tax percentage or currency that does not
/// read fails the read with a message naming the row.
async fn a_stored_amount_that_does_not_read_is_an_error_never_zero(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.demo().await.admin;
    let id = t.app.create_invoice(&admin, &acme_draft(&t).await).await.unwrap();
    let corrupt = |sql: &'static str| {
        let app = t.app.clone();
        async move {
            let mut tx = app.db.begin().await.unwrap();
            store::on_conn!(&mut tx.conn(), c => {
                sqlx::query(sql).execute(&mut *c).await.unwrap();
            });
            tx.commit().await.unwrap();
        }
    };
    corrupt("UPDATE invoice_lines SET quantity = 'two and a half' WHERE position = 1").await;
    let internal = |refused: Error| match refused {
        Error::Internal(detail) => detail,
        other => panic!("an internal error, not {other:?}"),
    };
    let detail = internal(t.app.invoice(&admin, id).await.map(|_| ()).unwrap_err());
    assert!(
        detail.contains(&format!("invoice {id} line 1: stored quantity \"two and a half\"")),
        "{detail}"
    );
    let admin_page = t.login(ADMIN, DEMO_PASSWORD).await;
    assert_eq!(
        admin_page.get(&format!("/invoices/{id}")).await.status,
        reqwest::StatusCode::INTERNAL_SERVER_ERROR
    );

    corrupt("UPDATE tax_rates SET percent = 'twenty' WHERE name = 'VAT'").await;
    let detail = internal(t.app.tax_rates(&admin).await.map(|_| ()).unwrap_err());
    assert!(detail.contains("stored percent \"twenty\""), "{detail}");

    // A currency code the code does not know (no CHECK holds the column: the list of
    // currencies may change) makes the invoice unreadable, by name, never an amount without
    // its currency.
    let paid = store::invoices::InvoiceFilter {
        status: Some(domain::invoices::InvoiceStatus::Paid),
        ..Default::default()
    };
    let page = domain::users::PageRequest::new(Some(1), Some(100));
    let paid = t.app.invoices(&admin, &paid, page).await.unwrap().items[0].id;
    corrupt("UPDATE invoices SET currency = 'euro' WHERE status = 'paid'").await;
    let detail = internal(t.app.invoice(&admin, paid).await.map(|_| ()).unwrap_err());
    assert!(
        detail.contains(&format!("invoice {paid}: column \"currency\"")) && detail.contains("\"euro\" is not a currency code"),
        "{detail}"
    );
    let filter = store::invoices::InvoiceFilter::default();
    let refused = t.app.invoices(&admin, &filter, page).await;
    let detail = internal(refused.map(|_| ()).unwrap_err());
    assert!(detail.contains("\"euro\" is not a currency code"), "{detail}");
}
