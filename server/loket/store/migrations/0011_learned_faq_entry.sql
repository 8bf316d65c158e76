-- A learned pair whose answer was a FAQ entry's answer when it was learned (an agent gave
-- the entry's answer, picked from the console's search) follows that entry: it is one more
-- phrasing of it, answered with the entry's answer as the FAQ file says it now. NULL for
-- an answer of the agent's own, and once an admin edits the answer.
ALTER TABLE learned ADD COLUMN faq_entry TEXT;
