"""/metrics and /healthz against a real Bot over a real SQLite file, after real use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.adapters.base import PermissionFailure
from bot.core.models import ChatRef, Platform, Rendered
from bot.storage.sqlite.store import SqliteStore
from bot.storage.types import OutboxItem
from bot.web.ops import add_ops_routes
from tests.conftest import Clock
from tests.fakes import FakeChatAdapter
from tests.feeds.conftest import FeedBot, feed_settings, make_feedbot
from tests.loopback_feed import serving_feed


@dataclass
class LockedAdapter(FakeChatAdapter):
    """The fake, where the bot may not write in ``#locked``, and that can drop offline."""

    is_connected: bool = True

    def _send(self, op, where, message, key, **extra):  # type: ignore[no-untyped-def]
        if where.channel == "#locked":
            raise PermissionFailure(str(self.platform), op, "missing Send Messages", ids="#locked")
        return super()._send(op, where, message, key, **extra)


@pytest.fixture
async def used(db: SqliteStore, clock: Clock) -> AsyncIterator[tuple[FeedBot, TestClient]]:
    from bot.runtime import bundled_text

    fake = LockedAdapter()
    fb = await make_feedbot(db, fake, clock, feed_settings())
    app = web.Application()
    add_ops_routes(app, fb.app)
    client = TestClient(TestServer(app))
    await client.start_server()
    async with serving_feed(bundled_text("example-feed.xml").encode()) as url:
        assert "Added feed" in await fb.admin(f"!feed add {url}")
        await fb.poll()
    try:
        yield fb, client
    finally:
        await client.close()
        await fb.app.fetcher.close()


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found[(name, frozenset(labels.items()))]


async def scrape(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    resp = await client.get("/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain")
    return samples(await resp.text())


async def lock_a_row(fb: FeedBot) -> None:
    item = OutboxItem(
        key="t:locked:1",
        op="post",
        where=ChatRef(Platform("fake"), "#locked"),
        message=Rendered("hello"),
        purpose="notice",
    )
    async with fb.app.store.transaction() as tx:
        await tx.outbox.add(item, fb.clock())
    await fb.app.delivery.drain()


async def test_metrics_count_what_really_happened(used: tuple[FeedBot, TestClient]) -> None:
    fb, client = used
    got = await scrape(client)
    assert value(got, "pointbot_feed_entries_posted_total") >= 1
    assert value(got, "pointbot_poll_cycle_seconds_count") == 1
    assert value(got, "pointbot_feeds_failing") == 0
    assert value(got, "pointbot_questions_taken_total") == 0

    thread = fb.fake.thread_of_point(1)
    asker = fb.fake.user("reader")
    await fb.fake.say(asker, "Could you clarify what you mean here?", thread=thread.thread)
    await fb.fake.say(asker, "x" * 5000 + "?", thread=thread.thread)
    await fb.app.delivery.drain()
    await lock_a_row(fb)

    got = await scrape(client)
    assert value(got, "pointbot_questions_taken_total") == 1
    assert value(got, "pointbot_questions_acknowledged_total") == 1
    assert value(got, "pointbot_questions_refused_total", reason="too_long") == 1
    assert value(got, "pointbot_send_failures_total", platform="fake", kind="permission") == 1
    assert value(got, "pointbot_send_seconds_count", platform="fake") >= 3
    assert value(got, "pointbot_outbox_depth", platform="fake") == 1
    assert value(got, "pointbot_adapter_connected", platform="fake") == 1

    fb.clock.advance(60)
    got = await scrape(client)
    assert 55 <= value(got, "pointbot_outbox_oldest_due_seconds", platform="fake") <= 60


async def test_healthz_is_200_when_all_is_well(used: tuple[FeedBot, TestClient]) -> None:
    _, client = used
    resp = await client.get("/healthz")
    body = await resp.json()
    assert resp.status == 200, body
    assert body["healthy"] is True
    assert set(body["checks"]) == {"database", "adapter:fake", "outbox"}


async def test_healthz_is_503_with_a_stuck_outbox(used: tuple[FeedBot, TestClient]) -> None:
    fb, client = used
    await lock_a_row(fb)
    fb.clock.advance(10 * 60)
    assert (await client.get("/healthz")).status == 200  # waiting, not yet stuck
    fb.clock.advance(6 * 60)
    resp = await client.get("/healthz")
    body = await resp.json()
    assert resp.status == 503
    assert body["checks"]["outbox"]["ok"] is False
    assert "a fake message has waited 16 min" in body["failed"][0]


async def test_healthz_is_503_with_a_disconnected_adapter(
    used: tuple[FeedBot, TestClient],
) -> None:
    fb, client = used
    assert isinstance(fb.fake, LockedAdapter)
    fb.fake.is_connected = False
    resp = await client.get("/healthz")
    body = await resp.json()
    assert resp.status == 503
    assert body["failed"] == ["not connected to fake"]
    got = await scrape(client)
    assert value(got, "pointbot_adapter_connected", platform="fake") == 0


async def test_two_bots_in_one_process_keep_their_own_counts(
    used: tuple[FeedBot, TestClient], db: SqliteStore, clock: Clock
) -> None:
    other = await make_feedbot(db, FakeChatAdapter(), clock, feed_settings())
    app = web.Application()
    add_ops_routes(app, other.app)  # a second registry: no "duplicated timeseries" error
    async with TestClient(TestServer(app)) as second:
        got = await scrape(second)
        assert value(got, "pointbot_poll_cycle_seconds_count") == 0
    await other.app.fetcher.close()
