"""Outbox delivery with 1, 2 and 4 processes on one SQLite file (issue 13).

Each process is tests/cluster_runner.py: it claims rows and "sends" them through the
recording platform (flock + fsync per send, no network delay), so the figure is what the
database and the bookkeeping cost. ``python bench/bench_cluster_outbox.py [rows] [rounds]``
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.models import ChatRef, Platform, Rendered  # noqa: E402
from bot.runtime import utc_clock  # noqa: E402
from bot.storage.sqlite.store import SqliteStore  # noqa: E402
from bot.storage.types import OutboxItem  # noqa: E402


async def once(procs: int, rows: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        db, record = Path(tmp) / "b.sqlite3", Path(tmp) / "sent.tsv"
        store = await SqliteStore.open(db)
        async with store.transaction() as tx:
            for n in range(rows):
                where = ChatRef(Platform("fake"), f"#c{n % 32}")
                await tx.outbox.add(
                    OutboxItem(f"k{n}", "post", where, Rendered("m"), "response"), utc_clock()
                )
        env = {**os.environ, "POINTBOT_RUNNER_SEND_DELAY": "0"}
        started = time.perf_counter()
        running = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.cluster_runner",
                str(db),
                str(record),
                "30",
                cwd=ROOT,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
            )
            for _ in range(procs)
        ]
        try:
            while True:
                async with store.read() as r:
                    if (await r.outbox.counts()).get("done") == rows:
                        break
                await asyncio.sleep(0.05)
            took = time.perf_counter() - started
        finally:
            for p in running:
                p.kill()
                await p.wait()
            await store.close()
        return rows / took


async def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    for r in range(rounds):
        for procs in (1, 2, 4):  # alternating within each round
            print(f"round {r + 1}: {procs} process(es): {await once(procs, rows):,.0f} rows/s")


if __name__ == "__main__":
    asyncio.run(main())
