"""Subscriptions: each community's view of a shared feed, its authors, pauses and places."""

from __future__ import annotations

from bot.core.models import ArticleId, ChatRef, FeedId, Platform, Rendered
from bot.storage.port import Store
from bot.storage.types import OutboxItem
from tests.storage.contract.conftest import ARTICLE, FAKE, GENERAL, NOW

URL = "https://example.org/feed"
OTHER = ChatRef(FAKE, "#other")


async def test_one_subscription_per_community_with_its_own_authors(store: Store) -> None:
    async with store.transaction() as tx:
        fid = await tx.feeds.ensure(URL, title="", source="chat", now=NOW)
        mine = await tx.subscriptions.ensure(
            fid, "fake:one", added_by="fake:a", backfill=2, now=NOW
        )
        assert (
            await tx.subscriptions.ensure(fid, "fake:one", added_by="x", backfill=0, now=NOW)
            == mine
        )
        theirs = await tx.subscriptions.ensure(fid, "fake:two", added_by=None, backfill=1, now=NOW)
        t1 = await tx.posts.ensure_target(fid, GENERAL, mine)
        t2 = await tx.posts.ensure_target(fid, OTHER, theirs)
        assert await tx.posts.ensure_target(fid, GENERAL, theirs) == t1  # keeps its own
        assert await tx.subscriptions.add_authors(mine, ["fake:ann", "fake:bo", "fake:ann"]) == [
            "fake:ann",
            "fake:bo",
        ]
        assert await tx.subscriptions.add_authors(mine, ["fake:bo", "fake:cy"]) == ["fake:cy"]
        await tx.subscriptions.set_authors(theirs, ["fake:dee"])
        await tx.articles.store(fid, "e1", ARTICLE, content_hash="h", published_at=None, now=NOW)
    async with store.read() as r:
        sub = await r.subscriptions.get(mine)
        assert sub is not None
        assert (sub.feed_id, sub.community, sub.added_by, sub.backfill, sub.paused) == (
            fid,
            "fake:one",
            "fake:a",
            2,
            False,
        )
        assert [s.id for s in await r.subscriptions.of_feed(fid)] == [mine, theirs]
        assert await r.subscriptions.in_community(fid, "fake:two") == await r.subscriptions.get(
            theirs
        )
        assert await r.subscriptions.in_community(fid, "fake:three") is None
        assert await r.subscriptions.feeds_of_community("fake:one") == [fid]
        assert await r.subscriptions.of_target(fid, OTHER) == await r.subscriptions.get(theirs)
        assert await r.subscriptions.authors(mine) == ["fake:ann", "fake:bo", "fake:cy"]
        assert await r.posts.subscription_targets(mine) == [t1]
        assert t2.subscription_id == theirs
        # Who answers depends on where the question was asked.
        assert await r.posts.authors_where(ArticleId(1), GENERAL) == {
            "fake:ann",
            "fake:bo",
            "fake:cy",
        }
        assert await r.posts.authors_where(ArticleId(1), OTHER) == {"fake:dee"}
        assert await r.posts.is_any_author("fake:dee")
        assert not await r.posts.is_any_author("fake:zed")


async def test_a_paused_subscription_drops_out_of_the_active_targets(store: Store) -> None:
    async with store.transaction() as tx:
        fid = await tx.feeds.ensure(URL, title="", source="chat", now=NOW)
        a = await tx.subscriptions.ensure(fid, "fake:one", added_by=None, backfill=1, now=NOW)
        b = await tx.subscriptions.ensure(fid, "fake:two", added_by=None, backfill=1, now=NOW)
        ta = await tx.posts.ensure_target(fid, GENERAL, a)
        tb = await tx.posts.ensure_target(fid, OTHER, b)
        assert await tx.subscriptions.set_paused(a, "paused by Ann")
        assert not await tx.subscriptions.set_paused(a, "again")  # already paused
    async with store.read() as r:
        assert await r.posts.targets_of(fid) == [ta, tb]
        assert await r.posts.targets_of(fid, active=True) == [tb]
        sub = await r.subscriptions.get(a)
        assert sub is not None and sub.paused and sub.pause_reason == "paused by Ann"
    async with store.transaction() as tx:
        assert await tx.subscriptions.set_paused(a, None)
        assert not await tx.subscriptions.set_paused(a, None)
        await tx.subscriptions.delete(b)
    async with store.read() as r:
        assert await r.posts.targets_of(fid, active=True) == [ta]  # b's target went with it
        assert [s.id for s in await r.subscriptions.of_feed(fid)] == [a]


