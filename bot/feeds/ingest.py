"""What a good read of a feed changes: new entries posted once, floods held, edits applied.

Publishing is the application's use case, passed in (:class:`Publish`; it is idempotent
per (feed, entry, target), see :mod:`bot.app.publishing`), and the
entries are recorded as seen, with the feed's validators, only after publishing. So a bot
killed anywhere in between reads the same entries again after a restart and posts nothing
twice; and no ETag is stored for a body whose entries were not yet handled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from typing import Protocol

from bot.adapters.base import ChatAdapter
from bot.core.models import Article, ArticleId, FeedId, Platform, Rendered
from bot.core.parsing import ArticleError
from bot.core.summary import content_hash, render_summary
from bot.feeds import filters, notices
from bot.feeds.document import FeedDocument, FeedEntry, article_of, entry_hash, newest
from bot.feeds.teaser import fuller, main_html, wants_page
from bot.storage.port import Store
from bot.storage.types import (
    EntryRecord,
    FeedRow,
    FetchOk,
    OutboxItem,
    SeenEntry,
    SubEntry,
    Subscription,
    Target,
)

log = logging.getLogger(__name__)

PageFetch = Callable[[str], Awaitable[bytes | None]]
"""Fetch an article page (bounded like every fetch); None when it could not be had."""


class Publish(Protocol):
    """The publishing use case, as the feeds need it (``bot.app.publishing.Publisher``)."""

    async def publish(
        self,
        feed_id: FeedId | None,
        entry_key: str,
        article: Article,
        targets: Sequence[Target],
        *,
        published_at: datetime | None = None,
    ) -> tuple[ArticleId, int]:
        """Store ``article`` once per entry and queue it for ``targets``; ``(article id,
        outbox rows newly queued)``."""

    def kick(self) -> None:
        """New outbox rows were queued (not by :meth:`publish`): deliver them soon."""


def flood_threshold(total: int) -> int:
    """More new identities than this at once, on a feed seen before, and the batch is held."""
    return max(5, total // 2)


@dataclass
class IngestReport:
    posted: list[FeedEntry] = field(default_factory=list)
    queued: int = 0  # outbox rows newly queued (0: posted to these channels before)
    held: int = 0
    skipped: int = 0
    edited: int = 0
    rejected: int = 0
    # what became of entries in subscriptions: excluded by a filter, waiting past a daily
    # cap, posted to a capped subscription
    in_subs: list[SubEntry] = field(default_factory=list)
    # subscription id -> how many more entries it takes today (capped subscriptions only)
    budget: dict[int, int] = field(default_factory=dict)


class Ingestor:
    """Turns a parsed feed into stored articles, outbox rows and seen records."""

    def __init__(
        self,
        store: Store,
        publisher: Publish,
        adapters: Mapping[Platform, ChatAdapter],
        clock: Callable[[], datetime],
        fetch_page: PageFetch,
        *,
        full_article: str = "teasers",
        prefix: str = "!",
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.adapters = adapters
        self.clock = clock
        self.fetch_page = fetch_page
        self.full_article = full_article
        self.prefix = prefix
        self._cycle: _Policies | None = None

    async def begin_cycle(self) -> int:
        """Start a poll cycle: post what waited past a daily cap, then read every
        subscription's filters and caps once for the cycle; how many waiting were posted."""
        released = await self.release_waiting()
        async with self.store.read() as r:
            capped = await r.subscriptions.capped()
            waiting = {e.subscription_id for e in await r.subscriptions.waiting()}
        caps: dict[FeedId, list[Subscription]] = {}
        for sub in capped:
            caps.setdefault(sub.feed_id, []).append(sub)
        self._cycle = _Policies(caps, waiting, asyncio.Lock())
        return released

    async def _cycle_rules(self, cycle: _Policies) -> dict[FeedId, dict[int, list[filters.Rule]]]:
        """The cycle's filters, read when the first new entry needs them (a cycle of 304s
        never does)."""
        async with cycle.lock:
            if cycle.rules is None:
                async with self.store.read() as r:
                    found = await r.subscriptions.all_filters()
                cycle.rules = {
                    fid: {sub: [filters.Rule(*row) for row in rows] for sub, rows in subs.items()}
                    for fid, subs in found.items()
                }
            return cycle.rules

    def end_cycle(self) -> None:
        self._cycle = None

    async def rules_of(self, feed_id: FeedId) -> dict[int, list[filters.Rule]]:
        """The filters of every subscription of the feed that has some."""
        if self._cycle is not None:
            return (await self._cycle_rules(self._cycle)).get(feed_id, {})
        async with self.store.read() as r:
            found = await r.subscriptions.filters_of_feed(feed_id)
        return {sub: [filters.Rule(*row) for row in rows] for sub, rows in found.items()}

    async def ingest(self, feed: FeedRow, doc: FeedDocument, ok: FetchOk) -> IngestReport:
        """Handle a good read: post what is new (or hold a flood), apply edits, remember."""
        async with self.store.read() as r:
            seen = await r.feeds.seen(feed.id)
            targets = await r.posts.targets_of(feed.id, active=True)
        entries = _unique(doc.entries)
        report = IngestReport()
        records: list[EntryRecord] = []
        fresh = [e for e in entries if e.key not in seen]
        hold = feed.primed_at is not None and len(fresh) > flood_threshold(len(entries))
        if feed.primed_at is None:
            chosen = newest(entries, feed.backfill)
            keys = {e.key for e in chosen}
            records += [
                _record(e, "skipped", "older than the feed's start")
                for e in fresh
                if e.key not in keys
            ]
            report.skipped = len(fresh) - len(chosen)
        elif hold:
            chosen = []
            report.held = len(fresh)
        else:
            chosen = newest(fresh, len(fresh))
        rules = await self.rules_of(feed.id) if chosen else {}
        if chosen:
            report.budget = await self.budgets(feed.id)
        for entry in chosen:
            records.append(await self._publish(feed, entry, targets, report, rules))
        touched = await self._edits(feed, entries, seen, report)
        now = self.clock()
        async with self.store.transaction() as tx:
            held = records
            if hold:
                hold_id = await tx.feeds.create_hold(feed.id, len(fresh), len(entries), now)
                held = [*records, *(_record(e, "held", None, hold_id) for e in fresh)]
                text = notices.held(feed, len(fresh), len(entries), self.prefix)
                for t in targets:
                    await tx.outbox.add(_notice(f"feed:{feed.id}:hold:{hold_id}", t, text), now)
            await tx.feeds.save_entries(feed.id, held, now)
            if report.in_subs:
                await tx.subscriptions.record_entries(report.in_subs, now)
            for key, digest in touched:
                await tx.feeds.touch_entry(feed.id, key, digest, now)
            await tx.feeds.mark_primed(feed.id, now)
            await tx.feeds.record_ok(feed.id, ok, now)
        if hold:
            log.warning(
                "feed %d (%s): %d of %d entries are new at once; held, admins asked",
                feed.id,
                feed.url,
                len(fresh),
                len(entries),
            )
            self.publisher.kick()
        return report

    async def post_now(
        self,
        feed: FeedRow,
        doc: FeedDocument,
        count: int,
        targets: Sequence[Target],
        *,
        by: str,
        release: bool = True,
    ) -> IngestReport:
        """Publish the ``count`` newest entries to ``targets`` now (and release any hold)."""
        report = IngestReport()
        chosen = newest(_unique(doc.entries), count)
        records = [await self._publish(feed, e, targets, report) for e in chosen]
        now = self.clock()
        async with self.store.transaction() as tx:
            await tx.feeds.save_entries(feed.id, records, now)
            if release:
                await tx.feeds.release_holds(feed.id, by, now)
        return report

    async def _publish(
        self,
        feed: FeedRow,
        entry: FeedEntry,
        targets: Sequence[Target],
        report: IngestReport,
        rules: Mapping[int, Sequence[filters.Rule]] | None = None,
    ) -> EntryRecord:
        if rules:
            passed, held = split_by_filters(entry, targets, rules)
            report.in_subs += [
                SubEntry(sub, entry.key, "excluded", why) for sub, why in held.items()
            ]
            if held and not passed:
                why = next(iter(held.values())) if len(held) == 1 else "held back by filters"
                return _record(entry, "rejected", why)
            targets = passed
        capped: dict[int, str] = {}
        if report.budget:
            targets, capped = _within_caps(targets, report.budget)
        try:
            article = article_of(await self._fullest(feed, entry))
        except ArticleError as exc:
            log.warning(
                "feed %d (%s): entry %s is not an article: %s", feed.id, feed.url, entry.key, exc
            )
            report.rejected += 1
            return _record(entry, "rejected", f"not a readable article: {exc}")
        article_id, queued = await self.publisher.publish(
            feed.id, entry.key, article, targets, published_at=entry.published
        )
        report.in_subs += [
            SubEntry(sub, entry.key, status, None, article_id) for sub, status in capped.items()
        ]
        report.posted.append(entry)
        report.queued += queued
        return replace(_record(entry, "posted", None), article_id=article_id)

    async def budgets(self, feed_id: FeedId) -> dict[int, int]:
        """For each capped subscription of the feed, how many more entries it takes today
        (none while older entries still wait: they go first)."""
        now = self.clock()
        day = datetime.combine(now.date(), time(), now.tzinfo)
        found: dict[int, int] = {}
        cycle = self._cycle
        if cycle is not None and feed_id not in cycle.caps:
            return found  # the common case: no cap on this feed, no read at all
        async with self.store.read() as r:
            if cycle is not None:
                subs, waiting = cycle.caps[feed_id], cycle.waiting
            else:
                subs = await r.subscriptions.of_feed(feed_id)
                waiting = {e.subscription_id for e in await r.subscriptions.waiting()}
            for sub in subs:
                if sub.max_per_day is None:
                    continue
                done = await r.subscriptions.posted_since(sub.id, day)
                found[sub.id] = 0 if sub.id in waiting else max(0, sub.max_per_day - done)
        return found

    async def release_waiting(self) -> int:
        """Post the entries that waited for a new day, oldest first, within each
        subscription's cap; how many were posted."""
        now = self.clock()
        day = datetime.combine(now.date(), time(), now.tzinfo)
        released = 0
        async with self.store.read() as r:
            waiting = await r.subscriptions.waiting()
        by_sub: dict[int, list[SubEntry]] = {}
        for e in waiting:
            by_sub.setdefault(e.subscription_id, []).append(e)
        for sub_id, entries in by_sub.items():
            async with self.store.read() as r:
                sub = await r.subscriptions.get(sub_id)
                if sub is None or sub.paused:
                    continue
                done = await r.subscriptions.posted_since(sub_id, day)
                targets = await r.posts.subscription_targets(sub_id)
                cap = sub.max_per_day
                room = len(entries) if cap is None else max(0, cap - done)
                stored = [
                    (e, await r.articles.get(e.article_id))
                    for e in entries[:room]
                    if e.article_id is not None
                ]
            for e, art in stored:
                if art is not None:
                    await self.publisher.publish(sub.feed_id, e.entry_key, art.article, targets)
                async with self.store.transaction() as tx:
                    posted = replace(e, status="posted", reason=None)
                    await tx.subscriptions.record_entries([posted], self.clock())
                released += 1
        if released:
            log.info("%d entries that waited for a new day were posted", released)
        return released

    async def _fullest(self, feed: FeedRow, entry: FeedEntry) -> FeedEntry:
        """The entry, with its page's main text when the feed carries only a teaser."""
        if not wants_page(entry, feed.full_article or self.full_article):
            return entry
        page = await self.fetch_page(entry.link)
        if page is None:
            return entry
        better = fuller(entry, main_html(page))
        if better is None:
            log.info(
                "feed %d (%s): page of %s is no longer than the feed's text",
                feed.id,
                feed.url,
                entry.link,
            )
        return better or entry

    async def _edits(
        self,
        feed: FeedRow,
        entries: Sequence[FeedEntry],
        seen: Mapping[str, SeenEntry],
        report: IngestReport,
    ) -> list[tuple[str, str]]:
        """Edit the summaries of posted entries the feed changed; the (key, hash) settled."""
        settled: list[tuple[str, str]] = []
        for entry in entries:
            old = seen.get(entry.key)
            digest = entry_hash(entry)
            if old is None or old.content_hash == digest:
                continue
            if old.status != "posted" or old.article_id is None:
                settled.append((entry.key, digest))
                continue
            if await self._edit(feed, entry, old.article_id):
                report.edited += 1
                settled.append((entry.key, digest))
        return settled

    async def _edit(self, feed: FeedRow, entry: FeedEntry, article_id: ArticleId) -> bool:
        """Bring the stored article and its summaries up to date; False: try again later.

        Threads are never opened again: an edit changes the summary message only.
        """
        try:
            article = article_of(await self._fullest(feed, entry))
        except ArticleError:
            return True  # the edit made it unreadable: keep what was posted
        digest = content_hash(article)
        async with self.store.read() as r:
            if digest == await r.articles.content_hash(article_id):
                return True
            posted = await r.posts.summary_posts(article_id)
            planned = {
                (s.platform, s.channel)
                for s in await r.outbox.of_article(article_id)
                if s.purpose == "summary" and s.status == "pending"
            }
        if planned:
            return False  # a summary not delivered yet: edit once it is
        rendered: Rendered = render_summary(article)
        edits = [
            OutboxItem(
                key=f"article:{article_id}:{ref.platform}:{ref.channel}:summary:edit:{digest[:12]}",
                op="edit",
                where=ref,
                message=rendered,
                purpose="edit",
                article_id=article_id,
            )
            for ref in posted
            if (adapter := self.adapters.get(ref.platform)) is None or adapter.capabilities.edits
        ]
        now = self.clock()
        async with self.store.transaction() as tx:
            # The stored article and the edits of its summaries change together; the outbox
            # retries an edit that fails, like any other send.
            await tx.articles.update(article_id, article, digest)
            for item in edits:
                await tx.outbox.add(item, now)
        self.publisher.kick()
        log.info(
            "feed %d (%s): entry %s edited; article %d summary updated in %d places",
            feed.id,
            feed.url,
            entry.key,
            article_id,
            len(posted),
        )
        return True


