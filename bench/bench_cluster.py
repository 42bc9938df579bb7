"""Several bot processes on one database: question intake and a poll cycle (issue 13).

In one run: intake messages/s and poll cycle time with 1 process on SQLite, and 1, 2 and 4
processes on PostgreSQL (when ``--postgres DSN`` is given; the DSN must be allowed to create
databases), and bare asyncpg single-row INSERT+COMMIT as the limit of what one connection
gets from that server.

Intake: each process takes its own share of messages the whole way (classified against the
seed article, claimed, stored with its acknowledgement queued in one unit of work, the
acknowledgement delivered through the outbox to a platform that accepts at once), as
``bench_intake.py`` does in one process. Rate = all messages / (last finish - first start);
every process also reports its CPU seconds, from which ``docs/bench-cluster.md`` models N
machines.

Poll: FEEDS feeds served from a separate process on loopback; every bot process polls the
share its feed leases give it; the cycle is from start until every feed was fetched and
its new entry stored.

    python bench/bench_cluster.py [--messages 1500] [--postgres postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_intake import QUESTIONS, InstantAdapter, settings  # noqa: E402
from bot.core.models import ChatRef, IncomingMessage, Platform, UserRef  # noqa: E402
from bot.runtime import Bot  # noqa: E402
from bot.storage.port import open_store  # noqa: E402


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def prepare(database: str) -> None:
    store = await open_store(database)
    adapter = InstantAdapter()
    bot = Bot(store, {adapter.platform: adapter}, settings())  # type: ignore[dict-item]
    for _feed, fid, targets in await bot.sync_config_feeds():
        await bot.publish_bundled(fid, targets)
    await bot.delivery.drain()
    await store.close()


async def intake_child(database: str, n: int, offset: int, go: float) -> dict[str, float]:
    store = await open_store(database)
    adapter = InstantAdapter()
    bot = Bot(store, {adapter.platform: adapter}, settings())  # type: ignore[dict-item]
    await asyncio.sleep(max(0.0, go - time.time()))  # start together
    cpu0, t0 = cpu_seconds(), time.time()
    for i in range(offset, offset + n):
        user = UserRef(Platform("bench"), f"reader{i % 500}", "Reader")
        msg = IncomingMessage(
            user,
            ChatRef(Platform("bench"), "#general", None, f"m{i}"),
            QUESTIONS[i % len(QUESTIONS)],
        )
        await bot.conversation.handle_message(msg)
        await bot.delivery.deliver_due()
    t1, cpu1 = time.time(), cpu_seconds()
    await store.close()
    return {"start": t0, "end": t1, "cpu": cpu1 - cpu0}


def run_children(argv: list[list[str]]) -> list[dict[str, Any]]:
    procs = [
        subprocess.Popen([sys.executable, __file__, *a], stdout=subprocess.PIPE, cwd=ROOT)
        for a in argv
    ]
    out = []
    for p in procs:
        data, _ = p.communicate()
        if p.returncode:
            raise SystemExit(f"a child failed: {p.returncode}")
        out.append(json.loads(data.decode().strip().splitlines()[-1]))
    return out


async def fresh_postgres(admin_dsn: str) -> str:
    import asyncpg

    name = f"bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f"CREATE DATABASE {name}")
    await conn.close()
    base, _, _ = admin_dsn.rpartition("/")
    return f"{base}/{name}"


def intake_run(database: str, procs: int, messages: int) -> dict[str, float]:
    asyncio.run(prepare(database))
    share = messages // procs
    go = time.time() + 2.0  # every child has opened its store by then
    results = run_children(
        [["intake", database, str(share), str(k * share), str(go)] for k in range(procs)]
    )
    span = max(r["end"] for r in results) - min(r["start"] for r in results)
    cpu = sum(r["cpu"] for r in results)
    return {"rate": share * procs / span, "cpu_per_msg_ms": 1000 * cpu / (share * procs)}


async def bare_asyncpg(dsn: str, n: int) -> float:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    await conn.execute("CREATE TABLE bare (id bigserial PRIMARY KEY, body text NOT NULL)")
    t0 = time.perf_counter()
    for i in range(n):
        async with conn.transaction():
            await conn.execute("INSERT INTO bare (body) VALUES ($1)", f"question {i}")
    took = time.perf_counter() - t0
    await conn.close()
    return n / took


async def poll_setup(database: str, port: int, count: int) -> None:
    from datetime import UTC, datetime

    from bench.bench_poll import urls
    from bot.core.models import ChatRef

    now = datetime.now(UTC)
    store = await open_store(database)
    async with store.transaction() as tx:
        for url in urls(port, "ours", count):
            fid = await tx.feeds.ensure(url, title="", source="chat", now=now)
            sub = await tx.subscriptions.ensure(
                fid, "bench:#feeds", added_by=None, backfill=1, now=now
            )
            await tx.posts.ensure_target(fid, ChatRef(Platform("bench"), "#feeds"), sub)
    await store.close()


async def poll_child(database: str, go: float) -> dict[str, float]:
    """One process's share of one poll cycle: the due feeds whose lease it takes."""
    from datetime import timedelta

    from bot.app.cluster import LeaseKeeper, process_identity
    from bot.app.delivery import Delivery
    from bot.app.publishing import Publisher
    from bot.config import PollSettings
    from bot.feeds.fetch import Fetcher
    from bot.feeds.poller import Poller
    from bot.runtime import utc_clock

    store = await open_store(database)
    settings = PollSettings(allow_private_addresses=("127.0.0.0/8",), max_concurrent=16)
    fetcher = Fetcher(settings, utc_clock)
    publisher = Publisher(store, Delivery(store, {}, utc_clock), utc_clock)
    poller = Poller(store, fetcher, publisher, {}, utc_clock, settings=settings)
    poller.leases = LeaseKeeper(store, process_identity(), utc_clock, timedelta(seconds=60))
    await asyncio.sleep(max(0.0, go - time.time()))
    cpu0, t0 = cpu_seconds(), time.time()
    report = await poller.poll_due()
    t1, cpu1 = time.time(), cpu_seconds()
    await fetcher.close()
    await store.close()
    return {"start": t0, "end": t1, "cpu": cpu1 - cpu0, "fetched": report.fetched}


