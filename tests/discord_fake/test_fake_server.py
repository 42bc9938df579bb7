"""discord.py 2.7 against FakeDiscord: the fake must speak what discord.py parses."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from discord import app_commands

from .model import Channel, ChannelType, Guild, Intent, Member, MessageType, Perm
from .server import FakeDiscord


def bot_intents(*, message_content: bool = True) -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = message_content
    intents.guild_reactions = True
    intents.dm_messages = True
    return intents


class RecordingClient(discord.Client):
    """A discord.Client that records the events it receives."""

    def __init__(self, *, message_content: bool = True) -> None:
        super().__init__(
            intents=bot_intents(message_content=message_content), guild_ready_timeout=0.1
        )
        self.tree = app_commands.CommandTree(self)
        self.events: dict[str, list[Any]] = defaultdict(list)

    async def on_ready(self) -> None:
        self.events["ready"].append(self.user)

    async def on_resumed(self) -> None:
        self.events["resumed"].append(True)

    async def on_message(self, message: discord.Message) -> None:
        self.events["message"].append(message)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        self.events["edit"].append(payload)

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        self.events["delete"].append(payload)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.events["reaction"].append(payload)

    async def on_thread_create(self, thread: discord.Thread) -> None:
        self.events["thread"].append(thread)

    async def on_guild_channel_create(self, channel: discord.abc.GuildChannel) -> None:
        self.events["channel"].append(channel)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py sleeps 5 s before every non-initial IDENTIFY; skip it to keep tests fast.
        return None

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        self.events["error"].append(event_method)
        await super().on_error(event_method, *args, **kwargs)

    def contents(self) -> list[str]:
        return [m.content for m in self.events["message"]]


@dataclass
class Scene:
    guild: Guild
    general: Channel
    forum: Channel
    alice: Member
    mod: Member


@pytest.fixture
def scene(fake_discord: FakeDiscord) -> Scene:
    guild = fake_discord.add_guild("Writers")
    return Scene(
        guild=guild,
        general=fake_discord.add_text_channel(guild, "general", topic="talk"),
        forum=fake_discord.add_forum_channel(guild, "questions", tags=["open", "answered"]),
        alice=fake_discord.add_member(guild, "Alice"),
        mod=fake_discord.add_member(guild, "Mo", manage_guild=True),
    )


@pytest.fixture
async def bot(fake_discord: FakeDiscord, scene: Scene) -> AsyncIterator[RecordingClient]:
    async with fake_discord.run_client(RecordingClient()) as client:
        yield client
    assert client.events["error"] == []  # no exceptions inside event handlers


def text_channel(bot: discord.Client, channel: Channel) -> discord.TextChannel:
    found = bot.get_channel(channel.id)
    assert isinstance(found, discord.TextChannel)
    return found


async def test_ready_shows_guild_channels_and_identify_intents(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    assert bot.user is not None and bot.user.id == fake_discord.bot.id and bot.user.bot
    assert len(bot.events["ready"]) == 1
    guild = bot.get_guild(scene.guild.id)
    assert guild is not None and guild.name == "Writers"
    assert {c.name: c.type for c in guild.channels} == {
        "general": discord.ChannelType.text,
        "questions": discord.ChannelType.forum,
    }
    assert text_channel(bot, scene.general).topic == "talk"
    forum = guild.get_channel(scene.forum.id)
    assert isinstance(forum, discord.ForumChannel)
    assert [t.name for t in forum.available_tags] == ["open", "answered"]
    assert guild.me is not None and guild.me.guild_permissions.create_public_threads
    assert fake_discord.gateway.intents == bot_intents().value
    assert fake_discord.gateway.heartbeats >= 1  # discord.py beats right after HELLO


async def test_member_message_and_reply_reach_on_message(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    first = await fake_discord.member_says(scene.alice, scene.general, "What does point 3 mean?")
    await fake_discord.member_says(scene.mod, scene.general, "Good question", reply_to=first)
    await fake_discord.wait_until(lambda: len(bot.events["message"]) == 2)
    question, reply = bot.events["message"]
    assert question.content == "What does point 3 mean?"
    assert question.author.id == scene.alice.id and isinstance(question.author, discord.Member)
    assert question.id == int(first["id"])
    assert reply.type is discord.MessageType.reply
    assert reply.reference is not None and reply.reference.message_id == question.id
    assert scene.alice.id in [u.id for u in reply.mentions]  # replies ping the author by default


async def test_without_message_content_intent_content_is_empty_unless_mentioned(
    fake_discord: FakeDiscord, scene: Scene
) -> None:
    async with fake_discord.run_client(RecordingClient(message_content=False)) as client:
        await fake_discord.member_says(scene.alice, scene.general, "secret plans")
        await fake_discord.member_says(
            scene.alice, scene.general, f"{fake_discord.bot_mention} help"
        )
        await fake_discord.wait_until(lambda: len(client.events["message"]) == 2)
        assert client.contents() == ["", f"{fake_discord.bot_mention} help"]
    assert (
        fake_discord.gateway.intents is not None
        and not fake_discord.gateway.intents & Intent.MESSAGE_CONTENT
    )
    assert [m["content"] for m in fake_discord.messages_in(scene.general)] == [
        "secret plans",
        f"{fake_discord.bot_mention} help",
    ]


async def test_embed_with_enforced_nonce_sent_twice_is_stored_once(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    channel = text_channel(bot, scene.general)
    embed = discord.Embed(title="Point 1", description="Relays are fun")
    mentions = discord.AllowedMentions.none()
    first = await channel.send(
        "Article", embed=embed, nonce="article-7-point-1", allowed_mentions=mentions
    )
    second = await channel.send(
        "Article", embed=embed, nonce="article-7-point-1", allowed_mentions=mentions
    )
    assert second.id == first.id
    stored = fake_discord.messages_in(scene.general)
    assert len(stored) == 1
    assert stored[0]["embeds"][0]["title"] == "Point 1"
    sends = fake_discord.sent_by_bot(scene.general)
    assert [s.created for s in sends] == [True, False]
    assert (
        sends[0].request["nonce"] == "article-7-point-1"
        and sends[0].request["enforce_nonce"] is True
    )
    assert sends[0].request["allowed_mentions"] == {"parse": []}
    # Discord dispatches the bot's own messages to it, once.
    await fake_discord.wait_until(lambda: bot.events["message"])
    await fake_discord.flush()
    assert [m.id for m in bot.events["message"]] == [first.id]
    creates = [d for d in fake_discord.gateway.dispatched if d.event == "MESSAGE_CREATE"]
    assert [d.data["id"] for d in creates] == [str(first.id)]
    assert bot.events["message"][0].nonce == "article-7-point-1"


async def test_thread_from_message_shares_its_id_and_takes_posts(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    channel = text_channel(bot, scene.general)
    root = await channel.send("Point 2: threads")
    thread = await root.create_thread(name="Point 2", auto_archive_duration=1440)
    assert thread.id == root.id and thread.parent_id == scene.general.id
    await thread.send("Ask here")
    await fake_discord.wait_until(lambda: bot.get_channel(thread.id) is not None)
    assert isinstance(bot.get_channel(thread.id), discord.Thread)
    [stored] = fake_discord.threads_in(scene.general)
    assert stored["id"] == str(root.id) and stored["type"] == ChannelType.PUBLIC_THREAD
    assert stored["owner_id"] == str(fake_discord.bot.id) and stored["message_count"] == 1
    in_thread = fake_discord.messages_in(thread)
    assert [m["type"] for m in in_thread] == [
        MessageType.THREAD_STARTER_MESSAGE,
        MessageType.DEFAULT,
    ]
    assert in_thread[1]["content"] == "Ask here"
    assert fake_discord.message(root)["thread"]["id"] == str(root.id)
    with pytest.raises(discord.HTTPException) as again:
        await root.create_thread(name="twice")
    assert again.value.code == 160004


async def test_thread_creation_denied_per_channel_is_403_50013(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    fake_discord.set_bot_permissions(scene.general, deny=Perm.CREATE_PUBLIC_THREADS)
    channel = text_channel(bot, scene.general)
    await fake_discord.wait_until(
        lambda: not channel.permissions_for(channel.guild.me).create_public_threads
    )
    root = await channel.send("Point 3")
    with pytest.raises(discord.Forbidden) as denied:
        await root.create_thread(name="Point 3")
    assert denied.value.status == 403 and denied.value.code == 50013
    assert fake_discord.threads_in(scene.general) == []


async def test_forum_posts_by_bot_and_member(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    forum = bot.get_channel(scene.forum.id)
    assert isinstance(forum, discord.ForumChannel)
    tag = forum.available_tags[0]
    created = await forum.create_thread(name="Q1", content="First question", applied_tags=[tag])
    assert created.thread.id == created.message.id
    assert created.thread.applied_tags == [tag]
    thread, message = await fake_discord.member_posts_in_forum(
        scene.alice, scene.forum, "Q2", "Why?", tags=["open"]
    )
    assert thread["id"] == message["id"]
    await fake_discord.wait_until(lambda: len(bot.events["thread"]) == 2)
    assert [t.name for t in bot.events["thread"]] == ["Q1", "Q2"]
    assert [t["name"] for t in fake_discord.threads_in(scene.forum)] == ["Q1", "Q2"]


async def test_reactions_edits_and_deletes_round_trip(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    channel = text_channel(bot, scene.general)
    sent = await channel.send("Point 4 draft")
    await sent.add_reaction("👍")
    assert fake_discord.reactions_on(sent) == {"👍": [fake_discord.bot.id]}
    await fake_discord.member_reacts(scene.alice, sent, "👍")
    await fake_discord.wait_until(lambda: len(bot.events["reaction"]) == 2)
    assert [p.user_id for p in bot.events["reaction"]] == [fake_discord.bot.id, scene.alice.id]
    edited = await sent.edit(content="Point 4 final")
    assert edited.edited_at is not None
    assert fake_discord.message(sent)["content"] == "Point 4 final"
    await fake_discord.wait_until(lambda: bot.events["edit"])
    assert bot.events["edit"][0].data["content"] == "Point 4 final"
    question = await fake_discord.member_says(scene.alice, scene.general, "oops")
    await fake_discord.member_deletes(scene.alice, question)
    await fake_discord.wait_until(lambda: bot.events["delete"])
    assert bot.events["delete"][0].message_id == int(question["id"])
    assert [m["content"] for m in fake_discord.messages_in(scene.general)] == ["Point 4 final"]
    with pytest.raises(discord.NotFound) as gone:
        await channel.fetch_message(int(question["id"]))
    assert gone.value.code == 10008


async def test_history_after_is_newest_first_on_the_wire(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    posted = [await fake_discord.member_says(scene.alice, scene.general, f"q{i}") for i in range(5)]
    channel = text_channel(bot, scene.general)
    after = discord.Object(id=int(posted[1]["id"]))
    assert [m.content async for m in channel.history(after=after)] == ["q2", "q3", "q4"]
    raw = await bot.http.logs_from(scene.general.id, 2, after=int(posted[1]["id"]))
    assert [m["content"] for m in raw] == ["q3", "q2"]  # the 2 right after, newest first
    raw = await bot.http.logs_from(scene.general.id, 2)
    assert [m["content"] for m in raw] == ["q4", "q3"]
    raw = await bot.http.logs_from(scene.general.id, 3, before=int(posted[3]["id"]))
    assert [m["content"] for m in raw] == ["q2", "q1", "q0"]


async def test_429_is_waited_out_and_message_arrives_once(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    fake_discord.rate_limit_next(
        "POST", f"/channels/{scene.general.id}/messages", count=1, retry_after=0.3
    )
    sent = await text_channel(bot, scene.general).send("after the limit")
    [limited] = fake_discord.rate_limited_requests
    posts = fake_discord.requests_to("POST", f"/channels/{scene.general.id}/messages")
    assert [r.status for r in posts] == [429, 200]
    assert posts[1].at - limited.at >= 0.3 * 0.9
    assert [m["id"] for m in fake_discord.messages_in(scene.general)] == [str(sent.id)]


async def test_resume_replays_events_missed_while_disconnected(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    await fake_discord.disconnect_gateway(code=4000, then="hold")
    await fake_discord.member_says(scene.alice, scene.general, "said while you were away")
    assert bot.contents() == []
    fake_discord.allow_reconnects()
    await fake_discord.wait_until(lambda: bot.events["resumed"], timeout=10)
    await fake_discord.wait_until(lambda: bot.contents() == ["said while you were away"])
    assert fake_discord.gateway.resumes[-1][1] is True
    assert (
        fake_discord.gateway.connections[-1].path == "/resume-gateway"
    )  # READY's resume_gateway_url
    assert len(fake_discord.gateway.identifies) == 1


async def test_abrupt_drop_op7_and_refused_reconnects_all_resume(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    await fake_discord.disconnect_gateway(abrupt=True)
    await fake_discord.wait_until(lambda: len(bot.events["resumed"]) == 1, timeout=10)
    fake_discord.request_reconnect()
    await fake_discord.wait_until(lambda: len(bot.events["resumed"]) == 2, timeout=10)
    await fake_discord.disconnect_gateway(then="refuse")
    await fake_discord.wait_until(lambda: fake_discord.gateway.refused >= 1, timeout=10)
    fake_discord.allow_reconnects()  # discord.py backs off (up to 2 s) after the 503, then resumes
    await fake_discord.wait_until(lambda: len(bot.events["resumed"]) == 3, timeout=10)
    await fake_discord.member_says(scene.alice, scene.general, "still here?")
    await fake_discord.wait_until(lambda: bot.contents() == ["still here?"])
    assert len(fake_discord.gateway.identifies) == 1 and len(bot.events["ready"]) == 1


async def test_invalidated_session_misses_messages_which_history_still_has(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    await fake_discord.disconnect_gateway(resumable=False, then="hold")
    missed = await fake_discord.member_says(scene.alice, scene.general, "nobody heard this")
    assert fake_discord.gateway.undelivered[-1] == (
        "MESSAGE_CREATE",
        fake_discord.gateway.undelivered[-1][1],
    )
    assert fake_discord.gateway.undelivered[-1][1]["id"] == missed["id"]
    fake_discord.allow_reconnects()
    await fake_discord.wait_until(lambda: len(bot.events["ready"]) == 2, timeout=10)
    assert (
        fake_discord.gateway.resumes[-1][1] is False and len(fake_discord.gateway.identifies) == 2
    )
    await fake_discord.member_says(scene.alice, scene.general, "after reconnect")
    await fake_discord.wait_until(lambda: bot.contents() == ["after reconnect"])
    assert missed["id"] not in [d.data.get("id") for d in fake_discord.gateway.dispatched]
    history = [m async for m in text_channel(bot, scene.general).history(limit=10)]
    assert [m.content for m in history] == ["after reconnect", "nobody heard this"]


async def test_slash_command_ephemeral_response_is_recorded(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    guild = discord.Object(id=scene.guild.id)

    @bot.tree.command(name="ask", description="Queue a question for the author", guild=guild)
    async def ask(interaction: discord.Interaction, question: str, point: int = 0) -> None:
        await interaction.response.send_message(
            f"Queued for point {point}: {question}", ephemeral=True
        )

    @bot.tree.command(name="close", description="Close questions", guild=guild)
    @app_commands.default_permissions(manage_guild=True)
    async def close(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content="Closed.")
        await interaction.followup.send("Thanks all", wait=True)

    synced = await bot.tree.sync(guild=guild)
    assert sorted(c.name for c in synced) == ["ask", "close"]
    assert {c["name"] for c in fake_discord.commands(scene.guild)} == {"ask", "close"}

    asked = await fake_discord.member_slash_command(
        scene.alice, scene.general, "ask", {"question": "Why?", "point": 3}
    )
    response = await asked.response()
    assert response["type"] == 4
    assert response["data"]["content"] == "Queued for point 3: Why?"
    assert response["data"]["flags"] & 64
    assert asked.ephemeral and asked.content == "Queued for point 3: Why?"
    assert (
        fake_discord.messages_in(scene.general) == []
    )  # ephemeral replies are not channel messages

    with pytest.raises(PermissionError):
        await fake_discord.member_slash_command(scene.alice, scene.general, "close")
    closed = await fake_discord.member_slash_command(scene.mod, scene.general, "close")
    assert (await closed.response())["type"] == 5
    await fake_discord.wait_until(lambda: len(closed.followups) == 1)
    assert closed.content == "Closed." and not closed.ephemeral
    assert [m["content"] for m in fake_discord.messages_in(scene.general)] == [
        "Closed.",
        "Thanks all",
    ]
    assert fake_discord.messages_in(scene.general)[0]["interaction_metadata"]["user"]["id"] == str(
        scene.mod.id
    )


async def test_a_button_press_reaches_on_interaction_and_can_be_answered(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    presses: list[discord.Interaction] = []

    async def on_interaction(interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.component:
            presses.append(interaction)
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.edit_original_response(content=f"pressed by {interaction.user.id}")

    bot.event(on_interaction)
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Keep", custom_id="pb:keep"))
    view.add_item(discord.ui.Button(label="Docs", url="https://example.org/"))
    sent = await text_channel(bot, scene.general).send("Choose", view=view)
    stored = fake_discord.message(sent.id)
    assert [[b["label"] for b in row["components"]] for row in stored["components"]] == [
        ["Keep", "Docs"]
    ]
    with pytest.raises(LookupError):
        await fake_discord.member_presses_button(scene.alice, sent.id, custom_id="pb:other")
    pressed = await fake_discord.member_presses_button(scene.alice, sent.id, label="Keep")
    assert (await pressed.response())["type"] == 5
    await fake_discord.wait_until(lambda: pressed.content == f"pressed by {scene.alice.id}")
    assert pressed.ephemeral and presses[0].data == {"custom_id": "pb:keep", "component_type": 2}
    assert presses[0].message is not None and presses[0].message.id == sent.id
    assert pressed.original is not None
    metadata = pressed.original.data["interaction_metadata"]
    assert metadata["type"] == 3 and metadata["interacted_message_id"] == str(sent.id)
    with pytest.raises(PermissionError):  # an ephemeral reply is Alice's alone
        await fake_discord.member_presses_button(scene.mod, pressed.original.id)


def _row(*buttons: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": 1, "components": list(buttons)}]


def _button(**fields: Any) -> dict[str, Any]:
    return {"type": 2, "style": 2, "label": "x", "custom_id": "a", **fields}


@pytest.mark.parametrize(
    ("components", "where"),
    [
        ([_button()], "components.0.type: Must be an action row"),
        (_row(*[_button(custom_id=str(i)) for i in range(6)]), "components.0.components:"),
        (_row({"type": 2, "style": 2, "label": "x"}), "components.0.components.0.custom_id:"),
        (_row(_button(custom_id="a" * 101)), "components.0.components.0.custom_id:"),
        (_row(_button(label="x" * 81)), "components.0.components.0.label:"),
        (_row(_button(), _button(style=1)), "components.0.components.1.custom_id: Component"),
    ],
)
async def test_components_follow_discords_rules(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient, components: Any, where: str
) -> None:
    route = discord.http.Route(
        "POST", "/channels/{channel_id}/messages", channel_id=scene.general.id
    )
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.request(route, json={"content": "hi", "components": components})
    assert refused.value.status == 400 and refused.value.code == 50035
    assert f"In {where}" in refused.value.text


async def test_rest_errors_are_discord_shaped(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    with pytest.raises(discord.NotFound) as missing:
        await bot.fetch_channel(12345678901234567)
    assert missing.value.code == 10003 and missing.value.text == "Unknown Channel"
    channel = text_channel(bot, scene.general)
    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001)
    assert too_long.value.status == 400 and too_long.value.code == 50035
    assert "content" in too_long.value.text  # discord.py flattens the nested "errors"
    with pytest.raises(discord.HTTPException) as too_big:
        await channel.send(embeds=[discord.Embed(description="y" * 4000) for _ in range(2)])
    assert too_big.value.code == 50035
    with pytest.raises(discord.HTTPException) as reply_to_nothing:
        await channel.send(
            "re", reference=discord.MessageReference(message_id=42, channel_id=channel.id)
        )
    assert reply_to_nothing.value.code == 50035
    assert fake_discord.messages_in(scene.general) == []


async def test_direct_messages_both_ways(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    dm = fake_discord.dm_channel(scene.alice)
    await fake_discord.member_says(scene.alice, dm, "private question")
    await fake_discord.wait_until(lambda: bot.events["message"])
    received = bot.events["message"][0]
    assert isinstance(received.channel, discord.DMChannel) and received.guild is None
    user = await bot.fetch_user(scene.alice.id)
    reply = await user.send("answer")
    assert reply.channel.id == dm.id
    assert [m["content"] for m in fake_discord.messages_in(dm)] == ["private question", "answer"]
    shy = fake_discord.add_member(scene.guild, "Shy", accepts_dms=False)
    with pytest.raises(discord.Forbidden) as closed:
        await (await bot.fetch_user(shy.id)).send("hi")
    assert closed.value.code == 50007


async def test_wrong_token_fails_login(fake_discord: FakeDiscord, scene: Scene) -> None:
    client = RecordingClient()
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()
    assert fake_discord.requests[-1].status == 401


async def test_thread_listing_standalone_threads_and_channel_events(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    channel = text_channel(bot, scene.general)
    standalone = await channel.create_thread(
        name="Open questions", type=discord.ChannelType.public_thread
    )
    [notice] = fake_discord.messages_in(scene.general)
    assert notice["type"] == MessageType.THREAD_CREATED and notice["content"] == "Open questions"
    from_message = await (await channel.send("Point 5")).create_thread(name="Point 5")
    await fake_discord.archive_thread(standalone.id)
    guild = channel.guild
    assert [t.id for t in await guild.active_threads()] == [from_message.id]
    archived = [t async for t in channel.archived_threads()]
    assert [t.id for t in archived] == [standalone.id] and archived[0].archived
    fetched = await bot.fetch_channel(from_message.id)
    assert isinstance(fetched, discord.Thread) and fetched.owner_id == fake_discord.bot.id
    member = await guild.fetch_member(scene.alice.id)
    assert member.display_name == "Alice" and member.joined_at is not None
    fake_discord.add_text_channel(scene.guild, "announcements")
    await fake_discord.wait_until(lambda: bot.events["channel"])
    assert [c.name for c in bot.events["channel"]] == ["announcements"]


async def test_uploads_reaction_removal_and_around(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    channel = text_channel(bot, scene.general)
    upload = discord.File(io.BytesIO(b"point one\npoint two\n"), filename="points.txt")
    sent = await channel.send("the points", file=upload, nonce="upload-1")
    [attachment] = sent.attachments
    assert attachment.filename == "points.txt" and attachment.size == 20
    assert await attachment.read() == b"point one\npoint two\n"
    [send] = fake_discord.sent_by_bot(scene.general)
    assert (
        send.request["nonce"] == "upload-1"
        and send.request["attachments"][0]["filename"] == "points.txt"
    )
    await sent.add_reaction("✅")
    await sent.remove_reaction("✅", bot.user)  # type: ignore[arg-type]
    assert fake_discord.reactions_on(sent) == {}
    with pytest.raises(discord.NotFound) as bad_emoji:
        await sent.add_reaction("not-an-emoji")
    assert bad_emoji.value.code == 10014
    posted = [await fake_discord.member_says(scene.alice, scene.general, f"m{i}") for i in range(5)]
    around = await bot.http.logs_from(scene.general.id, 3, around=int(posted[2]["id"]))
    assert [m["content"] for m in around] == ["m3", "m2", "m1"]


# ---- Discord as it behaves: archiving, locks, tags, updates that are not edits -----------------


async def test_threads_archive_on_the_test_clock_and_refuse_edits_until_unarchived(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    general = text_channel(bot, scene.general)
    thread = await general.create_thread(name="T", type=discord.ChannelType.public_thread)
    sent = await thread.send("opening")
    assert await fake_discord.advance(59 * 60) == []  # an hour's duration: not yet
    await fake_discord.advance(24 * 3600)
    assert fake_discord.channel(thread).archived
    with pytest.raises(discord.HTTPException) as edit:
        await sent.edit(content="changed")
    assert (edit.value.status, edit.value.code) == (400, 50083)
    with pytest.raises(discord.HTTPException) as react:
        await sent.add_reaction("👍")
    assert react.value.code == 50083
    await bot.http.edit_channel(thread.id, archived=False)  # a member: allowed
    await sent.edit(content="changed")
    await fake_discord.advance(24 * 3600 + 1)
    assert fake_discord.channel(thread).archived
    await thread.send("again")  # a message unarchives it
    assert not fake_discord.channel(thread).archived
    await fake_discord.archive_thread(thread, locked=True)
    for attempt in (
        lambda: thread.send("locked"),
        lambda: bot.http.edit_channel(thread.id, archived=False),
        lambda: sent.edit(content="locked"),
    ):
        with pytest.raises(discord.HTTPException) as locked:
            await attempt()
        assert (locked.value.status, locked.value.code) == (400, 160005)


async def test_forum_require_tag_and_moderated_tags(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    strict = fake_discord.add_forum_channel(
        scene.guild, "strict", tags=["a", "b"], moderated=["a"], require_tag=True
    )
    closed = fake_discord.add_forum_channel(
        scene.guild, "closed", tags=["a"], moderated=["a"], require_tag=True
    )
    await fake_discord.wait_until(lambda: bot.get_channel(closed.id) is not None)
    forum = bot.get_channel(strict.id)
    assert isinstance(forum, discord.ForumChannel) and forum.flags.require_tag
    by_name = {t.name: t for t in forum.available_tags}
    assert by_name["a"].moderated and not by_name["b"].moderated
    with pytest.raises(discord.HTTPException) as untagged:
        await forum.create_thread(name="P", content="x")
    assert untagged.value.code == 40067
    with pytest.raises(discord.Forbidden):
        await forum.create_thread(name="P", content="x", applied_tags=[by_name["a"]])
    await forum.create_thread(name="P", content="x", applied_tags=[by_name["b"]])
    other = bot.get_channel(closed.id)
    assert isinstance(other, discord.ForumChannel)
    with pytest.raises(discord.HTTPException) as none_settable:
        await other.create_thread(name="P", content="x")
    assert none_settable.value.code == 40066
    fake_discord.set_bot_permissions(closed, allow=Perm.MANAGE_THREADS)
    await other.create_thread(name="P", content="x", applied_tags=other.available_tags)


async def test_previews_and_thread_starts_send_full_updates_without_an_edit_time(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    said = await fake_discord.member_says(scene.alice, scene.general, "see https://x.org")
    await fake_discord.member_creates_thread(scene.alice, scene.general, "t", message=said)
    await fake_discord.wait_until(lambda: len(bot.events["edit"]) == 2)
    preview, started = bot.events["edit"]
    assert preview.data["content"] == "see https://x.org"
    assert preview.data["embeds"][0]["url"] == "https://x.org"
    assert started.data["thread"]["id"] == said["id"]
    assert preview.data["edited_timestamp"] is None is started.data["edited_timestamp"]
    await fake_discord.member_says(scene.alice, scene.general, "quiet <https://x.org>")
    await fake_discord.member_edits(scene.alice, said, "edited")
    await fake_discord.wait_until(lambda: len(bot.events["edit"]) == 3)
    assert bot.events["edit"][2].data["edited_timestamp"]


async def test_rest_reads_follow_the_message_content_setting(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    said = await fake_discord.member_says(scene.alice, scene.general, "secret words")
    general = text_channel(bot, scene.general)
    assert (await general.fetch_message(int(said["id"]))).content == "secret words"
    fake_discord.gateway.allowed_privileged_intents &= ~Intent.MESSAGE_CONTENT
    assert (await general.fetch_message(int(said["id"]))).content == ""
    assert [m.content async for m in general.history(limit=5)] == [""]


async def test_active_and_archived_threads_are_listed_member_started_too(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    said = await fake_discord.member_says(scene.alice, scene.general, "hi")
    await fake_discord.member_creates_thread(scene.alice, scene.general, "mine", message=said)
    general = text_channel(bot, scene.general)
    guild = general.guild
    assert [t.name for t in await guild.active_threads()] == ["mine"]
    await fake_discord.advance(25 * 3600)
    assert await guild.active_threads() == []
    assert [t.name async for t in general.archived_threads()] == ["mine"]


async def test_an_embed_image_is_recorded_and_only_http_urls_are_taken(
    fake_discord: FakeDiscord, scene: Scene, bot: RecordingClient
) -> None:
    channel = text_channel(bot, scene.general)
    embed = discord.Embed(title="Lead").set_image(url="https://cdn.example.org/lead.jpg")
    await channel.send(embed=embed, allowed_mentions=discord.AllowedMentions.none())
    stored = fake_discord.messages_in(scene.general)[-1]["embeds"][0]
    assert stored["image"] == {"url": "https://cdn.example.org/lead.jpg"}
    bad = discord.Embed(title="Lead").set_image(url="ftp://cdn.example.org/lead.jpg")
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send(embed=bad, allowed_mentions=discord.AllowedMentions.none())
    assert refused.value.code == 50035 and "Scheme" in str(refused.value)
