"""Matrix latency against a loopback Synapse, as a member's own client sees it.

1. Article: from ``Publisher.publish`` (the article entering the pipeline) until the
   member's client has received the summary and every point thread's root message.
2. Question: from the member sending a question (in the room or inside a point thread)
   until their client receives the bot's acknowledgement replying to it.

The bot runs as in production: ``bot.runtime.Bot`` with the Matrix adapter (default 30 s
long-poll), a SQLite file and the outbox worker. The member's client long-polls too, and
stamps each event when its sync response arrives. Synapse runs from its own venv
(``$SYNAPSE_PYTHON``, else ``.venv-synapse/bin/python``) on a free loopback port.

Both are measured in a clear room and in an end-to-end encrypted one (the member's client
then has its own encryption store and decrypts what arrives; the bot keeps its keys in a
store beside its database, as in production).

    python bench/bench_matrix.py [--runs 10] [--questions 30] [--rooms clear,encrypted]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import nio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.adapters.matrix import PLATFORM, MatrixAdapter  # noqa: E402
from bot.app.adapter_state import AdapterState  # noqa: E402
from bot.config import FeedSettings, MatrixSettings, Secret, Settings  # noqa: E402
from bot.core.models import FeedId  # noqa: E402
from bot.feeds.document import article_of, parse_feed  # noqa: E402
from bot.runtime import Bot, bundled_text  # noqa: E402
from bot.storage.sqlite.store import SqliteStore  # noqa: E402
from bot.storage.types import Target  # noqa: E402
from tests.matrix.synapse import RegisteredUser, SynapseServer  # noqa: E402

Event = dict[str, Any]


class Watcher:
    """A member's client syncing in the background; every event stamped on arrival."""

    def __init__(self, client: nio.AsyncClient, room_id: str) -> None:
        self.client, self.room_id = client, room_id
        self.events: list[tuple[float, Event]] = []
        self.changed = asyncio.Event()

    async def run(self) -> None:
        while True:
            resp = await self.client.sync(timeout=30_000)
            now = time.perf_counter()
            if isinstance(resp, nio.SyncResponse) and self.room_id in resp.rooms.join:
                for event in resp.rooms.join[self.room_id].timeline.events:
                    self.events.append((now, event.source))
                self.changed.set()
            await upkeep(self.client)

    async def until(self, done: Callable[[list[tuple[float, Event]]], float | None]) -> float:
        """Wait until ``done`` (given all events so far) returns a time; return it."""
        deadline = time.perf_counter() + 15
        while (found := done(self.events)) is None:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), deadline - time.perf_counter())
        return found


async def upkeep(client: nio.AsyncClient) -> None:
    """What ``sync_forever`` does between syncs for a client with encryption."""
    if client.olm is None:
        return
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())
    await client.send_to_device_messages()


def percentile(data: list[float], pct: int) -> float:
    return statistics.quantiles(data, n=100, method="inclusive")[pct - 1]


def describe(name: str, ms: list[float]) -> str:
    return (
        f"{name}: n={len(ms)} median {statistics.median(ms):.0f} ms, "
        f"p95 {percentile(ms, 95):.0f} ms, min {min(ms):.0f} ms, max {max(ms):.0f} ms"
    )


@dataclasses.dataclass
class Setup:
    bot: Bot
    watcher: Watcher
    member: nio.AsyncClient
    room: str
    bot_id: str
    fid: FeedId
    targets: list[Target]


async def measure_articles(s: Setup, runs: int) -> tuple[list[float], list[float], str]:
    """(all parts visible, summary visible) in ms per run; and the point-3 thread's root."""
    article = article_of(parse_feed(bundled_text("example-feed.xml").encode()).entries[0])
    parts = 1 + len(article.points)
    published: list[float] = []
    summaries: list[float] = []
    root3 = ""
    for run in range(runs + 1):  # run 0 warms up (first display-name lookups, caches)
        copy = dataclasses.replace(article, title=f"{article.title} (run {run})")
        began = time.perf_counter()

        def mine(events: list[tuple[float, Event]], since: float = began) -> list[float]:
            return [t for t, e in events if t >= since and e.get("sender") == s.bot_id]

        await s.bot.publisher.publish(s.fid, f"bench-{run}", copy, s.targets)
        last = await s.watcher.until(
            lambda ev: x[parts - 1] if len(x := mine(ev)) >= parts else None
        )
        if run:
            published.append((last - began) * 1000)
            summaries.append((mine(s.watcher.events)[0] - began) * 1000)
    for _t, e in s.watcher.events:
        if e.get("sender") == s.bot_id and str(e["content"].get("body", "")).startswith("3. "):
            root3 = e["event_id"]
    return published, summaries, root3


