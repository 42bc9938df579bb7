"""The whole bot on Matrix, driven as people would: members, an admin and the author each
use their own matrix-nio client against a real Synapse; the bot is ``bot.runtime.Bot``
with the Matrix adapter, a real SQLite file and the outbox worker running."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import nio
import pytest

from bot.adapters.base import TemporaryFailure
from bot.adapters.matrix import PLATFORM, MatrixAdapter
from bot.app.adapter_state import AdapterState
from bot.config import FeedSettings, PollSettings, Settings
from bot.core.models import ChatRef, FeedId, Question, QuestionStatus, Rendered
from bot.feeds.document import article_of, parse_feed
from bot.runtime import Bot, bundled_text
from bot.storage.sqlite.store import SqliteStore
from bot.storage.types import Target
from tests.loopback_feed import serving_feed
from tests.reads import reads

from .conftest import MakeClient, MakeUser
from .kit import (
    FAST,
    Event,
    body_starts,
    bot_settings,
    in_reply_to,
    mentioned,
    message_from,
    replied_to,
    room_history,
    send_text,
    thread_of,
)
from .synapse import RegisteredUser, SynapseServer, wait_for, wait_for_event

ARTICLE = article_of(parse_feed(bundled_text("example-feed.xml").encode()).entries[0])
THREAD_QUESTION = "Why would those clauses stay secret?"


@dataclass
class World:
    """A room with an admin (its creator), a member and the bot; the author is elsewhere."""

    synapse: SynapseServer
    bot_user: RegisteredUser
    admin: nio.AsyncClient
    author: nio.AsyncClient
    member: nio.AsyncClient
    room: str
    settings: Settings
    store: SqliteStore | None = None
    bot: Bot | None = None
    adapter: MatrixAdapter | None = None
    worker: asyncio.Task[None] | None = None
    feeds: list[tuple[FeedSettings, FeedId, list[Target]]] = field(default_factory=list)

    @property
    def bot_id(self) -> str:
        return self.bot_user.user_id

    async def start_bot(self) -> Bot:
        """What the runtime does: open the database, start the adapter, run the outbox."""
        self.store = await SqliteStore.open(self.settings.database)
        self.adapter = MatrixAdapter.from_settings(
            self.settings,
            AdapterState(self.store),
            is_author=AdapterState(self.store).is_any_author,
            **FAST,
        )
        self.bot = Bot(self.store, {PLATFORM: self.adapter}, self.settings)
        self.bot.delivery.base_backoff = 0.3  # retry quickly once the homeserver is back
        self.feeds = await self.bot.sync_config_feeds()
        await self.adapter.start(self.bot.conversation.handle)
        self.resume_delivery()
        return self.bot

    def resume_delivery(self) -> None:
        assert self.bot is not None and self.worker is None
        self.worker = asyncio.create_task(self.bot.delivery.run())

    async def pause_delivery(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.cancel()
            await asyncio.wait([worker])

    async def stop_bot(self) -> None:
        await self.pause_delivery()
        if self.adapter is not None:
            await self.adapter.close()
        if self.store is not None:
            await self.store.close()
        self.store = self.bot = self.adapter = None

    async def publish(self) -> dict[int, str]:
        """Publish the seed article into the room; the point threads' root ids, by number."""
        assert self.bot is not None
        for _feed, fid, targets in self.feeds:
            await self.bot.publish_bundled(fid, targets)
        await self.seen_from_bot(body_starts(ARTICLE.title))
        roots = {}
        for n in ARTICLE.point_numbers:
            roots[n] = (await self.seen_from_bot(body_starts(f"{n}. ")))["event_id"]
        return roots

    async def seen_from_bot(
        self,
        pred: Any,
        *,
        by: nio.AsyncClient | None = None,
        room: str | None = None,
        wait: float = 10,
    ) -> Event:
        """The next message of the bot that ``pred`` accepts, as the member (or ``by``) sees it."""
        return await wait_for_event(
            by or self.member, room or self.room, message_from(self.bot_id, pred), wait
        )

    async def question_at(self, event_id: str) -> Question | None:
        assert self.store is not None
        return await reads(self.store).questions.at_message(
            ChatRef(PLATFORM, self.room, message=event_id)
        )

    async def ask(self, text: str, *, thread: str | None = None) -> tuple[str, Event]:
        """The member asks; returns the question's event id and the bot's acknowledgement."""
        asked = await send_text(self.member, self.room, text, thread=thread)
        ack = await self.seen_from_bot(in_reply_to(asked))
        return asked, ack

    async def direct_chat_with_author(self) -> str:
        """The author opens a direct chat with the bot and waits until the bot is in it."""
        created = await self.author.room_create(is_direct=True, invite=[self.bot_id])
        assert isinstance(created, nio.RoomCreateResponse), created
        await wait_for_event(
            self.author,
            created.room_id,
            lambda e: (
                e.get("type") == "m.room.member"
                and e.get("state_key") == self.bot_id
                and e["content"].get("membership") == "join"
            ),
        )
        return str(created.room_id)


