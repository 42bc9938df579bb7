"""Authors are told, not flooded: a direct message each, one digest a day, or nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.app.notify import Digests, queue_new_question_notices, set_preference, where_asked
from bot.core.models import ArticleId, ChatRef, Platform
from bot.runtime import Bot
from bot.storage.types import NewQuestion
from tests.conftest import Clock
from tests.fakes import FakeChatAdapter, Sent

AUTHOR = "fake:author"


async def ask(
    bot: Bot, fake: FakeChatAdapter, who: str, text: str, *, thread: str | None = None
) -> None:
    await fake.say(fake.user(who), text, thread=thread)
    await bot.delivery.drain()


async def notices_for(bot: Bot, clock: Clock, qid: int) -> int:
    """How many notices the question's storing transaction queued for it."""
    await bot.delivery.drain()
    row = await bot.store.db.fetchone(
        "SELECT COUNT(*) FROM outbox WHERE op = 'dm' AND key LIKE ?", (f"notify:{qid}:%",)
    )
    assert row is not None
    return int(row[0])


async def queue_again(bot: Bot, clock: Clock, qid: int) -> int:
    async with bot.store.transaction() as tx:
        return await queue_new_question_notices(tx, clock(), qid)


def dms(fake: FakeChatAdapter) -> list[Sent]:
    return [s for s in fake.sent if s.op == "dm"]


# each ------------------------------------------------------------------------------------


