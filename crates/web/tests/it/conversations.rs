//! Conversations as people use them (issue 14, first use cases): who reads and writes which
//! conversation, on both databases. No client learns of another client's conversation.

use crate::support::*;
use domain::access::{Permission, PortalPermissions, Viewer};
use domain::conversations::{ConversationKind, Participant, client_org_of};
use domain::ids::{ConversationId, ProjectId};
use domain::users::PageRequest;
use domain::{Error, text::MAX_BODY};
use store::on_both_databases;

on_both_databases!(
    participants_read_and_write_their_conversations_and_no_one_else_learns_of_them,
    a_message_is_checked_after_the_writer_is,
    switching_off_messages_hides_a_contacts_conversations_at_once,
    starting_a_conversation_follows_who_may_write_to_whom,
);

async fn viewer(t: &TestApp, email: &str) -> Viewer {
    t.app.user(t.user_id(email).await).await.unwrap().viewer()
}

/// Starts a conversation among the people named by email, as the store records it.
async fn start(t: &TestApp, kind: ConversationKind, project: Option<ProjectId>, emails: &[&str]) -> ConversationId {
    let mut participants = Vec::new();
    for email in emails {
        let user = t.app.user(t.user_id(email).await).await.unwrap();
        participants.push(Participant {
            user: user.id,
            org: user.client_org_id,
        });
    }
    let people: Vec<_> = participants.iter().map(|p| p.user).collect();
    let new = store::conversations::NewConversation {
        id: ConversationId::new(),
        kind,
        project,
        client_org: client_org_of(kind, &participants).unwrap(),
        title: "General",
        created_by: t.user_id(STAFF).await,
        participants: &people,
    };
    let mut tx = t.app.db.begin().await.unwrap();
    store::conversations::insert(&mut tx.conn(), &new, store::now()).await.unwrap();
    tx.commit().await.unwrap();
    new.id
}

fn page() -> PageRequest {
    PageRequest::new(Some(1), Some(100))
}

async fn listed(t: &TestApp, viewer: &Viewer) -> Vec<ConversationId> {
    t.app
        .conversations(viewer, page())
        .await
        .unwrap()
        .items
        .iter()
        .map(|c| c.id)
        .collect()
}

/// On the project shared by Acme and Globex, each organisation has its own discussion: each
/// client reads and writes theirs and never learns of the other's.
async fn participants_read_and_write_their_conversations_and_no_one_else_learns_of_them(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let (staff, acme, globex) = (viewer(&t, STAFF).await, viewer(&t, CLIENT).await, viewer(&t, OTHER_CLIENT).await);
    let with_acme = start(&t, ConversationKind::Discussion, Some(demo.shared), &[STAFF, CLIENT]).await;
    let with_globex = start(&t, ConversationKind::Discussion, Some(demo.shared), &[STAFF, OTHER_CLIENT]).await;

    let question = t
        .app
        .post_message(&acme, with_acme, "Can we see the **logo** today?", None)
        .await
        .unwrap();
    let answer = t
        .app
        .post_message(&staff, with_acme, "Yes, by five.", Some(question))
        .await
        .unwrap();
    let read = t.app.conversation(&acme, with_acme, None, 50).await.unwrap();
    assert_eq!(
        read.messages.iter().map(|m| m.id).collect::<Vec<_>>(),
        [answer, question],
        "newest first"
    );
    assert_eq!(read.messages[0].reply_to_id, Some(question));
    assert_eq!(read.messages[1].body, "Can we see the **logo** today?");

    assert_eq!(listed(&t, &acme).await, [with_acme]);
    assert_eq!(listed(&t, &globex).await, [with_globex]);
    assert_eq!(listed(&t, &staff).await, [with_acme, with_globex], "the most recently active first");
    for refused in [
        t.app.conversation(&globex, with_acme, None, 50).await.map(|_| ()),
        t.app.post_message(&globex, with_acme, "Hello?", None).await.map(|_| ()),
    ] {
        assert!(matches!(refused, Err(Error::NotFound)), "{refused:?}");
    }

    // An admin oversees every conversation; writing in a project discussion joins it, but
    // a direct message stays between its two people.
    let direct = start(&t, ConversationKind::Direct, None, &[STAFF, CLIENT]).await;
    assert!(listed(&t, &demo.admin).await.contains(&direct));
    assert!(t.app.conversation(&demo.admin, direct, None, 50).await.is_ok());
    assert!(matches!(
        t.app.post_message(&demo.admin, direct, "Hi", None).await,
        Err(Error::Forbidden)
    ));
    t.app.post_message(&demo.admin, with_acme, "Joining in.", None).await.unwrap();
    let mut handle = t.app.db.read().await.unwrap();
    let participants = store::conversations::participants(&mut handle.conn(), with_acme).await.unwrap();
    assert!(participants.contains(&demo.admin.user_id()));
}

