"""The chat command grammar: message text in, a typed frozen command out. Pure; no I/O.

``COMMANDS`` is the single source for help text and for who may use what; the handler
checks ``COMMANDS[name].role`` and this module only parses.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.models import Role
from bot.core.numbers import read_number


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    usage: str  # without the prefix: "answer <number> <text>"
    summary: str
    role: Role  # the lowest role that may use it


COMMANDS: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in (
        CommandSpec(
            "ask",
            "ask [--new] [--anonymous] [point N] <question>",
            "ask the author a question (--anonymous hides your name)",
            Role.MEMBER,
        ),
        CommandSpec(
            "questions",
            "questions",
            "your questions and what became of them (alias: q)",
            Role.MEMBER,
        ),
        CommandSpec("points", "points", "list the article's points", Role.MEMBER),
        CommandSpec("vote", "vote <number>", "vote for a question", Role.MEMBER),
        CommandSpec(
            "separate",
            "separate <number>",
            "keep your question apart from the one the bot folded it into",
            Role.MEMBER,
        ),
        CommandSpec("help", "help [command]", "list commands, or explain one", Role.MEMBER),
        CommandSpec("queue", "queue", "show the questions waiting for you", Role.AUTHOR),
        CommandSpec("answer", "answer <number> <text>", "answer a question", Role.AUTHOR),
        CommandSpec("dismiss", "dismiss <number> [reason]", "close a question", Role.AUTHOR),
        CommandSpec("reopen", "reopen <number>", "put a closed question back", Role.AUTHOR),
        CommandSpec(
            "merge",
            "merge <number> into <number>",
            "fold a duplicate into a question",
            Role.AUTHOR,
        ),
        CommandSpec("unmerge", "unmerge <number>", "undo a merge", Role.AUTHOR),
        CommandSpec(
            "history", "history <number>", "who changed a question, when, why", Role.AUTHOR
        ),
        CommandSpec(
            "faq", "faq [article number]", "post or update the article's FAQ here", Role.AUTHOR
        ),
        CommandSpec(
            "notify",
            "notify each|digest [HH:MM]|none",
            "how you hear of new questions: each by direct message, a daily digest (UTC), or not",
            Role.AUTHOR,
        ),
        CommandSpec(
            "web",
            "web [logout]",
            "a one-time sign-in link to the web desk (send it in a direct message); "
            "logout: sign out everywhere",
            Role.AUTHOR,
        ),
        CommandSpec(
            "ignore", "ignore <platform:id> [reason]", "refuse someone's questions", Role.ADMIN
        ),
        CommandSpec(
            "unignore", "unignore <platform:id>", "accept their questions again", Role.ADMIN
        ),
        CommandSpec(
            "feed",
            "feed add|list|remove|pause|resume|post|status|filter|preview|cap|template|announce"
            " ...",
            "manage the article feeds",
            Role.ADMIN,
        ),
    )
}
ALIASES: dict[str, str] = {"q": "questions"}  # kept minimal: every alias is one more thing to learn
FEED_ACTIONS = (
    "add",
    "list",
    "remove",
    "pause",
    "resume",
    "post",
    "status",
    "filter",
    "preview",
    "cap",
    "template",
    "announce",
)


@dataclass(frozen=True, slots=True)
class Ask:
    text: str
    point: int | None  # None: not given in the command; the core may still find one in the text
    new: bool = False
    anonymous: bool = False


@dataclass(frozen=True, slots=True)
class Questions:
    pass


@dataclass(frozen=True, slots=True)
class Points:
    pass


@dataclass(frozen=True, slots=True)
class Help:
    topic: str | None  # a command name (aliases resolved, prefix dropped) or whatever was typed


@dataclass(frozen=True, slots=True)
class Queue:
    pass


@dataclass(frozen=True, slots=True)
class Answer:
    question_id: int
    text: str


@dataclass(frozen=True, slots=True)
class Dismiss:
    question_id: int
    reason: str  # "" when none was given


@dataclass(frozen=True, slots=True)
class Reopen:
    question_id: int


@dataclass(frozen=True, slots=True)
class Vote:
    question_id: int


@dataclass(frozen=True, slots=True)
class Separate:
    question_id: int  # the asker's own question, merged into another


@dataclass(frozen=True, slots=True)
class Feed:
    action: str  # one of FEED_ACTIONS, lower-cased
    args: tuple[str, ...]  # the rest, split on whitespace, left for the feed commands to parse


@dataclass(frozen=True, slots=True)
class Web:
    logout: bool = False  # "!web logout": end every session instead of a new link


@dataclass(frozen=True, slots=True)
class Merge:
    question_id: int
    into: int


@dataclass(frozen=True, slots=True)
class Unmerge:
    question_id: int


@dataclass(frozen=True, slots=True)
class History:
    question_id: int


@dataclass(frozen=True, slots=True)
class Faq:
    article_id: int | None  # None: the latest article where it is asked


@dataclass(frozen=True, slots=True)
class Notify:
    mode: str  # each | digest | none
    at: str | None  # "HH:MM" for a digest


@dataclass(frozen=True, slots=True)
class Ignore:
    user_key: str  # "platform:id"
    reason: str
    undo: bool = False


@dataclass(frozen=True, slots=True)
class Unknown:
    name: str
    suggestion: str | None  # the closest known command name, if one is close


Command = (
    Ask
    | Questions
    | Points
    | Help
    | Queue
    | Answer
    | Dismiss
    | Reopen
    | Vote
    | Separate
    | Feed
    | Merge
    | Unmerge
    | History
    | Faq
    | Notify
    | Ignore
    | Web
    | Unknown
)


class CommandUsageError(ValueError):
    """A known command used wrongly; ``usage`` is one plain line to show the user."""

    def __init__(self, command: str, usage: str) -> None:
        super().__init__(usage)
        self.command = command
        self.usage = usage


_NAME = re.compile(r"([A-Za-z][\w-]*)([.?!,:]*)(?=\s|$)")
_TOKEN = re.compile(r"[ \t]*(\S+)")  # one token on the first line only
# [0-9], not \d: \d matches every script's digits, which int() then refuses or misreads.
_QUESTION_ID = re.compile(r"(?:#|q)?([0-9]+)[:.,]?", re.IGNORECASE)
# Chat clients turn "--" into an em or en dash, so those introduce a flag too.
_ASK_FLAG = re.compile(r"\s*(?:--|—|–)([\w-]+)(?=\s|$)")
_ASK_POINT = re.compile(r"\s*(?:point\s*|pt\.?\s*|p\.?|#)([0-9]+)[:.,)]?(?=\s|$)", re.IGNORECASE)
_ASK_FLAGS = {"new": "new", "anonymous": "anonymous", "anon": "anonymous"}


def _first_line_rest(rest: str) -> str:
    """What follows the command's arguments, keeping later lines as written."""
    rest = rest.lstrip(" \t")
    if rest.startswith(("\r\n", "\n")):
        rest = rest.split("\n", 1)[1]
    return rest.rstrip()


