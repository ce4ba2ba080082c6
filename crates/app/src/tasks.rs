//! Tasks: the board, creating and editing cards, moving them, sharing them with clients, and
//! the requests clients may file.

use crate::App;
use crate::projects::managed;
use domain::access::{Viewer, may_request_task};
use domain::activity::ActivityKind;
use domain::ids::{ColumnId, MilestoneId, ProjectId, TaskId, UserId};
use domain::tasks::{TaskDetails, position_between};
use domain::users::Role;
use domain::{Error, Result};
use serde::Serialize;
use store::Conn;
use store::projects::BoardColumn;
use store::scope::Scope;
use store::tasks::{Assignee, BOARD_LIMIT, Task, TaskFilter};

/// A card as one viewer sees it.
#[derive(Clone, Debug, Serialize)]
pub struct Card {
    pub task: Task,
    /// Empty when the viewer may not see assignees.
    pub assignees: Vec<Assignee>,
}

/// A project's board: its columns with their cards, in order.
#[derive(Clone, Debug, Serialize)]
pub struct Board {
    pub project: store::projects::Project,
    pub columns: Vec<(BoardColumn, Vec<Card>)>,
    /// More cards matched than one board shows; the viewer should filter.
    pub truncated: bool,
}

/// Where to drop a card: a column, and the card it goes right after (`None`: the top).
#[derive(Clone, Copy, Debug)]
pub struct Drop {
    pub column: ColumnId,
    pub after: Option<TaskId>,
}

/// One step of a card on the board.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Up,
    Down,
    Previous,
    Next,
}

impl std::str::FromStr for Step {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "up" => Ok(Step::Up),
            "down" => Ok(Step::Down),
            "previous" => Ok(Step::Previous),
            "next" => Ok(Step::Next),
            _ => Err(Error::invalid("step", "step must be up, down, previous or next")),
        }
    }
}

/// How a card moves: to a place, or one step.
enum Move {
    To(Drop),
    Step(Step),
}

/// Where a step takes a card, from the order of the one column it concerns (its own for up
/// and down, the neighbour for previous and next); `None` past the edge of the board.
async fn step_target(conn: &mut Conn<'_>, task: &Task, columns: &[BoardColumn], step: Step) -> Result<Option<Drop>> {
    let here = columns.iter().position(|c| c.id == task.column_id).ok_or(Error::NotFound)?;
    let neighbour = match step {
        Step::Up | Step::Down => Some(here),
        Step::Previous => here.checked_sub(1),
        Step::Next => Some(here + 1).filter(|i| *i < columns.len()),
    };
    let Some(target) = neighbour else { return Ok(None) };
    let column = columns[target].id;
    let cards = store::tasks::column_order(conn, column).await?;
    let index = cards.iter().position(|card| *card == task.id);
    Ok(match (step, index) {
        (Step::Up, Some(i)) if i > 0 => Some(Drop {
            column,
            after: i.checked_sub(2).map(|k| cards[k]),
        }),
        (Step::Down, Some(i)) if i + 1 < cards.len() => Some(Drop {
            column,
            after: Some(cards[i + 1]),
        }),
        (Step::Previous | Step::Next, _) => Some(Drop {
            column,
            after: cards.last().copied(),
        }),
        _ => None,
    })
}

/// The fields of a task besides its details.
#[derive(Clone, Debug, Default)]
pub struct TaskSettings {
    pub column: Option<ColumnId>,
    pub milestone: Option<MilestoneId>,
    pub assignees: Vec<UserId>,
    pub client_visible: bool,
    pub review_enabled: bool,
}

