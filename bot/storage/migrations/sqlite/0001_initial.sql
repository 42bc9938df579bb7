-- 0001: the first schema. Feeds and where they post, articles split into points, what was
-- posted where (with the platform's ids), questions with their answers, votes and audit
-- trail, the outbox that carries every outgoing message, and inbound de-duplication.
-- Times are ISO-8601 UTC strings; platform ids are opaque TEXT.

CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL DEFAULT '',
    source          TEXT NOT NULL DEFAULT 'chat' CHECK (source IN ('config', 'chat', 'builtin')),
    added_by        TEXT,
    added_at        TEXT NOT NULL,
    paused          INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    pause_reason    TEXT,
    interval_s      INTEGER CHECK (interval_s IS NULL OR interval_s > 0),
    etag            TEXT,
    last_modified   TEXT,
    last_fetch_at   TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    next_poll_at    TEXT
);

-- Who may answer questions on a feed's articles: 'platform:id' identities.
CREATE TABLE feed_authors (
    feed_id   INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    user_key  TEXT NOT NULL,
    PRIMARY KEY (feed_id, user_key)
);

-- Where a feed posts: one channel or room on one platform.
CREATE TABLE targets (
    id        INTEGER PRIMARY KEY,
    feed_id   INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    platform  TEXT NOT NULL,
    channel   TEXT NOT NULL,
    UNIQUE (feed_id, platform, channel)
);

CREATE TABLE articles (
    id            INTEGER PRIMARY KEY,
    feed_id       INTEGER REFERENCES feeds (id) ON DELETE SET NULL,
    entry_key     TEXT NOT NULL,
    title         TEXT NOT NULL,
    link          TEXT NOT NULL DEFAULT '',
    author        TEXT NOT NULL DEFAULT '',
    subtitle      TEXT NOT NULL DEFAULT '',
    intro         TEXT NOT NULL DEFAULT '',
    conclusion    TEXT NOT NULL DEFAULT '',
    content_hash  TEXT NOT NULL DEFAULT '',
    published_at  TEXT,
    stored_at     TEXT NOT NULL,
    UNIQUE (feed_id, entry_key)
);

CREATE TABLE points (
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL CHECK (number > 0),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (article_id, number)
);

-- What was posted where. kind 'summary' has point 0; kind 'thread' has the point's number,
-- or 0 for the single thread of an article without numbered points.
CREATE TABLE posts (
    id          INTEGER PRIMARY KEY,
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    target_id   INTEGER REFERENCES targets (id) ON DELETE SET NULL,
    platform    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('summary', 'thread')),
    point       INTEGER NOT NULL DEFAULT 0,
    thread      TEXT,
    message     TEXT,
    posted_at   TEXT NOT NULL,
    UNIQUE (article_id, platform, channel, kind, point)
);
CREATE INDEX posts_by_thread ON posts (platform, thread);
CREATE INDEX posts_by_channel ON posts (platform, channel, posted_at);

CREATE TABLE questions (
    id              INTEGER PRIMARY KEY,
    article_id      INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    point           INTEGER,
    asker_platform  TEXT NOT NULL,
    asker_id        TEXT NOT NULL,
    asker_display   TEXT NOT NULL DEFAULT '',
    platform        TEXT NOT NULL,
    channel         TEXT NOT NULL,
    thread          TEXT,
    message         TEXT,
    text            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'answered', 'dismissed', 'withdrawn')),
    reason          TEXT,
    asked_at        TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
-- One question per platform message, however often the message is delivered to us.
CREATE UNIQUE INDEX questions_by_message ON questions (platform, channel, message)
    WHERE message IS NOT NULL;
CREATE INDEX questions_open ON questions (status, article_id, point);
CREATE INDEX questions_by_asker ON questions (asker_platform, asker_id);

CREATE TABLE answers (
    id           INTEGER PRIMARY KEY,
    question_id  INTEGER NOT NULL UNIQUE REFERENCES questions (id) ON DELETE CASCADE,
    author_key   TEXT NOT NULL,
    text         TEXT NOT NULL,
    answered_at  TEXT NOT NULL
);

CREATE TABLE votes (
    question_id  INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    voter_key    TEXT NOT NULL,
    voted_at     TEXT NOT NULL,
    PRIMARY KEY (question_id, voter_key)
);

-- Who changed a question's state, when, and why.
CREATE TABLE question_events (
    id           INTEGER PRIMARY KEY,
    question_id  INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    actor_key    TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    note         TEXT
);
CREATE INDEX question_events_by_question ON question_events (question_id);

-- Every outgoing message. 'key' is fixed before the first attempt and handed to the adapter
-- as its idempotency key, so a retry after a crash cannot post twice. A row is 'done' only
-- once the platform's ref is stored in result_*; 'purpose' says what the ref is recorded as.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    key              TEXT NOT NULL UNIQUE,
    op               TEXT NOT NULL
                     CHECK (op IN ('post', 'open_thread', 'reply', 'react', 'dm')),
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
                     CHECK (purpose IN ('summary', 'thread', 'ack', 'notice', 'response')),
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
CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';

-- Inbound messages already handled (commands and questions alike), so a platform that
-- delivers a message twice, or a restart that replays history, never acts twice.
CREATE TABLE inbound (
    platform    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    message     TEXT NOT NULL,
    handled_at  TEXT NOT NULL,
    PRIMARY KEY (platform, channel, message)
) WITHOUT ROWID;

-- Per-adapter resumable state (a Matrix sync token, the last Discord message handled).
CREATE TABLE adapter_state (
    platform  TEXT NOT NULL,
    name      TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (platform, name)
) WITHOUT ROWID;
