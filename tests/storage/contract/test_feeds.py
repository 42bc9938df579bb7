"""Feeds: one row per URL, authors, polling state, pauses, moves, seen entries and holds."""

from __future__ import annotations

from datetime import timedelta

from bot.core.models import ArticleId, FeedId
from bot.storage.port import Store
from bot.storage.types import EntryRecord, FetchOk
from tests.storage.contract.conftest import NOW, seeded

URL = "https://example.org/feed"


async def test_a_url_is_one_feed(store: Store) -> None:
    async with store.transaction() as tx:
        fid = await tx.feeds.ensure(URL, title="First", source="config", now=NOW)
        assert await tx.feeds.ensure(URL, title="Other", source="chat", now=NOW) == fid
    async with store.read() as r:
        feed = await r.feeds.by_url(URL)
        assert feed is not None and feed.id == fid and feed.title == "First"
        assert feed.source == "config" and not feed.paused and feed.failures == 0
        assert await r.feeds.get(fid) == feed and await r.feeds.all() == [feed]
        assert await r.feeds.get(99) is None and await r.feeds.by_url("x") is None


async def test_due_feeds_and_the_next_due_time(store: Store) -> None:
    async with store.transaction() as tx:
        never = await tx.feeds.ensure("https://a.example/f", title="", source="chat", now=NOW)
        later = await tx.feeds.ensure("https://b.example/f", title="", source="chat", now=NOW)
        await tx.feeds.ensure("bundled:example-feed.xml", title="", source="builtin", now=NOW)
        ok = FetchOk(200, '"e1"', "Mon", "body1", NOW + timedelta(hours=1), "Title", "https://b")
        await tx.feeds.record_ok(later, ok, NOW)
    async with store.read() as r:
        assert [f.id for f in await r.feeds.due(NOW)] == [never]  # never polled; no bundled
        assert await r.feeds.next_due_at(NOW) == NOW
    async with store.transaction() as tx:
        await tx.feeds.record_ok(never, ok, NOW)
    async with store.read() as r:
        assert await r.feeds.due(NOW) == []
        assert await r.feeds.next_due_at(NOW) == NOW + timedelta(hours=1)
        feed = await r.feeds.get(later)
        assert feed is not None
        assert (feed.etag, feed.last_modified, feed.body_hash, feed.last_status) == (
            '"e1"',
            "Mon",
            "body1",
            200,
        )
        assert (feed.title, feed.site_link, feed.last_ok_at) == ("Title", "https://b", NOW)
        assert [f.id for f in await r.feeds.due(NOW + timedelta(hours=2))] == [never, later]


async def test_failures_count_up_a_pause_happens_once_and_resume_clears(store: Store) -> None:
    async with store.transaction() as tx:
        fid = await tx.feeds.ensure(URL, title="", source="chat", now=NOW)
        nxt = NOW + timedelta(minutes=5)
        assert (
            await tx.feeds.record_failure(
                fid, status=500, error="HTTP 500", next_poll_at=nxt, now=NOW
            )
            == 1
        )
        assert (
            await tx.feeds.record_failure(
                fid, status=None, error="timeout", next_poll_at=nxt, now=NOW
            )
            == 2
        )
        assert await tx.feeds.pause(fid, "failing") == 1
        assert await tx.feeds.pause(fid, "again") is None  # already paused
    async with store.read() as r:
        feed = await r.feeds.get(fid)
        assert feed is not None and feed.paused and feed.pause_reason == "failing"
        assert (feed.failures, feed.last_error, feed.last_status) == (2, "timeout", None)
        assert await r.feeds.due(NOW + timedelta(days=1)) == []
        assert await r.feeds.next_due_at(NOW) is None
    async with store.transaction() as tx:
        assert await tx.feeds.resume(fid, NOW)
        assert not await tx.feeds.resume(fid, NOW)
        assert await tx.feeds.pause(fid, "by hand") == 2  # the pause number counts on
        assert await tx.feeds.resume(fid, NOW)
    async with store.read() as r:
        feed = await r.feeds.get(fid)
        assert feed is not None and not feed.paused and feed.failures == 0
        assert feed.next_poll_at == NOW


async def test_a_moved_feed_takes_its_new_url_unless_another_feed_has_it(store: Store) -> None:
    async with store.transaction() as tx:
        a = await tx.feeds.ensure("https://a.example/f", title="", source="chat", now=NOW)
        b = await tx.feeds.ensure("https://b.example/f", title="", source="chat", now=NOW)
        assert await tx.feeds.set_url(a, "https://a.example/new")
        assert not await tx.feeds.set_url(b, "https://a.example/new")
        await tx.feeds.configure(a, interval_s=600, full_article="always", backfill=3, added_by="x")
        await tx.feeds.configure(a, interval_s=None, full_article=None, added_by="y")
        await tx.feeds.set_site_link(a, "https://a.example")
        await tx.feeds.set_site_link(a, "https://ignored.example")  # only if none is known
    async with store.read() as r:
        feed = await r.feeds.get(a)
        assert feed is not None and feed.url == "https://a.example/new"
        assert (feed.interval_s, feed.full_article, feed.backfill, feed.added_by) == (
            None,
            None,
            3,
            "x",
        )
        assert feed.site_link == "https://a.example"


