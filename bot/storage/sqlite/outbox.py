"""The outbox, inbound claims and adapters' resumable state."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Collection
from datetime import datetime, timedelta

from bot.core.models import Action, ArticleId, ChatRef, Platform
from bot.storage.sqlite import rows
from bot.storage.sqlite.db import from_iso, iso
from bot.storage.types import PRIVATE_GONE, OutboxItem, OutboxRow, OutboxState


def _grouped(found: list[sqlite3.Row]) -> list[OutboxRow]:
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


class SqliteOutbox:
    __slots__ = ("_raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    async def add(self, item: OutboxItem, now: datetime) -> bool:
        w, m = item.where, item.message
        cur = self._raw.execute(
            "INSERT INTO outbox (key, op, platform, channel, thread, message, mention_id, "
            "mention_display, title, text, html, card_title, card_url, card_image, purpose, "
            "article_id, point, question_id, target_id, next_attempt_at, created_at, announce, "
            "private) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (key) DO NOTHING",
            (
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
                iso(now),
                iso(now),
                m.announce,
                int(m.private),
            ),
        )
        if cur.rowcount != 1:
            return False
        if m.actions:
            self._raw.executemany(
                "INSERT INTO outbox_actions (outbox_id, position, label, command) "
                "VALUES (?, ?, ?, ?)",
                [(cur.lastrowid, i, a.label, a.command) for i, a in enumerate(m.actions)],
            )
        return True

    async def pending(self, limit: int = 500) -> list[OutboxRow]:
        found = self._raw.execute(
            "SELECT o.*, a.label AS action_label, a.command AS action_command "
            "FROM (SELECT * FROM outbox WHERE status = 'pending' ORDER BY id LIMIT ?) o "
            "LEFT JOIN outbox_actions a ON a.outbox_id = o.id ORDER BY o.id, a.position",
            (limit,),
        ).fetchall()
        return _grouped(found)

    async def claim(
        self,
        worker: str,
        now: datetime,
        lease: timedelta,
        platforms: Collection[str] | None = None,
        limit: int = 100,
    ) -> list[OutboxRow]:
        # The caller's unit of work holds SQLite's write lock (BEGIN IMMEDIATE), so no other
        # process claims between this SELECT and the UPDATE.
        at = iso(now)
        only = list(platforms) if platforms is not None else []
        narrow = (
            f"AND o.platform IN ({','.join('?' * len(only)) or 'NULL'}) "
            if platforms is not None
            else ""
        )
        ids = [
            r[0]
            for r in self._raw.execute(
                "SELECT o.id FROM outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= ? "
                "AND (o.claimed_until IS NULL OR o.claimed_until <= ? OR o.claimed_by = ?) "
                "AND o.id = (SELECT MIN(h.id) FROM outbox h WHERE h.status = 'pending' "
                f"AND h.platform = o.platform AND h.channel = o.channel) {narrow}"
                "ORDER BY o.id LIMIT ?",
                (at, at, worker, *only, limit),
            )
        ]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        self._raw.execute(
            f"UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id IN ({marks})",
            (worker, iso(now + lease), *ids),
        )
        found = self._raw.execute(
            "SELECT o.*, a.label AS action_label, a.command AS action_command "
            f"FROM (SELECT * FROM outbox WHERE id IN ({marks})) o "
            "LEFT JOIN outbox_actions a ON a.outbox_id = o.id ORDER BY o.id, a.position",
            ids,
        ).fetchall()
        return _grouped(found)

    async def release_claims(self, worker: str) -> int:
        cur = self._raw.execute(
            "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL "
            "WHERE status = 'pending' AND claimed_by = ?",
            (worker,),
        )
        return cur.rowcount

    async def oldest_pending_at(self, platform: str) -> datetime | None:
        row = self._raw.execute(
            "SELECT MIN(created_at) FROM outbox WHERE status = 'pending' AND platform = ?",
            (platform,),
        ).fetchone()
        return from_iso(row[0]) if row and row[0] else None

    async def next_due_at(self) -> datetime | None:
        row = self._raw.execute(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'"
        ).fetchone()
        return from_iso(row[0]) if row and row[0] else None

    async def mark_done(self, row_id: int, ref: ChatRef | None, now: datetime) -> None:
        self._raw.execute(
            "UPDATE outbox SET status = 'done', done_at = ?, attempts = attempts + 1, "
            "last_error = NULL, result_channel = ?, result_thread = ?, result_message = ?, "
            "claimed_by = NULL, claimed_until = NULL, "
            f"text = CASE WHEN private THEN '{PRIVATE_GONE}' ELSE text END, "
            "html = CASE WHEN private THEN NULL ELSE html END "
            "WHERE id = ?",
            (
                iso(now),
                ref.channel if ref else None,
                ref.thread if ref else None,
                ref.message if ref else None,
                row_id,
            ),
        )

    async def mark_retry(self, row_id: int, error: str, next_at: datetime) -> None:
        self._raw.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, "
            "claimed_by = NULL, claimed_until = NULL "
            "WHERE id = ?",
            (error, iso(next_at), row_id),
        )

    async def mark_failed(self, row_id: int, error: str) -> None:
        self._raw.execute(
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, "
            "claimed_by = NULL, claimed_until = NULL, "
            f"text = CASE WHEN private THEN '{PRIVATE_GONE}' ELSE text END, "
            "html = CASE WHEN private THEN NULL ELSE html END "
            "WHERE id = ?",
            (error, row_id),
        )

    async def counts(self) -> dict[str, int]:
        found = self._raw.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        return {r[0]: r[1] for r in found}

    async def delivered_on(self, platform: str) -> int:
        row = self._raw.execute(
            "SELECT COUNT(*) FROM outbox WHERE platform = ? AND status = 'done'", (platform,)
        ).fetchone()
        return int(row[0]) if row else 0

    async def delivered(
        self, question_ids: list[int], *, purpose: str, op: str, kind: str | None = None
    ) -> list[tuple[int, ChatRef]]:
        marks = ",".join("?" * len(question_ids)) or "NULL"
        narrow = "AND key LIKE 'q:' || question_id || ':' || ? || ':%' " if kind else ""
        found = self._raw.execute(
            "SELECT question_id, platform, result_channel, result_thread, result_message "
            f"FROM outbox WHERE question_id IN ({marks}) AND purpose = ? AND op = ? {narrow}"
            "AND status = 'done' AND result_message IS NOT NULL ORDER BY id",
            (*question_ids, purpose, op, *((kind,) if kind else ())),
        )
        return [(r[0], ChatRef(Platform(r[1]), r[2], r[3], r[4])) for r in found]

    async def result_of(self, key: str) -> ChatRef | None:
        row = self._raw.execute(
            "SELECT platform, result_channel, result_thread, result_message FROM outbox "
            "WHERE key = ? AND status = 'done'",
            (key,),
        ).fetchone()
        if row is None or row[1] is None:
            return None
        return ChatRef(Platform(row[0]), row[1], row[2], row[3])

    async def of_article(self, article_id: ArticleId) -> list[OutboxState]:
        found = self._raw.execute(
            "SELECT platform, channel, purpose, status, attempts, last_error, next_attempt_at "
            "FROM outbox WHERE article_id = ? AND purpose IN ('summary', 'thread') ORDER BY id",
            (article_id,),
        )
        return [rows.outbox_state(r) for r in found]


class SqliteInbound:
    """Which inbound messages were already acted on, and adapters' resumable state."""

    __slots__ = ("_raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    async def take(self, where: ChatRef, now: datetime) -> bool:
        if where.message is None:
            return True
        cur = self._raw.execute(
            "INSERT INTO inbound (platform, channel, message, handled_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (where.platform, where.channel, where.message, iso(now)),
        )
        return cur.rowcount == 1

    async def take_failed(self, where: ChatRef, now: datetime, error: str) -> bool:
        if where.message is None:
            return True
        cur = self._raw.execute(
            "INSERT INTO inbound (platform, channel, message, handled_at, status, error) "
            "VALUES (?, ?, ?, ?, 'failed', ?) ON CONFLICT DO NOTHING",
            (where.platform, where.channel, where.message, iso(now), error[:500]),
        )
        return cur.rowcount == 1

    async def failed(self) -> list[tuple[ChatRef, str]]:
        found = self._raw.execute(
            "SELECT platform, channel, message, error FROM inbound WHERE status = 'failed' "
            "ORDER BY handled_at"
        )
        return [(ChatRef(Platform(r[0]), r[1], None, r[2]), r[3] or "") for r in found]

    async def get_state(self, platform: str, name: str) -> str | None:
        row = self._raw.execute(
            "SELECT value FROM adapter_state WHERE platform = ? AND name = ?", (platform, name)
        ).fetchone()
        return row[0] if row else None

    async def forget_state_before(self, platform: str, prefix: str, before: float) -> int:
        cur = self._raw.execute(
            "DELETE FROM adapter_state WHERE platform = ? AND substr(name, 1, ?) = ? "
            "AND value GLOB '[0-9]*' AND value NOT GLOB '*[^0-9.eE+-]*' "
            "AND CAST(value AS REAL) < ?",
            (platform, len(prefix), prefix, before),
        )
        return cur.rowcount

    async def set_state(self, platform: str, name: str, value: str) -> None:
        self._raw.execute(
            "INSERT INTO adapter_state (platform, name, value) VALUES (?, ?, ?) "
            "ON CONFLICT (platform, name) DO UPDATE SET value = excluded.value",
            (platform, name, value),
        )
