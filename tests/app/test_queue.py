"""The author's queue: votes by reaction, merges, corrections, guard rails, history."""

from __future__ import annotations

from bot.adapters.base import Capabilities
from bot.config import QuestionSettings
from bot.core.models import MessageEdited, QuestionStatus, ReactionAdded
from bot.runtime import Bot
from tests.conftest import Clock
from tests.fakes import FakeChatAdapter
from tests.reads import reads

Q3 = 'Please explain what you mean by "clandestine arms transfers" in point 3.'
Q3_AGAIN = "Point 3: clandestine in what sense, by whose definition?"  # may repeat #1, not merged


async def ask(bot: Bot, fake: FakeChatAdapter, who: str, text: str, **kw: object):  # type: ignore[no-untyped-def]
    ref = await fake.say(fake.user(who), text, **kw)  # type: ignore[arg-type]
    await bot.delivery.drain()
    return ref


async def test_thumbs_up_on_a_question_or_its_acknowledgement_votes_once(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    asked = await ask(bot, fake, "dana", Q3)
    ack = fake.sent[-1].where
    repo = reads(bot.store).questions
    lee, kim = fake.user("lee"), fake.user("kim")
    await bot.conversation.handle(ReactionAdded(lee, asked, "👍"))
    await bot.conversation.handle(ReactionAdded(lee, ack, "👍"))  # same person: one vote
    await bot.conversation.handle(ReactionAdded(kim, ack, "👍"))
    await bot.conversation.handle(ReactionAdded(kim, ack, "🎉"))  # not a vote
    q = await repo.get(1)
    assert q is not None and q.votes == 2
    await bot.conversation.handle(ReactionAdded(kim, ack, "👍", removed=True))
    q = await repo.get(1)
    assert q is not None and q.votes == 1


async def test_merged_duplicate_follows_and_both_askers_get_one_answer(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    first = await ask(bot, fake, "dana", Q3)
    second = await ask(bot, fake, "lee", Q3_AGAIN)
    await ask(bot, fake, "kim", "!vote 2")
    author = fake.user("author")
    await ask(bot, fake, "author", "!merge 2 into 1")
    assert any("merged your question #2 into #1" in t for t in fake.texts())
    repo = reads(bot.store).questions
    q1 = await repo.get(1)
    assert q1 is not None and q1.votes == 2  # kim's vote on #2 and lee's own now back #1
    await fake.say(author, "!queue")
    await bot.delivery.drain()
    assert "#2" not in fake.sent[-1].text.split("Answer with")[0]
    await ask(bot, fake, "author", "!answer 2 no")  # a merged question is answered via #1
    assert "merged into #1" in fake.sent[-1].text
    await ask(bot, fake, "author", "!answer 1 Undeclared deliveries.")
    notices = [s for s in fake.sent if "answered your question" in s.text]
    assert {n.reply_to for n in notices} == {first, second}
    assert {n.mention.id for n in notices if n.mention} == {"dana", "lee"}
    assert "Lee" in fake.sent[-1].text or "1 others" in fake.sent[-1].text
    q2 = await repo.get(2)
    assert q2 is not None and q2.status is QuestionStatus.ANSWERED
    assert q2.answer == "Undeclared deliveries."


async def test_unmerge_puts_the_question_back_and_takes_the_merge_vote_away(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await ask(bot, fake, "dana", Q3)
    await ask(bot, fake, "lee", Q3_AGAIN)
    await ask(bot, fake, "author", "!merge 2 into 1")
    await ask(bot, fake, "author", "!unmerge 2")
    repo = reads(bot.store).questions
    q1, q2 = await repo.get(1), await repo.get(2)
    assert q1 is not None and q1.votes == 0
    assert q2 is not None and q2.merged_into is None
    assert "question of its own again" in fake.texts()[-2]
    await ask(bot, fake, "author", "!merge 1 into 1")
    assert "itself" in fake.sent[-1].text


async def test_answering_again_edits_the_answer_where_it_was_posted(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await ask(bot, fake, "dana", Q3)
    await ask(bot, fake, "author", "!answer 1 first try")
    notice = next(s for s in fake.sent if "answered your question #1" in s.text)
    record = next(s for s in fake.sent if s.text.startswith("Answered by Author: question #1"))
    await ask(bot, fake, "author", "!answer 1 second, better answer")
    edits = [s for s in fake.sent if s.op == "edit"]
    # Where Dana asked, and the record kept in point 3's thread.
    assert [e.where for e in edits] == [notice.where, record.where]
    assert all("second, better answer" in e.text for e in edits)
    assert "corrected in 2 places" in fake.sent[-1].text
    q = await reads(bot.store).questions.get(1)
    assert q is not None and q.answer == "second, better answer"


async def test_without_edits_a_visible_correction_is_posted(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    fake.capabilities = Capabilities(edits=False)
    asked = await ask(bot, fake, "dana", Q3)
    await ask(bot, fake, "author", "!answer 1 first try")
    await ask(bot, fake, "author", "!answer 1 fixed")
    correction = next(s for s in fake.sent if s.text.startswith("Correction"))
    assert correction.reply_to == asked and "fixed" in correction.text
    assert correction.mention is not None and correction.mention.id == "dana"


async def test_an_edit_obeys_the_rules_a_new_question_obeys(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    """Issue 19: an edit once skipped the length limit (and the rate and ignore list)."""
    from bot.core.models import MessageEdited

    bot.conversation.limits = QuestionSettings(max_chars=60, max_per_hour=3)
    repo = reads(bot.store).questions
    dana = fake.user("dana")
    asked = await ask(bot, fake, "dana", "Could you clarify point 3?")

    async def edit(text: str) -> str | None:
        await bot.conversation.handle(MessageEdited(dana, asked, text))
        await bot.delivery.drain()
        q = await repo.at_message(asked)
        assert q is not None
        return q.text

    long = "Could you clarify point 3 " + "and more " * 10 + "?"
    assert await edit(long) == "Could you clarify point 3?"
    assert fake.sent[-1].text.startswith("Question #1 keeps its earlier text; your edit was")
    assert "limit here is 60" in fake.sent[-1].text
    assert fake.sent[-1].reply_to == asked  # the answer is a reply to the edited message
    assert await edit("Could you clarify point 3, please?") == "Could you clarify point 3, please?"
    assert await edit("Could you clarify point 3 at all?") == "Could you clarify point 3 at all?"
    # One question and two edits make three this hour: the fourth change is refused.
    assert await edit("Point 3 again?") == "Could you clarify point 3 at all?"
    assert "questions in the last hour" in fake.sent[-1].text
    clock.advance(3601)
    assert await edit("Point 3 again?") == "Point 3 again?"
    await ask(bot, fake, "admin", "!ignore fake:dana flooding")
    assert await edit("Point 3, once more?") == "Point 3 again?"
    assert "not being taken" in fake.sent[-1].text


async def test_guard_rails_refuse_politely_and_store_nothing(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    bot.conversation.limits = QuestionSettings(max_chars=60, max_per_hour=2)
    repo = reads(bot.store).questions
    await ask(bot, fake, "dana", "Could you clarify point 3 " + "and more " * 10 + "?")
    assert "limit here is 60" in fake.sent[-1].text
    await ask(bot, fake, "dana", "Could you clarify point 3?")
    await ask(bot, fake, "dana", "Could you clarify point 4?")
    await ask(bot, fake, "dana", "Could you clarify point 5?")
    assert "questions in the last hour" in fake.sent[-1].text
    assert await repo.count() == 2
    clock.advance(3601)
    await ask(bot, fake, "dana", "Could you clarify point 5?")
    assert await repo.count() == 3
    await ask(bot, fake, "admin", "!ignore fake:mallory flooding")
    await ask(bot, fake, "mallory", "Could you clarify point 1?")
    assert "not being taken" in fake.sent[-1].text
    await ask(bot, fake, "dana", "!ignore fake:mallory")
    assert "for admins only" in fake.sent[-1].text
    assert await repo.count() == 3


async def test_anonymous_questions_show_a_reader_to_the_author(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await ask(bot, fake, "dana", "!ask --anonymous point 2 who supplies the S-400?")
    await ask(bot, fake, "author", "!queue")
    assert "a reader: who supplies" in fake.sent[-1].text and "Dana" not in fake.sent[-1].text
    q = await reads(bot.store).questions.get(1)
    assert q is not None and q.anonymous and q.asker.id == "dana"  # kept for moderators


async def test_history_shows_every_change_with_who_and_why(bot: Bot, fake: FakeChatAdapter) -> None:
    asked = await ask(bot, fake, "dana", Q3)
    await bot.conversation.handle(MessageEdited(fake.user("dana"), asked, Q3 + " Thanks!"))
    await ask(bot, fake, "author", "!dismiss 1 covered in the piece")
    await ask(bot, fake, "author", "!history 1")
    text = fake.sent[-1].text
    assert "fake:dana: queued" in text
    assert "edited by the asker" in text
    assert "fake:author: queued → dismissed — covered in the piece" in text


async def test_faq_and_notify_from_chat(bot: Bot, fake: FakeChatAdapter) -> None:
    await ask(bot, fake, "dana", Q3)
    dms = [s for s in fake.sent if s.op == "dm"]
    assert len(dms) == 1 and "New question #1" in dms[0].text  # the author is told at once
    await ask(bot, fake, "author", "!answer 1 Undeclared deliveries.")
    await ask(bot, fake, "author", "!faq")
    posts = [s for s in fake.sent if s.op == "post" and "Undeclared deliveries." in s.text]
    faq = [s for s in posts if s.where.thread is None]
    assert len(faq) == 1 and faq[0].where.channel == "#general"
    # The other post is the answer kept in point 3's thread (Dana asked in the channel).
    [record] = [s for s in posts if s.where.thread is not None]
    assert record.where.container() == fake.thread_of_point(3).container()
    await ask(bot, fake, "dana", "!faq")
    assert "for authors only" in fake.sent[-1].text
    await ask(bot, fake, "author", "!notify none")
    await ask(bot, fake, "lee", "Could you clarify point 2?")
    assert len([s for s in fake.sent if s.op == "dm"]) == 1
    await ask(bot, fake, "author", "!answer 2 The S-400.")
    await ask(bot, fake, "author", "!faq")
    assert [s.op for s in fake.sent if "The S-400." in s.text and s.op == "edit"] == ["edit"]


async def test_a_clear_duplicate_is_folded_in_and_told_unless_asked_anew(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    first = await ask(bot, fake, "dana", Q3)
    dup = await ask(bot, fake, "lee", 'What do you mean by "clandestine arms transfers"?')
    told = fake.sent[-1]
    assert told.reply_to == dup and "looks like question #1" in told.text
    assert "!separate 2 keeps it a question of its own" in told.text
    repo = reads(bot.store).questions
    q2 = await repo.get(2)
    assert q2 is not None and q2.merged_into == 1
    q1 = await repo.get(1)
    assert q1 is not None and q1.votes == 1  # Lee's question backs #1
    await ask(
        bot, fake, "kim", '!ask --new point 3 what do you mean by "clandestine arms transfers"?'
    )
    q3 = await repo.get(3)
    assert q3 is not None and q3.merged_into is None
    # A follow-up that only shares a word is not folded in (a wrong merge is worse).
    await ask(bot, fake, "ana", "Clandestine in what sense, by whose definition?", reply_to=first)
    q4 = await repo.get(4)
    assert q4 is not None and q4.merged_into is None
    await ask(bot, fake, "author", "!answer 1 Undeclared deliveries.")
    notices = [s for s in fake.sent if "answered your question" in s.text]
    assert {n.reply_to for n in notices} == {first, dup}


async def queue_text(bot: Bot, fake: FakeChatAdapter) -> str:
    await ask(bot, fake, "author", "!queue")
    return fake.sent[-1].text


async def test_queue_hints_that_a_paraphrase_may_repeat_an_older_question(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await ask(bot, fake, "dana", Q3)
    await ask(bot, fake, "lee", Q3_AGAIN)  # the seed's two reader comments: not merged
    q2 = await reads(bot.store).questions.get(2)
    assert q2 is not None and q2.merged_into is None
    lines = (await queue_text(bot, fake)).splitlines()
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("#2 "))
    assert lines[at + 1] == (
        "      may repeat #1 (same request in other words: clandestine, meaning) — !merge 2 into 1"
    )
    assert sum("may repeat" in line for line in lines) == 1  # #1 repeats nothing older
    await ask(bot, fake, "author", "!merge 2 into 1")  # the hint's command, in one step
    assert "may repeat" not in await queue_text(bot, fake)


async def test_queue_gives_no_hint_for_a_different_request_or_another_point(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await ask(bot, fake, "dana", Q3)
    await ask(bot, fake, "lee", "Could you clarify the BRICS Summit date in point 3?")
    await ask(bot, fake, "kim", "Point 4: clandestine in what sense, by whose definition?")
    text = await queue_text(bot, fake)
    assert "#2" in text and "#3" in text and "may repeat" not in text


async def test_an_auto_merged_duplicate_is_not_a_hint(bot: Bot, fake: FakeChatAdapter) -> None:
    await ask(bot, fake, "dana", Q3)
    await ask(bot, fake, "lee", 'What exactly are "clandestine arms transfers" in point 3?')
    q2 = await reads(bot.store).questions.get(2)
    assert q2 is not None and q2.merged_into == 1  # merged at intake
    text = await queue_text(bot, fake)
    assert "#2" not in text.split("Answer with")[0] and "may repeat" not in text


async def test_the_points_thread_keeps_answers_to_questions_asked_elsewhere(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    thread = fake.thread_of_point(3)
    await fake.say(fake.user("dana"), Q3, thread=thread.thread)  # asked in the thread
    await ask(bot, fake, "lee", "Point 3: which countries received the S-300 systems?")
    await ask(bot, fake, "author", "!answer 1 Undeclared deliveries.")
    await ask(bot, fake, "author", "!answer 2 None, officially.")
    records = [s for s in fake.sent if s.text.startswith("Answered by Author: question")]
    # #1's answer already went to the thread (where Dana asked); #2 was asked in the channel.
    assert [(r.text.split(",")[0], r.where.thread, r.mention) for r in records] == [
        (
            "Answered by Author: question #2 on point 3 "
            "(Their Updated Strategic Partnership Document)",
            thread.thread,
            None,
        )
    ]
    assert "asked by Lee" in records[0].text and "None, officially." in records[0].text


async def test_reopened_then_answered_again_edits_the_threads_record(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await ask(bot, fake, "dana", Q3)  # asked in the channel: the answer is kept in the thread
    await ask(bot, fake, "author", "!answer 1 First answer.")
    await ask(bot, fake, "author", "!reopen 1")
    await ask(bot, fake, "author", "!answer 1 Second answer.")
    records = [s for s in fake.sent if s.text.startswith("Answered by Author: question #1")]
    assert [r.op for r in records] == ["post", "edit"]  # one record, edited in place
    assert records[1].where == records[0].where and "Second answer." in records[1].text
