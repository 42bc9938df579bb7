"""The shared adapter contract (tests/contract/suite.py), kept by the Matrix adapter against
a real Synapse: a member with their own matrix-nio client speaks and reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import nio
import pytest

from bot.adapters.matrix import PLATFORM, MatrixAdapter
from bot.core.models import ChatRef, Rendered, UserRef
from tests.contract.suite import CONTRACT, Harness, Inbox, Seen, Test

from .conftest import MakeClient, MakeUser
from .kit import MemoryState, mentioned, new_adapter, replied_to, room_history, send_text, thread_of
from .synapse import RegisteredUser, SynapseServer, wait_for_event


@dataclass
class MatrixHarness:
    """The contract's view of one room: the bot's adapter and one member's own client."""

    adapter: MatrixAdapter
    channel: ChatRef
    member: UserRef
    client: nio.AsyncClient

    async def member_says(
        self, text: str, *, thread: str | None = None, reply_to: ChatRef | None = None
    ) -> ChatRef:
        reply = reply_to.message if reply_to else None
        event_id = await send_text(
            self.client, self.channel.channel, text, thread=thread, reply_to=reply
        )
        return ChatRef(PLATFORM, self.channel.channel, thread, event_id)

    async def seen(self, ref: ChatRef) -> Seen:
        event = await wait_for_event(
            self.client,
            self.channel.channel,
            lambda e: e.get("event_id") == ref.message,
            consume=False,
        )
        return Seen(
            ref=ChatRef(PLATFORM, self.channel.channel, thread_of(event), event["event_id"]),
            text=str(event["content"].get("body", "")),
            thread=thread_of(event),
            reply_to=replied_to(event),
            mentions=mentioned(event),
        )

    async def count_seen(self, text: str) -> int:
        history = await room_history(self.client, self.channel.channel)
        return sum(e["content"].get("body") == text for e in history)


@dataclass
class Room:
    synapse: SynapseServer
    bot: RegisteredUser
    member: RegisteredUser
    client: nio.AsyncClient
    room_id: str


@pytest.fixture
async def room(synapse: SynapseServer, make_user: MakeUser, matrix_client: MakeClient) -> Room:
    """A room created by a member who invited the bot (and is its admin)."""
    bot, member = make_user("bot"), make_user("member")
    client = await matrix_client(member)
    created = await client.room_create(name="contract", invite=[bot.user_id])
    assert isinstance(created, nio.RoomCreateResponse), created
    return Room(synapse, bot, member, client, created.room_id)


@pytest.fixture
async def harness(room: Room) -> AsyncIterator[tuple[Harness, Inbox]]:
    inbox = Inbox()
    adapter = new_adapter(
        room.synapse, room.bot, MemoryState(), admins=frozenset({f"matrix:{room.member.user_id}"})
    )
    await adapter.start(inbox)
    member = UserRef(PLATFORM, room.member.user_id, room.member.username)
    try:
        yield MatrixHarness(adapter, ChatRef(PLATFORM, room.room_id), member, room.client), inbox
    finally:
        await adapter.close()


@pytest.mark.parametrize("name", sorted(CONTRACT))
async def test_matrix_adapter_keeps_the_contract(name: str, harness: tuple[Harness, Inbox]) -> None:
    test: Test = CONTRACT[name]
    await test(*harness)


async def test_same_key_after_a_restart_posts_once(room: Room) -> None:
    """A crash after the send but before the outbox marked it done: the next process
    (same device, new login) retries with the same key and gets the same event."""
    state = MemoryState()
    admins = frozenset({f"matrix:{room.member.user_id}"})
    where = ChatRef(PLATFORM, room.room_id)
    first = new_adapter(room.synapse, room.bot, state, admins=admins)
    await first.start(Inbox())
    sent = await first.post(where, Rendered("contract: once across restarts"), key="c-restart")
    device = first.device_id
    await first.close()

    second = new_adapter(room.synapse, room.bot, state, admins=admins)
    await second.start(Inbox())
    try:
        again = await second.post(
            where, Rendered("contract: once across restarts"), key="c-restart"
        )
        assert second.device_id == device
        assert again.message == sent.message
        thread = await second.open_thread(where, "1. T", Rendered("contract: root"), key="c-root")
        thread_again = await second.open_thread(
            where, "1. T", Rendered("contract: root"), key="c-root"
        )
        assert thread == thread_again
    finally:
        await second.close()
    bodies = [e["content"].get("body") for e in await room_history(room.client, room.room_id)]
    assert bodies.count("contract: once across restarts") == 1
    assert bodies.count("1. T\n\ncontract: root") == 1
