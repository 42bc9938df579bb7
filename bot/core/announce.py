"""A target's ``announce``: who the summary of a new article mentions, once.

Stored and carried as ``role:<id>`` or ``here`` (Discord), ``room`` (Matrix); on the console
any of them is shown as typed. Pure; the adapters turn it into the one mention they allow
(Discord's allowed mentions, Matrix's ``m.mentions``), and only a new article's summary
carries it: never an edit, a backfill, ``!feed post``, a released hold or a daily cap's
waiting entry (bot.app.publishing.plan).
"""

from __future__ import annotations

import re

NONE_WORDS = frozenset(("none", "off", "nobody"))
_ROLE = re.compile(r"<@&(\d{15,21})>|role:(\d{15,21})|(\d{15,21})")


class AnnounceError(ValueError):
    """Not something a feed can announce; the message says why."""


def parse(word: str) -> str | None:
    """``@here``, ``@room``, a Discord role mention ``<@&id>`` (or its id), or ``none``."""
    w = word.strip().lower()
    if w in NONE_WORDS:
        return None
    if w in ("@here", "here"):
        return "here"
    if w in ("@room", "room"):
        return "room"
    if w in ("@everyone", "everyone"):
        raise AnnounceError(
            "a feed never pings @everyone; use @here (those online) or a role made for it"
        )
    if m := _ROLE.fullmatch(w):
        return "role:" + next(g for g in m.groups() if g)
    raise AnnounceError(
        f"'{word}' is not something to announce: give a role (mention it, like @News), "
        "@here (Discord), @room (Matrix) or none"
    )


def refusal(platform: str, announce: str) -> str | None:
    """Why ``announce`` makes no sense on ``platform``, or None."""
    if platform == "discord" and announce == "room":
        return "@room is Matrix's; on Discord use @here or a role"
    if platform == "matrix" and announce != "room":
        return "on Matrix a feed can announce @room only"
    return None


def shown(announce: str | None) -> str:
    """As admins type it: ``@here``, ``@room``, ``<@&id>``; ``nobody`` for None."""
    if announce is None:
        return "nobody"
    if announce.startswith("role:"):
        return f"<@&{announce[5:]}>"
    return f"@{announce}"
