"""The texts of ``!feed list`` and ``!feed status``: feeds' health and entries' fate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.app.config_feeds import REMOVED
from bot.core.wording import count
from bot.feeds.notices import every, label, when
from bot.storage.types import FeedRow, OutboxState, SeenEntry, Target

SOURCES = {"config": "from the config file", "chat": "added in chat", "builtin": "bundled"}


def source_of(feed: FeedRow) -> str:
    if feed.source == "config" and feed.paused and feed.pause_reason == REMOVED:
        return "removed from the config file"
    return SOURCES.get(feed.source, feed.source)


def places(targets: Sequence[Target]) -> str:
    return ", ".join(f"{t.platform}:{t.channel}" for t in targets) or "no channel"


def health(feed: FeedRow, interval_s: int, now: datetime) -> str:
    """Last fetch, last HTTP status, failures and next poll, in one line."""
    if not feed.url.startswith(("http://", "https://")):
        return "read from the bot's own files, not polled"
    status = f"HTTP {feed.last_status}" if feed.last_status else "no answer"
    last = (
        f"last fetch {when(feed.last_fetch_at, now)} ({status})"
        if feed.last_fetch_at
        else "not fetched yet"
    )
    failures = f"{count(feed.failures, 'failure')} in a row"
    if feed.paused:
        nxt = f"PAUSED: {feed.pause_reason or 'no reason given'}"
    else:
        nxt = f"next poll {when(feed.next_poll_at, now) if feed.next_poll_at else 'now'}"
    return f"{every(interval_s)}; {last}, {failures}, {nxt}"


def feed_list(
    feeds: Sequence[tuple[FeedRow, Sequence[Target], int]],
    now: datetime,
    prefix: str,
    *,
    looks: Mapping[int, Sequence[str]] | None = None,
) -> str:
    """One entry per feed; ``looks``: by feed id, its subscriptions' summary settings
    (templates, announcements) that differ from the default."""
    if not feeds:
        return f"No feeds yet. Add one with {prefix}feed add <url>."
    lines = [f"Feeds ({len(feeds)}):"]
    for feed, targets, interval in feeds:
        lines.append(f"{label(feed)} — {feed.url} — {source_of(feed)} — posts to {places(targets)}")
        lines.append(f"    {health(feed, interval, now)}")
        lines += [f"    {line}" for line in (looks or {}).get(feed.id, ())]
        if feed.last_error and feed.failures:
            lines.append(f"    last error: {feed.last_error}")
    lines.append(f"{prefix}feed status <id> says why entries were or were not posted.")
    return "\n".join(lines)


def _delivery(states: Sequence[OutboxState], now: datetime) -> str:
    """Where the entry's summary and threads stand, channel by channel."""
    if not states:
        return "stored, but the feed had no channel to post to"
    by_place: dict[str, list[OutboxState]] = {}
    for s in states:
        by_place.setdefault(f"{s.platform}:{s.channel}", []).append(s)
    parts = []
    for place, rows in by_place.items():
        failed = [r for r in rows if r.status == "failed"]
        pending = [r for r in rows if r.status == "pending"]
        if failed:
            parts.append(f"delivery to {place} failed for good: {failed[0].last_error}")
        elif any(r.attempts for r in pending):
            r = next(r for r in pending if r.attempts)
            parts.append(
                f"delivery to {place} failing, retrying (attempt {r.attempts + 1} "
                f"{when(r.next_attempt_at, now)}): {r.last_error}"
            )
        elif pending:
            parts.append(
                f"queued for {place} ({len(pending)} of {count(len(rows), 'message')} to go)"
            )
        else:
            parts.append(f"delivered to {place}")
    return "; ".join(parts)


def entry_line(
    entry: SeenEntry, states: Sequence[OutboxState], now: datetime, prefix: str, fid: int
) -> str:
    title = f"“{entry.title}”" if entry.title else entry.link or entry.key
    date = f" ({entry.published_at:%Y-%m-%d})" if entry.published_at else ""
    if entry.status == "posted":
        why = "posted: " + _delivery(states, now)
    elif entry.status == "skipped":
        why = "not posted: it was already in the feed when the feed was added (seen before)"
    elif entry.status == "waiting":
        why = (
            "waiting: this channel's cap of new entries a day was reached; it is posted "
            "on a later day (UTC), oldest first"
        )
    elif entry.status == "held":
        why = (
            "held: it came in a sudden batch of new entries; "
            f"{prefix}feed post {fid} latest|N posts from it"
        )
    else:
        why = f"not posted: {entry.reason or 'filtered'}"
    return f"• {title}{date} — {why}"


def feed_status(
    feed: FeedRow,
    targets: Sequence[Target],
    *,
    interval_s: int,
    entries: Sequence[tuple[SeenEntry, Sequence[OutboxState]]],
    hold: tuple[int, int, datetime] | None,
    now: datetime,
    prefix: str,
    looks: Sequence[str] = (),
) -> str:
    by = f" by {feed.added_by}" if feed.added_by else ""
    lines = [
        f"Feed {label(feed)} — {feed.url} — {source_of(feed)}{by} — posts to {places(targets)}",
        f"Health: {health(feed, interval_s, now)}.",
        *looks,
    ]
    if feed.last_error and feed.failures:
        lines.append(f"Feed error: {feed.last_error} (new entries wait until a fetch works).")
    if hold is not None:
        lines.append(
            f"Held: {count(hold[1], 'new entry', 'new entries')} since {when(hold[2], now)}; "
            f"{prefix}feed post {feed.id} latest or {prefix}feed post {feed.id} N posts some."
        )
    if not entries:
        lines.append("No entries seen yet.")
    else:
        lines.append("Latest entries:")
        lines += [entry_line(e, s, now, prefix, feed.id) for e, s in entries]
    return "\n".join(lines)