impl App {
    /// The board (or the list, paginated) of a project as the viewer sees it.
    pub async fn board(&self, viewer: &Viewer, project: ProjectId, filter: &TaskFilter) -> Result<Board> {
        let scope = Scope::new(viewer);
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let found = store::projects::get(&mut conn, &scope, project).await?;
        let columns = store::projects::columns(&mut conn, project).await?;
        let mut tasks = store::tasks::list_page(&mut conn, &scope, project, filter, BOARD_LIMIT + 1, 0).await?;
        let truncated = tasks.len() as i64 > BOARD_LIMIT;
        tasks.truncate(BOARD_LIMIT as usize);
        let show_assignees = domain::access::sees_assignees(viewer, found.show_assignees);
        let cards = self::cards(&mut conn, tasks, show_assignees).await?;
        let mut by_column: Vec<(BoardColumn, Vec<Card>)> = columns.into_iter().map(|c| (c, Vec::new())).collect();
        for card in cards {
            if let Some((_, list)) = by_column.iter_mut().find(|(c, _)| c.id == card.task.column_id) {
                list.push(card);
            }
        }
        Ok(Board {
            project: found,
            columns: by_column,
            truncated,
        })
    }

    /// A page of a project's tasks in board order, for the list view and the API.
    pub async fn tasks(
        &self,
        viewer: &Viewer,
        project: ProjectId,
        filter: &TaskFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<Card>, i64)> {
        let scope = Scope::new(viewer);
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let found = store::projects::get(&mut conn, &scope, project).await?;
        let (tasks, total) = store::tasks::list(&mut conn, &scope, project, filter, limit.clamp(1, 200), offset.max(0)).await?;
        let show_assignees = domain::access::sees_assignees(viewer, found.show_assignees);
        Ok((self::cards(&mut conn, tasks, show_assignees).await?, total))
    }

    /// One task as the viewer sees it.
    pub async fn task(&self, viewer: &Viewer, project: ProjectId, id: TaskId) -> Result<Card> {
        let scope = Scope::new(viewer);
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let found = store::projects::get(&mut conn, &scope, project).await?;
        let task = store::tasks::get(&mut conn, &scope, project, id).await?;
        let show_assignees = domain::access::sees_assignees(viewer, found.show_assignees);
        Ok(self::cards(&mut conn, vec![task], show_assignees).await?.remove(0))
    }

    pub async fn create_task(&self, viewer: &Viewer, project: ProjectId, details: &TaskDetails, settings: &TaskSettings) -> Result<TaskId> {
        let now = self.now();
        let id = TaskId::new();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let found = managed(&mut conn, viewer, project).await?;
        store::projects::lock(&mut conn, project).await?;
        let columns = store::projects::columns(&mut conn, project).await?;
        let column = match settings.column {
            Some(id) => columns
                .iter()
                .find(|c| c.id == id)
                .ok_or_else(|| Error::invalid("column", "choose a column of this board"))?,
            None => columns.first().ok_or_else(|| Error::internal("a board without columns"))?,
        };
        check_task_links(&mut conn, project, &found.staff, settings).await?;
        let position = bottom_of(&mut conn, column.id).await?;
        let new = store::tasks::NewTask {
            id,
            project,
            column: column.id,
            position,
            details,
            milestone: settings.milestone,
            client_visible: settings.client_visible,
            review_enabled: settings.review_enabled,
            requested_by: None,
            created_by: Some(viewer.user_id()),
            completed_at: column.is_done.then_some(now),
        };
        store::tasks::insert(&mut conn, &new, now).await?;
        store::tasks::set_assignees(&mut conn, id, &settings.assignees).await?;
        let event = store::activity::NewEvent {
            project,
            actor: Some(viewer.user_id()),
            task: Some(id),
            ..Default::default()
        };
        store::activity::record(&mut conn, ActivityKind::TaskCreated, &event, now).await?;
        store::projects::touch(&mut conn, project, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn update_task(
        &self,
        viewer: &Viewer,
        project: ProjectId,
        id: TaskId,
        details: &TaskDetails,
        settings: &TaskSettings,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let found = managed(&mut conn, viewer, project).await?;
        store::tasks::get_unscoped(&mut conn, project, id).await?;
        check_task_links(&mut conn, project, &found.staff, settings).await?;
        store::tasks::update(&mut conn, project, id, details, settings.milestone, now).await?;
        store::tasks::set_assignees(&mut conn, id, &settings.assignees).await?;
        tx.commit().await
    }

    /// Moves a card. Moves are serialised per project and expressed relative to a neighbour,
    /// so two people moving cards at once both get what they asked for, in some order.
    pub async fn move_task(&self, viewer: &Viewer, project: ProjectId, id: TaskId, target: Drop) -> Result<()> {
        self.move_by(viewer, project, id, Move::To(target)).await
    }

    /// Moves a card one step (the keyboard's and the script-free board's move): up or down in
    /// its column, or to the bottom of the previous or next column, worked out from the board
    /// as it is at that moment. A step past the edge of the board changes nothing.
    pub async fn step_task(&self, viewer: &Viewer, project: ProjectId, id: TaskId, step: Step) -> Result<()> {
        self.move_by(viewer, project, id, Move::Step(step)).await
    }

    async fn move_by(&self, viewer: &Viewer, project: ProjectId, id: TaskId, how: Move) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, project).await?;
        store::projects::lock(&mut conn, project).await?;
        let task = store::tasks::get_unscoped(&mut conn, project, id).await?;
        let columns = store::projects::columns(&mut conn, project).await?;
        let target = match how {
            Move::To(drop) => Some(drop),
            Move::Step(step) => step_target(&mut conn, &task, &columns, step).await?,
        };
        let Some(target) = target else { return Ok(()) };
        let column = columns
            .iter()
            .find(|c| c.id == target.column)
            .ok_or_else(|| Error::invalid("column", "choose a column of this board"))?;
        self.place(&mut conn, &task, column, target.after, now).await?;
        if task.column_id != column.id {
            let event = store::activity::NewEvent {
                project,
                actor: Some(viewer.user_id()),
                task: Some(id),
                detail: column.name.clone(),
                ..Default::default()
            };
            store::activity::record(&mut conn, ActivityKind::TaskMoved, &event, now).await?;
        }
        store::projects::touch(&mut conn, project, now).await?;
        tx.commit().await
    }

