"""The web desk's sign-in: one-time links and sessions (issue 16).

Tokens never reach the database: callers pass ``token_hash`` (SHA-256 hex of the secret
the browser holds), so a copy of the database signs nobody in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class WebReads(Protocol):
    async def session(self, token_hash: str, now: datetime) -> tuple[str, str] | None:
        """``(identity, display name)`` of a live session (identity: ``platform:id``); None
        when unknown or expired."""

    async def links_since(self, identity: str, since: datetime) -> int:
        """How many sign-in links ``identity`` was given since ``since`` (rate limit)."""


class Web(WebReads, Protocol):
    async def add_link(
        self, token_hash: str, identity: str, display: str, expires: datetime, now: datetime
    ) -> None:
        """A one-time sign-in link for ``identity`` (shown as ``display``) until ``expires``."""

    async def use_link(self, token_hash: str, now: datetime) -> tuple[str, str] | None:
        """Spend the link: ``(identity, display)`` if it exists, is unused and not expired;
        then it is used for good (a second call returns None)."""

    async def add_session(
        self, token_hash: str, identity: str, display: str, expires: datetime, now: datetime
    ) -> None: ...

    async def end_sessions(self, identity: str) -> int:
        """End every session of ``identity`` (``!web logout``); how many there were."""

    async def prune(self, now: datetime, links_before: datetime, limit: int) -> tuple[int, int]:
        """Delete what can never sign anybody in again: up to ``limit`` links that are used
        or expired by ``now`` and were created before ``links_before`` (younger ones still
        count in :meth:`links_since`), and up to ``limit`` sessions expired by ``now``.
        Returns ``(links, sessions)`` deleted. A link or session still usable at ``now`` is
        never touched."""