@pytest.fixture
async def world(
    synapse: SynapseServer, make_user: MakeUser, matrix_client: MakeClient, tmp_path: Path
) -> AsyncIterator[World]:
    bot_user = make_user("pointbot")
    admin, author, member = make_user("admin"), make_user("author"), make_user("member")
    admin_c, author_c = await matrix_client(admin), await matrix_client(author)
    member_c = await matrix_client(member)
    created = await admin_c.room_create(name="articles", invite=[bot_user.user_id, member.user_id])
    assert isinstance(created, nio.RoomCreateResponse), created
    assert isinstance(await member_c.join(created.room_id), nio.JoinResponse)
    settings = Settings(
        database=tmp_path / "bot.sqlite3",
        admins=frozenset({f"matrix:{admin.user_id}"}),
        feeds=(
            FeedSettings(
                url="bundled:example-feed.xml",
                targets=(f"matrix:{created.room_id}",),
                authors=(f"matrix:{author.user_id}",),
            ),
        ),
        matrix=bot_settings(synapse, bot_user),
    )
    w = World(synapse, bot_user, admin_c, author_c, member_c, created.room_id, settings)
    await w.start_bot()
    try:
        yield w
    finally:
        await w.stop_bot()


async def test_article_appears_as_summary_and_one_thread_per_point(world: World) -> None:
    assert world.bot is not None
    for _feed, fid, targets in world.feeds:
        await world.bot.publish_bundled(fid, targets)
    summary = await world.seen_from_bot(body_starts(ARTICLE.title))
    assert summary["content"]["msgtype"] == "m.notice"
    assert summary["content"]["m.mentions"] == {"user_ids": []}
    assert "<ol>" in summary["content"]["formatted_body"]
    for n in range(1, 6):
        root = await world.seen_from_bot(body_starts(f"{n}. {ARTICLE.points[n - 1].title[:10]}"))
        assert thread_of(root) is None and root["content"]["formatted_body"].startswith("<p><b>")


async def test_questions_in_the_room_and_in_the_thread_go_to_point_3(world: World) -> None:
    roots = await world.publish()
    in_room, ack = await world.ask("clarify point 3")
    assert thread_of(ack) is None and "point 3" in ack["content"]["body"]
    in_thread, ack_t = await world.ask(THREAD_QUESTION, thread=roots[3])
    assert thread_of(ack_t) == roots[3]
    for event_id in (in_room, in_thread):
        q = await world.question_at(event_id)
        assert q is not None and q.point == 3 and q.status is QuestionStatus.QUEUED
        assert q.asker.id == world.member.user_id


async def test_author_answers_from_a_direct_chat_and_the_member_is_mentioned(
    world: World,
) -> None:
    roots = await world.publish()
    asked, _ack = await world.ask(THREAD_QUESTION, thread=roots[3])
    q = await world.question_at(asked)
    assert q is not None
    dm = await world.direct_chat_with_author()
    command = await send_text(world.author, dm, f"!answer {q.id} They protect arms transfers.")
    told = await world.seen_from_bot(in_reply_to(command), by=world.author, room=dm)
    assert f"Answer to #{q.id} sent" in told["content"]["body"]
    answer = await world.seen_from_bot(in_reply_to(asked))
    assert thread_of(answer) == roots[3]
    assert "They protect arms transfers." in answer["content"]["body"]
    assert mentioned(answer) == {world.member.user_id}
    pill = f'<a href="https://matrix.to/#/{world.member.user_id}">'
    assert answer["content"]["formatted_body"].startswith(pill)


