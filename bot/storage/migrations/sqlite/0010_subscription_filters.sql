-- 0010: what each community lets through of a shared feed. Filters belong to the
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

-- What became of an entry in one subscription when that differs from the feed's record:
--   excluded  a filter held it back (reason: the rule, as status shows it)
-- One row per (subscription, entry); feed_entries still says what the feed did with it.
CREATE TABLE subscription_entries (
    subscription_id  INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    entry_key        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('excluded')),
    reason           TEXT,
    at               TEXT NOT NULL,
    PRIMARY KEY (subscription_id, entry_key)
) WITHOUT ROWID;
