"""The PostgreSQL store when the server ends its connection: mid-unit, at commit, idle.

The server side kills the store's backend with ``pg_terminate_backend`` from a second
connection, as an administrator, a failover or an idle-session timeout would. What the
store promises then: the unit that lost its connection fails with a StorageError in plain
words (never asyncpg's own exception), nothing of it is committed, the store's lock is
free again, and the next unit runs on a fresh connection from the pool and commits.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.core.models import FeedId
from bot.storage.postgres.store import PostgresStore
from bot.storage.types import StorageError
from tests import pg_server
from tests.storage.contract.conftest import NOW

KILL = "SELECT pg_terminate_backend($1, 5000)"  # waits (up to 5 s) until the backend is gone


@pytest.fixture
async def store(postgres_dsn: str) -> AsyncIterator[PostgresStore]:
    found = await PostgresStore.open(postgres_dsn, pool_size=2)
    yield found
    await found.close()


async def kill(dsn: str, pid: int) -> None:
    """End backend ``pid`` from a connection of its own, and wait until it has exited."""
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval(KILL, pid) is True
    finally:
        await conn.close()


def kill_blocking(dsn: str, pid: int) -> None:
    """:func:`kill`, with this event loop blocked meanwhile: the store's connection cannot
    notice that its socket was closed before it is next used (what a busy loop sees)."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(kill(dsn, pid))
        except BaseException as exc:  # handed to the test below
            failed.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if failed:
        raise failed[0]


async def backend_pid(store: PostgresStore) -> int:
    """The server process of the connection the current unit runs on."""
    pid: int = await store.session.conn.fetchval("SELECT pg_backend_pid()")
    return pid


async def pooled_pids(dsn: str, database: str | None = None) -> set[int]:
    """The server processes connected to ``database`` (by default: ``dsn``'s own), but
    the one asking."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = coalesce($1, current_database()) AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await conn.close()
    return {r["pid"] for r in rows}


async def feed_urls(store: PostgresStore) -> list[str]:
    async with store.read() as r:
        return [f.url for f in await r.feeds.all()]


async def add_feed(store: PostgresStore, url: str) -> FeedId:
    async with store.transaction() as tx:
        return await tx.feeds.ensure(url, title="", source="chat", now=NOW)


async def assert_recovered(store: PostgresStore) -> None:
    """After a lost connection: the lock is free, the next unit commits, and it is the only
    thing stored (the lost unit kept nothing)."""
    assert not store.lock.locked()
    await add_feed(store, "https://example.org/kept")
    assert await feed_urls(store) == ["https://example.org/kept"]


def assert_plain(exc: BaseException, store: PostgresStore) -> None:
    """A StorageError that names the database (no password) and says nothing was kept."""
    assert isinstance(exc, StorageError)
    text = str(exc)
    assert store.path in text
    assert "connection" in text and "nothing" in text and "committed" in text
    assert "asyncpg" not in text


async def test_killed_mid_unit_fails_plainly_and_the_next_unit_works(
    store: PostgresStore, postgres_dsn: str
) -> None:
    with pytest.raises(StorageError) as caught:
        async with store.transaction() as tx:
            await tx.feeds.ensure("https://example.org/lost", title="", source="chat", now=NOW)
            await kill(postgres_dsn, await backend_pid(store))
            await tx.feeds.ensure("https://example.org/lost2", title="", source="chat", now=NOW)
    assert_plain(caught.value, store)
    await assert_recovered(store)


async def test_killed_before_commit_fails_plainly_and_commits_nothing(
    store: PostgresStore, postgres_dsn: str
) -> None:
    """The body ran to its end; the COMMIT is what meets the dead connection."""
    with pytest.raises(StorageError) as caught:
        async with store.transaction() as tx:
            await tx.feeds.ensure("https://example.org/lost", title="", source="chat", now=NOW)
            kill_blocking(postgres_dsn, await backend_pid(store))
    assert_plain(caught.value, store)
    await assert_recovered(store)


async def test_a_body_error_is_not_masked_by_the_dead_connections_rollback(
    store: PostgresStore, postgres_dsn: str
) -> None:
    """The body's own exception is the one raised, though the ROLLBACK cannot be sent."""
    with pytest.raises(KeyError, match="the body's own"):
        async with store.transaction() as tx:
            await tx.feeds.ensure("https://example.org/lost", title="", source="chat", now=NOW)
            kill_blocking(postgres_dsn, await backend_pid(store))
            raise KeyError("the body's own")
    await assert_recovered(store)


