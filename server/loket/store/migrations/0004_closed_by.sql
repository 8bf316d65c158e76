-- Who closed a conversation: an agent (or admin), or nobody (the server closed a quiet
-- conversation with the bot). Conversations closed before this column existed were closed
-- by agents; their agent is the best record of who.
ALTER TABLE conversations ADD COLUMN closed_by INTEGER REFERENCES agents (id);
UPDATE conversations SET closed_by = agent_id WHERE state = 'closed';
