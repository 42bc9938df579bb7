"""One poll cycle over 1,000 feeds on loopback: pointbot's poller against ``reader``.

Run from the repository root: ``python bench/bench_poll.py [feeds]`` (needs
``pip install reader``; it is not a dependency of the bot). A server process serves the
feeds on 20 loopback addresses (127.0.0.1-20, 50 feeds each): half change on every request
(~50 KB of RSS with one new entry on top), half never change and answer 304 to a
conditional request. Each client runs in its own process so that its peak memory is its
own: it reads every feed once (not timed: the first read of a new feed), then one timed
cycle over all feeds, then (pointbot only) a timed cycle over the 304 half alone. Peak
memory is the process's peak resident set size (``resource.getrusage`` ``ru_maxrss``).
Results go to stdout as a Markdown table (docs/bench-poll.md has a run).

``python bench/bench_poll.py [feeds] [filters]`` gives every subscription that many
filters (issue 15; at most 5: exclude rules on title, author, category, text and link, none of
which matches, so every one is evaluated on every new entry). ``--ours-only`` skips reader.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import multiprocessing as mp
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HOSTS = 20
WORKERS = 16  # fetches at once: the poller's default max_concurrent, and reader's threads
_WORDS = [
    "the",
    "strategic",
    "partnership",
    "between",
    "both",
    "countries",
    "will",
    "likely",
    "shape",
    "regional",
    "security",
    "talks",
    "while",
    "leaders",
    "discuss",
    "air",
    "defense",
    "systems",
    "sanctions",
    "trade",
    "corridors",
    "energy",
    "prices",
]


@functools.lru_cache(maxsize=50_000)
def _item(path: str, n: int) -> str:
    """One ~2.5 KB item; cached so that the server's own cost stays small next to the clients'."""
    seed = int(hashlib.sha256(f"{path}{n}".encode()).hexdigest(), 16)
    words = " ".join(_WORDS[(seed >> i) % len(_WORDS)] for i in range(155))
    return (
        f"<item><title>Entry {n} of {path}</title><guid isPermaLink='false'>{path}-{n}</guid>"
        f"<link>https://example.org{path}/{n}</link>"
        f"<pubDate>Mon, 05 Jan 2026 08:{n % 60:02d}:00 GMT</pubDate>"
        f"<description><![CDATA[<p>{words}.</p><p>{words}.</p>]]></description></item>"
    )


def _body(path: str, top: int) -> bytes:
    items = "".join(_item(path, n) for n in range(top, top - 20, -1))
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {path}</title><link>https://example.org{path}</link>{items}"
        "</channel></rss>"
    ).encode()


def serve(port_queue: Any) -> None:
    """The feed server (its own process): /c<i> changes on every request, /s<i> never."""
    from aiohttp import web

    counters: dict[str, int] = {}
    static: dict[str, tuple[bytes, str]] = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        path = request.path
        if "/s" in path:
            if path not in static:
                body = _body(path, 100)
                static[path] = (body, '"' + hashlib.sha256(body).hexdigest()[:16] + '"')
            body, tag = static[path]
            if request.headers.get("If-None-Match") == tag:
                return web.Response(status=304, headers={"ETag": tag})
            return web.Response(
                body=body, headers={"ETag": tag, "Content-Type": "application/rss+xml"}
            )
        counters[path] = counters.get(path, 100) + 1
        return web.Response(body=_body(path, counters[path]), content_type="application/rss+xml")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = runner.addresses[0][1]
        for h in range(2, HOSTS + 1):
            await web.TCPSite(runner, f"127.0.0.{h}", port, backlog=1024).start()
        port_queue.put(port)
        await asyncio.Event().wait()

    asyncio.run(main())


def urls(port: int, prefix: str, count: int) -> list[str]:
    half = count // 2
    kinds = [("c", i) for i in range(half)] + [("s", i) for i in range(count - half)]
    return [f"http://127.0.0.{i % HOSTS + 1}:{port}/{prefix}/{k}{i}" for k, i in kinds]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


BENCH_FILTERS = [
    ("exclude", "title", "re:^Sponsored"),
    ("exclude", "author", "nobody here"),
    ("exclude", "category", "promo"),
    ("exclude", "text", '"casino bonus"'),
    ("exclude", "link", "re:/ads/"),
]


def run_pointbot(port: int, count: int, out: Any, filters: int = 0) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.app.delivery import Delivery
    from bot.app.publishing import Publisher
    from bot.config import PollSettings
    from bot.core.models import ChatRef, Platform
    from bot.feeds.fetch import Fetcher
    from bot.feeds.poller import Poller
    from bot.storage.sqlite.store import SqliteStore

    now = [datetime(2026, 1, 5, 9, 0, tzinfo=UTC)]

    def clock() -> datetime:
        return now[0]

    async def main() -> dict[str, float]:
        with tempfile.TemporaryDirectory() as tmp:
            store = await SqliteStore.open(Path(tmp) / "bench.sqlite3")
            settings = PollSettings(
                allow_private_addresses=("127.0.0.0/8",), max_concurrent=WORKERS
            )
            fetcher = Fetcher(settings, clock)
            publisher = Publisher(store, Delivery(store, {}, clock), clock)
            poller = Poller(store, fetcher, publisher, {}, clock, settings=settings)
            async with store.transaction() as tx:
                for url in urls(port, "ours", count):
                    fid = await tx.feeds.ensure(url, title="", source="chat", now=now[0])
                    sub = await tx.subscriptions.ensure(
                        fid, "bench:#feeds", added_by=None, backfill=1, now=now[0]
                    )
                    where = ChatRef(Platform("bench"), "#feeds")
                    await tx.posts.ensure_target(fid, where, sub)
                    for row in BENCH_FILTERS[:filters]:
                        await tx.subscriptions.add_filter(sub, row)
            await poller.poll_due()  # the first read of every feed (untimed)
            now[0] += timedelta(seconds=901)
            cpu, start = time.process_time(), time.perf_counter()
            report = await poller.poll_due()
            full, full_cpu = time.perf_counter() - start, time.process_time() - cpu
            assert report.fetched == count and report.not_modified == count // 2, report
            assert report.new_entries == count // 2, report
            # The 304 half alone: make only the static feeds due.
            now[0] += timedelta(seconds=901)
            await store.db.execute(
                "UPDATE feeds SET next_poll_at = ? WHERE url LIKE '%/c%'",
                ((now[0] + timedelta(hours=1)).isoformat(),),
            )
            cpu, start = time.process_time(), time.perf_counter()
            report = await poller.poll_due()
            only304, only304_cpu = time.perf_counter() - start, time.process_time() - cpu
            assert report.not_modified == count - count // 2, report
            await fetcher.close()
            await store.close()
        return {
            "cycle_s": full,
            "cycle_cpu_s": full_cpu,
            "only304_s": only304,
            "only304_cpu_s": only304_cpu,
            "peak_mb": peak_mb(),
        }

    out.put(asyncio.run(main()))


def run_reader(port: int, count: int, out: Any) -> None:
    from reader import make_reader

    with tempfile.TemporaryDirectory() as tmp:
        reader = make_reader(str(Path(tmp) / "reader.sqlite"))
        for url in urls(port, "reader", count):
            reader.add_feed(url)
        reader.update_feeds(workers=WORKERS, scheduled=False)  # the first read (untimed)
        cpu, start = time.process_time(), time.perf_counter()
        reader.update_feeds(workers=WORKERS, scheduled=False)
        cycle, cycle_cpu = time.perf_counter() - start, time.process_time() - cpu
        entries = reader.get_entry_counts().total
        reader.close()
    out.put({"cycle_s": cycle, "cycle_cpu_s": cycle_cpu, "peak_mb": peak_mb(), "entries": entries})


def in_process(target: Any, *args: Any, **kwargs: Any) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q), kwargs=kwargs)
    p.start()
    result: dict[str, float] = q.get()
    p.join()
    return result


def main(count: int = 1000, filters: int = 0, *, ours_only: bool = False) -> None:
    ctx = mp.get_context("spawn")
    ports = ctx.Queue()
    server = ctx.Process(target=serve, args=(ports,), daemon=True)
    server.start()
    port = ports.get(timeout=30)
    try:
        ours = in_process(run_pointbot, port, count, filters=filters)
        if ours_only:
            print(
                f"pointbot, {count} feeds, {filters} filters a subscription: one cycle "
                f"{ours['cycle_s']:.2f} s wall, {ours['cycle_cpu_s']:.2f} s CPU; the 304 half "
                f"{ours['only304_s']:.2f} s wall; peak {ours['peak_mb']:.0f} MB"
            )
            return
        theirs = in_process(run_reader, port, count)
    finally:
        server.terminate()
    import reader as reader_module

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"reader {reader_module.__version__}"
    )
    print(
        f"{count} feeds: {count // 2} answering 200 (~{len(_body('/c0', 120)) // 1024} KB, one new "
        f"entry) and {count - count // 2} answering 304; {WORKERS} fetches at once\n"
    )
    print("| | one cycle, wall | CPU | peak RSS |")
    print("|---|---|---|---|")
    print(
        f"| pointbot poller | {ours['cycle_s']:.2f} s | {ours['cycle_cpu_s']:.2f} s | "
        f"{ours['peak_mb']:.0f} MB |"
    )
    print(
        f"| reader {reader_module.__version__} update_feeds | {theirs['cycle_s']:.2f} s | "
        f"{theirs['cycle_cpu_s']:.2f} s | {theirs['peak_mb']:.0f} MB |"
    )
    print(f"\nspeed-up: {theirs['cycle_s'] / ours['cycle_s']:.1f}x (target: at least 3x)")
    print(
        f"pointbot, the {count - count // 2} feeds answering 304 alone: {ours['only304_s']:.2f} s "
        f"wall, {ours['only304_cpu_s']:.2f} s CPU "
        f"({1000 * ours['only304_s'] / (count - count // 2):.2f} ms a feed)"
    )


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(
        int(args[0]) if args else 1000,
        int(args[1]) if len(args) > 1 else 0,
        ours_only="--ours-only" in sys.argv,
    )
