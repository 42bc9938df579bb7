"""One feed document served on loopback, for tests that add a feed from chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web


@asynccontextmanager
async def serving_feed(body: bytes, path: str = "/feed.xml") -> AsyncIterator[str]:
    """Serve ``body`` as RSS at ``path`` on a free loopback port; yields its URL."""

    async def feed(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get(path, feed)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}{path}"
    finally:
        await runner.cleanup()
