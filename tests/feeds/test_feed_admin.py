"""!feed commands from chat, on the fake platform, against feeds on a loopback server."""

from __future__ import annotations

import pytest

from bot.core.models import ArticleId, ChatRef, Platform, Role
from tests.feeds.conftest import FeedBot, FeedServer, Item, rss20
from tests.reads import reads

ITEMS = [Item(f"e{n}", f"Entry {n}", f"Mon, 0{n} Jan 2026 08:00:00 GMT") for n in (5, 4, 3, 2, 1)]


@pytest.mark.parametrize(
    ("choice", "posted", "says"),
    [
        ("", ["Entry 5"], "Posting the latest entry now."),
        ("backfill latest", ["Entry 5"], "Posting the latest entry now."),
        ("backfill none", [], "Posting nothing now; the next new entry will be posted."),
        ("backfill 3", ["Entry 3", "Entry 4", "Entry 5"], "Posting the 3 newest entries now."),
    ],
)
async def test_add_checks_the_feed_at_once_and_posts_as_told(
    feedbot: FeedBot, server: FeedServer, choice: str, posted: list[str], says: str
) -> None:
    url = server.serve("/feed.xml", rss20(ITEMS, title="Words"))
    reply = await feedbot.admin(f"!feed add {url} {choice}")
    assert "Added feed #1 “Words”" in reply
    assert "It has 5 entries; the latest is “Entry 5”, 2026-01-05." in reply
    assert says in reply
    summaries = feedbot.summaries("#general")
    assert [s.splitlines()[0] for s in summaries] == posted  # oldest first
    # Nothing more on the next poll: the rest was seen when the feed was added.
    await feedbot.poll(advance=901)
    assert len(feedbot.summaries()) == len(posted)


async def test_add_to_another_channel_and_with_authors(
    feedbot: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/feed.xml", rss20(ITEMS))
    reply = await feedbot.admin(f"!feed add {url} #news author ana fake:bo")
    assert "posting to fake:#news" in reply
    assert len(feedbot.summaries("#news")) == 1 and not feedbot.summaries("#general")
    assert "fake:ana and fake:bo now answer its readers' questions here" in reply
    news = ChatRef(Platform("fake"), "#news")
    assert await reads(feedbot.app.store).posts.authors_where(ArticleId(1), news) == {
        "fake:ana",
        "fake:bo",
    }


async def test_the_same_url_in_two_channels_is_one_feed_fetched_once(
    feedbot: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/feed.xml", rss20(ITEMS))
    await feedbot.admin(f"!feed add {url}")
    reply = await feedbot.admin(f"!feed add {url} #news")
    assert "Added feed #1" in reply
    assert len(feedbot.summaries("#news")) == 1
    server.serve("/feed.xml", rss20([Item("e6", "Entry 6"), *ITEMS]))
    before = server.count("/feed.xml")
    await feedbot.poll(advance=901)
    assert server.count("/feed.xml") == before + 1
    assert feedbot.summaries("#general")[-1].startswith("Entry 6")
    assert feedbot.summaries("#news")[-1].startswith("Entry 6")


async def test_a_member_may_not_manage_feeds(feedbot: FeedBot, server: FeedServer) -> None:
    url = server.serve("/feed.xml", rss20(ITEMS))
    await feedbot.fake.say(feedbot.fake.user("dana"), f"!feed add {url}")
    await feedbot.app.delivery.drain()
    assert "is for admins only" in feedbot.fake.sent[-1].text
    assert server.count("/feed.xml") == 0
    assert await reads(feedbot.app.store).feeds.all() == []


async def test_a_platform_admin_may(feedbot: FeedBot, server: FeedServer) -> None:
    feedbot.fake.roles["mod"] = Role.ADMIN
    url = server.serve("/feed.xml", rss20(ITEMS))
    await feedbot.fake.say(feedbot.fake.user("mod"), f"!feed add {url}")
    await feedbot.app.delivery.drain()
    assert "Added feed #1" in feedbot.fake.sent[-1].text


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("!feed add", "!feed add needs the feed's address"),
        ("!feed add ftp://x.org/feed", "is not a web address"),
        ("!feed add https://x.org/f backfill lots", "backfill takes none, latest or a number"),
        ("!feed add https://x.org/f #a #b", "I did not understand '#b'"),
        ("!feed add https://x.org/f full sometimes", "full takes teasers, always or never"),
        ("!feed status", "!feed status needs a feed number like 3"),
        ("!feed pause abc", "needs a feed number like 3, not 'abc'"),
        ("!feed remove 42", "There is no feed #42"),
        ("!feed list", "No feeds yet. Add one with !feed add <url>."),
    ],
)
async def test_usage_errors_in_plain_words(feedbot: FeedBot, command: str, expected: str) -> None:
    assert expected in await feedbot.admin(command)


