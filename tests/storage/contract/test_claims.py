"""Several processes on one database: outbox rows claimed row by row, named leases."""

from __future__ import annotations

from datetime import timedelta

from bot.core.models import Action, ChatRef, Rendered
from bot.storage.port import Store
from tests.storage.contract.conftest import FAKE, NOW
from tests.storage.contract.test_outbox import item

LEASE = timedelta(seconds=30)


async def claim(store: Store, worker: str, at: object = NOW) -> list[str]:
    async with store.transaction() as tx:
        rows = await tx.outbox.claim(worker, at, LEASE)  # type: ignore[arg-type]
    return [r.item.key for r in rows]


async def test_each_channel_hands_out_its_oldest_row_to_one_worker_at_a_time(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        for key, channel in [("a1", "#a"), ("b1", "#b"), ("a2", "#a"), ("c1", "#c")]:
            await tx.outbox.add(item(key, channel), NOW)
    assert await claim(store, "w1") == ["a1", "b1", "c1"]
    # Claimed rows are not handed to another worker, and a2 waits behind a1.
    assert await claim(store, "w2") == []
    # The holder asking again gets its own rows back (a restart of its loop).
    assert await claim(store, "w1") == ["a1", "b1", "c1"]
    async with store.transaction() as tx:
        rows = {r.item.key: r for r in await tx.outbox.pending()}
        await tx.outbox.mark_done(rows["a1"].id, ChatRef(FAKE, "#a", None, "x1"), NOW)
    # a1 done: a2 is the head of #a now, free for anyone.
    assert await claim(store, "w2") == ["a2"]


async def test_a_dead_workers_rows_go_to_another_after_the_lease_with_the_same_key(
    store: Store,
) -> None:
    actions = (Action("Vote", "!vote 1"),)
    async with store.transaction() as tx:
        await tx.outbox.add(item("k1", message=Rendered("hi", actions=actions)), NOW)
    assert await claim(store, "dead") == ["k1"]
    assert await claim(store, "alive", NOW + LEASE - timedelta(microseconds=1)) == []
    async with store.transaction() as tx:
        rows = await tx.outbox.claim("alive", NOW + LEASE, LEASE)
    assert [(r.item.key, r.item.message.actions, r.attempts) for r in rows] == [("k1", actions, 0)]
    # The dead worker, back late, does not get it while the new claim runs.
    assert await claim(store, "dead", NOW + LEASE) == []


async def test_a_stopping_worker_releases_its_claims_for_anyone_at_once(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.outbox.add(item("k1", "#a"), NOW)
        await tx.outbox.add(item("k2", "#b"), NOW)
        await tx.outbox.add(item("k3", "#c"), NOW)
    assert await claim(store, "w1") == ["k1", "k2", "k3"]
    async with store.transaction() as tx:
        rows = {r.item.key: r for r in await tx.outbox.pending()}
        await tx.outbox.mark_done(rows["k3"].id, ChatRef(FAKE, "#c", None, "x3"), NOW)
    assert await claim(store, "w2") == []
    async with store.transaction() as tx:
        assert await tx.outbox.release_claims("w1") == 2  # the delivered row is not touched
        assert await tx.outbox.release_claims("w1") == 0
    assert await claim(store, "w2") == ["k1", "k2"]  # at once, not after the lease


async def test_retry_and_failure_end_the_claim_and_not_due_rows_wait(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.outbox.add(item("k1", "#a"), NOW)
        await tx.outbox.add(item("k2", "#b"), NOW)
    assert await claim(store, "w1") == ["k1", "k2"]
    async with store.transaction() as tx:
        rows = {r.item.key: r for r in await tx.outbox.pending()}
        await tx.outbox.mark_retry(rows["k1"].id, "boom", NOW + timedelta(seconds=5))
        await tx.outbox.mark_failed(rows["k2"].id, "gone")
    assert await claim(store, "w2") == []  # k1 not due yet, k2 failed
    assert await claim(store, "w2", NOW + timedelta(seconds=5)) == ["k1"]


async def test_a_lease_has_one_holder_until_it_runs_out(store: Store) -> None:
    later = NOW + LEASE
    async with store.transaction() as tx:
        assert await tx.leases.acquire("matrix", "p1", later, NOW)
        assert not await tx.leases.acquire("matrix", "p2", later, NOW)
        assert await tx.leases.acquire("matrix", "p1", later + LEASE, NOW)  # extends its own
        assert await tx.leases.holder("matrix", NOW) == "p1"
    async with store.read() as r:
        assert await r.leases.holder("matrix", later + LEASE) is None  # ran out
        assert await r.leases.holder("feed:1", NOW) is None
    async with store.transaction() as tx:
        assert not await tx.leases.renew("matrix", "p2", later, NOW)
        assert await tx.leases.renew("matrix", "p1", later + 2 * LEASE, NOW)
        # p1 stopped renewing: once it runs out, p2 takes over and p1 cannot renew.
        assert await tx.leases.acquire("matrix", "p2", later + 4 * LEASE, later + 2 * LEASE)
        assert not await tx.leases.renew("matrix", "p1", later + 5 * LEASE, later + 2 * LEASE)
        assert await tx.leases.holder("matrix", later + 2 * LEASE) == "p2"


async def test_release_frees_only_the_holders_leases(store: Store) -> None:
    until = NOW + LEASE
    async with store.transaction() as tx:
        assert await tx.leases.acquire("feed:1", "p1", until, NOW)
        assert await tx.leases.acquire("feed:2", "p1", until, NOW)
        assert await tx.leases.acquire("feed:3", "p2", until, NOW)
        await tx.leases.release("feed:3", "p1")  # not p1's: nothing happens
        assert await tx.leases.holder("feed:3", NOW) == "p2"
        await tx.leases.release("feed:1", "p1")
        assert await tx.leases.acquire("feed:1", "p2", until, NOW)
        assert await tx.leases.release_all("p1") == 1
        assert await tx.leases.acquire("feed:2", "p2", until, NOW)
        assert await tx.leases.holder("feed:3", NOW) == "p2"


async def test_a_worker_claims_only_the_platforms_it_runs(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.outbox.add(item("k1"), NOW)
        assert await tx.outbox.claim("w1", NOW, LEASE, platforms=["matrix"]) == []
        assert await tx.outbox.claim("w1", NOW, LEASE, platforms=[]) == []
        rows = await tx.outbox.claim("w1", NOW, LEASE, platforms=["matrix", FAKE])
        assert [r.item.key for r in rows] == ["k1"]
