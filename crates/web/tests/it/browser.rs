//! Browser tests (`PORTICO_E2E=1`): Debian's Chromium driven through chromedriver logs in
//! as each role and resets a password through the emailed link. Screenshots go to
//! `target/screenshots/`. With the variable set and no chromedriver, the suite fails.

use crate::support::*;
use fantoccini::{Client as Browser, ClientBuilder, Locator};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

store::on_both_databases!(
    only_with(
        portico_e2e_suite,
        "browser suite off: set PORTICO_E2E=1 to run it",
        "browser suite off: set PORTICO_E2E=1 and PORTICO_TEST_POSTGRES_URL to run it"
    ):
    a_client_pays_an_invoice_by_card_at_stripe,
    amounts_read_as_the_viewers_locale_writes_them,
    each_role_logs_in_and_lands_in_its_area,
    a_password_is_reset_through_the_emailed_link,
    a_client_sees_only_what_was_shared_with_them,
    staff_move_cards_by_drag_and_drop_and_by_keyboard,
    admin_tools_answer_in_the_browser,
    files_are_uploaded_by_drop_and_by_the_picker,
    an_invoice_is_written_sent_and_seen_by_its_client
);

/// chromedriver and a headless Chromium session, ended on drop.
struct Driver {
    process: Child,
    browser: Browser,
    _profile: tempdir::TempDir,
}

impl Driver {
    async fn start() -> Driver {
        Driver::start_in("en-US").await
    }

