"""The Matrix adapter in end-to-end encrypted rooms, against the real Synapse: members use
their own matrix-nio clients with their own encryption stores; the bot keeps its keys in a
store folder; what the homeserver holds is checked to be ciphertext."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import nio
import pytest
import vodozemac
from nio.event_builders import ToDeviceMessage

from bot.adapters.matrix import PLATFORM, MatrixAdapter
from bot.config import FeedSettings, Settings
from bot.core.models import ChatRef, Rendered, UserRef
from tests.contract.suite import Inbox

from .conftest import MakeUser
from .kit import (
    ENCRYPTION_STATE,
    FAST,
    MemoryState,
    bot_settings,
    encrypted_client,
    in_reply_to,
    mentioned,
    new_adapter,
    raw_event,
    send_text,
    thread_of,
)
from .synapse import RegisteredUser, SynapseServer, sync_into_buffer, wait_for, wait_for_event
from .test_matrix_end_to_end import THREAD_QUESTION, World


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


# The whole bot (runtime, SQLite, outbox) in an encrypted room -------------------------------


@pytest.fixture
async def e2e_world(
    synapse: SynapseServer, make_user: MakeUser, tmp_path: Path
) -> AsyncIterator[World]:
    """As ``world`` in test_matrix_end_to_end, but every person's client has its own
    encryption store, and the room and the author's direct chat are encrypted."""
    bot_user = make_user("pointbot")
    admin, author, member = make_user("admin"), make_user("author"), make_user("member")
    clients = [
        await encrypted_client(synapse, u, tmp_path / f"{name}-store")
        for name, u in (("admin", admin), ("author", author), ("member", member))
    ]
    admin_c, author_c, member_c = clients
    created = await admin_c.room_create(
        name="articles", invite=[bot_user.user_id, member.user_id], initial_state=[ENCRYPTION_STATE]
    )
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
    await start_in_room(w)
    try:
        yield w
    finally:
        await w.stop_bot()
        for client in clients:
            await client.close()


async def start_in_room(world: World) -> None:
    await world.start_bot()
    adapter = world.adapter
    assert adapter is not None and adapter.encryption.enabled
    await wait_for(
        lambda: adapter.encryption.encrypts(adapter.client, world.room),
        message="the bot has joined the encrypted room",
    )


async def encrypted_dm(world: World) -> str:
    """The author opens an encrypted direct chat with the bot (as Element does)."""
    created = await world.author.room_create(
        is_direct=True, invite=[world.bot_id], initial_state=[ENCRYPTION_STATE]
    )
    assert isinstance(created, nio.RoomCreateResponse), created
    assert world.adapter is not None
    adapter = world.adapter
    await wait_for(
        lambda: adapter.encryption.encrypts(adapter.client, created.room_id),
        message="the bot has joined the direct chat",
    )
    return str(created.room_id)


async def assert_ciphertext(world: World, event: dict[str, Any]) -> None:
    raw = await raw_event(world.member, world.room, event["event_id"])
    assert raw["type"] == "m.room.encrypted", raw
    assert set(raw["content"]) <= {
        "algorithm",
        "ciphertext",
        "sender_key",
        "session_id",
        "device_id",
        "m.relates_to",
    }


async def test_summary_threads_acknowledgement_and_answer_are_encrypted(
    e2e_world: World,
) -> None:
    world = e2e_world
    roots = await world.publish()  # decrypted on the member's side, or it would time out
    for event_id in roots.values():
        await assert_ciphertext(world, {"event_id": event_id})
    asked, ack = await world.ask(THREAD_QUESTION, thread=roots[3])
    assert thread_of(ack) == roots[3]
    await assert_ciphertext(world, ack)
    q = await world.question_at(asked)
    assert q is not None and q.point == 3
    dm = await encrypted_dm(world)
    command = await send_text(world.author, dm, f"!answer {q.id} They protect arms transfers.")
    told = await world.seen_from_bot(in_reply_to(command), by=world.author, room=dm)
    assert f"Answer to #{q.id} sent" in told["content"]["body"]
    answer = await world.seen_from_bot(in_reply_to(asked))
    assert thread_of(answer) == roots[3] and mentioned(answer) == {world.member.user_id}
    assert "They protect arms transfers." in answer["content"]["body"]
    await assert_ciphertext(world, answer)


