"""Table tests for bot.core.commands: the chat command grammar and its help text."""

from __future__ import annotations

import pytest

import bot.core.commands as cmd
from bot.core.commands import (
    ALIASES,
    COMMANDS,
    Answer,
    Ask,
    Command,
    CommandUsageError,
    Dismiss,
    Feed,
    Help,
    Points,
    Questions,
    Queue,
    Reopen,
    Separate,
    Unknown,
    Vote,
    help_text,
    parse_command,
)
from bot.core.models import Role

PARSES: list[tuple[str, Command | None]] = [
    # not commands: chatter
    ("hello there", None),
    ("", None),
    ("!!!", None),
    ("! wow", None),
    ("!wow!!", None),  # an exclamation, not a mistyped command
    ("!3 points", None),
    ("I said !ask earlier", None),
    # ask
    ("!ask why Friday?", Ask("why Friday?", None)),
    ("  !ask why Friday?", Ask("why Friday?", None)),
    ("!ASK Why Friday?", Ask("Why Friday?", None)),
    ("!ask point 3 what is clandestine?", Ask("what is clandestine?", 3)),
    ("!ask point3 why?", Ask("why?", 3)),
    ("!ask pt. 2 why?", Ask("why?", 2)),
    ("!ask p2 why?", Ask("why?", 2)),
    ("!ask #4 why?", Ask("why?", 4)),
    ("!ask point 3: why?", Ask("why?", 3)),
    ("!ask pointless question?", Ask("pointless question?", None)),
    ("!ask --new p2 why?", Ask("why?", 2, new=True)),
    ("!ask p2 --anonymous why?", Ask("why?", 2, anonymous=True)),
    ("!ask --anon --new why?", Ask("why?", None, new=True, anonymous=True)),
    ("!ask —new why?", Ask("why?", None, new=True)),  # a client turned "--" into an em dash
    ("!ask why\nand how?", Ask("why\nand how?", None)),
    ("!ask what about point 9?", Ask("what about point 9?", None)),  # the core checks the text
    # members' listings and help
    ("!questions", Questions()),
    ("!q", Questions()),
    ("!Questions please", Questions()),  # trailing words are ignored
    ("!points", Points()),
    ("!help", Help(None)),
    ("!help ask", Help("ask")),
    ("!help !ASK", Help("ask")),
    ("!help q", Help("questions")),
    ("!help?", Help(None)),
    ("!help nonsense", Help("nonsense")),
    ("!vote 12", Vote(12)),
    ("!vote #12", Vote(12)),
    ("!vote q12", Vote(12)),
    ("!vote Q12 good one", Vote(12)),
    ("!separate 12", Separate(12)),
    ("!separate #12", Separate(12)),
    ("!Separate q12 please", Separate(12)),
    ("!sep 12", Unknown("sep", "separate")),  # the only command it begins
    # author
    ("!queue", Queue()),
    ("!answer 12 Because of the summit.", Answer(12, "Because of the summit.")),
    ("!answer #12 It is.", Answer(12, "It is.")),
    ("!answer 12: It is.", Answer(12, "It is.")),
    (
        "!answer q7 First line.\n\n  Indented second.\n",
        Answer(7, "First line.\n\n  Indented second."),
    ),
    ("!answer 7\nOn the next line.\nAnd more.", Answer(7, "On the next line.\nAnd more.")),
    ("!dismiss 3", Dismiss(3, "")),
    ("!dismiss #3 duplicate of #2", Dismiss(3, "duplicate of #2")),
    ("!reopen 3", Reopen(3)),
    # admin
    ("!feed list", Feed("list", ())),
    ("!feed ADD https://example.com/rss 7", Feed("add", ("https://example.com/rss", "7"))),
    ("!feed pause 2", Feed("pause", ("2",))),
    # unknown
    ("!halp", Unknown("halp", "help")),
    ("!ans 3 yes", Unknown("ans", "answer")),  # the only command it begins
    ("!qestions", Unknown("qestions", "questions")),
    ("!askk why", Unknown("askk", "ask")),
    ("!xyzzy", Unknown("xyzzy", None)),
]


@pytest.mark.parametrize(("text", "expected"), PARSES)
def test_parse_command(text: str, expected: Command | None) -> None:
    assert parse_command(text) == expected


def test_other_prefixes() -> None:
    assert parse_command("pb!ask why?", prefix="pb!") == Ask("why?", None)
    assert parse_command("!ask why?", prefix="pb!") is None
    assert parse_command("/help /points", prefix="/") == Help("points")
    assert parse_command("?ask why?", prefix="?") == Ask("why?", None)


