"""The Matrix adapter in end-to-end encrypted rooms, against the real Synapse: members use
their own matrix-nio clients with their own encryption stores; the bot keeps its keys in a
store folder; what the homeserver holds is checked to be ciphertext."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nio
import pytest

from bot.adapters.matrix import PLATFORM, MatrixAdapter
from bot.core.models import ChatRef, Rendered, UserRef
from tests.contract.suite import Inbox

from .conftest import MakeUser
from .kit import (
    ENCRYPTION_STATE,
    MemoryState,
    encrypted_client,
    mentioned,
    new_adapter,
    raw_event,
    room_history,
    send_text,
    thread_of,
)
from .synapse import RegisteredUser, SynapseServer, sync_into_buffer, wait_for, wait_for_event


@dataclass
class E2ERoom:
    synapse: SynapseServer
    bot: RegisteredUser
    member: RegisteredUser
    client: nio.AsyncClient
    room_id: str
    store: Path
    state: MemoryState

    def adapter(self, **options: Any) -> MatrixAdapter:
        admins = frozenset({f"matrix:{self.member.user_id}"})
        return new_adapter(
            self.synapse, self.bot, self.state, admins=admins, store_path=self.store, **options
        )

    async def started(self, inbox: Inbox, **options: Any) -> MatrixAdapter:
        """The bot's adapter, started and in the room (its join synced: it encrypts there)."""
        adapter = self.adapter(**options)
        await adapter.start(inbox)
        try:
            await wait_for(
                lambda: adapter.encryption.encrypts(adapter.client, self.room_id),
                message="the bot has joined the encrypted room",
            )
        except BaseException:
            await adapter.close()
            raise
        return adapter


@pytest.fixture
async def e2e_room(
    synapse: SynapseServer, make_user: MakeUser, tmp_path: Path
) -> AsyncIterator[E2ERoom]:
    """An encrypted room created by a member (with their own store) who invited the bot."""
    bot, member = make_user("bot"), make_user("member")
    client = await encrypted_client(synapse, member, tmp_path / "member-store")
    created = await client.room_create(
        name="encrypted", invite=[bot.user_id], initial_state=[ENCRYPTION_STATE]
    )
    assert isinstance(created, nio.RoomCreateResponse), created
    try:
        yield E2ERoom(
            synapse, bot, member, client, created.room_id, tmp_path / "bot-store", MemoryState()
        )
    finally:
        await client.close()


def bot_event(bot: str, body: str) -> Any:
    def match(e: dict[str, Any]) -> bool:
        return (
            e.get("type") == "m.room.message"
            and e.get("sender") == bot
            and str(e["content"].get("body", "")).startswith(body)
        )

    return match


async def test_the_bot_posts_encrypted_and_reads_what_members_write(e2e_room: E2ERoom) -> None:
    inbox = Inbox()
    adapter = await e2e_room.started(inbox)
    try:
        assert adapter.encryption.enabled and adapter.client.olm is not None
        where = ChatRef(PLATFORM, e2e_room.room_id)
        root = await adapter.open_thread(where, "3. A point", Rendered("opening"), key="e-root")
        inside = await adapter.post(root.container(), Rendered("in the thread"), key="e-in")
        seen = await wait_for_event(
            e2e_room.client, e2e_room.room_id, bot_event(e2e_room.bot.user_id, "in the thread")
        )
        assert thread_of(seen) == root.thread
        raw = await raw_event(e2e_room.client, e2e_room.room_id, str(inside.message))
        assert raw["type"] == "m.room.encrypted" and "body" not in raw["content"]
        assert raw["content"]["m.relates_to"]["rel_type"] == "m.thread"  # in the clear

        asked = await send_text(e2e_room.client, e2e_room.room_id, "why?", thread=root.thread)
        got = await inbox.message("why?")
        assert got.where.thread == root.thread and got.where.message == asked
        member = UserRef(PLATFORM, e2e_room.member.user_id, "member")
        answer = await adapter.reply(got.where, Rendered("because"), mention=member, key="e-re")
        seen = await wait_for_event(
            e2e_room.client, e2e_room.room_id, bot_event(e2e_room.bot.user_id, "member: because")
        )
        assert mentioned(seen) == {e2e_room.member.user_id}
        raw = await raw_event(e2e_room.client, e2e_room.room_id, str(answer.message))
        assert "m.mentions" not in raw["content"]  # the mention is inside the ciphertext

        await adapter.react(got.where, "👀", key="e-react")
        await adapter.edit(inside, Rendered("in the thread, edited"))
        history = await e2e_room.client.room_messages(e2e_room.room_id, start=None, limit=50)
        assert isinstance(history, nio.RoomMessagesResponse), history
        mine = [
            e.source
            for e in history.chunk
            if e.sender == e2e_room.bot.user_id and "state_key" not in e.source
        ]
        raw_kinds = {
            (await raw_event(e2e_room.client, e2e_room.room_id, e["event_id"]))["type"]
            for e in mine
        }
        assert raw_kinds == {"m.room.encrypted"}
        kinds = {e["type"] for e in mine}
        assert {"m.reaction", "m.room.message"} <= kinds  # decrypted on the member's side
    finally:
        await adapter.close()