async def test_a_read_on_a_killed_connection_fails_plainly(
    store: PostgresStore, postgres_dsn: str
) -> None:
    await add_feed(store, "https://example.org/kept")
    with pytest.raises(StorageError) as caught:
        async with store.read() as r:
            await kill(postgres_dsn, await backend_pid(store))
            await r.feeds.all()
    assert "connection" in str(caught.value) and store.path in str(caught.value)
    assert not store.lock.locked()
    assert await feed_urls(store) == ["https://example.org/kept"]


@pytest.mark.parametrize("blocking", [False, True], ids=["noticed", "unnoticed"])
async def test_connections_killed_idle_in_the_pool_do_not_fail_the_next_unit(
    store: PostgresStore, postgres_dsn: str, blocking: bool
) -> None:
    """Every pooled connection is killed between units. ``noticed``: the loop ran while the
    sockets closed, so the pool knows; ``unnoticed``: the next unit is the first to find
    out, at its BEGIN, and starts again on a fresh connection."""
    await add_feed(store, "https://example.org/1")
    before = await pooled_pids(postgres_dsn)
    assert before
    for pid in before:
        if blocking:
            kill_blocking(postgres_dsn, pid)
        else:
            await kill(postgres_dsn, pid)
    await add_feed(store, "https://example.org/2")
    async with store.read() as r:
        assert [f.url for f in await r.feeds.all()] == [
            "https://example.org/1",
            "https://example.org/2",
        ]
    assert not (await pooled_pids(postgres_dsn)) & before


async def test_many_units_in_a_row_each_losing_its_connection(
    store: PostgresStore, postgres_dsn: str
) -> None:
    """No broken connection goes back into the pool to fail a later unit."""
    for n in range(5):
        with pytest.raises(StorageError):
            async with store.transaction() as tx:
                await tx.feeds.ensure(
                    f"https://example.org/lost{n}", title="", source="chat", now=NOW
                )
                kill_blocking(postgres_dsn, await backend_pid(store))
                await tx.feeds.ensure(f"https://example.org/x{n}", title="", source="chat", now=NOW)
        await add_feed(store, f"https://example.org/kept{n}")
    assert await feed_urls(store) == [f"https://example.org/kept{n}" for n in range(5)]


async def test_a_savepoint_on_a_killed_connection_leaves_the_error_to_the_unit(
    store: PostgresStore, postgres_dsn: str
) -> None:
    with pytest.raises(StorageError) as caught:
        async with store.transaction() as tx:
            await tx.feeds.ensure("https://example.org/lost", title="", source="chat", now=NOW)
            async with tx.savepoint():
                await kill(postgres_dsn, await backend_pid(store))
                await tx.feeds.all()
    assert_plain(caught.value, store)
    with pytest.raises(KeyError, match="the body's own"):
        async with store.transaction() as tx, tx.savepoint():
            await kill(postgres_dsn, await backend_pid(store))
            raise KeyError("the body's own")
    await assert_recovered(store)


async def test_a_database_refusing_connections_fails_units_plainly_until_it_is_back(
    store: PostgresStore, postgres_dsn: str, postgres_server: pg_server.Server
) -> None:
    """The whole pool is cut off and no new connection is let in: each unit fails with a
    StorageError naming the database; once connections are allowed again, the next one
    works (no restart of the bot)."""
    name = urlsplit(postgres_dsn).path.lstrip("/")
    await add_feed(store, "https://example.org/1")
    admin = await asyncpg.connect(postgres_server.dsn)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        for pid in await pooled_pids(postgres_server.dsn, name):
            await kill(postgres_server.dsn, pid)
        for _ in range(2):
            with pytest.raises(StorageError) as caught:
                await add_feed(store, "https://example.org/refused")
            assert f"database {store.path}" in str(caught.value)
            assert "asyncpg" not in str(caught.value)
            assert not store.lock.locked()
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    finally:
        await admin.close()
    await add_feed(store, "https://example.org/2")
    assert await feed_urls(store) == ["https://example.org/1", "https://example.org/2"]
