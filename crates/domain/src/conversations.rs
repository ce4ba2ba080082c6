//! Conversations: project discussions, direct messages and group chats, one model. Who sees
//! one is `access::conversation_visibility`; this module holds what a conversation is and
//! the rule every conversation keeps when it is made or changed: at most one client
//! organisation among its participants, so that no client learns another exists.

use crate::ids::{ClientOrgId, UserId};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// A thread inside a project ("General", "Launch"): the project's staff see it.
    Discussion,
    /// One to one.
    Direct,
    /// Named, with chosen participants.
    Group,
}

impl ConversationKind {
    pub const ALL: [ConversationKind; 3] = [ConversationKind::Discussion, ConversationKind::Direct, ConversationKind::Group];

    pub fn as_str(self) -> &'static str {
        match self {
            ConversationKind::Discussion => "discussion",
            ConversationKind::Direct => "direct",
            ConversationKind::Group => "group",
        }
    }

    pub fn parse(text: &str) -> Result<ConversationKind> {
        ConversationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| Error::invalid("kind", "a conversation is a discussion, a direct message or a group"))
    }
}

/// One participant as the rule needs them: who, and their client organisation (none for
/// staff and admins).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Participant {
    pub user: UserId,
    pub org: Option<ClientOrgId>,
}

/// Checks a conversation's participants and returns its client organisation (`None`: staff
/// only, an internal conversation). Refused: contacts of two organisations in one
/// conversation, a direct message that is not between two different people, and a
/// conversation nobody is in.
pub fn client_org_of(kind: ConversationKind, participants: &[Participant]) -> Result<Option<ClientOrgId>> {
    let mut people: Vec<UserId> = participants.iter().map(|p| p.user).collect();
    people.sort_unstable();
    people.dedup();
    match kind {
        ConversationKind::Direct if people.len() != 2 => {
            return Err(Error::invalid("participants", "A direct message is between two people."));
        }
        ConversationKind::Group if people.len() < 2 => {
            return Err(Error::invalid("participants", "A group needs at least two people."));
        }
        ConversationKind::Discussion if people.is_empty() => {
            return Err(Error::invalid("participants", "A discussion needs at least one participant."));
        }
        _ => {}
    }
    let mut orgs = participants.iter().filter_map(|p| p.org);
    let first = orgs.next();
    if orgs.any(|other| Some(other) != first) {
        return Err(Error::invalid(
            "participants",
            "A conversation includes contacts of one client organisation at most: start one per client.",
        ));
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff() -> Participant {
        Participant {
            user: UserId::new(),
            org: None,
        }
    }

    fn contact(org: ClientOrgId) -> Participant {
        Participant {
            user: UserId::new(),
            org: Some(org),
        }
    }

    #[test]
    fn a_conversation_has_one_client_organisation_at_most() {
        let (acme, globex) = (ClientOrgId::new(), ClientOrgId::new());
        let team = [staff(), staff()];
        assert_eq!(client_org_of(ConversationKind::Group, &team).unwrap(), None, "staff only: internal");
        let with_acme = [staff(), contact(acme), contact(acme)];
        assert_eq!(client_org_of(ConversationKind::Discussion, &with_acme).unwrap(), Some(acme));
        let both = [staff(), contact(acme), contact(globex)];
        for kind in [ConversationKind::Discussion, ConversationKind::Group] {
            let refused = client_org_of(kind, &both).unwrap_err();
            assert!(matches!(refused, Error::Invalid { field: "participants", .. }), "{refused:?}");
        }
    }

    #[test]
    fn a_direct_message_is_between_two_different_people() {
        let (one, other) = (staff(), staff());
        assert_eq!(client_org_of(ConversationKind::Direct, &[one, other]).unwrap(), None);
        for refused in [vec![one], vec![one, one], vec![one, other, staff()]] {
            assert!(client_org_of(ConversationKind::Direct, &refused).is_err(), "{refused:?}");
        }
        assert!(client_org_of(ConversationKind::Group, &[one]).is_err());
        assert!(client_org_of(ConversationKind::Discussion, &[]).is_err());
    }

    #[test]
    fn kinds_read_back_from_their_words() {
        for kind in ConversationKind::ALL {
            assert_eq!(ConversationKind::parse(kind.as_str()).unwrap(), kind);
        }
        assert!(ConversationKind::parse("channel").is_err());
    }
}
