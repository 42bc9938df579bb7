"""Several delivery workers (as several processes would run them) on one SQLite file."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from pathlib import Path

from bot.app.delivery import Delivery
from bot.core.models import ChatRef, Platform, Rendered
from bot.storage.sqlite.store import SqliteStore
from bot.storage.types import OutboxItem
from tests.conftest import Clock
from tests.fakes import FakeChatAdapter

FAKE = Platform("fake")


class SlowFake(FakeChatAdapter):
    """A fake whose sends suspend (as a network call does), recording into a shared log."""

    def __init__(self, log: list[tuple[str, str]], name: str) -> None:
        super().__init__()
        self.log = log
        self.name = name

    async def post(self, where: ChatRef, message: Rendered, *, key: str) -> ChatRef:
        await asyncio.sleep(random.random() / 1000)
        self.log.append((self.name, key))
        return await super().post(where, message, key=key)


def item(n: int, channel: str) -> OutboxItem:
    return OutboxItem(
        key=f"k{n}",
        op="post",
        where=ChatRef(FAKE, channel),
        message=Rendered(f"m{n}"),
        purpose="response",
    )


async def test_three_workers_send_each_row_once_in_order_per_channel(
    tmp_path: Path, clock: Clock
) -> None:
    path = tmp_path / "shared.sqlite3"
    stores = [await SqliteStore.open(path) for _ in range(3)]
    log: list[tuple[str, str]] = []
    workers = [
        Delivery(s, {FAKE: SlowFake(log, f"w{i}")}, clock, worker=f"w{i}", batch=2)
        for i, s in enumerate(stores)
    ]
    channels = [f"#c{i}" for i in range(5)]
    async with stores[0].transaction() as tx:
        for n in range(60):
            await tx.outbox.add(item(n, channels[n % 5]), clock())
    try:
        for _ in range(30):
            await asyncio.gather(*(w.deliver_due() for w in workers))
        keys = [k for _, k in log]
        assert sorted(keys) == sorted(f"k{n}" for n in range(60))  # each once
        for c in range(5):
            in_channel = [k for k in keys if int(k[1:]) % 5 == c]
            assert in_channel == [f"k{n}" for n in range(c, 60, 5)]  # queued order
        assert len({name for name, _ in log}) > 1  # the work was shared
        async with stores[1].read() as r:
            assert await r.outbox.counts() == {"done": 60}
    finally:
        for s in stores:
            await s.close()


async def test_a_dead_workers_rows_are_sent_by_another_after_the_lease(
    tmp_path: Path, clock: Clock
) -> None:
    path = tmp_path / "shared.sqlite3"
    store = await SqliteStore.open(path)
    log: list[tuple[str, str]] = []
    alive = Delivery(store, {FAKE: SlowFake(log, "alive")}, clock, worker="alive")
    lease = timedelta(seconds=120)
    try:
        async with store.transaction() as tx:
            await tx.outbox.add(item(1, "#a"), clock())
            await tx.outbox.add(item(2, "#a"), clock())
            await tx.outbox.add(item(3, "#b"), clock())
            # The dead process claimed #a's head and was killed before sending it.
            claimed = await tx.outbox.claim("dead", clock(), lease, platforms=["fake"], limit=1)
        assert [r.item.key for r in claimed] == ["k1"]
        assert await alive.deliver_due() == 1
        assert log == [("alive", "k3")]  # #b goes on; #a waits for its head
        clock.advance(119)
        assert await alive.deliver_due() == 0
        clock.advance(1)
        assert await alive.deliver_due() == 2
        assert log[1:] == [("alive", "k1"), ("alive", "k2")]  # the same key, then in order
    finally:
        await store.close()
