"""A correction edits exactly the messages that carried the earlier answer (issue 18, bug 1)."""

from __future__ import annotations

from bot.runtime import Bot
from tests.app.test_queue import Q3, ask
from tests.fakes import FakeChatAdapter


async def test_a_correction_after_merges_edits_only_the_answer_messages(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await ask(bot, fake, "dana", Q3)
    await ask(bot, fake, "lee", "!ask --new point 3 what counts as clandestine?")
    await ask(bot, fake, "kim", "!ask --new point 3 clandestine by whose definition?")
    await ask(bot, fake, "author", "!merge 2 into 1")
    await ask(bot, fake, "author", "!merge 3 into 1")
    merged = [s for s in fake.sent if "merged your question" in s.text]
    assert len(merged) == 2
    await ask(bot, fake, "author", "!answer 1 Undeclared deliveries.")
    answers = [s for s in fake.sent if "Undeclared deliveries." in s.text]
    assert len(answers) == 4  # three askers, and the record in point 3's thread
    await ask(bot, fake, "author", "!answer 1 Correction: deliveries neither side announces.")
    edits = [s for s in fake.sent if s.op == "edit"]
    assert sorted(e.where.message or "" for e in edits) == sorted(
        a.where.message or "" for a in answers
    )
    assert not {e.where for e in edits} & {m.where for m in merged}
    assert "corrected in 4 places" in fake.sent[-1].text


async def test_a_correction_after_a_dismissal_leaves_the_dismissal_notice(
    bot: Bot, fake: FakeChatAdapter
) -> None:
    await ask(bot, fake, "dana", Q3)
    await ask(bot, fake, "author", "!dismiss 1 covered in point 4")
    dismissal = next(s for s in fake.sent if "covered in point 4" in s.text and s.mention)
    await ask(bot, fake, "author", "!reopen 1")
    reopened = fake.sent[-2]
    await ask(bot, fake, "author", "!answer 1 a")
    await ask(bot, fake, "author", "!answer 1 b")
    edited = {s.where for s in fake.sent if s.op == "edit"}
    assert dismissal.where not in edited and reopened.where not in edited
    assert "corrected in 2 places" in fake.sent[-1].text
