"""The admin's board against a real Bot over real SQLite, through aiohttp's test client."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import pytest

from bot.storage.sqlite.store import SqliteStore
from tests.conftest import Clock
from tests.fakes import FakeChatAdapter
from tests.reads import reads
from tests.web.test_desk import HTML, SEED_Q3, Desk, make_desk


@pytest.fixture
async def board(db: SqliteStore, fake: FakeChatAdapter, clock: Clock) -> AsyncIterator[Desk]:
    bot, client = await make_desk(db, fake, clock)
    try:
        yield Desk(bot, fake, clock, client)
    finally:
        await client.close()


NS = {"s": "http://www.w3.org/2000/svg"}


def _svgs(body: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg .*?</svg>", body, re.S)]


async def test_the_stuck_page_charts_the_seed_questions(board: Desk) -> None:
    desk = board
    await desk.fake.say(desk.fake.user("dana"), SEED_Q3)
    await desk.fake.say(desk.fake.user("eve"), SEED_Q3 + " <script>alert(1)</script>")
    await desk.bot.delivery.drain()
    await desk.sign_in(desk.fake.user("admin"))
    body = await desk.page("/board/article/1/stuck")
    assert "<script>alert" not in body
    points, days = _svgs(body)
    bars = points.findall("s:g[@class='bar']", NS)
    assert bars[0].get("data-point") == "3"  # the point with most questions comes first
    opened = bars[0].find("s:rect[@class='open']", NS)
    assert opened is not None and opened.get("data-count") == "2"
    assert len([b for b in bars if b.get("data-point") != "0"]) == 5  # the seed's five points
    rects = days.findall("s:rect[@class='day']", NS)
    assert [r.get("data-count") for r in rects] == ["2"]


async def test_an_author_is_refused_the_board(board: Desk) -> None:
    desk = board
    await desk.sign_in(desk.fake.user("author"))
    resp = await desk.client.get("/board/article/1/stuck", headers=HTML)
    assert resp.status == 403


async def test_no_session_no_board(board: Desk) -> None:
    desk = board
    resp = await desk.client.get("/board/article/1/stuck", headers=HTML, allow_redirects=False)
    assert resp.status in (302, 303, 401, 403)


async def _csrf(desk: Desk) -> str:
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', await desk.page("/board"))
    assert m
    return m.group(1)


async def test_the_board_lists_the_feed_with_health_targets_and_forms(board: Desk) -> None:
    desk = board
    await desk.sign_in(desk.fake.user("admin"))
    body = await desk.page("/board")
    assert 'id="feed-1"' in body
    assert "fake:" in body  # the seed feed's target channel
    assert 'action="/board/feed/1/pause"' in body and 'action="/board/feed/1/post"' in body


async def test_pause_from_the_board_is_feed_pause(board: Desk) -> None:
    desk = board
    await desk.sign_in(desk.fake.user("admin"))
    resp = await desk.client.post("/board/feed/1/pause", data={"csrf": await _csrf(desk)})
    assert resp.status == 200
    body = await resp.text()
    feed = await reads(desk.bot.store).feeds.get(1)
    assert feed is not None and feed.paused
    assert feed.pause_reason == f"paused by {desk.fake.user('admin').name}"
    assert "Paused feed" in body and "!feed resume 1" in body
    # the chat sees the very same state: its own pause now says "already paused"
    before = len(desk.fake.sent)
    await desk.fake.say(desk.fake.user("admin"), "!feed pause 1")
    await desk.bot.delivery.drain()
    said = [s.text for s in desk.fake.sent[before:]]
    assert any(f"already paused ({feed.pause_reason})" in s for s in said), said
    assert 'action="/board/feed/1/resume"' in await desk.page("/board")
    resp = await desk.client.post("/board/feed/1/resume", data={"csrf": await _csrf(desk)})
    assert "Resumed feed" in await resp.text()
    feed = await reads(desk.bot.store).feeds.get(1)
    assert feed is not None and not feed.paused


async def test_a_form_without_csrf_is_refused(board: Desk) -> None:
    desk = board
    await desk.sign_in(desk.fake.user("admin"))
    resp = await desk.client.post("/board/feed/1/pause", data={})
    assert resp.status == 403
    feed = await reads(desk.bot.store).feeds.get(1)
    assert feed is not None and not feed.paused


async def test_an_author_cannot_pause_from_the_board(board: Desk) -> None:
    desk = board
    await desk.sign_in(desk.fake.user("author"))
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', await desk.page("/desk"))
    assert m
    resp = await desk.client.post("/board/feed/1/pause", data={"csrf": m.group(1)})
    assert resp.status == 403
    feed = await reads(desk.bot.store).feeds.get(1)
    assert feed is not None and not feed.paused


async def test_a_retrying_message_shows_the_platforms_words(board: Desk) -> None:
    desk = board
    desk.fake.fail_next = 1  # the platform refuses the next send
    await desk.fake.say(desk.fake.user("dana"), "What does point 2 mean by that?")
    await desk.bot.delivery.deliver_due()
    await desk.sign_in(desk.fake.user("admin"))
    body = await desk.page("/board")
    assert "retrying" in body
    assert "the platform said:" in body and "simulated outage" in body
