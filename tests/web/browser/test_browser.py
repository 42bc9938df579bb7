"""The desk and the board in a real Chromium (Playwright), against a real Bot over real
SQLite served on loopback. Skipped when /usr/bin/chromium is missing, unless
POINTBOT_REQUIRE_CHROMIUM=1 (CI sets it). POINTBOT_SCREENSHOTS=1 writes
docs/screenshots/*.png."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.sqlite.store import SqliteStore
from tests.conftest import Clock
from tests.fakes import FakeChatAdapter
from tests.reads import reads
from tests.web.test_desk import SEED_Q3, Desk, make_desk

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"

if not Path(CHROMIUM).exists() and os.environ.get("POINTBOT_REQUIRE_CHROMIUM") != "1":
    pytest.skip("no /usr/bin/chromium", allow_module_level=True)

from playwright.async_api import Browser, Page, async_playwright  # noqa: E402


@pytest.fixture
async def site(db: SqliteStore, fake: FakeChatAdapter, clock: Clock) -> AsyncIterator[Desk]:
    bot, client = await make_desk(db, fake, clock)
    try:
        yield Desk(bot, fake, clock, client)
    finally:
        await client.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            await b.close()


async def _shot(page: Page, name: str) -> None:
    if os.environ.get("POINTBOT_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / name), full_page=True)


def _url(site: Desk, path: str) -> str:
    return str(site.client.make_url(path))


async def test_admin_signs_in_and_sees_desk_board_and_stuck_chart(
    site: Desk, browser: Browser
) -> None:
    await site.fake.say(site.fake.user("dana"), SEED_Q3)
    await site.fake.say(site.fake.user("eve"), "Point 3: <script>alert(1)</script> why?")
    await site.bot.delivery.drain()
    page = await browser.new_page()
    await page.goto(_url(site, await site.link(site.fake.user("admin"))))
    assert page.url.endswith("/desk")
    await page.goto(_url(site, "/desk/article/1"))
    body = await page.inner_text("main")
    assert "clandestine arms transfers" in body
    assert "<script>alert(1)</script>" in body  # shown as text, not run
    await _shot(page, "desk.png")
    await page.goto(_url(site, "/board"))
    assert await page.locator("#feed-1").count() == 1
    await _shot(page, "board.png")
    await page.goto(_url(site, "/board/article/1/stuck"))
    bars = page.locator("svg.chart g.bar")
    assert await bars.count() >= 5
    assert await bars.first.get_attribute("data-point") == "3"
    await _shot(page, "stuck.png")
    await page.goto(_url(site, "/board"))
    await page.click("form[action='/board/feed/1/pause'] button")
    assert "Paused feed" in await page.inner_text("main")
    feed = await reads(site.bot.store).feeds.get(1)
    assert feed is not None and feed.paused


async def test_a_reused_link_is_refused(site: Desk, browser: Browser) -> None:
    link = _url(site, await site.link(site.fake.user("admin")))
    page = await browser.new_page()
    await page.goto(link)
    assert page.url.endswith("/desk")
    other = await browser.new_page()
    resp = await other.goto(link)
    assert resp is not None and resp.status >= 400


async def test_an_author_is_refused_the_board(site: Desk, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(_url(site, await site.link(site.fake.user("author"))))
    resp = await page.goto(_url(site, "/board"))
    assert resp is not None and resp.status == 403


async def test_author_answers_in_the_browser_and_the_asker_hears(
    site: Desk, browser: Browser
) -> None:
    asked = await site.fake.say(site.fake.user("dana"), SEED_Q3)
    await site.bot.delivery.drain()
    page = await browser.new_page()
    await page.goto(_url(site, await site.link(site.fake.user("author"))))
    await page.goto(_url(site, "/desk/article/1"))
    form = page.locator("form[action='/desk/article/1/q/1/answer']")
    await form.locator("textarea").fill("Weapons moved in secret between states.")
    await form.locator("button").click()
    await page.wait_for_load_state()
    await site.bot.delivery.drain()
    told = [s for s in site.fake.sent if s.reply_to == asked and "answered your" in s.text]
    assert told and "Weapons moved in secret" in told[-1].text
    q = await reads(site.bot.store).questions.get(1)
    assert q is not None and q.answer == "Weapons moved in secret between states."


async def test_a_form_without_its_csrf_token_is_refused(site: Desk, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(_url(site, await site.link(site.fake.user("admin"))))
    resp = await page.request.post(_url(site, "/board/feed/1/pause"), form={"x": "1"})
    assert resp.status == 403
    feed = await reads(site.bot.store).feeds.get(1)
    assert feed is not None and not feed.paused


async def test_an_expired_link_is_refused(site: Desk, browser: Browser) -> None:
    link = _url(site, await site.link(site.fake.user("admin")))
    site.clock.advance(601)
    page = await browser.new_page()
    resp = await page.goto(link)
    assert resp is not None and resp.status >= 400
    assert "used up or expired" in await page.inner_text("body")
    await page.goto(_url(site, "/board"))
    assert page.url.endswith("/login")  # not signed in: sent to "how to sign in"


async def test_a_member_gets_no_link(site: Desk) -> None:
    said = await site.dm(site.fake.user("dana"), "!web")
    assert "for authors only" in said and "/login/" not in said
