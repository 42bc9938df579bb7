"""The bot's own HTTP server, on when ``[web] listen`` is set.

It runs inside the bot process on the same event loop (aiohttp, which discord.py and
matrix-nio already bring). Without ``[web] public_url`` it serves only the operations
endpoints of :mod:`bot.web.ops` (``/metrics``, ``/healthz``), which ask nobody who is calling:
bind to loopback or let the reverse proxy guard them. With ``public_url`` it also serves the
author's desk (:mod:`bot.web.desk`) and the admin's board (:mod:`bot.web.board`), where
every page asks who is calling (:func:`bot.web.auth.require_viewer`): a session opened by a
one-time link from ``!web``, checked against the feeds' authors on every request.

Every response carries a strict Content-Security-Policy (:func:`security_headers`): only
the bot's own origin, scripts only from ``/static``, no inline script or style, no frames.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from bot.config import WebSettings
from bot.runtime import Bot
from bot.web.ops import add_ops_routes

STATIC = Path(__file__).parent / "static"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CSP and friends on every answer, errors (raised HTTP exceptions) included."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _harden(exc.headers)
        raise
    _harden(response.headers)
    return response


def _harden(headers: MutableMapping[str, str]) -> None:
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"  # a sign-in link is a secret in the URL
    headers["X-Frame-Options"] = "DENY"


def build_app(bot: Bot, settings: WebSettings) -> web.Application:
    """The application: every route the web server serves.

    The routes table: ops (always); with ``public_url``: ``/static``, sign-in
    (:mod:`bot.web.auth`), the desk (:func:`bot.web.desk.add_desk_routes`) and the board
    (``add_board_routes(app, bot)`` in :mod:`bot.web.board`).
    """
    app = web.Application(middlewares=[security_headers])
    add_ops_routes(app, bot, stuck_after=timedelta(seconds=settings.stuck_after_s))
    if settings.public_url is not None:
        from bot.web import auth
        from bot.web.desk import add_desk_routes

        app[auth.BOT_KEY] = bot
        app[auth.PUBLIC_URL_KEY] = settings.public_url
        app.router.add_static("/static", STATIC, append_version=False)
        app.router.add_get("/", _to_desk)
        app.router.add_get("/login", auth.login_help)
        app.router.add_get("/login/{token}", auth.login)
        app.router.add_post("/logout", auth.logout)
        add_desk_routes(app, bot)
        from bot.web.board import add_board_routes

        add_board_routes(app, bot)
    return app


async def _to_desk(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/desk")


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
    port = settings.port
    if port == 0:  # a free port, chosen by the OS (the console's --web)
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        port = sockets[0].getsockname()[1] if sockets else 0
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{port}"