/// Who may write is decided first; then the message: not blank, not over the limit, and a
/// reply only to a message of the same conversation.
async fn a_message_is_checked_after_the_writer_is(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let (acme, globex) = (viewer(&t, CLIENT).await, viewer(&t, OTHER_CLIENT).await);
    let with_acme = start(&t, ConversationKind::Discussion, Some(demo.shared), &[STAFF, CLIENT]).await;
    let with_globex = start(&t, ConversationKind::Discussion, Some(demo.shared), &[STAFF, OTHER_CLIENT]).await;
    let elsewhere = t.app.post_message(&globex, with_globex, "Ours", None).await.unwrap();

    assert!(matches!(
        t.app.post_message(&globex, with_acme, "", None).await,
        Err(Error::NotFound)
    ));
    for (body, reply, field) in [
        (" \n ", None, "body"),
        (&*"x".repeat(MAX_BODY + 1), None, "body"),
        ("A reply", Some(elsewhere), "reply_to"),
    ] {
        match t.app.post_message(&acme, with_acme, body, reply).await {
            Err(Error::Invalid { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    let read = t.app.conversation(&acme, with_acme, None, 50).await.unwrap();
    assert!(read.messages.is_empty(), "nothing refused was kept");
}

/// A contact's conversations go as soon as "use messages" is off for them, and come back
/// when it is on again.
async fn switching_off_messages_hides_a_contacts_conversations_at_once(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let with_acme = start(&t, ConversationKind::Discussion, Some(demo.shared), &[STAFF, CLIENT]).await;
    let direct = start(&t, ConversationKind::Direct, None, &[STAFF, CLIENT]).await;
    let acme = viewer(&t, CLIENT).await;
    assert_eq!(listed(&t, &acme).await, [direct, with_acme]);

    let (org, contact) = (t.org_of(CLIENT).await, t.user_id(CLIENT).await);
    let set = |permissions: Option<PortalPermissions>| {
        let app = t.app.clone();
        async move {
            let mut tx = app.db.begin().await.unwrap();
            store::clients::set_contact_permissions(&mut tx.conn(), org, contact, permissions)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    set(Some(PortalPermissions::all().with(Permission::UseMessages, false))).await;
    let muted = viewer(&t, CLIENT).await;
    assert!(listed(&t, &muted).await.is_empty());
    for id in [with_acme, direct] {
        assert!(matches!(t.app.conversation(&muted, id, None, 50).await, Err(Error::NotFound)));
    }
    set(None).await;
    assert_eq!(listed(&t, &viewer(&t, CLIENT).await).await, [direct, with_acme]);
}

/// A contact writes to their colleagues and to the staff a project of theirs names; staff to
/// the team and to contacts of their projects' organisations, one organisation at a time.
async fn starting_a_conversation_follows_who_may_write_to_whom(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let (staff, acme) = (viewer(&t, STAFF).await, viewer(&t, CLIENT).await);
    let (staff_id, admin_id, acme_id, globex_id) = (
        t.user_id(STAFF).await,
        t.user_id(ADMIN).await,
        t.user_id(CLIENT).await,
        t.user_id(OTHER_CLIENT).await,
    );
    let refused_field = |result: Result<ConversationId, Error>| match result {
        Err(Error::Invalid { field, .. }) => field,
        other => panic!("refused, not {other:?}"),
    };

    // No project of Acme's names its team: its contact cannot reach the staff member yet.
    let direct = ConversationKind::Direct;
    assert_eq!(
        refused_field(t.app.start_conversation(&acme, direct, "", &[staff_id]).await),
        "participants"
    );
    let show_team = |on: bool| {
        let app = t.app.clone();
        let project = demo.shared;
        async move {
            let mut tx = app.db.begin().await.unwrap();
            store::on_conn!(&mut tx.conn(), c => sqlx::query("UPDATE projects SET show_assignees = $1 WHERE id = $2")
                .bind(on).bind(project).execute(&mut *c).await.map(|_| ()))
            .unwrap();
            tx.commit().await.unwrap();
        }
    };
    show_team(true).await;
    let with_staff = t.app.start_conversation(&acme, direct, "", &[staff_id]).await.unwrap();
    assert_eq!(listed(&t, &acme).await, [with_staff]);
    // Two people have one direct message, whoever starts it again.
    assert_eq!(t.app.start_conversation(&staff, direct, "", &[acme_id]).await.unwrap(), with_staff);
    assert_eq!(listed(&t, &acme).await, [with_staff]);
    assert!(listed(&t, &viewer(&t, OTHER_CLIENT).await).await.is_empty());
    // Another organisation's contact is out of reach, even on a shared project.
    assert_eq!(
        refused_field(t.app.start_conversation(&acme, direct, "", &[globex_id]).await),
        "participants"
    );

    // Staff: a team chat stays internal; contacts of two organisations never share one.
    let group = ConversationKind::Group;
    let team = t.app.start_conversation(&staff, group, "Launch plan", &[admin_id]).await.unwrap();
    assert!(!listed(&t, &acme).await.contains(&team));
    assert_eq!(
        refused_field(t.app.start_conversation(&staff, group, "Both clients", &[acme_id, globex_id]).await),
        "participants"
    );
    assert_eq!(
        refused_field(t.app.start_conversation(&staff, group, "", &[admin_id]).await),
        "title"
    );
    assert_eq!(
        refused_field(
            t.app
                .start_conversation(&staff, ConversationKind::Discussion, "General", &[acme_id])
                .await
        ),
        "kind"
    );

    // Without "use messages" a contact starts nothing.
    let org = t.org_of(CLIENT).await;
    let mut tx = t.app.db.begin().await.unwrap();
    let muted = PortalPermissions::all().with(Permission::UseMessages, false);
    store::clients::set_contact_permissions(&mut tx.conn(), org, acme_id, Some(muted))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let refused = t.app.start_conversation(&viewer(&t, CLIENT).await, direct, "", &[staff_id]).await;
    assert!(matches!(refused, Err(Error::Forbidden)), "{refused:?}");
}
