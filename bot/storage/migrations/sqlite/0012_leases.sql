-- 0012: several bot processes on one database (issue 13). A lease is a name (an outbox
-- channel, a feed, 'matrix') held by one process (its holder: hostname:pid:random) until a
-- time; an expired lease may be taken by anyone, so a dead process's work moves to the
-- others once its leases run out. Outbox rows are claimed the same way, row by row: a row
-- claimed by a worker is not handed to another until claimed_until passes; the row's key
-- (the idempotency key the adapters send) never changes, so a takeover re-sends with it.
CREATE TABLE leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    until   TEXT NOT NULL
) WITHOUT ROWID;

ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
