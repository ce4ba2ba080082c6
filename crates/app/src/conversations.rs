//! Conversations as people use them: the list, a conversation's messages, and writing one.
//! Who sees a conversation is the policy's (`Scope::conversations`); who may write in one is
//! decided here, before what they wrote is checked.

use crate::App;
use domain::access::Viewer;
use domain::conversations::ConversationKind;
use domain::ids::{ConversationId, MessageId};
use domain::text::markdown_body;
use domain::users::{Page, PageRequest};
use domain::{Error, Result};
use store::conversations::{Conversation, Message, NewMessage};
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
