-- 0002: what SQLite's 0013 (lead images), 0014 (templates, announcements) and 0015 (web
-- sessions) add, in one step, with the same table and column names (``bot db migrate``
-- copies tables by name).

-- An article's lead image (issue 15): the http(s) URL of the picture the feed gave for the
-- entry; the outbox keeps it with the card it sends, like card_url.
ALTER TABLE articles ADD COLUMN image text;
ALTER TABLE outbox ADD COLUMN card_image text;

-- How a subscription's summaries look: JSON {"heading": "...", "blocks": [...]}
-- (bot/core/template.py), checked when set; NULL is the default look. Kept as text, not
-- jsonb, so it reads back byte for byte as it was written (as on SQLite).
ALTER TABLE subscriptions ADD COLUMN template text;

-- Who the summary of a NEW article mentions in this target, once: 'role:<id>' or 'here'
-- (Discord), 'room' (Matrix); NULL: nobody.
ALTER TABLE targets ADD COLUMN announce text
    CHECK (announce IS NULL OR announce IN ('here', 'room') OR announce LIKE 'role:%');

-- The mention intent of one outgoing message, carried to the adapter.
ALTER TABLE outbox ADD COLUMN announce text;

-- The web desk's sign-in (issue 16). A one-time link from `!web` (used once, within
-- minutes) opens a session; both keep only the SHA-256 of their token, never the token.
CREATE TABLE web_links (
    token_hash  text PRIMARY KEY,
    identity    text NOT NULL,          -- platform:id
    display     text NOT NULL,          -- the name chat showed, for notices
    created     timestamptz NOT NULL,
    expires     timestamptz NOT NULL,
    used        timestamptz
);
CREATE INDEX web_links_identity ON web_links (identity, created);

CREATE TABLE web_sessions (
    token_hash  text PRIMARY KEY,
    identity    text NOT NULL,
    display     text NOT NULL,
    created     timestamptz NOT NULL,
    expires     timestamptz NOT NULL
);
CREATE INDEX web_sessions_identity ON web_sessions (identity);
