-- 0010: the hourly limit counts a member's edits of their questions as well as their new
-- questions (issue 19). That count read the whole audit log on every message taken; this
-- partial index holds only the asker's edits, by who and when.
CREATE INDEX question_events_edits_by_actor ON question_events (actor_key, at)
    WHERE note = 'edited by the asker';
