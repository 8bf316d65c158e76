-- What the bot learns and what shoppers tell us about it.

-- Question/answer pairs taken from agents' replies: candidates until reviewed.
CREATE TABLE learned (
    id              INTEGER PRIMARY KEY,
    question        TEXT    NOT NULL,
    answer          TEXT    NOT NULL,
    language        TEXT,
    agent_id        INTEGER REFERENCES agents (id),
    conversation_id INTEGER REFERENCES conversations (id),
    status          TEXT    NOT NULL CHECK (status IN ('candidate', 'approved', 'rejected')),
    -- JSON list of the kinds of personal data found ("email", "phone", ...); empty: none.
    personal        TEXT    NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL,
    reviewed_at     INTEGER,
    reviewed_by     TEXT
);
CREATE INDEX learned_by_status ON learned (status, id);

-- Questions the bot could not answer, or whose answer did not help.
CREATE TABLE misses (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER REFERENCES conversations (id),
    question        TEXT    NOT NULL,
    language        TEXT,
    reason          TEXT    NOT NULL CHECK (reason IN ('unknown', 'unhelpful')),
    entry_id        TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX misses_by_time ON misses (created_at);

CREATE TABLE bot_feedback (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    seq             INTEGER NOT NULL,
    entry_id        TEXT,
    helpful         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);

CREATE TABLE ratings (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id),
    agent_id        INTEGER REFERENCES agents (id),
    rating          INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment         TEXT,
    created_at      INTEGER NOT NULL
);
