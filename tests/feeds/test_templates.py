"""``!feed template`` and ``template = {...}``: a subscription's summary heading and blocks,
through the real poller against feeds on a loopback server; refused when set, with the
reason, when it could not be posted; ``preview`` posts nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.core.template import Template
from tests.feeds.conftest import FeedBot, FeedServer
from tests.feeds.test_filters import FIRST, NEXT, rss


def posts(fb: FeedBot) -> int:
    return sum(1 for s in fb.fake.sent if s.op != "reply")


async def test_heading_and_blocks_shape_new_summaries(feedbot: FeedBot, server: FeedServer) -> None:
    url = server.serve("/feed.xml", rss(FIRST))
    await feedbot.admin(f"!feed add {url}")
    [first] = feedbot.summaries()
    assert first.splitlines()[0] == "Opening"  # the default look
    said = await feedbot.admin('!feed template 1 heading "New on {feed}: {title} ({date})"')
    assert 'now use heading "New on {feed}: {title} ({date})"' in said
    said = await feedbot.admin("!feed template 1 blocks points")
    assert "blocks points" in said
    server.serve("/feed.xml", rss(NEXT))
    await feedbot.poll(advance=901)
    newest = feedbot.summaries()[-1].splitlines()
    assert newest[0] == "New on Shared: Sponsored: buy our widget (2026-01-04)"
    assert not any(line.startswith("by ") for line in newest)  # no byline block
    assert newest[1] == "https://example.org/e4"  # the link stays when the heading lacks it
    listed = await feedbot.admin("!feed list")
    assert 'summaries: heading "New on {feed}: {title} ({date})", blocks points' in listed
    status = await feedbot.admin("!feed status 1")
    assert 'Summaries: heading "New on {feed}: {title} ({date})", blocks points.' in status

    said = await feedbot.admin("!feed template 1 reset")
    assert "now use the default" in said
    assert "summaries" not in (await feedbot.admin("!feed list")).lower()


async def test_link_in_the_heading_is_not_repeated(feedbot: FeedBot, server: FeedServer) -> None:
    url = server.serve("/feed.xml", rss(FIRST))
    await feedbot.admin(f"!feed add {url} backfill none")
    await feedbot.admin("!feed template 1 heading {title} — {link}")
    await feedbot.admin("!feed template 1 blocks byline,points")
    server.serve("/feed.xml", rss(NEXT[2:]))
    await feedbot.poll(advance=901)
    [summary] = feedbot.summaries()
    lines = summary.splitlines()
    assert lines[0] == "Rust 2.0 released — https://example.org/e2"
    assert lines[1] == "by ana@example.org (Ana)"
    assert summary.count("https://example.org/e2") == 1


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("heading {title} by {writer}", "unknown placeholder {writer}; use {title}, {author}"),
        ("heading {title", "a '{' that is never closed"),
        ("heading {title} }", "a '}' that closes nothing"),
        ("heading {title:>40}", "without ':' or '!'"),
        ("heading just words", "has no placeholder"),
        ("heading " + "x" * 400 + " {title}", "can reach 551 characters"),
        ("blocks points,pictures", "there is no block 'pictures'"),
        ("blocks points,points", "a block is named twice"),
        ("colours red", "I did not understand 'colours'"),
    ],
)
async def test_a_bad_template_is_refused_when_set(
    feedbot: FeedBot, server: FeedServer, command: str, reason: str
) -> None:
    url = server.serve("/feed.xml", rss(FIRST))
    await feedbot.admin(f"!feed add {url}")
    said = await feedbot.admin(f"!feed template 1 {command}")
    assert reason in said
    assert "now use" not in said
    assert "Summaries" not in await feedbot.admin("!feed status 1")


async def test_preview_shows_the_next_summary_and_posts_nothing(
    feedbot: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/feed.xml", rss(FIRST))
    await feedbot.admin(f"!feed add {url} backfill none")
    await feedbot.admin("!feed template 1 heading [{feed}] {title}, {points_count} points")
    server.serve("/feed.xml", rss(NEXT))
    before = posts(feedbot)
    said = await feedbot.admin("!feed template 1 preview")
    assert "“Sponsored: buy our widget” as it would be posted here (nothing was posted)" in said
    assert "\n\n[Shared] Sponsored: buy our widget, 0 points\n" in said
    assert posts(feedbot) == before
    assert feedbot.summaries() == []


def test_template_in_the_config(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    feed = '[[feeds]]\nurl = "https://w.example/feed"\ntargets = ["discord:123456789012345678"]\n'
    path.write_text(feed + 'template = {heading = "{feed}: {title}", blocks = ["points"]}\n')
    assert load_settings(path, {}).feeds[0].template == Template("{feed}: {title}", ("points",))
    path.write_text(feed + 'template = {heading = "{nope}"}\n')
    with pytest.raises(ConfigError, match=r"feeds\[0\].template.*unknown placeholder \{nope\}"):
        load_settings(path, {})
    path.write_text(feed + 'template = {heading = "{title} {link}"}\n')  # 351 > 256
    with pytest.raises(ConfigError, match=r"past Discord's limit for an embed title of 256"):
        load_settings(path, {})
