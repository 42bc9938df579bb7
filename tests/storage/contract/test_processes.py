"""Two stores on one database, as two processes have: claims never overlap, and a message
is taken once, by whichever commits first; a taker that rolls back leaves it to the other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.core.models import ChatRef
from bot.storage.port import Store
from bot.storage.postgres.store import PostgresStore
from bot.storage.sqlite.store import SqliteStore
from tests.storage.contract.conftest import FAKE, NOW
from tests.storage.contract.test_claims import LEASE
from tests.storage.contract.test_outbox import item


class Opened:
    """Opens another store on the same (empty, migrated) database each time it is called."""

    def __init__(self, open_one: Callable[[], Awaitable[Store]]) -> None:
        self.open_one = open_one
        self.opened: list[Store] = []

    async def __call__(self) -> Store:
        s = await self.open_one()
        self.opened.append(s)
        return s


@pytest.fixture
async def sqlite_opener(tmp_path: Path) -> AsyncIterator[Opened]:
    async def new() -> Store:
        return await SqliteStore.open(tmp_path / "shared.sqlite3")

    opener = Opened(new)
    yield opener
    for s in opener.opened:
        await s.close()


@pytest.fixture
async def postgres_opener(postgres_dsn: str) -> AsyncIterator[Opened]:
    async def new() -> Store:
        return await PostgresStore.open(postgres_dsn)

    opener = Opened(new)
    yield opener
    for s in opener.opened:
        await s.close()


@pytest.fixture(params=["sqlite_opener", "postgres_opener"])
def open_twice(request: pytest.FixtureRequest) -> Opened:
    found: Opened = request.getfixturevalue(request.param)
    return found


async def test_concurrent_claimers_get_disjoint_rows(open_twice: Opened) -> None:
    one, two = await open_twice(), await open_twice()
    async with one.transaction() as tx:
        for n in range(60):
            await tx.outbox.add(item(f"k{n}", f"#c{n}"), NOW)

    async def claim(store: Store, worker: str) -> list[str]:
        async with store.transaction() as tx:
            rows = await tx.outbox.claim(worker, NOW, LEASE, limit=7)
        await asyncio.sleep(0)  # the other claimer's turn, as another process would take it
        async with store.transaction() as tx:
            for r in rows:
                await tx.outbox.mark_done(r.id, ChatRef(FAKE, r.item.where.channel, None, "x"), NOW)
        return [r.item.key for r in rows]

    got: dict[str, list[str]] = {"w1": [], "w2": []}
    for _ in range(6):
        a, b = await asyncio.gather(claim(one, "w1"), claim(two, "w2"))
        got["w1"] += a
        got["w2"] += b
    assert not set(got["w1"]) & set(got["w2"])
    assert sorted(set(got["w1"]) | set(got["w2"])) == sorted(f"k{n}" for n in range(60))


async def test_a_message_is_taken_by_whoever_commits_first(open_twice: Opened) -> None:
    one, two = await open_twice(), await open_twice()
    where = ChatRef(FAKE, "#general", None, "m1")
    later: asyncio.Task[bool] | None = None

    async def take(store: Store) -> bool:
        async with store.transaction() as tx:
            return await tx.inbound.take(where, NOW)

    async with one.transaction() as tx:
        assert await tx.inbound.take(where, NOW)
        later = asyncio.create_task(take(two))  # waits for the first to finish
        await asyncio.sleep(0.3)
        assert not later.done()
    assert await later is False


async def test_a_taker_that_rolls_back_leaves_the_message_to_the_other(
    open_twice: Opened,
) -> None:
    one, two = await open_twice(), await open_twice()
    where = ChatRef(FAKE, "#general", None, "m2")

    async def take(store: Store) -> bool:
        async with store.transaction() as tx:
            return await tx.inbound.take(where, NOW)

    later: asyncio.Task[bool] | None = None
    with pytest.raises(RuntimeError):
        async with one.transaction() as tx:
            assert await tx.inbound.take(where, NOW)
            later = asyncio.create_task(take(two))
            await asyncio.sleep(0.3)
            raise RuntimeError("the process fails before it commits")
    assert later is not None
    assert await later is True


async def test_two_processes_acquiring_an_expired_lease_one_wins(open_twice: Opened) -> None:
    one, two = await open_twice(), await open_twice()
    async with one.transaction() as tx:
        assert await tx.leases.acquire("matrix", "dead", NOW, NOW - LEASE)  # ran out at NOW

    async def acquire(store: Store, holder: str) -> bool:
        async with store.transaction() as tx:
            return await tx.leases.acquire("matrix", holder, NOW + LEASE, NOW)

    async with one.transaction() as tx:
        assert await tx.leases.acquire("matrix", "p1", NOW + LEASE, NOW)
        later = asyncio.create_task(acquire(two, "p2"))  # waits for the first to finish
        await asyncio.sleep(0.3)
        assert not later.done()
    assert await later is False
    async with two.read() as r:
        assert await r.leases.holder("matrix", NOW) == "p1"
