"""Three real bot processes deliver one SQLite outbox; one is SIGKILLed at a random moment
and another started: every row lands once, in order per channel, and only the killed
process's row may have been attempted twice (and was then recognised by its key)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from pathlib import Path

from bot.core.models import ChatRef, Platform, Rendered
from bot.runtime import utc_clock
from bot.storage.sqlite.store import SqliteStore
from bot.storage.types import OutboxItem

ROOT = Path(__file__).resolve().parents[2]
ROWS, CHANNELS = 240, 8


async def runner(db: Path, record: Path) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.cluster_runner",
        str(db),
        str(record),
        "2",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert (await asyncio.wait_for(proc.stdout.readline(), 30)).strip() == b"ready"
    return proc


async def test_a_killed_process_loses_nothing_and_nothing_is_sent_twice(tmp_path: Path) -> None:
    db, record = tmp_path / "shared.sqlite3", tmp_path / "sent.tsv"
    store = await SqliteStore.open(db)
    async with store.transaction() as tx:
        for n in range(ROWS):
            where = ChatRef(Platform("fake"), f"#c{n % CHANNELS}")
            await tx.outbox.add(
                OutboxItem(f"k{n}", "post", where, Rendered(f"m{n}"), "response"), utc_clock()
            )
    procs = [await runner(db, record) for _ in range(3)]
    try:
        await asyncio.sleep(random.uniform(0.2, 1.0))
        victim = procs[0]
        os.kill(victim.pid, signal.SIGKILL)
        await victim.wait()
        procs.append(await runner(db, record))
        for _ in range(600):
            async with store.read() as r:
                if await r.outbox.counts() == {"done": ROWS}:
                    break
            await asyncio.sleep(0.1)
        async with store.read() as r:
            assert await r.outbox.counts() == {"done": ROWS}
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
                await p.wait()
        await store.close()
    lines = [line.split("\t") for line in record.read_text().splitlines()]
    keys = [k for k, _, _ in lines]
    assert sorted(keys) == sorted(f"k{n}" for n in range(ROWS))  # each landed once
    for c in range(CHANNELS):
        mine = [k for k, _, ch in lines if ch == f"#c{c}"]
        assert mine == [f"k{n}" for n in range(c, ROWS, CHANNELS)]  # in order
    attempts = [
        line.split("\t") for line in record.with_suffix(".attempts").read_text().splitlines()
    ]
    twice = [k for k, n in Counter(k for k, _ in attempts).items() if n > 1]
    first_by: dict[str, int] = {}
    for k, pid in attempts:
        first_by.setdefault(k, int(pid))
    # Only rows the killed process had in hand are ever attempted again.
    assert all(first_by[k] == victim.pid for k in twice), (twice, victim.pid)
    assert len(twice) <= 3  # at most its claimed channel heads (batch of 3)