async def test_each_new_question_is_one_direct_message_to_the_author(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    thread = fake.thread_of_point(3)
    await ask(bot, fake, "dana", "What counts as clandestine in point 3?", thread=thread.thread)
    assert await notices_for(bot, clock, 1) == 1
    [dm] = dms(fake)
    assert dm.where.channel == "@author"
    assert "New question #1" in dm.text and "point 3 (Their Updated Strategic" in dm.text
    assert "from Dana" in dm.text and "> What counts as clandestine in point 3?" in dm.text
    assert "!answer 1 <your answer>" in dm.text
    assert "#general on fake (in a thread)" in dm.text
    # The same question never tells twice (a retried transaction, a replay).
    assert await queue_again(bot, clock, 1) == 0
    await bot.delivery.drain()
    assert len(dms(fake)) == 1


async def test_anonymous_asker_is_a_reader_in_the_notice(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    await ask(bot, fake, "dana", "!ask --anonymous point 2 Which systems exactly?")
    assert await notices_for(bot, clock, 1) == 1
    assert "from a reader" in dms(fake)[0].text and "Dana" not in dms(fake)[0].text


async def test_none_and_digest_authors_get_no_direct_message_per_question(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    await set_preference(bot.store, AUTHOR, "none", None, now=clock())
    await ask(bot, fake, "dana", "!ask point 2 Which systems exactly?")
    assert await notices_for(bot, clock, 1) == 0
    await set_preference(bot.store, AUTHOR, "digest", "18:00", now=clock())
    await ask(bot, fake, "lee", "!ask point 1 Why would Iran wait?")
    assert await notices_for(bot, clock, 2) == 0
    await set_preference(bot.store, AUTHOR, "each", None, now=clock())
    await ask(bot, fake, "kim", "!ask point 4 Which exports are meant?")
    assert await notices_for(bot, clock, 3) == 1
    assert len(dms(fake)) == 1


async def test_duplicates_and_the_authors_own_questions_tell_nobody(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    await ask(bot, fake, "author", "!ask point 2 Note to self: which systems?")
    assert await notices_for(bot, clock, 1) == 0
    now = clock()
    dup = NewQuestion(
        ArticleId(1), 2, fake.user("lee"), ChatRef(Platform("fake"), "#general"), "Same?", False, 1
    )
    async with bot.store.transaction() as tx:
        qid = await tx.questions.add(dup, now)
    assert qid is not None
    assert await queue_again(bot, clock, qid) == 0
    assert dms(fake) == []


def test_links_to_where_a_question_was_asked() -> None:
    matrix = ChatRef(Platform("matrix"), "!room:example.org", "$root", "$event")
    assert where_asked(matrix) == "https://matrix.to/#/!room:example.org/$event"
    discord = ChatRef(Platform("discord"), "111", "222", "333")
    assert where_asked(discord) == "<#222>"
    assert where_asked(ChatRef(Platform("discord"), "111", None, "333")) == "<#111>"


# preferences -----------------------------------------------------------------------------


async def test_preference_confirmations_and_validation(bot: Bot, clock: Clock) -> None:
    said = await set_preference(bot.store, AUTHOR, "digest", "7:05", now=clock())
    assert "07:05 UTC" in said
    row = await bot.store.db.fetchone(
        "SELECT notify, digest_at FROM author_prefs WHERE user_key = ?", (AUTHOR,)
    )
    assert row is not None and tuple(row) == ("digest", "07:05")
    assert "not a time of day" in await set_preference(bot.store, AUTHOR, "digest", "25:00")
    assert "not a choice" in await set_preference(bot.store, AUTHOR, "weekly", None)
    row = await bot.store.db.fetchone(
        "SELECT notify, digest_at FROM author_prefs WHERE user_key = ?", (AUTHOR,)
    )
    assert row is not None and tuple(row) == ("digest", "07:05")  # nothing changed
    assert "each new question" in await set_preference(bot.store, AUTHOR, "each", None)
    assert "not be told" in await set_preference(bot.store, AUTHOR, "none", None)
    # Back to a digest without a time: the time chosen before still holds.
    assert "07:05 UTC" in await set_preference(bot.store, AUTHOR, "digest", None)


# digest ----------------------------------------------------------------------------------


async def test_digest_is_one_message_at_the_chosen_time_with_every_new_question(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    await ask(bot, fake, "early", "!ask point 5 Asked before the choice?")
    clock.advance(60)
    await set_preference(bot.store, AUTHOR, "digest", "18:00", now=clock())  # at 09:01
    digests = Digests(bot.store, bot.delivery, clock)
    clock.advance(60)
    await ask(bot, fake, "dana", "!ask point 3 What counts as clandestine here?")
    await ask(bot, fake, "lee", "!ask point 1 Why would Iran wait?")
    await ask(bot, fake, "kim", "!ask --anonymous Who is this written for?")
    clock.now = clock.now.replace(hour=17, minute=59)
    assert await digests.send_due() == 0
    clock.now = clock.now.replace(hour=18, minute=0)
    assert await digests.send_due() == 1
    await bot.delivery.drain()
    [before, dm] = dms(fake)  # #1 was told at once: the author had not chosen a digest yet
    assert "New question #1" in before.text
    assert dm.where.channel == "@author"
    assert "3 new questions" in dm.text
    assert "#2 point 3" in dm.text and "#3 point 1" in dm.text and "#4 the whole article" in dm.text
    assert "— a reader:" in dm.text and "Kim" not in dm.text
    assert "#1 " not in dm.text  # asked before the author chose a digest
    assert dm.text.count("asked in #general on fake") == 3
    # Same slot again, or after a restart: nothing more.
    assert await digests.send_due() == 0
    assert await Digests(bot.store, bot.delivery, clock).send_due() == 0

    # The next day lists only what came since.
    clock.advance(3600)
    await ask(bot, fake, "ana", "!ask point 2 Which systems exactly?")
    clock.now = clock.now + timedelta(days=1)
    clock.now = clock.now.replace(hour=18, minute=0)
    assert await digests.send_due() == 1
    await bot.delivery.drain()
    last = dms(fake)[-1]
    assert len(dms(fake)) == 3 and "1 new question " in last.text
    assert "#5 point 2" in last.text and "#2 " not in last.text


async def test_no_new_questions_no_digest_and_answered_ones_are_left_out(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    await set_preference(bot.store, AUTHOR, "digest", "12:00", now=clock())
    digests = Digests(bot.store, bot.delivery, clock)
    clock.advance(1)
    await ask(bot, fake, "dana", "!ask point 3 What counts as clandestine here?")
    await ask(bot, fake, "author", "!answer 1 Deliveries neither side announces.")
    clock.now = clock.now.replace(hour=12)
    assert await digests.send_due() == 0
    await bot.delivery.drain()
    assert dms(fake) == []
    row = await bot.store.db.fetchone(
        "SELECT last_digest_at FROM author_prefs WHERE user_key = ?", (AUTHOR,)
    )
    assert row is not None and row[0].startswith("2026-01-05T12:00")


async def test_digest_of_many_questions_is_still_one_message_that_fits(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    await set_preference(bot.store, AUTHOR, "digest", "10:00", now=clock())
    clock.advance(60)
    now = clock()
    where = ChatRef(Platform("fake"), "#general")

    async with bot.store.transaction() as tx:
        for i in range(60):
            text = f"Question {i} about the partnership document, " + "and more " * 10
            q = NewQuestion(ArticleId(1), 1 + i % 5, fake.user(f"r{i}"), where, text)
            await tx.questions.add(q, now)
    clock.now = clock.now.replace(hour=10)
    assert await Digests(bot.store, bot.delivery, clock).send_due() == 1
    await bot.delivery.drain()
    [dm] = dms(fake)
    assert len(dm.text) <= 1900
    assert "60 new questions" in dm.text
    listed = dm.text.count("asked in")
    assert 0 < listed < 60 and f"… and {60 - listed} more" in dm.text


async def test_a_lost_bookmark_still_never_sends_a_slot_twice(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    await set_preference(bot.store, AUTHOR, "digest", "10:00", now=clock())
    clock.advance(1)
    await ask(bot, fake, "dana", "!ask point 3 What counts as clandestine here?")
    clock.now = clock.now.replace(hour=10)
    digests = Digests(bot.store, bot.delivery, clock)
    assert await digests.send_due() == 1
    # As if the bookmark were lost (a restore from backup): the slot's key still holds.
    await bot.store.db.execute(
        "UPDATE author_prefs SET last_digest_at = '2026-01-05T09:00:00+00:00'"
    )
    assert await digests.send_due() == 0
    await bot.delivery.drain()
    assert len(dms(fake)) == 1


async def test_run_sleeps_until_the_next_digest_at_most_a_minute_and_stops_when_cancelled(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    await set_preference(bot.store, AUTHOR, "digest", "18:00", now=clock())
    clock.advance(1)
    await ask(bot, fake, "dana", "!ask point 3 What counts as clandestine here?")
    clock.now = clock.now.replace(hour=17, minute=59, second=30)
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            raise asyncio.CancelledError
        clock.advance(seconds)

    digests = Digests(bot.store, bot.delivery, clock, sleep=fake_sleep)
    with pytest.raises(asyncio.CancelledError):
        await digests.run()
    assert waits == [30.0, 60.0, 60.0]
    await bot.delivery.drain()
    assert len(dms(fake)) == 1 and "1 new question" in dms(fake)[0].text


async def test_run_keeps_going_after_a_failing_pass(bot: Bot, clock: Clock) -> None:
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            raise asyncio.CancelledError

    digests = Digests(bot.store, bot.delivery, clock, sleep=fake_sleep)
    calls = 0

    async def broken() -> int:
        nonlocal calls
        calls += 1
        raise RuntimeError("boom")

    digests.send_due = broken  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await digests.run()
    assert calls == 2 and waits == [60.0, 60.0]
