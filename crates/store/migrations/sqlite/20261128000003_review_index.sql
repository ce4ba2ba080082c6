-- Pending reviews are listed per project among unarchived tasks. With the project alone in the
-- partial index, SQLite preferred tasks_progress (project, archived) and read every task of the
-- client's projects to find the few awaiting review.
DROP INDEX tasks_review;
CREATE INDEX tasks_review ON tasks (project_id, archived_at) WHERE review_state = 'pending';
