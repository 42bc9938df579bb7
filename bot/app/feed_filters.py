"""``!feed filter`` (what a subscription lets through) and ``!feed preview`` (what the
feed's latest entries would do here, posting nothing)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.app import feed_report
from bot.app.feed_args import UsageError
from bot.core.numbers import read_number
from bot.feeds import filters
from bot.feeds.document import FeedDocument, newest
from bot.feeds.ingest import split_by_filters
from bot.feeds.notices import label
from bot.storage.port import Store
from bot.storage.types import FeedRow, SeenEntry, Subscription, Target

MAX_PREVIEW = 20


def usage(prefix: str, fid: int | str = "<id>") -> str:
    return (
        f"{prefix}feed filter {fid} include|exclude <field> <pattern>, "
        f"{prefix}feed filter {fid} list or {prefix}feed filter {fid} clear; the field is "
        f'{", ".join(filters.FIELDS)}; the pattern is words, a "quoted phrase" or '
        "re:<regular expression>"
    )


def shown(rows: Sequence[filters.Rule]) -> str:
    if not rows:
        return "no filters: every entry is posted"
    return "; ".join(f"{r.kind} {r}" for r in rows)


async def filter_command(
    store: Store,
    feed: FeedRow,
    sub: Subscription,
    args: Sequence[str],
    prefix: str,
) -> str:
    """``filter <id> include|exclude <field> <pattern>`` / ``list`` / ``clear``."""
    if not args:
        raise UsageError(f"{prefix}feed filter needs what to do: {usage(prefix, feed.id)}")
    verb = args[0].lower()
    config = (
        " (this subscription comes from the config file, whose filters replace these at "
        "the next start)"
        if sub.community == "config"
        else ""
    )
    if verb == "list":
        async with store.read() as r:
            rules = [filters.Rule(*row) for row in await r.subscriptions.filters(sub.id)]
        return f"Feed {label(feed)} filters here: {shown(rules)}."
    if verb == "clear":
        async with store.transaction() as tx:
            gone = await tx.subscriptions.clear_filters(sub.id)
        if not gone:
            return f"Feed {label(feed)} has no filters here; nothing changed."
        return (
            f"Cleared {gone} filter{'s' if gone != 1 else ''} of feed {label(feed)} here: "
            f"its new entries are all posted.{config}"
        )
    if verb not in filters.KINDS:
        raise UsageError(
            f"I did not understand '{args[0]}' after {prefix}feed filter {feed.id}: "
            f"{usage(prefix, feed.id)}"
        )
    if len(args) < 3:
        raise UsageError(
            f"{prefix}feed filter {feed.id} {verb} needs a field and a pattern: "
            f"{usage(prefix, feed.id)}"
        )
    try:
        rule = filters.rule(verb, args[1], " ".join(args[2:]))
    except filters.FilterError as exc:
        raise UsageError(f"{exc}. Nothing was changed.") from None
    async with store.transaction() as tx:
        added = await tx.subscriptions.add_filter(sub.id, (rule.kind, rule.field, rule.pattern))
        rules = [filters.Rule(*row) for row in await tx.subscriptions.filters(sub.id)]
    if not added:
        return f"Feed {label(feed)} already has the filter {rule.kind} {rule} here."
    return (
        f"Feed {label(feed)} now has the filter {rule.kind} {rule} here; it applies to new "
        f"entries. Filters here: {shown(rules)}.{config}"
    )


def preview_count(args: Sequence[str], prefix: str) -> int:
    if len(args) < 2:
        return 5
    n = read_number(args[1], lowest=1, highest=MAX_PREVIEW)
    if n is None:
        raise UsageError(
            f"{prefix}feed preview {args[0]} takes how many of the latest entries, from 1 to "
            f"{MAX_PREVIEW}, not '{args[1]}'"
        )
    return n


def preview(
    feed: FeedRow,
    doc: FeedDocument,
    count: int,
    *,
    targets: Sequence[Target],
    rules: dict[int, list[filters.Rule]],
    paused: set[int],
    seen: dict[str, SeenEntry],
) -> str:
    """For each of the ``count`` newest entries: where it would be posted, and why not."""
    entries = newest(list(doc.entries), count)
    if not entries:
        return f"Feed {label(feed)} has no entries now. Nothing was posted."
    lines = [f"Feed {label(feed)}, its {len(entries)} latest entries (nothing is posted):"]
    for e in entries:
        title = f"“{e.title}”" if e.title else e.link or e.key
        active = [t for t in targets if t.subscription_id not in paused]
        passed, held = split_by_filters(e, active, rules)
        parts = []
        if passed:
            parts.append(f"would be posted to {feed_report.places(passed)}")
        for t in targets:
            if t.subscription_id in paused:
                parts.append(f"not to {t.platform}:{t.channel}: paused")
            elif t.subscription_id in held:
                parts.append(f"not to {t.platform}:{t.channel}: {held[t.subscription_id]}")
        if not targets:
            parts.append("no channel to post to")
        old = seen.get(e.key)
        if old is not None:
            parts.append(f"(seen before: {old.status}, so it is not posted again on its own)")
        lines.append(f"• {title} — {'; '.join(parts)}")
    return "\n".join(lines)


async def cap_command(
    store: Store, feed: FeedRow, sub: Subscription, args: Sequence[str], prefix: str
) -> str:
    """``cap <id> N|none``: at most N new entries a day into this subscription's channels."""
    word = args[0].lower() if args else ""
    cap = None if word == "none" else read_number(word, lowest=1, highest=1000)
    if not args or (cap is None and word != "none"):
        got = f", not '{args[0]}'" if args else ""
        raise UsageError(
            f"{prefix}feed cap {feed.id} takes how many new entries a day it may post here, "
            f"a number from 1 to 1000, or none{got}"
        )
    async with store.transaction() as tx:
        await tx.subscriptions.set_max_per_day(sub.id, cap)
    if cap is None:
        return (
            f"Feed {label(feed)} has no daily cap here now; entries that waited are posted "
            "at the next poll."
        )
    return (
        f"Feed {label(feed)} posts at most {cap} new entr{'y' if cap == 1 else 'ies'} a day "
        "(UTC) here; past that, entries wait for the next day, oldest first, and none is "
        "dropped."
    )
