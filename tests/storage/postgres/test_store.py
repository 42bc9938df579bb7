"""The PostgreSQL store as several processes see it: two stores on one database stand for
two bot processes (each has its own pool and its own in-process lock)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.models import ArticleId, ChatRef, FeedId
from bot.storage.postgres.store import PostgresStore
from bot.storage.types import CONFIG, StorageError
from tests.storage.contract.conftest import ARTICLE, FAKE, GENERAL, NOW, seeded


@pytest.fixture
async def two(postgres_dsn: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    a = await PostgresStore.open(postgres_dsn)
    b = await PostgresStore.open(postgres_dsn)
    yield a, b
    await a.close()
    await b.close()


async def test_what_another_process_commits_is_seen_at_once(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    """No cache can hide another process's edit or newer post (SQLite's store caches both)."""
    a, b = two
    await seeded(a)
    async with a.read() as r:
        assert (await r.articles.get(ArticleId(1))) is not None
        assert await r.posts.latest_article_in(GENERAL) is None
    edited = replace(ARTICLE, title="Edited elsewhere")
    async with b.transaction() as tx:
        await tx.articles.update(ArticleId(1), edited, "h-edit")
        await tx.posts.record(
            article_id=ArticleId(1), target_id=1, kind="summary", point=0,
            ref=ChatRef(FAKE, "#general", None, "s1"), now=NOW,
        )  # fmt: skip
    async with a.read() as r:
        stored = await r.articles.get(ArticleId(1))
        assert stored is not None and stored.article.title == "Edited elsewhere"
        assert await r.posts.latest_article_in(GENERAL) == ArticleId(1)


async def test_two_processes_creating_one_feed_get_one_row(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    """B's insert meets A's uncommitted row, waits for A's commit, then finds A's id."""
    a, b = two
    url = "https://example.org/shared"

    async def in_b() -> FeedId:
        async with b.transaction() as tx:
            return await tx.feeds.ensure(url, title="B", source="chat", now=NOW)

    async with a.transaction() as tx:
        mine = await tx.feeds.ensure(url, title="A", source="chat", now=NOW)
        theirs = asyncio.create_task(in_b())
        await asyncio.sleep(0.2)
        assert not theirs.done()  # waiting on A's row
    assert await theirs == mine
    async with b.read() as r:
        assert [f.title for f in await r.feeds.all()] == ["A"]


async def test_a_unit_rolls_back_whole_and_a_savepoint_alone(postgres_dsn: str) -> None:
    store = await PostgresStore.open(postgres_dsn)
    try:
        await seeded(store)
        with pytest.raises(RuntimeError):
            async with store.transaction() as tx:
                await tx.feeds.ensure("https://example.org/2", title="", source="chat", now=NOW)
                await tx.subscriptions.set_authors(1, [])
                raise RuntimeError("crash before commit")
        async with store.transaction() as tx:
            await tx.feeds.pause(FeedId(1), "kept")
            with pytest.raises(KeyError):
                async with tx.savepoint():
                    await tx.feeds.resume(FeedId(1), NOW)
                    raise KeyError("undone alone")
        async with store.read() as r:
            assert len(await r.feeds.all()) == 1
            assert await r.subscriptions.authors(1) == ["fake:author"]
            feed = await r.feeds.get(1)
            assert feed is not None and feed.paused and feed.pause_reason == "kept"
    finally:
        await store.close()


async def test_units_on_one_store_never_overlap(postgres_dsn: str) -> None:
    store = await PostgresStore.open(postgres_dsn, pool_size=4)
    inside = 0
    most = 0

    async def unit(n: int) -> None:
        nonlocal inside, most
        async with store.transaction() as tx:
            inside += 1
            most = max(most, inside)
            await tx.feeds.ensure(f"https://example.org/{n}", title="", source="chat", now=NOW)
            await asyncio.sleep(0.01)
            inside -= 1

    try:
        await asyncio.gather(*(unit(n) for n in range(8)))
        assert most == 1
    finally:
        await store.close()


async def test_a_read_is_one_snapshot_and_writes_nothing(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    a, b = two
    await seeded(a)
    async with a.read() as r:
        assert len(await r.feeds.all()) == 1
        async with b.transaction() as tx:
            await tx.feeds.ensure("https://example.org/2", title="", source="chat", now=NOW)
        assert len(await r.feeds.all()) == 1  # the snapshot the read began with
    async with a.read() as r:
        assert len(await r.feeds.all()) == 2
    with pytest.raises(Exception, match="read-only"):
        async with a.read() as r:
            await a.unit.feeds.pause(FeedId(1), "not in a read")


async def test_a_repository_outside_a_unit_fails_plainly(postgres_dsn: str) -> None:
    store = await PostgresStore.open(postgres_dsn)
    try:
        with pytest.raises(StorageError, match="outside a unit of work"):
            await store.unit.feeds.all()
    finally:
        await store.close()


async def test_set_authors_from_two_processes_leaves_one_list(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    a, b = two
    await seeded(a)
    async with a.transaction() as tx:
        sub = await tx.subscriptions.ensure(FeedId(1), CONFIG, added_by=None, backfill=1, now=NOW)

    async def set_in(store: PostgresStore, keys: list[str]) -> None:
        async with store.transaction() as tx:
            await tx.subscriptions.set_authors(sub, keys)
            await asyncio.sleep(0.05)

    await asyncio.gather(set_in(a, ["fake:a1", "fake:a2"]), set_in(b, ["fake:b1", "fake:b2"]))
    async with a.read() as r:
        assert await r.subscriptions.authors(sub) in (
            ["fake:a1", "fake:a2"],
            ["fake:b1", "fake:b2"],
        )


async def test_a_link_spent_by_two_processes_at_once_signs_in_one(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    """B's UPDATE waits on A's uncommitted spend, then finds the link used: one sign-in;
    had A rolled back, the link would still be B's to spend."""
    a, b = two
    later = NOW + timedelta(minutes=10)
    async with a.transaction() as tx:
        await tx.web.add_link("h-race", "fake:author", "Author", later, NOW)
        await tx.web.add_link("h-undone", "fake:author", "Author", later, NOW)

    async def spend_in_b(token_hash: str) -> tuple[str, str] | None:
        async with b.transaction() as tx:
            return await tx.web.use_link(token_hash, NOW)

    async with a.transaction() as tx:
        assert await tx.web.use_link("h-race", NOW) == ("fake:author", "Author")
        theirs = asyncio.create_task(spend_in_b("h-race"))
        await asyncio.sleep(0.2)
        assert not theirs.done()  # waiting on A's row
    assert await theirs is None

    with pytest.raises(RuntimeError):
        async with a.transaction() as tx:
            assert await tx.web.use_link("h-undone", NOW) is not None
            undone = asyncio.create_task(spend_in_b("h-undone"))
            await asyncio.sleep(0.2)
            assert not undone.done()
            raise RuntimeError("A gives up")
    assert await undone == ("fake:author", "Author")