async def measure_questions(s: Setup, questions: int, root3: str) -> list[float]:
    """Question sent -> acknowledgement received, in ms; every other one in the thread."""
    acks: list[float] = []
    for n in range(questions + 1):  # question 0 warms up
        content: dict[str, Any] = {"msgtype": "m.text", "body": f"Could you clarify point 3, {n}?"}
        if n % 2:
            content["body"] = f"Why would that be, case {n}?"
            content["m.relates_to"] = {
                "rel_type": "m.thread",
                "event_id": root3,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": root3},
            }
        began = time.perf_counter()
        sent = await s.member.room_send(
            s.room, "m.room.message", content, ignore_unverified_devices=True
        )
        asked = sent.event_id

        def acked(events: list[tuple[float, Event]], asked: str = asked) -> float | None:
            for t, e in events:
                relation = e.get("content", {}).get("m.relates_to", {})
                replied = relation.get("m.in_reply_to", {}).get("event_id")
                if e.get("sender") == s.bot_id and replied == asked:
                    return t
            return None

        arrived = await s.watcher.until(acked)
        if n:
            acks.append((arrived - began) * 1000)
    return acks


async def member_client(
    server: SynapseServer, user: RegisteredUser, store: Path | None
) -> nio.AsyncClient:
    """A plain client, or one with its own encryption store and its keys uploaded."""
    if store is None:
        return await server.client(user)
    await asyncio.to_thread(store.mkdir, parents=True)
    config = server.client_config(encryption_enabled=True, pickle_key="bench")
    client = nio.AsyncClient(
        server.url, user.user_id, device_id=user.device_id, store_path=str(store), config=config
    )
    client.restore_login(user.user_id, user.device_id, user.access_token)
    await client.keys_upload()
    return client


async def bench(
    server: SynapseServer, runs: int, questions: int, workdir: Path, *, encrypted: bool
) -> None:
    kind = "encrypted" if encrypted else "clear"
    await asyncio.to_thread(workdir.mkdir)
    bot_user = server.register(f"pointbot-{kind}", "bench-password")
    admin, member = server.register(f"admin-{kind}"), server.register(f"member-{kind}")
    admin_c = await member_client(server, admin, workdir / "admin-store" if encrypted else None)
    member_c = await member_client(server, member, workdir / "member-store" if encrypted else None)
    megolm = {"algorithm": "m.megolm.v1.aes-sha2"}
    state = [{"type": "m.room.encryption", "state_key": "", "content": megolm}]
    created = await admin_c.room_create(
        invite=[bot_user.user_id, member.user_id], initial_state=state if encrypted else []
    )
    room = created.room_id
    await member_c.join(room)
    await member_c.sync(timeout=0)  # from here on, the watcher sees only new events
    await upkeep(member_c)
    settings = Settings(
        database=workdir / "bot.sqlite3",
        admins=frozenset({f"matrix:{admin.user_id}"}),
        feeds=(FeedSettings("bundled:example-feed.xml", (f"matrix:{room}",), ("matrix:@a:x",)),),
        matrix=MatrixSettings(server.url, bot_user.user_id, Secret("bench-password"), None),
    )
    db = await SqliteStore.open(settings.database)
    adapter = MatrixAdapter.from_settings(settings, AdapterState(db))
    bot = Bot(db, {PLATFORM: adapter}, settings)
    (_feed, fid, targets), *_ = await bot.sync_config_feeds()
    await adapter.start(bot.conversation.handle)
    while encrypted and not adapter.encryption.encrypts(adapter.client, room):  # noqa: ASYNC110
        await asyncio.sleep(0.05)  # the bot's join synced: from here on it encrypts
    worker = asyncio.create_task(bot.delivery.run())
    watcher = Watcher(member_c, room)
    watching = asyncio.create_task(watcher.run())
    setup = Setup(bot, watcher, member_c, room, bot_user.user_id, fid, targets)
    try:
        published, summaries, root3 = await measure_articles(setup, runs)
        acks = await measure_questions(setup, questions, root3)
    finally:
        watching.cancel()
        worker.cancel()
        await asyncio.wait([watching, worker])
        await adapter.close()
        await db.close()
        await admin_c.close()
        await member_c.close()
    print(f"{kind} room:")
    print("  " + describe("article -> summary + all point threads visible", published))
    print("  " + describe("article -> summary visible", summaries))
    print("  " + describe("question -> acknowledgement visible", acks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--rooms", default="clear,encrypted", help="clear, encrypted or both")
    args = parser.parse_args()
    kinds = [k.strip() for k in args.rooms.split(",") if k.strip()]
    python = Path(os.environ.get("SYNAPSE_PYTHON", ROOT / ".venv-synapse" / "bin" / "python"))
    version = subprocess.run(
        [python, "-c", "import synapse; print(synapse.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split(" (")[0]  # Synapse appends the git state of the repo its venv sits in
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"matrix-nio {metadata.version('matrix-nio')}, Synapse {version}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        server = SynapseServer.start(Path(tmp) / "synapse", python)
        try:
            for kind in kinds:
                asyncio.run(
                    bench(
                        server,
                        args.runs,
                        args.questions,
                        Path(tmp) / kind,
                        encrypted=kind == "encrypted",
                    )
                )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
