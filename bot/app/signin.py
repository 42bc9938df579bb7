"""``!web``: a one-time sign-in link to the web desk, or ``!web logout`` (issue 16).

No password: the chat platform already knows who is typing, so a direct message from an
author or admin is proof enough. The link works once, for :data:`LINK_TTL`, and at most
:data:`LINKS_PER_HOUR` are given to one identity an hour. Only SHA-256 hashes of link and
session tokens are stored (``tx.web``). The HTTP side is :mod:`bot.web.auth`.

Housekeeping: spent and expired links and expired sessions are deleted by :func:`prune`,
called in the unit of work that issues a link and in the one that signs in with it. No
periodic job of the bot fits (the outbox worker and the digests are about chat; the WAL
checkpoint is SQLite's own), and these two moments are the only ones that add rows: each
adds one and deletes up to :data:`PRUNE_BATCH` stale ones of each table, so stale rows
never pile up and no unit of work grows with the table's history. A link younger than the
rate-limit window is kept even when spent: it still counts towards :data:`LINKS_PER_HOUR`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from bot.core.models import UserRef
from bot.storage.port import Store
from bot.storage.port.web import Web

LINK_TTL = timedelta(minutes=10)
LINKS_PER_HOUR = 5
RATE_WINDOW = timedelta(hours=1)  # the window LINKS_PER_HOUR is counted in
PRUNE_BATCH = 100  # stale links, and stale sessions, deleted at most per prune


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_link(store: Store, user: UserRef, public_url: str, now: datetime) -> str | None:
    """A fresh one-time sign-in link for ``user``; None when the hourly limit is reached."""
    token = secrets.token_urlsafe(32)
    async with store.transaction() as tx:
        await prune(tx.web, now)
        if await tx.web.links_since(user.key, now - RATE_WINDOW) >= LINKS_PER_HOUR:
            return None
        await tx.web.add_link(token_hash(token), user.key, user.display, now + LINK_TTL, now)
    return f"{public_url.rstrip('/')}/login/{token}"


async def prune(web: Web, now: datetime) -> tuple[int, int]:
    """Delete stale sign-in rows (see the module doc); ``(links, sessions)`` deleted."""
    return await web.prune(now, now - RATE_WINDOW, PRUNE_BATCH)


async def end_sessions(store: Store, user: UserRef) -> int:
    """``!web logout``: every session of ``user``, in every browser, ends."""
    async with store.transaction() as tx:
        return await tx.web.end_sessions(user.key)


def link_text(link: str) -> str:
    minutes = int(LINK_TTL.total_seconds() // 60)
    return (
        f"Your sign-in link to the desk (works once, for {minutes} minutes; do not share it): "
        f"{link}"
    )


def rate_limited() -> str:
    return (
        f"You already had {LINKS_PER_HOUR} sign-in links this hour; use one of them or try "
        "again later."
    )


def not_direct(prefix: str, *, slash: bool = False) -> str:
    """``!web`` where others read; ``slash``: the platform has ``/web``, answered privately."""
    also = " (or use /web here: only you see its answer)" if slash else ""
    return (
        f"Send {prefix}web to me in a direct message{also}: a sign-in link must not be posted here."
    )


NO_DESK = "The web desk is not set up on this bot ([web] public_url in its config)."


def logged_out(n: int) -> str:
    if n == 0:
        return "You had no open web sessions; nothing to end."
    return f"Signed out of the desk everywhere ({n} session{'s' if n != 1 else ''} ended)."
