"""The Matrix adapter's parts: pure translation and rendering (recorded event dicts), then
the behaviour only a real homeserver shows (invites, roles, direct chats, encrypted rooms)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import nio
import pytest

from bot.adapters.base import NotFoundFailure, PermissionFailure, TemporaryFailure
from bot.adapters.matrix import PLATFORM, MatrixAdapter, render
from bot.adapters.matrix.errors import RejectedFailure, failure_of, txn_id
from bot.adapters.matrix.inbound import (
    Invite,
    Me,
    after_own_join,
    invite_verdict,
    strip_reply_fallback,
    translate,
)
from bot.adapters.matrix.roles import privileged_creators, role_from
from bot.adapters.matrix.sync import E2E_ROOM_NOTICE
from bot.config import MatrixSettings, Secret
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
from tests.contract.suite import Inbox

from .conftest import MakeClient, MakeUser
from .kit import MemoryState, message_from, new_adapter, room_history, send_text
from .synapse import SynapseServer, free_port, wait_for, wait_for_event

ME = Me("@pointbot:example.org", "pointbot")
ROOM = "!room:example.org"
ALICE = "@alice:example.org"


def event(content: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A recorded ``m.room.message`` from Alice (shape as Synapse delivers it)."""
    base = {
        "type": "m.room.message",
        "sender": ALICE,
        "event_id": "$ev1",
        "origin_server_ts": 1,
        "content": content,
    }
    return {**base, **extra}


# --- inbound translation -----------------------------------------------------------------


def test_plain_message_in_the_room() -> None:
    got = translate(ROOM, event({"msgtype": "m.text", "body": "hello"}), me=ME, display="Alice")
    assert got == IncomingMessage(
        UserRef(PLATFORM, ALICE, "Alice"), ChatRef(PLATFORM, ROOM, None, "$ev1"), "hello"
    )


def test_thread_message_has_its_root_and_no_fallback_reply() -> None:
    relates = {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": "$latest"},
    }
    got = translate(
        ROOM, event({"msgtype": "m.text", "body": "q?", "m.relates_to": relates}), me=ME
    )
    assert isinstance(got, IncomingMessage)
    assert got.where == ChatRef(PLATFORM, ROOM, "$root", "$ev1") and got.reply_to is None


def test_reply_inside_a_thread_keeps_what_it_replies_to() -> None:
    relates = {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": False,
        "m.in_reply_to": {"event_id": "$asked"},
    }
    got = translate(ROOM, event({"msgtype": "m.text", "body": "a", "m.relates_to": relates}), me=ME)
    assert isinstance(got, IncomingMessage)
    assert got.reply_to == ChatRef(PLATFORM, ROOM, "$root", "$asked")


def test_rich_reply_fallback_is_stripped() -> None:
    body = "> <@bob:example.org> the original\n> second line\n\nmy actual reply"
    content = {
        "msgtype": "m.text",
        "body": body,
        "m.relates_to": {"m.in_reply_to": {"event_id": "$o"}},
    }
    got = translate(ROOM, event(content), me=ME)
    assert isinstance(got, IncomingMessage)
    assert got.text == "my actual reply" and got.reply_to == ChatRef(PLATFORM, ROOM, None, "$o")
    assert strip_reply_fallback("> just a quote I typed") == "> just a quote I typed"


def test_bot_mention_and_pill_are_stripped_from_the_start() -> None:
    content = {
        "msgtype": "m.text",
        "body": "pointbot: clarify point 3",
        "format": "org.matrix.custom.html",
        "formatted_body": (
            '<a href="https://matrix.to/#/@pointbot:example.org">pointbot</a>: clarify point 3'
        ),
        "m.mentions": {"user_ids": [ME.user_id]},
    }
    got = translate(ROOM, event(content), me=ME)
    assert isinstance(got, IncomingMessage)
    assert got.text == "clarify point 3" and got.mentions_bot
    by_id = translate(
        ROOM, event({"msgtype": "m.text", "body": "@pointbot:example.org, hi"}), me=ME
    )
    assert isinstance(by_id, IncomingMessage) and by_id.text == "hi" and by_id.mentions_bot
    for body in ("pointbots are fun", "pointbot is a word here"):
        other = translate(ROOM, event({"msgtype": "m.text", "body": body}), me=ME)
        assert isinstance(other, IncomingMessage) and not other.mentions_bot
        assert other.text == body
    typed = translate(ROOM, event({"msgtype": "m.text", "body": "@pointbot what now?"}), me=ME)
    assert isinstance(typed, IncomingMessage) and typed.text == "what now?"


