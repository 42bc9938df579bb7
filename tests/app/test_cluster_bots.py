"""Three whole bot processes on one database (issue 13's test): 50 feeds served on loopback,
a stream of readers' questions that every process sees, one process SIGKILLed at a random
moment and another started. In the end every article is posted once per target (its
summary and one thread per point), every question message is answered once, and only rows
the killed process had in hand were ever attempted twice (then recognised by their key).

Runs on SQLite here; with PostgreSQL available, on PostgreSQL too (``postgres_dsn``).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from bot.storage.port import open_store

ROOT = Path(__file__).resolve().parents[2]
FEEDS, POINTS, QUESTIONS = 50, 3, 60


def rss(n: int) -> bytes:
    body = "".join(
        f"<h3>{p}. Point {p} of article {n}</h3><p>What point {p} of article {n} says, at "
        "some length so that it reads as a section.</p>"
        for p in range(1, POINTS + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>Feed {n}</title><link>https://example.org/{n}</link>"
        f"<item><title>Article {n}</title><guid>article-{n}</guid>"
        f"<link>https://example.org/{n}/a</link>"
        "<pubDate>Wed, 09 Oct 2024 12:00:00 GMT</pubDate>"
        f"<content:encoded><![CDATA[<p>An introduction to article {n}.</p>{body}]]>"
        "</content:encoded></item></channel></rss>"
    ).encode()


@asynccontextmanager
async def feeds_on_loopback() -> AsyncIterator[tuple[int, Counter[int]]]:
    fetched: Counter[int] = Counter()

    async def feed(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        fetched[n] += 1
        return web.Response(body=rss(n), content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed/{n}.xml", feed)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1], fetched
    finally:
        await runner.cleanup()


def config(path: Path, database: str, port: int) -> Path:
    feeds = "".join(
        f'[[feeds]]\nurl = "http://127.0.0.1:{port}/feed/{n}.xml"\n'
        f'targets = ["console:#c{n}"]\nauthors = ["console:author"]\nfull_article = "never"\n\n'
        for n in range(FEEDS)
    )
    path.write_text(
        f'[bot]\ndatabase = "{database}"\n\n'
        '[polling]\nallow_private_addresses = ["127.0.0.0/8"]\ncontact = "tests@example.org"\n'
        "max_concurrent = 8\n\n"
        "[cluster]\nlease_seconds = 3\noutbox_lease_seconds = 10\n\n" + feeds
    )
    return path


async def bot_process(cfg: Path, record: Path, stream: Path) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.cluster_bot",
        str(cfg),
        str(record),
        str(stream),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert (await asyncio.wait_for(proc.stdout.readline(), 60)).strip() == b"ready"
    return proc


def read_record(record: Path) -> list[list[str]]:
    return [line.split("\t") for line in record.read_text().splitlines()] if record.exists() else []


async def run_cluster(tmp_path: Path, database: str) -> None:  # noqa: PLR0915
    record, stream = tmp_path / "sent.tsv", tmp_path / "stream.tsv"
    stream.write_text("")
    async with feeds_on_loopback() as (port, fetched):
        cfg = config(tmp_path / "bot.toml", database, port)
        procs = [await bot_process(cfg, record, stream) for _ in range(3)]
        asked: list[str] = []

        async def ask() -> None:
            for q in range(QUESTIONS):
                mid = f"u{q}"
                with stream.open("a") as f:
                    f.write(
                        f"{mid}\t#c{q % FEEDS}\treader{q % 7}\t"
                        f"could you clarify point {q % POINTS + 1}?\t.\n"
                    )
                asked.append(mid)
                await asyncio.sleep(0.04)

        try:
            victim = procs[0]
            asking = asyncio.create_task(ask())
            kill_at = random.uniform(0.05, 2.5)  # while articles go out and questions come in
            await asyncio.sleep(kill_at)
            os.kill(victim.pid, signal.SIGKILL)
            await victim.wait()
            procs.append(await bot_process(cfg, record, stream))
            await asking
            store = await open_store(database)
            try:
                for _ in range(600):
                    async with store.read() as r:
                        counts = await r.outbox.counts()
                    replies = {row[5] for row in read_record(record) if row[1] == "reply"}
                    if set(counts) == {"done"} and set(asked) <= replies:
                        posted = sum(1 for row in read_record(record) if row[1] == "open_thread")
                        if posted >= FEEDS * POINTS:
                            break
                    await asyncio.sleep(0.2)
                async with store.read() as r:
                    assert set(await r.outbox.counts()) == {"done"}, await r.outbox.counts()
            finally:
                await store.close()
        finally:
            for p in procs:
                if p.returncode is None:
                    p.kill()
                    await p.wait()
    rows = read_record(record)
    keys = [r[0] for r in rows]
    assert len(keys) == len(set(keys))  # the recorder lands each key once by construction
    for n in range(FEEDS):
        mine = [r for r in rows if r[2] == f"#c{n}"]
        summaries = [r for r in mine if r[0].endswith(":summary")]
        assert len(summaries) == 1, (n, summaries)  # posted once to its one target
        threads = [r for r in mine if r[1] == "open_thread"]
        assert len(threads) == POINTS, (n, threads)
    answered = Counter(r[5] for r in rows if r[1] == "reply")
    assert all(answered[m] == 1 for m in asked), {m: answered[m] for m in asked if answered[m] != 1}
    attempts = [
        line.split("\t") for line in record.with_suffix(".attempts").read_text().splitlines()
    ]
    first_by: dict[str, int] = {}
    for k, pid in attempts:
        first_by.setdefault(k, int(pid))
    twice = [k for k, c in Counter(k for k, _ in attempts).items() if c > 1]
    assert all(first_by[k] == victim.pid for k in twice), (twice, victim.pid)
    # Each feed was fetched once (no process polls a feed another holds), but for feeds the
    # killed process held, which another took over once its lease ran out.
    print(
        f"\n{len(rows)} sends, {len(twice)} attempted twice, {sum(fetched.values())} fetches, "
        f"kill after {kill_at:.2f} s; replies {len(answered)}"
    )
    assert sorted(fetched) == list(range(FEEDS))
    assert all(c <= 2 for c in fetched.values()), fetched


@pytest.mark.timeout(240)
async def test_three_bots_on_sqlite_one_killed(tmp_path: Path) -> None:
    await run_cluster(tmp_path, str(tmp_path / "shared.sqlite3"))


@pytest.mark.timeout(240)
async def test_three_bots_on_postgresql_one_killed(tmp_path: Path, postgres_dsn: str) -> None:
    await run_cluster(tmp_path, postgres_dsn)
