-- Who wrote a conversation's note (a transfer note or a closing summary), so that a later
-- close without a summary is not shown as if its agent had written the note. Notes
-- written before this column existed have no known author.
ALTER TABLE conversations ADD COLUMN note_by INTEGER REFERENCES agents (id);
