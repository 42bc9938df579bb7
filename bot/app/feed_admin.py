"""The admins' ``!feed`` commands: add, list, remove, pause, resume, post, status, filter,
preview, cap, template, announce.

The role check happened before :meth:`FeedAdmin.handle` is called; this decides what the
admin may reach (:mod:`bot.app.feed_scope`): a bot admin everything, a community admin only
their community's subscriptions. Every answer, usage errors included, is one plain-words text
that the conversation sends as the reply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from bot.adapters.base import ChatAdapter
from bot.app import feed_filters, feed_report, feed_templates
from bot.app.config_feeds import REMOVED
from bot.app.feed_args import AddRequest, UsageError, count_of, feed_id, parse_add, place_of
from bot.app.feed_scope import (
    Scope,
    add_authors,
    as_seen,
    authors_said,
    community_of,
    place_carried_over,
)
from bot.core import announce as announce_words
from bot.core import commands as cmd
from bot.core.models import FeedId, IncomingMessage, Platform, Rendered
from bot.core.parsing import ArticleError
from bot.core.summary import render_summary
from bot.core.template import Template
from bot.core.wording import count
from bot.feeds.document import FeedError, newest
from bot.feeds.fetch import FetchError, ReadFeed, read_feed
from bot.feeds.notices import every, label
from bot.feeds.poller import Poller, status_phrase
from bot.storage.port import Reads, Store
from bot.storage.types import FeedRow, OutboxState, SeenEntry, Subscription, Target

log = logging.getLogger(__name__)

NOT_IN_A_COMMUNITY = (
    "Feed commands work in a channel of your server or room (where you are an admin), "
    "not in a direct chat. Nothing was done."
)


class FeedAdmin:
    """Implements the conversation's ``FeedCommands``."""

    def __init__(
        self,
        store: Store,
        poller: Poller,
        clock: Callable[[], datetime],
        adapters: Mapping[Platform, ChatAdapter],
        *,
        admins: frozenset[str] = frozenset(),
        prefix: str = "!",
    ) -> None:
        self.store = store
        self.poller = poller
        self.clock = clock
        self.adapters = adapters
        self.platforms = tuple(adapters)
        self.admins = admins
        self.prefix = prefix

    async def scope_of(self, msg: IncomingMessage) -> Scope | None:
        """A bot admin's reach, the command's community's, or None (a direct chat)."""
        if msg.author.key in self.admins:
            return Scope(None)
        community = await community_of(self.adapters, msg.where)
        return Scope(community) if community is not None else None

    async def handle(self, msg: IncomingMessage, command: cmd.Feed) -> str:
        """The reply to one ``!feed`` command."""
        try:
            scope = await self.scope_of(msg)
            if scope is None:
                return NOT_IN_A_COMMUNITY
            await place_carried_over(self.adapters, self.store)
            if command.action == "add":
                return await self.add(
                    msg, scope, parse_add(command.args, msg, self.platforms, self.prefix)
                )
            if command.action == "list":
                return await self.list(scope)
            fid = feed_id(command.args, command.action, self.prefix)
            async with self.store.read() as r:
                feed = await r.feeds.get(fid)
                sub = None
                if feed is not None and scope.community is not None:
                    sub = await r.subscriptions.in_community(feed.id, scope.community)
            if feed is None or (scope.community is not None and sub is None):
                where = "" if scope.bot_admin else f" {scope.here}"
                return f"There is no feed #{fid}{where} ({self.prefix}feed list shows them)."
            if command.action == "post":
                count = count_of(command.args[1], "post") if len(command.args) > 1 else 1
                return await self.post(msg, feed, sub, max(count, 1))
            if command.action == "remove":
                return await self.remove(msg, feed, sub)
            if command.action == "filter":
                one = await self._one_subscription(msg, feed, sub)
                return await feed_filters.filter_command(
                    self.store, feed, one, command.args[1:], self.prefix
                )
            if command.action == "preview":
                return await self.preview(
                    feed, sub, feed_filters.preview_count(command.args, self.prefix)
                )
            if command.action == "cap":
                one = await self._one_subscription(msg, feed, sub)
                return await feed_filters.cap_command(
                    self.store, feed, one, command.args[1:], self.prefix
                )
            if command.action == "template":
                one = await self._one_subscription(msg, feed, sub)
                return await self.template(feed, one, command.args[1:])
            if command.action == "announce":
                return await self.announce(msg, feed, sub, command.args[1:])
            if command.action == "pause":
                return await self.pause(msg, feed, sub)
            if command.action == "resume":
                return await self.resume(msg, feed, sub)
            try:  # a bot admin sees what the subscription here, or the only one, did too
                seen_by = sub or await self._one_subscription(msg, feed, sub)
            except UsageError:
                seen_by = None
            return await self.status(feed, sub, seen_by)
        except UsageError as exc:
            return str(exc)

    @staticmethod
    async def _targets(r: Reads, feed: FeedRow, sub: Subscription | None) -> list[Target]:
        """What the command reaches: the subscription's targets, or (None) all the feed's."""
        if sub is None:
            return await r.posts.targets_of(feed.id)
        return await r.posts.subscription_targets(sub.id)

    async def _one_subscription(
        self, msg: IncomingMessage, feed: FeedRow, sub: Subscription | None
    ) -> Subscription:
        """The subscription a filter command is about: the community's; for a bot admin,
        the one where the command was given, or the feed's only one."""
        if sub is not None:
            return sub
        community = await community_of(self.adapters, msg.where)
        async with self.store.read() as r:
            here = await r.subscriptions.in_community(feed.id, community) if community else None
            subs = await r.subscriptions.of_feed(feed.id)
        if here is not None:
            return here
        if len(subs) == 1:
            return subs[0]
        raise UsageError(
            f"Feed {label(feed)} has {len(subs)} subscriptions and none here; give the filter "
            "command in a channel of the community whose subscription it is about."
        )

    async def preview(self, feed: FeedRow, sub: Subscription | None, n: int) -> str:
        read = await self._read(feed.url)
        if isinstance(read, str):
            return f"I could not read feed {label(feed)} now: {read}. Nothing was posted."
        async with self.store.read() as r:
            targets = await self._targets(r, feed, sub)
            subs = [sub] if sub is not None else await r.subscriptions.of_feed(feed.id)
            seen = await r.feeds.seen(feed.id)
        return feed_filters.preview(
            feed,
            read.document,
            n,
            targets=targets,
            rules=await self.poller.ingestor.rules_of(feed.id),
            paused={s.id for s in subs if s.paused},
            seen=seen,
        )

    async def template(self, feed: FeedRow, sub: Subscription, args: Sequence[str]) -> str:
        async with self.store.read() as r:
            targets = await r.posts.subscription_targets(sub.id)
        platforms = {t.platform for t in targets} or set(self.platforms)

        async def preview(template: Template) -> tuple[str, Rendered] | str:
            read = await self._read(feed.url)
            if isinstance(read, str):
                return f"I could not read feed {label(feed)} now: {read}. Nothing was posted."
            latest = newest(read.document.entries, 1)
            if not latest:
                return f"Feed {label(feed)} has no entries now. Nothing was posted."
            entry = latest[0]
            try:
                article = await self.poller.ingestor.article_for(feed, entry)
            except ArticleError as exc:
                return (
                    f"The latest entry of feed {label(feed)} is not a readable article "
                    f"({exc}), so it would not be posted. Nothing was posted."
                )
            rendered = render_summary(
                article, template=template, feed=feed.title, date=entry.published
            )
            return article.title, rendered

        return await feed_templates.template_command(
            self.store, feed, sub, args, self.prefix, platforms=platforms, preview=preview
        )

    async def announce(
        self, msg: IncomingMessage, feed: FeedRow, sub: Subscription | None, args: Sequence[str]
    ) -> str:
        """``announce <id> <where> @role|@here|@room|none`` (``<where>`` may be left out:
        here). Checked now, for the target's platform (and on Matrix, the bot's power level),
        so a summary never fails to ping, or pings more, at posting time."""
        usage = (
            f"{self.prefix}feed announce {feed.id} <where> @role|@here|@room|none "
            "(a role or @here on Discord, @room on Matrix)"
        )
        if not args or len(args) > 2:
            raise UsageError(f"{self.prefix}feed announce needs where and whom: {usage}")
        place = place_of(args[0], msg, self.platforms) if len(args) == 2 else msg.where.container()
        try:
            wanted = announce_words.parse(args[-1])
        except announce_words.AnnounceError as exc:
            raise UsageError(f"{exc}. Nothing was changed.") from None
        async with self.store.read() as r:
            targets = await self._targets(r, feed, sub)
        found = [t for t in targets if (t.platform, t.channel) == (place.platform, place.channel)]
        if not found:
            return (
                f"Feed {label(feed)} does not post to {place.platform}:{place.channel}; it posts "
                f"to {feed_report.places(targets)}. Nothing was changed."
            )
        target = found[0]
        if wanted is not None:
            why = announce_words.refusal(target.platform, wanted)
            adapter = self.adapters.get(target.platform)
            check = getattr(adapter, "announce_refusal", None)
            if why is None and check is not None:
                why = await check(target.ref, wanted)
            if why:
                return (
                    f"Feed {label(feed)} cannot announce {announce_words.shown(wanted)} in "
                    f"{target.platform}:{target.channel}: {why}. Nothing was changed."
                )
        async with self.store.transaction() as tx:
            await tx.posts.set_announce(target.id, wanted)
        where = f"{target.platform}:{target.channel}"
        if wanted is None:
            return f"Feed {label(feed)} mentions nobody in {where} now."
        return (
            f"Feed {label(feed)} now mentions {announce_words.shown(wanted)} once on the "
            f"summary of each new article in {where} (never on edits, backfills, "
            f"{self.prefix}feed post or held entries)."
        )

    async def _read(self, url: str) -> ReadFeed | str:
        """The feed at ``url`` read now, or why it cannot be."""
        try:
            read = await read_feed(self.poller.fetcher, url)
        except (FetchError, FeedError) as exc:
            return str(exc)
        if not isinstance(read, ReadFeed):
            return f"it answered HTTP {read.status} ({status_phrase(read.status)})"
        return read

    async def add(self, msg: IncomingMessage, scope: Scope, req: AddRequest) -> str:
        place = f"{req.where.platform}:{req.where.channel}"
        community = await community_of(self.adapters, req.where)
        if community is None:
            return (
                f"I cannot tell which server or room {place} is in (I may not be in it), "
                "so nothing was added."
            )
        if not scope.governs_community(community):
            return (
                f"{place} is not {scope.here}: you can add feeds only to its own channels. "
                "Nothing was added."
            )
        read = await self._read(req.url)
        if isinstance(read, str):
            return f"I could not add {req.url}: {read}. Nothing was added."
        doc, now = read.document, self.clock()
        async with self.store.read() as r:
            existing = await r.feeds.by_url(read.url)
            held = await r.subscriptions.of_target(existing.id, req.where) if existing else None
        if held is not None and not scope.governs(held):
            return (
                f"{place} already gets feed {label(existing)} from the config file, which a "
                "bot admin governs. Nothing was changed."
                if existing is not None
                else "Nothing was changed."
            )
        async with self.store.transaction() as tx:
            fid = await tx.feeds.ensure(read.url, title=doc.title, source="chat", now=now)
            sub_id = (
                held.id
                if held is not None
                else await tx.subscriptions.ensure(
                    fid, community, added_by=msg.author.key, backfill=req.backfill, now=now
                )
            )
            target = await tx.posts.ensure_target(fid, req.where, sub_id)
            added, before = await add_authors(
                tx,
                sub_id,
                req.authors,
                feed=f"#{fid} ({read.url}) posting to {place}",
                msg=msg,
                now=now,
            )
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
            self.poller.observer.entries_posted(len(report.posted))
        else:
            report = await self.poller.ingestor.post_now(
                feed, doc, req.backfill, [target], by=msg.author.key, release=False
            )
        log.info(
            "feed %d (%s) added to %s:%s (%s) by %s; authors added: %s",
            fid,
            read.url,
            target.platform,
            target.channel,
            community,
            msg.author.key,
            ", ".join(added) or "none",
        )
        return self._added_text(
            feed,
            read,
            req,
            queued=report.queued,
            posted=len(report.posted),
            known_target=existing is not None and held is not None,
        ) + authors_said(req.authors, added, before)

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

    @staticmethod
    async def _looks(r: Reads, subs: Sequence[Subscription], named: bool) -> list[str]:
        """Lines saying how the subscriptions' summaries differ from the default (their
        template), each naming its community when ``named``."""
        lines = []
        for s in subs:
            if s.template is None:
                continue
            whose = f" ({s.community or 'not placed yet'})" if named else ""
            lines.append(f"summaries{whose}: {feed_templates.shown(s.template)}")
        return lines

    @staticmethod
    def _announces(targets: Sequence[Target]) -> list[str]:
        """A line per target that mentions someone on new articles."""
        return [
            f"announces {announce_words.shown(t.announce)} in {t.platform}:{t.channel}"
            for t in targets
            if t.announce
        ]

    async def list(self, scope: Scope) -> str:
        rows = []
        looks: dict[int, list[str]] = {}
        async with self.store.read() as r:
            if scope.community is None:
                for feed in await r.feeds.all():
                    targets = await r.posts.targets_of(feed.id)
                    rows.append((feed, targets, self.poller.interval_of(feed)))
                    subs = await r.subscriptions.of_feed(feed.id)
                    looks[feed.id] = await self._looks(r, subs, len(subs) > 1)
                    looks[feed.id] += self._announces(targets)
            else:
                for fid in await r.subscriptions.feeds_of_community(scope.community):
                    row = await r.feeds.get(fid)
                    sub = await r.subscriptions.in_community(fid, scope.community)
                    if row is None or sub is None:
                        continue
                    targets = await r.posts.subscription_targets(sub.id)
                    rows.append((as_seen(row, sub), targets, self.poller.interval_of(row)))
                    looks[row.id] = await self._looks(r, [sub], False)
                    looks[row.id] += self._announces(targets)
        return feed_report.feed_list(rows, self.clock(), self.prefix, looks=looks)

    async def status(
        self, feed: FeedRow, sub: Subscription | None, seen_by: Subscription | None = None
    ) -> str:
        entries: list[tuple[SeenEntry, list[OutboxState]]] = []
        async with self.store.read() as r:
            targets = await self._targets(r, feed, sub)
            recent = await r.feeds.recent(feed.id, 5)
            seen_by = sub or seen_by
            keys = [e.key for e in recent]
            held = await r.subscriptions.held(seen_by.id, keys) if seen_by else {}
            for e in recent:
                if (mine_only := held.get(e.key)) is not None:  # excluded or waiting here
                    status = "waiting" if mine_only.status == "waiting" else "rejected"
                    seen = replace(e, status=status, reason=mine_only.reason)
                    entries.append((seen, []))
                    continue
                states = await r.outbox.of_article(e.article_id) if e.article_id else []
                if sub is not None:
                    mine = {(t.platform, t.channel) for t in targets}
                    states = [s for s in states if (s.platform, s.channel) in mine]
                entries.append((e, states))
            hold = await r.feeds.open_hold(feed.id)
            if sub is not None:
                looks = await self._looks(r, [sub], False)
            else:
                subs = await r.subscriptions.of_feed(feed.id)
                looks = await self._looks(r, subs, len(subs) > 1)
            looks += self._announces(targets)
        return feed_report.feed_status(
            as_seen(feed, sub),
            targets,
            interval_s=self.poller.interval_of(feed),
            entries=entries,
            hold=hold,
            now=self.clock(),
            prefix=self.prefix,
            looks=[line[0].upper() + line[1:] + "." for line in looks],
        )

    async def remove(self, msg: IncomingMessage, feed: FeedRow, sub: Subscription | None) -> str:
        async with self.store.transaction() as tx:
            targets = await self._targets(tx, feed, sub)
            if sub is not None:
                await tx.subscriptions.delete(sub.id)
                if feed.source == "chat" and not await tx.subscriptions.of_feed(feed.id):
                    await tx.feeds.delete(FeedId(feed.id))  # nobody else reads it
                log.info("feed %d's subscription %d removed by %s", feed.id, sub.id, msg.author.key)
            elif feed.source != "chat" and not (feed.paused and feed.pause_reason == REMOVED):
                return (
                    f"Feed {label(feed)} comes from the config file, so it would come back at "
                    f"the next start; remove it there. {self.prefix}feed pause {feed.id} "
                    "stops it now."
                )
            else:
                await tx.feeds.delete(FeedId(feed.id))
                log.info("feed %d (%s) removed by %s", feed.id, feed.url, msg.author.key)
        return (
            f"Removed feed {label(feed)}; it no longer posts to "
            f"{feed_report.places(targets)}. Articles already posted, and their questions, stay."
        )

    async def pause(self, msg: IncomingMessage, feed: FeedRow, sub: Subscription | None) -> str:
        reason = f"paused by {msg.author.name}"
        if sub is not None:
            async with self.store.transaction() as tx:
                paused_here = await tx.subscriptions.set_paused(sub.id, reason)
                targets = await self._targets(tx, feed, sub)
            if not paused_here:
                return f"Feed {label(feed)} is already paused here ({sub.pause_reason})."
            return (
                f"Paused feed {label(feed)} here (it no longer posts to "
                f"{feed_report.places(targets)}); "
                f"{self.prefix}feed resume {feed.id} starts it again."
            )
        async with self.store.transaction() as tx:
            paused = await tx.feeds.pause(feed.id, reason)
        if paused is None:
            return f"Feed {label(feed)} is already paused ({feed.pause_reason})."
        return f"Paused feed {label(feed)}; {self.prefix}feed resume {feed.id} starts it again."

    async def resume(self, msg: IncomingMessage, feed: FeedRow, sub: Subscription | None) -> str:
        if feed.paused and feed.pause_reason == REMOVED:
            return (
                f"Feed {label(feed)} was removed from the config file: list it there again "
                f"to bring it back, or {self.prefix}feed remove {feed.id} forgets it."
            )
        now = self.clock()
        async with self.store.transaction() as tx:
            resumed = sub is not None and await tx.subscriptions.set_paused(sub.id, None)
            # The fetch itself is everyone's: a community admin resumes it only if nobody
            # else reads the feed.
            subs = await tx.subscriptions.of_feed(feed.id)
            alone = sub is None or [s.id for s in subs] == [sub.id]
            fetch_resumed = feed.paused and alone and await tx.feeds.resume(feed.id, now)
        if fetch_resumed:
            self.poller.wake()
            return f"Resumed feed {label(feed)}; it will be fetched now."
        if resumed and feed.paused:
            return (
                f"Resumed feed {label(feed)} here, but the feed itself is paused for everyone "
                f"({feed.pause_reason}); a bot admin can resume it."
            )
        if resumed:
            return f"Resumed feed {label(feed)} here; its next new entries will be posted."
        if feed.paused:
            return (
                f"Feed {label(feed)} is paused for everyone ({feed.pause_reason}); "
                "a bot admin can resume it."
            )
        return f"Feed {label(feed)} is not paused; nothing changed."

    async def post(
        self, msg: IncomingMessage, feed: FeedRow, sub: Subscription | None, count: int
    ) -> str:
        read = await self._read(feed.url)
        if isinstance(read, str):
            return f"I could not read feed {label(feed)} now: {read}. Nothing was posted."
        async with self.store.read() as r:
            targets = await self._targets(r, feed, sub)
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
