"""The bot's own HTTP server, on when ``[web] listen`` is set.

It runs inside the bot process on the same event loop (aiohttp, which discord.py and
matrix-nio already bring) and today serves only the operations endpoints of
:mod:`bot.web.ops`: ``/metrics`` and ``/healthz``. The author's desk and the admin's board
(issue 16) are not built yet. Bind it to loopback, or put a reverse proxy in front of it:
nothing here asks who is calling.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import timedelta

from aiohttp import web

from bot.config import WebSettings
from bot.runtime import Bot
from bot.web.ops import add_ops_routes


def build_app(bot: Bot, settings: WebSettings) -> web.Application:
    """The application: every route the web server serves."""
    app = web.Application()
    add_ops_routes(app, bot, stuck_after=timedelta(seconds=settings.stuck_after_s))
    return app


async def start_web(bot: Bot, settings: WebSettings, stack: AsyncExitStack) -> str:
    """Listen on ``settings``' address until ``stack`` closes; returns the base URL.

    Raises OSError (in plain words from the OS: "address already in use") when the address
    cannot be bound.
    """
    runner = web.AppRunner(build_app(bot, settings), access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{settings.port}"
