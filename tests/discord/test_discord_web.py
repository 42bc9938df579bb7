"""The web desk from Discord: ``/web`` (the slash version of ``!web``) and the desk's links
to where a Discord question was asked.

The bot is ``bot.runtime.Bot`` with the Discord adapter over discord.py's real HTTP and
gateway code against the loopback Discord (``tests/discord_fake``), a real SQLite file and
the outbox worker; the desk is the real aiohttp application through aiohttp's test client.
Interactions arrive as Discord sends them (INTERACTION_CREATE); what the bot answers is
read back from the fake as Discord would have stored it: the callback body (type 5,
deferred, with ``flags`` 64, EPHEMERAL, as the API docs define) and the response message.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.discord.render import literal
from bot.app import signin
from bot.config import WebSettings
from bot.core.models import ArticleId, ChatRef, Platform, UserRef
from bot.storage.types import NewQuestion
from bot.web.server import build_app
from tests.discord.conftest import Scene
from tests.discord.test_discord_end_to_end import (
    World,
    answered,
    close_world,
    make_world,
    poll,
)
from tests.discord_fake import FakeDiscord, InteractionRecord, Member
from tests.reads import reads

PUBLIC = "http://desk.test"
LINK = re.compile(re.escape(PUBLIC) + r"(/login/[A-Za-z0-9_-]+)")
EPHEMERAL = 64  # Discord's message flag: only the user who invoked the interaction sees it


@pytest.fixture
async def world(fake_discord: FakeDiscord, scene: Scene, tmp_path: Path) -> AsyncIterator[World]:
    w = await make_world(
        fake_discord, scene, tmp_path, web=WebSettings("127.0.0.1", 0, public_url=PUBLIC)
    )
    await w.bot.sync_config_feeds()  # Ada becomes the author of the feed posting in #general
    yield w
    await close_world(w)


@pytest.fixture
async def client(world: World) -> AsyncIterator[TestClient]:
    assert world.bot.settings.web is not None
    test_client = TestClient(TestServer(build_app(world.bot, world.bot.settings.web)))
    await test_client.start_server()
    yield test_client
    await test_client.close()


async def slash_web(
    world: World, who: Member, where: int, action: str | None = None
) -> InteractionRecord:
    """``who`` runs ``/web`` (``action``: login or logout) in channel ``where``; the record
    once the core's reply replaced the "thinking…" placeholder."""
    options = {"action": action} if action else None
    record = await world.fake.member_slash_command(who, where, "web", options)
    await world.fake.wait_until(lambda: answered(record), timeout=10)
    return record


def assert_shown_only_to_the_asker(record: InteractionRecord) -> None:
    """The response was deferred ephemerally (the callback's own flags), and the message
    Discord keeps for it carries the ephemeral flag."""
    first = record.callbacks[0]
    assert first["type"] == 5, first  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    assert int(first["data"]["flags"]) & EPHEMERAL, first
    assert record.original is not None
    assert int(record.original.data["flags"]) & EPHEMERAL
    assert record.ephemeral


def assert_no_link_in_public(world: World) -> None:
    """No message anyone but its addressee can read carries a sign-in link."""
    for message in world.fake.world.messages.values():
        if "/login/" in message.content:
            assert message.ephemeral or message.guild_id is None, message.data


async def test_slash_web_in_a_channel_gives_the_author_a_link_only_they_see(
    world: World, client: TestClient
) -> None:
    record = await slash_web(world, world.scene.author, world.general)
    assert_shown_only_to_the_asker(record)
    found = LINK.search(record.content or "")
    assert found, record.content
    assert "works once, for 10 minutes" in (record.content or "")
    assert_no_link_in_public(world)
    assert all("/login/" not in m["content"] for m in world.fake.messages_in(world.general))
    # The link is a real one: it signs in once.
    signed_in = await client.get(found.group(1), allow_redirects=False)
    assert signed_in.status == 303 and signed_in.headers["Location"] == "/desk"
    again = await client.get(found.group(1), allow_redirects=False)
    assert again.status == 403


async def test_text_web_in_a_channel_gives_no_link_and_points_to_slash_web(world: World) -> None:
    said = await world.say(world.scene.author, world.general, "!web")
    [reply] = await world.fake.wait_until(lambda: world.bot_replies_to(said))
    assert "direct message" in reply["content"] and "/web here" in reply["content"]
    assert "/login/" not in reply["content"]
    assert_no_link_in_public(world)


async def test_text_web_in_a_dm_gives_the_link_there(world: World) -> None:
    dm = world.fake.dm_channel(world.scene.author)
    said = await world.say(world.scene.author, dm.id, "!web")
    [reply] = await world.fake.wait_until(lambda: world.bot_replies_to(said))
    assert LINK.search(reply["content"]), reply["content"]


async def test_slash_web_in_the_bots_dm_works_too(world: World) -> None:
    dm = world.fake.dm_channel(world.scene.author)
    record = await slash_web(world, world.scene.author, dm.id)
    assert record.payload["context"] == 1 and "guild_id" not in record.payload  # the bot's DM
    assert_shown_only_to_the_asker(record)
    assert LINK.search(record.content or ""), record.content


async def test_slash_web_refuses_a_member_in_plain_words(world: World) -> None:
    record = await slash_web(world, world.scene.alice, world.general)
    assert_shown_only_to_the_asker(record)
    assert "for authors only" in (record.content or "")
    assert "/login/" not in (record.content or "")
    async with world.store.read() as r:
        assert await r.web.links_since(f"discord:{world.scene.alice.id}", world.bot.clock()) == 0