async def test_edits_and_redactions_of_a_question_are_followed(world: World) -> None:
    roots = await world.publish()
    asked, _ack = await world.ask("What does the document change for Iran?", thread=roots[3])
    new_text = "What does the updated document change for Iran?"
    await world.member.room_send(
        world.room,
        "m.room.message",
        {
            "msgtype": "m.text",
            "body": f"* {new_text}",
            "m.new_content": {"msgtype": "m.text", "body": new_text},
            "m.relates_to": {"rel_type": "m.replace", "event_id": asked},
        },
    )

    async def text_is_new() -> bool:
        q = await world.question_at(asked)
        return q is not None and q.text == new_text

    await wait_for(text_is_new, message="stored question follows the edit")
    await world.member.room_redact(world.room, asked)

    async def withdrawn() -> bool:
        q = await world.question_at(asked)
        return q is not None and q.status is QuestionStatus.WITHDRAWN

    await wait_for(withdrawn, message="redacted question is withdrawn")


async def test_a_thumbs_up_on_the_acknowledgement_is_a_vote_and_redacting_it_takes_it_back(
    world: World,
) -> None:
    await world.publish()
    asked, ack = await world.ask("Could you clarify point 2?")
    sent = await world.admin.room_send(
        world.room,
        "m.reaction",
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": ack["event_id"], "key": "👍"}},
    )
    assert isinstance(sent, nio.RoomSendResponse), sent

    async def votes(n: int) -> bool:
        q = await world.question_at(asked)
        return q is not None and q.votes == n

    await wait_for(lambda: votes(1), message="the 👍 counts as a vote")
    await world.admin.room_redact(world.room, sent.event_id)
    await wait_for(lambda: votes(0), message="redacting the 👍 takes the vote back")


async def test_members_cannot_use_admin_or_author_commands(world: World) -> None:
    for command, needed in (("!feed list", "admins only"), ("!answer 1 because", "authors only")):
        sent = await send_text(world.member, world.room, command)
        refusal = await world.seen_from_bot(in_reply_to(sent))
        assert needed in refusal["content"]["body"], refusal["content"]["body"]
        assert "nothing was done" in refusal["content"]["body"]
    sent = await send_text(world.admin, world.room, "!feed list")  # the room's creator may
    reply = await world.seen_from_bot(in_reply_to(sent))
    assert "admins only" not in reply["content"]["body"]


async def test_bot_restart_handles_what_was_asked_meanwhile_exactly_once(world: World) -> None:
    roots = await world.publish()
    assert world.adapter is not None
    device = world.adapter.device_id
    before, _ = await world.ask("clarify point 3")
    await world.stop_bot()
    meanwhile = await send_text(world.member, world.room, THREAD_QUESTION, thread=roots[3])
    await world.start_bot()
    assert world.adapter is not None and world.adapter.device_id == device
    ack = await world.seen_from_bot(in_reply_to(meanwhile))
    assert thread_of(ack) == roots[3]
    marker = await send_text(world.member, world.room, "!points")
    await world.seen_from_bot(in_reply_to(marker))  # everything before it was handled
    history = await room_history(world.member, world.room)
    replies = [e for e in history if e["sender"] == world.bot_id]
    assert sum(in_reply_to(meanwhile)(e) for e in replies) == 1
    assert sum(in_reply_to(before)(e) for e in replies) == 1  # not acknowledged again
    assert world.store is not None
    assert await reads(world.store).questions.count() == 2


