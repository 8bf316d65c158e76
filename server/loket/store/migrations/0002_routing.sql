-- Routing and the bot: transfer notes, structured message metadata, callbacks.

ALTER TABLE conversations ADD COLUMN note TEXT;

-- JSON: what the widget needs beyond the text (bot answer id, "did you mean" choices, ...).
ALTER TABLE messages ADD COLUMN meta TEXT;

-- Questions shoppers left when nobody could come; the next shift answers them.
CREATE TABLE callbacks (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    shopper_id      INTEGER NOT NULL REFERENCES shoppers (id),
    question        TEXT    NOT NULL,
    email           TEXT,
    phone           TEXT,
    created_at      INTEGER NOT NULL,
    answered_at     INTEGER,
    agent_id        INTEGER REFERENCES agents (id)
);
CREATE INDEX callbacks_open ON callbacks (created_at) WHERE answered_at IS NULL;
