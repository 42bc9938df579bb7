-- 0015: the web desk's sign-in (issue 16). A one-time link from `!web` (used once, within
-- minutes) opens a session; both keep only the SHA-256 of their token, never the token.
CREATE TABLE web_links (
    token_hash  TEXT PRIMARY KEY,
    identity    TEXT NOT NULL,          -- platform:id
    display     TEXT NOT NULL,          -- the name chat showed, for notices
    created     TEXT NOT NULL,
    expires     TEXT NOT NULL,
    used        TEXT
) WITHOUT ROWID;
CREATE INDEX web_links_identity ON web_links (identity, created);

CREATE TABLE web_sessions (
    token_hash  TEXT PRIMARY KEY,
    identity    TEXT NOT NULL,
    display     TEXT NOT NULL,
    created     TEXT NOT NULL,
    expires     TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX web_sessions_identity ON web_sessions (identity);