def poll_run(database: str, procs: int, port: int, count: int) -> dict[str, float]:
    asyncio.run(poll_setup(database, port, count))
    go = time.time() + 2.0
    results = run_children([["poll", database, str(go)] for _ in range(procs)])
    fetched = sum(r["fetched"] for r in results)
    if fetched != count:
        raise SystemExit(f"{fetched} fetches for {count} feeds: the partition leaked")
    span = max(r["end"] for r in results) - min(r["start"] for r in results)
    return {"cycle_s": span, "cpu_s": sum(r["cpu"] for r in results)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1500)
    ap.add_argument("--postgres", default=os.environ.get("POINTBOT_PG_DSN"))
    ap.add_argument("--procs", default="1,2,4")
    ap.add_argument("--feeds", type=int, default=400)
    args = ap.parse_args()
    import multiprocessing

    from bench.bench_poll import serve

    ports: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports,), daemon=True)
    server.start()
    port = ports.get(timeout=30)
    polls: list[tuple[str, int, dict[str, float]]] = []
    rows: list[tuple[str, int, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(("SQLite", 1, intake_run(str(Path(tmp) / "b.sqlite3"), 1, args.messages)))
        polls.append(("SQLite", 1, poll_run(str(Path(tmp) / "p.sqlite3"), 1, port, args.feeds)))
    if args.postgres:
        for n in (int(p) for p in args.procs.split(",")):
            dsn = asyncio.run(fresh_postgres(args.postgres))
            rows.append(("PostgreSQL", n, intake_run(dsn, n, args.messages)))
            dsn = asyncio.run(fresh_postgres(args.postgres))
            polls.append(("PostgreSQL", n, poll_run(dsn, n, port, args.feeds)))
        dsn = asyncio.run(fresh_postgres(args.postgres))
        bare = asyncio.run(bare_asyncpg(dsn, args.messages))
    print(f"intake, {args.messages} messages, {os.cpu_count()} cores")
    print("| database | processes | messages/s | CPU ms per message (all processes) |")
    print("|---|---|---|---|")
    for db, n, r in rows:
        print(f"| {db} | {n} | {r['rate']:,.0f} | {r['cpu_per_msg_ms']:.2f} |")
    if args.postgres:
        print(f"| bare asyncpg INSERT+COMMIT, 1 connection | 1 | {bare:,.0f} | |")
    print(f"\na poll cycle of {args.feeds} due feeds, each fetched once")
    print("| database | processes | cycle s | CPU s (all processes) |")
    print("|---|---|---|---|")
    for db, n, r in polls:
        print(f"| {db} | {n} | {r['cycle_s']:.2f} | {r['cpu_s']:.2f} |")
    server.terminate()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "poll":
        _, _, db, go_ = sys.argv
        print(json.dumps(asyncio.run(poll_child(db, float(go_)))))
    elif len(sys.argv) > 1 and sys.argv[1] == "intake":
        _, _, db, n_, off, go_ = sys.argv
        print(json.dumps(asyncio.run(intake_child(db, int(n_), int(off), float(go_)))))
    else:
        main()
