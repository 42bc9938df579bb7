"""The Discord adapter on its own: start-up, inbound events, sending, threads, errors and
roles, through discord.py's real HTTP and gateway code against the loopback Discord."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.adapters.base import NotFoundFailure, PermissionFailure
from bot.adapters.discord import PLATFORM, DiscordAdapter, inbound, render
from bot.adapters.discord.errors import RejectedFailure
from bot.core.models import (
    ChatRef,
    IncomingMessage,
    MessageDeleted,
    MessageEdited,
    ReactionAdded,
    Rendered,
    Role,
    UserRef,
)
from bot.core.numbers import MAX_SLASH_NUMBER
from bot.storage.sqlite.store import SqliteStore
from tests.contract.suite import Inbox
from tests.discord.conftest import Scene, StartAdapter, make_adapter
from tests.discord_fake import FakeDiscord, Intent, Perm

Started = tuple[DiscordAdapter, Inbox]


def channel_ref(scene: Scene) -> ChatRef:
    return ChatRef(PLATFORM, str(scene.general.id))


def user(member: object) -> UserRef:
    return UserRef(PLATFORM, str(member.id))  # type: ignore[attr-defined]


async def events_of(inbox: Inbox, kind: type, fake: FakeDiscord, count: int = 1) -> list[Any]:
    """The first ``count`` events of ``kind`` the adapter delivered (waits for them)."""
    await fake.wait_until(lambda: sum(isinstance(e, kind) for e in inbox.events) >= count)
    return [e for e in inbox.events if isinstance(e, kind)][:count]


# ---- start-up ------------------------------------------------------------------------------


async def test_start_connects_with_minimal_intents_and_registers_commands(
    fake_discord: FakeDiscord, scene: Scene, adapter: Started, db: SqliteStore
) -> None:
    wanted = (
        Intent.GUILDS
        | Intent.GUILD_MESSAGES
        | Intent.MESSAGE_CONTENT
        | Intent.GUILD_MESSAGE_REACTIONS
        | Intent.DIRECT_MESSAGES
    )
    assert fake_discord.gateway.intents == wanted
    names = {c["name"] for c in fake_discord.commands()}
    assert names == {
        "ask", "questions", "points", "vote", "help", "queue", "answer", "dismiss", "reopen",
        "feed", "separate", "merge", "unmerge", "history", "faq", "notify", "web",
    }  # fmt: skip
    by_name = {c["name"]: c for c in fake_discord.commands()}
    # /web: in servers and the bot's DM; one optional choice, login (the default) or logout.
    assert by_name["web"]["contexts"] == by_name["queue"]["contexts"] == [0, 1]
    [web_action] = by_name["web"]["options"]
    assert (web_action["name"], web_action["type"], web_action.get("required")) == (
        "action",
        3,
        False,
    )
    assert [c["value"] for c in web_action["choices"]] == ["login", "logout"]
    action = next(o for o in by_name["feed"]["options"] if o["name"] == "action")
    assert {c["value"] for c in action["choices"]} >= {"filter", "preview", "cap"}  # issue 15
    for name in ("vote", "separate", "reopen", "unmerge", "history"):  # built from one table
        [option] = by_name[name]["options"]
        assert (option["name"], option["type"], option["required"]) == ("question", 4, True)
        assert option["description"] and by_name[name]["description"]
        assert by_name[name]["dm_permission"] is False  # guild-only
        assert by_name[name]["contexts"] == by_name["ask"]["contexts"] == [0], name
    # Every number option is bounded as the text commands read numbers (bot.core.numbers).
    numbers = [
        (c["name"], o) for c in by_name.values() for o in c.get("options", []) if o["type"] == 4
    ]
    assert {n for n, _ in numbers} >= {"vote", "answer", "dismiss", "merge", "faq", "ask"}
    for name, option in numbers:
        top = 999 if name == "ask" else MAX_SLASH_NUMBER
        assert (option.get("min_value"), option.get("max_value")) == (1, top), (name, option)
    assert adapter[0].warnings == []
    await adapter[0].close()
    await adapter[0].close()  # twice is fine
    again = make_adapter(fake_discord, db)
    await again.start(Inbox())
    await again.close()
    put = f"/applications/{fake_discord.application_id}/commands"
    assert len(fake_discord.requests_to("PUT", put)) == 1  # unchanged: not synced again


async def test_a_refused_token_fails_start_in_plain_words(
    fake_discord: FakeDiscord, scene: Scene, db: SqliteStore
) -> None:
    adapter = make_adapter(fake_discord, db)
    adapter.settings = type(adapter.settings)(type(adapter.settings.token)("wrong"))
    with pytest.raises(PermissionFailure, match="refused the bot token"):
        await adapter.start(Inbox())


@pytest.mark.parametrize("flags_say_so", [True, False], ids=["app-flags", "gateway-4014"])
async def test_without_the_message_content_intent_the_bot_starts_and_says_how_to_fix_it(
    fake_discord: FakeDiscord,
    scene: Scene,
    db: SqliteStore,
    monkeypatch: pytest.MonkeyPatch,
    flags_say_so: bool,
) -> None:
    import tests.discord_fake.server as fake_server

    if flags_say_so:  # the application's flags lack GATEWAY_MESSAGE_CONTENT(_LIMITED)
        monkeypatch.setattr(fake_server, "APPLICATION_FLAGS", 1 << 23)
    fake_discord.gateway.allowed_privileged_intents = 0  # an IDENTIFY asking gets 4014
    bot = make_adapter(fake_discord, db)
    inbox = Inbox()
    await bot.start(inbox)
    try:
        assert any("Message Content Intent" in w for w in bot.warnings)
        intents = fake_discord.gateway.intents or 0
        assert not intents & Intent.MESSAGE_CONTENT and intents & Intent.GUILD_MESSAGES
        assert len(fake_discord.gateway.identifies) == (1 if flags_say_so else 2)
        await fake_discord.member_says(scene.alice, scene.general, "unseen words")
        await fake_discord.member_says(
            scene.alice, scene.general, f"{fake_discord.bot_mention} !points"
        )
        got = await inbox.message("!points")  # mentioning the bot still works
        assert got.mentions_bot
    finally:
        await bot.close()


# ---- inbound -------------------------------------------------------------------------------


async def test_messages_become_incoming_messages_with_their_place(
    fake_discord: FakeDiscord, scene: Scene, adapter: Started
) -> None:
    bot, inbox = adapter
    opened = await bot.open_thread(channel_ref(scene), "1. Point", Rendered("hi"), key="t1")
    first = await fake_discord.member_says(
        scene.alice, scene.general, f"{fake_discord.bot_mention} !points please"
    )
    reply = await fake_discord.member_says(scene.bob, scene.general, "me too", reply_to=first)
    threaded = await fake_discord.member_says(scene.bob, int(opened.thread or 0), "in thread")
    await fake_discord.member_says(scene.bob, fake_discord.dm_channel(scene.bob), "private")
    got = await inbox.message("!points please")
    assert got.mentions_bot and got.author == UserRef(PLATFORM, str(scene.alice.id), "Alice")
    assert got.where == ChatRef(PLATFORM, str(scene.general.id), None, first["id"])
    got_reply = await inbox.message("me too")
    assert got_reply.reply_to == ChatRef(PLATFORM, str(scene.general.id), None, first["id"])
    assert got_reply.where.message == reply["id"] and not got_reply.mentions_bot
    got_thread = await inbox.message("in thread")
    assert got_thread.where == ChatRef(
        PLATFORM, str(scene.general.id), opened.thread, threaded["id"]
    )
    private = await inbox.message("private")
    assert private.is_direct and private.where.thread is None
    # The server Discord's message links need: the guild, or "@me" in a DM.
    assert got.where.server == got_thread.where.server == str(scene.guild.id)
    assert private.where.server == "@me"
    texts = [e.text for e in inbox.events if isinstance(e, IncomingMessage)]
    assert "hi" not in texts  # the bot's own opening is never delivered


def test_the_server_of_a_message_whose_guild_discord_py_has_not_cached() -> None:
    """A server message can arrive on a bare PartialMessageable with no cached guild:
    its server is the channel's guild_id, not "@me" (discord.py's jump_url says "@me")."""
    state: Any = None
    channel = discord.PartialMessageable(state=state, id=222, guild_id=111)
    unknown = discord.PartialMessageable(state=state, id=333)
    message: Any = SimpleNamespace(channel=channel, guild=None)
    placeless: Any = SimpleNamespace(channel=unknown, guild=None)
    assert inbound.server_of(message) == "111"
    assert inbound.server_of(placeless) is None


async def test_edits_deletions_and_reactions_arrive_as_events(
    fake_discord: FakeDiscord, scene: Scene, adapter: Started
) -> None:
    bot, inbox = adapter
    opened = await bot.open_thread(channel_ref(scene), "2. Point", Rendered("hi"), key="t2")
    said = await fake_discord.member_says(scene.alice, int(opened.thread or 0), "draft?")
    where = ChatRef(PLATFORM, str(scene.general.id), opened.thread, said["id"])
    await fake_discord.member_edits(scene.alice, said, "final?")
    [edit] = await events_of(inbox, MessageEdited, fake_discord)
    assert edit == MessageEdited(UserRef(PLATFORM, str(scene.alice.id), "Alice"), where, "final?")
    await fake_discord.member_reacts(scene.bob, said, "👍")
    await fake_discord.member_unreacts(scene.bob, said, "👍")
    added, removed = await events_of(inbox, ReactionAdded, fake_discord, 2)
    assert (added.emoji, added.removed, added.where) == ("👍", False, where)
    assert removed.removed and removed.author.id == str(scene.bob.id)
    await bot.react(where, "👀", key="r1")  # the bot's own reaction is not an event
    await fake_discord.member_deletes(scene.alice, said)
    [deleted] = await events_of(inbox, MessageDeleted, fake_discord)
    assert deleted == MessageDeleted(where)
    assert len([e for e in inbox.events if isinstance(e, ReactionAdded)]) == 2


async def test_a_reaction_on_a_slash_command_becomes_its_reply(
    fake_discord: FakeDiscord, scene: Scene, adapter: Started
) -> None:
    bot, inbox = adapter
    record = await fake_discord.member_slash_command(scene.alice, scene.general, "questions")
    got = await inbox.message("!questions")
    assert got.where.message == f"interaction:{record.id}" and got.mentions_bot
    await bot.react(got.where, "✅", key="ack-1")
    await bot.react(got.where, "✅", key="ack-1")
    assert record.content == "✅" and record.ephemeral and len(record.edits) == 1


# ---- sending -------------------------------------------------------------------------------


async def test_long_texts_are_split_and_cards_and_names_cut_to_discord_limits(
    fake_discord: FakeDiscord, scene: Scene, adapter: Started
) -> None:
    bot, _ = adapter
    long_text = "\n".join(f"line {i} " + "word " * 30 for i in range(30))  # about 4800 chars
    ref = await bot.post(channel_ref(scene), Rendered(long_text), key="long")
    parts = fake_discord.messages_in(scene.general)
    assert len(parts) == 3 and all(len(m["content"]) <= 2000 for m in parts)
    assert parts[0]["id"] == ref.message and parts[1]["content"].startswith("line ")
    card = Rendered("Title\n" + "x " * 4000, title="Title", url="javascript:alert(1)")
    await bot.post(channel_ref(scene), card, key="card")
    embed = fake_discord.messages_in(scene.general)[-1]["embeds"][0]
    assert len(embed["description"]) <= 4096 and "url" not in embed  # only http(s) links
    pictured = Rendered("Title\nBody", title="Title", image="https://cdn.example.org/a.png")
    await bot.post(channel_ref(scene), pictured, key="pictured")
    embed = fake_discord.messages_in(scene.general)[-1]["embeds"][0]
    assert embed["image"] == {"url": "https://cdn.example.org/a.png"}  # Discord fetches it
    await bot.post(channel_ref(scene), replace(pictured, image="file:///etc/x"), key="local")
    assert "image" not in fake_discord.messages_in(scene.general)[-1]["embeds"][0]
    opened = await bot.open_thread(channel_ref(scene), "9. " + "long " * 40, card, key="n")
    [thread] = [t for t in fake_discord.threads_in(scene.general) if t["id"] == opened.thread]
    assert len(thread["name"]) <= 100 and thread["name"].endswith("…")
    before = len(fake_discord.messages_in(scene.general))
    again = await bot.post(channel_ref(scene), Rendered(long_text), key="long")
    assert again == ref and len(fake_discord.messages_in(scene.general)) == before  # nonce


async def test_a_retried_open_thread_finds_the_thread_even_with_its_state_lost(
    fake_discord: FakeDiscord, scene: Scene, start_adapter: StartAdapter, db: SqliteStore
) -> None:
    first, _ = await start_adapter()
    opening = Rendered("Point 3: X\n\nBody", title="Point 3: X")
    made = await first.open_thread(channel_ref(scene), "3. X", opening, key="article:1:thread:3")
    await db.db.execute("DELETE FROM adapter_state WHERE name LIKE '%/thread/%'")
    again = await first.open_thread(channel_ref(scene), "3. X", opening, key="article:1:thread:3")
    assert again == made
    other = await first.open_thread(channel_ref(scene), "3. X", opening, key="article:2:thread:3")
    assert other.thread != made.thread  # same name, another article: its own thread
    assert len(fake_discord.threads_in(scene.general)) == 2
    assert len(fake_discord.messages_in(int(made.thread or 0))) == 1


async def test_a_thread_left_empty_by_a_crash_gets_its_opening(
    fake_discord: FakeDiscord, scene: Scene, adapter: Started
) -> None:
    bot, _ = adapter
    channel = bot.client.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    empty = await channel.create_thread(name="4. Y", type=discord.ChannelType.public_thread)
    # After a restart the thread comes with the guild; here, wait for its gateway event.
    await fake_discord.wait_until(lambda: empty.id in [t.id for t in channel.threads])
    made = await bot.open_thread(channel_ref(scene), "4. Y", Rendered("body"), key="k4")
    assert made.thread == str(empty.id)
    assert [m["embeds"][0]["description"] for m in fake_discord.messages_in(empty.id)] == ["body"]


async def test_replies_ping_only_the_person_answered_even_to_a_deleted_question(
    fake_discord: FakeDiscord, scene: Scene, adapter: Started
) -> None:
    bot, inbox = adapter
    said = await fake_discord.member_says(scene.alice, scene.general, "gone soon?")
    where = (await inbox.message("gone soon?")).where
    await fake_discord.member_deletes(scene.alice, said)
    text = Rendered("Answer for @everyone and <@&1> and <@123456789012345678>")
    ref = await bot.reply(where, text, mention=user(scene.alice), key="reply-1")
    sent = fake_discord.message(int(ref.message or 0))
    assert sent["content"].startswith(f"<@{scene.alice.id}> Answer for @\u200beveryone")
    assert [u["id"] for u in sent["mentions"]] == [str(scene.alice.id)]
    assert not sent["mention_everyone"] and "message_reference" not in sent


async def test_edit_react_and_direct_message(
    fake_discord: FakeDiscord, scene: Scene, adapter: Started
) -> None:
    bot, inbox = adapter
    ref = await bot.post(channel_ref(scene), Rendered("v1"), key="e1")
    await bot.edit(ref, Rendered("v2 *literal*"))
    assert fake_discord.message(int(ref.message or 0))["content"] == "v2 \\*literal\\*"
    said = await fake_discord.member_says(scene.alice, scene.general, "react here")
    await bot.react((await inbox.message("react here")).where, "✅", key="x")
    assert fake_discord.reactions_on(said) == {"✅": [fake_discord.bot.id]}
    dm = await bot.direct_message(user(scene.bob), Rendered("psst"), key="dm-1")
    assert dm.channel == str(fake_discord.dm_channel(scene.bob).id)
    assert [m["content"] for m in fake_discord.messages_in(int(dm.channel))] == ["psst"]


async def test_failures_become_adapter_errors_naming_the_channel(
    fake_discord: FakeDiscord, scene: Scene, adapter: Started
) -> None:
    bot, _ = adapter
    with pytest.raises(NotFoundFailure):
        await bot.post(ChatRef(PLATFORM, "12345678901234567"), Rendered("x"), key="nf")
    with pytest.raises(NotFoundFailure, match="not a Discord id"):
        await bot.post(ChatRef(PLATFORM, "#general"), Rendered("x"), key="name")
    fake_discord.set_bot_permissions(scene.general, deny=Perm.SEND_MESSAGES)
    await fake_discord.flush()
    with pytest.raises(PermissionFailure) as denied:
        await bot.post(channel_ref(scene), Rendered("x"), key="denied")
    assert f"channel {scene.general.id}" in str(denied.value)
    assert "Send Messages" in denied.value.detail and denied.value.retryable
    shy = fake_discord.add_member(scene.guild, "Shy", accepts_dms=False)
    with pytest.raises(RejectedFailure) as closed:
        await bot.direct_message(user(shy), Rendered("hi"), key="dm-shy")
    assert not closed.value.retryable


async def test_role_of_reads_manage_server(
    fake_discord: FakeDiscord, scene: Scene, adapter: Started
) -> None:
    bot, _ = adapter
    here = channel_ref(scene)
    assert await bot.role_of(user(scene.mod), here) is Role.ADMIN
    assert await bot.role_of(user(scene.alice), here) is Role.MEMBER
    owner = scene.guild.owner_id
    assert await bot.role_of(UserRef(PLATFORM, str(owner)), here) is Role.ADMIN
    dm = ChatRef(PLATFORM, str(fake_discord.dm_channel(scene.mod).id))
    assert await bot.role_of(user(scene.mod), dm) is Role.MEMBER


# ---- rendering (pure) ----------------------------------------------------------------------


def test_literal_escapes_markdown_and_mentions_but_keeps_quotes_and_links() -> None:
    text = "> *quoted* @here\n# head\n[x](https://evil) https://example.org/a_b_c"
    text += " <@!1234567890123456789>"
    shown = render.literal(text)
    assert shown.startswith("> \\*quoted\\* @\u200bhere\n\\# head")
    assert "https://example.org/a_b_c" in shown and "\\[x\\](https://evil)" not in shown
    assert "<@\u200b!1234567890123456789>" in shown


def test_nonces_are_short_and_stable() -> None:
    a, b = render.nonce("in:discord:1:2:ack:1"), render.nonce("in:discord:1:2:ack:1", 1)
    assert len(a) <= 25 and a == render.nonce("in:discord:1:2:ack:1") and a != b


def test_split_content_prefers_line_breaks_and_caps_the_parts() -> None:
    text = "\n".join("x" * 50 for _ in range(100))
    parts = render.split_content(text, limit=500, max_parts=3)
    assert len(parts) == 3 and all(len(p) <= 500 for p in parts) and parts[-1].endswith("…")
    assert parts[0] == "\n".join("x" * 50 for _ in range(9))


class _Response:
    """Just what discord.HTTPException reads from an aiohttp response."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.reason = "reason"


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (429, 0, "TemporaryFailure"),
        (503, 0, "TemporaryFailure"),
        (403, 50013, "PermissionFailure"),
        (403, 50001, "PermissionFailure"),
        (400, 50083, "ThreadLockedFailure"),  # archived and could not be reopened
        (400, 160005, "ThreadLockedFailure"),
        (404, 10003, "NotFoundFailure"),
        (404, 10008, "NotFoundFailure"),
        (403, 50007, "RejectedFailure"),
        (400, 50035, "RejectedFailure"),
    ],
)
def test_http_errors_map_to_the_contracts_failures(status: int, code: int, kind: str) -> None:
    from bot.adapters.discord.errors import failure_of

    exc = discord.HTTPException(_Response(status), {"message": "m", "code": code})  # type: ignore[arg-type]
    failure = failure_of(exc, "post", "42")
    assert type(failure).__name__ == kind and failure.ids == "42"


def test_transport_errors_and_long_rate_limits_are_temporary() -> None:
    import aiohttp

    from bot.adapters.base import TemporaryFailure
    from bot.adapters.discord.errors import failure_of

    assert isinstance(failure_of(aiohttp.ClientConnectionError("reset"), "post"), TemporaryFailure)
    limited = failure_of(discord.RateLimited(120.0), "post")
    assert isinstance(limited, TemporaryFailure) and limited.retry_after == 120.0