async def test_restarted_from_its_store_the_bot_is_the_same_device_and_still_reads(
    e2e_world: World,
) -> None:
    world = e2e_world
    roots = await world.publish()
    assert world.adapter is not None
    device = world.adapter.device_id
    await world.ask("clarify point 3")
    await world.stop_bot()
    meanwhile = await send_text(world.member, world.room, THREAD_QUESTION, thread=roots[3])
    await start_in_room(world)
    assert world.adapter is not None and world.adapter.device_id == device
    ack = await world.seen_from_bot(in_reply_to(meanwhile))  # read after the restart
    assert thread_of(ack) == roots[3]
    await assert_ciphertext(world, ack)
    _, again = await world.ask("Could you clarify point 2?")
    await assert_ciphertext(world, again)
    devices = await world.member.send(  # the bot has one device, not one per start
        "GET",
        nio.Api._build_path(["devices"], {"access_token": world.adapter.client.access_token}),
    )
    ids = {d["device_id"] for d in (await devices.json())["devices"]}
    assert ids - {world.bot_user.device_id} == {device}  # besides the registration's own


async def test_a_member_who_joins_later_reads_the_bots_new_messages(
    e2e_world: World, make_user: MakeUser, tmp_path: Path
) -> None:
    world = e2e_world
    roots = await world.publish()
    late_user = make_user("late")
    late = await encrypted_client(world.synapse, late_user, tmp_path / "late-store")
    try:
        assert isinstance(
            await world.admin.room_invite(world.room, late_user.user_id), nio.RoomInviteResponse
        )
        assert isinstance(await late.join(world.room), nio.JoinResponse)
        asked = await send_text(late, world.room, "clarify point 4", thread=roots[4])
        ack = await world.seen_from_bot(in_reply_to(asked), by=late)
        assert "point 4" in ack["content"]["body"]
        await assert_ciphertext(world, ack)
        # and the first member reads it too
        await world.seen_from_bot(in_reply_to(asked))
    finally:
        await late.close()


# Events whose room key has not arrived ---------------------------------------------------------


@dataclass
class WithheldKey:
    """A member's message encrypted with a Megolm session the bot was not given (yet)."""

    event_id: str
    session: vodozemac.GroupSession
    first_key: str  # the session key at index 0, exported before the first message


async def send_without_key(room: E2ERoom, body: str) -> WithheldKey:
    session = vodozemac.GroupSession()
    first_key = session.session_key.to_base64()
    plaintext = {
        "type": "m.room.message",
        "content": {"msgtype": "m.text", "body": body},
        "room_id": room.room_id,
    }
    assert room.client.olm is not None
    content = {
        "algorithm": "m.megolm.v1.aes-sha2",
        "sender_key": room.client.olm.account.identity_keys["curve25519"],
        "ciphertext": session.encrypt(nio.Api.to_json(plaintext).encode()).to_base64(),
        "session_id": session.session_id,
        "device_id": room.client.device_id,
    }
    # Sent as it is (a client without encryption would re-encrypt nothing).
    method, path, data = nio.Api.room_send(
        room.client.access_token, room.room_id, "m.room.encrypted", content, f"w{body}"
    )
    sent = await room.client._send(nio.RoomSendResponse, method, path, data, (room.room_id,))
    assert isinstance(sent, nio.RoomSendResponse), sent
    return WithheldKey(str(sent.event_id), session, first_key)


async def give_key(room: E2ERoom, adapter: MatrixAdapter, withheld: WithheldKey) -> None:
    """The member's device sends the room key to the bot's device, Olm-encrypted."""
    member, bot_device = room.client, str(adapter.device_id)

    async def known() -> bool:
        await sync_into_buffer(member, timeout_ms=50)  # learns the room's members, queries keys
        return bot_device in member.device_store[room.bot.user_id]

    await wait_for(known, message="the member's client knows the bot's device")
    device = member.device_store[room.bot.user_id][bot_device]
    assert member.olm is not None
    if member.olm.session_store.get(device.curve25519) is None:
        await member.keys_claim({room.bot.user_id: [bot_device]})
    session = member.olm.session_store.get(device.curve25519)
    key = {
        "algorithm": "m.megolm.v1.aes-sha2",
        "room_id": room.room_id,
        "session_id": withheld.session.session_id,
        "session_key": withheld.first_key,
    }
    payload = member.olm._olm_encrypt(session, device, "m.room_key", key)
    message = ToDeviceMessage("m.room.encrypted", room.bot.user_id, bot_device, payload)
    assert isinstance(await member.to_device(message), nio.ToDeviceResponse)


