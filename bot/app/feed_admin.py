"""The admins' ``!feed`` commands: add, list, remove, pause, resume, post, status.

The role check happened before :meth:`FeedAdmin.handle` is called; every answer, usage
errors included, is one plain-words text that the conversation sends as the reply.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from bot.app import feed_report
from bot.app.config_feeds import REMOVED
from bot.core import commands as cmd
from bot.core.models import ChatRef, FeedId, IncomingMessage, Platform
from bot.core.numbers import read_number
from bot.core.wording import count
from bot.feeds.document import FeedError, newest
from bot.feeds.fetch import FetchError, ReadFeed, read_feed
from bot.feeds.notices import every, label
from bot.feeds.poller import Poller, status_phrase
from bot.storage.port import Store
from bot.storage.types import FeedRow

log = logging.getLogger(__name__)

MAX_BACKFILL = 20
_KEYWORDS = frozenset(("author", "authors", "backfill", "full"))
_FULL = ("teasers", "always", "never")


class UsageError(ValueError):
    """A ``!feed`` command used wrongly; the message says how to use it."""


@dataclass(frozen=True, slots=True)
class AddRequest:
    url: str
    where: ChatRef
    authors: tuple[str, ...]
    backfill: int
    full_article: str | None


def _count(word: str, what: str) -> int:
    """``none`` 0, ``latest`` 1, or a number from 1 to MAX_BACKFILL."""
    w = word.lower()
    if w in ("none", "0"):
        return 0
    if w == "latest":
        return 1
    if (n := read_number(w, lowest=1, highest=MAX_BACKFILL)) is not None:
        return n
    raise UsageError(
        f"{what} takes none, latest or a number from 1 to {MAX_BACKFILL}, not '{cmd.shown(word)}'"
    )


def parse_add(
    args: tuple[str, ...], msg: IncomingMessage, platforms: Collection[str], prefix: str
) -> AddRequest:
    """Read ``add <url> [where] [author <user>...] [backfill none|latest|N] [full ...]``."""
    usage = (
        f"{prefix}feed add <url> [where] [author <user>...] [backfill none|latest|N] "
        "[full teasers|always|never]"
    )
    if not args:
        raise UsageError(f"{prefix}feed add needs the feed's address: {usage}")
    url = args[0].strip("<>")
    if "://" not in url:
        url = "https://" + url
    if not url.lower().startswith(("http://", "https://")):
        raise UsageError(f"'{args[0]}' is not a web address (http:// or https://): {usage}")
    where: ChatRef | None = None
    authors: list[str] = []
    backfill, full = 1, None
    rest = list(args[1:])
    while rest:
        word = rest.pop(0)
        key = word.lower()
        if key in ("author", "authors"):
            while rest and rest[0].lower() not in _KEYWORDS:
                authors.append(_identity(rest.pop(0), msg.where.platform, platforms))
            if not authors:
                raise UsageError(f"author needs at least one person after it: {usage}")
        elif key in ("backfill", "full"):
            if not rest:
                raise UsageError(f"{key} needs a value: {usage}")
            value = rest.pop(0)
            if key == "backfill":
                backfill = _count(value, "backfill")
            elif value.lower() in _FULL:
                full = value.lower()
            else:
                raise UsageError(f"full takes teasers, always or never, not '{value}'")
        elif where is None:
            where = _place(word, msg, platforms)
        else:
            raise UsageError(
                f"I did not understand '{word}' (a channel was already given): {usage}"
            )
    return AddRequest(url, where or msg.where.container(), tuple(authors), backfill, full)


def _place(word: str, msg: IncomingMessage, platforms: Collection[str]) -> ChatRef:
    """``here``, ``<#123>`` (a Discord channel mention), ``platform:channel`` or a channel."""
    if word.lower() == "here":
        return ChatRef(msg.where.platform, msg.where.channel)
    if m := re.fullmatch(r"<#(\d+)>", word):
        return ChatRef(msg.where.platform, m.group(1))
    platform, sep, channel = word.partition(":")
    if sep and platform in platforms and channel:
        return ChatRef(Platform(platform), channel)
    return ChatRef(msg.where.platform, word)


def _identity(word: str, platform: str, platforms: Collection[str]) -> str:
    """``platform:id`` for a person: given so, or on the platform the command came from."""
    word = re.sub(r"^<@!?(\d+)>$", r"\1", word)
    head, sep, _ = word.partition(":")
    return word if sep and head in platforms else f"{platform}:{word}"


