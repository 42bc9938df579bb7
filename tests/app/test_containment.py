"""One message's failure is contained: logged with its traceback, rolled back, claimed as
failed (never retried), answered once in plain words; the outbox and the digests fail one
row or one author at a time. On the fake platform and real SQLite."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime
from typing import Any

import pytest

from bot.app import texts
from bot.app.notify import Digests, set_preference
from bot.core.models import ChatRef, Platform, Rendered
from bot.runtime import Bot
from bot.storage.sqlite.notify import SqliteNotifications
from bot.storage.sqlite.outbox import SqliteOutbox
from bot.storage.types import OutboxItem
from tests.conftest import Clock
from tests.fakes import FakeChatAdapter
from tests.reads import reads

QUESTION = "Why would the corridor delay the partnership in point 5?"


def poison(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    """Taking a question whose text says "poison" raises inside its transaction."""
    index = bot.store.open_questions  # the SQLite store's index
    added = index.added

    def poisoned(raw: sqlite3.Connection, open_set: Any, qid: int, text: str, **kw: Any) -> None:
        if "poison" in text:
            raise RuntimeError("a bug while taking this question")
        added(raw, open_set, qid, text, **kw)

    monkeypatch.setattr(index, "added", poisoned)


async def test_a_failing_message_is_answered_once_rolled_back_and_never_retried(
    bot: Bot, fake: FakeChatAdapter, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    poison(bot, monkeypatch)
    before = len(fake.sent)
    dana = fake.user("dana")
    bad = await fake.say(dana, "What about the poison in point 3?", message_id="m-bad")
    await bot.delivery.drain()
    [reply] = fake.sent[before:]
    assert reply.op == "reply" and reply.reply_to == bad and reply.text == texts.WENT_WRONG
    assert await reads(bot.store).questions.count() == 0  # nothing half-written
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info is not None and "m-bad" in record.getMessage()
    assert await reads(bot.store).inbound.failed() == [
        (
            ChatRef(fake.platform, "#general", None, "m-bad"),
            "RuntimeError: a bug while taking this question",
        )
    ]
    # The same message again (a replay): not retried, not answered again.
    await fake.say(dana, "What about the poison in point 3?", message_id="m-bad")
    await bot.delivery.drain()
    assert len(fake.sent) == before + 1
    # And the bot goes on.
    asked = await fake.say(dana, QUESTION)
    await bot.delivery.drain()
    q = await reads(bot.store).questions.at_message(asked)
    assert q is not None and f"#{q.id}" in fake.sent[-1].text


async def test_a_failure_after_the_commit_is_logged_but_not_answered_twice(
    bot: Bot, fake: FakeChatAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    kick = bot.delivery.kick
    calls = 0

    def kick_fails_once() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("after the commit")
        kick()

    monkeypatch.setattr(bot.delivery, "kick", kick_fails_once)
    before = len(fake.sent)
    await fake.say(fake.user("dana"), QUESTION)
    await bot.delivery.drain()
    [ack] = [s for s in fake.sent[before:] if s.op == "reply"]
    assert "queued" in ack.text and texts.WENT_WRONG not in ack.text
    assert await reads(bot.store).questions.count() == 1
    assert await reads(bot.store).inbound.failed() == []


async def test_one_outbox_row_that_cannot_be_recorded_holds_back_only_its_channel(
    bot: Bot, fake: FakeChatAdapter, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    mark_done = SqliteOutbox.mark_done

    async def broken(self: SqliteOutbox, row_id: int, ref: Any, now: datetime) -> None:
        raw = bot.store.db.raw
        if raw.execute("SELECT key FROM outbox WHERE id = ?", (row_id,)).fetchone()[0] == "bad":
            raise RuntimeError("a bug while recording")
        await mark_done(self, row_id, ref, now)

    monkeypatch.setattr(SqliteOutbox, "mark_done", broken)
    async with bot.store.transaction() as tx:
        for key, channel in (("bad", "#one"), ("behind", "#one"), ("other", "#two")):
            where = ChatRef(Platform("fake"), channel)
            await tx.outbox.add(OutboxItem(key, "post", where, Rendered(key), "notice"), clock())
    await bot.delivery.deliver_due()  # does not raise
    counts = await reads(bot.store).outbox.counts()
    assert counts.get("pending") == 2  # "bad" waits for its retry, "behind" keeps the order
    assert [s.text for s in fake.sent[-2:]] == ["bad", "other"]


async def test_one_authors_failing_digest_does_not_stop_the_others(
    bot: Bot, fake: FakeChatAdapter, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for user in ("fake:author", "fake:broken"):
        await set_preference(bot.store, user, "digest", "18:00", now=clock())
    clock.advance(60)
    await fake.say(fake.user("dana"), "!ask point 3 " + QUESTION)
    new_questions_for = SqliteNotifications.new_questions_for
    seen: list[str] = []

    async def broken(self: SqliteNotifications, user_key: str, *args: Any) -> Any:
        seen.append(user_key)
        if user_key == "fake:broken":
            raise RuntimeError("a bug in one digest")
        return await new_questions_for(self, user_key, *args)

    monkeypatch.setattr(SqliteNotifications, "new_questions_for", broken)
    digests = Digests(bot.store, bot.delivery, clock)
    clock.now = clock.now.replace(hour=18, minute=0)
    assert await digests.send_due() == 1  # the author's, despite the broken one
    assert sorted(seen) == ["fake:author", "fake:broken"]
    assert await digests.send_due() == 0 and len(seen) == 2  # not retried every pass
