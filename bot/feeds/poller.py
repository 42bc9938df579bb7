"""The poller: fetch every due feed once, politely, and remember how it went.

One fetch per feed (the feeds table has one row per URL, however many channels it posts
to); a semaphore bounds fetches overall and one per host bounds them per server. Each
feed's failures and next poll live in the database: failures back off exponentially, and
after ``failures_before_pause`` in a row the feed pauses itself and its channels are told
once. One feed's failure never stops the cycle, and ``CancelledError`` always propagates.

Several processes on one database split the feeds between them: with a
:class:`~bot.app.cluster.LeaseKeeper` set (:attr:`Poller.leases`), a cycle polls only the
due feeds whose lease ``feed:<id>`` it acquires, after reading each one again under the
lease (another process may have polled it since the list was read). A lease lasts the
longer of the keeper's length and three fetch timeouts, so it outlives a slow fetch; it is
released when the feed is done, and a process that dies loses its feeds once it runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus

from bot.adapters.base import ChatAdapter
from bot.app.cluster import LeaseKeeper
from bot.app.observe import NULL_OBSERVER, Observer
from bot.config import FeedSettings, PollSettings
from bot.core.models import FeedId, Platform
from bot.feeds import notices
from bot.feeds.document import FeedError, parse_feed
from bot.feeds.fetch import PAGE_ACCEPT, Fetcher, FetchError, FetchResult, discover_feed_links
from bot.feeds.ingest import Ingestor, Publish, notice_item
from bot.storage.port import Store
from bot.storage.types import FeedRow, FetchOk

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 12 * 3600
MAX_SERVER_DELAY_S = 24 * 3600  # a Cache-Control or Retry-After beyond a day is not obeyed


@dataclass
class CycleReport:
    due: int = 0
    fetched: int = 0
    not_modified: int = 0
    unchanged: int = 0
    new_entries: int = 0
    held: int = 0
    edited: int = 0
    failed: int = 0
    paused: int = 0
    released: int = 0  # entries that waited past a daily cap, posted this cycle


def backoff_s(interval_s: int, failures: int) -> float:
    """Seconds to wait after ``failures`` failures in a row: doubling, capped at 12 h."""
    return float(min(interval_s * 2 ** min(failures, 10), MAX_BACKOFF_S))


class Poller:
    """Polls the feeds in the database; :meth:`poll_due` is one cycle, :meth:`run` loops."""

    observer: Observer = NULL_OBSERVER

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        publisher: Publish,
        adapters: Mapping[Platform, ChatAdapter],
        clock: Callable[[], datetime],
        *,
        settings: PollSettings,
        prefix: str = "!",
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.publisher = publisher
        self.clock = clock
        self.settings = settings
        self.prefix = prefix
        self.ingestor = Ingestor(
            store,
            publisher,
            adapters,
            clock,
            self.fetch_page,
            full_article=settings.fetch_full_article,
            prefix=prefix,
        )
        self._overall = asyncio.Semaphore(settings.max_concurrent)
        # Feeds in hand at once (fetching, parsing, storing): bounds the bodies and parsed
        # documents held in memory; twice the fetches so that reading overlaps storing.
        self._in_hand = asyncio.Semaphore(2 * settings.max_concurrent)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._wake = asyncio.Event()
        self.first_cycle_done = asyncio.Event()  # set once run()'s first cycle has ended
        self.leases: LeaseKeeper | None = None  # set when several processes may poll

    def interval_of(self, feed: FeedRow) -> int:
        return feed.interval_s or self.settings.interval_s

    def wake(self) -> None:
        """Poll now (a feed was added or resumed)."""
        self._wake.set()

    async def apply_config(self, feeds: Sequence[tuple[FeedSettings, FeedId]]) -> None:
        """Store the config file's per-feed interval and full-article choice."""

        async with self.store.transaction() as tx:
            for spec, fid in feeds:
                await tx.feeds.configure(
                    fid, interval_s=spec.interval_s, full_article=spec.full_article
                )

    @contextlib.asynccontextmanager
    async def _slot(self, url: str) -> AsyncIterator[None]:
        # The host first: waiting for a busy host must not hold one of the overall slots.
        host = url.split("/", 3)[2].lower() if "//" in url else url
        sem = self._hosts.setdefault(host, asyncio.Semaphore(self.settings.max_per_host))
        async with sem, self._overall:
            yield

    async def fetch_page(self, url: str) -> bytes | None:
        """An article page's body, within the same limits as feeds; None on any failure."""
        try:
            async with self._slot(url):
                result = await self.fetcher.fetch(url, accept=PAGE_ACCEPT)
        except FetchError as exc:
            log.warning("article page %s could not be fetched: %s", url, exc)
            return None
        return result.body if result.status == 200 else None

    async def run(self) -> None:
        """Poll forever: each cycle, then sleep until the next feed falls due (or a wake)."""
        while True:
            self._wake.clear()
            try:
                await self.poll_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not stop polling for good
                log.exception("poll cycle failed; trying again shortly")
            self.first_cycle_done.set()
            async with self.store.read() as r:
                nxt = await r.feeds.next_due_at(self.clock())
            delay = 60.0 if nxt is None else (nxt - self.clock()).total_seconds()
            with contextlib.suppress(TimeoutError):
                # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancel that
                # lands with a wake-up (gh-86296), and the worker then never stopped.
                async with asyncio.timeout(min(60.0, max(1.0, delay))):
                    await self._wake.wait()

    async def poll_due(self) -> CycleReport:
        """One cycle: every due feed fetched once, concurrently within the limits."""
        started = time.perf_counter()
        report = CycleReport()
        # Entries that waited past a daily cap go first: they are older than any new one.
        report.released = await self.ingestor.begin_cycle()
        try:
            async with self.store.read() as r:
                due = await r.feeds.due(self.clock())
            if self.leases is not None:
                due = await self._take(due, self.leases)
            report.due = len(due)
            try:
                await asyncio.gather(*(self._poll_safely(feed, report) for feed in due))
            finally:
                if self.leases is not None and due:
                    await self._give_back(due, self.leases)
        finally:
            self.ingestor.end_cycle()
            self.observer.poll_cycle(time.perf_counter() - started)
        log.info(
            "poll cycle: %d due, %d fetched (%d not modified, %d unchanged), %d new entries, "
            "%d held, %d edited, %d failed, %d paused, %.2f s",
            report.due,
            report.fetched,
            report.not_modified,
            report.unchanged,
            report.new_entries,
            report.held,
            report.edited,
            report.failed,
            report.paused,
            time.perf_counter() - started,
        )
        return report

    async def _take(self, due: list[FeedRow], keeper: LeaseKeeper) -> list[FeedRow]:
        """Of ``due``, the feeds this process now holds and that are still due, fresh."""
        now = self.clock()
        length = max(keeper.length, timedelta(seconds=3 * self.settings.timeout_s))
        taken = []
        async with self.store.transaction() as tx:
            for feed in due:
                name = f"feed:{feed.id}"
                if not await tx.leases.acquire(name, keeper.holder, now + length, now):
                    continue
                fresh = await tx.feeds.get(feed.id)
                if (
                    fresh is None
                    or fresh.paused
                    or (fresh.next_poll_at is not None and fresh.next_poll_at > now)
                ):
                    await tx.leases.release(name, keeper.holder)  # polled meanwhile
                    continue
                taken.append(fresh)
        return taken

    async def _give_back(self, feeds: list[FeedRow], keeper: LeaseKeeper) -> None:
        async with self.store.transaction() as tx:
            for feed in feeds:
                await tx.leases.release(f"feed:{feed.id}", keeper.holder)

    async def _poll_safely(self, feed: FeedRow, report: CycleReport) -> None:
        try:
            async with self._in_hand:
                await self.poll_feed(feed, report)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one feed's bug must not stop the others
            log.exception("feed %d (%s): polling failed", feed.id, feed.url)
            with contextlib.suppress(Exception):
                await self._failed(feed, None, f"internal error: {exc}", None, report)

    async def poll_feed(self, feed: FeedRow, report: CycleReport | None = None) -> None:
        """Fetch one feed and act on the answer."""
        report = report if report is not None else CycleReport()
        try:
            async with self._slot(feed.url):
                result = await self.fetcher.fetch(
                    feed.url, etag=feed.etag, last_modified=feed.last_modified
                )
        except FetchError as exc:
            await self._failed(feed, exc.status, str(exc), None, report)
            return
        report.fetched += 1
        feed = await self._follow_move(feed, result)
        if result.status == 304:
            report.not_modified += 1
            await self._ok(feed, result)
        elif result.status == 410:
            await self._gone(feed, report)
        elif result.status != 200:
            reason = f"HTTP {result.status} ({status_phrase(result.status)})"
            await self._failed(feed, result.status, reason, result.retry_after, report)
        elif feed.primed_at is not None and result.body_hash == feed.body_hash:
            report.unchanged += 1  # the server ignores conditional GET; the bytes tell
            await self._ok(feed, result)
        else:
            await self._read(feed, result, report)

    async def _read(self, feed: FeedRow, result: FetchResult, report: CycleReport) -> None:
        assert result.body is not None
        try:
            doc = parse_feed(result.body)
        except FeedError as exc:
            reason = f"not a readable feed: {exc}"
            if result.looks_like_html():
                links = discover_feed_links(result.body, result.url)
                named = f"; it names the feed {links[0]}" if links else ""
                reason = f"the address serves a web page, not a feed{named}"
            await self._failed(feed, 200, reason, None, report)
            return
        ok = self.fetch_ok(feed, result, title=doc.title, site_link=doc.link)
        done = await self.ingestor.ingest(feed, doc, ok)
        report.new_entries += len(done.posted)
        self.observer.entries_posted(len(done.posted))
        report.held += done.held
        report.edited += done.edited
        if done.posted or done.held:
            log.info(
                "feed %d (%s): %d new entries posted, %d held",
                feed.id,
                feed.url,
                len(done.posted),
                done.held,
            )

    def fetch_ok(
        self, feed: FeedRow, result: FetchResult, *, title: str = "", site_link: str = ""
    ) -> FetchOk:
        wait = float(self.interval_of(feed))
        if result.max_age is not None:
            wait = max(wait, min(result.max_age, MAX_SERVER_DELAY_S))
        return FetchOk(
            status=result.status,
            etag=result.etag or (feed.etag if result.status == 304 else None),
            last_modified=result.last_modified
            or (feed.last_modified if result.status == 304 else None),
            body_hash=result.body_hash,
            next_poll_at=self.clock() + timedelta(seconds=wait),
            title=title,
            site_link=site_link,
        )

    async def _ok(self, feed: FeedRow, result: FetchResult) -> None:
        ok = self.fetch_ok(feed, result)
        now = self.clock()
        async with self.store.transaction() as tx:
            await tx.feeds.record_ok(feed.id, ok, now)

    async def _follow_move(self, feed: FeedRow, result: FetchResult) -> FeedRow:
        """A 301/308 moves the feed for good: the stored URL follows it."""
        if not result.moved_to or result.moved_to == feed.url:
            return feed
        new = result.moved_to
        async with self.store.transaction() as tx:
            moved = await tx.feeds.set_url(feed.id, new)
            now = await tx.feeds.get(feed.id) if moved else None
        if moved:
            log.info("feed %d moved permanently from %s to %s", feed.id, feed.url, new)
            return now or feed
        log.warning("feed %d (%s) moved to %s, which another feed has", feed.id, feed.url, new)
        return feed

    async def _gone(self, feed: FeedRow, report: CycleReport) -> None:
        log.warning("feed %d (%s): HTTP 410 Gone; stopped", feed.id, feed.url)
        report.failed += 1
        await self._stop(
            feed,
            410,
            "HTTP 410 (Gone)",
            None,
            notices.gone(feed, self.prefix),
            force=True,
            report=report,
        )

    async def _failed(
        self,
        feed: FeedRow,
        status: int | None,
        reason: str,
        retry_after: float | None,
        report: CycleReport,
    ) -> None:
        report.failed += 1
        failures = feed.failures + 1
        log.warning(
            "feed %d (%s): fetch failed (%d in a row): %s", feed.id, feed.url, failures, reason
        )
        text = notices.paused(feed, failures, reason, self.prefix)
        await self._stop(feed, status, reason, retry_after, text, force=False, report=report)

    async def _stop(
        self,
        feed: FeedRow,
        status: int | None,
        reason: str,
        retry_after: float | None,
        text: str,
        *,
        force: bool,
        report: CycleReport,
    ) -> None:
        """Record a failure; pause (and tell the feed's channels once) when it is time."""
        now = self.clock()
        delay = backoff_s(self.interval_of(feed), feed.failures + 1)
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_SERVER_DELAY_S))
        limit = self.settings.failures_before_pause

        seq = None
        async with self.store.transaction() as tx:
            failures = await tx.feeds.record_failure(
                feed.id,
                status=status,
                error=reason,
                next_poll_at=now + timedelta(seconds=delay),
                now=now,
            )
            if force or failures >= limit:
                seq = await tx.feeds.pause(feed.id, reason)
                if seq is not None:
                    for t in await tx.posts.targets_of(feed.id):
                        item = notice_item(f"feed:{feed.id}:pause:{seq}", t, text)
                        await tx.outbox.add(item, now)
        if seq is not None:
            report.paused += 1
            log.warning(
                "feed %d (%s) paused: %s; its channels were told", feed.id, feed.url, reason
            )
            self.publisher.kick()


def status_phrase(status: int) -> str:
    """The reason phrase of an HTTP status ("Not Found"), or "unknown status"."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "unknown status"
