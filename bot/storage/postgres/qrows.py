"""asyncpg records of the questions, outbox and notification tables as the core's values.

Times come back from asyncpg as aware datetimes (``timestamptz``) and flags as booleans, so
these need none of SQLite's text conversions; the shapes are the same as
:mod:`bot.storage.sqlite.rows`.
"""

from __future__ import annotations

from typing import Any

from bot.core.models import (
    Action,
    ArticleId,
    ChatRef,
    Platform,
    Question,
    QuestionId,
    QuestionStatus,
    Rendered,
    UserRef,
)
from bot.storage.types import (
    DigestPref,
    OutboxItem,
    OutboxRow,
    OutboxState,
    QuestionBrief,
    QuestionEvent,
)

Record = Any  # asyncpg.Record: mapping access by column name


def question(row: Record) -> Question:
    return Question(
        id=QuestionId(row["id"]),
        article_id=ArticleId(row["article_id"]),
        point=row["point"],
        asker=UserRef(Platform(row["asker_platform"]), row["asker_id"], row["asker_display"]),
        where=ChatRef(Platform(row["platform"]), row["channel"], row["thread"], row["message"]),
        text=row["text"],
        status=QuestionStatus(row["status"]),
        asked_at=row["asked_at"],
        votes=row["vote_count"],
        answer=row["answer_text"],
        reason=row["reason"],
        merged_into=QuestionId(row["merged_into"]) if row["merged_into"] is not None else None,
        anonymous=bool(row["anonymous"]),
    )


def event(row: Record) -> QuestionEvent:
    old = row["from_status"]
    return QuestionEvent(
        at=row["at"],
        actor_key=row["actor_key"],
        from_status=QuestionStatus(old) if old is not None else None,
        to_status=QuestionStatus(row["to_status"]),
        note=row["note"],
    )


def brief(row: Record) -> QuestionBrief:
    display = row["asker_display"] or row["asker_id"]
    return QuestionBrief(
        id=row["id"],
        article_id=row["article_id"],
        article_title=row["article_title"],
        point=row["point"],
        point_title=row["point_title"],
        asker_key=f"{row['asker_platform']}:{row['asker_id']}",
        asker_label="a reader" if row["anonymous"] else display,
        text=row["text"],
        where=ChatRef(Platform(row["platform"]), row["channel"], row["thread"], row["message"]),
        asked_at=row["asked_at"],
        merged_into=row["merged_into"],
    )


def digest_pref(row: Record) -> DigestPref:
    return DigestPref(row["user_key"], row["digest_at"], row["last_digest_at"])


def outbox_row(row: Record, actions: tuple[Action, ...] = ()) -> OutboxRow:
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
        message=Rendered(
            row["text"],
            row["html"],
            row["card_title"],
            row["card_url"],
            actions,
            image=row["card_image"],
            announce=row["announce"],
        ),
        purpose=row["purpose"],
        title=row["title"],
        mention=mention,
        article_id=row["article_id"],
        point=row["point"],
        question_id=row["question_id"],
        target_id=row["target_id"],
    )
    return OutboxRow(
        row["id"], item, row["attempts"], row["next_attempt_at"], row["last_error"]
    )


def outbox_state(row: Record) -> OutboxState:
    return OutboxState(
        Platform(row["platform"]),
        row["channel"],
        row["purpose"],
        row["status"],
        row["attempts"],
        row["last_error"],
        row["next_attempt_at"],
    )
