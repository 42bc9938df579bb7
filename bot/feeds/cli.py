"""``bot feeds import FILE`` and ``bot feeds export``: OPML in and out of the database.

Imported feeds behave like feeds added in chat (``!feed list`` shows them, ``!feed remove``
removes them) and post nothing from their past: by default the first poll only marks their
entries as seen (``--backfill`` changes that). Each feed is checked (fetched and parsed)
before it is added, with a progress bar on stderr; ``--no-check`` skips that.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot import config_checks, datapath
from bot.config import ConfigError, Settings, load_settings
from bot.core.models import ChatRef, Platform
from bot.core.numbers import read_number
from bot.core.wording import count
from bot.feeds.document import FeedError
from bot.feeds.fetch import Fetcher, FetchError, ReadFeed, read_feed
from bot.feeds.opml import OpmlError, OpmlFeed, read_opml_report, write_opml
from bot.storage.port import Store, open_store
from bot.storage.types import StorageError

PLATFORMS = ("console", "matrix", "discord")
CHECKS_AT_ONCE = 8


class Progress:
    """A one-line bar on a terminal; a line every tenth of the way otherwise."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.done = 0
        self.stream = stream
        self.tty = stream.isatty()

    def step(self, label: str) -> None:
        self.done += 1
        if self.tty:
            filled = int(30 * self.done / max(self.total, 1))
            bar = "#" * filled + "." * (30 - filled)
            self.stream.write(f"\r[{bar}] {self.done}/{self.total} {label[:40]:<40}")
            if self.done == self.total:
                self.stream.write("\n")
        elif self.total >= 10 and self.done * 10 // self.total > (self.done - 1) * 10 // self.total:
            self.stream.write(f"{self.done}/{self.total} feeds checked\n")
        self.stream.flush()


