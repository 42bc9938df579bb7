"""Two bot processes (two stores on one SQLite file) split the feeds: each fetched once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiohttp import web

from bot.app.cluster import LeaseKeeper
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import Clock
from tests.fakes import FakeChatAdapter
from tests.feeds.conftest import FeedBot, FeedServer, Item, feed_settings, make_feedbot, rss20

FEEDS = 6


async def two_bots(
    feedbot: FeedBot, server: FeedServer, clock: Clock
) -> tuple[FeedBot, SqliteStore]:
    for n in range(FEEDS):
        body = rss20([Item(f"f{n}-e1", f"Feed {n} entry")], title=f"Feed {n}")

        async def slow(request: web.Request, body: bytes = body) -> web.StreamResponse:
            await asyncio.sleep(0.05)  # both cycles are in flight at once
            return web.Response(body=body, headers={"Content-Type": "application/rss+xml"})

        url = server.route(f"/f{n}.xml", slow)
        assert "Added feed" in await feedbot.admin(f"!feed add {url}")
    path = feedbot.app.store.path  # type: ignore[attr-defined]
    other_store = await SqliteStore.open(path)
    other = await make_feedbot(other_store, FakeChatAdapter(), clock, feed_settings())
    length = timedelta(seconds=30)
    feedbot.app.poller.leases = LeaseKeeper(feedbot.app.store, "p1", clock, length)
    other.app.poller.leases = LeaseKeeper(other_store, "p2", clock, length)
    return other, other_store


async def test_each_due_feed_is_fetched_once_by_one_of_two_processes(
    feedbot: FeedBot, server: FeedServer, clock: Clock
) -> None:
    other, other_store = await two_bots(feedbot, server, clock)
    try:
        before = {n: server.count(f"/f{n}.xml") for n in range(FEEDS)}
        for cycle in range(1, 4):
            clock.advance(901)
            one, two = await asyncio.gather(
                feedbot.app.poller.poll_due(), other.app.poller.poll_due()
            )
            assert one.due + two.due == FEEDS
            assert {n: server.count(f"/f{n}.xml") - before[n] for n in range(FEEDS)} == {
                n: cycle for n in range(FEEDS)
            }
        async with other_store.read() as r:
            assert await r.leases.holder("feed:1", clock()) is None  # given back when done
    finally:
        await other.app.fetcher.close()
        await other_store.close()


async def test_a_dead_processs_feed_moves_to_the_other_when_its_lease_runs_out(
    feedbot: FeedBot, server: FeedServer, clock: Clock
) -> None:
    other, other_store = await two_bots(feedbot, server, clock)
    try:
        clock.advance(901)
        async with feedbot.app.store.transaction() as tx:
            # p1 took feed 1's lease for a cycle and was killed before fetching it.
            assert await tx.leases.acquire("feed:1", "p1", clock() + timedelta(seconds=30), clock())
        before = server.count("/f0.xml")  # feed id 1 is /f0.xml
        report = await other.app.poller.poll_due()
        assert report.due == FEEDS - 1 and server.count("/f0.xml") == before
        clock.advance(30)
        report = await other.app.poller.poll_due()
        assert report.due == 1 and server.count("/f0.xml") == before + 1
    finally:
        await other.app.fetcher.close()
        await other_store.close()