async def test_an_unreachable_or_unreadable_url_adds_nothing(
    feedbot: FeedBot, server: FeedServer
) -> None:
    reply = await feedbot.admin(f"!feed add {server.url('/missing.xml')}")
    assert "I could not add" in reply and "HTTP 404 (Not Found)" in reply
    server.serve("/page", b"<html><body><p>Hello</p></body></html>", content_type="text/html")
    reply = await feedbot.admin(f"!feed add {server.url('/page')}")
    assert "a web page, not a feed, and it names no feed" in reply
    assert await reads(feedbot.app.store).feeds.all() == []


async def test_a_page_that_links_to_its_feed_is_followed(
    feedbot: FeedBot, server: FeedServer
) -> None:
    feed = server.serve("/blog/feed.xml", rss20(ITEMS, title="Blog"))
    page = (
        b'<!doctype html><html><head><link rel="stylesheet" href="/s.css">'
        b'<link rel="alternate" type="application/rss+xml" title="RSS" href="feed.xml">'
        b"</head><body><p>Welcome</p></body></html>"
    )
    server.serve("/blog/", page, content_type="text/html; charset=utf-8")
    reply = await feedbot.admin(f"!feed add {server.url('/blog/')}")
    assert f"Added feed #1 “Blog” — {feed} (found from the page" in reply
    stored = await reads(feedbot.app.store).feeds.get(1)
    assert stored is not None and stored.url == feed


async def test_list_pause_resume_remove(feedbot: FeedBot, server: FeedServer) -> None:
    url = server.serve("/feed.xml", rss20(ITEMS, title="Words"))
    await feedbot.admin(f"!feed add {url}")
    listing = await feedbot.admin("!feed list")
    assert f"#1 “Words” — {url} — added in chat — posts to fake:#general" in listing
    assert "every 15 min; last fetch now (HTTP 200), 0 failures in a row, next poll in 15 min" in (
        listing
    )

    assert "Paused feed #1 “Words”" in await feedbot.admin("!feed pause 1")
    assert "already paused" in await feedbot.admin("!feed pause 1")
    assert "PAUSED: paused by Admin" in await feedbot.admin("!feed list")
    hits = server.count("/feed.xml")
    await feedbot.poll(advance=3600)
    assert server.count("/feed.xml") == hits  # paused: not fetched

    assert "Resumed feed #1" in await feedbot.admin("!feed resume 1")
    assert "is not paused" in await feedbot.admin("!feed resume 1")
    await feedbot.poll()
    assert server.count("/feed.xml") == hits + 1

    reply = await feedbot.admin("!feed remove #1")
    assert "Removed feed #1 “Words”; it no longer posts to fake:#general" in reply
    assert await reads(feedbot.app.store).feeds.all() == []
    await feedbot.poll(advance=3600)
    assert server.count("/feed.xml") == hits + 1


async def test_status_says_why_entries_were_or_were_not_posted(
    feedbot: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/feed.xml", rss20(ITEMS, title="Words"))
    await feedbot.admin(f"!feed add {url}")
    feedbot.fake.fail_next = 1
    server.serve(
        "/feed.xml", rss20([Item("e6", "Entry 6", "Tue, 06 Jan 2026 08:00:00 GMT"), *ITEMS])
    )
    await feedbot.poll(advance=901)
    status = await feedbot.admin("!feed status 1", channel="#admins")
    lines = status.splitlines()
    assert lines[0].startswith(f"Feed #1 “Words” — {url} — added in chat by fake:admin")
    entry6 = next(line for line in lines if "Entry 6" in line)
    assert "posted: delivery to fake:#general failing, retrying" in entry6
    assert "simulated outage" in entry6
    entry5 = next(line for line in lines if "Entry 5" in line)
    assert "posted: delivered to fake:#general" in entry5
    entry4 = next(line for line in lines if "Entry 4" in line)
    assert "not posted: it was already in the feed when the feed was added" in entry4


async def test_a_feed_of_one_entry_reads_right(feedbot: FeedBot, server: FeedServer) -> None:
    url = server.serve("/one.xml", rss20(ITEMS[:1], title="One"))
    reply = await feedbot.admin(f"!feed add {url}")
    assert "It has 1 entry; the latest is “Entry 5”" in reply  # issue 18: not "1 entries"
