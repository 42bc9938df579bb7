"""Templates and announcements on the loopback Discord: the heading becomes the embed's
title; a new article's summary pings exactly the announced role (allowed mentions name
that role and nothing else) and the fake pings it; refusals come when set, with reasons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import get_args

import pytest

from bot.adapters.discord import slash as slash_module
from bot.core.commands import FEED_ACTIONS
from bot.core.models import FeedId
from tests.discord.conftest import Scene
from tests.discord.test_discord_end_to_end import World, close_world, make_world
from tests.discord_fake import FakeDiscord
from tests.feeds import conftest as feeds
from tests.feeds.conftest import FeedServer, Item, rss20
from tests.reads import reads

ITEMS = [Item("e1", "First light")]


@pytest.fixture
async def world(fake_discord: FakeDiscord, scene: Scene, tmp_path: Path) -> AsyncIterator[World]:
    w = await make_world(fake_discord, scene, tmp_path)
    yield w
    await close_world(w)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    """The feeds' loopback server (tests/feeds/conftest.py), whose body a test changes."""
    async for srv in feeds.server.__wrapped__():  # type: ignore[attr-defined]
        yield srv


async def ask(world: World, text: str) -> str:
    said = await world.say(world.scene.mod, world.general, text)
    [reply] = await world.fake.wait_until(lambda: world.bot_replies_to(said), timeout=10)
    # Replies are escaped so they ping nobody: read them as typed.
    return str(reply["content"]).replace("\u200b", "").replace("\\", "")


async def poll_once(world: World) -> None:
    feed = await reads(world.store).feeds.get(FeedId(1))
    assert feed is not None
    await world.bot.poller.poll_feed(feed)


def test_the_slash_feed_actions_are_the_text_commands() -> None:
    assert get_args(slash_module.FeedAction) == FEED_ACTIONS


def summaries(world: World) -> list[tuple[dict[str, object], dict[str, object]]]:
    """(message, request) of the bot's summaries in #general (embeds, not replies)."""
    return [
        (s.message, s.request)
        for s in world.fake.sent_by_bot(world.general)
        if s.created and s.message["embeds"] and not s.message.get("message_reference")
    ]


async def test_template_and_role_announce_on_discord(world: World, server: FeedServer) -> None:
    fake, guild = world.fake, world.scene.guild
    news = fake.add_role(guild, "News", mentionable=True)
    quiet = fake.add_role(guild, "Quiet")  # not mentionable, and the bot lacks Mention Everyone
    url = server.serve("/feed.xml", rss20(ITEMS, title="Writers weekly"))
    assert "Added feed" in await ask(world, f"!feed add {url} backfill none")

    said = await ask(world, "!feed announce 1 here @here")
    assert "cannot announce @here" in said and "Mention Everyone permission" in said
    said = await ask(world, f"!feed announce 1 here <@&{quiet.id}>")
    assert "the role Quiet cannot be mentioned by me: make it mentionable" in said
    said = await ask(world, "!feed announce 1 here @room")
    assert "@room is Matrix's" in said
    said = await ask(world, f"!feed announce 1 here <@&{news.id}>")
    assert f"now mentions <@&{news.id}> once" in said

    said = await ask(world, "!feed template 1 heading {title} {link}")
    assert "past Discord's limit for an embed title of 256" in said
    said = await ask(world, '!feed template 1 heading "{feed}: {title}"')
    assert "now use heading" in said
    before = len(summaries(world))
    preview = await ask(world, "!feed template 1 preview")
    assert "Writers weekly: First light" in preview and "nothing was posted" in preview
    # The same through the slash command, answered privately; still nothing posted.
    slash = await fake.member_slash_command(
        world.scene.mod, world.general, "feed", {"action": "template", "details": "1 preview"}
    )
    await fake.wait_until(lambda: bool(slash.content) and len(slash.edits) > 0)
    assert slash.ephemeral and "nothing was posted" in (slash.content or "")
    shown = await fake.member_slash_command(
        world.scene.mod, world.general, "feed", {"action": "announce", "details": "1 here none"}
    )
    await fake.wait_until(lambda: bool(shown.content) and len(shown.edits) > 0)
    assert "mentions nobody" in (shown.content or "")
    assert len(summaries(world)) == before
    said = await ask(world, f"!feed announce 1 here <@&{news.id}>")

    server.serve("/feed.xml", rss20([Item("e2", "Second wind"), *ITEMS], title="Writers weekly"))
    await poll_once(world)
    [(message, request)] = await fake.wait_until(lambda: summaries(world), timeout=10)
    assert message["embeds"][0]["title"] == "Writers weekly: Second wind"  # type: ignore[index]
    assert message["content"] == f"<@&{news.id}>"
    assert request["allowed_mentions"] == {"parse": [], "roles": [news.id]}
    assert message["mention_roles"] == [str(news.id)]
    assert not message["mention_everyone"] and message["mentions"] == []
    # The threads under it ping nobody.
    for send in fake.sent_by_bot():
        if send.message is not message:
            assert send.message["mention_roles"] == [] and not send.message["mention_everyone"]

    # An edit of the article: the summary changes, and nobody is pinged again.
    server.serve(
        "/feed.xml", rss20([Item("e2", "Second wind, revised"), *ITEMS], title="Writers weekly")
    )
    await poll_once(world)
    edited = await fake.wait_until(
        lambda: [
            m
            for m in fake.messages_in(world.general)
            if m["embeds"] and m["embeds"][0]["title"] == "Writers weekly: Second wind, revised"
        ],
        timeout=10,
    )
    assert len(edited) == 1
    mine = [m for m in fake.messages_in(world.general) if m["author"]["id"] == str(fake.bot.id)]
    # The edit replaces the card and drops the ping line (Discord never pings on an edit).
    assert [m for m in mine if m["mention_roles"] or m["mention_everyone"]] == []
    assert edited[0]["content"] == ""
