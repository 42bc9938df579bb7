-- 0002: feeds remember what they have seen, so that a restart, a re-dated or re-keyed feed,
-- or an edited entry never posts twice or floods a channel, and admins can ask why.
-- 'Seen' (feed_entries) is separate from 'delivered to this target' (posts and outbox rows,
-- written only when the platform confirmed): an entry is seen once per feed, delivered once
-- per channel. Also: held batches (a feed that suddenly shows many new entries waits for an
-- admin), and the feed state the poller needs (when it was first read, how it pauses).

-- What the site calls home, for OPML export.
ALTER TABLE feeds ADD COLUMN site_link TEXT NOT NULL DEFAULT '';
-- Whether to fetch an entry's page for its full text: NULL follows [polling].
ALTER TABLE feeds ADD COLUMN full_article TEXT
    CHECK (full_article IS NULL OR full_article IN ('teasers', 'always', 'never'));
-- How many of the newest entries the first successful read posts (the rest are only seen).
ALTER TABLE feeds ADD COLUMN backfill INTEGER NOT NULL DEFAULT 1 CHECK (backfill >= 0);
-- When the feed's entries were first recorded as seen; NULL until the first good read.
ALTER TABLE feeds ADD COLUMN primed_at TEXT;
-- How often the feed paused itself: fixes the key of each pause notice, so it goes out once.
ALTER TABLE feeds ADD COLUMN pauses INTEGER NOT NULL DEFAULT 0;
-- A digest of the last body read, to skip parsing when a server ignores conditional GET.
ALTER TABLE feeds ADD COLUMN body_hash TEXT;
ALTER TABLE feeds ADD COLUMN last_ok_at TEXT;

-- A batch of entries held back instead of posted; 'released' once an admin posted from it.
CREATE TABLE feed_holds (
    id           INTEGER PRIMARY KEY,
    feed_id      INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    new_entries  INTEGER NOT NULL,
    total        INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'released')),
    created_at   TEXT NOT NULL,
    resolved_at  TEXT,
    resolved_by  TEXT
);
CREATE INDEX feed_holds_open ON feed_holds (feed_id) WHERE status = 'open';

-- Every entry identity a feed has shown, with what became of it:
--   posted   an article was stored and queued for the feed's targets (delivery: outbox/posts)
--   skipped  older than the backfill when the feed was first read
--   held     part of a held batch (hold_id)
--   rejected its text is not a readable article (reason)
-- content_hash digests the entry as the feed sent it, to notice edits cheaply.
CREATE TABLE feed_entries (
    feed_id        INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    entry_key      TEXT NOT NULL,
    content_hash   TEXT NOT NULL,
    title          TEXT NOT NULL DEFAULT '',
    link           TEXT NOT NULL DEFAULT '',
    published_at   TEXT,
    first_seen_at  TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    article_id     INTEGER REFERENCES articles (id) ON DELETE SET NULL,
    status         TEXT NOT NULL CHECK (status IN ('posted', 'skipped', 'held', 'rejected')),
    reason         TEXT,
    hold_id        INTEGER REFERENCES feed_holds (id) ON DELETE SET NULL,
    PRIMARY KEY (feed_id, entry_key)
) WITHOUT ROWID;
CREATE INDEX feed_entries_recent ON feed_entries (feed_id, first_seen_at);
