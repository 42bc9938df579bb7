"""Generated chat lines for the console fuzz test: every input class a member can type.

Seeded, so a failure is replayed with the same seed; ``CLASSES`` names each class, and the
README's "When something goes wrong" section says what each gets.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from bot.core.commands import COMMANDS, FEED_ACTIONS

HUGE = [
    "9223372036854775807",  # the largest id SQLite holds: read, then "no such question"
    "9223372036854775808",
    "18446744073709551616",
    "99999999999999999999999",
    "1" + "0" * 400,
    "0" * 5000 + "7",  # leading zeros past int()'s 4300-digit limit
]
NEGATIVE = ["-1", "-0", "-9223372036854775809", "−3", "+4", "1e9", "0x1f", "1_000", "3.0", "0"]
OTHER_DIGITS = ["²", "③", "①", "١٢", "१२", "１２", "⁵", "½", "𝟙", "٣", "໓", "᠒", "Ⅻ", "²³"]
CONTROL = [chr(c) for c in range(0x20) if c not in (0x0A, 0x0D)] + ["\x7f", "\x85", "\u2028"]
BIDI = ["\u202e", "\u202d", "\u2066", "\u2067", "\u2069", "\u200f", "\u200b", "\ufeff", "\u061c"]
ODD_TEXT = ["", " ", "#", "q", "point", "into", "--", "—new", "@pointbot", "<#1>", "<@1>", "%s"]
WORDS = [
    "why",
    "what",
    "the",
    "corridor",
    "point",
    "clandestine",
    "arms",
    "Iran",
    "partnership",
    "?",
    "…",
    "ü",
    "漢字",
    "🙂",
]


def _number(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.3:
        return rng.choice(HUGE)
    if pick < 0.5:
        return rng.choice(NEGATIVE)
    if pick < 0.75:
        return rng.choice(OTHER_DIGITS) * rng.randint(1, 3)
    if pick < 0.85:
        return rng.choice(["#", "q", ""]) + str(rng.randint(1, 12)) + rng.choice(["", ":", "."])
    return str(rng.randint(1, 40))


def _noise(rng: random.Random) -> str:
    return "".join(rng.choice([*CONTROL, *BIDI, *OTHER_DIGITS]) for _ in range(rng.randint(1, 6)))


def _words(rng: random.Random, n: int | None = None) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n if n is not None else rng.randint(1, 8)))


def _command(rng: random.Random) -> str:
    """A command with missing, extra or malformed arguments."""
    name = rng.choice([*COMMANDS, "q", "ANSWER", "Vote", "frobnicate"])
    args: list[str] = []
    shape = rng.random()
    if name == "feed":
        args.append(rng.choice([*FEED_ACTIONS, "", "Status", "nope"]))
        if shape > 0.2:
            args.append(rng.choice([_number(rng), "https://feed.invalid/x", "example", "ftp://x"]))
        if shape > 0.6:
            args += [rng.choice(["backfill", "full", "author", "here"]), _number(rng)]
    elif name == "merge":
        args += [_number(rng), rng.choice(["into", "to", "->", "", "onto"]), _number(rng)]
    elif name == "notify":
        args += [rng.choice(["each", "digest", "none", "", "DIGEST"])]
        args += [rng.choice(["09:00", "24:00", "1²:00", "9:60", "-1:00", _number(rng)])]
    elif name in ("ignore", "unignore"):
        args += [rng.choice(["console:kim", "kim", ":", "matrix:@x:y", _noise(rng)])]
    elif name == "ask":
        args += rng.sample(["--new", "--anon", "--bogus", "—new", "point " + _number(rng)], 2)
        if shape > 0.2:
            args.append(_words(rng) + "?")
    elif shape > 0.1:
        args.append(_number(rng))
        if shape > 0.5:
            args.append(_words(rng))
    if shape > 0.85:
        args.append(_noise(rng))
    return f"!{name} " + " ".join(args)


def _control(rng: random.Random) -> str:
    """The console's own controls, with odd arguments (never /quit)."""
    return rng.choice(
        [
            f"/as {rng.choice(['kim', 'author', 'admin', 'lee', '', _noise(rng)])}",
            f"/thread {rng.choice(['', _number(rng), 't1', 't99', 'x'])}",
            "/back",
            f"/in {rng.choice(['#general', '#other', '', _noise(rng)])}",
            f"/reply {rng.choice(['m1', 'm3', 'm999999', '', _number(rng)])} {_words(rng)}?",
            "/where",
            f"/{rng.choice(['', 'frob', 'AS', _noise(rng)])}",
        ]
    )


def _question(rng: random.Random) -> str:
    ref = rng.choice(["point ", "#", "re: ", "pt. ", "item "]) + _number(rng)
    return f"{_words(rng)} {ref} {_words(rng)}?"


def _long(rng: random.Random) -> str:
    return rng.choice(["!ask ", "!answer 1 ", "", "!vote "]) + _words(rng, rng.randint(800, 3000))


CLASSES: dict[str, Callable[[random.Random], str]] = {
    "command with missing, extra or malformed arguments": _command,
    "huge, negative and odd numbers as a command's number": lambda rng: (
        f"!{rng.choice(['vote', 'history', 'answer', 'reopen', 'faq', 'separate'])} "
        f"{rng.choice(HUGE + NEGATIVE)} ok"
    ),
    "digits of other scripts, superscripts, circled digits": lambda rng: (
        f"!{rng.choice(['vote', 'faq', 'feed status', 'feed post 1', 'merge 1 into'])} "
        f"{rng.choice(OTHER_DIGITS)}"
    ),
    "control and bidi characters in commands and chatter": lambda rng: (
        rng.choice(["!vote ", "!ask ", "", "!help "]) + _noise(rng) + _words(rng) + _noise(rng)
    ),
    "questions naming points by odd numbers": _question,
    "very long lines": _long,
    "console controls with odd arguments": _control,
    "plain chatter": _words,
}


def generate(seed: int, count: int) -> list[str]:
    """``count`` lines, as the author, admins and members would type them, in a mix."""
    rng = random.Random(seed)
    kinds = list(CLASSES.values())
    lines = []
    for i in range(count):
        if i % 25 == 0:
            lines.append(f"/as {rng.choice(['kim', 'author', 'admin', 'lee'])}")
        line = rng.choice(kinds)(rng)
        lines.append(line.replace("\n", " ").replace("\r", " "))
    return lines
