"""The core loop as members and authors live it, on the fake platform and real SQLite."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.models import QuestionStatus
from bot.runtime import Bot
from bot.storage.sqlite.questions import SqliteQuestions
from tests.fakes import FakeChatAdapter
from tests.reads import reads

SEED_Q3 = 'Please explain what you mean by "clandestine arms transfers" in point 3.'
FOLLOW_UP = "Clandestine in what sense, by whose definition?"


async def test_seed_article_is_summarised_with_one_thread_per_point(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    posts = [s for s in fake.sent if s.op == "post"]
    assert len(posts) == 1
    summary = posts[0].text
    assert "What Putin And Pezeshkian Will Likely Discuss" in summary
    assert "Their Updated Strategic Partnership Document" in summary
    titles = [s.title for s in fake.threads()]
    assert titles == [
        "1. Iran’s Response To Israel’s Expected Retaliation",
        "2. Defense Systems For Deterrence & De-Escalation",
        "3. Their Updated Strategic Partnership Document",
        "4. Speculative Iranian Military Exports To Russia",
        "5. Their Disagreement Over The Zangezur Corridor",
    ]
    # The summary goes out before the threads, in the order they were planned.
    assert fake.sent[0].op == "post"


async def test_question_in_channel_is_stored_then_acknowledged(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    dana = fake.user("dana")
    asked = await fake.say(dana, SEED_Q3)
    await bot.delivery.drain()
    q = await reads(bot.store).questions.at_message(asked)
    assert q is not None and q.point == 3 and q.status is QuestionStatus.QUEUED
    assert q.asker.same_person(dana)
    ack = fake.sent[-1]
    assert ack.op == "reply" and ack.reply_to == asked
    assert f"#{q.id}" in ack.text and "point 3" in ack.text and "queued" in ack.text


async def test_follow_up_takes_its_point_from_the_thread_or_the_reply(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    repo = reads(bot.store).questions
    lee = fake.user("lee")
    thread = fake.thread_of_point(3)
    in_thread = await fake.say(lee, FOLLOW_UP, thread=thread.thread)
    first = await fake.say(fake.user("dana"), SEED_Q3)
    as_reply = await fake.say(lee, FOLLOW_UP, reply_to=first)
    bare = await fake.say(fake.user("kim"), FOLLOW_UP)
    points = [(await repo.at_message(ref)) for ref in (in_thread, as_reply, bare)]
    assert [q.point if q else "missing" for q in points] == [3, 3, None]


async def test_chatter_praise_and_opinions_are_left_alone(bot: Bot, fake: FakeChatAdapter) -> None:
    before = len(fake.sent)
    for text in ("Interesting analysis.", "IMHO the S-400 matters most in the short term."):
        await fake.say(fake.user("dana"), text)
    await bot.delivery.drain()
    assert len(fake.sent) == before
    assert await reads(bot.store).questions.count() == 0


async def test_a_point_that_does_not_exist_gets_the_list_and_nothing_is_stored(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await fake.say(fake.user("dana"), "Can you elaborate on point 9?")
    await bot.delivery.drain()
    reply = fake.sent[-1].text
    assert "no point 9" in reply and "points 1–5" in reply
    assert "3. Their Updated Strategic Partnership Document" in reply
    assert await reads(bot.store).questions.count() == 0


async def test_the_same_message_delivered_twice_acts_once(bot: Bot, fake: FakeChatAdapter) -> None:
    dana = fake.user("dana")
    await fake.say(dana, SEED_Q3, message_id="dup-1")
    await fake.say(dana, SEED_Q3, message_id="dup-1")
    await bot.delivery.drain()
    assert await reads(bot.store).questions.count() == 1
    assert sum("queued" in t for t in fake.texts("reply")) == 1


async def test_author_sees_queue_and_answer_reaches_the_asker_where_they_asked(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    dana, lee, author = fake.user("dana"), fake.user("lee"), fake.user("author")
    asked = await fake.say(dana, SEED_Q3)
    thread = fake.thread_of_point(3)
    followup = await fake.say(lee, FOLLOW_UP, thread=thread.thread)
    await fake.say(lee, "!vote 2")
    await bot.delivery.drain()

    await fake.say(author, "!queue")
    await bot.delivery.drain()
    queue = fake.sent[-1].text
    assert "point 3" in queue
    # Most votes first: #2 (1 vote) before #1 (0 votes).
    assert queue.index("#2 (1 vote)") < queue.index("#1 (0 votes)")

    await fake.say(author, "!answer 1 Weapons deliveries neither side announces.")
    await bot.delivery.drain()
    notice = next(s for s in fake.sent if "answered your question #1" in s.text)
    assert notice.reply_to == asked and notice.mention is not None
    assert notice.mention.same_person(dana)
    assert "Weapons deliveries neither side announces." in notice.text

    await fake.say(author, "!answer 2 Secret, in the plain sense.")
    await bot.delivery.drain()
    notice2 = next(s for s in fake.sent if "answered your question #2" in s.text)
    assert notice2.reply_to == followup and notice2.where.thread == thread.thread

    await fake.say(dana, "!questions")
    await bot.delivery.drain()
    assert "#1 — answered" in fake.sent[-1].text


async def test_members_cannot_use_author_commands(bot: Bot, fake: FakeChatAdapter) -> None:
    await fake.say(fake.user("dana"), SEED_Q3)
    await fake.say(fake.user("mallory"), "!answer 1 I am not the author")
    await bot.delivery.drain()
    assert "for authors only" in fake.sent[-1].text
    q = await reads(bot.store).questions.get(1)
    assert q is not None and q.status is QuestionStatus.QUEUED


async def test_dismissal_carries_its_reason_and_reopen_brings_it_back(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    author = fake.user("author")
    await fake.say(fake.user("dana"), SEED_Q3)
    await fake.say(author, "!dismiss 1 answered in the next article")
    await bot.delivery.drain()
    assert any("closed your question #1" in t and "next article" in t for t in fake.texts())
    await fake.say(author, "!dismiss 1 again")
    await bot.delivery.drain()
    assert "already" in fake.sent[-1].text
    await fake.say(author, "!reopen 1")
    await bot.delivery.drain()
    q = await reads(bot.store).questions.get(1)
    assert q is not None and q.status is QuestionStatus.QUEUED
    assert [e.to_status for e in await reads(bot.store).questions.history(1)] == [
        "queued",
        "dismissed",
        "queued",
    ]


async def test_two_authors_answering_at_once_only_one_wins(
    bot: Bot, fake: FakeChatAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    await fake.say(fake.user("dana"), SEED_Q3)
    # Both authors read #1 as queued before either writes: the race the compare-and-set
    # settles. (Reads finish without yielding, so the test makes each one yield after it.)
    read = SqliteQuestions.get

    async def read_then_yield(self: SqliteQuestions, qid: int) -> object:
        found = await read(self, qid)
        for _ in range(3):
            await asyncio.sleep(0)
        return found

    monkeypatch.setattr(SqliteQuestions, "get", read_then_yield)
    await asyncio.gather(
        fake.say(fake.user("author"), "!answer 1 first"),
        fake.say(fake.user("admin"), "!answer 1 second"),
    )
    await bot.delivery.drain()
    notices = [t for t in fake.texts() if "answered your question #1" in t]
    assert len(notices) == 1
    assert sum("was already answered" in t for t in fake.texts("reply")) == 1


async def test_unknown_commands_and_bad_usage_get_plain_answers(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await fake.say(fake.user("dana"), "!qeue")
    await bot.delivery.drain()
    assert "don't know the command" in fake.sent[-1].text and "!help" in fake.sent[-1].text
    await fake.say(fake.user("author"), "!answer")
    await bot.delivery.drain()
    assert "!answer" in fake.sent[-1].text
    await fake.say(fake.user("dana"), "!help")
    await bot.delivery.drain()
    assert "!ask" in fake.sent[-1].text and "!answer" not in fake.sent[-1].text


async def test_explicit_ask_command_stores_even_without_a_question_mark(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await fake.say(fake.user("dana"), "!ask point 2 the S-400 timeline")
    await bot.delivery.drain()
    q = await reads(bot.store).questions.get(1)
    assert q is not None and q.point == 2 and q.text == "the S-400 timeline"


async def test_an_edit_updates_the_question_and_a_deletion_withdraws_it(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    from bot.core.models import MessageDeleted, MessageEdited

    dana = fake.user("dana")
    asked = await fake.say(dana, SEED_Q3)
    repo = reads(bot.store).questions
    await bot.conversation.handle(MessageEdited(fake.user("lee"), asked, "hijacked?"))
    q = await repo.at_message(asked)
    assert q is not None and q.text == SEED_Q3  # only the asker's edits count
    await bot.conversation.handle(MessageEdited(dana, asked, "What are clandestine transfers?"))
    q = await repo.at_message(asked)
    assert q is not None and q.text == "What are clandestine transfers?"
    await bot.conversation.handle(MessageDeleted(asked))
    q = await repo.at_message(asked)
    assert q is not None and q.status is QuestionStatus.WITHDRAWN
    assert [e.note for e in await repo.history(q.id)][-1] == "message deleted"


async def test_an_update_to_an_ask_command_compares_the_question_as_stored(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    from bot.core.models import MessageEdited

    dana = fake.user("dana")
    asked = await fake.say(dana, "!ask point 2 the S-400 timeline")
    repo = reads(bot.store).questions
    q = await repo.at_message(asked)
    assert q is not None and q.text == "the S-400 timeline"
    # The platform sends the message's whole text again (a link preview, say): no change.
    await bot.conversation.handle(MessageEdited(dana, asked, "!ask point 2 the S-400 timeline"))
    q = await repo.at_message(asked)
    assert q is not None and q.text == "the S-400 timeline"
    assert not [e for e in await repo.history(q.id) if "edit" in (e.note or "")]
    await bot.conversation.handle(MessageEdited(dana, asked, "!ask point 2 the S-500 timeline"))
    q = await repo.at_message(asked)
    assert q is not None and q.text == "the S-500 timeline"  # the command is not the question


async def test_acknowledgement_by_reaction_when_configured(bot: Bot, fake: FakeChatAdapter) -> None:
    bot.conversation.acknowledge = "reaction"
    asked = await fake.say(fake.user("dana"), SEED_Q3)
    await bot.delivery.drain()
    assert fake.sent[-1].op == "react" and fake.sent[-1].text == "✅"
    assert fake.sent[-1].where == asked
    assert (await reads(bot.store).questions.at_message(asked)) is not None
