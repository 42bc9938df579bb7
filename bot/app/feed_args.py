"""The ``!feed`` commands' words: what an ``add`` asks for, a feed number, a count.

Every misuse raises :class:`UsageError` whose message says, in plain words, how to use it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from bot.core import commands as cmd
from bot.core.models import ChatRef, IncomingMessage, Platform
from bot.core.numbers import read_number

MAX_BACKFILL = 20
_KEYWORDS = frozenset(("author", "authors", "backfill", "full"))
_FULL = ("teasers", "always", "never")


class UsageError(ValueError):
    """A ``!feed`` command used wrongly; the message says how to use it."""


@dataclass(frozen=True, slots=True)
class AddRequest:
    url: str
    where: ChatRef
    authors: tuple[str, ...]
    backfill: int
    full_article: str | None


def count_of(word: str, what: str) -> int:
    """``none`` 0, ``latest`` 1, or a number from 1 to MAX_BACKFILL."""
    w = word.lower()
    if w in ("none", "0"):
        return 0
    if w == "latest":
        return 1
    if (n := read_number(w, lowest=1, highest=MAX_BACKFILL)) is not None:
        return n
    raise UsageError(
        f"{what} takes none, latest or a number from 1 to {MAX_BACKFILL}, not '{cmd.shown(word)}'"
    )


def parse_add(
    args: tuple[str, ...], msg: IncomingMessage, platforms: Collection[str], prefix: str
) -> AddRequest:
    """Read ``add <url> [where] [author <user>...] [backfill none|latest|N] [full ...]``."""
    usage = (
        f"{prefix}feed add <url> [where] [author <user>...] [backfill none|latest|N] "
        "[full teasers|always|never]"
    )
    if not args:
        raise UsageError(f"{prefix}feed add needs the feed's address: {usage}")
    url = args[0].strip("<>")
    if "://" not in url:
        url = "https://" + url
    if not url.lower().startswith(("http://", "https://")):
        raise UsageError(f"'{args[0]}' is not a web address (http:// or https://): {usage}")
    where: ChatRef | None = None
    authors: list[str] = []
    backfill, full = 1, None
    rest = list(args[1:])
    while rest:
        word = rest.pop(0)
        key = word.lower()
        if key in ("author", "authors"):
            while rest and rest[0].lower() not in _KEYWORDS:
                authors.append(_identity(rest.pop(0), msg.where.platform, platforms))
            if not authors:
                raise UsageError(f"author needs at least one person after it: {usage}")
        elif key in ("backfill", "full"):
            if not rest:
                raise UsageError(f"{key} needs a value: {usage}")
            value = rest.pop(0)
            if key == "backfill":
                backfill = count_of(value, "backfill")
            elif value.lower() in _FULL:
                full = value.lower()
            else:
                raise UsageError(f"full takes teasers, always or never, not '{value}'")
        elif where is None:
            where = place_of(word, msg, platforms)
        else:
            raise UsageError(
                f"I did not understand '{word}' (a channel was already given): {usage}"
            )
    return AddRequest(url, where or msg.where.container(), tuple(authors), backfill, full)


def place_of(word: str, msg: IncomingMessage, platforms: Collection[str]) -> ChatRef:
    """``here``, ``<#123>`` (a Discord channel mention), ``platform:channel`` or a channel."""
    if word.lower() == "here":
        return ChatRef(msg.where.platform, msg.where.channel)
    if m := re.fullmatch(r"<#(\d+)>", word):
        return ChatRef(msg.where.platform, m.group(1))
    platform, sep, channel = word.partition(":")
    if sep and platform in platforms and channel:
        return ChatRef(Platform(platform), channel)
    return ChatRef(msg.where.platform, word)


def _identity(word: str, platform: str, platforms: Collection[str]) -> str:
    """``platform:id`` for a person: given so, or on the platform the command came from."""
    word = re.sub(r"^<@!?(\d+)>$", r"\1", word)
    head, sep, _ = word.partition(":")
    return word if sep and head in platforms else f"{platform}:{word}"


def feed_id(args: tuple[str, ...], action: str, prefix: str) -> int:
    fid = read_number(args[0].removeprefix("#"), lowest=1) if args else None
    if fid is None:
        got = f", not '{cmd.shown(args[0])}'" if args else ""
        raise UsageError(
            f"{prefix}feed {action} needs a feed number like 3{got} ({prefix}feed list)"
        )
    return fid