    /// Puts a task into a column after a neighbour, making room if the neighbours are too close.
    pub(crate) async fn place(
        &self,
        conn: &mut Conn<'_>,
        task: &Task,
        column: &BoardColumn,
        after: Option<TaskId>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let column_id = column.id;
        let moving = task.id;
        let mut attempt = 0;
        let position = loop {
            let above = match after {
                Some(neighbour) if neighbour != moving => {
                    let n = store::tasks::get_unscoped(conn, task.project_id, neighbour).await?;
                    if n.column_id != column.id {
                        return Err(Error::invalid("after", "the card to drop after is in another column"));
                    }
                    Some(n.position)
                }
                _ => None,
            };
            let below = store::tasks::next_position(conn, column_id, above, moving).await?;
            match position_between(above, below) {
                Some(position) => break position,
                None if attempt == 0 => {
                    store::tasks::renumber_column(conn, column_id).await?;
                    attempt += 1;
                }
                None => return Err(Error::internal("no room in a renumbered column")),
            }
        };
        let completed_at = match (column.is_done, task.completed_at) {
            (true, Some(done)) => Some(done),
            (true, None) => Some(now),
            (false, _) => None,
        };
        store::tasks::place(conn, moving, column_id, position, completed_at, now).await
    }

    /// Shares a task with the project's clients or makes it internal again; the portal
    /// follows on its next request.
    pub async fn set_task_visibility(&self, viewer: &Viewer, project: ProjectId, id: TaskId, visible: bool) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, project).await?;
        let task = store::tasks::get_unscoped(&mut conn, project, id).await?;
        if task.client_visible == visible {
            return Ok(());
        }
        store::tasks::set_client_visible(&mut conn, project, id, visible, now).await?;
        let kind = if visible {
            ActivityKind::TaskShared
        } else {
            ActivityKind::TaskMadeInternal
        };
        let event = store::activity::NewEvent {
            project,
            actor: Some(viewer.user_id()),
            task: Some(id),
            ..Default::default()
        };
        store::activity::record(&mut conn, kind, &event, now).await?;
        tx.commit().await
    }

    pub async fn set_task_review(&self, viewer: &Viewer, project: ProjectId, id: TaskId, enabled: bool) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, project).await?;
        store::tasks::set_review_enabled(&mut conn, project, id, enabled, self.now()).await?;
        tx.commit().await
    }

    pub async fn archive_task(&self, viewer: &Viewer, project: ProjectId, id: TaskId, archived: bool) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, project).await?;
        store::tasks::set_archived(&mut conn, project, id, archived.then_some(now), now).await?;
        tx.commit().await
    }

    /// A client's request for a new task: it lands internal, in the first column, for staff
    /// to triage, and tells staff (never other clients) who asked.
    pub async fn request_task(&self, viewer: &Viewer, project: ProjectId, input: &domain::tasks::TaskInput<'_>) -> Result<TaskId> {
        let Viewer::Client { contact, org, .. } = *viewer else {
            return Err(Error::Forbidden);
        };
        let now = self.now();
        let id = TaskId::new();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let found = store::projects::with_members(&mut conn, project).await?;
        may_request_task(viewer, &found.facts()).map_err(|hidden| match hidden {
            domain::access::Hidden::PermissionOff { .. } => Error::Forbidden,
            _ => Error::NotFound,
        })?;
        let details = &TaskDetails::parse(input)?;
        store::projects::lock(&mut conn, project).await?;
        let columns = store::projects::columns(&mut conn, project).await?;
        let column = columns.first().ok_or_else(|| Error::internal("a board without columns"))?;
        let position = bottom_of(&mut conn, column.id).await?;
        let new = store::tasks::NewTask {
            id,
            project,
            column: column.id,
            position,
            details,
            milestone: None,
            client_visible: false,
            review_enabled: false,
            requested_by: Some(org),
            created_by: Some(contact),
            completed_at: None,
        };
        store::tasks::insert(&mut conn, &new, now).await?;
        let event = store::activity::NewEvent {
            project,
            actor: Some(contact),
            task: Some(id),
            ..Default::default()
        };
        store::activity::record(&mut conn, ActivityKind::TaskRequested, &event, now).await?;
        tx.commit().await?;
        Ok(id)
    }
}

