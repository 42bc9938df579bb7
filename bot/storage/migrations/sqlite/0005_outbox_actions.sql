-- 0005: an outgoing message may offer actions (a Discord button standing for a text command
-- its text already names, such as "!separate 12"). They are planned with the message, so
-- they live beside its outbox row and survive a restart like the rest of it; a row without
-- actions has none here.

CREATE TABLE outbox_actions (
    outbox_id  INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    label      TEXT NOT NULL,
    command    TEXT NOT NULL,
    PRIMARY KEY (outbox_id, position)
) WITHOUT ROWID;
