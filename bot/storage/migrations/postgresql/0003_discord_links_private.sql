-- 0003: what SQLite's 0016 adds, with the same column names (``bot db migrate`` copies
-- tables by name).

-- The server a question's channel belongs to, where the platform's links to a message name
-- it (a Discord guild id, or '@me' for a direct message); NULL before this migration and
-- for Matrix: the desk shows no link then.
ALTER TABLE questions ADD COLUMN server text;

-- A message for its addressee's eyes only (a sign-in link answering /web): the adapter
-- sends it only where nobody else reads it, and gives it up otherwise.
ALTER TABLE outbox ADD COLUMN private boolean NOT NULL DEFAULT false;
