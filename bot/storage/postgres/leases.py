"""Named leases shared by every process on the database.

Each write is one statement whose condition decides the race under READ COMMITTED: two
processes acquiring a free or expired lease at once both reach ``ON CONFLICT .. DO UPDATE
.. WHERE``; the second waits for the first's row lock, re-reads the row the first wrote
(now held and unexpired) and its ``WHERE`` fails, so exactly one wins."""

from __future__ import annotations

from datetime import datetime

from bot.storage.postgres.db import Session


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


class PostgresLeases:
    __slots__ = ("_s",)

    def __init__(self, session: Session) -> None:
        self._s = session

    async def holder(self, name: str, now: datetime) -> str | None:
        found = await self._s.conn.fetchval(
            "SELECT holder FROM leases WHERE name = $1 AND until > $2", name, now
        )
        return str(found) if found is not None else None

    async def acquire(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        done = await self._s.conn.execute(
            "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3) "
            "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until "
            "WHERE leases.holder = excluded.holder OR leases.until <= $4",
            name,
            holder,
            until,
            now,
        )
        return _count(done) == 1

    async def renew(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        done = await self._s.conn.execute(
            "UPDATE leases SET until = $1 WHERE name = $2 AND holder = $3 AND until > $4",
            until,
            name,
            holder,
            now,
        )
        return _count(done) == 1

    async def release(self, name: str, holder: str) -> None:
        await self._s.conn.execute(
            "DELETE FROM leases WHERE name = $1 AND holder = $2", name, holder
        )

    async def release_all(self, holder: str) -> int:
        return _count(await self._s.conn.execute("DELETE FROM leases WHERE holder = $1", holder))
