//! The activity feed: what happened in a project, for the dashboards now and the
//! notifications later.

use serde::Serialize;
use std::str::FromStr;

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
}