def add_feed_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``feeds import`` and ``feeds export`` on the ``bot`` command."""
    feeds = subparsers.add_parser("feeds", help="import or export the feeds as OPML")
    sub = feeds.add_subparsers(dest="feeds_command", required=True)
    imp = sub.add_parser("import", help="add the feeds of an OPML file")
    imp.add_argument("file", help="an OPML file, as feed readers export")
    imp.add_argument(
        "--target", action="append", default=[], help="platform:channel to post to (repeatable)"
    )
    imp.add_argument(
        "--author", action="append", default=[], help="platform:id who answers (repeatable)"
    )
    imp.add_argument("--backfill", default="none", help="none (default), latest or N per feed")
    imp.add_argument("--no-check", action="store_true", help="add without fetching each feed")
    imp.set_defaults(func=cmd_feeds_import)
    exp = sub.add_parser("export", help="print the feeds as OPML")
    exp.set_defaults(func=cmd_feeds_export)
    for p in (imp, exp):
        # SUPPRESS: the top-level parser may have these too; a default here would erase them.
        p.add_argument("--config", default=argparse.SUPPRESS, help="TOML settings file")
        p.add_argument(
            "--database", default=argparse.SUPPRESS, help="SQLite file or postgresql:// DSN"
        )


def _settings(args: argparse.Namespace) -> Settings | str:
    config = getattr(args, "config", None)
    try:
        return load_settings(Path(config) if config else None, os.environ)
    except ConfigError as exc:
        return str(exc)


def _database(args: argparse.Namespace, settings: Settings) -> datapath.Location:
    return datapath.for_command(getattr(args, "database", None), settings.database)


@dataclass
class ImportReport:
    added: int = 0
    present: list[str] = field(default_factory=list)  # URLs the database had already
    failed: list[tuple[str, str]] = field(default_factory=list)  # (URL, why)


def _fail(message: str, code: int = 3) -> int:
    print(f"bot: {message}", file=sys.stderr)
    return code


def cmd_feeds_export(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if isinstance(settings, str):
        return _fail(settings, 2)

    path = _database(args, settings)
    if why := datapath.existing(path):
        return _fail(why)

    async def export() -> str:
        store = await open_store(path)
        try:
            async with store.read() as r:
                rows = await r.feeds.all()
        finally:
            await store.close()
        feeds = [OpmlFeed(f.url, f.title, f.site_link) for f in rows if f.url.startswith("http")]
        return write_opml(feeds, now=datetime.now(UTC))

    try:
        print(asyncio.run(export()), end="")
    except StorageError as exc:
        return _fail(str(exc))
    return 0


def cmd_feeds_import(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if isinstance(settings, str):
        return _fail(settings, 2)
    if not args.target:
        return _fail("feeds import needs at least one --target platform:channel to post to", 2)
    for spec in [*args.target, *args.author]:
        head, sep, rest = spec.partition(":")
        if head not in PLATFORMS or not sep or not rest:
            return _fail(f"{spec!r} is not 'console:…', 'matrix:…' or 'discord:…'", 2)
    shapes = [*map(config_checks.target, args.target), *map(config_checks.user, args.author)]
    if problems := [why for why in shapes if why]:
        return _fail("; ".join(problems), 2)
    backfill = {"none": 0, "latest": 1}.get(args.backfill, -1)
    if backfill < 0:
        number = read_number(args.backfill, lowest=1, highest=20)
        if number is None:
            return _fail("--backfill takes none, latest or a number from 1 to 20", 2)
        backfill = number
    try:
        feeds, skipped = read_opml_report(Path(args.file).read_bytes())
    except OSError as exc:
        return _fail(f"{args.file}: cannot read it ({exc.strerror})")
    except OpmlError as exc:
        return _fail(f"{args.file}: {exc}")
    path = _database(args, settings)
    try:
        report = asyncio.run(_import(args, settings, feeds, backfill))
    except StorageError as exc:
        return _fail(str(exc))
    datapath.announce(path)
    print(
        f"{report.added} imported, {(report.present and len(report.present)) or 0} already "
        f"present, {len(report.failed)} not added, {count(len(skipped), 'outline')} skipped."
    )
    for url in report.present:
        print(f"  already present: {url}")
    for url, why in report.failed:
        print(f"  not added: {url}: {why}")
    for what, why in skipped:
        print(f"  skipped: {what}: {why}")
    return 0 if not report.failed else 1


async def _import(
    args: argparse.Namespace, settings: Settings, feeds: list[OpmlFeed], backfill: int
) -> ImportReport:
    store = await open_store(_database(args, settings))
    fetcher = Fetcher(settings.polling)
    progress = Progress(len(feeds), sys.stderr)
    limit = asyncio.Semaphore(CHECKS_AT_ONCE)
    report = ImportReport()

    async def one(feed: OpmlFeed, known: set[str]) -> None:
        url, title = feed.url, feed.title
        if url in known:  # already there: not fetched again, not changed
            report.present.append(url)
            progress.step(url)
            return
        if not args.no_check:
            async with limit:
                why = await _check(fetcher, url)
            if isinstance(why, str):
                report.failed.append((url, why))
                progress.step(url)
                return
            url, title = why.url, title or why.document.title
            if url in known:  # the file's address moved to one the database has
                report.present.append(url)
                progress.step(url)
                return
        await _store(store, url, title=title, site=feed.site_link, args=args, backfill=backfill)
        report.added += 1
        progress.step(url)

    try:
        async with store.read() as r:
            known = {f.url for f in await r.feeds.all()}
        await asyncio.gather(*(one(f, known) for f in feeds))
    finally:
        await fetcher.close()
        await store.close()
    return report


async def _check(fetcher: Fetcher, url: str) -> ReadFeed | str:
    try:
        read = await read_feed(fetcher, url)
    except (FetchError, FeedError) as exc:
        return str(exc)
    return read if isinstance(read, ReadFeed) else f"HTTP {read.status}"


async def _store(
    store: Store, url: str, *, title: str, site: str, args: argparse.Namespace, backfill: int
) -> None:
    now = datetime.now(UTC)
    async with store.transaction() as tx:
        fid = await tx.feeds.ensure(url, title=title, source="chat", now=now)
        subs = []
        for spec in args.target:
            platform, _, channel = spec.partition(":")
            where = ChatRef(Platform(platform), channel)
            sub = await tx.subscriptions.ensure_offline(
                fid, where, added_by="cli:import", backfill=backfill, now=now
            )
            await tx.posts.ensure_target(fid, where, sub)
            subs.append(sub)
        for sub in dict.fromkeys(subs):
            await tx.subscriptions.add_authors(sub, args.author)
        await tx.feeds.configure(
            fid, interval_s=None, full_article=None, backfill=backfill, added_by="cli:import"
        )
        await tx.feeds.set_site_link(fid, site)
