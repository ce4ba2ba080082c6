//! The demo workspace is the product's first impression: it must not contradict itself.

use crate::support::*;
use app::users::{Actor, FirstPassword, NewUserInput};
use domain::users::PageRequest;
use reqwest::StatusCode;
use store::on_both_databases;

on_both_databases!(
    the_demo_agrees_with_itself,
    the_first_contact_of_an_organisation_is_its_primary_contact,
);

async fn the_demo_agrees_with_itself(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let operator = Actor::Operator;

    // Every client's invoices are in the client's currency, and a new one comes out in it.
    let clients = t
        .app
        .clients(&operator, &Default::default(), PageRequest::new(Some(1), Some(50)))
        .await
        .unwrap();
    assert_eq!(clients.items.len(), 2);
    for client in &clients.items {
        let record = t.app.client(&operator, client.id).await.unwrap();
        assert!(!record.contacts.is_empty(), "{} has contacts", client.name);
        assert!(record.client.primary_contact_id.is_some(), "{} has a primary contact", client.name);
        assert!(!record.client.billing_address.is_empty(), "{} has a billing address", client.name);
        let filter = store::invoices::InvoiceFilter {
            client_org: Some(client.id),
            ..Default::default()
        };
        let invoices = t
            .app
            .invoices(&demo.admin, &filter, PageRequest::new(Some(1), Some(100)))
            .await
            .unwrap();
        assert!(!invoices.items.is_empty(), "{} has invoices", client.name);
        for invoice in &invoices.items {
            assert_eq!(
                invoice.currency.code(),
                client.currency,
                "{} invoice {:?}",
                client.name,
                invoice.number
            );
        }
    }
    let acme = t.org_of(CLIENT).await;
    let mut input = crate::invoices::acme_draft(&t).await;
    input.currency = String::new();
    let draft = t.app.create_invoice(&demo.admin, &input).await.unwrap();
    assert_eq!(t.app.invoice(&demo.admin, draft).await.unwrap().invoice.currency.code(), "EUR");
    // The clients page names each primary contact, and an invoice shows where it is billed.
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let list = admin.get("/admin/clients").await.body;
    assert!(!list.contains("None yet"), "a client without a primary contact");
    assert!(list.contains("Carla Romero") && list.contains("Oscar Bennett"));
    let carla = t.login(CLIENT, DEMO_PASSWORD).await;
    let filter = store::invoices::InvoiceFilter {
        client_org: Some(acme),
        ..Default::default()
    };
    let sent = t
        .app
        .invoices(&demo.admin, &filter, PageRequest::new(Some(1), Some(100)))
        .await
        .unwrap();
    let shown = sent.items.iter().find(|i| i.number.is_some()).unwrap();
    let page = carla.get(&format!("/portal/invoices/{}", shown.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Torstraße 120"), "billing address on the invoice");

    // Weeks of history, not one moment: the feed's entries spread over weeks, at many times.
    let feed = t.app.activity(&demo.admin, None, None, 100).await.unwrap();
    assert!(feed.len() >= 20, "{} entries", feed.len());
    let times: std::collections::BTreeSet<_> = feed.iter().map(|e| e.created_at).collect();
    assert!(times.len() * 2 >= feed.len(), "{} moments for {} entries", times.len(), feed.len());
    let span = *times.last().unwrap() - *times.first().unwrap();
    assert!(span >= chrono::Duration::days(21), "the history spans {span}");
    assert!(*times.last().unwrap() <= t.app.now(), "nothing happened in the future");

    // The deliverables are real-looking work: a full-size mockup and a PDF with its words.
    let top = t.app.folder_listing(&demo.admin, demo.acme, None, None, 100).await.unwrap();
    let designs = top.folders.iter().find(|f| f.name == "Designs").expect("the Designs folder").id;
    let in_designs = t
        .app
        .folder_listing(&demo.admin, demo.acme, Some(designs), None, 100)
        .await
        .unwrap();
    let mockup = in_designs.files.iter().find(|f| f.name == "Homepage mockup.png").unwrap();
    let download = format!("/portal/projects/{}/files/{}/download", demo.acme, mockup.id);
    let (status, _, png) = carla.get_bytes(&download, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(png.starts_with(b"\x89PNG"));
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert!(width >= 1000, "the mockup is {width} px wide");
    let brand_files = t
        .app
        .files_in(&demo.admin, demo.shared, app::files::Destination::Top, None, 100)
        .await
        .unwrap();
    let guidelines = brand_files.iter().find(|f| f.name == "Brand guidelines draft.pdf").unwrap();
    let (status, _, pdf) = carla
        .get_bytes(&format!("/portal/projects/{}/files/{}/download", demo.shared, guidelines.id), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.starts_with("%PDF-") && text.contains("Colour palette"), "a PDF with its words");
}

async fn the_first_contact_of_an_organisation_is_its_primary_contact(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let operator = Actor::Operator;
    let org = t.app.find_or_create_client_org("Initech").await.unwrap();
    let add = |email: &str, name: &str| NewUserInput {
        email: email.into(),
        name: name.into(),
        role: "client".into(),
        client_org_id: Some(org),
    };
    // Added from the people page (not the client page): still the primary contact.
    let first = t
        .app
        .create_user(&operator, &add("peter@initech.example", "Peter Gibbons"), FirstPassword::ReturnLink)
        .await
        .unwrap();
    t.app
        .create_user(&operator, &add("joanna@initech.example", "Joanna Lee"), FirstPassword::ReturnLink)
        .await
        .unwrap();
    let record = t.app.client(&operator, org).await.unwrap();
    assert_eq!(record.client.primary_contact_id, Some(first.user.id));
}
