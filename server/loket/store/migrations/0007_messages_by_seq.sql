-- A message is found by its conversation and sequence number alone. A resent message is
-- recognised by the client ids Loket keeps for each live conversation (read back from
-- here when a conversation is loaded), so the second unique index, on
-- (conversation_id, client_id), is gone: it doubled what each insert changed. SQLite
-- cannot drop a table constraint, so the table is rebuilt; nothing refers to it.

-- Rows that break a foreign key already (left by a hand-made delete) are copied as they
-- are: checked at COMMIT, where the copy and the dropped original cancel out.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE messages_by_seq (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    seq             INTEGER NOT NULL,
    client_id       TEXT    NOT NULL,
    author          TEXT    NOT NULL CHECK (author IN ('shopper', 'agent', 'bot', 'system')),
    agent_id        INTEGER REFERENCES agents (id),
    text            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    meta            TEXT,
    UNIQUE (conversation_id, seq)
);
INSERT INTO messages_by_seq
    (id, conversation_id, seq, client_id, author, agent_id, text, created_at, meta)
    SELECT id, conversation_id, seq, client_id, author, agent_id, text, created_at, meta
    FROM messages;
DROP TABLE messages;
ALTER TABLE messages_by_seq RENAME TO messages;