    /// A browser whose language (and so number and date formats) is `lang`.
    async fn start_in(lang: &str) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        // Its own process group, so that dropping the driver also ends the Chromium it
        // started, even when a failed assertion skipped closing the session.
        let process = Command::new(&driver)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("PORTICO_E2E=1 needs {driver} (apt-get install chromium chromium-driver): {e}"));
        let profile = tempdir::TempDir::new();
        let capabilities = serde_json::json!({
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "prefs": { "intl.accept_languages": lang },
                "args": ["--headless", format!("--lang={lang}"), format!("--accept-lang={lang}"), "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", format!("--user-data-dir={}", profile.path().display()), "--window-size=1280,900"]
            }
        });
        let capabilities = capabilities.as_object().unwrap().clone();
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = String::new();
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(capabilities.clone()).connect(&url).await {
                Ok(browser) => {
                    return Driver {
                        process,
                        browser,
                        _profile: profile,
                    };
                }
                Err(e) => last_error = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start a session: {last_error}");
    }

    async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.browser.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    async fn fill(&self, selector: &str, value: &str) {
        let field = self.browser.find(Locator::Css(selector)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    async fn click(&self, selector: &str) {
        self.browser.find(Locator::Css(selector)).await.unwrap().click().await.unwrap();
    }

    /// Waits (up to 10 s) for the browser to arrive at `path` after a click, and says where it is.
    async fn arrives_at(&self, path: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let current = self.browser.current_url().await.unwrap().path().to_owned();
            if current == path || std::time::Instant::now() > deadline {
                return current;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (up to 10 s) for the page to show `text` after a click.
    async fn shows(&self, text: &str) -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if self.text().await.contains(text) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// The one-time message the page shows (waiting up to 10 s for it): its role, its
    /// background colour and its text.
    async fn flash(&self) -> (String, String, String) {
        let script = "const f = document.querySelector('main > [role=alert], main > [role=status]'); \
                      return f ? [f.getAttribute('role'), getComputedStyle(f).backgroundColor, f.firstChild.textContent] : null;";
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let shown = self.browser.execute(script, vec![]).await.unwrap();
            if !shown.is_null() {
                let part = |i: usize| shown[i].as_str().unwrap_or_default().to_owned();
                return (part(0), part(1), part(2));
            }
            assert!(std::time::Instant::now() < deadline, "no message on the page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The same-site links of the page that start with `prefix`.
    async fn links(&self, prefix: &str) -> Vec<String> {
        let mut found = Vec::new();
        for link in self.browser.find_all(Locator::Css("a[href]")).await.unwrap() {
            if let Ok(Some(href)) = link.attr("href").await
                && href.starts_with(prefix)
            {
                found.push(href.split('#').next().unwrap_or_default().to_owned());
            }
        }
        found
    }

    /// The page's text; empty while a navigation replaces the page.
    async fn text(&self) -> String {
        match self.browser.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.process.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.process.wait();
    }
}

async fn each_role_logs_in_and_lands_in_its_area(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let driver = Driver::start().await;
    let suffix = format!("{backend:?}").to_lowercase();
    for (email, home, name) in [
        (ADMIN, "/admin", "admin"),
        (STAFF, "/staff", "staff"),
        (CLIENT, "/portal", "client"),
    ] {
        driver.browser.goto(&t.url("/login")).await.unwrap();
        if name == "admin" {
            driver.screenshot(&format!("login-{suffix}")).await;
        }
        driver.fill("#email", email).await;
        driver.fill("#password", DEMO_PASSWORD).await;
        driver.click("button[type=submit]").await;
        assert_eq!(driver.arrives_at(home).await, home, "{email} lands on {home}");
        driver.screenshot(&format!("dashboard-{name}-{suffix}")).await;
        let other = if home == "/admin" { "/portal" } else { "/admin" };
        driver.browser.goto(&t.url(other)).await.unwrap();
        assert!(
            driver.text().await.contains("You do not have access to this page"),
            "{email} on {other}"
        );
        driver.click(".usermenu summary").await;
        driver.click(".usermenu-panel button[type=submit]").await;
        assert_eq!(driver.arrives_at("/login").await, "/login");
    }
    driver.browser.set_window_size(390, 844).await.unwrap();
    driver.browser.goto(&t.url("/login")).await.unwrap();
    driver.fill("#email", ADMIN).await;
    driver.fill("#password", DEMO_PASSWORD).await;
    driver.click("button[type=submit]").await;
    assert_eq!(driver.arrives_at("/admin").await, "/admin");
    driver.browser.goto(&t.url("/admin/users")).await.unwrap();
    driver.screenshot(&format!("people-phone-{suffix}")).await;
    driver.browser.clone().close().await.unwrap();
}

async fn a_password_is_reset_through_the_emailed_link(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let driver = Driver::start().await;
    let suffix = format!("{backend:?}").to_lowercase();
    driver.browser.goto(&t.url("/login")).await.unwrap();
    driver.click("a[href='/forgot-password']").await;
    assert_eq!(driver.arrives_at("/forgot-password").await, "/forgot-password");
    driver.fill("#email", STAFF).await;
    driver.click("button[type=submit]").await;
    assert!(driver.shows("If an account exists").await);
    let mail = t.smtp.wait_for(STAFF, 1).await;
    driver.browser.goto(&mail[0].link()).await.unwrap();
    driver.screenshot(&format!("choose-password-{suffix}")).await;
    driver.fill("#password", "a new staff secret").await;
    driver.fill("#confirm", "a new staff secret").await;
    driver.click("button[type=submit]").await;
    assert_eq!(driver.arrives_at("/staff").await, "/staff");
    assert!(driver.text().await.contains("Your password is set"));
    assert_eq!(
        t.client().login(STAFF, "a new staff secret").await.status,
        reqwest::StatusCode::SEE_OTHER
    );
    driver.browser.clone().close().await.unwrap();
}

/// As Acme's contact, every portal page reachable from the dashboard: none shows an internal
/// task or comment, anything of Globex (which shares one project), or who is assigned.
async fn a_client_sees_only_what_was_shared_with_them(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let driver = Driver::start().await;
    let suffix = format!("{backend:?}").to_lowercase();
    driver.browser.goto(&t.url("/login")).await.unwrap();
    driver.fill("#email", CLIENT).await;
    driver.fill("#password", DEMO_PASSWORD).await;
    driver.click("button[type=submit]").await;
    assert_eq!(driver.arrives_at("/portal").await, "/portal");

    let never = [
        "Set up the staging server",
        "Internal QA checklist",
        "Internal retrospective",
        "Budget check",
        "Globex",
        "Oscar",
        "serif for headings",
        "Offline sync",
        "Internal: the client prefers blue",
        "licence cost",
        "Assigned",
    ];
    let mut queue = vec!["/portal".to_owned()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(path) = queue.pop() {
        if !seen.insert(path.clone()) || seen.len() > 60 {
            continue;
        }
        driver.browser.goto(&t.url(&path)).await.unwrap();
        let text = driver.text().await;
        assert!(
            !text.contains("Something went wrong") && !text.contains("does not exist"),
            "{path} failed: {text}"
        );
        for secret in never {
            assert!(!text.contains(secret), "{path} shows {secret:?}");
        }
        queue.extend(
            driver
                .links("/portal")
                .await
                .into_iter()
                .filter(|l| !l.ends_with(".csv") && !l.ends_with(".json")),
        );
    }
    assert!(seen.len() >= 8, "the crawl reached the projects and their tasks: {seen:?}");
    let shared = seen.iter().find(|p| p.contains("/tasks/")).cloned().unwrap();
    driver.browser.goto(&t.url("/portal")).await.unwrap();
    driver.screenshot(&format!("portal-dashboard-{suffix}")).await;
    for path in seen.iter().filter(|p| p.matches('/').count() == 3) {
        driver.browser.goto(&t.url(path)).await.unwrap();
        if driver.text().await.contains("Brand guidelines") {
            driver.screenshot(&format!("portal-project-{suffix}")).await;
        }
    }
    driver.browser.goto(&t.url(&shared)).await.unwrap();
    driver.screenshot(&format!("portal-task-{suffix}")).await;
    // The navigation's Projects and Files were crawled above; their pages, to look at.
    assert!(seen.contains("/portal/projects") && seen.contains("/portal/files"), "{seen:?}");
    for page in ["projects", "files"] {
        driver.browser.goto(&t.url(&format!("/portal/{page}"))).await.unwrap();
        driver.screenshot(&format!("portal-{page}-{suffix}")).await;
    }
    driver.browser.set_window_size(390, 844).await.unwrap();
    driver.browser.goto(&t.url("/portal")).await.unwrap();
    driver.screenshot(&format!("portal-dashboard-phone-{suffix}")).await;
    driver.browser.clone().close().await.unwrap();
}

/// The board: a card dragged to another column lands there (the script asks the server), and
/// the move buttons do the same without a mouse.
async fn staff_move_cards_by_drag_and_drop_and_by_keyboard(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let driver = Driver::start().await;
    let suffix = format!("{backend:?}").to_lowercase();
    driver.browser.set_window_size(1440, 900).await.unwrap();
    driver.browser.goto(&t.url("/login")).await.unwrap();
    driver.fill("#email", STAFF).await;
    driver.fill("#password", DEMO_PASSWORD).await;
    driver.click("button[type=submit]").await;
    assert_eq!(driver.arrives_at("/staff").await, "/staff");
    driver.screenshot(&format!("dashboard-staff-projects-{suffix}")).await;

    let demo = t.demo().await;
    let acme = demo.acme;
    let column_of = |name: &str| {
        let demo = &demo;
        let name = name.to_owned();
        async move { demo.column_of(acme, demo.task(acme, &name).await).await }
    };
    assert_eq!(column_of("Collect brand assets").await, "To Do");

    driver.browser.goto(&t.url(&format!("/projects/{acme}/board"))).await.unwrap();
    driver.screenshot(&format!("board-{suffix}")).await;
    // Chromium's WebDriver does not drive HTML5 drag and drop, so the test dispatches the
    // same events a mouse would.
    let script = r#"
        const [cardName, columnName] = arguments;
        const card = [...document.querySelectorAll('.board-card')].find(c => c.querySelector('.board-card-title').textContent.trim() === cardName);
        const column = [...document.querySelectorAll('[data-column]')].find(c => c.querySelector('h2').textContent.trim() === columnName);
        const data = new DataTransfer();
        const box = column.querySelector('[data-cards]').getBoundingClientRect();
        card.dispatchEvent(new DragEvent('dragstart', { bubbles: true, dataTransfer: data }));
        column.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: data, clientY: box.bottom - 2 }));
        column.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: data, clientY: box.bottom - 2 }));
        card.dispatchEvent(new DragEvent('dragend', { bubbles: true, dataTransfer: data }));
    "#;
    driver
        .browser
        .execute(
            script,
            vec![serde_json::json!("Collect brand assets"), serde_json::json!("In Progress")],
        )
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while column_of("Collect brand assets").await != "In Progress" && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(column_of("Collect brand assets").await, "In Progress", "the drop was saved");

    // Keyboard: focus the card's "next column" button and press Enter.
    driver.browser.goto(&t.url(&format!("/projects/{acme}/board"))).await.unwrap();
    let button = driver
        .browser
        .find(Locator::Css("[id^='task-'] button[aria-label='Move to the next column']"))
        .await
        .unwrap();
    let card_name = driver
        .browser
        .execute(
            "return arguments[0].closest('.board-card').querySelector('.board-card-title').textContent.trim()",
            vec![serde_json::to_value(&button).unwrap()],
        )
        .await
        .unwrap();
    let card_name = card_name.as_str().unwrap().to_owned();
    let before = column_of(&card_name).await;
    button.send_keys("\u{E007}").await.unwrap();
    assert!(driver.shows("The task was moved.").await, "the move was confirmed");
    let after = column_of(&card_name).await;
    assert_ne!(before, after, "the keyboard moved the card to the next column");

    let logo = demo.task(acme, "Logo refresh").await;
    driver
        .browser
        .goto(&t.url(&format!("/projects/{acme}/tasks/{logo}")))
        .await
        .unwrap();
    // Staff read the task first (its review is on), and edit it on request, where the
    // review switch is (a client never sees it).
    assert!(driver.shows("Shared with the project's clients, who review it").await);
    driver.screenshot(&format!("task-staff-{suffix}")).await;
    driver.click("a[href^='?edit']").await;
    assert!(driver.shows("Client review: the client approves or asks for revisions").await);
    driver.screenshot(&format!("task-staff-edit-{suffix}")).await;
    driver.browser.goto(&t.url(&format!("/projects/{acme}"))).await.unwrap();
    driver.screenshot(&format!("project-overview-{suffix}")).await;
    driver.browser.clone().close().await.unwrap();
}

