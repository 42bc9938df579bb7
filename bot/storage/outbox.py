"""The outbox table, inbound de-duplication and per-adapter resumable state."""

from __future__ import annotations

import itertools
import sqlite3
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.core.models import Action, ChatRef, Platform, Rendered, UserRef
from bot.storage.db import Database, from_iso, iso


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One outgoing message, as planned before the first attempt.

    ``op``: post | open_thread | reply | react | dm. ``where`` is the channel or thread
    to post in, the message to reply or react to, or (for dm) ``channel`` holds the user id.
    ``purpose`` says what the platform's ref is recorded as once delivered.
    """

    key: str
    op: str
    where: ChatRef
    message: Rendered
    purpose: str
    title: str | None = None
    mention: UserRef | None = None
    article_id: int | None = None
    point: int | None = None
    question_id: int | None = None
    target_id: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    item: OutboxItem
    attempts: int
    next_attempt_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row, actions: tuple[Action, ...] = ()) -> OutboxRow:
        platform = Platform(row["platform"])
        mention = (
            UserRef(platform, row["mention_id"], row["mention_display"] or "")
            if row["mention_id"]
            else None
        )
        item = OutboxItem(
            key=row["key"],
            op=row["op"],
            where=ChatRef(platform, row["channel"], row["thread"], row["message"]),
            message=Rendered(row["text"], row["html"], row["card_title"], row["card_url"], actions),
            purpose=row["purpose"],
            title=row["title"],
            mention=mention,
            article_id=row["article_id"],
            point=row["point"],
            question_id=row["question_id"],
            target_id=row["target_id"],
        )
        return cls(row["id"], item, row["attempts"], from_iso(row["next_attempt_at"]))


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def add(raw: sqlite3.Connection, item: OutboxItem, now: datetime) -> bool:
        """Queue ``item`` inside the caller's transaction; False if its key was queued before."""
        w, m = item.where, item.message
        cur = raw.execute(
            "INSERT INTO outbox (key, op, platform, channel, thread, message, mention_id, "
            "mention_display, title, text, html, card_title, card_url, purpose, article_id, "
            "point, question_id, target_id, next_attempt_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
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
                item.purpose,
                item.article_id,
                item.point,
                item.question_id,
                item.target_id,
                iso(now),
                iso(now),
            ),
        )
        if cur.rowcount != 1:
            return False
        if m.actions:
            raw.executemany(
                "INSERT INTO outbox_actions (outbox_id, position, label, command) "
                "VALUES (?, ?, ?, ?)",
                [(cur.lastrowid, i, a.label, a.command) for i, a in enumerate(m.actions)],
            )
        return True

    async def enqueue(self, conn: aiosqlite.Connection, item: OutboxItem, now: datetime) -> bool:
        """:meth:`add` from inside an async :meth:`Database.transaction`."""
        return await Database.on_thread(conn, self.add, item, now)

    async def pending(self, limit: int = 500) -> list[OutboxRow]:
        """Undelivered rows in the order they were queued, due or not, with their actions."""
        rows = await self.db.fetchall(
            "SELECT o.*, a.label AS action_label, a.command AS action_command "
            "FROM (SELECT * FROM outbox WHERE status = 'pending' ORDER BY id LIMIT ?) o "
            "LEFT JOIN outbox_actions a ON a.outbox_id = o.id ORDER BY o.id, a.position",
            (limit,),
        )
        found = []
        for _, group in itertools.groupby(rows, key=lambda r: r["id"]):
            same_row = list(group)
            actions = tuple(
                Action(r["action_label"], r["action_command"])
                for r in same_row
                if r["action_label"] is not None
            )
            found.append(OutboxRow.from_row(same_row[0], actions))
        return found

    async def next_due_at(self) -> str | None:
        row = await self.db.fetchone(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'"
        )
        return row[0] if row else None

    @staticmethod
    def mark_done(raw: sqlite3.Connection, row_id: int, ref: ChatRef | None, now: datetime) -> None:
        """Record the platform's ref: the row is delivered (inside the caller's transaction)."""
        raw.execute(
            "UPDATE outbox SET status = 'done', done_at = ?, attempts = attempts + 1, "
            "last_error = NULL, result_channel = ?, result_thread = ?, result_message = ? "
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
        await self.db.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
            "WHERE id = ?",
            (error, iso(next_at), row_id),
        )

    async def mark_failed(self, row_id: int, error: str) -> None:
        await self.db.execute(
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? "
            "WHERE id = ?",
            (error, row_id),
        )

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        return {r[0]: r[1] for r in rows}

    async def delivered(
        self, question_ids: list[int], *, purpose: str, op: str, kind: str | None = None
    ) -> list[tuple[int, ChatRef]]:
        """Where the delivered messages about these questions landed, oldest first.

        ``kind`` narrows them to one kind of message by its key, ``q:<id>:<kind>:…`` (keys
        are fixed when a row is queued, so this holds for rows of every version): an answer
        notice (``answered``) is then told from a merge, dismissal or reopening notice."""
        marks = ",".join("?" * len(question_ids)) or "NULL"
        narrow = "AND key LIKE 'q:' || question_id || ':' || ? || ':%' " if kind else ""
        rows = await self.db.fetchall(
            "SELECT question_id, platform, result_channel, result_thread, result_message "
            f"FROM outbox WHERE question_id IN ({marks}) AND purpose = ? AND op = ? {narrow}"
            "AND status = 'done' AND result_message IS NOT NULL ORDER BY id",
            (*question_ids, purpose, op, *((kind,) if kind else ())),
        )
        return [(r[0], ChatRef(Platform(r[1]), r[2], r[3], r[4])) for r in rows]

    async def result_of(self, key: str) -> ChatRef | None:
        """Where the message with this key landed, once delivered."""
        row = await self.db.fetchone(
            "SELECT platform, result_channel, result_thread, result_message FROM outbox "
            "WHERE key = ? AND status = 'done'",
            (key,),
        )
        if row is None or row[1] is None:
            return None
        return ChatRef(Platform(row[0]), row[1], row[2], row[3])


