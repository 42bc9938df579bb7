"""``!feed cap`` / ``max_per_day``: past a subscription's daily cap, entries wait for the next
day (the test clock's), oldest first; status says so; nothing is dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from tests.feeds.conftest import FeedBot, FeedServer
from tests.feeds.test_filters import FIRST, NEXT, rss, titles

MORE = [("e5", "Late news", "bo@example.org (Bo)", "News"), *NEXT]


async def test_entries_past_the_cap_wait_for_the_next_day(
    feedbot: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/feed.xml", rss(FIRST))
    await feedbot.admin(f"!feed add {url}")
    said = await feedbot.admin("!feed cap 1 2")
    assert "posts at most 2 new entries a day (UTC) here" in said
    server.serve("/feed.xml", rss(NEXT))
    await feedbot.poll(advance=901)  # 2026-01-05 09:15
    assert titles(feedbot, "#general") == [
        "Opening",
        "Rust 2.0 released",
        "Election results tonight",
    ]
    status = await feedbot.admin("!feed status 1")
    assert "“Sponsored: buy our widget” (2026-01-04) — waiting: this channel's cap" in status

    server.serve("/feed.xml", rss(MORE))
    await feedbot.poll(advance=901)  # the same day: a newer entry waits behind the older one
    assert len(feedbot.summaries()) == 3
    assert "“Late news” (2026-01-05) — waiting" in await feedbot.admin("!feed status 1")

    await feedbot.poll(advance=14 * 3600)  # 2026-01-05 23:45: still the same day
    assert len(feedbot.summaries()) == 3
    await feedbot.poll(advance=3600)  # 2026-01-06 00:45: a new day, two more
    assert titles(feedbot, "#general")[3:] == ["Sponsored: buy our widget", "Late news"]
    status = await feedbot.admin("!feed status 1")
    assert "waiting" not in status and "“Late news” (2026-01-05) — posted: delivered" in status
    await feedbot.poll(advance=901)
    assert len(feedbot.summaries()) == 5  # nothing twice


async def test_removing_the_cap_posts_what_waited(feedbot: FeedBot, server: FeedServer) -> None:
    url = server.serve("/feed.xml", rss(FIRST))
    await feedbot.admin(f"!feed add {url}")
    await feedbot.admin("!feed cap 1 1")
    server.serve("/feed.xml", rss(NEXT))
    await feedbot.poll(advance=901)
    assert len(feedbot.summaries()) == 2
    assert "no daily cap here now" in await feedbot.admin("!feed cap 1 none")
    await feedbot.poll(advance=901)
    assert titles(feedbot, "#general")[2:] == [
        "Election results tonight",
        "Sponsored: buy our widget",
    ]


@pytest.mark.parametrize("word", ["", "0", "lots"])
async def test_a_bad_cap_is_refused(feedbot: FeedBot, server: FeedServer, word: str) -> None:
    url = server.serve("/feed.xml", rss(FIRST))
    await feedbot.admin(f"!feed add {url}")
    said = await feedbot.admin(f"!feed cap 1 {word}".strip())
    assert "a number from 1 to 1000, or none" in said


def test_max_per_day_in_the_config(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    feed = '[[feeds]]\nurl = "https://w.example/feed"\ntargets = ["console:#general"]\n'
    path.write_text(feed + "max_per_day = 3\n")
    assert load_settings(path, {}).feeds[0].max_per_day == 3
    path.write_text(feed + "max_per_day = 0\n")
    with pytest.raises(ConfigError, match=r"feeds\[0\].max_per_day"):
        load_settings(path, {})
