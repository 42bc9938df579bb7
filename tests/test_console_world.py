"""The console on a kept database, and scripted runs with an HTTP feed (issue 18, bugs 2, 3)."""

from __future__ import annotations

import io
import sqlite3
from dataclasses import replace
from pathlib import Path

from aiohttp import web

from bot.config import FeedSettings, PollSettings, Settings, example_feed
from bot.console_main import run_console
from bot.core.template import Template
from tests.conftest import SEED
from tests.loopback_feed import serving_feed


def kept(tmp_path: Path) -> Settings:
    """The example config copied to config/bot.toml: the bundled feed, a kept database."""
    return Settings(
        database=tmp_path / "pointbot.sqlite3",
        feeds=(example_feed(),),
        admins=frozenset({"console:admin"}),
        source=str(tmp_path / "bot.toml"),
    )


async def console(settings: Settings, lines: str = "", *, demo: bool = True) -> str:
    said: list[str] = []
    await run_console(settings, said.append, demo=demo, stdin=io.StringIO(lines))
    return "\n".join(said)


async def test_a_second_run_on_a_kept_database_restores_the_world_and_skips_the_demo(
    tmp_path: Path,
) -> None:
    settings = kept(tmp_path)
    first = await console(settings)
    assert "demo finished" in first and first.count("pointbot opened thread") == 5
    second = await console(
        settings,
        "/thread 3\nWhat do you mean by secret clauses?\n/back\n/as dana\n!questions\n"
        "/reply m8 Is that about point 3 too?\n/as author\n!answer 1 Corrected text.\n",
    )
    assert "demo is not played again" in second and "5 threads" in second
    assert "playing the demo" not in second
    assert "pointbot opened thread" not in second  # the article was posted once, in run one
    assert "you are in thread t3" in second and "no thread" not in second
    assert "your question #3 on point 3" in second  # asked in point 3's thread
    assert "no such message" not in second
    assert second.count("#1 — answered") == 1  # !questions lists it once, not once per run
    assert "corrected in" in second  # #1 was answered in run one: this corrects it
    third = await console(settings, "/thread\n")
    assert "t3: 3. Their Updated Strategic Partnership Document" in third


async def test_a_script_waits_for_the_first_poll_of_a_loopback_feed(tmp_path: Path) -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Loop</title>'
        b"<link>http://127.0.0.1/</link><item><guid>a1</guid><title>Looped article</title>"
        b"<description><![CDATA[" + SEED.read_bytes() + b"]]></description></item>"
        b"</channel></rss>"
    )
    async with serving_feed(body) as url:
        settings = replace(
            kept(tmp_path),
            feeds=(FeedSettings(url=url, targets=("console:#general",)),),
            polling=PollSettings(allow_private_addresses=("127.0.0.0/8",)),
        )
        out = await console(settings, "!points\n", demo=False)
    assert "Looped article" in out
    assert out.count("pointbot opened thread") == 5


async def test_a_template_and_an_announce_on_the_console(tmp_path: Path) -> None:
    """The config's template shapes the summaries; ``!feed template`` refuses a bad heading
    and previews without posting; ``!feed announce`` mentions @here on the next run's new
    article only (the kept database remembers it), not on the first run's backfill."""

    def rss(*items: tuple[str, str]) -> bytes:
        body = SEED.read_text()
        entries = "".join(
            f"<item><guid>{g}</guid><title>{t}</title><pubDate>Mon, 05 Jan 2026 08:00:00 GMT"
            f"</pubDate><description><![CDATA[{body}]]></description></item>"
            for g, t in items
        )
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Loop</title>'
            f"<link>http://127.0.0.1/</link>{entries}</channel></rss>"
        ).encode()

    served = {"body": rss(("a1", "Looped article"))}

    async def feed(_request: web.Request) -> web.Response:
        return web.Response(body=served["body"], content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed.xml", feed)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/feed.xml"
    try:
        settings = replace(
            kept(tmp_path),
            feeds=(
                FeedSettings(
                    url=url,
                    targets=("console:#general",),
                    template=Template("{feed} · {title}", ("points",)),
                ),
            ),
            polling=PollSettings(allow_private_addresses=("127.0.0.0/8",)),
        )
        first = await console(
            settings,
            "/as admin\n!feed template 1 heading {title} {nope}\n!feed template 1 preview\n"
            "!feed announce 1 #general @here\n!feed status 1\n",
            demo=False,
        )
        assert "Loop · Looped article" in first
        assert "unknown placeholder {nope}" in first and "Nothing was changed" in first
        assert "as it would be posted here (nothing was posted)" in first
        assert first.count("pointbot opened thread") == 5  # the preview opened none
        assert "now mentions @here once on the summary of each new article" in first
        assert 'Summaries: heading "{feed} · {title}", blocks points.' in first
        assert "Announces @here in console:#general." in first
        assert "@here Loop" not in first  # the backfill is not announced

        served["body"] = rss(("a2", "Second loop"), ("a1", "Looped article"))
        with sqlite3.connect(settings.database) as db:  # the poll interval has passed
            db.execute("UPDATE feeds SET next_poll_at = NULL")
        db.close()
        second = await console(settings, "", demo=False)
        assert "@here Loop · Second loop" in second
        assert second.count("@here") == 1
    finally:
        await runner.cleanup()