class InboundRepository:
    """Which inbound messages were already acted on, and adapters' resumable state."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def take(raw: sqlite3.Connection, where: ChatRef, now: datetime) -> bool:
        """Record ``where.message`` as handled; False if it had been handled before."""
        if where.message is None:
            return True
        cur = raw.execute(
            "INSERT INTO inbound (platform, channel, message, handled_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (where.platform, where.channel, where.message, iso(now)),
        )
        return cur.rowcount == 1

    @staticmethod
    def take_failed(raw: sqlite3.Connection, where: ChatRef, now: datetime, error: str) -> bool:
        """Record ``where.message`` as failed (not retried); False if it had been claimed."""
        if where.message is None:
            return True
        cur = raw.execute(
            "INSERT INTO inbound (platform, channel, message, handled_at, status, error) "
            "VALUES (?, ?, ?, ?, 'failed', ?) ON CONFLICT DO NOTHING",
            (where.platform, where.channel, where.message, iso(now), error[:500]),
        )
        return cur.rowcount == 1

    async def failed(self) -> list[tuple[ChatRef, str]]:
        """Every message claimed as failed, with its error, oldest first."""
        rows = await self.db.fetchall(
            "SELECT platform, channel, message, error FROM inbound WHERE status = 'failed' "
            "ORDER BY handled_at"
        )
        return [(ChatRef(Platform(r[0]), r[1], None, r[2]), r[3] or "") for r in rows]

    async def get_state(self, platform: str, name: str) -> str | None:
        row = await self.db.fetchone(
            "SELECT value FROM adapter_state WHERE platform = ? AND name = ?", (platform, name)
        )
        return row[0] if row else None

    async def set_state(self, platform: str, name: str, value: str) -> None:
        await self.db.execute(
            "INSERT INTO adapter_state (platform, name, value) VALUES (?, ?, ?) "
            "ON CONFLICT (platform, name) DO UPDATE SET value = excluded.value",
            (platform, name, value),
        )
