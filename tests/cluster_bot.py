"""One whole bot process for the multi-process test: polls its share of the feeds, takes
readers' messages and delivers the shared outbox, on a shared database, until killed.

``python -m tests.cluster_bot CONFIG RECORD QUESTIONS``

CONFIG is a TOML settings file (``[bot] database`` is the shared database, SQLite or
PostgreSQL; ``[[feeds]]`` post to ``console:#cN``). The platform is a recording fake standing
in for the console platform: every send attempt is appended to ``RECORD.attempts`` (key,
pid), and a send whose key was seen before gets the first send's message back instead of
landing again, as Matrix treats a repeated transaction id and Discord a repeated nonce.
Appends are made under ``flock`` and fsync'd before the send returns, so what a SIGKILL
leaves is what a platform would have shown.

QUESTIONS is a stream of readers' messages (``id TAB channel TAB user TAB text`` lines) the
test appends to while the processes run. Every process reads every line, the worst case for
inbound claims: the database must let exactly one of them act on each message.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sys
from contextlib import AsyncExitStack
from pathlib import Path

from bot.config import load_settings
from bot.core.models import ChatRef, IncomingMessage, Platform, Rendered, UserRef
from bot.runtime import Bot
from bot.storage.port import open_store
from tests.fakes import FakeChatAdapter

CONSOLE = Platform("console")
SEND_DELAY = float(os.environ.get("POINTBOT_RUNNER_SEND_DELAY", "0.003"))


class Recorder(FakeChatAdapter):
    """The fake platform, its bookkeeping in files shared by every process."""

    def __init__(self, record: Path) -> None:
        super().__init__(platform=CONSOLE)
        self.record = record

    def _landed(self, op: str, where: ChatRef, key: str, to: str) -> ChatRef:
        with open(self.record.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with open(self.record.with_suffix(".attempts"), "a") as attempts:
                attempts.write(f"{key}\t{os.getpid()}\n")
                attempts.flush()
                os.fsync(attempts.fileno())
            if self.record.exists():
                for line in self.record.read_text().splitlines():
                    k, _, channel, thread, message, _ = line.split("\t", 5)
                    if k == key:
                        return ChatRef(CONSOLE, channel, thread or None, message)
            n = len(self.record.read_text().splitlines()) if self.record.exists() else 0
            landed = ChatRef(CONSOLE, where.channel, where.thread, f"m{os.getpid()}-{n}")
            if op == "open_thread":
                landed = ChatRef(CONSOLE, where.channel, f"th{os.getpid()}-{n}", landed.message)
            with open(self.record, "a") as out:
                out.write(
                    f"{key}\t{op}\t{landed.channel}\t{landed.thread or ''}\t{landed.message}"
                    f"\t{to}\n"
                )
                out.flush()
                os.fsync(out.fileno())
            return landed

    async def post(self, where: ChatRef, message: Rendered, *, key: str) -> ChatRef:
        await asyncio.sleep(SEND_DELAY)  # a network call's suspension: the kill may land here
        return self._landed("post", where, key, "")

    async def open_thread(
        self, where: ChatRef, title: str, first: Rendered, *, key: str
    ) -> ChatRef:
        await asyncio.sleep(SEND_DELAY)
        return self._landed("open_thread", where, key, "")

    async def reply(
        self, to: ChatRef, message: Rendered, *, mention: UserRef | None, key: str
    ) -> ChatRef:
        await asyncio.sleep(SEND_DELAY)
        return self._landed("reply", to.container(), key, to.message or "")

    async def react(self, to: ChatRef, emoji: str, *, key: str) -> None:
        await asyncio.sleep(SEND_DELAY)
        self._landed("react", to, key, to.message or "")

    async def direct_message(self, user: UserRef, message: Rendered, *, key: str) -> ChatRef:
        await asyncio.sleep(SEND_DELAY)
        return self._landed("dm", ChatRef(CONSOLE, f"@{user.id}"), key, "")


async def read_stream(path: Path, bot: Bot, platform: Recorder) -> None:
    """Hand every line of the stream to the bot, as a platform hands over messages."""
    done = 0
    while True:
        lines = path.read_text().splitlines() if path.exists() else []  # noqa: ASYNC240
        for line in lines[done:]:
            if not line.endswith("\t."):
                break  # a line the test is still writing
            mid, channel, who, text, _ = line.split("\t")
            await bot.conversation.handle(
                IncomingMessage(platform.user(who), ChatRef(CONSOLE, channel, None, mid), text)
            )
            done += 1
        await asyncio.sleep(0.05)


async def main(config: str, record: str, questions: str) -> None:
    settings = load_settings(Path(config), {})
    store = await open_store(settings.database)
    platform = Recorder(Path(record))
    async with AsyncExitStack() as stack:
        stack.push_async_callback(store.close)
        bot = Bot(store, {CONSOLE: platform}, settings)
        await platform.start(bot.conversation.handle)
        feeds = await bot.sync_config_feeds()
        bot.start_workers(stack)
        await bot.start_polling(stack, feeds)
        print("ready", flush=True)
        await read_stream(Path(questions), bot, platform)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
