"""Counts and name lists read right in every text (issue 18, bug 7)."""

from __future__ import annotations

from bot.core.command_help import DETAILS, command_help
from bot.core.commands import COMMANDS
from bot.core.models import Role
from bot.core.wording import count, names


def test_counts_and_names() -> None:
    assert count(1, "entry") == "1 entry" and count(2, "entry") == "2 entries"
    assert count(0, "place") == "0 places" and count(1, "place") == "1 place"
    assert names(["Dana"]) == "Dana"
    assert names(["Dana", "Lee"]) == "Dana and Lee"
    assert names(["Lee", "Lee"]) == "Lee"
    assert names(["Ana", "Bo", "Lu"]) == "Ana, Bo and Lu"
    assert names(["A", "B", "C", "D", "E", "F", "G"]) == "A, B, C, D, E and 2 others"
    assert names(["A", "B", "C", "D", "E", "F"]) == "A, B, C, D, E and 1 other"


def test_help_explains_each_command() -> None:
    assert set(DETAILS) == set(COMMANDS)
    said = command_help("answer", "!", Role.MEMBER)
    assert said.startswith("!answer <number> <text> — answer a question")
    assert "corrects the answer everywhere" in said and "(Not you, here.)" in said
    assert "Not you" not in command_help("q", "!", Role.MEMBER)  # an alias: !questions
    assert "Did you mean !help answer?" in command_help("answr", "!", Role.MEMBER)