async def test_homeserver_restart_with_answers_pending_delivers_each_once(
    world: World, synapse: SynapseServer
) -> None:
    roots = await world.publish()
    first, _ = await world.ask("clarify point 3")
    second, _ = await world.ask(THREAD_QUESTION, thread=roots[3])
    q1, q2 = await world.question_at(first), await world.question_at(second)
    assert q1 is not None and q2 is not None
    dm = await world.direct_chat_with_author()
    await world.pause_delivery()
    commands = [
        await send_text(world.author, dm, f"!answer {q.id} answer to {q.id}") for q in (q1, q2)
    ]
    assert world.bot is not None and world.adapter is not None
    outbox = reads(world.store).outbox

    async def answers_pending() -> bool:
        # Two answers, two "sent" to the author, and q1's answer kept in point 3's thread
        # (q1 was asked in the room; q2 in the thread already).
        return (await outbox.counts()).get("pending", 0) == 5

    await wait_for(answers_pending, message="both answers queued")
    await synapse.astop()
    try:
        with pytest.raises(TemporaryFailure):
            await world.adapter.post(ChatRef(PLATFORM, world.room), Rendered("x"), key="down")
        world.resume_delivery()
        assert world.store is not None
        db = world.store

        async def tried() -> bool:
            row = await db.db.fetchone("SELECT MAX(attempts) FROM outbox WHERE status = 'pending'")
            return row is not None and (row[0] or 0) >= 1

        await wait_for(tried, message="delivery attempted while the homeserver was down")
    finally:
        await synapse.arestart()
    for q, asked in ((q1, first), (q2, second)):
        answer = await world.seen_from_bot(in_reply_to(asked), wait=20)
        assert f"answer to {q.id}" in answer["content"]["body"]
    for command in commands:  # the author's confirmations, in the direct chat
        await world.seen_from_bot(in_reply_to(command), by=world.author, room=dm, wait=20)
    await world.ask("Could you clarify point 2 please?")  # the sync loop is back too
    bodies = [
        e["content"]["body"]
        for e in await room_history(world.member, world.room)
        if e["sender"] == world.bot_id
    ]
    for q, times in ((q1, 2), (q2, 1)):  # each once, plus q1's record in the thread
        assert sum(f"answer to {q.id}" in b for b in bodies) == times
    in_dm = [e for e in await room_history(world.author, dm) if e["sender"] == world.bot_id]
    confirmations = [e for e in in_dm if replied_to(e) is not None]  # not the new-question DMs
    assert sorted(replied_to(e) for e in confirmations) == sorted(commands)
    assert (await outbox.counts()).get("pending", 0) == 0


async def test_admin_adds_a_feed_from_the_room(world: World) -> None:
    """The admin says ``!feed add <loopback url>`` in the room: the seed article's summary and
    its five point threads appear there; a member trying the same is refused."""
    await world.stop_bot()
    world.settings = replace(
        world.settings,
        feeds=(),
        polling=PollSettings(allow_private_addresses=("127.0.0.0/8",), timeout_s=5.0),
    )
    bot = await world.start_bot()
    try:
        async with serving_feed(bundled_text("example-feed.xml").encode()) as url:
            refused = await send_text(world.member, world.room, f"!feed add {url}")
            no = await world.seen_from_bot(in_reply_to(refused))
            assert "for admins only" in no["content"]["body"]
            said = await send_text(world.admin, world.room, f"!feed add {url}")
            reply = await world.seen_from_bot(in_reply_to(said), by=world.admin, wait=15)
            assert "Added feed" in reply["content"]["body"]
            await world.seen_from_bot(body_starts(ARTICLE.title), wait=15)
            for n in ARTICLE.point_numbers:
                await world.seen_from_bot(body_starts(f"{n}. "))
    finally:
        await bot.fetcher.close()


