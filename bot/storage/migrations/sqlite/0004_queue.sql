-- 0004: the author's queue grows up. A question can be merged into another (a duplicate, by
-- the bot or by the author): its asker then follows the other one and gets its answer, and
-- unmerging undoes exactly that. Votes remember whether a merge or a reaction added them, so
-- removing the reaction or undoing the merge removes just those. Questions can be asked
-- anonymously. Authors choose how they hear of new questions; admins can ignore identities.

ALTER TABLE questions ADD COLUMN merged_into INTEGER REFERENCES questions (id) ON DELETE SET NULL;
ALTER TABLE questions ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 0 CHECK (anonymous IN (0, 1));
CREATE INDEX questions_merged ON questions (merged_into) WHERE merged_into IS NOT NULL;

-- 'command' (!vote), 'reaction' (👍 on the question or its acknowledgement), 'merge' (the
-- asker of a question merged into this one); via_question: the merged question.
ALTER TABLE votes ADD COLUMN source TEXT NOT NULL DEFAULT 'command'
    CHECK (source IN ('command', 'reaction', 'merge'));
ALTER TABLE votes ADD COLUMN via_question INTEGER REFERENCES questions (id) ON DELETE CASCADE;

-- The bot's acknowledgement of each question, so a 👍 on it counts as a vote for it.
CREATE TABLE acknowledgements (
    platform     TEXT NOT NULL,
    channel      TEXT NOT NULL,
    message      TEXT NOT NULL,
    question_id  INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    PRIMARY KEY (platform, channel, message)
) WITHOUT ROWID;

-- How an author hears of new questions: a direct message each, one digest a day at
-- digest_at (HH:MM, UTC), or nothing.
CREATE TABLE author_prefs (
    user_key        TEXT PRIMARY KEY,
    notify          TEXT NOT NULL DEFAULT 'each' CHECK (notify IN ('each', 'digest', 'none')),
    digest_at       TEXT NOT NULL DEFAULT '09:00',
    last_digest_at  TEXT
) WITHOUT ROWID;

-- Identities whose questions are refused (politely), with who decided and why.
CREATE TABLE ignored (
    user_key  TEXT PRIMARY KEY,
    added_by  TEXT NOT NULL,
    added_at  TEXT NOT NULL,
    reason    TEXT
) WITHOUT ROWID;
