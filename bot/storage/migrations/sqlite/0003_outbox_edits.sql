-- 0003: edits go through the outbox too (an updated feed entry edits its posted summaries),
-- so a failed edit is retried like any send instead of being lost. SQLite cannot alter a
-- CHECK constraint, so the table is rebuilt with 'edit' allowed as an op and a purpose.

CREATE TABLE outbox_new (
    id               INTEGER PRIMARY KEY,
    key              TEXT NOT NULL UNIQUE,
    op               TEXT NOT NULL
                     CHECK (op IN ('post', 'open_thread', 'reply', 'react', 'dm', 'edit')),
    platform         TEXT NOT NULL,
    channel          TEXT NOT NULL,
    thread           TEXT,
    message          TEXT,
    mention_id       TEXT,
    mention_display  TEXT,
    title            TEXT,
    text             TEXT NOT NULL DEFAULT '',
    html             TEXT,
    card_title       TEXT,
    card_url         TEXT,
    purpose          TEXT NOT NULL
                     CHECK (purpose IN ('summary', 'thread', 'ack', 'notice', 'response', 'edit')),
    article_id       INTEGER REFERENCES articles (id) ON DELETE CASCADE,
    point            INTEGER,
    question_id      INTEGER REFERENCES questions (id) ON DELETE CASCADE,
    target_id        INTEGER REFERENCES targets (id) ON DELETE SET NULL,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'done', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    done_at          TEXT,
    result_channel   TEXT,
    result_thread    TEXT,
    result_message   TEXT
);
INSERT INTO outbox_new SELECT * FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';