async def test_an_event_without_its_key_is_kept_asked_for_and_handled_once_it_arrives(
    e2e_room: E2ERoom, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = Inbox()
    adapter = await e2e_room.started(inbox)
    undecrypted = adapter._sync.undecrypted
    try:
        withheld = await send_without_key(e2e_room, "clarify point 2, locked")
        await wait_for(lambda: withheld.event_id in undecrypted.pending, message="kept")
        # The room key was asked for (nio records the request once the homeserver took it).
        await wait_for(
            lambda: withheld.session.session_id in adapter.client.outgoing_key_requests,
            message="room key requested",
        )
        await send_text(e2e_room.client, e2e_room.room_id, "marker one")
        await inbox.message("marker one")
        assert not any(getattr(e, "text", "") == "clarify point 2, locked" for e in inbox.events)

        await give_key(e2e_room, adapter, withheld)
        got = await inbox.message("clarify point 2, locked")
        assert got.where.message == withheld.event_id
        assert withheld.event_id not in undecrypted.pending
        await send_text(e2e_room.client, e2e_room.room_id, "marker two")
        await inbox.message("marker two")
        texts = [getattr(e, "text", "") for e in inbox.events]
        assert texts.count("clarify point 2, locked") == 1

        # A key that never comes: given up after the timeout, logged, handed to nobody.
        undecrypted.timeout = 0.0
        caplog.set_level(logging.WARNING, logger="bot.adapters.matrix.undecrypted")
        never = await send_without_key(e2e_room, "never readable")
        await wait_for(
            lambda: any(
                never.event_id in r.getMessage() and "gave up" in r.getMessage()
                for r in caplog.records
            ),
            message="given up and logged",
        )
        assert never.event_id not in undecrypted.pending
    finally:
        await adapter.close()


async def test_a_kept_event_survives_a_restart_and_is_handled_when_its_key_comes(
    e2e_room: E2ERoom,
) -> None:
    first = await e2e_room.started(Inbox())
    try:
        withheld = await send_without_key(e2e_room, "asked while locked")
        await wait_for(lambda: withheld.event_id in first._sync.undecrypted.pending, message="kept")
    finally:
        await first.close()
    inbox = Inbox()
    second = await e2e_room.started(inbox)
    try:
        assert withheld.event_id in second._sync.undecrypted.pending
        await give_key(e2e_room, second, withheld)
        got = await inbox.message("asked while locked")
        assert got.where.message == withheld.event_id
    finally:
        await second.close()


# trust = "verified": room keys only for devices their owner cross-signed ---------------------


async def _post_json(client: nio.AsyncClient, path: list[str], body: dict[str, Any]) -> Any:
    url = nio.Api._build_path(path, {"access_token": client.access_token})
    response = await client.send("POST", url, nio.Api.to_json(body))
    return response.status, await response.json()


async def cross_sign_own_device(client: nio.AsyncClient, user: RegisteredUser) -> None:
    """What Element does when a user sets up cross-signing: a master key, a self-signing
    key signed by it, and the current device signed by the self-signing key."""
    master, self_signing = vodozemac.Account(), vodozemac.Account()  # ed25519 key pairs
    mpub, spub = master.ed25519_key.to_base64(), self_signing.ed25519_key.to_base64()
    uid = user.user_id

    def signed(obj: dict[str, Any], signer: vodozemac.Account, pub: str) -> dict[str, Any]:
        body = {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
        sig = signer.sign(nio.Api.to_canonical_json(body).encode()).to_base64()
        return {**body, "signatures": {uid: {f"ed25519:{pub}": sig}}}

    master_key = {"user_id": uid, "usage": ["master"], "keys": {f"ed25519:{mpub}": mpub}}
    ssk = {"user_id": uid, "usage": ["self_signing"], "keys": {f"ed25519:{spub}": spub}}
    upload: dict[str, Any] = {
        "master_key": master_key,
        "self_signing_key": signed(ssk, master, mpub),
    }
    status, answer = await _post_json(client, ["keys", "device_signing", "upload"], upload)
    if status == 401:  # user-interactive auth: the password
        upload["auth"] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": uid},
            "password": user.password,
            "session": answer.get("session"),
        }
        status, answer = await _post_json(client, ["keys", "device_signing", "upload"], upload)
    assert status == 200, answer
    status, answer = await _post_json(client, ["keys", "query"], {"device_keys": {uid: []}})
    assert status == 200, answer
    device_keys = answer["device_keys"][uid][user.device_id]
    status, answer = await _post_json(
        client,
        ["keys", "signatures", "upload"],
        {uid: {user.device_id: signed(device_keys, self_signing, spub)}},
    )
    assert status == 200 and not answer.get("failures"), answer


async def test_trust_verified_shares_room_keys_only_with_cross_signed_devices(
    e2e_room: E2ERoom, make_user: MakeUser, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.adapters.matrix.trust")
    await cross_sign_own_device(e2e_room.client, e2e_room.member)
    other_user = make_user("unsigned")
    other = await encrypted_client(e2e_room.synapse, other_user, tmp_path / "unsigned-store")
    try:
        invited = await e2e_room.client.room_invite(e2e_room.room_id, other_user.user_id)
        assert isinstance(invited, nio.RoomInviteResponse), invited
        assert isinstance(await other.join(e2e_room.room_id), nio.JoinResponse)
        settings = replace(bot_settings(e2e_room.synapse, e2e_room.bot), trust="verified")
        adapter = MatrixAdapter(
            settings,
            e2e_room.state,
            admins=frozenset({f"matrix:{e2e_room.member.user_id}"}),
            store_path=e2e_room.store,
            **FAST,
        )
        await adapter.start(Inbox())
        try:
            await wait_for(
                lambda: adapter.encryption.encrypts(adapter.client, e2e_room.room_id),
                message="the bot has joined",
            )
            sent = await adapter.post(
                ChatRef(PLATFORM, e2e_room.room_id), Rendered("for verified eyes"), key="v-1"
            )
        finally:
            await adapter.close()
        seen = await wait_for_event(
            e2e_room.client, e2e_room.room_id, bot_event(e2e_room.bot.user_id, "for verified")
        )
        assert seen["event_id"] == sent.message  # the cross-signed device reads it
        locked = await wait_for_event(
            other, e2e_room.room_id, lambda e: e.get("event_id") == sent.message, consume=False
        )
        for _ in range(3):  # room keys would have come by now
            await sync_into_buffer(other, timeout_ms=100)
        assert locked["type"] == "m.room.encrypted"
        pending = await wait_for_event(
            other, e2e_room.room_id, lambda e: e.get("event_id") == sent.message, consume=False
        )
        assert pending["type"] == "m.room.encrypted"  # still: no key for the unsigned device
        logged = [r.getMessage() for r in caplog.records]
        assert any(other_user.device_id in m and "not cross-signed" in m for m in logged)
        assert any(e2e_room.member.device_id in m and "is cross-signed" in m for m in logged)
    finally:
        await other.close()


async def test_a_lost_store_means_a_new_device_that_works(
    e2e_room: E2ERoom, caplog: pytest.LogCaptureFixture
) -> None:
    """The store folder is gone but the database still names the old device, whose keys
    the homeserver holds: new keys for it would be refused, so the bot logs in as a new
    device (said in the log), and members read what it sends from then on."""
    first = await e2e_room.started(Inbox())
    old_device = first.device_id
    await first.post(ChatRef(PLATFORM, e2e_room.room_id), Rendered("before the loss"), key="l-1")
    await first.close()
    await asyncio.to_thread(shutil.rmtree, e2e_room.store)
    caplog.set_level(logging.WARNING, logger="bot.adapters.matrix.login")
    second = await e2e_room.started(Inbox())
    try:
        assert second.device_id != old_device
        assert any("logging in as a new device" in r.getMessage() for r in caplog.records)
        sent = await second.post(
            ChatRef(PLATFORM, e2e_room.room_id), Rendered("after the loss"), key="l-2"
        )
        seen = await wait_for_event(
            e2e_room.client, e2e_room.room_id, bot_event(e2e_room.bot.user_id, "after the loss")
        )
        assert seen["event_id"] == sent.message
    finally:
        await second.close()
