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
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.config import ConfigError, Settings, load_settings
from bot.core.models import ChatRef, Platform
from bot.feeds.document import FeedError
from bot.feeds.fetch import Fetcher, FetchError, ReadFeed, read_feed
from bot.feeds.opml import OpmlError, OpmlFeed, read_opml, write_opml
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
        p.add_argument("--database", default=argparse.SUPPRESS, help="SQLite file")


def _settings(args: argparse.Namespace) -> Settings | str:
    config = getattr(args, "config", None)
    try:
        return load_settings(Path(config) if config else None, os.environ)
    except ConfigError as exc:
        return str(exc)


def _database(args: argparse.Namespace, settings: Settings) -> Path:
    return Path(
        getattr(args, "database", None) or os.environ.get("BOT_DATABASE") or settings.database
    )


def _fail(message: str, code: int = 3) -> int:
    print(f"bot: {message}", file=sys.stderr)
    return code


def cmd_feeds_export(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if isinstance(settings, str):
        return _fail(settings, 2)

    async def export() -> str:
        store = await open_store(_database(args, settings))
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
    backfill = {"none": 0, "latest": 1}.get(args.backfill, -1)
    if backfill < 0:
        if not args.backfill.isdigit() or not 1 <= int(args.backfill) <= 20:
            return _fail("--backfill takes none, latest or a number from 1 to 20", 2)
        backfill = int(args.backfill)
    try:
        feeds = read_opml(Path(args.file).read_bytes())
    except OSError as exc:
        return _fail(f"{args.file}: cannot read it ({exc.strerror})")
    except OpmlError as exc:
        return _fail(f"{args.file}: {exc}")
    try:
        added, failed = asyncio.run(_import(args, settings, feeds, backfill))
    except StorageError as exc:
        return _fail(str(exc))
    print(f"{added} feeds imported, {len(failed)} not added.")
    for url, why in failed:
        print(f"  not added: {url}: {why}")
    return 0 if not failed else 1


async def _import(
    args: argparse.Namespace, settings: Settings, feeds: list[OpmlFeed], backfill: int
) -> tuple[int, list[tuple[str, str]]]:
    store = await open_store(_database(args, settings))
    fetcher = Fetcher(settings.polling)
    progress = Progress(len(feeds), sys.stderr)
    limit = asyncio.Semaphore(CHECKS_AT_ONCE)
    failed: list[tuple[str, str]] = []
    added = 0

    async def one(feed: OpmlFeed) -> None:
        nonlocal added
        url, title = feed.url, feed.title
        if not args.no_check:
            async with limit:
                why = await _check(fetcher, url)
            if isinstance(why, str):
                failed.append((url, why))
                progress.step(url)
                return
            url, title = why.url, title or why.document.title
        await _store(store, url, title=title, site=feed.site_link, args=args, backfill=backfill)
        added += 1
        progress.step(url)

    try:
        await asyncio.gather(*(one(f) for f in feeds))
    finally:
        await fetcher.close()
        await store.close()
    return added, failed


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
        for spec in args.target:
            platform, _, channel = spec.partition(":")
            await tx.posts.ensure_target(fid, ChatRef(Platform(platform), channel))
        await tx.feeds.add_authors(fid, args.author)
        await tx.feeds.configure(
            fid, interval_s=None, full_article=None, backfill=backfill, added_by="cli:import"
        )
        await tx.feeds.set_site_link(fid, site)
