"""One bot process for the multi-process test: delivers a shared SQLite outbox through a
recording platform until killed.

``python -m tests.cluster_runner DB RECORD OUTBOX_LEASE_SECONDS``

The recorder is the platform: every send attempt is appended to ``RECORD.attempts`` (key
and pid), and a send whose key was seen before returns the first send's message instead of
posting again, the way Matrix treats a repeated transaction id and Discord a repeated nonce
(``enforce_nonce``) within the window they document; the test runs well inside it. Files
are appended under ``flock`` and fsync'd before the send returns, so what a SIGKILL leaves
behind is what a platform would have shown.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sys
from datetime import timedelta
from pathlib import Path

from bot.app.delivery import Delivery
from bot.core.models import ChatRef, Platform, Rendered
from bot.runtime import utc_clock
from bot.storage.sqlite.store import SqliteStore
from tests.fakes import FakeChatAdapter

FAKE = Platform("fake")
SEND_DELAY = float(os.environ.get("POINTBOT_RUNNER_SEND_DELAY", "0.003"))


class Recorder(FakeChatAdapter):
    def __init__(self, record: Path) -> None:
        super().__init__()
        self.record = record

    def _record(self, key: str, channel: str) -> str:
        """Append the attempt; the first send of ``key`` posts, a repeat gets its ref back.
        Blocking on purpose: the lock and fsync are the platform's own bookkeeping."""
        with open(self.record.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with open(self.record.with_suffix(".attempts"), "a") as attempts:
                attempts.write(f"{key}\t{os.getpid()}\n")
                attempts.flush()
                os.fsync(attempts.fileno())
            seen = {}
            if self.record.exists():
                for line in self.record.read_text().splitlines():
                    k, _, ref = line.partition("\t")
                    seen[k] = ref
            if key not in seen:
                ref = f"{key}@{os.getpid()}"
                with open(self.record, "a") as out:
                    out.write(f"{key}\t{ref}\t{channel}\n")
                    out.flush()
                    os.fsync(out.fileno())
            else:
                ref = seen[key]
        return ref

    async def post(self, where: ChatRef, message: Rendered, *, key: str) -> ChatRef:
        await asyncio.sleep(SEND_DELAY)  # a network call's suspension: the kill may land here
        ref = self._record(key, where.channel)
        return ChatRef(FAKE, where.channel, None, ref)


async def main(db: str, record: str, lease: float) -> None:
    store = await SqliteStore.open(db)
    delivery = Delivery(
        store, {FAKE: Recorder(Path(record))}, utc_clock, lease=timedelta(seconds=lease), batch=3
    )
    print("ready", flush=True)
    while True:
        await delivery.deliver_due()
        await asyncio.sleep(0.02)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
