"""Exactly once across crashes, platform outages and edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.base import Capabilities
from bot.storage.sqlite.feeds import SqliteFeeds
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import Clock
from tests.fakes import FakeChatAdapter
from tests.feeds.conftest import (
    FeedBot,
    FeedServer,
    Item,
    feed_settings,
    make_feedbot,
    paragraphs,
    rss20,
)
from tests.reads import reads

ITEMS = [Item(f"e{n}", f"Entry {n}", f"Mon, 0{n} Jan 2026 08:00:00 GMT") for n in (3, 2, 1)]
NEW = Item("e4", "Entry 4", "Sun, 04 Jan 2026 09:00:00 GMT")


class Killed(BaseException):
    """The process dies here: nothing after this line runs, nothing is cleaned up."""


@pytest.mark.parametrize("where", ["before publishing", "after publishing"])
async def test_killed_between_fetching_and_posting_posts_once_after_restart(
    tmp_path: Path, server: FeedServer, clock: Clock, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await SqliteStore.open(path)
    fake = FakeChatAdapter()
    fb = await make_feedbot(db, fake, clock, feed_settings())
    url = server.serve("/feed", rss20(ITEMS))
    await fb.admin(f"!feed add {url}")
    server.serve("/feed", rss20([NEW, *ITEMS]))

    def die(*args: object, **kw: object) -> None:
        raise Killed

    with monkeypatch.context() as m:
        if where == "before publishing":
            m.setattr(fb.app.publisher, "publish", die)
        else:
            m.setattr(SqliteFeeds, "save_entries", die)
        clock.advance(901)
        with pytest.raises(Killed):
            await fb.app.poller.poll_due()
    await fb.app.fetcher.close()
    await db.close()

    # Restart on the same file, with the same platform (which remembers what it got).
    db2 = await SqliteStore.open(path)
    fb2 = await make_feedbot(db2, fake, clock, feed_settings())
    try:
        await fb2.poll()
        await fb2.poll(advance=901)
        assert [s.splitlines()[0] for s in fb2.summaries()] == ["Entry 3", "Entry 4"]
        seen = await reads(db2).feeds.seen(1)
        assert seen["guid:e4"].status == "posted"
    finally:
        await fb2.app.fetcher.close()
        await db2.close()


async def test_a_failing_platform_is_retried_until_it_posts_once(
    feedbot: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/feed", rss20(ITEMS))
    await feedbot.admin(f"!feed add {url} backfill none")
    server.serve("/feed", rss20([NEW, *ITEMS]))
    feedbot.fake.fail_next = 3
    await feedbot.poll(advance=901)
    assert feedbot.summaries() == []
    for _ in range(6):
        await feedbot.poll(advance=120)  # past each retry's backoff
    assert [s.splitlines()[0] for s in feedbot.summaries()] == ["Entry 4"]
    assert feedbot.fake.fail_next == 0
    posts = await reads(feedbot.app.store).posts.latest_article_in(feedbot.fake.sent[0].where)
    assert posts is not None
    outbox = await reads(feedbot.app.store).outbox.of_article(posts)
    assert {s.status for s in outbox} == {"done"}


async def test_an_edited_entry_edits_the_summary_and_opens_no_thread(
    feedbot: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/feed", rss20(ITEMS))
    await feedbot.admin(f"!feed add {url}")
    threads = len(feedbot.fake.threads())
    edited = Item("e3", "Entry 3, corrected", ITEMS[0].date, paragraphs("rewritten"))
    server.serve("/feed", rss20([edited, *ITEMS[1:]]))
    await feedbot.poll(advance=901)
    edits = [s for s in feedbot.fake.sent if s.op == "edit"]
    assert len(edits) == 1 and edits[0].text.startswith("Entry 3, corrected")
    assert edits[0].where == next(s.where for s in feedbot.fake.sent if s.op == "post")
    assert len(feedbot.fake.threads()) == threads and len(feedbot.summaries()) == 1
    stored = await reads(feedbot.app.store).articles.get(1)  # type: ignore[arg-type]
    assert stored is not None and stored.article.title == "Entry 3, corrected"
    await feedbot.poll(advance=901)  # unchanged since: no second edit
    assert len([s for s in feedbot.fake.sent if s.op == "edit"]) == 1


async def test_a_failed_edit_is_retried_by_the_outbox_and_applied_once(
    feedbot: FeedBot, server: FeedServer
) -> None:
    url = server.serve("/feed", rss20(ITEMS))
    await feedbot.admin(f"!feed add {url}")
    edited = Item("e3", "Entry 3, corrected", ITEMS[0].date, paragraphs("rewritten"))
    server.serve("/feed", rss20([edited, *ITEMS[1:]]))
    feedbot.fake.fail_next = 1
    await feedbot.poll(advance=901)
    assert [s for s in feedbot.fake.sent if s.op == "edit"] == []
    await feedbot.poll(advance=60)  # the outbox's backoff has passed; the feed is not due
    edits = [s for s in feedbot.fake.sent if s.op == "edit"]
    assert len(edits) == 1 and edits[0].text.startswith("Entry 3, corrected")


async def test_no_edit_where_the_platform_cannot(
    db: SqliteStore, clock: Clock, server: FeedServer
) -> None:
    fake = FakeChatAdapter(capabilities=Capabilities(edits=False))
    fb = await make_feedbot(db, fake, clock, feed_settings())
    try:
        url = server.serve("/feed", rss20(ITEMS))
        await fb.admin(f"!feed add {url}")
        server.serve("/feed", rss20([Item("e3", "Entry 3, corrected"), *ITEMS[1:]]))
        await fb.poll(advance=901)
        assert [s for s in fake.sent if s.op == "edit"] == []
        assert len(fb.summaries()) == 1
    finally:
        await fb.app.fetcher.close()
