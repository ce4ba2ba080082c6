-- A review on a project shared by several client organisations is addressed to one of them:
-- only that organisation's contacts see the prompt, the decision and its comment; the others
-- see the task's status only. Rounds, the task's current review and the activity events about
-- a review name the organisation they are addressed to.
ALTER TABLE review_rounds ADD COLUMN client_org_id BLOB REFERENCES client_orgs (id);
ALTER TABLE tasks ADD COLUMN review_org_id BLOB REFERENCES client_orgs (id);
ALTER TABLE activity ADD COLUMN audience_org_id BLOB REFERENCES client_orgs (id);

-- Rounds recorded before: addressed to the organisation of the contact who decided, or, when
-- undecided, to the project's client if it has exactly one. An undecided round on a project
-- with several clients stays addressed to none, so no client sees it until staff submit again.
UPDATE review_rounds SET client_org_id = (SELECT u.client_org_id FROM users u WHERE u.id = review_rounds.decided_by)
WHERE decided_by IS NOT NULL;
UPDATE review_rounds SET client_org_id = (
    SELECT pc.client_org_id FROM tasks t JOIN project_clients pc ON pc.project_id = t.project_id
    WHERE t.id = review_rounds.task_id LIMIT 1)
WHERE client_org_id IS NULL
  AND (SELECT COUNT(*) FROM tasks t JOIN project_clients pc ON pc.project_id = t.project_id WHERE t.id = review_rounds.task_id) = 1;
UPDATE tasks SET review_org_id = (
    SELECT r.client_org_id FROM review_rounds r WHERE r.task_id = tasks.id ORDER BY r.round DESC LIMIT 1)
WHERE review_state IS NOT NULL;
-- An event about a review was written with its round's time.
UPDATE activity SET audience_org_id = (
    SELECT r.client_org_id FROM review_rounds r
    WHERE r.task_id = activity.task_id AND (r.submitted_at = activity.created_at OR r.decided_at = activity.created_at)
    ORDER BY r.round DESC LIMIT 1)
WHERE kind IN ('review_submitted', 'review_approved', 'revisions_requested');