def test_own_messages_state_and_media_are_not_for_the_core() -> None:
    assert (
        translate(ROOM, event({"msgtype": "m.text", "body": "x"}, sender=ME.user_id), me=ME) is None
    )
    assert translate(ROOM, event({"msgtype": "m.image", "body": "a.png"}), me=ME) is None
    assert translate(ROOM, event({}, type="m.room.topic", state_key=""), me=ME) is None
    assert translate(ROOM, event({}), me=ME) is None  # a redacted message


def test_edit_names_the_original_and_carries_the_new_text() -> None:
    content = {
        "msgtype": "m.text",
        "body": "* Why point 3?",
        "m.new_content": {"msgtype": "m.text", "body": "Why point 3?"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": "$orig"},
    }
    got = translate(ROOM, event(content), me=ME)
    assert got == MessageEdited(
        UserRef(PLATFORM, ALICE), ChatRef(PLATFORM, ROOM, message="$orig"), "Why point 3?"
    )


def test_redactions_old_and_new_room_versions() -> None:
    old = event({}, type="m.room.redaction", redacts="$gone")
    new = event({"redacts": "$gone"}, type="m.room.redaction")
    expected = MessageDeleted(ChatRef(PLATFORM, ROOM, message="$gone"), UserRef(PLATFORM, ALICE))
    assert translate(ROOM, old, me=ME) == expected
    assert translate(ROOM, new, me=ME) == expected


def test_reaction_is_an_annotation() -> None:
    content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$t", "key": "👍"}}
    got = translate(ROOM, event(content, type="m.reaction"), me=ME)
    assert got == ReactionAdded(
        UserRef(PLATFORM, ALICE), ChatRef(PLATFORM, ROOM, message="$t"), "👍"
    )


def test_history_before_the_bots_join_is_dropped() -> None:
    old = event({"msgtype": "m.text", "body": "old question?"}, event_id="$old")
    join = {
        "type": "m.room.member",
        "state_key": ME.user_id,
        "sender": ME.user_id,
        "event_id": "$join",
        "content": {"membership": "join"},
    }
    new = event({"msgtype": "m.text", "body": "new"}, event_id="$new")
    profile = {**join, "event_id": "$nick", "unsigned": {"prev_content": {"membership": "join"}}}
    assert after_own_join([old, join, new], ME) == [new]
    assert after_own_join([old, profile, new], ME) == [old, profile, new]


def test_invite_policy() -> None:
    admins, rooms = frozenset({f"matrix:{ALICE}"}), frozenset({"!configured:example.org"})

    def verdict(invite: Invite, author: bool = False) -> tuple[bool, str]:
        return invite_verdict(invite, admins=admins, rooms=rooms, inviter_is_author=author)

    assert verdict(Invite("!x:e", ALICE, False, False, None))[0]
    assert verdict(Invite("!configured:example.org", "@eve:e", False, False, None))[0]
    # The alias in the invite's stripped state is the inviting server's word: ignored.
    lying = Invite("!elsewhere:evil.example", "@eve:e", False, False, "!configured:example.org")
    assert not verdict(lying)[0]
    ok, why = invite_verdict(
        Invite("!x:e", ALICE, False, False, None), admins=admins, rooms=rooms, allowed=False
    )
    assert not ok and "allowed_rooms" in why
    # A direct chat with an admin is no community's room: the allow list leaves it be.
    assert invite_verdict(
        Invite("!dm:e", ALICE, True, False, None), admins=admins, rooms=rooms, allowed=False
    )[0]
    assert verdict(Invite("!dm:e", "@author:e", True, False, None), author=True)[0]
    assert not verdict(Invite("!x:e", "@author:e", False, False, None), author=True)[0]
    ok, why = verdict(Invite("!x:e", "@eve:e", False, False, None))
    assert not ok and "not an admin" in why


# --- outgoing content --------------------------------------------------------------------


def test_text_is_escaped_and_room_pings_defused() -> None:
    content = render.notice(Rendered("<script>alert(1)</script> hi @room\nnext"))
    assert "<script>" not in content["formatted_body"]
    assert content["formatted_body"].startswith("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert content["formatted_body"].endswith("<br>next")
    assert "@room" not in content["body"] and "@room" not in content["formatted_body"]
    assert content["m.mentions"] == {"user_ids": []}
    assert content["msgtype"] == "m.notice" and content["format"] == "org.matrix.custom.html"


def test_article_html_is_sanitised() -> None:
    dirty = (
        '<p onclick="x()">Hi <b>there</b><script>evil()</script>'
        '<a href="javascript:alert(1)">bad</a> <a href="https://ok.example/">good</a>'
        '<img src="https://x/y.png"><iframe src="https://x">framed</iframe> @ROOM<i>open'
    )
    clean = render.sanitise_html(dirty)
    assert clean == (
        "<p>Hi <b>there</b><a>bad</a> "
        '<a href="https://ok.example/">good</a> @\u2060ROOM<i>open</i></p>'
    )


def test_mention_is_a_pill_in_html_a_name_in_body_and_listed() -> None:
    eve = UserRef(PLATFORM, "@eve:example.org", "<b>Eve</b> @room")
    content = render.notice(Rendered("Your answer"), mention=eve)
    assert content["m.mentions"] == {"user_ids": ["@eve:example.org"]}
    assert content["formatted_body"].startswith(
        '<a href="https://matrix.to/#/@eve:example.org">&lt;b&gt;Eve&lt;/b&gt; @\u2060room</a>: '
    )
    assert content["body"] == "<b>Eve</b> @\u2060room: Your answer"


def test_relations_for_threads_and_replies() -> None:
    assert render.in_thread("$root") == {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": "$root"},
    }
    assert render.reply_to("$q", "$root")["is_falling_back"] is False
    assert render.reply_to("$q", None) == {"m.in_reply_to": {"event_id": "$q"}}
    edit = render.replacement("$mine", Rendered("new text"))
    assert edit["m.new_content"]["body"] == "new text" and edit["body"] == "* new text"
    assert edit["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$mine"}


def test_errors_become_contract_failures() -> None:
    limited = failure_of(nio.RoomSendError("slow down", "M_LIMIT_EXCEEDED", 1500), "post")
    assert isinstance(limited, TemporaryFailure) and limited.retry_after == 1.5
    assert isinstance(failure_of(nio.RoomSendError("no", "M_FORBIDDEN"), "post"), PermissionFailure)
    assert isinstance(failure_of(nio.RoomSendError("?", "M_NOT_FOUND"), "post"), NotFoundFailure)
    assert isinstance(failure_of(nio.RoomSendError("unknown error"), "post"), TemporaryFailure)
    assert txn_id("in:matrix:!r:s:$e:ack:1") == txn_id("in:matrix:!r:s:$e:ack:1")
    assert txn_id("a").isalnum() and txn_id("a") != txn_id("b")


def test_too_large_is_not_retried() -> None:
    class Transport:
        status = 413

    resp = nio.RoomSendError("too big", "M_TOO_LARGE")
    resp.transport_response = Transport()  # type: ignore[assignment]
    failure = failure_of(resp, "post")
    assert isinstance(failure, RejectedFailure) and not failure.retryable


def test_room_creators_rank_above_power_levels_from_room_version_12() -> None:
    v12 = {"sender": "@c:e", "content": {"room_version": "12", "additional_creators": ["@d:e"]}}
    v11 = {"sender": "@c:e", "content": {"room_version": "11"}}
    assert privileged_creators(v12) == {"@c:e", "@d:e"} and privileged_creators(v11) == set()
    levels = {"users": {"@mod:e": 50}, "users_default": 0}
    assert role_from("@mod:e", levels, frozenset()) is Role.ADMIN
    assert role_from("@c:e", levels, frozenset({"@c:e"})) is Role.ADMIN
    assert role_from("@x:e", levels, frozenset()) is Role.MEMBER


# --- against Synapse ---------------------------------------------------------------------


async def _is(key: str, expected: str) -> bool:
    return key == expected


def _bot_notice(bot: str, body: str) -> Any:
    return message_from(bot, lambda e: e["content"].get("body") == body)


async def test_joins_admin_invites_and_ignores_strangers(
    synapse: SynapseServer,
    make_user: MakeUser,
    matrix_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot, admin, stranger = make_user("bot"), make_user("admin"), make_user("stranger")
    admin_c, stranger_c = await matrix_client(admin), await matrix_client(stranger)
    adapter = new_adapter(
        synapse, bot, MemoryState(), admins=frozenset({f"matrix:{admin.user_id}"})
    )
    caplog.set_level(logging.INFO, logger="bot.adapters.matrix")
    assert not adapter.is_connected
    await adapter.start(Inbox())
    try:
        theirs = (await stranger_c.room_create(invite=[bot.user_id])).room_id
        ours = (await admin_c.room_create(invite=[bot.user_id])).room_id

        async def joined() -> bool:
            members = await admin_c.joined_members(ours)
            return bot.user_id in [m.user_id for m in members.members]

        await wait_for(joined, timeout=10)
        await wait_for(
            lambda: f"ignoring invite to {theirs} from {stranger.user_id}" in caplog.text
        )
        members = await stranger_c.joined_members(theirs)
        assert bot.user_id not in [m.user_id for m in members.members]
        assert adapter.is_connected
    finally:
        await adapter.close()
    assert not adapter.is_connected


async def test_first_start_skips_history_and_delivers_edits_redactions_reactions(
    synapse: SynapseServer, make_user: MakeUser, matrix_client: MakeClient
) -> None:
    bot, admin = make_user("bot"), make_user("admin")
    admin_c = await matrix_client(admin)
    room = (await admin_c.room_create(invite=[bot.user_id])).room_id
    await send_text(admin_c, room, "an old question before the bot ever ran?")
    inbox = Inbox()
    adapter = new_adapter(
        synapse, bot, MemoryState(), admins=frozenset({f"matrix:{admin.user_id}"})
    )
    await adapter.start(inbox)
    try:
        asked = await send_text(admin_c, room, "a new question?")
        await inbox.message("a new question?")
        await admin_c.room_send(
            room,
            "m.room.message",
            {
                "msgtype": "m.text",
                "body": "* a better question?",
                "m.new_content": {"msgtype": "m.text", "body": "a better question?"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": asked},
            },
        )
        await admin_c.room_send(
            room,
            "m.reaction",
            {"m.relates_to": {"rel_type": "m.annotation", "event_id": asked, "key": "👍"}},
        )
        await admin_c.room_redact(room, asked)
        await wait_for(lambda: any(isinstance(e, MessageDeleted) for e in inbox.events))
        kinds = [type(e).__name__ for e in inbox.events]
        assert kinds == ["IncomingMessage", "MessageEdited", "ReactionAdded", "MessageDeleted"]
        edited = inbox.events[1]
        assert isinstance(edited, MessageEdited) and edited.where.message == asked
        assert edited.text == "a better question?"
        deleted = inbox.events[3]
        assert isinstance(deleted, MessageDeleted) and deleted.where.message == asked
    finally:
        await adapter.close()


async def test_roles_from_power_levels_and_direct_chats(
    synapse: SynapseServer, make_user: MakeUser, matrix_client: MakeClient
) -> None:
    bot, admin, member = make_user("bot"), make_user("admin"), make_user("member")
    admin_c, member_c = await matrix_client(admin), await matrix_client(member)
    room = (await admin_c.room_create(invite=[bot.user_id, member.user_id])).room_id
    await member_c.join(room)
    adapter = new_adapter(
        synapse,
        bot,
        MemoryState(),
        admins=frozenset({f"matrix:{admin.user_id}"}),
        is_author=lambda key: _is(key, f"matrix:{member.user_id}"),  # e.g. added by !feed
    )
    await adapter.start(Inbox())
    try:
        where = ChatRef(PLATFORM, room)
        admin_ref, member_ref = UserRef(PLATFORM, admin.user_id), UserRef(PLATFORM, member.user_id)
        assert await adapter.role_of(admin_ref, where) is Role.ADMIN  # the room's creator
        assert await adapter.role_of(member_ref, where) is Role.MEMBER
        levels = await admin_c.room_get_state_event(room, "m.room.power_levels")
        content = dict(levels.content)
        content["users"] = {**content.get("users", {}), member.user_id: 50}
        await admin_c.room_put_state(room, "m.room.power_levels", content)

        async def promoted() -> bool:
            return await adapter.role_of(member_ref, where) is Role.ADMIN

        await wait_for(promoted, timeout=10)  # the sync brings the new power levels

        # A direct chat the member opens: they created it, yet it makes nobody an admin.
        dm = (
            await member_c.room_create(
                is_direct=True, invite=[bot.user_id], preset=nio.RoomPreset.trusted_private_chat
            )
        ).room_id
        await wait_for(lambda: adapter.state.direct_rooms.get(member.user_id) == dm, timeout=10)
        assert await adapter.role_of(member_ref, ChatRef(PLATFORM, dm)) is Role.MEMBER
        sent = await adapter.direct_message(member_ref, Rendered("hello in private"), key="dm-1")
        assert sent.channel == dm  # the chat they opened is reused
    finally:
        await adapter.close()


async def test_direct_message_opens_one_room_and_the_user_is_invited(
    synapse: SynapseServer, make_user: MakeUser, matrix_client: MakeClient
) -> None:
    bot, author = make_user("bot"), make_user("author")
    author_c = await matrix_client(author)
    adapter = new_adapter(synapse, bot, MemoryState())
    await adapter.start(Inbox())
    try:
        who = UserRef(PLATFORM, author.user_id)
        first = await adapter.direct_message(who, Rendered("your queue: 1 question"), key="dm-a")
        again = await adapter.direct_message(who, Rendered("your queue: 2 questions"), key="dm-b")
        assert first.channel == again.channel and first.message != again.message
        invite = await wait_for_event(
            author_c,
            first.channel,
            lambda e: e.get("type") == "m.room.member" and e.get("state_key") == author.user_id,
        )
        assert invite["content"].get("is_direct") is True
        await author_c.join(first.channel)
        await wait_for_event(
            author_c, first.channel, _bot_notice(bot.user_id, "your queue: 2 questions")
        )
        await author_c.room_leave(first.channel)  # they close the chat: the next one is new
        await wait_for(lambda: author.user_id not in adapter.state.direct_rooms, timeout=10)
        later = await adapter.direct_message(who, Rendered("your queue: empty"), key="dm-c")
        assert later.channel != first.channel
    finally:
        await adapter.close()


async def test_encrypted_rooms_are_explained_once_where_encryption_cannot_work(
    synapse: SynapseServer, make_user: MakeUser, matrix_client: MakeClient, tmp_path: Path
) -> None:
    """The store cannot be written (here: its parent is a file), so the bot cannot hold
    keys: it says so, once, in the room and to whoever invited it, with the reason."""
    bot, admin = make_user("bot"), make_user("admin")
    admin_c = await matrix_client(admin)
    (tmp_path / "a-file").write_text("not a folder")
    adapter = new_adapter(
        synapse,
        bot,
        MemoryState(),
        admins=frozenset({f"matrix:{admin.user_id}"}),
        store_path=tmp_path / "a-file" / "store",
    )
    assert adapter.encryption.reason is not None and "not writable" in adapter.encryption.reason
    assert adapter.warnings == [  # also printed at start-up
        f"Matrix: encrypted rooms cannot be read: {adapter.encryption.reason}"
    ]
    notice = E2E_ROOM_NOTICE.format(reason=adapter.encryption.reason)
    inbox = Inbox()
    await adapter.start(inbox)
    try:
        room = (await admin_c.room_create(invite=[bot.user_id])).room_id
        await wait_for_event(admin_c, room, lambda e: e.get("sender") == bot.user_id)
        # The admin turns encryption on later; then an undecryptable message arrives.
        megolm_algorithm = {"algorithm": "m.megolm.v1.aes-sha2"}
        await admin_c.room_put_state(room, "m.room.encryption", megolm_algorithm)
        megolm = {
            "algorithm": "m.megolm.v1.aes-sha2",
            "ciphertext": "AwgAEnACgAkLmt6qF84IK++J7UDH2Za1YVchHyprqTqsg",
            "sender_key": "IlRMeOPX2e0MurIyfWEucYBRVOEEUMrOHqn/8mLqMjA",
            "session_id": "X3lUlvLELLYxeTx4yOVu6UDpasGEVO0Jbu+QFnm0cKQ",
            "device_id": "RJYKSTBOIE",
        }
        for _ in range(2):
            sent = await admin_c.room_send(room, "m.room.encrypted", megolm)
            assert isinstance(sent, nio.RoomSendResponse), sent
        await wait_for_event(admin_c, room, _bot_notice(bot.user_id, notice))
        dm = await wait_for(lambda: adapter.state.direct_rooms.get(admin.user_id), timeout=10)
        await admin_c.join(dm)
        told = await wait_for_event(admin_c, dm, message_from(bot.user_id))
        assert room in told["content"]["body"] and "not writable" in told["content"]["body"]
        await send_text(admin_c, room, "plain marker")
        await inbox.message("plain marker")  # so the bot has handled everything before it
        notices = [e for e in await room_history(admin_c, room) if e["sender"] == bot.user_id]
        assert len(notices) == 1

        # Invited to a room encrypted from the start: told as soon as it joins.
        encryption = {"type": "m.room.encryption", "state_key": "", "content": megolm_algorithm}
        secret = (
            await admin_c.room_create(invite=[bot.user_id], initial_state=[encryption])
        ).room_id
        await wait_for_event(admin_c, secret, _bot_notice(bot.user_id, notice))
    finally:
        await adapter.close()


async def test_posting_where_the_bot_is_not_is_a_permission_failure(
    synapse: SynapseServer, make_user: MakeUser
) -> None:
    adapter = new_adapter(synapse, make_user("bot"), MemoryState())
    await adapter.start(Inbox())
    try:
        with pytest.raises(PermissionFailure):
            await adapter.post(ChatRef(PLATFORM, "!nowhere:localhost"), Rendered("x"), key="k")
    finally:
        await adapter.close()
    with pytest.raises(TemporaryFailure):  # closed: not connected, the outbox will retry
        await adapter.post(ChatRef(PLATFORM, "!nowhere:localhost"), Rendered("x"), key="k")


async def test_edits_and_reactions_of_the_bot(
    synapse: SynapseServer, make_user: MakeUser, matrix_client: MakeClient
) -> None:
    bot, admin = make_user("bot"), make_user("admin")
    admin_c = await matrix_client(admin)
    room = (await admin_c.room_create(invite=[bot.user_id])).room_id
    adapter = new_adapter(
        synapse, bot, MemoryState(), admins=frozenset({f"matrix:{admin.user_id}"})
    )
    await adapter.start(Inbox())
    try:
        where = ChatRef(PLATFORM, room)
        mine = await adapter.post(where, Rendered("draft <i>text</i>"), key="e-1")
        await adapter.edit(mine, Rendered("final text"))
        edit = await wait_for_event(
            admin_c, room, message_from(bot.user_id, lambda e: "m.new_content" in e["content"])
        )
        assert edit["content"]["m.relates_to"] == {
            "rel_type": "m.replace",
            "event_id": mine.message,
        }
        assert edit["content"]["m.new_content"]["body"] == "final text"
        asked = await send_text(admin_c, room, "react to this")
        for _ in range(2):  # same key: one reaction
            await adapter.react(ChatRef(PLATFORM, room, message=asked), "👀", key="r-1")
        await adapter.react(ChatRef(PLATFORM, room, message=asked), "👀", key="r-2")  # duplicate
        resp = await admin_c.room_messages(room, start=None, limit=50)
        reactions = [e for e in resp.chunk if e.source.get("type") == "m.reaction"]
        assert len(reactions) == 1
    finally:
        await adapter.close()


async def test_login_by_access_token_and_plain_failures(
    synapse: SynapseServer, make_user: MakeUser
) -> None:
    user = make_user("bot")
    by_token = MatrixAdapter(
        MatrixSettings(synapse.url, user.user_id, None, Secret(user.access_token)), MemoryState()
    )
    await by_token.start(Inbox())
    assert by_token.device_id == user.device_id
    await by_token.close()
    await by_token.close()  # twice is fine

    wrong = MatrixAdapter(
        MatrixSettings(synapse.url, user.user_id, Secret("not-the-password"), None), MemoryState()
    )
    with pytest.raises(PermissionFailure) as refused:
        await wrong.start(Inbox())
    assert "not-the-password" not in str(refused.value)

    nowhere = f"http://127.0.0.1:{free_port()}"
    down = MatrixAdapter(MatrixSettings(nowhere, user.user_id, Secret("x"), None), MemoryState())
    with pytest.raises(TemporaryFailure):
        await asyncio.wait_for(down.start(Inbox()), 10)