async def test_offline_subscriptions_and_placing_them_later(store: Store) -> None:
    discord = Platform("discord")
    c1, c2 = ChatRef(discord, "111"), ChatRef(discord, "222")
    room = ChatRef(Platform("matrix"), "!room:hs")
    async with store.transaction() as tx:
        fid = await tx.feeds.ensure(URL, title="", source="chat", now=NOW)
        s_room = await tx.subscriptions.ensure_offline(
            fid, room, added_by="cli:import", backfill=1, now=NOW
        )
        s1 = await tx.subscriptions.ensure_offline(fid, c1, added_by="cli", backfill=1, now=NOW)
        await tx.posts.ensure_target(fid, c1, s1)
        assert (
            await tx.subscriptions.ensure_offline(fid, c1, added_by="cli", backfill=1, now=NOW)
            == s1
        )
        s2 = await tx.subscriptions.ensure_offline(fid, c2, added_by="cli", backfill=1, now=NOW)
        await tx.posts.ensure_target(fid, c2, s2)
        await tx.posts.ensure_target(fid, room, s_room)
        await tx.subscriptions.add_authors(s1, ["discord:1"])
        await tx.subscriptions.add_authors(s2, ["discord:2"])
    async with store.read() as r:
        room_sub = await r.subscriptions.get(s_room)
        assert room_sub is not None and room_sub.community == "matrix:!room:hs"
        assert [u[0] for u in await r.subscriptions.unplaced()] == [s1, s2]
    async with store.transaction() as tx:
        await tx.subscriptions.place(s1, "discord:77")
        await tx.subscriptions.place(s2, "discord:77")  # merged into s1's
    async with store.read() as r:
        assert await r.subscriptions.unplaced() == []
        placed = await r.subscriptions.in_community(FeedId(fid), "discord:77")
        assert placed is not None and placed.id == s1
        assert await r.subscriptions.get(s2) is None
        assert [t.channel for t in await r.posts.subscription_targets(s1)] == ["111", "222"]
        assert await r.subscriptions.authors(s1) == ["discord:1", "discord:2"]


async def test_a_subscription_keeps_its_own_template(store: Store) -> None:
    """Migration 0014: each subscription's template, NULL (the default) until set."""
    look = '{"heading": "{feed}: {title}", "blocks": ["points"]}'
    async with store.transaction() as tx:
        fid = await tx.feeds.ensure(URL, title="", source="chat", now=NOW)
        mine = await tx.subscriptions.ensure(fid, "fake:one", added_by=None, backfill=1, now=NOW)
        theirs = await tx.subscriptions.ensure(fid, "fake:two", added_by=None, backfill=1, now=NOW)
        await tx.subscriptions.set_template(mine, look)
    async with store.read() as r:
        got, other = await r.subscriptions.get(mine), await r.subscriptions.get(theirs)
        assert got is not None and other is not None
        assert (got.template, other.template) == (look, None)
        assert [s.template for s in await r.subscriptions.of_feed(fid)] == [look, None]
    async with store.transaction() as tx:
        await tx.subscriptions.set_template(mine, None)
    async with store.read() as r:
        back = await r.subscriptions.get(mine)
        assert back is not None and back.template is None


async def test_a_target_keeps_its_announce_and_the_outbox_carries_it(store: Store) -> None:
    """Migration 0013: ``targets.announce`` per target, and the mention intent of a queued
    summary read back with its row (what the adapter is handed)."""
    async with store.transaction() as tx:
        fid = await tx.feeds.ensure(URL, title="", source="chat", now=NOW)
        sub = await tx.subscriptions.ensure(fid, "fake:one", added_by=None, backfill=1, now=NOW)
        loud = await tx.posts.ensure_target(fid, GENERAL, sub)
        quiet = await tx.posts.ensure_target(fid, OTHER, sub)
        await tx.posts.set_announce(loud.id, "role:123456789012345678")
        for key, announce in (("a", "role:123456789012345678"), ("b", None)):
            await tx.outbox.add(
                OutboxItem(key, "post", GENERAL, Rendered("hi", announce=announce), "summary"),
                NOW,
            )
    async with store.read() as r:
        got = {t.id: t.announce for t in await r.posts.targets_of(fid)}
        assert got == {loud.id: "role:123456789012345678", quiet.id: None}
        pending = {row.item.key: row.item.message.announce for row in await r.outbox.pending()}
        assert pending == {"a": "role:123456789012345678", "b": None}
    async with store.transaction() as tx:
        await tx.posts.set_announce(loud.id, None)
    async with store.read() as r:
        assert [t.announce for t in await r.posts.targets_of(fid)] == [None, None]
