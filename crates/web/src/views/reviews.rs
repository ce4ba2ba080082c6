//! A review round as the staff task page and the portal's task page show its trail.

pub struct RoundRow {
    pub round: i64,
    pub submitted_by: String,
    pub submitted_at: chrono::DateTime<chrono::Utc>,
    pub note: String,
    pub decision: Option<&'static str>,
    pub decided_by: String,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    pub comment: String,
    /// The client organisation the round is addressed to (shown to staff).
    pub addressed_to: String,
    /// Why an approved review was asked again.
    pub reopen_reason: String,
}

impl RoundRow {
    pub fn new(round: &store::reviews::Round) -> Self {
        RoundRow {
            round: round.round,
            submitted_by: round.submitted_by.clone().unwrap_or_else(|| "The team".into()),
            submitted_at: round.submitted_at,
            note: round.note.clone(),
            decision: round.decision.map(|d| d.state().label()),
            decided_by: round.decided_by.clone().unwrap_or_default(),
            decided_at: round.decided_at,
            comment: round.decision_comment.clone().unwrap_or_default(),
            addressed_to: round.client_org_name.clone().unwrap_or_default(),
            reopen_reason: round.reopen_reason.clone().unwrap_or_default(),
        }
    }
}
