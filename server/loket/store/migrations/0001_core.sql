-- Core schema: agents and their sessions, shoppers, conversations, messages.
-- Times are integer milliseconds since the Unix epoch (UTC).

CREATE TABLE agents (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE agent_sessions (
    token_hash TEXT    PRIMARY KEY,
    agent_id   INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX agent_sessions_expiry ON agent_sessions (expires_at);

CREATE TABLE shoppers (
    id           INTEGER PRIMARY KEY,
    public_id    TEXT    NOT NULL UNIQUE,
    customer_id  TEXT    UNIQUE,
    name         TEXT,
    email        TEXT,
    locale       TEXT,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);

CREATE TABLE conversations (
    id               INTEGER PRIMARY KEY,
    shopper_id       INTEGER NOT NULL REFERENCES shoppers (id),
    state            TEXT    NOT NULL CHECK (state IN ('bot', 'queued', 'assigned', 'closed')),
    agent_id         INTEGER REFERENCES agents (id),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    queued_at        INTEGER,
    assigned_at      INTEGER,
    closed_at        INTEGER,
    shopper_read_seq INTEGER NOT NULL DEFAULT 0,
    agent_read_seq   INTEGER NOT NULL DEFAULT 0,
    locale           TEXT,
    page_url         TEXT,
    page_title       TEXT
);
CREATE INDEX conversations_by_shopper ON conversations (shopper_id, id);
CREATE INDEX conversations_open ON conversations (state) WHERE state != 'closed';

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    seq             INTEGER NOT NULL,
    client_id       TEXT    NOT NULL,
    author          TEXT    NOT NULL CHECK (author IN ('shopper', 'agent', 'bot', 'system')),
    agent_id        INTEGER REFERENCES agents (id),
    text            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (conversation_id, seq),
    UNIQUE (conversation_id, client_id)
);
