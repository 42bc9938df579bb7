"""Question intake: chat messages classified, stored and acknowledged, per second.

Each message goes the whole way: Conversation.handle_message classifies it against the seed
article, one transaction claims it, stores the question and queues its acknowledgement
(committed before the acknowledgement exists), then the outbox delivers the acknowledgement
to a platform that accepts instantly. Compared in the same run with bare aiosqlite
single-row INSERTs, each committed, on the same kind of file.

Peak memory is measured with tracemalloc (Python allocations) while taking 1,000 questions
into databases that already hold 1,000, 10,000 and 100,000 questions.

    python bench/bench_intake.py [--messages 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import FeedSettings, Settings  # noqa: E402
from bot.core.models import ChatRef, IncomingMessage, Platform, Rendered, Role, UserRef  # noqa: E402
from bot.runtime import Bot  # noqa: E402
from bot.storage.sqlite.store import SqliteStore  # noqa: E402

QUESTIONS = [
    'Please explain what you mean by "clandestine arms transfers" in point 3.',
    "Clandestine in what sense, by whose definition?",
    "Could you elaborate on the second point?",
    "What does the Zangezur Corridor dispute mean for trade via Iran?",
    "Why would Russia deliver the S-400 so late in point 2?",
]


class InstantAdapter:
    """A platform that accepts every send at once (measures our side only)."""

    platform = Platform("bench")

    def __init__(self) -> None:
        from bot.adapters.base import Capabilities

        self.capabilities = Capabilities()
        self.n = 0

    async def start(self, on_message: object) -> None: ...
    async def close(self) -> None: ...

    def _ref(self, where: ChatRef) -> ChatRef:
        self.n += 1
        return ChatRef(where.platform, where.channel, where.thread, f"b{self.n}")

    async def post(self, where: ChatRef, message: Rendered, *, key: str) -> ChatRef:
        return self._ref(where)

    async def open_thread(
        self, where: ChatRef, title: str, first: Rendered, *, key: str
    ) -> ChatRef:
        self.n += 1
        return ChatRef(where.platform, where.channel, f"t{self.n}", f"b{self.n}")

    async def reply(
        self, to: ChatRef, message: Rendered, *, mention: UserRef | None, key: str
    ) -> ChatRef:
        return self._ref(to)

    async def react(self, to: ChatRef, emoji: str, *, key: str) -> None: ...
    async def edit(self, ref: ChatRef, message: Rendered) -> None: ...

    async def direct_message(self, user: UserRef, message: Rendered, *, key: str) -> ChatRef:
        return self._ref(ChatRef(self.platform, user.id))

    async def role_of(self, user: UserRef, where: ChatRef) -> Role:
        return Role.MEMBER


def settings() -> Settings:
    return Settings(
        feeds=(
            FeedSettings(
                url="bundled:example-feed.xml",
                targets=("bench:#general",),
                authors=("bench:author",),
            ),
        )
    )


async def make_bot(path: Path) -> tuple[Bot, InstantAdapter]:
    store = await SqliteStore.open(path)
    adapter = InstantAdapter()
    bot = Bot(store, {adapter.platform: adapter}, settings())  # type: ignore[dict-item]
    for _feed, fid, targets in await bot.sync_config_feeds():
        await bot.publish_bundled(fid, targets)
    await bot.delivery.drain()
    return bot, adapter


async def intake(bot: Bot, n: int, start: int = 0) -> float:
    """Seconds to take ``n`` questions through classification, storage and acknowledgement.

    The event loop turns once after each message, as it does when a message is read off a
    platform's socket: the WAL checkpoint that the store schedules every 200 commits runs,
    and its cost is in the figure (as SQLite's own checkpoints are in the baselines')."""
    t0 = time.perf_counter()
    for i in range(start, start + n):
        # 500 readers: each asks a few, well under the per-member hourly limit.
        user = UserRef(Platform("bench"), f"reader{i % 500}", "Reader")
        msg = IncomingMessage(
            user,
            ChatRef(Platform("bench"), "#general", None, f"m{i}"),
            QUESTIONS[i % len(QUESTIONS)],
        )
        await bot.conversation.handle_message(msg)
        await bot.delivery.deliver_due()
        await asyncio.sleep(0)
    return time.perf_counter() - t0


async def bare_inserts(path: Path, n: int) -> float:
    async with aiosqlite.connect(path) as conn:
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("CREATE TABLE q (id INTEGER PRIMARY KEY, text TEXT, at TEXT)")
        await conn.commit()
        t0 = time.perf_counter()
        for i in range(n):
            await conn.execute(
                "INSERT INTO q (text, at) VALUES (?, ?)",
                (QUESTIONS[i % len(QUESTIONS)], datetime.now(UTC).isoformat()),
            )
            await conn.commit()
        return time.perf_counter() - t0


def bare_inline(path: Path, n: int) -> float:
    """Context, not the target's baseline: the same inserts with sqlite3 on this thread."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE q (id INTEGER PRIMARY KEY, text TEXT, at TEXT)")
    t0 = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO q (text, at) VALUES (?, ?)",
            (QUESTIONS[i % len(QUESTIONS)], datetime.now(UTC).isoformat()),
        )
        conn.execute("COMMIT")
    seconds = time.perf_counter() - t0
    conn.close()
    return seconds


