-- The agents routing passes over for a conversation: one who let it go unanswered or was
-- gone past the grace period (it was taken from them), or who handed it on. Kept while the
-- conversation is open, so a restart does not give it back to them; gone once it closes.
CREATE TABLE passed_over (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    agent_id        INTEGER NOT NULL REFERENCES agents (id),
    PRIMARY KEY (conversation_id, agent_id)
) WITHOUT ROWID;
