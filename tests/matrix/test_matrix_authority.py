"""Authority on a real Synapse: two rooms, each with its own power levels, are two
communities; an admin of one (power level 100) is a plain member of the other and governs
only their own room's feeds. Allow lists, and invites judged by room id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import nio
import pytest

from bot.adapters.matrix import MatrixAdapter
from bot.adapters.matrix.rooms import LEAVING
from bot.app.adapter_state import AdapterState
from bot.config import PollSettings, Settings
from bot.runtime import Bot, bundled_text
from bot.storage.sqlite.store import SqliteStore
from tests.loopback_feed import serving_feed

from .conftest import MakeClient, MakeUser
from .kit import FAST, MemoryState, bot_settings, in_reply_to, message_from, new_adapter, send_text
from .synapse import SynapseServer, wait_for, wait_for_event

FEED = bundled_text("example-feed.xml").encode()


@dataclass
class Rooms:
    bot_id: str
    ann: nio.AsyncClient  # creator (power level 100) of room a; power level 0 in room b
    bob: nio.AsyncClient  # creator of room b; power level 0 in room a
    ops: nio.AsyncClient  # a bot admin ([bot] admins), power level 0 in room b
    a: str
    b: str

    async def say(self, who: nio.AsyncClient, room: str, text: str) -> str:
        """``who`` says ``text`` in ``room``; the bot's reply's body."""
        asked = await send_text(who, room, text)
        reply = await wait_for_event(
            who, room, message_from(self.bot_id, in_reply_to(asked)), timeout=15
        )
        return str(reply["content"]["body"])


async def _joined(client: nio.AsyncClient, room: str, user_id: str) -> bool:
    members = await client.joined_members(room)
    return user_id in [m.user_id for m in getattr(members, "members", [])]


@pytest.fixture
async def rooms(
    synapse: SynapseServer, make_user: MakeUser, matrix_client: MakeClient, tmp_path: Path
) -> AsyncIterator[Rooms]:
    bot, ann, bob, ops = make_user("bot"), make_user("ann"), make_user("bob"), make_user("ops")
    ann_c, bob_c, ops_c = [await matrix_client(u) for u in (ann, bob, ops)]
    a = (await ann_c.room_create(name="a", invite=[bot.user_id, bob.user_id])).room_id
    b = (await bob_c.room_create(name="b", invite=[bot.user_id, ann.user_id, ops.user_id])).room_id
    for client, room in ((bob_c, a), (ann_c, b), (ops_c, b)):
        assert isinstance(await client.join(room), nio.JoinResponse)
    settings = Settings(
        database=tmp_path / "bot.sqlite3",
        admins=frozenset({f"matrix:{ops.user_id}"}),
        polling=PollSettings(allow_private_addresses=("127.0.0.0/8",), timeout_s=5.0),
        matrix=bot_settings(synapse, bot),
    )
    db = await SqliteStore.open(settings.database)
    adapter = MatrixAdapter(
        settings.matrix,  # type: ignore[arg-type]
        AdapterState(db),
        admins=settings.admins,
        is_author=AdapterState(db).is_any_author,
        rooms=frozenset({a, b}),
        **FAST,
    )
    app = Bot(db, {adapter.platform: adapter}, settings)
    await adapter.start(app.conversation.handle)
    worker = asyncio.create_task(app.delivery.run())
    try:
        await wait_for(lambda: _joined(ann_c, a, bot.user_id), timeout=15)
        await wait_for(lambda: _joined(bob_c, b, bot.user_id), timeout=15)
        yield Rooms(bot.user_id, ann_c, bob_c, ops_c, a, b)
    finally:
        worker.cancel()
        await asyncio.wait([worker])
        await app.fetcher.close()
        await adapter.close()
        await db.close()


async def test_a_rooms_admin_governs_only_that_rooms_feeds(rooms: Rooms) -> None:
    r = rooms
    async with serving_feed(FEED) as url:
        assert "Added feed #1" in await r.say(r.ann, r.a, f"!feed add {url} author ann")
        # Bob is an admin in room b only: room a's subscription is out of his reach.
        assert (await r.say(r.bob, r.b, "!feed list")).startswith("No feeds yet")
        said = await r.say(r.bob, r.b, "!feed pause 1")
        assert said.startswith("There is no feed #1 in this room")
        said = await r.say(r.bob, r.b, f"!feed add {url} matrix:{r.a}")
        assert said.startswith(f"matrix:{r.a} is not in this room")
        # In room b Ann has power level 0: not an admin there at all.
        assert "for admins only" in await r.say(r.ann, r.b, "!feed list")
        # Bob adds the same URL naming himself author: his own room's subscription only.
        said = await r.say(r.bob, r.b, f"!feed add {url} author bob")
        assert "Added feed #1" in said and "now answers its readers' questions here" in said
        listed = await r.say(r.ann, r.a, "!feed list")
        assert r.a in listed and r.b not in listed
        # A bot admin reaches every room's subscription, from any room.
        listed = await r.say(r.ops, r.b, "!feed list")
        assert r.a in listed and r.b in listed
        assert (await r.say(r.ops, r.b, "!feed pause 1")).startswith("Paused feed #1")


async def test_allow_list_and_invites_judged_by_room_id(
    synapse: SynapseServer, make_user: MakeUser, matrix_client: MakeClient
) -> None:
    bot, ann, stranger = make_user("bot"), make_user("ann"), make_user("stranger")
    ann_c, stranger_c = await matrix_client(ann), await matrix_client(stranger)
    server = bot.user_id.partition(":")[2]
    alias_name = f"news-{bot.user_id[1:].split(':')[0]}"
    allowed = (await ann_c.room_create(name="allowed", invite=[bot.user_id])).room_id
    other = (await ann_c.room_create(name="other", invite=[bot.user_id])).room_id
    news = (
        await stranger_c.room_create(name="news", alias=alias_name, invite=[bot.user_id])
    ).room_id
    settings = bot_settings(synapse, bot)
    settings = type(settings)(
        settings.homeserver,
        settings.user_id,
        settings.password,
        None,
        allowed_rooms=(allowed,),
    )
    adapter = MatrixAdapter(
        settings,
        MemoryState(),
        admins=frozenset({f"matrix:{ann.user_id}"}),
        rooms=frozenset({f"#{alias_name}:{server}"}),  # a target named by its alias
        **FAST,
    )
    await adapter.start(_Ignore())
    try:
        await wait_for(lambda: _joined(ann_c, allowed, bot.user_id), timeout=15)
        # The configured alias, resolved by the bot's own homeserver, admits the stranger's room.
        await wait_for(lambda: _joined(stranger_c, news, bot.user_id), timeout=15)

        async def refused() -> bool:
            state = await ann_c.room_get_state_event(other, "m.room.member", bot.user_id)
            content = getattr(state, "content", {})
            return content.get("membership") == "leave" and content.get("reason") == LEAVING

        # An admin's invite to a room off the allow list: refused, saying why.
        await wait_for(refused, timeout=15)
        assert not await _joined(ann_c, other, bot.user_id)
    finally:
        await adapter.close()


async def test_a_room_joined_before_the_allow_list_is_left_with_a_word(
    synapse: SynapseServer, make_user: MakeUser, matrix_client: MakeClient
) -> None:
    bot, ann = make_user("bot"), make_user("ann")
    ann_c = await matrix_client(ann)
    old = (await ann_c.room_create(name="old", invite=[bot.user_id])).room_id
    admins = frozenset({f"matrix:{ann.user_id}"})
    state = MemoryState()
    first = new_adapter(synapse, bot, state, admins=admins)
    await first.start(_Ignore())
    try:
        await wait_for(lambda: _joined(ann_c, old, bot.user_id), timeout=15)
    finally:
        await first.close()
    settings = bot_settings(synapse, bot)
    limited = type(settings)(
        settings.homeserver,
        settings.user_id,
        settings.password,
        None,
        allowed_homeservers=("elsewhere.example",),
    )
    second = MatrixAdapter(limited, state, admins=admins, **FAST)
    await second.start(_Ignore())
    try:
        said = await wait_for_event(
            ann_c, old, message_from(bot.user_id, lambda e: e["content"]["body"] == LEAVING), 15
        )
        assert said["content"]["body"] == LEAVING

        async def gone() -> bool:
            return not await _joined(ann_c, old, bot.user_id)

        await wait_for(gone, timeout=15)
    finally:
        await second.close()


class _Ignore:
    async def __call__(self, event: object) -> None:
        return None