def split_by_filters(
    entry: FeedEntry, targets: Sequence[Target], rules: Mapping[int, Sequence[filters.Rule]]
) -> tuple[list[Target], dict[int, str]]:
    """The targets whose subscription lets ``entry`` through, and why the others do not
    (by subscription id)."""
    passed: list[Target] = []
    held: dict[int, str] = {}
    verdicts: dict[int, filters.Rule | None] = {}
    seen: dict[str, str] = {}  # the entry's fields, stripped and folded once for all subs
    for t in targets:
        sub = t.subscription_id
        if sub is None or sub not in rules:
            passed.append(t)
            continue
        if sub not in verdicts:
            verdicts[sub] = filters.held_by(rules[sub], entry, seen)
        rule = verdicts[sub]
        if rule is None:
            passed.append(t)
        else:
            held[sub] = filters.why_held(rule)
    return passed, held


@dataclass(slots=True)
class _Policies:
    """Every subscription's filters and caps, read once for a poll cycle."""

    caps: dict[FeedId, list[Subscription]]
    waiting: set[int]
    lock: asyncio.Lock
    rules: dict[FeedId, dict[int, list[filters.Rule]]] | None = None


def _within_caps(
    targets: Sequence[Target], budget: dict[int, int]
) -> tuple[list[Target], dict[int, str]]:
    """The targets an entry goes to now, and for each capped subscription whether it is
    'posted' (one of today's budget spent) or 'waiting' (today's cap reached)."""
    now: list[Target] = []
    capped: dict[int, str] = {}
    for t in targets:
        sub = t.subscription_id
        if sub is None or sub not in budget:
            now.append(t)
            continue
        if sub not in capped:
            capped[sub] = "posted" if budget[sub] > 0 else "waiting"
            budget[sub] -= 1 if budget[sub] > 0 else 0
        if capped[sub] == "posted":
            now.append(t)
    return now, capped


def _unique(entries: Sequence[FeedEntry]) -> list[FeedEntry]:
    """The first entry of each identity (feeds do repeat items)."""
    found: dict[str, FeedEntry] = {}
    for e in entries:
        found.setdefault(e.key, e)
    return list(found.values())


def _record(
    entry: FeedEntry, status: str, reason: str | None, hold_id: int | None = None
) -> EntryRecord:
    return EntryRecord(
        key=entry.key,
        content_hash=entry_hash(entry),
        title=entry.title,
        link=entry.link,
        published_at=entry.published,
        status=status,
        reason=reason,
        hold_id=hold_id,
    )


def _notice(key: str, target: Target, text: str) -> OutboxItem:
    """A message to the admins in a feed's channel, once per event ``key``."""
    return OutboxItem(
        key=f"{key}:{target.platform}:{target.channel}",
        op="post",
        where=target.ref,
        message=Rendered(text),
        purpose="response",
        target_id=target.id,
    )


notice_item = _notice
