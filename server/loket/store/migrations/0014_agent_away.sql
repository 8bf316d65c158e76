-- An agent who chose "away" stays away across a restart of the server, until they say
-- otherwise: their console reconnects by itself, and routing must not give chats to someone
-- on a break.
ALTER TABLE agents ADD COLUMN away INTEGER NOT NULL DEFAULT 0;
