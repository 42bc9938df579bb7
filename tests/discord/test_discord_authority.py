"""Authority on Discord: two servers in the loopback Discord. A member with Manage Server in
one governs only that server's subscriptions; a bot admin governs all; with
``[discord] allowed_guilds`` the bot leaves every other server, saying why."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.discord import DiscordAdapter
from bot.adapters.discord.guilds import LEAVING
from bot.app.adapter_state import AdapterState
from bot.config import DiscordSettings, Secret
from bot.core.models import IncomingMessage
from bot.runtime import bundled_text
from bot.storage.sqlite.store import SqliteStore
from tests.contract.suite import Inbox
from tests.discord.conftest import FAST, Scene
from tests.discord.test_discord_end_to_end import World, close_world, make_world
from tests.discord_fake import Channel, FakeDiscord, Member
from tests.loopback_feed import serving_feed

FEED = bundled_text("example-feed.xml").encode()


async def said(world: World, member: Member, channel: int, text: str) -> str:
    asked = await world.say(member, channel, text)
    replies = await world.fake.wait_until(lambda: world.bot_replies_to(asked), timeout=15)
    return str(replies[-1]["content"])


@pytest.fixture
async def two(
    fake_discord: FakeDiscord, scene: Scene, tmp_path: Path
) -> AsyncIterator[tuple[World, Member, Member, Channel]]:
    """Gina has Manage Server in the scene's server; Olaf in another, with #lounge."""
    gina = fake_discord.add_member(scene.guild, "Gina", manage_guild=True)
    other = fake_discord.add_guild("Other")
    lounge = fake_discord.add_text_channel(other, "lounge")
    olaf = fake_discord.add_member(other, "Olaf", manage_guild=True)
    w = await make_world(fake_discord, scene, tmp_path)
    yield w, gina, olaf, lounge
    await close_world(w)


async def test_a_server_admin_governs_only_their_servers_feeds(
    two: tuple[World, Member, Member, Channel],
) -> None:
    w, gina, olaf, lounge = two
    async with serving_feed(FEED) as url:
        added = await said(w, gina, w.general, f"!feed add {url} author {gina.id}")
        assert "Added feed #1" in added and "now answers its readers' questions here" in added
        assert (await said(w, olaf, lounge.id, "!feed list")).startswith("No feeds yet")
        for action in ("pause 1", "remove 1", "post 1", "status 1"):
            reply = await said(w, olaf, lounge.id, f"!feed {action}")
            assert reply.startswith("There is no feed #1 in this server"), (action, reply)
        reply = await said(w, olaf, lounge.id, f"!feed add {url} <#{w.general}>")
        assert reply.startswith(f"discord:{w.general} is not in this server")
        # Olaf subscribes his own server to the same feed, as its author.
        reply = await said(w, olaf, lounge.id, f"!feed add {url} author {olaf.id}")
        assert "Added feed #1" in reply and "posting to discord:" in reply
        # ...which makes him no author of her readers' questions.
        await w.fake.wait_until(w.openings, timeout=15)
        await said(w, w.scene.alice, w.general, "!ask Why would both sides deny it?")
        reply = await said(w, olaf, lounge.id, "!answer 1 Because I say so.")
        assert "is not on an article of yours" in reply
        assert "Why would both sides deny it" not in await said(w, olaf, lounge.id, "!queue")
        assert "Answer to #1 sent" in await said(w, gina, w.general, "!answer 1 Both gain.")
        mine = await said(w, gina, w.general, "!feed list")
        assert str(w.general) in mine and str(lounge.id) not in mine
        # Pausing in his server leaves hers posting.
        reply = await said(w, olaf, lounge.id, "!feed pause 1")
        assert reply.startswith("Paused feed #1")
        assert f"here (it no longer posts to discord:{lounge.id})" in reply
        assert "paused" not in (await said(w, gina, w.general, "!feed list")).split("\n")[2]
        # The bot admin (Mo) reaches both.
        everything = await said(w, w.scene.mod, w.general, "!feed list")
        assert str(w.general) in everything and str(lounge.id) in everything


async def test_only_allowed_servers_are_served_the_rest_are_left_with_a_word(
    fake_discord: FakeDiscord, scene: Scene, db: SqliteStore
) -> None:
    other = fake_discord.add_guild("Stranger's", text_channels=("chat",))
    settings = DiscordSettings(Secret(fake_discord.token), allowed_guilds=(str(scene.guild.id),))
    adapter = DiscordAdapter(settings, AdapterState(db), **FAST)  # type: ignore[arg-type]
    inbox = Inbox()
    await adapter.start(inbox)
    try:
        # Present at start: told why in its first channel, then left.
        await fake_discord.wait_until(lambda: other in fake_discord.world.left_guilds, 10)
        chat = other.channel_ids[0]
        assert [m["content"] for m in fake_discord.messages_in(chat)] == [LEAVING]
        # Added while running (a Public Bot can be added by anyone): left the same way.
        late = fake_discord.add_guild("Latecomer", text_channels=("hall",))
        await fake_discord.wait_until(lambda: late in fake_discord.world.left_guilds, 10)
        assert [m["content"] for m in fake_discord.messages_in(late.channel_ids[0])] == [LEAVING]
        # The allowed server is served as before.
        general = fake_discord.add_text_channel(scene.guild, "general")
        member = fake_discord.add_member(scene.guild, "Alice")
        await asyncio.sleep(0.1)
        await fake_discord.member_says(member, general, "hello, is this served?")
        await fake_discord.wait_until(
            lambda: any(isinstance(e, IncomingMessage) for e in inbox.events), 10
        )
        assert scene.guild.id in fake_discord.world.guilds
    finally:
        await adapter.close()
