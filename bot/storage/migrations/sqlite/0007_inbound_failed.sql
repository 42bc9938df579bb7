-- A message whose handling raised an unexpected error is claimed as failed, with the error,
-- instead of left unclaimed: a replayed delivery of it (a reconnect, a catch-up, a restart)
-- then does nothing, so one poisoned message cannot crash-loop the bot or be acted on twice.
ALTER TABLE inbound ADD COLUMN status TEXT NOT NULL DEFAULT 'done'
    CHECK (status IN ('done', 'failed'));
ALTER TABLE inbound ADD COLUMN error TEXT;