def feed_id(args: tuple[str, ...], action: str, prefix: str) -> int:
    fid = read_number(args[0].removeprefix("#"), lowest=1) if args else None
    if fid is None:
        got = f", not '{cmd.shown(args[0])}'" if args else ""
        raise UsageError(
            f"{prefix}feed {action} needs a feed number like 3{got} ({prefix}feed list)"
        )
    return fid


class FeedAdmin:
    """Implements the conversation's ``FeedCommands``."""

    def __init__(
        self,
        store: Store,
        poller: Poller,
        clock: Callable[[], datetime],
        platforms: Collection[str],
        *,
        prefix: str = "!",
    ) -> None:
        self.store = store
        self.poller = poller
        self.clock = clock
        self.platforms = platforms
        self.prefix = prefix

    async def handle(self, msg: IncomingMessage, command: cmd.Feed) -> str:
        """The reply to one ``!feed`` command."""
        try:
            if command.action == "add":
                return await self.add(
                    msg, parse_add(command.args, msg, self.platforms, self.prefix)
                )
            if command.action == "list":
                return await self.list()
            fid = feed_id(command.args, command.action, self.prefix)
            async with self.store.read() as r:
                feed = await r.feeds.get(fid)
            if feed is None:
                return f"There is no feed #{fid} ({self.prefix}feed list shows them)."
            if command.action == "post":
                count = _count(command.args[1], "post") if len(command.args) > 1 else 1
                return await self.post(msg, feed, max(count, 1))
            if command.action == "remove":
                return await self.remove(msg, feed)
            if command.action == "pause":
                return await self.pause(msg, feed)
            if command.action == "resume":
                return await self.resume(msg, feed)
            return await self.status(msg, feed)
        except UsageError as exc:
            return str(exc)

    async def _read(self, url: str) -> ReadFeed | str:
        """The feed at ``url`` read now, or why it cannot be."""
        try:
            read = await read_feed(self.poller.fetcher, url)
        except (FetchError, FeedError) as exc:
            return str(exc)
        if not isinstance(read, ReadFeed):
            return f"it answered HTTP {read.status} ({status_phrase(read.status)})"
        return read

    async def add(self, msg: IncomingMessage, req: AddRequest) -> str:
        read = await self._read(req.url)
        if isinstance(read, str):
            return f"I could not add {req.url}: {read}. Nothing was added."
        doc, now = read.document, self.clock()
        async with self.store.transaction() as tx:
            existing = await tx.feeds.by_url(read.url)
            before = await tx.posts.targets_of(existing.id) if existing else []
            known_target = any(t.ref == req.where for t in before)
            fid = await tx.feeds.ensure(read.url, title=doc.title, source="chat", now=now)
            target = await tx.posts.ensure_target(fid, req.where)
            await tx.feeds.add_authors(fid, req.authors)
            await tx.feeds.configure(
                fid,
                interval_s=None,
                full_article=req.full_article,
                backfill=req.backfill,
                added_by=msg.author.key,
            )
            feed = await tx.feeds.get(fid)
        assert feed is not None
        if feed.primed_at is None:
            ok = self.poller.fetch_ok(feed, read.result, title=doc.title, site_link=doc.link)
            report = await self.poller.ingestor.ingest(feed, doc, ok)
        else:
            report = await self.poller.ingestor.post_now(
                feed, doc, req.backfill, [target], by=msg.author.key, release=False
            )
        log.info(
            "feed %d (%s) added to %s:%s by %s",
            fid,
            read.url,
            target.platform,
            target.channel,
            msg.author.key,
        )
        return self._added_text(
            feed,
            read,
            req,
            queued=report.queued,
            posted=len(report.posted),
            known_target=known_target,
        )

    def _added_text(
        self,
        feed: FeedRow,
        read: ReadFeed,
        req: AddRequest,
        *,
        queued: int,
        posted: int,
        known_target: bool,
    ) -> str:
        doc = read.document
        where = f"{req.where.platform}:{req.where.channel}"
        found = f" (found from the page {req.url})" if read.url != req.url else ""
        head = (
            f"Feed {label(feed)} already posts to {where}"
            if known_target
            else f"Added feed {label(feed)} — {read.url}{found} — posting to {where}"
        )
        latest = newest(doc.entries, 1)
        if latest:
            e = latest[0]
            date = f", {e.published:%Y-%m-%d}" if e.published else ""
            has = count(len(doc.entries), "entry")
            about = f"It has {has}; the latest is “{e.title or e.link}”{date}."
        else:
            about = "It has no entries yet."
        if req.backfill == 0:
            now = "Posting nothing now; the next new entry will be posted."
        elif posted == 0:
            now = "Nothing to post now."
        elif queued == 0:
            now = "Its latest entries were posted there before; nothing new to post now."
        else:
            what = "the latest entry" if posted == 1 else f"the {posted} newest entries"
            now = f"Posting {what} now."
        interval = every(self.poller.interval_of(feed))
        return (
            f"{head}. {about} {now} Polled {interval}; "
            f"{self.prefix}feed status {feed.id} explains what it posts."
        )

    async def list(self) -> str:
        rows = []
        async with self.store.read() as r:
            for feed in await r.feeds.all():
                rows.append(
                    (feed, await r.posts.targets_of(feed.id), self.poller.interval_of(feed))
                )
        return feed_report.feed_list(rows, self.clock(), self.prefix)

    async def status(self, msg: IncomingMessage, feed: FeedRow) -> str:
        entries = []
        async with self.store.read() as r:
            for e in await r.feeds.recent(feed.id, 5):
                states = await r.outbox.of_article(e.article_id) if e.article_id else []
                entries.append((e, states))
            targets = await r.posts.targets_of(feed.id)
            hold = await r.feeds.open_hold(feed.id)
        return feed_report.feed_status(
            feed,
            targets,
            interval_s=self.poller.interval_of(feed),
            entries=entries,
            hold=hold,
            now=self.clock(),
            prefix=self.prefix,
        )

    async def remove(self, msg: IncomingMessage, feed: FeedRow) -> str:
        if feed.source != "chat" and not (feed.paused and feed.pause_reason == REMOVED):
            return (
                f"Feed {label(feed)} comes from the config file, so it would come back at the "
                f"next start; remove it there. {self.prefix}feed pause {feed.id} stops it now."
            )
        async with self.store.transaction() as tx:
            targets = await tx.posts.targets_of(feed.id)
            await tx.feeds.delete(FeedId(feed.id))
        log.info("feed %d (%s) removed by %s", feed.id, feed.url, msg.author.key)
        return (
            f"Removed feed {label(feed)}; it no longer posts to "
            f"{feed_report.places(targets)}. Articles already posted, and their questions, stay."
        )

    async def pause(self, msg: IncomingMessage, feed: FeedRow) -> str:
        reason = f"paused by {msg.author.name}"
        async with self.store.transaction() as tx:
            paused = await tx.feeds.pause(feed.id, reason)
        if paused is None:
            return f"Feed {label(feed)} is already paused ({feed.pause_reason})."
        return f"Paused feed {label(feed)}; {self.prefix}feed resume {feed.id} starts it again."

    async def resume(self, msg: IncomingMessage, feed: FeedRow) -> str:
        if feed.paused and feed.pause_reason == REMOVED:
            return (
                f"Feed {label(feed)} was removed from the config file: list it there again "
                f"to bring it back, or {self.prefix}feed remove {feed.id} forgets it."
            )
        now = self.clock()
        async with self.store.transaction() as tx:
            resumed = await tx.feeds.resume(feed.id, now)
        if not resumed:
            return f"Feed {label(feed)} is not paused; nothing changed."
        self.poller.wake()
        return f"Resumed feed {label(feed)}; it will be fetched now."

    async def post(self, msg: IncomingMessage, feed: FeedRow, count: int) -> str:
        read = await self._read(feed.url)
        if isinstance(read, str):
            return f"I could not read feed {label(feed)} now: {read}. Nothing was posted."
        async with self.store.read() as r:
            targets = await r.posts.targets_of(feed.id)
        if not targets:
            return f"Feed {label(feed)} posts to no channel, so nothing was posted."
        report = await self.poller.ingestor.post_now(
            feed, read.document, count, targets, by=msg.author.key
        )
        if not report.posted:
            return f"Feed {label(feed)} has no entry to post."
        titles = ", ".join(f"“{e.title or e.link}”" for e in report.posted)
        if report.queued == 0:
            return f"{titles}: already posted to {feed_report.places(targets)}; nothing new sent."
        return f"Posting {titles} to {feed_report.places(targets)} now."
