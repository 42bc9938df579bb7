"""The console run: the bot's whole loop in a terminal, with several people typing.

Used when no chat platform is configured. The demo conversation plays first (unless
``--no-demo``), then lines come from ``--script FILE``, a pipe, or a person at a terminal.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TextIO

from bot.adapters.console import ConsoleAdapter
from bot.adapters.console_session import CONSOLE_HELP, ConsoleSession
from bot.config import Settings
from bot.runtime import Bot, bundled_text, publish_configured
from bot.storage.port import open_store


async def run_console(
    settings: Settings,
    out: Callable[[str], None],
    *,
    script: Path | None = None,
    demo: bool = True,
    stdin: TextIO = sys.stdin,
) -> int:
    """Run on the console until its input ends or the person types /quit."""
    async with AsyncExitStack() as stack:
        store = await open_store(settings.database)
        stack.push_async_callback(store.close)
        console = ConsoleAdapter(out)
        bot = Bot(store, {console.platform: console}, settings)
        feeds = await bot.sync_config_feeds()
        await console.start(bot.conversation.handle)
        stack.push_async_callback(console.close)
        bot.start_workers(stack)

        out(f"pointbot on the console — database {settings.database}, config: {settings.source}")
        await publish_configured(bot, feeds, out)
        await bot.start_polling(stack, feeds)
        session = ConsoleSession(console, out, bot.delivery.drain)
        if demo:
            out("— playing the demo conversation (bot/data/demo-script.txt) —")
            for line in bundled_text("demo-script.txt").splitlines():
                await session.line(line)
            out("— demo finished —")
        if script is not None:
            with script.open(encoding="utf-8") as lines:
                await _converse(session, lines, interactive=False)
        else:
            await _converse(session, stdin, interactive=stdin.isatty())
        async with store.read() as r:
            pending = (await r.outbox.counts()).get("pending", 0)
        if pending:
            out(f"{pending} outgoing messages are still pending and will be sent next run.")
    return 0


async def _converse(session: ConsoleSession, source: TextIO, *, interactive: bool) -> None:
    """Feed the session the lines of ``source`` until it ends or the person quits."""
    if interactive:
        session.write(CONSOLE_HELP)
    reader = _LineReader(source)
    while not session.finished:
        if interactive:
            sys.stdout.write(session.prompt())
            sys.stdout.flush()
        line = await reader.next()
        if line is None:
            break
        await session.line(line)


class _LineReader:
    """Lines of a blocking text stream, read on a daemon thread so Ctrl-C never hangs."""

    def __init__(self, stream: TextIO) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        threading.Thread(target=self._pump, args=(stream.readline,), daemon=True).start()

    def _pump(self, readline: Callable[[], str]) -> None:
        while True:
            try:
                line = readline()
            except (OSError, ValueError):
                line = ""
            self._loop.call_soon_threadsafe(self._queue.put_nowait, line or None)
            if not line:
                return

    async def next(self) -> str | None:
        return await self._queue.get()
