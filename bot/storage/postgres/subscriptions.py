"""Placeholder (part A of issue 13 is writing it)."""

from __future__ import annotations

from typing import Any

from bot.storage.postgres.db import Session


class PostgresSubscriptions:
    """Placeholder."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(f"PostgresSubscriptions.{name}")