def shown(word: str, limit: int = 30) -> str:
    """``word`` as echoed back in a usage line: clipped, so a pasted page stays one line."""
    return word if len(word) <= limit else word[: limit - 1] + "…"


def _number(word: str) -> int | None:
    """A question number as typed ("12", "#12", "q12", "12:"), or None."""
    found = _QUESTION_ID.fullmatch(word)
    return read_number(found.group(1), lowest=1) if found else None


def _question_id(name: str, args: str, prefix: str, needs: str) -> tuple[int, str]:
    """The question number at the start of ``args`` and the text after it."""
    example = f"{prefix}{name} 12" + (" <text>" if name == "answer" else "")
    token = _TOKEN.match(args)
    if token is None:
        raise CommandUsageError(name, f"{prefix}{name} needs {needs}: {example}")
    qid = _number(token.group(1))
    if qid is None:
        raise CommandUsageError(
            name,
            f"{prefix}{name} needs a question number like 12 or #12, not '{shown(token.group(1))}'",
        )
    return qid, _first_line_rest(args[token.end() :])


def _ask(args: str, prefix: str) -> Ask:
    usage = f"{prefix}{COMMANDS['ask'].usage}"
    new = anonymous = False
    point: int | None = None
    while True:
        if m := _ASK_FLAG.match(args):
            flag = _ASK_FLAGS.get(m.group(1).lower())
            if flag is None:
                raise CommandUsageError("ask", f"{prefix}ask has no option --{m.group(1)}: {usage}")
            new, anonymous = new or flag == "new", anonymous or flag == "anonymous"
        elif point is None and (m := _ASK_POINT.match(args)):
            point = read_number(m.group(1), lowest=1)
            if point is None:
                raise CommandUsageError("ask", f"point numbers start at 1, in digits 0-9: {usage}")
        else:
            break
        args = args[m.end() :]
    text = args.strip()
    if not text:
        raise CommandUsageError("ask", f"{prefix}ask needs a question: {usage}")
    return Ask(text, point, new=new, anonymous=anonymous)


def _answer(args: str, prefix: str) -> Answer:
    needs = "a question number and the answer"
    qid, text = _question_id("answer", args, prefix, needs)
    if not text:
        raise CommandUsageError(
            "answer",
            f"{prefix}answer needs the answer after the number: {prefix}answer {qid} <text>",
        )
    return Answer(qid, text)


def _dismiss(args: str, prefix: str) -> Dismiss:
    qid, reason = _question_id("dismiss", args, prefix, "a question number (and a reason)")
    return Dismiss(qid, reason)


def _help(args: str, prefix: str) -> Help:
    token = _TOKEN.match(args)
    if token is None:
        return Help(None)
    topic = token.group(1).lower().removeprefix(prefix.lower()).rstrip("?.!")
    return Help(ALIASES.get(topic, topic) or None)


def _feed(args: str, prefix: str) -> Feed:
    words = args.split()
    actions = ", ".join(FEED_ACTIONS)
    if not words:
        raise CommandUsageError("feed", f"{prefix}feed needs an action, one of: {actions}")
    action = words[0].lower()
    if action not in FEED_ACTIONS:
        raise CommandUsageError(
            "feed", f"{prefix}feed has no action '{shown(words[0])}'; use: {actions}"
        )
    return Feed(action, tuple(words[1:]))