USAGE_ERRORS = [
    ("!ask", "ask", "!ask needs a question: !ask [--new] [--anonymous] [point N] <question>"),
    ("!ask   ", "ask", "!ask needs a question"),
    ("!ask point 3", "ask", "!ask needs a question"),
    ("!ask --new", "ask", "!ask needs a question"),
    ("!ask --loud why?", "ask", "!ask has no option --loud"),
    ("!ask point 0 why?", "ask", "point numbers start at 1"),
    ("!answer", "answer", "!answer needs a question number and the answer: !answer 12 <text>"),
    ("!answer\n12 text", "answer", "!answer needs a question number"),  # the id is on line 1
    ("!answer abc text", "answer", "a question number like 12 or #12, not 'abc'"),
    ("!answer 0 text", "answer", "not '0'"),
    ("!answer 12", "answer", "!answer needs the answer after the number: !answer 12 <text>"),
    ("!answer #12   \n  ", "answer", "!answer needs the answer"),
    ("!dismiss", "dismiss", "!dismiss needs a question number"),
    ("!dismiss why", "dismiss", "not 'why'"),
    ("!reopen", "reopen", "!reopen needs a question number: !reopen 12"),
    ("!reopen x1", "reopen", "not 'x1'"),
    ("!vote", "vote", "!vote needs a question number: !vote 12"),
    ("!vote twelve", "vote", "not 'twelve'"),
    ("!separate", "separate", "!separate needs the number of your question: !separate 12"),
    ("!separate mine", "separate", "not 'mine'"),
    ("!separate 0", "separate", "not '0'"),
    ("!feed", "feed", "!feed needs an action, one of: add, list, remove, pause, resume, post"),
    ("!feed eat 3", "feed", "!feed has no action 'eat'"),
]


@pytest.mark.parametrize(("text", "command", "usage"), USAGE_ERRORS)
def test_usage_errors(text: str, command: str, usage: str) -> None:
    with pytest.raises(CommandUsageError) as caught:
        parse_command(text)
    assert caught.value.command == command
    assert usage in caught.value.usage
    assert str(caught.value) == caught.value.usage
    assert isinstance(caught.value, ValueError)


def test_usage_errors_use_the_prefix() -> None:
    with pytest.raises(CommandUsageError, match=r"^/answer needs .*: /answer 12 <text>$"):
        parse_command("/answer", prefix="/")


def test_every_command_has_a_parser_a_role_and_a_help_line() -> None:
    assert set(COMMANDS) == {
        "ask",
        "questions",
        "points",
        "help",
        "queue",
        "answer",
        "dismiss",
        "reopen",
        "vote",
        "separate",
        "feed",
        "merge",
        "unmerge",
        "history",
        "faq",
        "notify",
        "web",
        "ignore",
        "unignore",
    }
    assert all(target in COMMANDS for target in ALIASES.values())
    roles = {name: spec.role for name, spec in COMMANDS.items()}
    assert {n for n, r in roles.items() if r is Role.MEMBER} == {
        "ask",
        "questions",
        "points",
        "help",
        "vote",
        "separate",
    }
    assert {n for n, r in roles.items() if r is Role.AUTHOR} == {
        "queue",
        "answer",
        "dismiss",
        "reopen",
        "merge",
        "unmerge",
        "history",
        "faq",
        "notify",
        "web",
    }
    assert {n for n, r in roles.items() if r is Role.ADMIN} == {"feed", "ignore", "unignore"}


@pytest.mark.parametrize(
    ("role", "count", "absent"),
    [(Role.MEMBER, 6, "!queue"), (Role.AUTHOR, 16, "!feed"), (Role.ADMIN, 19, None)],
)
def test_help_text_lists_what_the_role_may_use(role: Role, count: int, absent: str | None) -> None:
    lines = help_text("!", role).splitlines()
    assert len(lines) == count
    assert all(line.startswith("!") and " — " in line for line in lines)
    assert lines[0] == (
        "!ask [--new] [--anonymous] [point N] <question> — "
        "ask the author a question (--anonymous hides your name)"
    )
    if absent:
        assert not any(line.startswith(absent) for line in lines)


def test_help_text_uses_the_prefix() -> None:
    assert "/answer <number> <text> — answer a question" in help_text("/", Role.AUTHOR)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!merge 5 into 3", cmd.Merge(5, 3)),
        ("!merge #5 q3", cmd.Merge(5, 3)),
        ("!unmerge 5", cmd.Unmerge(5)),
        ("!history #2", cmd.History(2)),
        ("!faq", cmd.Faq(None)),
        ("!faq 3", cmd.Faq(3)),
        ("!notify digest 9:30", cmd.Notify("digest", "09:30")),
        ("!notify none", cmd.Notify("none", None)),
        ("!ignore discord:12 spamming", cmd.Ignore("discord:12", "spamming")),
        ("!unignore matrix:@x:y", cmd.Ignore("matrix:@x:y", "", undo=True)),
    ],
)
def test_queue_commands_parse(text: str, expected: cmd.Command) -> None:
    assert cmd.parse_command(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "!merge 5",
        "!merge 5 into 5",
        "!merge a into b",
        "!notify sometimes",
        "!notify digest 25:00",
        "!ignore bob",
        "!faq latest",
        "!history",
    ],
)
def test_queue_commands_explain_bad_usage(text: str) -> None:
    with pytest.raises(cmd.CommandUsageError):
        cmd.parse_command(text)


def test_web_takes_logout_or_nothing() -> None:
    from bot.core.commands import CommandUsageError, Web, parse_command

    assert parse_command("!web") == Web()
    assert parse_command("!web logout") == Web(logout=True)
    with pytest.raises(CommandUsageError, match="web logout"):
        parse_command("!web please")
