-- 0008: a feed fetched by URL is shared underneath, but what each community sees is its own
-- subscription: where it posts (targets), who answers its readers (authors), its backfill,
-- and whether it is paused. A community is a Discord server ('discord:<guild id>'), a Matrix
-- room ('matrix:<room id>') or a console channel ('console:<channel>'); subscriptions of
-- the config file's feeds belong to 'config' and only bot admins govern them. NULL: not known
-- yet (a Discord target carried over from before this migration, whose server only the
-- running adapter can tell); the bot fills it in before any feed command and until then only
-- bot admins may act on it.

CREATE TABLE subscriptions (
    id            INTEGER PRIMARY KEY,
    feed_id       INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    community     TEXT,
    added_by      TEXT,
    added_at      TEXT NOT NULL,
    backfill      INTEGER NOT NULL DEFAULT 1 CHECK (backfill >= 0),
    paused        INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    pause_reason  TEXT
);
CREATE UNIQUE INDEX subscriptions_by_community ON subscriptions (feed_id, community)
    WHERE community IS NOT NULL;

-- Who may answer questions asked where the subscription posts: 'platform:id' identities.
CREATE TABLE subscription_authors (
    subscription_id  INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    user_key         TEXT NOT NULL,
    PRIMARY KEY (subscription_id, user_key)
) WITHOUT ROWID;
CREATE INDEX subscription_authors_by_user ON subscription_authors (user_key);

ALTER TABLE targets ADD COLUMN subscription_id INTEGER
    REFERENCES subscriptions (id) ON DELETE CASCADE;
CREATE INDEX targets_by_subscription ON targets (subscription_id);

-- Today's data carried over. A config (or bundled) feed: one 'config' subscription with all
-- its targets.
INSERT INTO subscriptions (feed_id, community, added_by, added_at, backfill)
    SELECT id, 'config', added_by, added_at, backfill FROM feeds WHERE source != 'chat';
UPDATE targets SET subscription_id =
    (SELECT s.id FROM subscriptions s WHERE s.feed_id = targets.feed_id AND s.community = 'config')
    WHERE feed_id IN (SELECT id FROM feeds WHERE source != 'chat');

-- A feed added from chat: one subscription per community of its targets. A Matrix room or a
-- console channel is its own community; a Discord channel's server is found at run time, so
-- each Discord target starts as its own subscription (community NULL) and the bot merges
-- those of one server when it learns the server.
INSERT INTO subscriptions (feed_id, community, added_by, added_at, backfill)
    SELECT DISTINCT t.feed_id, t.platform || ':' || t.channel, f.added_by, f.added_at, f.backfill
    FROM targets t JOIN feeds f ON f.id = t.feed_id
    WHERE f.source = 'chat' AND t.platform != 'discord';
UPDATE targets SET subscription_id =
    (SELECT s.id FROM subscriptions s WHERE s.feed_id = targets.feed_id
     AND s.community = targets.platform || ':' || targets.channel)
    WHERE subscription_id IS NULL AND platform != 'discord';

CREATE TEMP TABLE _seed AS SELECT COALESCE(MAX(id), 0) AS base FROM subscriptions;
INSERT INTO subscriptions (id, feed_id, community, added_by, added_at, backfill)
    SELECT (SELECT base FROM _seed) + t.id, t.feed_id, NULL, f.added_by, f.added_at, f.backfill
    FROM targets t JOIN feeds f ON f.id = t.feed_id
    WHERE f.source = 'chat' AND t.platform = 'discord';
UPDATE targets SET subscription_id = (SELECT base FROM _seed) + id
    WHERE subscription_id IS NULL AND platform = 'discord';
DROP TABLE _seed;

-- Every subscription of a feed keeps the feed's authors (who answered before still can).
INSERT INTO subscription_authors (subscription_id, user_key)
    SELECT s.id, fa.user_key FROM subscriptions s JOIN feed_authors fa ON fa.feed_id = s.feed_id;
DROP TABLE feed_authors;
