"""Placeholder until part B of issue 13 (branch i13-pg-b) lands: every method raises."""

from __future__ import annotations

from typing import Any

from bot.storage.postgres.db import Session


class PostgresOutbox:
    """Placeholder: part B writes it (constructed as ``PostgresOutbox(session)``)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(f"PostgresOutbox.{name} (PostgreSQL part B of issue 13)")


class PostgresInbound:
    """Placeholder: part B writes it (constructed as ``PostgresInbound(session)``)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(f"PostgresInbound.{name} (PostgreSQL part B of issue 13)")
