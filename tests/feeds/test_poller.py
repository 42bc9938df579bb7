"""The poller against a loopback server: new entries once, floods held, failures remembered."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiohttp import web

from tests.feeds.conftest import FeedBot, FeedServer, Item, rss20
from tests.reads import reads

ITEMS = [Item(f"e{n}", f"Entry {n}", f"Mon, 0{n} Jan 2026 08:00:00 GMT") for n in (5, 4, 3, 2, 1)]
TEN = [Item(f"k{n}", f"Item {n}") for n in range(10)]


async def added(feedbot: FeedBot, server: FeedServer, body: bytes, **kw: object) -> str:
    url = server.serve("/feed.xml", body, **kw)  # type: ignore[arg-type]
    reply = await feedbot.admin(f"!feed add {url}")
    assert "Added feed #1" in reply, reply
    return url


async def test_a_new_entry_is_posted_once_with_its_threads(
    feedbot: FeedBot, server: FeedServer
) -> None:
    await added(feedbot, server, rss20(ITEMS))
    server.serve("/feed.xml", rss20([Item("e6", "Entry 6"), *ITEMS]))
    await feedbot.poll(advance=899)
    assert len(feedbot.summaries()) == 1  # not due yet
    await feedbot.poll(advance=2)
    await feedbot.poll(advance=901)
    assert [s.splitlines()[0] for s in feedbot.summaries()] == ["Entry 5", "Entry 6"]
    assert len(feedbot.fake.threads()) == 2  # one discussion thread per unnumbered article


async def test_a_re_keyed_feed_is_held_and_the_admins_are_asked(
    feedbot: FeedBot, server: FeedServer
) -> None:
    await added(feedbot, server, rss20(TEN))
    rekeyed = [Item(f"new-{i.guid}", i.title, "Tue, 06 Jan 2026 09:00:00 GMT") for i in TEN]
    server.serve("/feed.xml", rss20(rekeyed))
    await feedbot.poll(advance=901)
    await feedbot.poll(advance=901)
    assert len(feedbot.summaries()) == 1  # only the one posted when it was added
    [notice] = feedbot.notices()
    assert "suddenly shows 10 entries I have not seen before (of 10" in notice
    assert "!feed post 1 latest" in notice and "!feed post 1 N" in notice
    status = await feedbot.admin("!feed status 1")
    assert "Held: 10 new entries" in status
    assert "held: it came in a sudden batch" in status

    reply = await feedbot.admin("!feed post 1 2")
    assert reply.startswith("Posting “Item 8”, “Item 9”") or "Posting" in reply
    assert len(feedbot.summaries()) == 3
    assert "Held:" not in await feedbot.admin("!feed status 1")
    # A genuinely new entry afterwards posts as usual.
    server.serve("/feed.xml", rss20([Item("fresh", "Fresh one"), *rekeyed]))
    await feedbot.poll(advance=901)
    assert feedbot.summaries()[-1].startswith("Fresh one")
    assert len(feedbot.notices()) == 1


async def test_a_few_new_entries_are_not_a_flood(feedbot: FeedBot, server: FeedServer) -> None:
    await added(feedbot, server, rss20(TEN))
    more = [Item(f"m{n}", f"More {n}") for n in range(5)]
    server.serve("/feed.xml", rss20([*more, *TEN]))
    await feedbot.poll(advance=901)
    assert len(feedbot.summaries()) == 6 and not feedbot.notices()


async def test_304_parses_nothing_and_posts_nothing(
    feedbot: FeedBot, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    await added(feedbot, server, rss20(ITEMS))
    parsed: list[bytes] = []
    import bot.feeds.poller as poller_module

    real = poller_module.parse_feed
    monkeypatch.setattr(poller_module, "parse_feed", lambda data: parsed.append(data) or real(data))
    await feedbot.poll(advance=901)
    assert server.hits[-1].headers.get("If-None-Match")
    feed = await reads(feedbot.app.store).feeds.get(1)
    assert feed is not None and feed.last_status == 304 and feed.failures == 0
    assert parsed == [] and len(feedbot.summaries()) == 1


async def test_last_modified_is_sent_back(feedbot: FeedBot, server: FeedServer) -> None:
    stamp = "Mon, 05 Jan 2026 08:00:00 GMT"

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.headers.get("If-Modified-Since") == stamp:
            return web.Response(status=304)
        return web.Response(body=rss20(ITEMS), headers={"Last-Modified": stamp})

    server.route("/lm.xml", handler)
    await feedbot.admin(f"!feed add {server.url('/lm.xml')}")
    await feedbot.poll(advance=901)
    feed = await reads(feedbot.app.store).feeds.get(1)
    assert feed is not None and feed.last_status == 304


@pytest.mark.parametrize("code", [301, 308])
async def test_a_permanent_redirect_moves_the_stored_url(
    feedbot: FeedBot, server: FeedServer, code: int
) -> None:
    new = server.serve("/new.xml", rss20(ITEMS))
    old = server.route("/old.xml", lambda r: _redirect(code, "/new.xml"))
    await feedbot.admin(f"!feed add {old}")
    feed = await reads(feedbot.app.store).feeds.get(1)
    assert feed is not None and feed.url == new
    await feedbot.poll(advance=901)
    assert server.count("/old.xml") == 1 and server.count("/new.xml") == 2


async def test_a_temporary_redirect_keeps_the_url(feedbot: FeedBot, server: FeedServer) -> None:
    server.serve("/new.xml", rss20(ITEMS))
    old = server.route("/old.xml", lambda r: _redirect(302, "/new.xml"))
    await feedbot.admin(f"!feed add {old}")
    await feedbot.poll(advance=901)
    feed = await reads(feedbot.app.store).feeds.get(1)
    assert feed is not None and feed.url == old and feed.last_status == 304


async def _redirect(code: int, to: str) -> web.StreamResponse:
    return web.Response(status=code, headers={"Location": to})


async def test_410_stops_the_feed_and_tells_the_admins_once(
    feedbot: FeedBot, server: FeedServer
) -> None:
    await added(feedbot, server, rss20(ITEMS))
    server.route("/feed.xml", _status(410))
    await feedbot.poll(advance=901)
    await feedbot.poll(advance=7200)
    assert server.count("/feed.xml") == 2  # the add, and the 410; never again
    [notice] = feedbot.notices()
    assert "is gone" in notice and "HTTP 410" in notice
    feed = await reads(feedbot.app.store).feeds.get(1)
    assert feed is not None and feed.paused and feed.pause_reason == "HTTP 410 (Gone)"


def _status(code: int, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=code, text="nope", headers=headers or {})

    return handler


async def test_429_waits_as_long_as_retry_after_says(feedbot: FeedBot, server: FeedServer) -> None:
    await added(feedbot, server, rss20(ITEMS))
    server.route("/feed.xml", _status(429, {"Retry-After": "7200"}))
    await feedbot.poll(advance=901)
    assert server.count("/feed.xml") == 2
    await feedbot.poll(advance=7000)
    assert server.count("/feed.xml") == 2  # backoff alone (1800 s) would have fetched
    await feedbot.poll(advance=300)
    assert server.count("/feed.xml") == 3
    feed = await reads(feedbot.app.store).feeds.get(1)
    assert feed is not None and feed.last_error == "HTTP 429 (Too Many Requests)"


async def test_cache_control_max_age_stretches_the_interval(
    feedbot: FeedBot, server: FeedServer
) -> None:
    await added(feedbot, server, rss20(ITEMS), headers={"Cache-Control": "max-age=3600"})
    await feedbot.poll(advance=1000)
    assert server.count("/feed.xml") == 1
    await feedbot.poll(advance=2700)
    assert server.count("/feed.xml") == 2


async def test_failures_back_off_then_pause_once_with_the_reason(
    feedbot: FeedBot, server: FeedServer
) -> None:
    await added(feedbot, server, rss20(ITEMS))
    server.route("/feed.xml", _status(500))
    repo = reads(feedbot.app.store).feeds
    await feedbot.poll(advance=901)  # failure 1: next in 1800 s
    await feedbot.poll(advance=1000)
    assert server.count("/feed.xml") == 2
    await feedbot.poll(advance=900)  # failure 2: next in 3600 s
    assert server.count("/feed.xml") == 3
    feed = await repo.get(1)
    assert feed is not None and feed.failures == 2 and not feed.paused
    await feedbot.poll(advance=3601)  # failure 3: paused
    await feedbot.poll(advance=86400)
    assert server.count("/feed.xml") == 4
    [notice] = feedbot.notices()
    assert "is paused after 3 failed fetches in a row" in notice
    assert "HTTP 500 (Internal Server Error)" in notice and "!feed resume 1" in notice
    # Resumed, it fails again: a new pause event is a new notice, still one per event.
    await feedbot.admin("!feed resume 1")
    for _ in range(3):
        await feedbot.poll(advance=86400)
    assert len(feedbot.notices()) == 2


async def test_one_feed_failing_does_not_stop_the_others(
    feedbot: FeedBot,
    server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = server.serve("/good.xml", rss20(ITEMS))
    bad = server.serve("/bad.xml", rss20(TEN))
    await feedbot.admin(f"!feed add {good}")
    await feedbot.admin(f"!feed add {bad}")
    server.serve("/good.xml", rss20([Item("e6", "Entry 6"), *ITEMS]))
    server.serve("/bad.xml", b"<?xml version='1.0'?><nothing/>")
    caplog.set_level(logging.INFO, logger="bot.feeds.poller")
    await feedbot.poll(advance=901)
    assert feedbot.summaries()[-1].startswith("Entry 6")
    bad_feed = await reads(feedbot.app.store).feeds.get(2)
    assert bad_feed is not None and bad_feed.failures == 1
    assert "not a readable feed: this is not an RSS or Atom feed" in (bad_feed.last_error or "")
    cycles = [r.getMessage() for r in caplog.records if r.getMessage().startswith("poll cycle")]
    assert len(cycles) == 1 and "2 due, 2 fetched" in cycles[0] and "1 failed" in cycles[0]


async def test_a_bug_in_one_feed_is_recorded_and_the_cycle_goes_on(
    feedbot: FeedBot, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    await added(feedbot, server, rss20(ITEMS))
    server.serve("/feed.xml", rss20([Item("e6", "Entry 6"), *ITEMS]))

    async def broken(*args: object, **kw: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(feedbot.app.poller.ingestor, "ingest", broken)
    report = await feedbot.app.poller.poll_due()
    assert report.due == 0
    feedbot.clock.advance(901)
    report = await feedbot.app.poller.poll_due()
    assert report.failed == 1
    feed = await reads(feedbot.app.store).feeds.get(1)
    assert feed is not None and feed.last_error == "internal error: boom"


async def test_cancelling_a_cycle_is_never_swallowed(feedbot: FeedBot, server: FeedServer) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        started.set()
        await release.wait()
        return web.Response(status=304)

    server.route("/slow.xml", slow)
    async with feedbot.app.store.transaction() as tx:
        await tx.feeds.ensure(server.url("/slow.xml"), title="", source="chat", now=feedbot.clock())
    task = asyncio.create_task(feedbot.app.poller.poll_due())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()


async def test_concurrency_per_host_is_bounded(feedbot: FeedBot, server: FeedServer) -> None:
    active = 0
    peak = 0
    gate = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0)  # let the other fetches in, if the poller lets them
        if active >= 2:
            gate.set()
        await asyncio.wait_for(gate.wait(), 1)
        active -= 1
        return web.Response(status=304)

    async with feedbot.app.store.transaction() as tx:
        for n in range(6):
            url = server.route(f"/f{n}.xml", handler)
            await tx.feeds.ensure(url, title="", source="chat", now=feedbot.clock())
    await feedbot.app.poller.poll_due()
    assert sum(server.count(f"/f{n}.xml") for n in range(6)) == 6
    assert peak == feedbot.app.settings.polling.max_per_host == 2


async def test_the_polling_loop_polls_and_stops_when_cancelled(
    feedbot: FeedBot, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cycled = asyncio.Event()
    poller = feedbot.app.poller
    one_cycle = poller.poll_due

    async def observed() -> object:
        report = await one_cycle()
        cycled.set()
        return report

    monkeypatch.setattr(poller, "poll_due", observed)
    async with feedbot.app.store.transaction() as tx:
        url = server.serve("/loop.xml", rss20(ITEMS))
        await tx.feeds.ensure(url, title="", source="config", now=feedbot.clock())
    task = asyncio.create_task(poller.run())
    await asyncio.wait_for(cycled.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    feed = await reads(feedbot.app.store).feeds.get(1)
    assert feed is not None and feed.primed_at is not None
