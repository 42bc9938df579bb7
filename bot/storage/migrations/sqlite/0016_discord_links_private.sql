-- 0016: two things the web desk and /web need (branch dweb).
-- questions.server: the server a question's channel belongs to, where the platform's
-- links to a message name it (a Discord guild id, or '@me' for a direct message), so the
-- desk can link to where a Discord question was asked. NULL for rows stored before this
-- migration and for platforms whose links do not need it (Matrix): no link, as before.
ALTER TABLE questions ADD COLUMN server TEXT;

-- outbox.private: a message for its addressee's eyes only (a sign-in link answering /web):
-- the adapter sends it only where nobody else reads it, and gives it up otherwise. Kept
-- with the row so a retry after a restart knows it too.
ALTER TABLE outbox ADD COLUMN private INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1));
