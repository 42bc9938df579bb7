"""The admin's board against a real Bot over real SQLite, through aiohttp's test client."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import pytest

from bot.storage.sqlite.store import SqliteStore
from tests.conftest import Clock
from tests.fakes import FakeChatAdapter
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
