"""The newcomer's path, in a real Chromium: ``python -m bot --web`` (the console demo on
SQLite) prints a sign-in link; opened, it shows the seed article's five points with the
demo's questions under point 3; a reader then asks on the console, the author answers from
the page, and the console shows the asker receiving the answer. A second opening of the
same link is refused. Skipped without /usr/bin/chromium unless POINTBOT_REQUIRE_CHROMIUM=1."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"

if not Path(CHROMIUM).exists() and os.environ.get("POINTBOT_REQUIRE_CHROMIUM") != "1":
    pytest.skip("no /usr/bin/chromium", allow_module_level=True)

from playwright.async_api import async_playwright  # noqa: E402

from tests.web.browser.test_browser import ARGS  # noqa: E402

SEED_POINTS = (
    "Iran’s Response To Israel’s Expected Retaliation",
    "Their Updated Strategic Partnership Document",
)


async def read_until(stream: asyncio.StreamReader, pattern: str, seen: list[str]) -> str:
    """Lines from the console until one matches ``pattern`` (kept in ``seen``)."""
    rx = re.compile(pattern)
    while True:
        raw = await asyncio.wait_for(stream.readline(), 60)
        if not raw:
            raise AssertionError(f"the console ended before {pattern!r}:\n" + "".join(seen))
        line = raw.decode()
        seen.append(line)
        if rx.search(line):
            return line


@pytest.mark.timeout(180)
async def test_the_console_demo_desk_in_a_browser(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--database",
        str(tmp_path / "demo.sqlite3"),
        "--web",
        "0",
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdin is not None and proc.stdout is not None
    seen: list[str] = []
    try:
        line = await read_until(proc.stdout, r"sign in as console:author", seen)
        m = re.search(r"(http://127\.0\.0\.1:\d+/login/\S+)", line)
        assert m, line
        link = m.group(1)
        await read_until(proc.stdout, r"demo finished", seen)
        proc.stdin.write(b"/as sam\nwhat do you mean by point 3's secret clauses?\n")
        await proc.stdin.drain()
        await read_until(proc.stdout, r"queued for the author", seen)

        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page()
            await page.goto(link)
            assert page.url.endswith("/desk"), page.url
            await page.click("text=What Putin And Pezeshkian Will Likely Discuss")
            body = await page.inner_text("main")
            for title in SEED_POINTS:
                assert title in body
            points = await page.locator("h3").all_inner_texts()
            assert len([t for t in points if re.match(r"^\s*[1-5]\.", t)]) == 5, points
            assert "clandestine arms transfers" in body  # the demo's question, answered
            assert "secret clauses" in body  # Sam's, open
            box = page.get_by_label(re.compile(r"^Answer to #3$"))
            await box.fill("Clauses neither side publishes; point 3 says they may agree some.")
            await box.locator("xpath=..").get_by_role("button", name="Answer").click()
            await page.wait_for_load_state()
            # The same link a second time: refused, in words.
            again = await browser.new_page()
            await again.goto(link)
            assert "sign" in (await again.inner_text("body")).lower()
            assert not again.url.endswith("/desk")
            await browser.close()

        told = await read_until(proc.stdout, r"@Sam .*answered your question #3", seen)
        assert told
        await read_until(proc.stdout, r"Clauses neither side publishes", seen)
    finally:
        if proc.returncode is None:
            proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()
