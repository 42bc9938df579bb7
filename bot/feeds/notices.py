"""What the bot tells admins about a feed, in one place so the wording stays consistent."""

from __future__ import annotations

from datetime import datetime

from bot.core.wording import count
from bot.storage.types import FeedRow


def label(feed: FeedRow) -> str:
    """``#3 “Title”`` (or the URL when the feed has no title yet)."""
    return f"#{feed.id} “{feed.title}”" if feed.title else f"#{feed.id} ({feed.url})"


def held(feed: FeedRow, new: int, total: int, prefix: str) -> str:
    return (
        f"Feed {label(feed)} suddenly shows {count(new, 'entry')} I have not seen before (of "
        f"{total} in the feed); it was probably re-dated or moved. I am holding them instead of "
        f"posting them all here. To post some, an admin says {prefix}feed post {feed.id} latest "
        f"(the newest) or {prefix}feed post {feed.id} N (the N newest). Entries that appear "
        "after this are posted as usual."
    )


def paused(feed: FeedRow, failures: int, reason: str, prefix: str) -> str:
    return (
        f"Feed {label(feed)} is paused after {failures} failed fetches in a row. The last "
        f"one: {reason}. Nothing more is fetched from {feed.url} until an admin says "
        f"{prefix}feed resume {feed.id} ({prefix}feed status {feed.id} shows more)."
    )


def gone(feed: FeedRow, prefix: str) -> str:
    return (
        f"Feed {label(feed)} is gone: {feed.url} answered HTTP 410 (Gone), so it is stopped. "
        f"If the feed moved, add its new address with {prefix}feed add; {prefix}feed remove "
        f"{feed.id} removes this one."
    )


def when(moment: datetime | None, now: datetime) -> str:
    """A moment relative to ``now``: "in 14 min", "3 h ago", "never"."""
    if moment is None:
        return "never"
    seconds = (moment - now).total_seconds()
    span = abs(seconds)
    if span < 60:
        return "now" if seconds <= 0 or span < 1 else f"in {span:.0f} s"
    if span < 3600:
        text = f"{span / 60:.0f} min"
    elif span < 172800:
        text = f"{span / 3600:.1f} h".replace(".0 h", " h")
    else:
        text = f"{span / 86400:.0f} days"
    return f"in {text}" if seconds > 0 else f"{text} ago"


def every(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"every {seconds // 3600} h"
    if seconds % 60 == 0:
        return f"every {seconds // 60} min"
    return f"every {seconds} s"
