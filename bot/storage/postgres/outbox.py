"""The outbox, inbound claims and adapters' resumable state, on PostgreSQL.

How races between processes are decided (READ COMMITTED):

- ``outbox.add``: ``ON CONFLICT (key) DO NOTHING``: one row per idempotency key.
- ``outbox.claim``: one statement. The head of each channel's lane (its oldest pending row)
  is found, and those heads that are due and unclaimed (or whose claim ran out, or are this
  worker's) are locked with ``FOR UPDATE SKIP LOCKED`` and stamped with the worker and the
  lease's end. A claimer never waits on another's rows and never takes them: a row locked
  by another claimer is skipped this round. After the lock, PostgreSQL re-checks the
  ``WHERE`` on the newest version of the row (EvalPlanQual), so a row another worker
  claimed or finished in between is not taken. Only lane heads are claimed, so a channel's
  rows go out in order however many workers run; the head is re-read from the committed
  state at each claim, so a head finished by a worker that is then killed lets the next row
  through at once, and a head claimed by a killed worker waits for its lease to run out.
- ``inbound.take``: the primary key ``(platform, channel, message)`` and ``ON CONFLICT DO
  NOTHING``: of two processes taking one message, the second waits for the first's
  transaction; if that commits, the second gets False; if it rolls back (or its process
  dies), the second takes it.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection
from datetime import datetime, timedelta

from bot.core.models import Action, ArticleId, ChatRef, Platform
from bot.storage.postgres import rows
from bot.storage.postgres.db import Session
from bot.storage.types import PRIVATE_GONE, OutboxItem, OutboxRow, OutboxState

_WITH_ACTIONS = (
    "SELECT o.*, a.label AS action_label, a.command AS action_command FROM ({rows}) o "
    "LEFT JOIN outbox_actions a ON a.outbox_id = o.id ORDER BY o.id, a.position"
)


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


def _grouped(found: list[rows.Record]) -> list[OutboxRow]:
    """Outbox rows joined with their actions (one line per action), as rows with actions."""
    out = []
    for _, group in itertools.groupby(found, key=lambda r: r["id"]):
        same_row = list(group)
        actions = tuple(
            Action(r["action_label"], r["action_command"])
            for r in same_row
            if r["action_label"] is not None
        )
        out.append(rows.outbox_row(same_row[0], actions))
    return out


class PostgresOutbox:
    __slots__ = ("_s",)

    def __init__(self, session: Session) -> None:
        self._s = session

    async def add(self, item: OutboxItem, now: datetime) -> bool:
        w, m = item.where, item.message
        conn = self._s.conn
        row_id = await conn.fetchval(
            "INSERT INTO outbox (key, op, platform, channel, thread, message, mention_id, "
            "mention_display, title, text, html, card_title, card_url, card_image, purpose, "
            "article_id, point, question_id, target_id, next_attempt_at, created_at, announce, "
            "private) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
            "$16, $17, $18, $19, $20, $20, $21, $22) ON CONFLICT (key) DO NOTHING RETURNING id",
            item.key,
            item.op,
            w.platform,
            w.channel,
            w.thread,
            w.message,
            item.mention.id if item.mention else None,
            item.mention.display if item.mention else None,
            item.title,
            m.text,
            m.html,
            m.title,
            m.url,
            m.image,
            item.purpose,
            item.article_id,
            item.point,
            item.question_id,
            item.target_id,
            now,
            m.announce,
            m.private,
        )
        if row_id is None:
            return False
        if m.actions:
            await conn.executemany(
                "INSERT INTO outbox_actions (outbox_id, position, label, command) "
                "VALUES ($1, $2, $3, $4)",
                [(row_id, i, a.label, a.command) for i, a in enumerate(m.actions)],
            )
        return True

    async def pending(self, limit: int = 500) -> list[OutboxRow]:
        found = await self._s.conn.fetch(
            _WITH_ACTIONS.format(
                rows="SELECT * FROM outbox WHERE status = 'pending' ORDER BY id LIMIT $1"
            ),
            limit,
        )
        return _grouped(found)

    async def claim(
        self,
        worker: str,
        now: datetime,
        lease: timedelta,
        platforms: Collection[str] | None = None,
        limit: int = 100,
    ) -> list[OutboxRow]:
        conn = self._s.conn
        only = list(platforms) if platforms is not None else None
        claimed = await conn.fetch(
            "WITH heads AS ("
            " SELECT DISTINCT ON (platform, channel) id FROM outbox"
            " WHERE status = 'pending' AND ($4::text[] IS NULL OR platform = ANY($4::text[]))"
            " ORDER BY platform, channel, id"
            "), free AS ("
            " SELECT o.id FROM outbox o JOIN heads h ON h.id = o.id"
            " WHERE o.status = 'pending' AND o.next_attempt_at <= $1"
            " AND (o.claimed_until IS NULL OR o.claimed_until <= $1 OR o.claimed_by = $2)"
            " ORDER BY o.id LIMIT $5 FOR UPDATE OF o SKIP LOCKED"
            ") UPDATE outbox SET claimed_by = $2, claimed_until = $3"
            " WHERE id IN (SELECT id FROM free) RETURNING id",
            now,
            worker,
            now + lease,
            only,
            limit,
        )
        ids = sorted(r["id"] for r in claimed)
        if not ids:
            return []
        found = await conn.fetch(
            _WITH_ACTIONS.format(rows="SELECT * FROM outbox WHERE id = ANY($1::bigint[])"), ids
        )
        return _grouped(found)

    async def release_claims(self, worker: str) -> int:
        done: str = await self._s.conn.execute(
            "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL "
            "WHERE status = 'pending' AND claimed_by = $1",
            worker,
        )
        return int(done.rsplit(" ", 1)[-1])

    async def oldest_pending_at(self, platform: str) -> datetime | None:
        found: datetime | None = await self._s.conn.fetchval(
            "SELECT MIN(created_at) FROM outbox WHERE status = 'pending' AND platform = $1",
            platform,
        )
        return found

    async def next_due_at(self) -> datetime | None:
        found: datetime | None = await self._s.conn.fetchval(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'"
        )
        return found

    async def mark_done(self, row_id: int, ref: ChatRef | None, now: datetime) -> None:
        await self._s.conn.execute(
            "UPDATE outbox SET status = 'done', done_at = $1, attempts = attempts + 1, "
            "last_error = NULL, result_channel = $2, result_thread = $3, result_message = $4, "
            "claimed_by = NULL, claimed_until = NULL, "
            f"text = CASE WHEN private THEN '{PRIVATE_GONE}' ELSE text END, "
            "html = CASE WHEN private THEN NULL ELSE html END WHERE id = $5",
            now,
            ref.channel if ref else None,
            ref.thread if ref else None,
            ref.message if ref else None,
            row_id,
        )

    async def mark_retry(self, row_id: int, error: str, next_at: datetime) -> None:
        await self._s.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, "
            "claimed_by = NULL, claimed_until = NULL WHERE id = $3",
            error,
            next_at,
            row_id,
        )

    async def mark_failed(self, row_id: int, error: str) -> None:
        await self._s.conn.execute(
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = $1, "
            "claimed_by = NULL, claimed_until = NULL, "
            f"text = CASE WHEN private THEN '{PRIVATE_GONE}' ELSE text END, "
            "html = CASE WHEN private THEN NULL ELSE html END WHERE id = $2",
            error,
            row_id,
        )

    async def counts(self) -> dict[str, int]:
        found = await self._s.conn.fetch("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        return {r[0]: int(r[1]) for r in found}

    async def delivered_on(self, platform: str) -> int:
        return int(
            await self._s.conn.fetchval(
                "SELECT COUNT(*) FROM outbox WHERE platform = $1 AND status = 'done'", platform
            )
        )

    async def delivered(
        self, question_ids: list[int], *, purpose: str, op: str, kind: str | None = None
    ) -> list[tuple[int, ChatRef]]:
        # left(), not LIKE: the key's prefix is matched as text, wildcards and all.
        narrow = (
            "AND left(key, length('q:' || question_id || ':' || $4 || ':')) "
            "= 'q:' || question_id || ':' || $4 || ':' "
            if kind
            else ""
        )
        found = await self._s.conn.fetch(
            "SELECT question_id, platform, result_channel, result_thread, result_message "
            f"FROM outbox WHERE question_id = ANY($1::bigint[]) AND purpose = $2 AND op = $3 "
            f"{narrow}AND status = 'done' AND result_message IS NOT NULL ORDER BY id",
            list(question_ids),
            purpose,
            op,
            *((kind,) if kind else ()),
        )
        return [(r[0], ChatRef(Platform(r[1]), r[2], r[3], r[4])) for r in found]

    async def result_of(self, key: str) -> ChatRef | None:
        row = await self._s.conn.fetchrow(
            "SELECT platform, result_channel, result_thread, result_message FROM outbox "
            "WHERE key = $1 AND status = 'done'",
            key,
        )
        if row is None or row[1] is None:
            return None
        return ChatRef(Platform(row[0]), row[1], row[2], row[3])

    async def of_article(self, article_id: ArticleId) -> list[OutboxState]:
        found = await self._s.conn.fetch(
            "SELECT platform, channel, purpose, status, attempts, last_error, next_attempt_at "
            "FROM outbox WHERE article_id = $1 AND purpose IN ('summary', 'thread') ORDER BY id",
            article_id,
        )
        return [rows.outbox_state(r) for r in found]


class PostgresInbound:
    """Which inbound messages were already acted on, and adapters' resumable state."""

    __slots__ = ("_s",)

    def __init__(self, session: Session) -> None:
        self._s = session

    async def take(self, where: ChatRef, now: datetime) -> bool:
        if where.message is None:
            return True
        done = await self._s.conn.execute(
            "INSERT INTO inbound (platform, channel, message, handled_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            where.platform,
            where.channel,
            where.message,
            now,
        )
        return _count(done) == 1

    async def take_failed(self, where: ChatRef, now: datetime, error: str) -> bool:
        if where.message is None:
            return True
        done = await self._s.conn.execute(
            "INSERT INTO inbound (platform, channel, message, handled_at, status, error) "
            "VALUES ($1, $2, $3, $4, 'failed', $5) ON CONFLICT DO NOTHING",
            where.platform,
            where.channel,
            where.message,
            now,
            error[:500],
        )
        return _count(done) == 1

    async def failed(self) -> list[tuple[ChatRef, str]]:
        found = await self._s.conn.fetch(
            "SELECT platform, channel, message, error FROM inbound WHERE status = 'failed' "
            "ORDER BY handled_at"
        )
        return [(ChatRef(Platform(r[0]), r[1], None, r[2]), r[3] or "") for r in found]

    async def get_state(self, platform: str, name: str) -> str | None:
        found: str | None = await self._s.conn.fetchval(
            "SELECT value FROM adapter_state WHERE platform = $1 AND name = $2", platform, name
        )
        return found

    async def forget_state_before(self, platform: str, prefix: str, before: float) -> int:
        # The CASE keeps the cast from ever seeing a value that is not a plain number.
        done: str = await self._s.conn.execute(
            "DELETE FROM adapter_state WHERE platform = $1 AND left(name, length($2)) = $2 "
            "AND CASE WHEN value ~ '^[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?$' "
            "THEN value::double precision < $3 ELSE false END",
            platform,
            prefix,
            before,
        )
        return int(done.rsplit(" ", 1)[-1])

    async def set_state(self, platform: str, name: str, value: str) -> None:
        await self._s.conn.execute(
            "INSERT INTO adapter_state (platform, name, value) VALUES ($1, $2, $3) "
            "ON CONFLICT (platform, name) DO UPDATE SET value = excluded.value",
            platform,
            name,
            value,
        )
