"""Tests of the real-Synapse harness itself: registration, rooms, threads, restart."""

from __future__ import annotations

import asyncio
from typing import Any

import nio
import pytest

from .conftest import MakeClient, MakeUser
from .synapse import SynapseError, SynapseServer, wait_for, wait_for_event


def _is_message(body: str) -> Any:
    """Matcher for an ``m.room.message`` with the given body."""
    return lambda e: e.get("type") == "m.room.message" and e["content"].get("body") == body


async def _room_with_member(
    matrix_client: MakeClient, make_user: MakeUser
) -> tuple[nio.AsyncClient, nio.AsyncClient, str]:
    """Alice creates a room and invites Bob; Bob joins. Returns both clients and the room."""
    alice = await matrix_client(make_user("alice"))
    bob = await matrix_client(make_user("bob"))
    created = await alice.room_create(name="harness", invite=[bob.user_id])
    assert isinstance(created, nio.RoomCreateResponse), created
    room_id = created.room_id
    invite = await wait_for_event(
        bob,
        room_id,
        lambda e: (
            e.get("type") == "m.room.member"
            and e.get("state_key") == bob.user_id
            and e["content"].get("membership") == "invite"
        ),
    )
    assert invite["sender"] == alice.user_id
    joined = await bob.join(room_id)
    assert isinstance(joined, nio.JoinResponse), joined
    return alice, bob, room_id


def test_register_returns_login(synapse: SynapseServer, make_user: MakeUser) -> None:
    user = make_user("carol", admin=True)
    assert user.user_id == f"@{user.username}:{synapse.server_name}"
    assert user.access_token and user.device_id
    with pytest.raises(SynapseError, match="HTTP 400"):
        synapse.register(user.username, "again")  # name taken


async def test_message_and_thread_reply(matrix_client: MakeClient, make_user: MakeUser) -> None:
    alice, bob, room_id = await _room_with_member(matrix_client, make_user)

    sent = await bob.room_send(
        room_id, "m.room.message", {"msgtype": "m.text", "body": "1. first point"}
    )
    assert isinstance(sent, nio.RoomSendResponse), sent
    root_id = sent.event_id
    reply = await bob.room_send(
        room_id,
        "m.room.message",
        {
            "msgtype": "m.text",
            "body": "a question about point 1",
            "m.relates_to": {
                "rel_type": "m.thread",
                "event_id": root_id,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": root_id},
            },
        },
    )
    assert isinstance(reply, nio.RoomSendResponse), reply

    root = await wait_for_event(alice, room_id, _is_message("1. first point"))
    assert root["event_id"] == root_id
    assert root["sender"] == bob.user_id
    threaded = await wait_for_event(alice, room_id, _is_message("a question about point 1"))
    relation = threaded["content"]["m.relates_to"]
    assert relation["rel_type"] == "m.thread"
    assert relation["event_id"] == root_id
    assert relation["m.in_reply_to"] == {"event_id": root_id}

    # Consumed events are not returned twice; a missing one times out promptly.
    with pytest.raises(TimeoutError, match="no matching event"):
        await wait_for_event(alice, room_id, _is_message("1. first point"), timeout=0.5)


async def test_restart_keeps_data(
    synapse: SynapseServer, matrix_client: MakeClient, make_user: MakeUser
) -> None:
    user = make_user("dave")
    alice, bob, room_id = await _room_with_member(matrix_client, make_user)
    pid_before = synapse.pid

    synapse.restart()

    assert synapse.pid is not None and synapse.pid != pid_before
    # Password login works against the restarted server (users persisted).
    fresh = nio.AsyncClient(synapse.url, user.user_id, config=synapse.client_config())
    try:
        login = await fresh.login(user.password)
        assert isinstance(login, nio.LoginResponse), login
    finally:
        await fresh.close()
    # Clients from before the restart keep working; the room and its members are there.
    members = await alice.joined_members(room_id)
    assert isinstance(members, nio.JoinedMembersResponse), members
    assert {m.user_id for m in members.members} == {alice.user_id, bob.user_id}
    await bob.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "after"})
    await wait_for_event(alice, room_id, _is_message("after"))


async def test_wait_for_polls_sync_and_async_predicates() -> None:
    calls = 0

    def ready() -> int:
        nonlocal calls
        calls += 1
        return calls if calls >= 3 else 0

    async def ready_async() -> str:
        return "yes"

    assert await wait_for(ready, timeout=2) == 3
    assert await wait_for(ready_async, timeout=2) == "yes"
    with pytest.raises(TimeoutError, match="never"):
        await wait_for(lambda: False, timeout=0.2, message="never")


async def test_request_pending_across_stop_and_start(
    synapse: SynapseServer, matrix_client: MakeClient, make_user: MakeUser
) -> None:
    alice, bob, room_id = await _room_with_member(matrix_client, make_user)
    # A client whose retry budget (about 15 s) outlasts a restart (about 1-2 s).
    patient = await synapse.client(make_user("erin"), config=synapse.client_config(max_timeouts=10))
    try:
        assert isinstance(await patient.join(room_id), nio.ErrorResponse)  # not invited
        await alice.room_invite(room_id, patient.user_id)
        assert isinstance(await patient.join(room_id), nio.JoinResponse)

        await synapse.astop()
        assert synapse.pid is None
        pending = asyncio.create_task(
            patient.room_send(
                room_id, "m.room.message", {"msgtype": "m.text", "body": "while down"}
            )
        )
        await asyncio.sleep(0.3)  # let the send hit the closed port at least once
        assert not pending.done()
        await synapse.arestart()
        sent = await asyncio.wait_for(pending, timeout=30)
        assert isinstance(sent, nio.RoomSendResponse), sent
        got = await wait_for_event(bob, room_id, _is_message("while down"))
        assert got["sender"] == patient.user_id
    finally:
        await patient.close()