async def test_slash_web_is_rate_limited_like_the_text_command(world: World) -> None:
    author = world.scene.author
    for _ in range(signin.LINKS_PER_HOUR):
        assert LINK.search((await slash_web(world, author, world.general)).content or "")
    refused = await slash_web(world, author, world.general)
    assert_shown_only_to_the_asker(refused)
    assert refused.content == signin.rate_limited()


async def test_slash_web_logout_ends_the_sessions(world: World, client: TestClient) -> None:
    given = await slash_web(world, world.scene.author, world.general, "login")
    found = LINK.search(given.content or "")
    assert found
    assert (await client.get(found.group(1), allow_redirects=False)).status == 303
    assert (await client.get("/desk", allow_redirects=False)).status == 200
    out = await slash_web(world, world.scene.author, world.general, "logout")
    assert_shown_only_to_the_asker(out)
    assert out.content == "Signed out of the desk everywhere (1 session ended)."
    assert (await client.get("/desk", allow_redirects=False)).status == 401


async def test_slash_web_without_a_web_desk_says_so(
    fake_discord: FakeDiscord, scene: Scene, tmp_path: Path
) -> None:
    w = await make_world(fake_discord, scene, tmp_path)  # no [web] public_url
    try:
        await w.bot.sync_config_feeds()
        record = await slash_web(w, scene.author, scene.general.id)
        assert_shown_only_to_the_asker(record)
        assert record.content == literal(signin.NO_DESK)  # "public\\_url": Discord shows "_"
    finally:
        await close_world(w)


async def test_a_link_that_cannot_be_answered_privately_any_more_is_given_up(
    world: World,
) -> None:
    """The link is queued, then the process restarts before it is sent: the interaction
    can no longer be answered (its token died with the process), and a private reply is
    never posted in the channel instead, unlike other slash replies."""
    world.worker.cancel()
    await asyncio.wait([world.worker])
    record = await world.fake.member_slash_command(world.scene.author, world.general, "web")
    outbox = reads(world.store).outbox
    await poll(lambda: _counts_are(world, {"pending": 1}))
    await world.restart_adapter()
    world.worker = asyncio.create_task(world.bot.delivery.run(), name="outbox")
    await poll(lambda: _counts_are(world, {"failed": 1}))
    assert await outbox.counts() == {"failed": 1}
    assert record.content == "" or "/login/" not in (record.content or "")
    assert_no_link_in_public(world)
    assert all("/login/" not in s.message["content"] for s in world.fake.sent_by_bot())


async def _counts_are(world: World, expected: dict[str, int]) -> bool:
    return await reads(world.store).outbox.counts() == expected


# the desk's "where it was asked" ---------------------------------------------------------


async def test_the_desk_links_to_where_a_discord_question_was_asked(
    world: World, client: TestClient
) -> None:
    await world.publish_seed()
    in_channel = await world.say(world.scene.alice, world.general, "clarify point 3")
    thread = world.thread(2)
    in_thread = await world.say(world.scene.bob, thread, "Which systems exactly?")
    [a] = await world.questions(world.scene.alice, 1)
    [b] = await world.questions(world.scene.bob, 1)
    assert (a.where.server, b.where.server) == (str(world.scene.guild.id),) * 2
    # A /ask (its ref is the interaction) and an anonymous question.
    point4 = world.thread(4)
    slash_ask = await world.fake.member_slash_command(
        world.scene.mod, point4, "ask", {"question": "Who signs the document?"}
    )
    await world.fake.wait_until(lambda: "queued" in (slash_ask.content or ""))
    [c] = await world.questions(world.scene.mod, 1)
    await world.say(world.scene.bob, world.general, "!ask --anonymous point 1 Is it binding?")
    anonymous = [q for q in await world.questions(world.scene.bob, 2) if q.anonymous]
    assert len(anonymous) == 1 and anonymous[0].where.server == str(world.scene.guild.id)
    # A question stored before migration 0016 has no server: no link, as before.
    async with world.store.transaction() as tx:
        old = ChatRef(Platform("discord"), str(world.general), None, "1234567890123")
        asker = UserRef(Platform("discord"), str(world.scene.mod.id), "Mo")
        old_id = await tx.questions.add(
            NewQuestion(ArticleId(a.article_id), 3, asker, old, "An old question?"),
            world.bot.clock(),
        )
    given = await slash_web(world, world.scene.author, world.general)
    found = LINK.search(given.content or "")
    assert found
    assert (await client.get(found.group(1), allow_redirects=False)).status == 303
    page = await client.get(f"/desk/article/{a.article_id}", headers={"Accept": "text/html"})
    body = await page.text()
    assert page.status == 200, body
    guild = world.scene.guild.id
    channel_link = f"https://discord.com/channels/{guild}/{world.general}/{in_channel['id']}"
    thread_link = f"https://discord.com/channels/{guild}/{thread}/{in_thread['id']}"
    assert f'<a href="{channel_link}"' in body
    assert f'<a href="{thread_link}"' in body
    asked_in = f"https://discord.com/channels/{guild}/{point4}"  # no message of its own
    links = re.findall(r'href="(https://discord\.com/channels/[^"]+)"', body)
    assert sorted(links) == sorted([channel_link, thread_link, asked_in]), links
    assert _question_block(body, c.id).count(f'href="{asked_in}"') == 1
    assert _question_block(body, old_id).count("where it was asked") == 0
    assert _question_block(body, anonymous[0].id).count("where it was asked") == 0
    assert _question_block(body, a.id).count("where it was asked") == 1


def _question_block(body: str, qid: int | None) -> str:
    found = re.search(rf'<div class="question" id="q{qid}">(.*?)<div class="actions">', body, re.S)
    assert found, qid
    return found.group(1)
