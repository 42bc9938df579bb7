"""Matrix runs in exactly one of the processes on a database, and moves when that one dies."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from bot.config import ClusterSettings
from bot.core.models import Platform
from bot.runtime import Bot, MatrixRole, cancel_task
from bot.storage.sqlite.store import SqliteStore
from tests.conftest import seed_settings
from tests.fakes import FakeChatAdapter

MATRIX = Platform("matrix")


async def test_one_process_runs_matrix_and_another_takes_over_when_it_dies(
    tmp_path: Path,
) -> None:
    settings = replace(seed_settings(), cluster=ClusterSettings(lease_seconds=3.0))
    stores = [await SqliteStore.open(tmp_path / "shared.sqlite3") for _ in range(2)]
    bots = [Bot(s, {}, settings) for s in stores]  # the real clock: leases run out for real
    fakes = [FakeChatAdapter(platform=MATRIX) for _ in bots]
    said: list[str] = []
    roles = [MatrixRole(b, f, said.append) for b, f in zip(bots, fakes, strict=True)]
    tasks = []
    try:
        tasks.append(asyncio.create_task(roles[0].run()))
        await roles[0].first_try.wait()
        tasks.append(asyncio.create_task(roles[1].run()))
        await roles[1].first_try.wait()
        assert [r.running for r in roles] == [True, False]
        assert MATRIX in bots[0].adapters and MATRIX not in bots[1].adapters
        assert "matrix: another process runs Matrix; this one stands by" in said
        # The first process is killed: no release, its lease just stops being renewed.
        await cancel_task(tasks[0])
        for _ in range(100):
            if roles[1].running:
                break
            await asyncio.sleep(0.1)
        assert roles[1].running and MATRIX in bots[1].adapters
        async with stores[0].read() as r:
            assert await r.leases.holder("matrix", bots[0].clock()) == bots[1].identity
    finally:
        for task in tasks:
            await cancel_task(task)
        for s in stores:
            await s.close()