/// The admin's client pages, preview and "why can't my client see this?" in a real browser.
async fn admin_tools_answer_in_the_browser(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let driver = Driver::start().await;
    let suffix = format!("{backend:?}").to_lowercase();
    driver.browser.goto(&t.url("/login")).await.unwrap();
    driver.fill("#email", ADMIN).await;
    driver.fill("#password", DEMO_PASSWORD).await;
    driver.click("button[type=submit]").await;
    assert_eq!(driver.arrives_at("/admin").await, "/admin");
    driver.screenshot(&format!("dashboard-admin-projects-{suffix}")).await;

    // Media: storage by project, then the orphan check.
    driver.browser.goto(&t.url("/admin/media")).await.unwrap();
    assert!(driver.shows("Storage by project").await);
    driver.click("form[action='/admin/media/orphans'] button").await;
    // Told at once that the check runs (the page then refreshes itself until it is done).
    let (role, background, text) = driver.flash().await;
    assert_eq!((role.as_str(), text.as_str()), ("status", "Checking storage for orphans…"));
    assert!(
        background.starts_with("color(srgb"),
        "information is tinted with the brand: {background}"
    );
    assert!(driver.shows("Storage and the file list agree").await);
    driver.screenshot(&format!("media-{suffix}")).await;
    // The largest files link to their pages.
    let sitemap = driver
        .browser
        .find(Locator::LinkText("Sitemap.txt"))
        .await
        .expect("Sitemap.txt among the largest files");
    let href = sitemap.attr("href").await.unwrap().unwrap_or_default();
    assert!(href.starts_with("/projects/") && href.contains("/files/"), "{href}");

    // Outcomes are told apart by colour, mark and role: a refusal is a red alert, a success a
    // green status.
    driver.browser.goto(&t.url("/admin/invoicing")).await.unwrap();
    driver.fill("#rate-name", "Sales tax").await;
    driver.fill("#rate-percent", "250").await;
    driver.click("form[action='/admin/tax-rates'] button").await;
    let (role, background, text) = driver.flash().await;
    assert_eq!((role.as_str(), background.as_str()), ("alert", "rgb(254, 243, 242)"), "{text}");
    driver.screenshot(&format!("flash-error-{suffix}")).await;
    // Landed on the form's section further down, the message is in view all the same.
    let in_view = "const f = document.querySelector('[data-flash]').getBoundingClientRect(); \
                   return window.scrollY > 0 && f.top >= 0 && f.bottom <= window.innerHeight;";
    assert_eq!(driver.browser.execute(in_view, vec![]).await.unwrap(), serde_json::json!(true));
    driver.fill("#rate-name", "Sales tax").await;
    driver.fill("#rate-percent", "7.5").await;
    driver.click("form[action='/admin/tax-rates'] button").await;
    assert!(driver.shows("Added Sales tax").await);
    let (role, background, _) = driver.flash().await;
    assert_eq!((role.as_str(), background.as_str()), ("status", "rgb(236, 253, 243)"));

    driver.browser.goto(&t.url("/admin/clients")).await.unwrap();
    driver.click("a[href^='/admin/clients/0']").await;
    assert!(driver.shows("Portal permissions of the organisation").await);
    driver.screenshot(&format!("client-detail-{suffix}")).await;

    let internal = demo.task(demo.acme, "Set up the staging server").await;
    let carla = t.user_id(CLIENT).await;
    driver
        .browser
        .goto(&t.url(&format!("/admin/projects/{}/visibility?task={internal}&contact={carla}", demo.acme)))
        .await
        .unwrap();
    assert!(driver.shows("The item is internal").await);
    driver.screenshot(&format!("why-{suffix}")).await;
    driver.click("a[href^='/admin/preview/']").await;
    assert!(driver.shows("exactly as Carla Romero sees it").await);
    assert!(!driver.text().await.contains("Set up the staging server"));
    driver.screenshot(&format!("preview-{suffix}")).await;

    // A review on the shared project: staff choose the organisation; the tool explains it.
    let typography = demo.task(demo.shared, "Typography").await;
    t.app.set_task_review(&demo.admin, demo.shared, typography, true).await.unwrap();
    driver
        .browser
        .goto(&t.url(&format!("/projects/{}/tasks/{typography}", demo.shared)))
        .await
        .unwrap();
    assert!(driver.shows("Client who reviews").await);
    driver.screenshot(&format!("review-addressed-{suffix}")).await;
    let palette = demo.task(demo.shared, "Colour palette").await;
    let oscar = t.user_id(OTHER_CLIENT).await;
    driver
        .browser
        .goto(&t.url(&format!(
            "/admin/projects/{}/visibility?review={palette}&contact={oscar}",
            demo.shared
        )))
        .await
        .unwrap();
    assert!(driver.shows("addressed to another client organisation").await);
    driver.screenshot(&format!("why-review-{suffix}")).await;

    // An email the mail server refused for good: listed with its answer, sent again.
    t.smtp.refuse(CLIENT, "550 5.1.1 No such user here");
    t.client().post_form("/forgot-password", &[("email", CLIENT)]).await;
    t.wait_until("the refused email to be undelivered", || async { t.job_counts().await.failed > 0 })
        .await;
    driver.browser.goto(&t.url("/admin")).await.unwrap();
    driver.click("a[href='/admin/emails']").await;
    assert!(driver.shows("No such user here").await);
    driver.screenshot(&format!("undelivered-emails-{suffix}")).await;
    t.smtp.accept(CLIENT);
    driver.click("form[action='/admin/emails/retry'] input[name=email] ~ button").await;
    assert!(driver.shows("The email is queued again").await);
    t.smtp.wait_for_subject(CLIENT, "Reset your").await;
    driver.browser.clone().close().await.unwrap();
}

