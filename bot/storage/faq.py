"""Reads for the FAQ and the export, and the state of a posted FAQ message in the outbox.

A FAQ message is one outbox row keyed ``faq:{article}:{platform}:{channel}`` (the post),
followed by edit rows keyed ``{that key}:edit:{n}:{digest}``. What the message shows now is
the content of the newest of those rows, so "is it up to date?" is a comparison with it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.core.models import ChatRef, Platform, Question
from bot.storage.db import Database, from_iso, iso
from bot.storage.questions import question_from_row

# As QuestionRepository reads questions: votes count once per person over a question and
# the duplicates merged into it, and a merged question shows its target's answer.
_SELECT = (
    "SELECT q.*, a.text AS answer_text, a.answered_at AS answer_at, "
    "(SELECT COUNT(DISTINCT v.voter_key) FROM votes v WHERE v.question_id = q.id "
    " OR v.question_id IN (SELECT m.id FROM questions m WHERE m.merged_into = q.id)) "
    "AS vote_count "
    "FROM questions q LEFT JOIN answers a ON a.question_id = COALESCE(q.merged_into, q.id) "
)


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    """A question with what only the export shows: when it was answered."""

    question: Question
    answered_at: datetime | None


async def answered_questions(db: Database, article_id: int) -> list[Question]:
    """The article's answered questions that are not duplicates folded into another."""
    rows = await db.fetchall(
        _SELECT + "WHERE q.article_id = ? AND q.status = 'answered' AND q.merged_into IS NULL "
        "AND a.text IS NOT NULL ORDER BY q.id",
        (article_id,),
    )
    return [question_from_row(r) for r in rows]


async def all_questions(db: Database, article_id: int | None) -> list[QuestionRecord]:
    """Every question (of one article, or of all), oldest article first, then by id."""
    where = "WHERE q.article_id = ? " if article_id is not None else ""
    params: tuple[object, ...] = (article_id,) if article_id is not None else ()
    rows = await db.fetchall(_SELECT + where + "ORDER BY q.article_id, q.id", params)
    return [
        QuestionRecord(question_from_row(r), from_iso(r["answer_at"]) if r["answer_at"] else None)
        for r in rows
    ]


async def article_ids(db: Database) -> list[int]:
    rows = await db.fetchall("SELECT id FROM articles ORDER BY id")
    return [int(r[0]) for r in rows]


@dataclass(frozen=True, slots=True)
class FaqMessage:
    """The first post of a FAQ and what the message shows now."""

    status: str  # the post's outbox status: pending | done | failed
    landed: ChatRef | None  # where the post landed, once done
    text: str  # the newest content queued for it (post or edit)
    html: str | None
    edits: int  # edit rows queued so far


def faq_message(raw: sqlite3.Connection, key: str) -> FaqMessage | None:
    """The FAQ posted with outbox key ``key``, if it was ever queued (inside a transaction)."""
    post = raw.execute(
        "SELECT status, platform, result_channel, result_thread, result_message, text, html "
        "FROM outbox WHERE key = ?",
        (key,),
    ).fetchone()
    if post is None:
        return None
    prefix = f"{key}:edit:"
    # substr, not LIKE: channel ids may hold LIKE's wildcards (a Matrix room id's "_").
    edits = raw.execute(
        "SELECT text, html FROM outbox WHERE substr(key, 1, ?) = ? ORDER BY id DESC",
        (len(prefix), prefix),
    ).fetchall()
    landed = None
    if post["status"] == "done" and post["result_message"] is not None:
        landed = ChatRef(
            Platform(post["platform"]),
            post["result_channel"],
            post["result_thread"],
            post["result_message"],
        )
    newest = edits[0] if edits else post
    return FaqMessage(post["status"], landed, newest["text"], newest["html"], len(edits))


def retry_post(
    raw: sqlite3.Connection, key: str, text: str, html: str | None, now: datetime
) -> None:
    """Queue a FAQ post that failed for good again, with today's content, under its key."""
    raw.execute(
        "UPDATE outbox SET status = 'pending', attempts = 0, last_error = NULL, text = ?, "
        "html = ?, next_attempt_at = ? WHERE key = ? AND status = 'failed'",
        (text, html, iso(now), key),
    )
