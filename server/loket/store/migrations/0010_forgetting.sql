-- Deleting conversations (an erasure request, `store.keep_days`) finds what is kept of each
-- by index rather than by reading whole tables: the missed questions of a conversation, the
-- left questions of a shopper, and the conversations closed before a time.
CREATE INDEX misses_by_conversation ON misses (conversation_id);
CREATE INDEX callbacks_by_shopper ON callbacks (shopper_id);
CREATE INDEX conversations_closed ON conversations (closed_at) WHERE state = 'closed';
