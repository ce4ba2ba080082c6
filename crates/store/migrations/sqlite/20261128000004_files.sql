-- Project files, task attachments and client uploads. Each version's bytes live in storage
-- under an opaque key; a version's row is written only once its object is complete, so an
-- interrupted upload leaves no row (and the media check finds any object left without one).
-- Kept in lockstep with ../postgres/20261128000004_files.sql.

-- An optional cap on the bytes a project's files may take (every version counts).
ALTER TABLE projects ADD COLUMN storage_quota_bytes BIGINT;

CREATE TABLE file_folders (
    id BLOB PRIMARY KEY NOT NULL,
    project_id BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    parent_id BLOB REFERENCES file_folders (id),
    -- The parent folder, or the project for a top-level folder: names are unique per place.
    place_id BLOB NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    created_by BLOB REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX file_folders_name ON file_folders (place_id, name_key);
CREATE INDEX file_folders_project ON file_folders (project_id);

CREATE TABLE files (
    id BLOB PRIMARY KEY NOT NULL,
    project_id BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    folder_id BLOB REFERENCES file_folders (id),
    task_id BLOB REFERENCES tasks (id) ON DELETE CASCADE,
    -- The folder, the task, or the project for a top-level file: where a name is unique.
    place_id BLOB NOT NULL,
    -- Whose versions a name collects: the uploader's client organisation, or the project for
    -- staff files. A client's upload never becomes a version of a file they cannot see.
    owner_key BLOB NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    client_visible BOOLEAN NOT NULL,
    uploader_org_id BLOB REFERENCES client_orgs (id),
    -- Of the current version, for lists.
    version_count BIGINT NOT NULL,
    size_bytes BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    created_by BLOB REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    deleted_by BLOB REFERENCES users (id)
);
CREATE UNIQUE INDEX files_name ON files (place_id, owner_key, name_key) WHERE deleted_at IS NULL;
-- A folder's (or task's) listing in name order, a page at a time.
CREATE INDEX files_place ON files (place_id, name_key, id) WHERE deleted_at IS NULL;
-- The trash and the per-project storage figures.
CREATE INDEX files_project ON files (project_id, deleted_at);

CREATE TABLE file_versions (
    id BLOB PRIMARY KEY NOT NULL,
    file_id BLOB NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    object_key TEXT NOT NULL UNIQUE,
    size_bytes BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by BLOB REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (file_id, number)
);

-- File events in the activity feed are checked against the file's current visibility.
ALTER TABLE activity ADD COLUMN file_id BLOB REFERENCES files (id) ON DELETE CASCADE;
