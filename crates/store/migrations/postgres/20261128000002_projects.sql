-- Clients, projects, boards, tasks, comments, milestones, review rounds and the activity feed.
-- Kept in lockstep with ../sqlite/20261128000002_projects.sql (a test compares them).
-- Times are written by the application, never by SQL defaults.

ALTER TABLE client_orgs ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE client_orgs ADD COLUMN billing_address TEXT NOT NULL DEFAULT '';
ALTER TABLE client_orgs ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE client_orgs ADD COLUMN website TEXT NOT NULL DEFAULT '';
ALTER TABLE client_orgs ADD COLUMN tax_id TEXT NOT NULL DEFAULT '';
ALTER TABLE client_orgs ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD';
ALTER TABLE client_orgs ADD COLUMN notes TEXT NOT NULL DEFAULT '';
-- Bits of domain::access::Permission; 1019 is every permission but task requests.
ALTER TABLE client_orgs ADD COLUMN portal_permissions BIGINT NOT NULL DEFAULT 1019;
ALTER TABLE client_orgs ADD COLUMN primary_contact_id UUID REFERENCES users (id);
ALTER TABLE client_orgs ADD COLUMN archived_at TIMESTAMPTZ;
CREATE INDEX client_orgs_name ON client_orgs (name);

-- A contact's own narrowing of the organisation's permissions; NULL means the organisation's.
ALTER TABLE users ADD COLUMN portal_permissions BIGINT;
-- The team pickers (admins and staff among thousands of client contacts).
CREATE INDEX users_role ON users (role, name);

CREATE TABLE projects (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'on_hold', 'completed')),
    start_date DATE,
    deadline DATE,
    show_assignees BOOLEAN NOT NULL,
    review_column_id UUID,
    revisions_column_id UUID,
    approved_column_id UUID,
    archived_at TIMESTAMPTZ,
    created_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX projects_status ON projects (status, deadline);

CREATE TABLE project_staff (
    project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_staff_user ON project_staff (user_id, project_id);

CREATE TABLE project_clients (
    project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    client_org_id UUID NOT NULL REFERENCES client_orgs (id),
    PRIMARY KEY (project_id, client_org_id)
);
CREATE INDEX project_clients_org ON project_clients (client_org_id, project_id);

CREATE TABLE board_columns (
    id UUID PRIMARY KEY NOT NULL,
    project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    is_done BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX board_columns_project ON board_columns (project_id, position);

CREATE TABLE milestones (
    id UUID PRIMARY KEY NOT NULL,
    project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    target_date DATE,
    completed_at TIMESTAMPTZ,
    client_visible BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX milestones_project ON milestones (project_id, target_date);

CREATE TABLE tasks (
    id UUID PRIMARY KEY NOT NULL,
    project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    column_id UUID NOT NULL REFERENCES board_columns (id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    priority TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    start_date DATE,
    due_date DATE,
    milestone_id UUID REFERENCES milestones (id) ON DELETE SET NULL,
    client_visible BOOLEAN NOT NULL,
    review_enabled BOOLEAN NOT NULL,
    review_state TEXT CHECK (review_state IN ('pending', 'approved', 'revisions_requested')),
    requested_by_org_id UUID REFERENCES client_orgs (id),
    created_by UUID REFERENCES users (id),
    completed_at TIMESTAMPTZ,
    archived_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX tasks_board ON tasks (project_id, column_id, position);
-- A column's order (moves), and progress counts answered from the index alone.
CREATE INDEX tasks_column ON tasks (column_id, position);
CREATE INDEX tasks_progress ON tasks (project_id, archived_at, client_visible, completed_at);
CREATE INDEX tasks_milestone ON tasks (milestone_id);
CREATE INDEX tasks_review ON tasks (project_id) WHERE review_state = 'pending';

CREATE TABLE task_assignees (
    task_id UUID NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id),
    PRIMARY KEY (task_id, user_id)
);
CREATE INDEX task_assignees_user ON task_assignees (user_id, task_id);

CREATE TABLE comments (
    id UUID PRIMARY KEY NOT NULL,
    task_id UUID NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    author_id UUID NOT NULL REFERENCES users (id),
    author_org_id UUID REFERENCES client_orgs (id),
    body TEXT NOT NULL,
    internal BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    edited_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ,
    deleted_by UUID REFERENCES users (id)
);
CREATE INDEX comments_task ON comments (task_id, created_at);

-- Earlier bodies of edited or deleted comments: the trace an edit leaves.
CREATE TABLE comment_revisions (
    id UUID PRIMARY KEY NOT NULL,
    comment_id UUID NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    replaced_at TIMESTAMPTZ NOT NULL,
    replaced_by UUID NOT NULL REFERENCES users (id)
);
CREATE INDEX comment_revisions_comment ON comment_revisions (comment_id, replaced_at);

CREATE TABLE comment_mentions (
    comment_id UUID NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id),
    PRIMARY KEY (comment_id, user_id)
);

CREATE TABLE review_rounds (
    id UUID PRIMARY KEY NOT NULL,
    task_id UUID NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    round BIGINT NOT NULL,
    submitted_by UUID NOT NULL REFERENCES users (id),
    submitted_at TIMESTAMPTZ NOT NULL,
    note TEXT NOT NULL,
    decision TEXT CHECK (decision IN ('approved', 'revisions_requested')),
    decided_by UUID REFERENCES users (id),
    decided_at TIMESTAMPTZ,
    decision_comment TEXT,
    UNIQUE (task_id, round)
);

CREATE TABLE activity (
    id UUID PRIMARY KEY NOT NULL,
    project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    actor_id UUID REFERENCES users (id),
    kind TEXT NOT NULL,
    task_id UUID REFERENCES tasks (id) ON DELETE CASCADE,
    milestone_id UUID REFERENCES milestones (id) ON DELETE CASCADE,
    comment_id UUID REFERENCES comments (id) ON DELETE CASCADE,
    client_safe BOOLEAN NOT NULL,
    detail TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX activity_project ON activity (project_id, created_at, id);
CREATE INDEX activity_recent ON activity (created_at);
