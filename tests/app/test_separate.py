"""!separate: the asker of a question folded into another keeps theirs apart, in one step."""

from __future__ import annotations

from bot.core.models import Action, ChatRef, QuestionStatus, ReactionAdded
from bot.runtime import Bot
from tests.fakes import FakeChatAdapter, Sent
from tests.reads import reads

Q3 = 'Please explain what you mean by "clandestine arms transfers" in point 3.'
DUP = 'What do you mean by "clandestine arms transfers"?'
KEEP_2 = (Action("Keep mine separate", "!separate 2"),)


async def ask(bot: Bot, fake: FakeChatAdapter, who: str, text: str, **kw: object) -> ChatRef:
    ref = await fake.say(fake.user(who), text, **kw)  # type: ignore[arg-type]
    await bot.delivery.drain()
    return ref


def reply_to(fake: FakeChatAdapter, ref: ChatRef) -> Sent:
    [reply] = [s for s in fake.sent if s.reply_to == ref]
    return reply


async def folded(bot: Bot, fake: FakeChatAdapter) -> ChatRef:
    """Dana asks #1; Lee's #2 repeats it and is folded in. Returns Lee's message."""
    await ask(bot, fake, "dana", Q3)
    dup = await ask(bot, fake, "lee", DUP)
    q2 = await reads(bot.store).questions.get(2)
    assert q2 is not None and q2.merged_into == 1
    return dup


async def test_the_duplicate_acknowledgement_names_the_command_and_offers_it_as_a_button(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    first = await ask(bot, fake, "dana", Q3)
    plain = reply_to(fake, first)
    assert plain.message is not None and plain.message.actions == ()  # nothing to undo
    dup = await ask(bot, fake, "lee", DUP)
    told = reply_to(fake, dup)
    assert "looks like question #1" in told.text and "!separate 2" in told.text
    assert told.message is not None and told.message.actions == KEEP_2


async def test_the_asker_separates_and_their_question_is_queued_on_its_own(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    dup = await folded(bot, fake)
    kim = fake.user("kim")
    await bot.conversation.handle(ReactionAdded(kim, reply_to(fake, dup).where, "👍"))
    repo = reads(bot.store).questions
    q1 = await repo.get(1)
    assert q1 is not None and q1.votes == 2  # Lee's (by the merge) and Kim's (on #2's ack)

    command = await ask(bot, fake, "lee", "!separate 2")
    said = reply_to(fake, command)
    assert said.text == (
        "Your question #2 is back in the author's queue as a question of its own, apart from #1."
    )
    assert said.mention is None and said.message is not None and said.message.actions == ()
    q1, q2 = await repo.get(1), await repo.get(2)
    assert q2 is not None and q2.merged_into is None and q2.status is QuestionStatus.QUEUED
    assert q2.votes == 1  # Kim's vote went with #2 ...
    assert q1 is not None and q1.votes == 0  # ... and Lee's merge vote left #1
    [event] = [e for e in await repo.history(2) if e.actor_key == "fake:lee" and e.note]
    assert event.note == "kept separate by its asker (was merged into #1)"

    queue = await ask(bot, fake, "author", "!queue")
    listing = reply_to(fake, queue).text
    assert "#2 (1 vote) Lee: What do you mean" in listing
    assert "#1 (0 votes) Dana: Please explain" in listing

    await ask(bot, fake, "author", "!answer 1 Undeclared deliveries.")
    told = [s for s in fake.sent if "answered your question" in s.text]
    assert [s.mention.id for s in told if s.mention] == ["dana"]  # Lee waits for #2's answer

    again = await ask(bot, fake, "lee", "!separate 2")
    assert reply_to(fake, again).text == (
        "Question #2 is already a question of its own; nothing changed."
    )


async def test_only_the_asker_may_separate(bot: Bot, fake: FakeChatAdapter) -> None:
    await folded(bot, fake)
    repo = reads(bot.store).questions
    events = len(await repo.history(2))
    for who in ("kim", "author", "admin"):
        command = await ask(bot, fake, who, "!separate 2")
        refusal = reply_to(fake, command).text
        assert refusal.startswith("Only the person who asked #2 can keep it separate")
        assert "!ask --new" in refusal
    q2 = await repo.get(2)
    assert q2 is not None and q2.merged_into == 1
    assert len(await repo.history(2)) == events


async def test_unknown_unmerged_and_closed_questions_are_left_alone(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await folded(bot, fake)
    unknown = await ask(bot, fake, "lee", "!separate 99")
    assert reply_to(fake, unknown).text == "There is no question #99."
    own = await ask(bot, fake, "dana", "!separate 1")
    assert reply_to(fake, own).text == (
        "Question #1 is already a question of its own; nothing changed."
    )
    await ask(bot, fake, "author", "!answer 1 Undeclared deliveries.")
    late = await ask(bot, fake, "lee", "!separate 2")  # answered with #1 already
    assert reply_to(fake, late).text == "Question #2 was already answered; nothing changed."
    q2 = await reads(bot.store).questions.get(2)
    assert q2 is not None and q2.merged_into == 1 and q2.answer == "Undeclared deliveries."


async def test_an_author_merge_can_be_separated_by_its_asker_too(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await ask(bot, fake, "dana", Q3)
    await ask(bot, fake, "lee", "!ask --new point 3 Who would carry the transfers out?")
    await ask(bot, fake, "author", "!merge 2 into 1")
    [notice] = [s for s in fake.sent if "merged your question #2" in s.text]
    assert "!separate 2 makes it a question of its own again" in notice.text
    assert notice.message is not None and notice.message.actions == KEEP_2
    await ask(bot, fake, "lee", "!separate 2")
    q2 = await reads(bot.store).questions.get(2)
    assert q2 is not None and q2.merged_into is None


async def test_the_same_press_delivered_twice_acts_once(bot: Bot, fake: FakeChatAdapter) -> None:
    await folded(bot, fake)
    lee = fake.user("lee")
    await ask(bot, fake, "lee", "!separate 2", message_id="interaction:77")  # a button press
    await ask(bot, fake, "author", "!merge 2 into 1")  # the author folds it in again
    await fake.say(lee, "!separate 2", message_id="interaction:77")  # the press, replayed
    await bot.delivery.drain()
    repo = reads(bot.store).questions
    q2 = await repo.get(2)
    assert q2 is not None and q2.merged_into == 1  # the replay did nothing
    kept = [e for e in await repo.history(2) if (e.note or "").startswith("kept separate")]
    assert len(kept) == 1
