-- The shopper's message a left question was stored as: a question is kept once per message,
-- however often its sender resends it (callbacks from before have none).
ALTER TABLE callbacks ADD COLUMN message_seq INTEGER;
CREATE UNIQUE INDEX callbacks_message ON callbacks (conversation_id, message_seq);
