"""The adapter against Discord as it really behaves (issue 10), with the fake's production
defaults: the invite link's permissions only, threads that archive on the test clock,
locked threads, forums with required and moderated tags, MESSAGE_UPDATEs that are not
edits, the nonce window, catch-up across threads, and slash commands in DMs."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.adapters.base import AdapterError, PermissionFailure
from bot.adapters.discord import PLATFORM, DiscordAdapter, render, sent
from bot.adapters.discord.errors import RejectedFailure, ThreadLockedFailure, failure_of
from bot.core.models import ChatRef, IncomingMessage, MessageEdited, Rendered
from bot.storage.sqlite.store import SqliteStore
from bot.storage.types import OutboxItem
from tests.contract.suite import Inbox
from tests.discord.conftest import Scene, StartAdapter, make_adapter
from tests.discord_fake import FakeDiscord, Perm

Started = tuple[DiscordAdapter, Inbox]
DAY = 24 * 3600.0


def general(scene: Scene) -> ChatRef:
    return ChatRef(PLATFORM, str(scene.general.id))


def card(title: str = "An article") -> Rendered:
    return Rendered(f"{title}\nWhat it says.", title=title, url="https://example.org/a")


async def admin_dms(fake: FakeDiscord, scene: Scene) -> list[str]:
    dm = fake.dm_channel(scene.mod)
    return [m["content"] for m in fake.messages_in(dm)]


# ---- the fake's defaults ---------------------------------------------------------------------


def test_the_bot_has_only_what_the_invite_link_grants(
    fake_discord: FakeDiscord, scene: Scene
) -> None:
    role = next(r for r in scene.guild.roles.values() if r.managed)
    assert int(role.permissions) == 309237730368  # the README's invite link
    perms = fake_discord.world.permissions_for(fake_discord.bot.id, scene.general)
    assert not perms & Perm.MANAGE_THREADS and not perms & Perm.MANAGE_MESSAGES


# ---- 1. edits in archived and locked threads ------------------------------------------------


async def test_an_edit_in_an_archived_thread_unarchives_it_and_lands(
    fake_discord: FakeDiscord, scene: Scene, adapter: Started
) -> None:
    bot = adapter[0]
    opened = await bot.open_thread(general(scene), "1. A point", card("1. A point"), key="t1")
    archived = await fake_discord.advance(DAY + 60)  # idle past auto_archive_duration
    assert [t["id"] for t in archived] == [opened.thread]
    await bot.edit(opened, Rendered("Answered: yes."))
    assert fake_discord.message(opened.message)["content"] == "Answered: yes."
    thread = fake_discord.channel(opened.thread)
    assert not thread.archived  # it archives again by itself after the next idle day
    await fake_discord.advance(DAY + 60)
    assert thread.archived


async def test_a_locked_thread_fails_the_row_with_its_reason_and_tells_admins_once(
    fake_discord: FakeDiscord, scene: Scene, start_adapter: StartAdapter
) -> None:
    bot, _ = await start_adapter(admins=frozenset({f"discord:{scene.mod.id}"}))
    opened = await bot.open_thread(general(scene), "2. A point", card("2. A point"), key="t2")
    await fake_discord.archive_thread(opened.thread, locked=True)
    for _ in range(2):
        with pytest.raises(ThreadLockedFailure) as caught:
            await bot.edit(opened, Rendered("Answered: no."))
        assert not caught.value.retryable
        assert "locked" in caught.value.detail
    await fake_discord.flush()
    assert len(await admin_dms(fake_discord, scene)) == 1  # told by the edit itself
    with pytest.raises(ThreadLockedFailure):  # a reply there too: 160005, not "rejected"
        await bot.reply(opened, Rendered("Hi"), mention=None, key="r-locked")
    await fake_discord.flush()
    told = await admin_dms(fake_discord, scene)
    assert len(told) == 1 and "locked" in told[0], told


# ---- 2. no summary lost to a missing Embed Links ---------------------------------------------


async def test_without_embed_links_the_summary_goes_out_as_text(
    fake_discord: FakeDiscord, scene: Scene, adapter: Started
) -> None:
    fake_discord.set_bot_permissions(scene.general, deny=Perm.EMBED_LINKS)
    bot = adapter[0]
    seen = bot.client.get_channel(scene.general.id)
    await fake_discord.wait_until(lambda: seen.overwrites)  # type: ignore[union-attr]
    posted = await bot.post(general(scene), card("Big news"), key="s1")
    sent = fake_discord.message(posted.message)
    assert "Big news" in sent["content"] and "What it says." in sent["content"]
    opened = await bot.open_thread(general(scene), "1. Point", card("1. Point"), key="t3")
    inside = [m for m in fake_discord.messages_in(opened.thread) if m["author"]["id"] != "0"]
    assert any("What it says." in m["content"] for m in inside)  # never created but empty
    again = await bot.open_thread(general(scene), "1. Point", card("1. Point"), key="t3")
    assert again.thread == opened.thread  # the text opening is found by its ref too


def test_an_empty_message_answer_is_not_a_failure_for_good() -> None:
    import discord

    class Response:
        status = 400
        reason = "Bad Request"

    exc = discord.HTTPException(
        Response(), {"code": 50006, "message": "Cannot send an empty message"}
    )  # type: ignore[arg-type]
    failure = failure_of(exc, "post", "123")
    assert failure.retryable and isinstance(failure, PermissionFailure)
    assert "Embed Links" in failure.detail


# ---- 3. MESSAGE_UPDATEs that are not edits ---------------------------------------------------


async def test_a_link_preview_or_a_thread_start_is_not_an_edit(
    fake_discord: FakeDiscord, scene: Scene, adapter: Started
) -> None:
    _, inbox = adapter
    said = await fake_discord.member_says(scene.alice, scene.general, "!ask See https://x.org ?")
    await inbox.message("!ask See https://x.org ?")
    await fake_discord.member_creates_thread(scene.bob, scene.general, "talk", message=said)
    await fake_discord.member_edits(scene.alice, said, "!ask See https://x.org, really?")
    await fake_discord.wait_until(lambda: any(isinstance(e, MessageEdited) for e in inbox.events))
    edits = [e for e in inbox.events if isinstance(e, MessageEdited)]
    assert [e.text for e in edits] == ["!ask See https://x.org, really?"]


# ---- 4. forums with tags ---------------------------------------------------------------------


async def test_a_moderated_tag_is_skipped_and_a_required_tag_missing_is_reported(
    fake_discord: FakeDiscord, scene: Scene, start_adapter: StartAdapter
) -> None:
    open_forum = fake_discord.add_forum_channel(
        scene.guild, "open", tags=["article", "point"], moderated=["article"]
    )
    strict = fake_discord.add_forum_channel(
        scene.guild, "strict", tags=["article", "point"], moderated=["article", "point"],
        require_tag=True,
    )  # fmt: skip
    bot, _ = await start_adapter(admins=frozenset({f"discord:{scene.mod.id}"}))
    posted = await bot.post(ChatRef(PLATFORM, str(open_forum.id)), card("News"), key="f1")
    assert fake_discord.channel(posted.thread).applied_tags == []  # "article" is moderated
    with pytest.raises(PermissionFailure) as caught:
        await bot.post(ChatRef(PLATFORM, str(strict.id)), card("News"), key="f2")
    assert caught.value.retryable and "tag" in caught.value.detail
    await fake_discord.flush()
    told = await admin_dms(fake_discord, scene)
    assert len(told) == 1 and "not moderated" in told[0], told
    assert fake_discord.threads_in(strict) == []  # kept in the outbox, nothing half-made


# ---- 5. nonces outside Discord's window -------------------------------------------------------


async def test_a_resend_after_the_nonce_window_finds_the_first_message(
    fake_discord: FakeDiscord, scene: Scene, start_adapter: StartAdapter
) -> None:
    # Both on the test clock: Discord's window (the fake's 300 s) and the adapter's 60 s.
    bot, _ = await start_adapter(clock=fake_discord.world.now)
    first = await bot.post(general(scene), Rendered("Hello once"), key="n1")
    soon = await bot.post(general(scene), Rendered("Hello once"), key="n1")
    assert soon.message == first.message  # within the window: Discord's enforce_nonce
    await fake_discord.advance(301)  # past it: Discord itself would create a second one
    again = await bot.post(general(scene), Rendered("Hello once"), key="n1")
    assert again.message == first.message
    sent = [m for m in fake_discord.messages_in(scene.general) if m["content"] == "Hello once"]
    assert len(sent) == 1


# ---- 6. catch-up reads every thread ------------------------------------------------------------


async def test_catch_up_reads_member_started_threads_and_archived_point_threads(
    fake_discord: FakeDiscord, scene: Scene, start_adapter: StartAdapter
) -> None:
    bot, _ = await start_adapter()
    await bot.post(general(scene), Rendered("Summary"), key="c1")
    point = await bot.open_thread(general(scene), "1. Point", card("1. Point"), key="c2")
    await bot.close()
    # While the bot is away: a member starts a thread and asks there; a question lands in
    # the point thread, which then archives.
    said = await fake_discord.member_says(scene.alice, scene.general, "Thoughts")
    await fake_discord.member_creates_thread(scene.bob, scene.general, "side", message=said)
    await fake_discord.member_says(scene.bob, said["id"], "Is side talk seen?")
    await fake_discord.member_says(scene.alice, point.thread, "Is point 1 sure?")
    await fake_discord.advance(DAY + 60)
    assert fake_discord.channel(point.thread).archived
    bot2, inbox = await start_adapter()
    await asyncio.wait_for(bot2.inbound.caught_up.wait(), 10)
    texts = [e.text for e in inbox.events if isinstance(e, IncomingMessage)]
    assert sorted(texts) == ["Is point 1 sure?", "Is side talk seen?", "Thoughts"]
    bot2.inbound.start_catch_up()  # a second pass hands nothing over twice
    assert not bot2.inbound.caught_up.is_set()
    await asyncio.wait_for(bot2.inbound.caught_up.wait(), 10)
    assert len([e for e in inbox.events if isinstance(e, IncomingMessage)]) == 3


# ---- 7. thread error codes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "kind", "retryable"),
    [
        (160005, 400, ThreadLockedFailure, False),
        (50083, 400, ThreadLockedFailure, False),
        (160006, 400, AdapterError, True),  # too many active threads: later
        (160002, 403, PermissionFailure, True),
        (40067, 400, PermissionFailure, True),
        (40066, 400, PermissionFailure, True),
    ],
)
def test_thread_error_codes_map_to_what_the_outbox_does(
    code: int, status: int, kind: type, retryable: bool
) -> None:
    import discord

    class Response:
        reason = "Bad"

    Response.status = status  # type: ignore[attr-defined]
    exc = discord.HTTPException(Response(), {"code": code, "message": "x"})  # type: ignore[arg-type]
    failure = failure_of(exc, "edit", "1")
    assert isinstance(failure, kind) and not isinstance(failure, RejectedFailure)
    assert failure.retryable is retryable


# ---- 8. slash commands in DMs ------------------------------------------------------------------


async def test_slash_commands_that_make_sense_in_dms_work_there(
    fake_discord: FakeDiscord, scene: Scene, adapter: Started
) -> None:
    _, inbox = adapter
    by_name: dict[str, Any] = {c["name"]: c for c in fake_discord.commands()}
    for name in ("questions", "queue", "answer", "help"):
        assert by_name[name]["contexts"] == [0, 1], name
        assert by_name[name]["integration_types"] == [0], name
    assert by_name["ask"]["contexts"] == [0]
    dm = fake_discord.dm_channel(scene.alice)
    record = await fake_discord.member_slash_command(scene.alice, dm, "questions")
    await record.response()
    message = await inbox.message("!questions")
    assert message.is_direct
    with pytest.raises(LookupError):
        await fake_discord.member_slash_command(scene.alice, dm, "vote", {"question": 1})


async def test_first_attempt_notes_no_undelivered_row_needs_are_deleted(
    fake_discord: FakeDiscord,
    scene: Scene,
    start_adapter: StartAdapter,
    db: SqliteStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One ``sent/`` note per message ever sent would grow without end: at start, and
    every PRUNE_EVERY first attempts, notes older than the oldest undelivered Discord row
    (less the hour of clock skew) go; younger ones, and anything not a time, stay."""
    bot, _ = await start_adapter()
    now = time.time()
    day = 86400.0
    pending_since = datetime.fromtimestamp(now - day, UTC)
    async with db.transaction() as tx:  # a Discord row undelivered for a day
        await tx.outbox.add(
            OutboxItem(
                key="stuck",
                op="post",
                where=ChatRef(PLATFORM, str(scene.general.id)),
                message=Rendered("stuck"),
                purpose="response",
            ),
            pending_since,
        )
    notes = {
        "sent/old": now - 3 * day,
        "sent/before-the-stuck-row": now - day - 7200,
        "sent/within-the-skew": now - day - 1800,
        "sent/the-stuck-row": now - day + 5,
        "sent/recent": now - 60,
    }
    for name, at in notes.items():
        await bot.state.put(name, repr(at))
    await bot.state.put("sent/not-a-time", "garbage")
    await bot.state.put("thread/abc", repr(now - 3 * day))  # another kind of note

    async def kept() -> set[str]:
        names = [*notes, "sent/not-a-time", "thread/abc"]
        return {n for n in names if await bot.state.get(n) is not None}

    needed_by_the_stuck_row = {
        "sent/within-the-skew",
        "sent/the-stuck-row",
        "sent/recent",
        "sent/not-a-time",
        "thread/abc",
    }
    again = make_adapter(fake_discord, db)
    await again.start(Inbox())  # a start prunes
    try:
        assert await kept() == needed_by_the_stuck_row
    finally:
        await again.close()
    # Delivered at last: only the skew hour before now is kept, pruned after new sends.
    async with db.transaction() as tx:
        [row] = await tx.outbox.pending()
        await tx.outbox.mark_done(row.id, None, datetime.now(UTC))
    monkeypatch.setattr(sent, "PRUNE_EVERY", 2)
    bot.sent_before.noted = 0
    await bot.post(general(scene), Rendered("one"), key="p1")
    assert await kept() == needed_by_the_stuck_row  # one first attempt: not yet
    await bot.post(general(scene), Rendered("two"), key="p2")
    assert await kept() == {"sent/recent", "sent/not-a-time", "thread/abc"}
    assert await bot.state.get(f"sent/{render.nonce('p2')}") is not None