def prefill(path: Path, count: int) -> None:
    """Add ``count`` stored questions (and their inbound rows) directly, fast."""
    conn = sqlite3.connect(path)
    now = datetime.now(UTC).isoformat()
    conn.executemany(
        "INSERT INTO questions (article_id, point, asker_platform, asker_id, platform, channel, "
        "message, text, status, asked_at, updated_at) VALUES (1, 3, 'bench', ?, 'bench', "
        "'#general', ?, ?, ?, ?, ?)",
        (
            (
                f"u{i % 500}",
                f"pre{i}",
                QUESTIONS[i % 5],
                "queued" if i % 3 else "answered",
                now,
                now,
            )
            for i in range(count)
        ),
    )
    conn.executemany(
        "INSERT INTO inbound (platform, channel, message, handled_at) "
        "VALUES ('bench', '#general', ?, ?)",
        ((f"pre{i}", now) for i in range(count)),
    )
    conn.commit()
    conn.close()


async def memory_child(path: Path, n: int) -> None:
    """In a fresh process: take ``n`` questions into ``path``; print peak RSS and Python peak."""
    bot, _ = await make_bot(path)
    tracemalloc.start()
    seconds = await intake(bot, n, start=10_000_000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    await bot.store.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{rss_mb:.1f} {peak / 1e6:.2f} {n / seconds:.0f}")


async def memory_at(base: Path, stored: int, n: int) -> tuple[float, float, float]:
    """Peak RSS (MB), Python peak (MB) and rate, measured in a child process."""
    path = base / f"mem-{stored}.sqlite3"
    bot, _ = await make_bot(path)
    await bot.store.close()
    prefill(path, stored)
    out = subprocess.run(  # noqa: ASYNC221
        [sys.executable, __file__, "--memory-child", str(path), "--messages", str(n)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = args.messages
    if args.memory_child:
        await memory_child(args.memory_child, n)
        return
    ours, bare, inline, wal = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for r in range(args.rounds):
            bot, _ = await make_bot(base / f"ours-{r}.sqlite3")
            ours.append(n / await intake(bot, n))
            wal.append((base / f"ours-{r}.sqlite3-wal").stat().st_size / 1e6)
            await bot.store.close()
            bare.append(n / await bare_inserts(base / f"bare-{r}.sqlite3", n))
            inline.append(n / bare_inline(base / f"inline-{r}.sqlite3", n))
        o, b = statistics.median(ours), statistics.median(bare)
        print(f"intake: {o:,.0f} messages/s (median of {args.rounds} rounds of {n})")
        print(f"WAL after each round: {', '.join(f'{w:.1f}' for w in wal)} MB (checkpointed)")
        print(f"bare aiosqlite insert+commit: {b:,.0f} rows/s")
        print(f"ratio: ours takes {b / o:.2f}x the time of the bare inserts")
        print(
            f"(context: the same inserts with sqlite3 on the calling thread, no aiosqlite: "
            f"{statistics.median(inline):,.0f} rows/s)"
        )
        print("peak memory taking 1,000 questions into a database already holding (own process):")
        for stored in (1_000, 10_000, 100_000):
            rss, py, rate = await memory_at(base, stored, 1000)
            print(
                f"  {stored:>7,} questions: peak RSS {rss:5.1f} MB, Python heap peak "
                f"{py:5.2f} MB (tracemalloc), {rate:,.0f} messages/s while traced"
            )


if __name__ == "__main__":
    asyncio.run(main())