async def test_a_poisoned_message_is_contained_and_the_next_question_is_acknowledged(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Handling one message raises mid-transaction (a bug stands in for any): its sender gets
    one plain reply, nothing of it is stored, it is claimed as failed, and the bot goes on."""
    await world.publish()
    assert world.bot is not None and world.store is not None
    index = world.store.open_questions  # the SQLite store's index
    added = index.added

    def poisoned(raw: Any, open_set: Any, qid: int, text: str, *, merged: bool) -> None:
        if "poison" in text:
            raise RuntimeError("a bug while taking this question")
        added(raw, open_set, qid, text, merged=merged)

    monkeypatch.setattr(index, "added", poisoned)
    sent = await send_text(world.member, world.room, "What about the poison in point 3?")
    reply = await world.seen_from_bot(in_reply_to(sent))
    assert "went wrong on our side" in reply["content"]["body"]
    assert await reads(world.store).questions.count() == 0  # rolled back, not half-written
    failed = await reads(world.store).inbound.failed()
    assert [(ref.message, "a bug while taking" in why) for ref, why in failed] == [(sent, True)]
    asked, ack = await world.ask("clarify point 3")
    assert "point 3" in ack["content"]["body"] and "went wrong" not in ack["content"]["body"]
    assert await world.question_at(asked) is not None
    history = await room_history(world.member, world.room)
    assert sum(in_reply_to(sent)(e) for e in history if e["sender"] == world.bot_id) == 1


async def test_announce_room_needs_the_power_level_and_pings_the_room_once(
    world: World,
) -> None:
    """``!feed announce <id> here @room``: refused while the bot's power level is under the
    room's ``notifications.room``; once allowed, a new article's summary is an ``m.text``
    with ``m.mentions.room`` and "@room", which Synapse's push rules notify the member of;
    an article posted without ``announce`` (a backfill, ``!feed post``) is a plain notice."""
    assert world.bot is not None and world.store is not None
    [(_feed, fid, _targets)] = world.feeds
    command = await send_text(world.admin, world.room, f"!feed announce {fid} here @room")
    told = await world.seen_from_bot(in_reply_to(command))
    assert "my power level in" in told["content"]["body"]
    assert "takes 50; a room admin can raise mine" in told["content"]["body"]

    levels = await world.admin.room_get_state_event(world.room, "m.room.power_levels")
    assert isinstance(levels, nio.RoomGetStateEventResponse), levels
    content = dict(levels.content)
    content["users"] = {**content.get("users", {}), world.bot_id: 50}
    await world.admin.room_put_state(world.room, "m.room.power_levels", content)

    async def accepted() -> bool:
        said = await send_text(world.admin, world.room, f"!feed announce {fid} here @room")
        reply = await world.seen_from_bot(in_reply_to(said))
        return "now mentions @\u2060room once" in reply["content"]["body"] or (
            "now mentions @room once" in reply["content"]["body"]
        )

    await wait_for(accepted, timeout=20, message="the bot sees its new power level")
    targets = await reads(world.store).posts.targets_of(fid)
    assert [t.announce for t in targets] == ["room"]

    quiet = replace(ARTICLE, title="A backfilled article", link="https://example.org/old")
    await world.bot.publisher.publish(fid, "old-entry", quiet, targets)
    plain = await world.seen_from_bot(body_starts("A backfilled article"))
    assert plain["content"]["msgtype"] == "m.notice"
    assert plain["content"]["m.mentions"] == {"user_ids": []}

    new = replace(ARTICLE, title="A brand new article", link="https://example.org/new")
    await world.bot.publisher.publish(fid, "new-entry", new, targets, announce=True)
    loud = await world.seen_from_bot(body_starts("@room A brand new article"))
    assert loud["content"]["msgtype"] == "m.text"
    assert loud["content"]["m.mentions"] == {"user_ids": [], "room": True}
    assert loud["content"]["formatted_body"].startswith("@room ")
    # Its point threads ping nobody.
    root = await world.seen_from_bot(body_starts("1. "))
    assert root["content"]["m.mentions"] == {"user_ids": []}

    async def notified() -> list[str]:
        resp = await world.member.send(
            "GET",
            "/_matrix/client/v3/notifications",
            headers={"Authorization": f"Bearer {world.member.access_token}"},
        )
        data = await resp.json()
        return [n["event"]["event_id"] for n in data.get("notifications", [])]

    found = await wait_for(
        lambda: _contains(notified, loud["event_id"]), message="member notified of @room"
    )
    assert found
    assert plain["event_id"] not in await notified()


async def _contains(get: Any, item: str) -> bool:
    return item in await get()
