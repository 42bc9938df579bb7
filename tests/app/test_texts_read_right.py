"""What the bot says reads right (issue 18, bug 7): !help <command>, names listed once."""

from __future__ import annotations

from bot.runtime import Bot
from tests.app.test_queue import Q3, ask
from tests.fakes import FakeChatAdapter


async def test_help_with_a_command_explains_that_command(bot: Bot, fake: FakeChatAdapter) -> None:
    await ask(bot, fake, "dana", "!help merge")
    said = fake.sent[-1].text
    assert said.startswith("!merge <number> into <number> — fold a duplicate into a question")
    assert "Example: !merge 7 into 3" in said and "!vote" not in said
    await ask(bot, fake, "dana", "!help")
    assert "!vote <number>" in fake.sent[-1].text  # without a topic: the list


async def test_one_asker_of_two_merged_questions_is_named_once(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await ask(bot, fake, "lee", Q3)
    await ask(bot, fake, "lee", "!ask --new point 3 and by whose definition?")
    await ask(bot, fake, "dana", "!ask --new point 3 who decides what is clandestine?")
    await ask(bot, fake, "author", "!merge 2 into 1")
    await ask(bot, fake, "author", "!merge 3 into 1")
    await ask(bot, fake, "author", "!answer 1 Deliveries nobody declares.")
    record = next(
        s for s in fake.sent if s.text.startswith("Answered by ") and "question #1 " in s.text
    )
    assert "asked by Lee and Dana:" in record.text
    assert fake.sent[-1].text == "Answer to #1 sent to Lee and Dana."
    assert not any("Lee and Lee" in t or "1 others" in t for t in fake.texts())