async def test_seen_entries_are_upserted_and_holds_open_and_release(store: Store) -> None:
    await seeded(store)
    fid = FeedId(1)
    async with store.transaction() as tx:
        hold = await tx.feeds.create_hold(fid, 8, 10, NOW)
        await tx.feeds.save_entries(
            fid,
            [
                EntryRecord("k1", "c1", "One", "https://1", NOW, "posted", ArticleId(1)),
                EntryRecord("k2", "c2", "Two", "https://2", None, "held", hold_id=hold),
            ],
            NOW,
        )
        await tx.feeds.mark_primed(fid, NOW)
        await tx.feeds.mark_primed(fid, NOW + timedelta(hours=1))  # the first time stays
    async with store.read() as r:
        seen = await r.feeds.seen(fid)
        assert set(seen) == {"k1", "k2"}
        assert (seen["k1"].status, seen["k1"].article_id, seen["k1"].published_at) == (
            "posted",
            1,
            NOW,
        )
        assert seen["k2"].hold_id == hold
        assert await r.feeds.open_hold(fid) == (hold, 8, NOW)
        assert [e.key for e in await r.feeds.recent(fid, 1)] == ["k1"]
        feed = await r.feeds.get(fid)
        assert feed is not None and feed.primed_at == NOW
    later = NOW + timedelta(minutes=1)
    async with store.transaction() as tx:
        # Posted later: the status moves, the article and hold stay known.
        await tx.feeds.save_entries(
            fid, [EntryRecord("k2", "c2", "Two", "https://2", None, "posted", ArticleId(1))], later
        )
        await tx.feeds.touch_entry(fid, "k1", "c1-edited", later)
        assert await tx.feeds.release_holds(fid, "fake:admin", later) == 1
        assert await tx.feeds.release_holds(fid, "fake:admin", later) == 0
    async with store.read() as r:
        seen = await r.feeds.seen(fid)
        assert (seen["k2"].status, seen["k2"].hold_id, seen["k2"].article_id) == (
            "posted",
            hold,
            1,
        )
        assert (seen["k1"].content_hash, seen["k1"].status) == ("c1-edited", "posted")
        assert await r.feeds.open_hold(fid) is None


async def test_a_removed_feed_is_gone(store: Store) -> None:
    async with store.transaction() as tx:
        fid = await tx.feeds.ensure(URL, title="", source="chat", now=NOW)
        assert await tx.feeds.delete(fid)
        assert not await tx.feeds.delete(fid)
    async with store.read() as r:
        assert await r.feeds.all() == []


async def test_a_config_feed_moves_pauses_for_a_reason_and_resumes_for_it(store: Store) -> None:
    async with store.transaction() as tx:
        a = await tx.feeds.ensure("https://a.example/f", title="", source="config", now=NOW)
        b = await tx.feeds.ensure("https://b.example/f", title="", source="config", now=NOW)
        ok = FetchOk(200, '"e"', "Mon", "body", NOW + timedelta(hours=1))
        await tx.feeds.record_ok(a, ok, NOW)
        await tx.feeds.record_failure(a, status=500, error="x", next_poll_at=NOW, now=NOW)
        assert await tx.feeds.move(a, "https://a.example/new")
        assert not await tx.feeds.move(b, "https://a.example/new")  # another feed has it
        await tx.feeds.pause_for(b, "removed")
        await tx.feeds.pause_for(b, "removed")  # paused already: not a new pause
        assert not await tx.feeds.resume_paused_for(b, "another reason")
    async with store.read() as r:
        moved = await r.feeds.get(a)
        assert moved is not None and moved.url == "https://a.example/new"
        assert (moved.etag, moved.last_modified, moved.body_hash) == (None, None, None)
        assert (moved.failures, moved.next_poll_at) == (0, None)
        paused = await r.feeds.get(b)
        assert paused is not None and paused.paused and paused.pause_reason == "removed"
    async with store.transaction() as tx:
        assert await tx.feeds.pause(b, "x") is None  # still paused
        assert await tx.feeds.resume_paused_for(b, "removed")
        assert await tx.feeds.pause(b, "by hand") == 2  # one pause counted before
    async with store.read() as r:
        again = await r.feeds.get(b)
        assert again is not None and again.pause_reason == "by hand"