/// Files: a file dropped on the zone and one chosen with the picker are uploaded by the
/// page's script (with its progress bar) and listed; the client's files page shows what is
/// shared.
async fn files_are_uploaded_by_drop_and_by_the_picker(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let driver = Driver::start().await;
    let suffix = format!("{backend:?}").to_lowercase();
    let demo = t.demo().await;
    driver.browser.set_window_size(1280, 900).await.unwrap();
    driver.browser.goto(&t.url("/login")).await.unwrap();
    driver.fill("#email", STAFF).await;
    driver.fill("#password", DEMO_PASSWORD).await;
    driver.click("button[type=submit]").await;
    assert_eq!(driver.arrives_at("/staff").await, "/staff");
    driver
        .browser
        .goto(&t.url(&format!("/projects/{}/files", demo.acme)))
        .await
        .unwrap();
    assert!(driver.shows("Sitemap.txt").await);
    driver.screenshot(&format!("files-staff-{suffix}")).await;

    // WebDriver cannot drag a file from the desktop: the script builds the drop a user's
    // would cause.
    let drop = r#"
        const data = new DataTransfer();
        data.items.add(new File(["dropped by the test"], "dropped notes.txt", { type: "text/plain" }));
        const zone = document.querySelector(".dropzone");
        zone.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    "#;
    driver.browser.execute(drop, vec![]).await.unwrap();
    assert!(
        driver.shows("dropped notes.txt").await,
        "the dropped file is listed after the upload"
    );

    let dir = tempdir::TempDir::new();
    let chosen = dir.path().join("chosen plan.txt");
    std::fs::write(&chosen, "chosen with the picker").unwrap();
    let input = driver.browser.find(Locator::Css("#upload-files")).await.unwrap();
    input.send_keys(chosen.to_str().unwrap()).await.unwrap();
    driver.click(".upload button[type=submit]").await;
    assert!(driver.shows("chosen plan.txt").await, "the chosen file is listed after the upload");
    driver.screenshot(&format!("files-staff-uploaded-{suffix}")).await;
    driver.click("a[href$='/files/trash']").await;
    driver.browser.back().await.unwrap();
    driver
        .browser
        .find(Locator::LinkText("chosen plan.txt"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(driver.shows("Version 1").await);
    driver.screenshot(&format!("file-detail-{suffix}")).await;

    driver.browser.delete_all_cookies().await.unwrap();
    driver.browser.goto(&t.url("/login")).await.unwrap();
    driver.fill("#email", CLIENT).await;
    driver.fill("#password", DEMO_PASSWORD).await;
    driver.click("button[type=submit]").await;
    assert_eq!(driver.arrives_at("/portal").await, "/portal");
    driver
        .browser
        .goto(&t.url(&format!("/portal/projects/{}/files", demo.shared)))
        .await
        .unwrap();
    assert!(driver.shows("Brand guidelines draft.pdf").await);
    let text = driver.text().await;
    assert!(text.contains("Acme logo files.txt"), "Acme's own upload");
    assert!(!text.contains("Globex fonts.txt"), "never Globex's upload");
    assert!(!text.contains("Licence costs.txt"), "never an internal file");
    driver.screenshot(&format!("files-portal-{suffix}")).await;
    driver.browser.set_window_size(390, 844).await.unwrap();
    driver.screenshot(&format!("files-portal-phone-{suffix}")).await;
}

async fn an_invoice_is_written_sent_and_seen_by_its_client(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let driver = Driver::start().await;
    let suffix = format!("{backend:?}").to_lowercase();
    driver.browser.set_window_size(1280, 900).await.unwrap();
    driver.browser.goto(&t.url("/login")).await.unwrap();
    driver.fill("#email", ADMIN).await;
    driver.fill("#password", DEMO_PASSWORD).await;
    driver.click("button[type=submit]").await;
    assert_eq!(driver.arrives_at("/admin").await, "/admin");
    driver.click("a[href='/invoices']").await;
    assert!(driver.shows("Globex").await, "the demo invoices are listed");
    driver.screenshot(&format!("invoices-staff-{suffix}")).await;

    // A draft of two lines: the second row comes from "Add a line".
    driver.browser.goto(&t.url("/invoices/new")).await.unwrap();
    let client = driver.browser.find(Locator::Css("#client_org")).await.unwrap();
    client.select_by_label("Acme").await.unwrap();
    driver.fill("#d-1", "Design review").await;
    driver.fill("#q-1", "3").await;
    driver.fill("#p-1", "120.50").await;
    let vat = driver.browser.find(Locator::Css("#t-1")).await.unwrap();
    vat.select_by_label("VAT 20%").await.unwrap();
    driver.click("[data-add-line]").await;
    driver.fill("#d-2", "Travel").await;
    driver.fill("#q-2", "1").await;
    driver.fill("#p-2", "80").await;
    // The total so far follows the typing, before anything is saved.
    assert!(driver.shows("€513.80").await, "the running total: {}", driver.text().await);
    driver.screenshot(&format!("invoice-form-{suffix}")).await;
    driver.click("form.invoice-form button[type=submit]").await;
    assert!(driver.shows("Draft saved.").await);
    // 361.50 + 80.00, VAT on the first line only: 72.30; in Acme's currency, shown in the
    // browser's locale (the server writes "EUR 441.50"; an American reads "€441.50").
    let text = driver.text().await;
    assert!(text.contains("Draft invoice"), "{text}");
    assert!(
        text.contains("€441.50") && text.contains("€72.30") && text.contains("€513.80"),
        "{text}"
    );
    assert!(!text.contains("EUR 513.80"), "{text}");

    // Sending asks first; the invoice gets its number.
    driver.browser.execute("window.confirm = () => true;", vec![]).await.unwrap();
    driver.click("form[action$='/send'] button").await;
    assert!(driver.shows("Sent as INV-").await);
    let number = driver
        .browser
        .find(Locator::Css(".doc-number"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    driver.screenshot(&format!("invoice-staff-{suffix}")).await;
    driver.click("a[href='/reports']").await;
    assert!(driver.shows("Receivables by age").await);
    driver.screenshot(&format!("reports-{suffix}")).await;

    driver.browser.delete_all_cookies().await.unwrap();
    driver.browser.goto(&t.url("/login")).await.unwrap();
    driver.fill("#email", FINANCE).await;
    driver.fill("#password", DEMO_PASSWORD).await;
    driver.click("button[type=submit]").await;
    assert_eq!(driver.arrives_at("/portal").await, "/portal");
    driver.click("a[href='/portal/invoices']").await;
    assert!(driver.shows(&number).await, "the client sees the new invoice");
    let text = driver.text().await;
    assert!(!text.contains("Globex"), "never another client's invoice");
    driver.screenshot(&format!("invoices-portal-{suffix}")).await;
    driver
        .browser
        .find(Locator::LinkText(&number))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(driver.shows("Billed to").await);
    assert!(driver.text().await.contains("Viewed"), "the first open marks it viewed");
    driver.screenshot(&format!("invoice-portal-{suffix}")).await;
    driver.browser.set_window_size(390, 844).await.unwrap();
    driver.screenshot(&format!("invoice-portal-phone-{suffix}")).await;
}

async fn a_client_pays_an_invoice_by_card_at_stripe(backend: Backend) {
    use crate::pay_now::{configure_stripe, options, sent_invoice};
    let stripe = crate::peers::StripePeer::start().await;
    let t = TestApp::spawn_with(backend, options(Some(&stripe), None, None)).await;
    stripe.register_webhook(&t.url("/webhooks/stripe")).await;
    configure_stripe(&t).await;
    let id = sent_invoice(&t, "12.5").await;
    let driver = Driver::start().await;
    let suffix = format!("{backend:?}").to_lowercase();
    driver.browser.set_window_size(1280, 900).await.unwrap();
    driver.browser.goto(&t.url("/login")).await.unwrap();
    driver.fill("#email", CLIENT).await;
    driver.fill("#password", DEMO_PASSWORD).await;
    driver.click("button[type=submit]").await;
    assert_eq!(driver.arrives_at("/portal").await, "/portal");
    driver.browser.goto(&t.url(&format!("/portal/invoices/{id}"))).await.unwrap();
    assert!(driver.shows("now").await);
    assert!(driver.text().await.contains("Pay €1,250.00 now"), "{}", driver.text().await);
    driver.screenshot(&format!("pay-now-{suffix}")).await;
    driver.browser.set_window_size(390, 844).await.unwrap();
    driver.screenshot(&format!("pay-now-phone-{suffix}")).await;
    driver.browser.set_window_size(1280, 900).await.unwrap();

    // At Stripe's page (localstripe's), with the test card; back to Portico.
    driver.click(".pay-now button").await;
    assert!(driver.shows("Pay with Visa 4242").await);
    driver.click("button[value=pm_card_visa]").await;
    assert!(driver.shows("your payment is received").await, "{}", driver.text().await);
    driver.screenshot(&format!("pay-now-paid-{suffix}")).await;
    driver.click("a.button").await;
    assert!(driver.shows("Paid").await);
    assert!(!driver.text().await.contains("Pay by card"));

    // The admins' gateway settings: Stripe on, its secrets shown only by their end.
    driver.browser.delete_all_cookies().await.unwrap();
    driver.browser.goto(&t.url("/login")).await.unwrap();
    driver.fill("#email", ADMIN).await;
    driver.fill("#password", DEMO_PASSWORD).await;
    driver.click("button[type=submit]").await;
    assert_eq!(driver.arrives_at("/admin").await, "/admin");
    driver.browser.goto(&t.url("/admin/invoicing#gateways")).await.unwrap();
    assert!(driver.shows("Online payments").await);
    let text = driver.text().await;
    assert!(
        text.contains("saved, ending in …test") && !text.contains(crate::peers::STRIPE_WEBHOOK_SECRET),
        "{text}"
    );
    driver.screenshot(&format!("gateways-admin-{suffix}")).await;
}

async fn amounts_read_as_the_viewers_locale_writes_them(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let id = crate::pay_now::sent_invoice(&t, "12.5").await;
    let driver = Driver::start_in("de-DE").await;
    driver.browser.goto(&t.url("/login")).await.unwrap();
    driver.fill("#email", CLIENT).await;
    driver.fill("#password", DEMO_PASSWORD).await;
    driver.click("button[type=submit]").await;
    assert_eq!(driver.arrives_at("/portal").await, "/portal");
    driver.browser.goto(&t.url(&format!("/portal/invoices/{id}"))).await.unwrap();
    assert!(driver.shows("Billed to").await);
    // The server wrote "EUR 1,250.00", "12.5" and "100.00"; a German reader sees them in
    // German: the total with the euro sign after it, and the line's figures to match.
    let total = driver
        .browser
        .find(Locator::Css("dd.doc-total"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(total.replace('\u{a0}', " "), "1.250,00 €");
    let cells: Vec<String> = futures::future::join_all(
        driver
            .browser
            .find_all(Locator::Css(".doc-lines td.num"))
            .await
            .unwrap()
            .iter()
            .map(|c| c.text()),
    )
    .await
    .into_iter()
    .map(Result::unwrap)
    .collect();
    assert_eq!(cells, ["12,5", "100,00", "1.250,00"]);
    // Dates too, written by the server as the browser's language writes them: "29.11.2026",
    // not "Nov 29, 2026" — every one of them, in one format.
    let issued = t.app.today().format("%d.%m.%Y").to_string();
    assert!(driver.text().await.contains(&issued), "{}", driver.text().await);
    let dates = driver.browser.find_all(Locator::Css("time")).await.unwrap();
    assert!(!dates.is_empty());
    for date in dates {
        let text = date.text().await.unwrap();
        let digits: Vec<&str> = text.split('.').collect();
        assert!(
            digits.len() == 3 && digits.iter().all(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit())),
            "{text:?} is not dd.mm.yyyy"
        );
    }
}
