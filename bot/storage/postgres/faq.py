"""Placeholder until part B of issue 13 (branch i13-pg-b) lands: every method raises."""

from __future__ import annotations

from typing import Any

from bot.storage.postgres.db import Session


class PostgresFaq:
    """Placeholder: part B writes it (constructed as ``PostgresFaq(session)``)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(f"PostgresFaq.{name} (PostgreSQL part B of issue 13)")
