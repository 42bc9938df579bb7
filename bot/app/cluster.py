"""Several bot processes on one database: each process's identity and its named leases.

Every process has an identity, ``hostname:pid:random`` (the random part tells a restarted
process with a reused pid from its predecessor), which it writes into every lease and
outbox claim it takes. A :class:`LeaseKeeper` holds named leases (``matrix``, ``feed:<id>``)
and renews them every third of their length while the process lives; a process killed
without a word loses them when they run out, and another process's keeper acquires them.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.storage.port import Store

Clock = Callable[[], datetime]


def process_identity() -> str:
    """``hostname:pid:random``: unique among the processes sharing a database."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class LeaseKeeper:
    """The named leases this process holds, acquired and renewed in units of work."""

    def __init__(self, store: Store, holder: str, clock: Clock, length: timedelta) -> None:
        self.store = store
        self.holder = holder
        self.clock = clock
        self.length = length

    async def hold(self, name: str) -> bool:
        """Acquire or renew ``name``; True while this process holds it."""
        now = self.clock()
        async with self.store.transaction() as tx:
            return await tx.leases.acquire(name, self.holder, now + self.length, now)

    async def hold_any(self, names: list[str]) -> list[str]:
        """Of ``names``, the ones this process holds now (acquired or renewed in one unit
        of work), in the order given."""
        now = self.clock()
        held = []
        async with self.store.transaction() as tx:
            for name in names:
                if await tx.leases.acquire(name, self.holder, now + self.length, now):
                    held.append(name)
        return held

    async def release_all(self) -> None:
        """Give every lease up (a clean shutdown: the others need not wait them out)."""
        async with self.store.transaction() as tx:
            await tx.leases.release_all(self.holder)

    @property
    def renew_every(self) -> float:
        """Seconds between renewals: a third of the length, so two may fail in a row."""
        return self.length.total_seconds() / 3
