//! Client review of tasks: staff submit a task with a note, a client contact approves it or asks
//! for revisions with a comment, and every round stays on record.

use crate::ids::ClientOrgId;
use crate::text::multi_line;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Where a task with review enabled stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Submitted and waiting for the client.
    Pending,
    Approved,
    RevisionsRequested,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Pending => "pending",
            ReviewState::Approved => "approved",
            ReviewState::RevisionsRequested => "revisions_requested",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewState::Pending => "Awaiting review",
            ReviewState::Approved => "Approved",
            ReviewState::RevisionsRequested => "Revisions requested",
        }
    }
}

impl FromStr for ReviewState {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "pending" => Ok(ReviewState::Pending),
            "approved" => Ok(ReviewState::Approved),
            "revisions_requested" => Ok(ReviewState::RevisionsRequested),
            _ => Err(Error::invalid("review_state", "unknown review state")),
        }
    }
}

/// A client's answer to a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approved,
    RevisionsRequested,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        self.state().as_str()
    }

    pub fn state(self) -> ReviewState {
        match self {
            Decision::Approved => ReviewState::Approved,
            Decision::RevisionsRequested => ReviewState::RevisionsRequested,
        }
    }
}

impl FromStr for Decision {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "approved" | "approve" => Ok(Decision::Approved),
            "revisions_requested" | "request_revisions" => Ok(Decision::RevisionsRequested),
            _ => Err(Error::invalid("decision", "decision must be approve or request_revisions")),
        }
    }
}

/// Staff may submit a task for review when review is on and no round is open. An approved
/// task is asked again only by reopening its review, with a reason (`reopen_reason`), which
/// is for an approved task only. Returns the reason, normalised.
pub fn check_submission(review_enabled: bool, state: Option<ReviewState>, reopen_reason: Option<&str>) -> Result<Option<String>> {
    if !review_enabled {
        return Err(Error::invalid("review", "switch on client review for this task first"));
    }
    let reason = match reopen_reason.map(str::trim) {
        Some("") => return Err(Error::invalid("reopen_reason", "say why the approved review is reopened")),
        Some(reason) if reason.chars().count() > 2000 => {
            return Err(Error::invalid("reopen_reason", "the reason is at most 2,000 characters"));
        }
        reason => reason.map(str::to_owned),
    };
    match (state, &reason) {
        (Some(ReviewState::Pending), _) => Err(Error::conflict("review", "this task is already waiting for the client's review")),
        (Some(ReviewState::Approved), None) => Err(Error::conflict(
            "review",
            "the client approved this task; reopen the review, saying why, to ask them again",
        )),
        (Some(ReviewState::Approved), Some(_)) => Ok(reason),
        (_, Some(_)) => Err(Error::invalid("reopen_reason", "only an approved review is reopened")),
        (_, None) => Ok(None),
    }
}

/// The client organisation a new round is addressed to: the one chosen, which must be on the
/// project, or the project's only one. On a shared project staff must choose, because each
/// organisation sees only the reviews addressed to it.
pub fn addressed_organisation(project_orgs: &[ClientOrgId], chosen: Option<ClientOrgId>) -> Result<ClientOrgId> {
    match (chosen, project_orgs) {
        (_, []) => Err(Error::invalid(
            "organisation",
            "share the project with a client organisation before asking for a review",
        )),
        (Some(org), orgs) if orgs.contains(&org) => Ok(org),
        (Some(_), _) => Err(Error::invalid("organisation", "that organisation is not a client on this project")),
        (None, [only]) => Ok(*only),
        (None, _) => Err(Error::invalid(
            "organisation",
            "choose the client organisation that reviews this task: on a shared project each sees only its own reviews",
        )),
    }
}

/// A client may decide only an open round; asking for revisions needs a comment saying what.
/// Returns the comment, normalised.
pub fn check_decision(state: Option<ReviewState>, decision: Decision, comment: &str) -> Result<String> {
    if state != Some(ReviewState::Pending) {
        return Err(Error::conflict("review", "this task is not waiting for a review"));
    }
    let comment = multi_line("comment", comment, 10_000)?;
    if decision == Decision::RevisionsRequested && comment.trim().is_empty() {
        return Err(Error::invalid("comment", "say what should be revised"));
    }
    Ok(comment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_opens_only_with_review_on_and_none_pending() {
        assert!(check_submission(false, None, None).is_err());
        assert_eq!(check_submission(true, None, None).unwrap(), None);
        assert!(check_submission(true, Some(ReviewState::RevisionsRequested), None).is_ok());
        assert!(matches!(
            check_submission(true, Some(ReviewState::Pending), None),
            Err(Error::Conflict { .. })
        ));
    }

    #[test]
    fn an_approved_review_is_asked_again_only_by_reopening_it_with_a_reason() {
        let approved = Some(ReviewState::Approved);
        assert!(matches!(check_submission(true, approved, None), Err(Error::Conflict { .. })));
        assert!(matches!(check_submission(true, approved, Some("  ")), Err(Error::Invalid { .. })));
        assert_eq!(
            check_submission(true, approved, Some(" They want a print version. ")).unwrap(),
            Some("They want a print version.".to_owned())
        );
        let refused = check_submission(true, Some(ReviewState::RevisionsRequested), Some("why"));
        assert!(matches!(refused, Err(Error::Invalid { .. })), "nothing to reopen");
    }

    #[test]
    fn a_round_is_addressed_to_one_organisation_of_the_project() {
        let (acme, globex) = (ClientOrgId::new(), ClientOrgId::new());
        assert_eq!(addressed_organisation(&[acme], None).unwrap(), acme, "the only client");
        assert_eq!(addressed_organisation(&[acme, globex], Some(globex)).unwrap(), globex);
        let must_choose = addressed_organisation(&[acme, globex], None).unwrap_err();
        assert_eq!(must_choose.field(), Some("organisation"));
        assert!(addressed_organisation(&[acme], Some(globex)).is_err(), "not on the project");
        assert!(addressed_organisation(&[], None).is_err(), "no client to review");
    }

    #[test]
    fn revisions_need_a_comment_and_an_open_round() {
        assert_eq!(check_decision(Some(ReviewState::Pending), Decision::Approved, "").unwrap(), "");
        assert_eq!(
            check_decision(Some(ReviewState::Pending), Decision::RevisionsRequested, "  ")
                .unwrap_err()
                .field(),
            Some("comment")
        );
        assert!(check_decision(Some(ReviewState::Pending), Decision::RevisionsRequested, "Bigger logo").is_ok());
        assert!(matches!(
            check_decision(Some(ReviewState::Approved), Decision::Approved, ""),
            Err(Error::Conflict { .. })
        ));
        assert!(matches!(check_decision(None, Decision::Approved, ""), Err(Error::Conflict { .. })));
    }
}
