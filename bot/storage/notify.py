"""How authors hear of new questions: their preferences, and the questions to tell them of.

All writes are plain functions over the raw connection, for use inside ``Database.run``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.core.models import ChatRef, Platform
from bot.storage.db import Database, from_iso, iso
from bot.storage.subscriptions import AUTHORED_BY

DEFAULT_DIGEST_AT = "09:00"


@dataclass(frozen=True, slots=True)
class QuestionBrief:
    """What a notice says about a question: where it is, who asked, what."""

    id: int
    article_id: int
    article_title: str
    point: int | None
    point_title: str | None
    asker_key: str
    asker_label: str  # "a reader" when asked anonymously
    text: str
    where: ChatRef
    asked_at: datetime
    merged_into: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> QuestionBrief:
        display = row["asker_display"] or row["asker_id"]
        return cls(
            id=row["id"],
            article_id=row["article_id"],
            article_title=row["article_title"],
            point=row["point"],
            point_title=row["point_title"],
            asker_key=f"{row['asker_platform']}:{row['asker_id']}",
            asker_label="a reader" if row["anonymous"] else display,
            text=row["text"],
            where=ChatRef(Platform(row["platform"]), row["channel"], row["thread"], row["message"]),
            asked_at=from_iso(row["asked_at"]),
            merged_into=row["merged_into"],
        )


_BRIEF = (
    "SELECT q.id, q.article_id, ar.title AS article_title, q.point, p.title AS point_title, "
    "q.asker_platform, q.asker_id, q.asker_display, q.anonymous, q.text, q.platform, "
    "q.channel, q.thread, q.message, q.asked_at, q.merged_into "
    "FROM questions q JOIN articles ar ON ar.id = q.article_id "
    "LEFT JOIN points p ON p.article_id = q.article_id AND p.number = q.point "
)


def question_brief(raw: sqlite3.Connection, qid: int) -> QuestionBrief | None:
    row = raw.execute(_BRIEF + "WHERE q.id = ?", (qid,)).fetchone()
    return QuestionBrief.from_row(row) if row else None


def authors_to_tell(
    raw: sqlite3.Connection, article_id: int, platform: str, channel: str
) -> list[tuple[str, str]]:
    """``(user_key, notify)`` of every author of the subscription that posts the article in
    ``platform:channel`` (where the question was asked); no preference is 'each'."""
    rows = raw.execute(
        "SELECT DISTINCT sa.user_key, COALESCE(ap.notify, 'each') FROM subscription_authors sa "
        "JOIN targets t ON t.subscription_id = sa.subscription_id "
        "JOIN articles a ON a.feed_id = t.feed_id "
        "LEFT JOIN author_prefs ap ON ap.user_key = sa.user_key "
        "WHERE a.id = ? AND t.platform = ? AND t.channel = ? ORDER BY sa.user_key",
        (article_id, platform, channel),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


@dataclass(frozen=True, slots=True)
class DigestPref:
    user_key: str
    digest_at: str  # HH:MM, UTC
    last_digest_at: datetime | None


_DIGEST_PREFS = (
    "SELECT user_key, digest_at, last_digest_at FROM author_prefs WHERE notify = 'digest' "
    "ORDER BY user_key"
)


def _pref(row: sqlite3.Row) -> DigestPref:
    last = row["last_digest_at"]
    return DigestPref(row["user_key"], row["digest_at"], from_iso(last) if last else None)


def digest_prefs(raw: sqlite3.Connection) -> list[DigestPref]:
    """Authors who chose a digest (inside a transaction)."""
    return [_pref(r) for r in raw.execute(_DIGEST_PREFS).fetchall()]


async def digest_schedule(db: Database) -> list[DigestPref]:
    """Authors who chose a digest (a read outside any transaction)."""
    return [_pref(r) for r in await db.fetchall(_DIGEST_PREFS)]


def new_questions_for(
    raw: sqlite3.Connection, user_key: str, since: datetime, until: datetime
) -> list[QuestionBrief]:
    """Open questions asked in ``(since, until]`` where ``user_key``'s subscriptions post, by
    article then point (the whole article last). Duplicates folded into another question
    and the author's own questions are left out: there is nothing in them to answer."""
    rows = raw.execute(
        _BRIEF + "WHERE " + AUTHORED_BY.format(article="ar", question="q") + " "
        "AND q.asked_at > ? AND q.asked_at <= ? AND q.status = 'queued' "
        "AND q.merged_into IS NULL AND q.asker_platform || ':' || q.asker_id != ? "
        "ORDER BY q.article_id, q.point IS NULL, q.point, q.id",
        (user_key, iso(since), iso(until), user_key),
    ).fetchall()
    return [QuestionBrief.from_row(r) for r in rows]


def mark_digested(raw: sqlite3.Connection, user_key: str, at: datetime) -> None:
    raw.execute(
        "UPDATE author_prefs SET last_digest_at = ? WHERE user_key = ?", (iso(at), user_key)
    )


def set_pref(
    raw: sqlite3.Connection, user_key: str, mode: str, at: str | None, now: datetime
) -> str:
    """Store ``user_key``'s choice; returns the digest time in force.

    Switching to a digest starts its window now: the first digest lists the questions
    that came after the choice (those before were told one by one, or not at all).
    """
    start = iso(now) if mode == "digest" else None
    raw.execute(
        "INSERT INTO author_prefs (user_key, notify, digest_at, last_digest_at) "
        "VALUES (?, ?, COALESCE(?, ?), ?) "
        "ON CONFLICT (user_key) DO UPDATE SET notify = excluded.notify, "
        "digest_at = COALESCE(?, author_prefs.digest_at), "
        "last_digest_at = CASE WHEN excluded.notify = 'digest' AND author_prefs.notify != 'digest' "
        "THEN excluded.last_digest_at ELSE author_prefs.last_digest_at END",
        (user_key, mode, at, DEFAULT_DIGEST_AT, start, at),
    )
    row = raw.execute(
        "SELECT digest_at FROM author_prefs WHERE user_key = ?", (user_key,)
    ).fetchone()
    return str(row[0])
