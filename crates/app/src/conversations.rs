//! Conversations as people use them: the list, a conversation's messages, and writing one.
//! Who sees a conversation is the policy's (`Scope::conversations`); who may write in one is
//! decided here, before what they wrote is checked.

use crate::App;
use domain::access::{AddresseeFacts, Permission, Viewer, may_address};
use domain::conversations::{ConversationKind, Participant, client_org_of};
use domain::ids::{ConversationId, MessageId, UserId};
use domain::text::markdown_body;
use domain::users::{Page, PageRequest};
use domain::{Error, Result};
use store::Conn;
use store::conversations::{Conversation, Message, NewConversation, NewMessage};
use store::scope::Scope;

/// A conversation with a page of its messages, newest first.
pub struct ConversationPage {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
}

impl App {
    /// The conversations the viewer sees, the most recently active first.
    pub async fn conversations(&self, viewer: &Viewer, page: PageRequest) -> Result<Page<Conversation>> {
        let mut handle = self.db.read().await?;
        store::conversations::list(&mut handle.conn(), &Scope::new(viewer), page).await
    }

    /// One conversation and a page of its messages (older ones with `before`, the last
    /// message's time and id).
    pub async fn conversation(
        &self,
        viewer: &Viewer,
        id: ConversationId,
        before: Option<(chrono::DateTime<chrono::Utc>, MessageId)>,
        limit: i64,
    ) -> Result<ConversationPage> {
        let scope = Scope::new(viewer);
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let conversation = store::conversations::get(&mut conn, &scope, id).await?;
        let messages = store::conversations::messages(&mut conn, &scope, id, before, limit).await?;
        Ok(ConversationPage { conversation, messages })
    }

    /// Starts a direct message or a group with the people named (the starter takes part).
    /// Each must be someone the starter may write to (`may_address`), active, and the
    /// participants may include contacts of one client organisation at most. A direct message
    /// that exists already is opened, not doubled.
    pub async fn start_conversation(
        &self,
        viewer: &Viewer,
        kind: ConversationKind,
        title: &str,
        people: &[UserId],
    ) -> Result<ConversationId> {
        if kind == ConversationKind::Discussion {
            return Err(Error::invalid("kind", "A discussion is started in its project."));
        }
        if viewer.is_client() && !viewer.allows(Permission::UseMessages) {
            return Err(Error::Forbidden);
        }
        let title = domain::text::optional_line("title", title, 200)?;
        if kind == ConversationKind::Group && title.is_empty() {
            return Err(Error::invalid("title", "Name the group."));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let mut participants = vec![Participant {
            user: viewer.user_id(),
            org: viewer.client_org(),
        }];
        for person in people.iter().filter(|p| **p != viewer.user_id()) {
            let user = store::users::get(&mut conn, *person).await?;
            if user.deactivated_at.is_some() || !addressable(&mut conn, viewer, &user).await? {
                return Err(Error::invalid("participants", "One of these people cannot be written to."));
            }
            participants.push(Participant {
                user: user.id,
                org: user.client_org_id,
            });
        }
        let client_org = client_org_of(kind, &participants)?;
        let users: Vec<UserId> = participants.iter().map(|p| p.user).collect();
        // Two people have one direct message: starting another opens it.
        if kind == ConversationKind::Direct
            && let Some(existing) = store::conversations::find_direct(&mut conn, users[0], users[1]).await?
        {
            return Ok(existing);
        }
        let new = NewConversation {
            id: ConversationId::new(),
            kind,
            project: None,
            client_org,
            title: &title,
            created_by: viewer.user_id(),
            participants: &users,
        };
        store::conversations::insert(&mut conn, &new, now).await?;
        tx.commit().await?;
        Ok(new.id)
    }

    /// Writes a message. Participants write; staff who see a project discussion join it by
    /// writing; someone who only oversees a conversation (an admin reading a direct message)
    /// may not write in it. A reply answers a message of the same conversation.
    pub async fn post_message(
        &self,
        viewer: &Viewer,
        conversation: ConversationId,
        body: &str,
        reply_to: Option<MessageId>,
    ) -> Result<MessageId> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let found = store::conversations::get(&mut conn, &Scope::new(viewer), conversation).await?;
        let participants = store::conversations::participants(&mut conn, conversation).await?;
        let joins = !participants.contains(&viewer.user_id());
        if joins && (viewer.is_client() || found.kind != ConversationKind::Discussion) {
            return Err(Error::Forbidden);
        }
        let body = markdown_body(body)?;
        if let Some(reply) = reply_to
            && store::conversations::message_conversation(&mut conn, reply).await? != Some(conversation)
        {
            return Err(Error::invalid("reply_to", "A reply answers a message of the same conversation."));
        }
        if joins {
            store::conversations::add_participant(&mut conn, conversation, viewer.user_id(), now).await?;
        }
        let message = NewMessage {
            id: MessageId::new(),
            conversation,
            author: viewer.user_id(),
            body: &body,
            reply_to,
        };
        store::conversations::insert_message(&mut conn, &message, now).await?;
        tx.commit().await?;
        Ok(message.id)
    }
}

/// Whether the viewer may write to a person, from the projects where they can meet: for a
/// contact and a member of staff, the projects both are on; none are needed otherwise
/// (`may_address` asks whether any one project allows it).
async fn addressable(conn: &mut Conn<'_>, viewer: &Viewer, person: &domain::users::User) -> Result<bool> {
    let meeting = match (viewer, person.client_org_id) {
        (Viewer::Staff { id, .. }, Some(org)) => store::projects::shared_by(conn, *id, org).await?,
        (Viewer::Client { org, .. }, None) => store::projects::shared_by(conn, person.id, *org).await?,
        _ => Vec::new(),
    };
    if meeting.is_empty() {
        let nowhere = AddresseeFacts {
            org: person.client_org_id,
            projects: &[],
        };
        return Ok(may_address(viewer, &nowhere));
    }
    // One project that lets the viewer write is enough: read them one at a time and stop at
    // the first, rather than reading every shared project's members up front.
    for project in meeting {
        let found = store::projects::with_members(conn, project).await?;
        let here = AddresseeFacts {
            org: person.client_org_id,
            projects: &[found.facts()],
        };
        if may_address(viewer, &here) {
            return Ok(true);
        }
    }
    Ok(false)
}