async fn cards(conn: &mut Conn<'_>, tasks: Vec<Task>, show_assignees: bool) -> Result<Vec<Card>> {
    let mut assignees = match tasks.first() {
        // Many cards of one project: every assignee of the project in one query.
        Some(first) if show_assignees && tasks.len() > 20 => store::tasks::assignees_in_project(conn, first.project_id).await?,
        Some(_) if show_assignees => {
            let ids: Vec<TaskId> = tasks.iter().map(|t| t.id).collect();
            store::tasks::assignees_of(conn, &ids).await?
        }
        _ => Default::default(),
    };
    Ok(tasks
        .into_iter()
        .map(|task| Card {
            assignees: assignees.remove(&task.id).unwrap_or_default(),
            task,
        })
        .collect())
}

async fn bottom_of(conn: &mut Conn<'_>, column: ColumnId) -> Result<i64> {
    let last = store::tasks::last_position(conn, column).await?;
    position_between(last, None).ok_or_else(|| Error::internal("a column's positions are exhausted"))
}

/// Assignees must be staff on the project (or admins); a milestone must be the project's.
async fn check_task_links(conn: &mut Conn<'_>, project: ProjectId, staff: &[UserId], settings: &TaskSettings) -> Result<()> {
    for id in &settings.assignees {
        if !staff.contains(id) {
            let person = store::users::get(conn, *id)
                .await
                .map_err(|_| Error::invalid("assignees", "choose people from the list"))?;
            if person.role != Role::Admin {
                return Err(Error::invalid("assignees", format!("{} is not on this project", person.name)));
            }
        }
    }
    if let Some(milestone) = settings.milestone
        && !store::milestones::belongs_to(conn, project, milestone).await?
    {
        return Err(Error::invalid("milestone", "choose a milestone of this project"));
    }
    Ok(())
}
