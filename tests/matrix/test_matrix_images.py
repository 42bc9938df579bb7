"""An article's lead image on real Synapse: fetched through the feed guard, uploaded, sent as
m.image before the summary, never twice; a refused fetch posts the summary alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import nio
from aiohttp import web

from bot.adapters.matrix import PLATFORM
from bot.core.models import ChatRef, Rendered
from bot.feeds.fetch import Fetcher
from tests.contract.suite import Inbox
from tests.feeds.conftest import feed_settings

from .conftest import MakeClient, MakeUser
from .kit import MemoryState, message_from, new_adapter, room_history
from .synapse import SynapseServer, wait_for_event

# A 3x2 PNG header is enough for the size; the rest is arbitrary bytes to compare.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x03\x00\x00\x00\x02" + bytes(range(200))


@asynccontextmanager
async def serving_image(body: bytes) -> AsyncIterator[str]:
    async def image(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="image/png")

    app = web.Application()
    app.router.add_get("/lead.png", image)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/lead.png"
    finally:
        await runner.cleanup()


def is_image(event: dict[str, object]) -> bool:
    content = event.get("content")
    return isinstance(content, dict) and content.get("msgtype") == "m.image"


async def test_the_lead_image_is_uploaded_and_sent_once_before_the_summary(
    synapse: SynapseServer, make_user: MakeUser, matrix_client: MakeClient
) -> None:
    bot, admin = make_user("bot"), make_user("admin")
    admin_c = await matrix_client(admin)
    room = (await admin_c.room_create(invite=[bot.user_id])).room_id
    fetcher = Fetcher(feed_settings().polling)  # the tests' settings allow loopback
    state = MemoryState()
    adapter = new_adapter(
        synapse,
        bot,
        state,
        fetch_image=fetcher.fetch_image,
        admins=frozenset({f"matrix:{admin.user_id}"}),
    )
    await adapter.start(Inbox())
    try:
        async with serving_image(PNG) as url:
            summary = Rendered("Title\nThe summary", title="Title", image=url)
            where = ChatRef(PLATFORM, room)
            posted = await adapter.post(where, summary, key="article:1:matrix:r:summary")
            again = await adapter.post(where, summary, key="article:1:matrix:r:summary")
        assert again.message == posted.message
        picture = await wait_for_event(admin_c, room, message_from(bot.user_id, is_image))
        info = picture["content"]["info"]
        assert info == {"mimetype": "image/png", "size": len(PNG), "w": 3, "h": 2}
        mxc = picture["content"]["url"]
        assert mxc.startswith("mxc://")
        got = await admin_c.download(mxc=mxc)
        assert isinstance(got, nio.MemoryDownloadResponse), got
        assert got.body == PNG
        await asyncio.sleep(0.2)
        history = [e for e in await room_history(admin_c, room) if e["sender"] == bot.user_id]
        assert [is_image(e) for e in history] == [True, False]  # the picture, then the summary
        assert history[1]["event_id"] == posted.message
    finally:
        await adapter.close()
        await fetcher.close()


async def test_an_image_on_a_refused_address_posts_the_summary_alone(
    synapse: SynapseServer, make_user: MakeUser, matrix_client: MakeClient
) -> None:
    bot, admin = make_user("bot"), make_user("admin")
    admin_c = await matrix_client(admin)
    room = (await admin_c.room_create(invite=[bot.user_id])).room_id
    fetcher = Fetcher(feed_settings(allow_private_addresses=()).polling)  # loopback refused
    adapter = new_adapter(
        synapse,
        bot,
        MemoryState(),
        fetch_image=fetcher.fetch_image,
        admins=frozenset({f"matrix:{admin.user_id}"}),
    )
    await adapter.start(Inbox())
    try:
        async with serving_image(PNG) as url:
            summary = Rendered("Title\nAlone", title="Title", image=url)
            posted = await adapter.post(ChatRef(PLATFORM, room), summary, key="s-2")
        await wait_for_event(
            admin_c, room, message_from(bot.user_id, lambda e: e["event_id"] == posted.message)
        )
        history = [e for e in await room_history(admin_c, room) if e["sender"] == bot.user_id]
        assert not any(is_image(e) for e in history) and len(history) == 1
    finally:
        await adapter.close()
        await fetcher.close()
