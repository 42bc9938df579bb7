-- 0011: what each community lets through of a shared feed. Filters belong to the
-- subscription (issue 19): include|exclude rules on an entry's title, author, category, link
-- or text, with a words pattern or 're:<RE2 regex>' (bot/feeds/filters.py reads them).
CREATE TABLE subscription_filters (
    id               INTEGER PRIMARY KEY,
    subscription_id  INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('include', 'exclude')),
    field            TEXT NOT NULL CHECK (field IN ('title', 'author', 'category', 'link', 'text')),
    pattern          TEXT NOT NULL,
    UNIQUE (subscription_id, kind, field, pattern)
);

-- At most this many new entries a day (UTC) into the subscription's channels; NULL: no cap.
ALTER TABLE subscriptions ADD COLUMN max_per_day INTEGER
    CHECK (max_per_day IS NULL OR max_per_day >= 1);

-- What became of an entry in one subscription when that differs from the feed's record:
--   excluded  a filter held it back (reason: the rule, as status shows it)
--   waiting   past the subscription's max_per_day: the stored article (article_id) is posted
--             to its channels on a later day, oldest first
--   posted    posted to a capped subscription (these rows are what the cap counts, by 'at')
-- One row per (subscription, entry); feed_entries still says what the feed did with it.
CREATE TABLE subscription_entries (
    subscription_id  INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    entry_key        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('excluded', 'waiting', 'posted')),
    reason           TEXT,
    article_id       INTEGER REFERENCES articles (id) ON DELETE CASCADE,
    at               TEXT NOT NULL,
    PRIMARY KEY (subscription_id, entry_key)
) WITHOUT ROWID;
CREATE INDEX subscription_entries_waiting ON subscription_entries (subscription_id, at)
    WHERE status = 'waiting';
