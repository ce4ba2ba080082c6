//! Dates read one way for each viewer, written by the server: on pages (with or without
//! JavaScript), in emails and in PDFs.

use crate::invoices::acme_draft;
use crate::support::*;
use chrono::{DateTime, NaiveDate, Utc};
use domain::dates::{DateFormat, DateStyle};
use store::on_both_databases;

on_both_databases!(
    every_date_on_a_page_reads_as_the_viewers_browser_writes_dates,
    a_persons_own_format_and_time_zone_win_everywhere,
);

/// Every `<time>` of a page: its machine-readable value and the text a person reads.
fn times_of(html: &str) -> Vec<(String, String)> {
    html.split("<time datetime=\"")
        .skip(1)
        .map(|rest| {
            let value = rest.split('"').next().unwrap().to_owned();
            let text = rest.split_once('>').unwrap().1.split("</time>").next().unwrap().to_owned();
            (value, text)
        })
        .collect()
}

/// Asserts that the page has dates and that each reads exactly as `style` writes it.
fn assert_dates_read(page: &Page, style: &DateStyle, what: &str) {
    let times = times_of(&page.body);
    assert!(!times.is_empty(), "{what} shows no dates to check");
    for (value, text) in times {
        let expected = match NaiveDate::parse_from_str(&value, "%Y-%m-%d") {
            Ok(day) => style.day(day),
            Err(_) => style.moment(value.parse::<DateTime<Utc>>().expect("a date or an RFC 3339 moment")),
        };
        assert_eq!(text, expected, "{what}: <time datetime={value:?}>");
    }
}

async fn every_date_on_a_page_reads_as_the_viewers_browser_writes_dates(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let id = t.app.create_invoice(&demo.admin, &acme_draft(&t).await).await.unwrap();
    t.app.send_invoice(&demo.admin, id).await.unwrap();
    let zone = t.app.config.time_zone;
    for (language, format) in [
        ("en-US,en;q=0.9", DateFormat::MonthDayYear),
        ("de-DE,de;q=0.9,en;q=0.5", DateFormat::DottedDayMonthYear),
        ("fr;q=0.4, ja", DateFormat::YearMonthDay),
    ] {
        let style = DateStyle::new(format, zone);
        let carla = t.login_speaking(CLIENT, DEMO_PASSWORD, language).await;
        let invoice = carla.get(&format!("/portal/invoices/{id}")).await;
        assert_dates_read(&invoice, &style, "the client's invoice");
        assert!(
            invoice.body.contains(&style.day(t.app.today())),
            "issued today, as {language} writes it"
        );
        assert_dates_read(&carla.get("/portal").await, &style, "the client's dashboard");
        let admin = t.login_speaking(ADMIN, DEMO_PASSWORD, language).await;
        assert_dates_read(&admin.get("/invoices").await, &style, "the staff invoice list");
        let task = demo.task(demo.acme, "Logo refresh").await;
        let task_page = admin.get(&format!("/projects/{}/tasks/{task}", demo.acme.0)).await;
        assert_dates_read(&task_page, &style, "the staff task page");
    }
    // A browser that names no language gets the workspace's format.
    let plain = t.login(CLIENT, DEMO_PASSWORD).await;
    let style = DateStyle::new(t.app.config.date_format, zone);
    assert_dates_read(&plain.get(&format!("/portal/invoices/{id}")).await, &style, "no language");
}

async fn a_persons_own_format_and_time_zone_win_everywhere(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let carla = t.login_speaking(CLIENT, DEMO_PASSWORD, "en-US").await;

    // A zone nobody has heard of is refused by name and changes nothing.
    let refused = carla
        .post_form("/account/dates", &[("date_format", "yyyy-mm-dd"), ("time_zone", "Mars/Olympus")])
        .await;
    assert_eq!(refused.flash_kind(), "error");
    assert!(refused.flash().contains("time zone"), "{}", refused.flash());
    let unchanged = DateStyle::new(DateFormat::MonthDayYear, t.app.config.time_zone);
    assert_dates_read(&carla.get("/portal").await, &unchanged, "after a refused choice");

    // Her choice beats her browser's language, on every page, in her time zone.
    let chosen = carla
        .post_form("/account/dates", &[("date_format", "yyyy-mm-dd"), ("time_zone", "Asia/Tokyo")])
        .await;
    assert_eq!(chosen.flash_kind(), "success");
    let tokyo = DateStyle::new(DateFormat::YearMonthDay, chrono_tz::Asia::Tokyo);
    let dashboard = carla.get("/portal").await;
    assert_dates_read(&dashboard, &tokyo, "the dashboard after her choice");
    let review = demo.task(demo.acme, "Logo refresh").await;
    assert_dates_read(
        &carla.get(&format!("/portal/projects/{}/tasks/{review}", demo.acme.0)).await,
        &tokyo,
        "a task's comments",
    );
    // The account page offers what she chose as chosen.
    let account = carla.get("/account").await.body;
    assert!(account.contains("<option selected>Asia/Tokyo</option>"), "zone kept");
    assert!(account.contains("value=\"yyyy-mm-dd\" selected"), "format kept");

    // The invoice email reads dates her way; a contact who chose nothing reads
    // the workspace's format.
    let mut input = acme_draft(&t).await;
    input.issue_date = Some(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
    input.terms_days = Some(30);
    let id = t.app.create_invoice(&demo.admin, &input).await.unwrap();
    let number = t.app.send_invoice(&demo.admin, id).await.unwrap();
    let subject = format!("Invoice {number} from");
    let hers = t.smtp.wait_for_subject(CLIENT, &subject).await;
    assert!(hers[0].text().contains("It is due on 2026-04-01."), "{}", hers[0].text());
    let theirs = t.smtp.wait_for_subject(FINANCE, &subject).await;
    assert!(theirs[0].text().contains("It is due on 1 Apr 2026."), "{}", theirs[0].text());

    // Back to the defaults: her browser's language again.
    let reset = carla.post_form("/account/dates", &[("date_format", ""), ("time_zone", "")]).await;
    assert_eq!(reset.flash_kind(), "success");
    assert_dates_read(&carla.get("/portal").await, &unchanged, "after going back to the defaults");
}
