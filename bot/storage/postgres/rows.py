"""PostgreSQL rows (``asyncpg.Record``) to the port's value types.

The same conversions as :mod:`bot.storage.sqlite.rows`, minus the text decoding: asyncpg
gives ``timestamptz`` as aware UTC datetimes, ``boolean`` as bool and ``bigint`` as int.
Records are looked up by column name, like ``sqlite3.Row``."""

from __future__ import annotations

from typing import Any

from bot.core.models import (
    Action,
    ArticleId,
    ChatRef,
    FeedId,
    Platform,
    Question,
    QuestionId,
    QuestionStatus,
    Rendered,
    UserRef,
)
from bot.storage.types import (
    DigestPref,
    FeedRow,
    OutboxItem,
    OutboxRow,
    OutboxState,
    QuestionBrief,
    QuestionEvent,
    SeenEntry,
    SubEntry,
    Subscription,
    Target,
)

Record = Any  # asyncpg.Record (asyncpg ships no type information)


def question(row: Record) -> Question:
    return Question(
        id=QuestionId(row["id"]),
        article_id=ArticleId(row["article_id"]),
        point=row["point"],
        asker=UserRef(Platform(row["asker_platform"]), row["asker_id"], row["asker_display"]),
        where=ChatRef(
            Platform(row["platform"]),
            row["channel"],
            row["thread"],
            row["message"],
            server=row["server"],
        ),
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


def target(row: Record) -> Target:
    return Target(
        row["id"],
        FeedId(row["feed_id"]),
        Platform(row["platform"]),
        row["channel"],
        row["subscription_id"],
        row["announce"],
    )


def subscription(row: Record) -> Subscription:
    return Subscription(
        row["id"],
        FeedId(row["feed_id"]),
        row["community"],
        row["added_by"],
        row["backfill"],
        bool(row["paused"]),
        row["pause_reason"],
        row["max_per_day"],
        row["template"],
    )


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
            private=bool(row["private"]),
        ),
        purpose=row["purpose"],
        title=row["title"],
        mention=mention,
        article_id=row["article_id"],
        point=row["point"],
        question_id=row["question_id"],
        target_id=row["target_id"],
    )
    return OutboxRow(row["id"], item, row["attempts"], row["next_attempt_at"], row["last_error"])


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


def feed(row: Record) -> FeedRow:
    return FeedRow(
        id=FeedId(row["id"]),
        url=row["url"],
        title=row["title"],
        source=row["source"],
        added_by=row["added_by"],
        paused=bool(row["paused"]),
        pause_reason=row["pause_reason"],
        interval_s=row["interval_s"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_fetch_at=row["last_fetch_at"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        failures=row["failures"],
        next_poll_at=row["next_poll_at"],
        site_link=row["site_link"],
        full_article=row["full_article"],
        backfill=row["backfill"],
        primed_at=row["primed_at"],
        body_hash=row["body_hash"],
        last_ok_at=row["last_ok_at"],
    )


def seen_entry(row: Record) -> SeenEntry:
    article = row["article_id"]
    return SeenEntry(
        key=row["entry_key"],
        content_hash=row["content_hash"],
        status=row["status"],
        title=row["title"],
        link=row["link"],
        published_at=row["published_at"],
        first_seen_at=row["first_seen_at"],
        article_id=ArticleId(article) if article is not None else None,
        reason=row["reason"],
        hold_id=row["hold_id"],
    )


def sub_entry(row: Record) -> SubEntry:
    article = row["article_id"]
    return SubEntry(
        row["subscription_id"],
        row["entry_key"],
        row["status"],
        row["reason"],
        ArticleId(article) if article is not None else None,
    )
