"""The unit of work itself: all or nothing across aggregates, one at a time."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.models import ChatRef, Rendered
from bot.storage.port import Store
from bot.storage.types import OutboxItem
from tests.storage.contract.conftest import FAKE, NOW, asked, seeded, user


async def test_an_exception_rolls_back_every_aggregates_writes(store: Store) -> None:
    await seeded(store)
    where = ChatRef(FAKE, "#general", None, "m1")
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            assert await tx.inbound.take(where, NOW)
            qid = await tx.questions.add(asked(1), NOW)
            assert qid is not None
            await tx.outbox.add(OutboxItem("ack", "reply", where, Rendered("ok"), "ack"), NOW)
            await tx.feeds.pause(1, "x")  # type: ignore[arg-type]
            assert await tx.questions.count() == 1  # the unit sees its own writes
            raise RuntimeError("crash before commit")
    async with store.read() as r:
        assert await r.questions.count() == 0
        assert await r.outbox.counts() == {}
        feed = await r.feeds.get(1)
        assert feed is not None and not feed.paused
    async with store.transaction() as tx:
        assert await tx.inbound.take(where, NOW)  # the claim was rolled back too


async def test_units_of_work_do_not_interleave(store: Store) -> None:
    await seeded(store)
    order: list[str] = []

    async def unit(name: str, n: int) -> None:
        async with store.transaction() as tx:
            order.append(f"{name} begins")
            await tx.questions.add(asked(n, who=name), NOW)
            await asyncio.sleep(0.01)  # another task runs meanwhile, and must wait
            order.append(f"{name} ends")

    async def reader() -> int:
        await asyncio.sleep(0.005)
        async with store.read() as r:
            order.append("read")
            return await r.questions.count()

    _, _, seen = await asyncio.gather(unit("a", 1), unit("b", 2), reader())
    assert order[:2] == ["a begins", "a ends"]
    assert order.index("read") % 2 == 0  # between units, never inside one
    assert seen in (1, 2)


async def test_a_read_sees_only_what_is_committed(store: Store) -> None:
    await seeded(store)
    async with store.transaction() as tx:
        await tx.questions.add(asked(1), NOW)
    async with store.read() as r:
        assert await r.questions.count() == 1


async def test_a_savepoint_undoes_its_part_alone(store: Store) -> None:
    await seeded(store)
    async with store.transaction() as tx:
        await tx.questions.add(asked(1), NOW)
        with pytest.raises(RuntimeError):
            async with tx.savepoint():
                await tx.questions.add(asked(2, who="lee"), NOW)
                await tx.outbox.add(
                    OutboxItem("k", "post", ChatRef(FAKE, "#general"), Rendered("x"), "response"),
                    NOW,
                )
                raise RuntimeError("this part fails")
        async with tx.savepoint():
            await tx.questions.add(asked(3, who="ana"), NOW)
    async with store.read() as r:
        assert [q.id for q in await r.questions.of_asker(user("dana"))] == [1]
        assert await r.questions.of_asker(user("lee")) == []
        assert len(await r.questions.of_asker(user("ana"))) == 1
        assert await r.outbox.counts() == {}
