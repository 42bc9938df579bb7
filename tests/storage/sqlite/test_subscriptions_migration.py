"""Migration 0008 carries today's feeds, targets and authors over into subscriptions."""

from __future__ import annotations

from pathlib import Path

from bot.core.models import ChatRef, FeedId, Platform
from bot.storage.sqlite.db import Database, bundled_migrations
from bot.storage.sqlite.store import SqliteStore
from tests.reads import reads

NOW = "2026-01-01T00:00:00+00:00"


async def _before_0008(path: Path) -> None:
    old = [m for m in bundled_migrations() if m.version < 8]
    db = await Database.open(path, old)
    script = f"""
        INSERT INTO feeds (id, url, source, added_at, added_by, backfill) VALUES
            (1, 'https://a.example/feed', 'chat', '{NOW}', 'matrix:@ann:hs', 3),
            (2, 'https://b.example/feed', 'config', '{NOW}', NULL, 1);
        INSERT INTO targets (id, feed_id, platform, channel) VALUES
            (1, 1, 'matrix', '!one:hs'), (2, 1, 'matrix', '!two:hs'),
            (3, 1, 'discord', '111'), (4, 1, 'discord', '222'),
            (5, 2, 'matrix', '!one:hs'), (6, 2, 'discord', '111');
        INSERT INTO feed_authors (feed_id, user_key) VALUES
            (1, 'matrix:@carol:hs'), (2, 'discord:9')
        """

    for statement in script.split(";"):
        await db.execute(statement)
    await db.close()


async def test_each_community_gets_its_subscription_with_the_feeds_authors(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    await _before_0008(path)
    store = await SqliteStore.open(path)
    db = store.db
    rows = await db.fetchall(
        "SELECT t.id, s.feed_id, s.community, s.backfill FROM targets t "
        "JOIN subscriptions s ON s.id = t.subscription_id ORDER BY t.id"
    )
    assert [tuple(r) for r in rows] == [
        (1, 1, "matrix:!one:hs", 3),
        (2, 1, "matrix:!two:hs", 3),
        (3, 1, None, 3),  # a Discord channel's server is learnt at run time
        (4, 1, None, 3),
        (5, 2, "config", 1),
        (6, 2, "config", 1),
    ]
    subs = reads(store).subscriptions
    for sub in await subs.of_feed(FeedId(1)):
        assert await subs.authors(sub.id) == ["matrix:@carol:hs"]
    assert [await subs.authors(s.id) for s in await subs.of_feed(FeedId(2))] == [["discord:9"]]
    # Two Discord channels of one server become one subscription once the server is known.
    for sub_id, _, _, _ in await subs.unplaced():
        async with store.transaction() as tx:
            await tx.subscriptions.place(sub_id, "discord:77")
    placed = await subs.in_community(FeedId(1), "discord:77")
    assert placed is not None and await subs.unplaced() == []
    row = await db.fetchone("SELECT COUNT(*) FROM targets WHERE subscription_id = ?", (placed.id,))
    assert row is not None and row[0] == 2
    assert await subs.authors(placed.id) == ["matrix:@carol:hs"]
    where = ChatRef(Platform("discord"), "222")
    assert (await subs.of_target(FeedId(1), where)) == placed
    await db.close()
