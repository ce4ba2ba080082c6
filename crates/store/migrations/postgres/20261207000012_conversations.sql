-- Conversations (issue 14): project discussions, direct messages and group chats, one model.
-- A conversation names its participants and at most one client organisation (checked by
-- domain::conversations when participants are set); a discussion belongs to a project.
CREATE TABLE conversations (
    id UUID PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('discussion', 'direct', 'group')),
    project_id UUID REFERENCES projects (id) ON DELETE CASCADE,
    client_org_id UUID REFERENCES client_orgs (id),
    title TEXT NOT NULL,
    created_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    -- The newest message's time (the creation time until then): lists are newest first.
    last_activity_at TIMESTAMPTZ NOT NULL,
    CHECK ((kind = 'discussion') = (project_id IS NOT NULL))
);
CREATE INDEX conversations_recent ON conversations (last_activity_at DESC, id DESC);
CREATE INDEX conversations_project ON conversations (project_id, last_activity_at DESC);

CREATE TABLE conversation_participants (
    conversation_id UUID NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id),
    added_at TIMESTAMPTZ NOT NULL,
    -- Read state: everything up to this moment has been seen.
    last_read_at TIMESTAMPTZ,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_participants_user ON conversation_participants (user_id, conversation_id);

-- Messages: Markdown as typed; an edit keeps the time of the last one, a delete leaves a
-- tombstone (the row stays, its body emptied) so replies and read markers keep their place.
CREATE TABLE messages (
    id UUID PRIMARY KEY NOT NULL,
    conversation_id UUID NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id UUID NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    reply_to_id UUID REFERENCES messages (id),
    created_at TIMESTAMPTZ NOT NULL,
    edited_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at DESC, id DESC);
