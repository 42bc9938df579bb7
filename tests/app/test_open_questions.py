"""The in-memory index of each point's open questions stays what the database says.

The duplicate check at intake reads candidates from :class:`OpenQuestionIndex`, not from
SQL; these tests drive every kind of change a question can go through (asked, merged by the
bot, kept separate, merged and unmerged by the author, answered, reopened, dismissed,
edited, withdrawn, a transaction rolled back) and check after each one that the index
holds exactly the open, unmerged questions the database holds.
"""

from __future__ import annotations

import pytest

from bot.core.models import ArticleId, ChatRef, MessageDeleted, MessageEdited
from bot.runtime import Bot
from bot.storage.types import NewQuestion
from tests.fakes import FakeChatAdapter
from tests.reads import reads

Q3 = 'Please explain what you mean by "clandestine arms transfers" in point 3.'
Q3_SAME = 'What do you mean by "clandestine arms transfers" in point 3?'
Q3_OTHER = "Point 3: why would Russia hide the transfers at all?"
Q3_THIRD = "Point 3: which countries received the S-300 systems?"


async def open_in_db(bot: Bot, point: int | None) -> dict[str, int]:
    rows = await bot.store.db.fetchall(
        "SELECT MIN(id) AS id, text FROM questions WHERE article_id = 1 AND point IS ? "
        "AND status = 'queued' AND merged_into IS NULL GROUP BY text",
        (point,),
    )
    return {r["text"]: r["id"] for r in rows}


async def in_index(bot: Bot, point: int | None) -> dict[str, int]:
    async with bot.store.transaction() as tx:
        s = await tx.questions.open_set(1, point)
    return dict(s.oldest)


async def check(bot: Bot, point: int | None = 3) -> dict[str, int]:
    expected = await open_in_db(bot, point)
    assert await in_index(bot, point) == expected
    return expected


async def say(bot: Bot, fake: FakeChatAdapter, who: str, text: str) -> None:
    await fake.say(fake.user(who), text)
    await bot.delivery.drain()


async def test_every_change_to_a_question_reaches_the_index(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await say(bot, fake, "dana", Q3)
    assert await check(bot) == {Q3: 1}
    await say(bot, fake, "lee", Q3_SAME)  # folded into #1 by the bot
    assert await check(bot) == {Q3: 1}
    await say(bot, fake, "lee", "!separate 2")
    assert await check(bot) == {Q3: 1, Q3_SAME: 2}
    await say(bot, fake, "kim", Q3_OTHER)
    await say(bot, fake, "author", "!merge 2 into 1")
    assert await check(bot) == {Q3: 1, Q3_OTHER: 3}
    await say(bot, fake, "author", "!unmerge 2")
    assert await check(bot) == {Q3: 1, Q3_SAME: 2, Q3_OTHER: 3}
    await say(bot, fake, "author", "!answer 1 Undeclared deliveries.")
    assert await check(bot) == {Q3_SAME: 2, Q3_OTHER: 3}
    await say(bot, fake, "author", "!reopen 1")
    assert await check(bot) == {Q3: 1, Q3_SAME: 2, Q3_OTHER: 3}
    await say(bot, fake, "author", "!dismiss 3 covered in point 4")
    assert await check(bot) == {Q3: 1, Q3_SAME: 2}


async def test_an_edit_and_a_deletion_by_the_asker_reach_the_index(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    asked = await fake.say(fake.user("dana"), Q3_OTHER)
    await bot.delivery.drain()
    assert await check(bot) == {Q3_OTHER: 1}
    await bot.conversation.handle(MessageEdited(fake.user("dana"), asked, Q3_THIRD))
    assert await check(bot) == {Q3_THIRD: 1}
    # The edited question now catches its own repeat.
    await say(bot, fake, "lee", Q3_THIRD)
    q2 = await reads(bot.store).questions.get(2)
    assert q2 is not None and q2.merged_into == 1
    await say(bot, fake, "kim", Q3_THIRD)  # #3 follows #1 too
    await bot.conversation.handle(MessageDeleted(asked))
    await bot.delivery.drain()
    # #1 is withdrawn; its followers are not orphaned: #2 takes its place, #3 follows #2.
    assert await check(bot) == {Q3_THIRD: 2}
    repo = reads(bot.store).questions
    q1, q2, q3 = [await repo.get(i) for i in (1, 2, 3)]
    assert q1 is not None and q1.status == "withdrawn"
    assert q2 is not None and q2.merged_into is None and q2.votes == 1  # kim's, via #3
    assert q3 is not None and q3.merged_into == 2
    told = [s for s in fake.sent if "back in the author's queue in its place" in s.text]
    assert [(t.reply_to, t.mention) for t in told] == [(q2.where, fake.user("lee"))]
    events = await repo.history(2)
    assert events[-1].note == "takes the place of #1, withdrawn"


async def test_a_rolled_back_transaction_leaves_no_trace_in_the_index(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await say(bot, fake, "dana", Q3)
    lee = fake.user("lee")
    where = ChatRef(fake.platform, "#general", None, "m-rolled-back")

    with pytest.raises(RuntimeError):
        async with bot.store.transaction() as tx:
            s = await tx.questions.open_set(1, 3)
            new = NewQuestion(ArticleId(1), 3, lee, where, Q3_OTHER)
            qid = await tx.questions.add(new, bot.conversation.clock())
            assert qid is not None
            await tx.questions.added_to(s, qid, Q3_OTHER, merged=False)
            assert Q3_OTHER in s.oldest  # the copy made inside the transaction has it...
            raise RuntimeError("crash before commit")
    assert await check(bot) == {Q3: 1}  # ...and is thrown away once the database says no


async def test_only_texts_sharing_a_term_are_candidates_and_repeats_count_once(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    for who in ("dana", "lee", "kim"):
        await say(bot, fake, who, "Point 3: could you elaborate?")  # no term: never merged
    await say(bot, fake, "ana", Q3_OTHER)
    index = bot.store.open_questions  # the SQLite store's index
    async with bot.store.transaction() as tx:
        s = await tx.questions.open_set(1, 3)
    assert s.oldest["Point 3: could you elaborate?"] == 1  # three questions, one text, oldest
    assert s.candidates("Why would anyone hide such transfers?") == [(4, 3, Q3_OTHER)]
    assert s.candidates("Point 3: could you elaborate?") == []
    loads = index.loads
    await say(bot, fake, "bo", Q3_THIRD)
    await say(bot, fake, "cy", "Point 3: and the S-300 systems went where?")
    assert index.loads == loads  # the transactions that grew the set kept it current


async def test_a_withdrawn_follower_no_longer_backs_the_question(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await say(bot, fake, "dana", Q3)
    dup = await fake.say(fake.user("lee"), Q3_SAME)  # folded into #1, backing it
    await bot.delivery.drain()
    repo = reads(bot.store).questions
    q1 = await repo.get(1)
    assert q1 is not None and q1.votes == 1
    await bot.conversation.handle(MessageDeleted(dup))
    q1, q2 = await repo.get(1), await repo.get(2)
    assert q2 is not None and q2.status == "withdrawn"
    assert q1 is not None and q1.votes == 0 and q1.status == "queued"
