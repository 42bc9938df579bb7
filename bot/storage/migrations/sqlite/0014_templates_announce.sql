-- 0014: how a subscription's summaries look, and who a target's new articles mention
-- (issue 15).
-- template: JSON {"heading": "...", "blocks": ["byline", ...]} (bot/core/template.py),
-- checked when set; NULL is the default look.
ALTER TABLE subscriptions ADD COLUMN template TEXT;

-- announce: who the summary of a NEW article mentions in this target, once:
-- 'role:<id>' or 'here' (Discord), 'room' (Matrix); NULL: nobody.
ALTER TABLE targets ADD COLUMN announce TEXT
    CHECK (announce IS NULL OR announce IN ('here', 'room') OR announce LIKE 'role:%');

-- The mention intent of one outgoing message (the target's announce, on the summary of a new
-- article only), carried to the adapter, which pings exactly that and nobody else.
ALTER TABLE outbox ADD COLUMN announce TEXT;
