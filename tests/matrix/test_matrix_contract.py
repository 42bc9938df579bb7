"""The shared adapter contract (tests/contract/suite.py), kept by the Matrix adapter against
a real Synapse: a member with their own matrix-nio client speaks and reads, in a clear room
and in an end-to-end encrypted one (the member's client then has its own encryption store)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nio
import pytest

from bot.adapters.matrix import PLATFORM, MatrixAdapter
from bot.core.models import ChatRef, Rendered, UserRef
from tests.contract.suite import CONTRACT, Harness, Inbox, Seen, Test

from .conftest import MakeClient, MakeUser
from .kit import (
    ENCRYPTION_STATE,
    MemoryState,
    encrypted_client,
    mentioned,
    new_adapter,
    replied_to,
    room_history,
    send_text,
    thread_of,
)
from .synapse import RegisteredUser, SynapseServer, wait_for, wait_for_event


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
    store: Path
    encrypted: bool

    async def start(self, adapter: MatrixAdapter, inbox: Any) -> None:
        """Start the bot and, in an encrypted room, wait until its join is synced."""
        await adapter.start(inbox)
        if self.encrypted:
            await wait_for(
                lambda: adapter.encryption.encrypts(adapter.client, self.room_id),
                message="the bot has joined the encrypted room",
            )


@pytest.fixture(params=["clear", "encrypted"])
async def room(
    request: pytest.FixtureRequest,
    synapse: SynapseServer,
    make_user: MakeUser,
    matrix_client: MakeClient,
    tmp_path: Path,
) -> AsyncIterator[Room]:
    """A room created by a member who invited the bot (and is its admin); encrypted from
    the start in the second run."""
    encrypted = request.param == "encrypted"
    bot, member = make_user("bot"), make_user("member")
    if encrypted:
        client = await encrypted_client(synapse, member, tmp_path / "member-store")
    else:
        client = await matrix_client(member)
    state = [ENCRYPTION_STATE] if encrypted else []
    created = await client.room_create(name="contract", invite=[bot.user_id], initial_state=state)
    assert isinstance(created, nio.RoomCreateResponse), created
    try:
        yield Room(synapse, bot, member, client, created.room_id, tmp_path / "bot-store", encrypted)
    finally:
        if encrypted:
            await client.close()


@pytest.fixture
async def harness(room: Room) -> AsyncIterator[tuple[Harness, Inbox]]:
    inbox = Inbox()
    adapter = new_adapter(
        room.synapse,
        room.bot,
        MemoryState(),
        admins=frozenset({f"matrix:{room.member.user_id}"}),
        store_path=room.store,
    )
    await room.start(adapter, inbox)
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
    first = new_adapter(room.synapse, room.bot, state, admins=admins, store_path=room.store)
    await room.start(first, Inbox())
    sent = await first.post(where, Rendered("contract: once across restarts"), key="c-restart")
    device = first.device_id
    await first.close()

    second = new_adapter(room.synapse, room.bot, state, admins=admins, store_path=room.store)
    await room.start(second, Inbox())
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
    for event_id in (sent.message, thread.message):  # the member's client syncs (room keys)
        await wait_for_event(
            room.client, room.room_id, lambda e, i=event_id: e.get("event_id") == i, consume=False
        )
    bodies = [e["content"].get("body") for e in await room_history(room.client, room.room_id)]
    assert bodies.count("contract: once across restarts") == 1
    assert bodies.count("1. T\n\ncontract: root") == 1
