"""``!feed announce``: a target's mention, once, on the summary of a NEW article only: never
on the backfill when the feed is added, ``!feed post``, a held batch, or an edit. Through
the real poller against a loopback feed; the outbox carries the intent to the adapter."""

from __future__ import annotations

from bot.core.models import ChatRef, Platform
from tests.fakes import Sent
from tests.feeds.conftest import FeedBot, FeedServer, Item, rss20

ITEMS = [Item(f"e{n}", f"Entry {n}", f"Mon, 0{n} Jan 2026 08:00:00 GMT") for n in (3, 2, 1)]


def summaries(fb: FeedBot) -> list[Sent]:
    return [s for s in fb.fake.sent if s.key.endswith(":summary") and s.op == "post"]


def announced(fb: FeedBot) -> list[tuple[str, str | None]]:
    return [
        (s.text.splitlines()[0], s.message.announce if s.message else None) for s in summaries(fb)
    ]


async def test_a_new_article_is_announced_once_and_nothing_else_is(
    feedbot: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/feed.xml", rss20(ITEMS))
    await feedbot.admin(f"!feed add {url} backfill 2")
    said = await feedbot.admin("!feed announce 1 here @here")
    assert "now mentions @here once on the summary of each new article in fake:#general" in said
    assert "Announces @here in fake:#general." in await feedbot.admin("!feed status 1")
    assert "announces @here in fake:#general" in await feedbot.admin("!feed list")

    fresh = [Item("e4", "Entry 4"), *ITEMS]
    server.serve("/feed.xml", rss20(fresh))
    await feedbot.poll(advance=901)
    assert announced(feedbot) == [("Entry 2", None), ("Entry 3", None), ("Entry 4", "here")]
    # The outbox row itself carries it (a restart delivers it the same way).
    edits_before = len([s for s in feedbot.fake.sent if s.op == "edit"])

    # An edit of the announced article: a new summary text, no mention.
    server.serve("/feed.xml", rss20([Item("e4", "Entry 4, corrected"), *ITEMS]))
    await feedbot.poll(advance=901)
    edits = [s for s in feedbot.fake.sent if s.op == "edit"][edits_before:]
    assert edits and all(s.message is None or s.message.announce is None for s in edits)

    # !feed post of an older entry: a repost, no mention.
    await feedbot.admin("!feed post 1 4")
    assert [a for _, a in announced(feedbot)] == [None, None, "here", None]

    # A held batch, then released by !feed post: no mention.
    flood = [Item(f"f{n}", f"Flood {n}") for n in range(8)]
    server.serve("/feed.xml", rss20([*flood, Item("e4", "Entry 4, corrected"), *ITEMS]))
    await feedbot.poll(advance=901)
    assert "Held:" in await feedbot.admin("!feed status 1")
    await feedbot.admin("!feed post 1 3")
    assert [a for _, a in announced(feedbot)].count("here") == 1

    # none: the next new article mentions nobody.
    assert "mentions nobody" in await feedbot.admin("!feed announce 1 here none")
    server.serve("/feed.xml", rss20([Item("g1", "Later"), *flood, *ITEMS]))
    await feedbot.poll(advance=901)
    assert announced(feedbot)[-1] == ("Later", None)


async def test_announce_is_checked_when_set(feedbot: FeedBot, server: FeedServer) -> None:
    url = server.serve("/feed.xml", rss20(ITEMS))
    await feedbot.admin(f"!feed add {url}")
    assert "never pings @everyone" in await feedbot.admin("!feed announce 1 here @everyone")
    assert "is not something to announce" in await feedbot.admin("!feed announce 1 here @bob")
    said = await feedbot.admin("!feed announce 1 #elsewhere @here")
    assert "does not post to fake:#elsewhere; it posts to fake:#general" in said
    assert "Announces" not in await feedbot.admin("!feed status 1")


async def test_the_first_poll_of_a_feed_is_a_backfill_and_is_not_announced(
    feedbot: FeedBot, server: FeedServer
) -> None:
    """A target that already has announce (set in storage before the feed was ever read):
    the first poll posts the backfill without the mention; the next new entry has it."""
    url = server.serve("/feed.xml", rss20(ITEMS))
    now = feedbot.clock()
    async with feedbot.app.store.transaction() as tx:
        fid = await tx.feeds.ensure(url, title="", source="chat", now=now)
        sub = await tx.subscriptions.ensure(
            fid, "fake:#general", added_by=None, backfill=1, now=now
        )
        target = await tx.posts.ensure_target(fid, ChatRef(Platform("fake"), "#general"), sub)
        await tx.posts.set_announce(target.id, "here")
    await feedbot.poll()
    assert announced(feedbot) == [("Entry 3", None)]
    server.serve("/feed.xml", rss20([Item("e4", "Entry 4"), *ITEMS]))
    await feedbot.poll(advance=901)
    assert announced(feedbot) == [("Entry 3", None), ("Entry 4", "here")]
