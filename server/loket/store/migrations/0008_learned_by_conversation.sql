-- The pairs kept in one conversation are looked up when an agent's reusable reply takes a
-- question over from their holding reply ("let me check"): through an index, not by reading
-- every pair the shop ever learned.
CREATE INDEX learned_by_conversation ON learned (conversation_id, id);
