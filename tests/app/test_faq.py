"""``!faq``: one FAQ message per article per channel, posted once, then edited when it changes."""

from __future__ import annotations

from bot.app.faq import Faq, faq_key
from bot.core.models import ArticleId, ChatRef, Platform, QuestionStatus
from bot.runtime import Bot
from tests.conftest import Clock
from tests.fakes import FakeChatAdapter
from tests.reads import reads

GENERAL = ChatRef(Platform("fake"), "#general")
ARTICLE = ArticleId(1)


async def ask(bot: Bot, fake: FakeChatAdapter, who: str, text: str) -> None:
    await fake.say(fake.user(who), text)
    await bot.delivery.drain()


async def answer(bot: Bot, fake: FakeChatAdapter, qid: int, text: str) -> None:
    await fake.say(fake.user("author"), f"!answer {qid} {text}")
    await bot.delivery.drain()


def faq_of(bot: Bot, clock: Clock) -> Faq:
    return Faq(bot.store, bot.delivery, clock)


async def test_first_faq_posts_answered_questions_only_grouped_by_point(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    await ask(bot, fake, "dana", "!ask point 3 What counts as clandestine here?")
    await ask(bot, fake, "lee", "!ask point 1 Why would Iran delay its response?")
    await ask(bot, fake, "kim", "!ask point 2 Which systems are meant exactly?")  # stays open
    await answer(bot, fake, 1, "Deliveries neither side announces.")
    await answer(bot, fake, 2, "To keep options open before Friday.")

    reply = await faq_of(bot, clock).post(GENERAL, ARTICLE)
    await bot.delivery.drain()
    assert "posted" in reply and "2 answered questions" in reply
    post = fake.sent[-1]
    assert post.op == "post" and post.where.channel == "#general" and post.where.thread is None
    assert post.text.startswith("FAQ — What Putin And Pezeshkian Will Likely Discuss")
    assert post.text.index("Point 1 —") < post.text.index("Point 3 —")
    assert "Q: What counts as clandestine here? — asked by Dana" in post.text
    assert "A: Deliveries neither side announces." in post.text
    assert "Which systems" not in post.text  # open questions are not in the FAQ
    assert post.key == faq_key(ARTICLE, GENERAL)


async def test_later_faq_edits_the_same_message_and_no_change_does_nothing(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    faq = faq_of(bot, clock)
    await ask(bot, fake, "dana", "!ask point 3 What counts as clandestine here?")
    await answer(bot, fake, 1, "Deliveries neither side announces.")
    await faq.post(GENERAL, ARTICLE)
    await bot.delivery.drain()
    posted = fake.sent[-1]

    await ask(bot, fake, "lee", "!ask point 1 Why would Iran delay its response?")
    await answer(bot, fake, 2, "To keep options open.")
    before = len(fake.sent)
    reply = await faq.post(ChatRef(Platform("fake"), "#general", "th-any", "m9"), ARTICLE)
    await bot.delivery.drain()
    assert "updated" in reply and "2 answered questions" in reply
    edit = fake.sent[-1]
    assert len(fake.sent) == before + 1
    assert edit.op == "edit" and edit.where == posted.where
    assert "To keep options open." in edit.text and "Deliveries" in edit.text

    again = await faq.post(GENERAL, ARTICLE)
    await bot.delivery.drain()
    assert "already up to date" in again
    assert len(fake.sent) == before + 1  # nothing sent

    # Back and forth: a corrected answer edits again, even to content seen before.
    await answer(bot, fake, 2, "Corrected answer.")
    assert "updated" in await faq.post(GENERAL, ARTICLE)
    await answer(bot, fake, 2, "To keep options open.")
    assert "updated" in await faq.post(GENERAL, ARTICLE)
    await bot.delivery.drain()
    assert "To keep options open." in fake.sent[-1].text
    assert "already up to date" in await faq.post(GENERAL, ARTICLE)


async def test_each_channel_gets_its_own_faq_message(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    faq = faq_of(bot, clock)
    await ask(bot, fake, "dana", "!ask point 3 What counts as clandestine here?")
    await answer(bot, fake, 1, "Deliveries neither side announces.")
    await faq.post(GENERAL, ARTICLE)
    reply = await faq.post(ChatRef(Platform("fake"), "#other"), ARTICLE)
    await bot.delivery.drain()
    assert "posted" in reply
    assert [s.where.channel for s in fake.sent if s.op == "post" and "FAQ" in s.text] == [
        "#general",
        "#other",
    ]


async def test_merged_duplicates_are_left_out_and_anonymous_askers_are_a_reader(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    await ask(bot, fake, "dana", "!ask --anonymous point 3 What counts as clandestine here?")
    await ask(bot, fake, "lee", "!ask point 3 Is a secret shipment clandestine?")
    await fake.say(fake.user("author"), "!merge 2 into 1")
    await answer(bot, fake, 1, "Deliveries neither side announces.")
    dup = await reads(bot.store).questions.get(2)
    # The duplicate is answered with its group, so only the merge keeps it out of the FAQ.
    assert dup is not None and dup.merged_into == 1 and dup.status is QuestionStatus.ANSWERED
    await faq_of(bot, clock).post(GENERAL, ARTICLE)
    await bot.delivery.drain()
    text = fake.sent[-1].text
    assert "asked by a reader" in text and "Dana" not in text
    assert "secret shipment" not in text
    assert text.count("Q: ") == 1


async def test_nothing_answered_yet_posts_nothing(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    await ask(bot, fake, "dana", "!ask point 3 What counts as clandestine here?")
    before = len(fake.sent)
    reply = await faq_of(bot, clock).post(GENERAL, ARTICLE)
    await bot.delivery.drain()
    assert "has been answered yet" in reply
    assert len(fake.sent) == before
    assert "There is no article 99" in await faq_of(bot, clock).post(GENERAL, ArticleId(99))


async def test_a_first_post_still_pending_is_reported_not_duplicated(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    faq = faq_of(bot, clock)
    await ask(bot, fake, "dana", "!ask point 3 What counts as clandestine here?")
    await answer(bot, fake, 1, "Deliveries neither side announces.")
    fake.fail_next = 1
    await faq.post(GENERAL, ARTICLE)
    await bot.delivery.drain()  # fails once, waits out its backoff
    assert "still on its way" in await faq.post(GENERAL, ARTICLE)
    clock.advance(60)
    await bot.delivery.drain()
    assert len([s for s in fake.sent if s.op == "post" and s.text.startswith("FAQ")]) == 1
    assert "already up to date" in await faq.post(GENERAL, ARTICLE)


async def test_a_post_that_failed_for_good_is_tried_again(
    bot: Bot, fake: FakeChatAdapter, clock: Clock
) -> None:
    faq = faq_of(bot, clock)
    gone = ChatRef(Platform("fake"), "#gone")
    await ask(bot, fake, "dana", "!ask point 3 What counts as clandestine here?")
    await answer(bot, fake, 1, "Deliveries neither side announces.")
    await faq.post(gone, ARTICLE)
    await bot.delivery.drain()
    key = faq_key(ARTICLE, gone)
    row = await bot.store.db.fetchone("SELECT status FROM outbox WHERE key = ?", (key,))
    assert row is not None and row[0] == "failed"
    assert "trying again" in await faq.post(gone, ARTICLE)
    row = await bot.store.db.fetchone("SELECT status, attempts FROM outbox WHERE key = ?", (key,))
    assert row is not None and tuple(row) == ("pending", 0)
