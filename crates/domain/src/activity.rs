//! The activity feed: what happened in a project, for the dashboards now and the
//! notifications later.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::ops::Range;
use std::str::FromStr;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    ProjectCreated,
    TaskCreated,
    TaskRequested,
    TaskMoved,
    TaskShared,
    TaskMadeInternal,
    CommentAdded,
    ReviewSubmitted,
    ReviewApproved,
    RevisionsRequested,
    MilestoneCreated,
    MilestoneCompleted,
    FileUploaded,
    FileVersionAdded,
    FileShared,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 15] = [
        ActivityKind::ProjectCreated,
        ActivityKind::TaskCreated,
        ActivityKind::TaskRequested,
        ActivityKind::TaskMoved,
        ActivityKind::TaskShared,
        ActivityKind::TaskMadeInternal,
        ActivityKind::CommentAdded,
        ActivityKind::ReviewSubmitted,
        ActivityKind::ReviewApproved,
        ActivityKind::RevisionsRequested,
        ActivityKind::MilestoneCreated,
        ActivityKind::MilestoneCompleted,
        ActivityKind::FileUploaded,
        ActivityKind::FileVersionAdded,
        ActivityKind::FileShared,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::ProjectCreated => "project_created",
            ActivityKind::TaskCreated => "task_created",
            ActivityKind::TaskRequested => "task_requested",
            ActivityKind::TaskMoved => "task_moved",
            ActivityKind::TaskShared => "task_shared",
            ActivityKind::TaskMadeInternal => "task_made_internal",
            ActivityKind::CommentAdded => "comment_added",
            ActivityKind::ReviewSubmitted => "review_submitted",
            ActivityKind::ReviewApproved => "review_approved",
            ActivityKind::RevisionsRequested => "revisions_requested",
            ActivityKind::MilestoneCreated => "milestone_created",
            ActivityKind::MilestoneCompleted => "milestone_completed",
            ActivityKind::FileUploaded => "file_uploaded",
            ActivityKind::FileVersionAdded => "file_version_added",
            ActivityKind::FileShared => "file_shared",
        }
    }

    /// Whether a client may see this kind of event at all. The item it is about must be
    /// visible to the client as well; the feed query checks that against the item's current
    /// state, so an event disappears from the portal the moment its item is made internal.
    pub fn client_safe(self) -> bool {
        !matches!(
            self,
            ActivityKind::ProjectCreated | ActivityKind::TaskMadeInternal | ActivityKind::TaskRequested
        )
    }

    /// The verb phrase of the feed: "Sam moved Homepage to In Progress".
    pub fn verb(self) -> &'static str {
        match self {
            ActivityKind::ProjectCreated => "created the project",
            ActivityKind::TaskCreated => "added the task",
            ActivityKind::TaskRequested => "requested the task",
            ActivityKind::TaskMoved => "moved",
            ActivityKind::TaskShared => "shared the task",
            ActivityKind::TaskMadeInternal => "made internal the task",
            ActivityKind::CommentAdded => "commented on",
            ActivityKind::ReviewSubmitted => "submitted for review",
            ActivityKind::ReviewApproved => "approved",
            ActivityKind::RevisionsRequested => "requested revisions on",
            ActivityKind::MilestoneCreated => "added the milestone",
            ActivityKind::FileUploaded => "uploaded",
            ActivityKind::FileVersionAdded => "uploaded a new version of",
            ActivityKind::FileShared => "shared the file",
            ActivityKind::MilestoneCompleted => "completed the milestone",
        }
    }
}

/// How far apart one person's events on one item may be and still read as one entry: a file
/// uploaded then shared, a card moved three times, a run of comments.
pub const BURST_GAP: Duration = Duration::minutes(10);

/// What decides whether two neighbouring events of a feed belong together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BurstKey {
    pub actor: Option<Uuid>,
    /// The item the event is about (its file, task or milestone), if any.
    pub item: Option<Uuid>,
    pub at: DateTime<Utc>,
}

/// Splits a feed (newest first) into bursts: runs of neighbouring events by one person on one
/// item, each within [`BURST_GAP`] of the next. An event with no actor or no item stands alone.
pub fn bursts(keys: &[BurstKey]) -> Vec<Range<usize>> {
    let mut runs: Vec<Range<usize>> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let joins = match runs.last() {
            Some(run) if key.actor.is_some() && key.item.is_some() => {
                let newer = &keys[run.end - 1];
                newer.actor == key.actor && newer.item == key.item && newer.at - key.at <= BURST_GAP
            }
            _ => false,
        };
        match runs.last_mut() {
            Some(run) if joins => run.end = i + 1,
            _ => runs.push(i..i + 1),
        }
    }
    runs
}

impl FromStr for ActivityKind {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        ActivityKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| crate::Error::internal(format!("unknown activity kind {s}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_staff_only_events_are_not_client_safe() {
        for kind in ActivityKind::ALL {
            assert_eq!(kind.as_str().parse::<ActivityKind>().unwrap(), kind);
        }
        assert!(!ActivityKind::TaskMadeInternal.client_safe());
        assert!(ActivityKind::CommentAdded.client_safe());
    }

    #[test]
    fn one_persons_run_of_events_on_one_item_is_one_burst() {
        let (sam, carla) = (Some(Uuid::from_u128(1)), Some(Uuid::from_u128(2)));
        let (logo, page) = (Some(Uuid::from_u128(10)), Some(Uuid::from_u128(11)));
        let start = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let at = |minutes_ago: i64| start - Duration::minutes(minutes_ago);
        let key = |actor, item, minutes_ago| BurstKey {
            actor,
            item,
            at: at(minutes_ago),
        };
        let feed = [
            key(sam, logo, 0),
            key(sam, logo, 4),
            key(sam, logo, 12), // 8 minutes before the one above: still the same burst
            key(sam, logo, 30), // 18 minutes earlier: a new entry
            key(carla, logo, 31),
            key(sam, page, 32),
            key(None, page, 33),
            key(None, page, 33), // no actor: each stands alone
            key(sam, None, 40),
            key(sam, None, 40), // no item: each stands alone
        ];
        assert_eq!(bursts(&feed), vec![0..3, 3..4, 4..5, 5..6, 6..7, 7..8, 8..9, 9..10]);
        assert!(bursts(&[]).is_empty());
    }
}
