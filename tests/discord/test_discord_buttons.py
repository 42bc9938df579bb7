"""The "Keep mine separate" button on Discord, through discord.py and the loopback Discord:
it is posted with the duplicate acknowledgement, survives a restart, acts once, and only
for the asker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord import render
from bot.core.models import Action, IncomingMessage
from tests.discord.conftest import Scene
from tests.discord.test_discord_end_to_end import World, close_world, make_world, poll
from tests.discord_fake import FakeDiscord, InteractionRecord
from tests.reads import reads

Q3 = 'Please explain what you mean by "clandestine arms transfers" in point 3.'
DUP = 'What do you mean by "clandestine arms transfers"?'


@pytest.fixture
async def world(fake_discord: FakeDiscord, scene: Scene, tmp_path: Path) -> AsyncIterator[World]:
    w = await make_world(fake_discord, scene, tmp_path)
    yield w
    await close_world(w)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in message.get("components") or [] for b in row["components"]]


async def folded(world: World) -> dict[str, Any]:
    """Alice asks #1, Bob's #2 repeats it; returns the bot's acknowledgement to Bob."""
    await world.publish_seed()
    await world.say(world.scene.alice, world.general, Q3)
    await world.questions(world.scene.alice, 1)
    dup = await world.say(world.scene.bob, world.general, DUP)
    [ack] = await world.fake.wait_until(lambda: world.bot_replies_to(dup))
    return ack


async def merged_into(world: World, qid: int) -> int | None:
    q = await reads(world.store).questions.get(qid)
    assert q is not None
    return q.merged_into


async def reply_of(world: World, record: InteractionRecord) -> str:
    """The core's reply to a press (the "thinking…" placeholder replaced)."""
    await world.fake.wait_until(lambda: record.edits)
    assert record.ephemeral and record.content is not None
    return record.content


async def test_custom_ids_carry_the_command_without_the_prefix() -> None:
    assert render.custom_id("!separate 12", "!") == "pointbot:cmd:separate 12"
    assert render.command_of("pointbot:cmd:separate 12", "?") == "?separate 12"
    assert render.command_of("someone-else:12", "!") is None
    assert render.custom_id("?separate 12", "!") is None  # not a command of this bot
    assert render.custom_id("!ask " + "x" * 90, "!") is None  # over Discord's 100 characters
    view = render.view_of([Action("Keep mine separate", "!separate 12")] * 2, "!")
    assert view is not None and view.is_finished()  # a layout only: discord.py keeps no copy
    assert [b.to_component_dict() for b in view.children] == [  # type: ignore[attr-defined]
        {
            "type": 2,
            "style": 2,
            "label": "Keep mine separate",
            "custom_id": "pointbot:cmd:separate 12",
            "disabled": False,
        }
    ]
    assert render.view_of([], "!") is None


async def test_the_duplicate_acknowledgement_carries_the_button(world: World) -> None:
    ack = await folded(world)
    assert "!separate 2" in ack["content"]  # the text names the command the button stands for
    [button] = buttons(ack)
    assert button["label"] == "Keep mine separate" and button["style"] == 2
    assert button["custom_id"] == "pointbot:cmd:separate 2"
    assert await merged_into(world, 2) == 1
    first = next(
        m for m in world.fake.messages_in(world.general) if m["content"].startswith("Thanks")
    )
    assert buttons(first) == []  # a question of its own has nothing to separate


async def test_a_press_after_a_restart_separates_for_the_asker_only(world: World) -> None:
    ack = await folded(world)
    await world.restart_adapter()  # nothing of the button survives but the message itself

    refused = await world.fake.member_presses_button(world.scene.alice, ack["id"])
    assert (await refused.response())["type"] == 5  # deferred at once, privately
    said = await reply_of(world, refused)
    assert said.startswith("Only the person who asked #2 can keep it separate")
    assert await merged_into(world, 2) == 1

    pressed = await world.fake.member_presses_button(
        world.scene.bob, ack["id"], label="Keep mine separate"
    )
    said = await reply_of(world, pressed)
    assert said == (
        "Your question #2 is back in the author's queue as a question of its own, apart from #1."
    )
    assert await merged_into(world, 2) is None
    press = [
        e for e in world.delivered if isinstance(e, IncomingMessage) and e.text == "!separate 2"
    ]
    assert [(e.author.id, e.where.message, e.where.channel) for e in press] == [
        (str(world.scene.alice.id), f"interaction:{refused.id}", str(world.general)),
        (str(world.scene.bob.id), f"interaction:{pressed.id}", str(world.general)),
    ]
    history = await reads(world.store).questions.history(2)
    kept = [e for e in history if (e.note or "").startswith("kept separate")]
    assert [e.actor_key for e in kept] == [f"discord:{world.scene.bob.id}"]
    assert world.fake.messages_in(world.general)[-1]["id"] == ack["id"]  # nothing said in public

    # The author folds #2 in again; the same press delivered again, in this process and
    # after another restart, changes nothing: it acted once.
    merge = await world.say(world.scene.author, world.general, "!merge 2 into 1")
    await world.fake.wait_until(lambda: world.bot_replies_to(merge))
    assert await merged_into(world, 2) == 1
    await world.fake.replay_interaction(pressed)
    await world.restart_adapter()
    await world.fake.replay_interaction(pressed)
    await poll(lambda: _handled(world, pressed, 2))
    await world.bot.delivery.drain()
    assert await merged_into(world, 2) == 1
    history = await reads(world.store).questions.history(2)
    assert len([e for e in history if (e.note or "").startswith("kept separate")]) == 1
    assert len(pressed.edits) == 1 and pressed.followups == []


async def _handled(world: World, record: InteractionRecord, times: int) -> bool:
    """The core was handed this interaction ``times`` times."""
    ref = f"interaction:{record.id}"
    seen = [e for e in world.delivered if isinstance(e, IncomingMessage) and e.where.message == ref]
    return len(seen) == times


async def test_a_slash_ask_duplicate_offers_the_button_too(world: World) -> None:
    await world.publish_seed()
    await world.say(world.scene.alice, world.general, Q3)
    await world.questions(world.scene.alice, 1)
    asked = await world.fake.member_slash_command(
        world.scene.mod, world.thread(3), "ask", {"question": DUP}
    )
    await world.fake.wait_until(lambda: "looks like question #1" in (asked.content or ""))
    assert asked.original is not None and not asked.ephemeral
    [button] = buttons(world.fake.message(asked.original.id))
    assert button["custom_id"] == "pointbot:cmd:separate 2"
    pressed = await world.fake.member_presses_button(world.scene.mod, asked.original.id)
    assert (await reply_of(world, pressed)).startswith("Your question #2 is back in")
    [q] = await world.questions(world.scene.mod, 1)
    assert q.merged_into is None and q.where.thread == str(world.thread(3))