def _merge(args: str, prefix: str) -> Merge:
    usage = f"{prefix}merge needs two question numbers: {prefix}merge 12 into 7"
    words = args.split()
    if len(words) == 2:
        words.insert(1, "into")
    if len(words) != 3 or words[1].lower() not in ("into", "to", ">", "->"):
        raise CommandUsageError("merge", usage)
    source, target = _number(words[0]), _number(words[2])
    if source is None or target is None:
        raise CommandUsageError("merge", usage)
    if source == target:
        raise CommandUsageError("merge", f"a question cannot be merged into itself: {usage}")
    return Merge(source, target)


def _faq(args: str, prefix: str) -> Faq:
    token = _TOKEN.match(args)
    if token is None:
        return Faq(None)
    article = read_number(token.group(1).removeprefix("#"), lowest=1)
    if article is None:
        raise CommandUsageError("faq", f"{prefix}faq takes an article number, like {prefix}faq 3")
    return Faq(article)


_HHMM = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def _notify(args: str, prefix: str) -> Notify:
    usage = f"{prefix}notify each | {prefix}notify digest 09:00 | {prefix}notify none"
    words = args.lower().split()
    if not words or words[0] not in ("each", "digest", "none"):
        raise CommandUsageError("notify", f"choose one: {usage}")
    at = None
    if words[0] == "digest" and len(words) > 1:
        m = _HHMM.fullmatch(words[1])
        if m is None:
            raise CommandUsageError("notify", f"the digest time is HH:MM in UTC: {usage}")
        at = f"{int(m.group(1)):02d}:{m.group(2)}"
    return Notify(words[0], at)


def _ignore(args: str, prefix: str, *, undo: bool = False) -> Ignore:
    name = "unignore" if undo else "ignore"
    token = _TOKEN.match(args)
    if token is None or ":" not in token.group(1):
        raise CommandUsageError(
            name, f"{prefix}{name} needs an identity like discord:1234 or matrix:@someone:server"
        )
    return Ignore(token.group(1), _first_line_rest(args[token.end() :]), undo=undo)


def _web(args: str, prefix: str) -> Web:
    word = args.strip().lower()
    if word in ("", "login"):
        return Web()
    if word == "logout":
        return Web(logout=True)
    raise CommandUsageError(
        "web", f"{prefix}web gives a sign-in link; {prefix}web logout signs out"
    )


# Commands without arguments ignore trailing words: "!points please" should still work.
_PARSERS: dict[str, Callable[[str, str], Command]] = {
    "ask": _ask,
    "questions": lambda args, prefix: Questions(),
    "points": lambda args, prefix: Points(),
    "help": _help,
    "queue": lambda args, prefix: Queue(),
    "answer": _answer,
    "dismiss": _dismiss,
    "reopen": lambda args, prefix: Reopen(
        _question_id("reopen", args, prefix, "a question number")[0]
    ),
    "vote": lambda args, prefix: Vote(_question_id("vote", args, prefix, "a question number")[0]),
    "separate": lambda args, prefix: Separate(
        _question_id("separate", args, prefix, "the number of your question")[0]
    ),
    "feed": _feed,
    "merge": _merge,
    "unmerge": lambda args, prefix: Unmerge(
        _question_id("unmerge", args, prefix, "a question number")[0]
    ),
    "history": lambda args, prefix: History(
        _question_id("history", args, prefix, "a question number")[0]
    ),
    "faq": _faq,
    "web": _web,
    "notify": _notify,
    "ignore": _ignore,
    "unignore": lambda args, prefix: _ignore(args, prefix, undo=True),
}


def _suggest(name: str) -> str | None:
    """The command most likely meant: the only one ``name`` begins ("!ans"), else the closest."""
    starts = [c for c in COMMANDS if len(name) >= 2 and c.startswith(name)]
    if len(starts) == 1:
        return starts[0]
    close = difflib.get_close_matches(name, [*COMMANDS, *ALIASES], n=1, cutoff=0.6)
    return ALIASES.get(close[0], close[0]) if close else None


def parse_command(text: str, prefix: str = "!") -> Command | None:
    """The command in ``text``, or None when it is ordinary chat.

    Raises ``CommandUsageError`` for a known command used wrongly.
    """
    body = text.lstrip()
    if not prefix or not body.startswith(prefix):
        return None
    m = _NAME.match(body, len(prefix))  # "!!!" and "! wow" are chatter, not commands
    if m is None:
        return None
    name = m.group(1).lower()
    name = ALIASES.get(name, name)
    if name not in COMMANDS:
        if m.group(2):  # "!wow!!" is an exclamation, not a mistyped command
            return None
        return Unknown(name, _suggest(name))
    return _PARSERS[name](body[m.end() :], prefix)


def help_text(prefix: str, role: Role) -> str:
    """One line per command ``role`` may use: "!usage — summary"."""
    return "\n".join(
        f"{prefix}{spec.usage} — {spec.summary}" for spec in COMMANDS.values() if spec.role <= role
    )
