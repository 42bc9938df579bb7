"""The config file's ``[[feeds]]`` made true in the database at start-up.

A feed still in the file is ensured (authors and targets as listed). A config feed no longer
in the file is paused, with the reason :data:`REMOVED`, and its history (entries, articles,
questions) kept; it comes back if the file lists it again. A feed whose URL changed in the
file is the same feed at its new address: a stored config feed that is no longer listed and
a listed URL that is not stored are paired when they carry the same title, or else post to
the same channels, and only when that pairing is unambiguous (one on each side).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from bot.config import FeedSettings
from bot.core.models import ChatRef, FeedId, Platform
from bot.feeds.filters import parse_spec
from bot.storage.articles import ArticleRepository, Target
from bot.storage.db import Database
from bot.storage.subscriptions import CONFIG, SubscriptionFilters, SubscriptionRepository

log = logging.getLogger(__name__)

REMOVED = "removed from the config file (its history is kept)"

ConfigFeeds = list[tuple[FeedSettings, FeedId, list[Target]]]


@dataclass
class Reconciled:
    feeds: ConfigFeeds = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # one line per change, for the log


async def reconcile(
    db: Database, specs: Sequence[FeedSettings], clock: Callable[[], datetime]
) -> Reconciled:
    """Ensure the listed feeds; pause the removed ones; move the ones whose URL changed."""
    articles = ArticleRepository(db)
    done = Reconciled()
    async with db.transaction() as conn:
        stored = await _config_feeds(conn)
        listed = {spec.url for spec in specs}
        gone = {url: row for url, row in stored.items() if url not in listed}
        moved = await _pair(
            conn,
            [s for s in specs if s.url not in stored and not s.url.startswith("bundled:")],
            gone,
        )
        for spec, (fid, old_url) in moved.items():
            await conn.execute(
                "UPDATE feeds SET url = ?, etag = NULL, last_modified = NULL, body_hash = NULL, "
                "failures = 0, next_poll_at = NULL WHERE id = ? "
                "AND NOT EXISTS (SELECT 1 FROM feeds WHERE url = ?)",
                (spec.url, fid, spec.url),
            )
            done.changes.append(
                f"feed {fid}: its URL changed in the config, {old_url} -> {spec.url}"
            )
            gone.pop(old_url)
        for url, (fid, _title, paused, reason) in gone.items():
            if paused and reason == REMOVED:
                continue
            await conn.execute(
                "UPDATE feeds SET paused = 1, pause_reason = ?, "
                "pauses = pauses + (1 - paused) WHERE id = ?",
                (REMOVED, fid),
            )
            done.changes.append(f"feed {fid} ({url}): {REMOVED}; paused")
        for spec in specs:
            source = "builtin" if spec.url.startswith("bundled:") else "config"
            fid = await articles.ensure_feed(
                conn, spec.url, title=spec.title, source=source, now=clock()
            )
            back = await conn.execute(
                "UPDATE feeds SET paused = 0, pause_reason = NULL, next_poll_at = NULL "
                "WHERE id = ? AND paused = 1 AND pause_reason = ?",
                (fid, REMOVED),
            )
            if back.rowcount:
                done.changes.append(f"feed {fid} ({spec.url}): back in the config; resumed")
            # Each config feed has one 'config' subscription: its targets, exactly its authors.
            sub = await SubscriptionRepository.ensure(
                conn, fid, CONFIG, added_by=None, backfill=1, now=clock()
            )
            await SubscriptionRepository.set_authors(conn, sub, list(spec.authors))
            await SubscriptionFilters.replace(
                conn, sub, [_filter_row(text) for text in spec.filters]
            )
            targets = []
            for where in spec.targets:
                platform, _, channel = where.partition(":")
                ref = ChatRef(Platform(platform), channel)
                targets.append(await articles.ensure_target(conn, fid, ref, sub))
            done.feeds.append((spec, fid, targets))
    for line in done.changes:
        log.warning("config: %s", line)
    return done


StoredFeed = tuple[FeedId, str, int, str | None]  # id, title, paused, pause_reason


async def _config_feeds(conn: aiosqlite.Connection) -> dict[str, StoredFeed]:
    async with conn.execute(
        "SELECT id, url, title, paused, pause_reason FROM feeds WHERE source = 'config'"
    ) as cur:
        rows = await cur.fetchall()
    return {r[1]: (FeedId(r[0]), r[2], r[3], r[4]) for r in rows}


async def _places(conn: aiosqlite.Connection, fid: FeedId) -> frozenset[str]:
    async with conn.execute(
        "SELECT platform || ':' || channel FROM targets WHERE feed_id = ?", (fid,)
    ) as cur:
        return frozenset(r[0] for r in await cur.fetchall())


async def _pair(
    conn: aiosqlite.Connection, new: Sequence[FeedSettings], gone: dict[str, StoredFeed]
) -> dict[FeedSettings, tuple[FeedId, str]]:
    """New URLs paired with stored feeds no longer listed, where exactly one fits each."""
    found: dict[FeedSettings, tuple[FeedId, str]] = {}
    if not new or not gone:
        return found
    old = [(fid, url, title, await _places(conn, fid)) for url, (fid, title, *_) in gone.items()]
    for by in ("title", "places"):
        for spec in new:
            if spec in found:
                continue
            mine: object = spec.title if by == "title" else frozenset(spec.targets)
            if by == "title" and not spec.title:
                continue
            same = [o for o in old if (o[2] if by == "title" else o[3]) == mine]
            rivals = [
                s for s in new if (s.title if by == "title" else frozenset(s.targets)) == mine
            ]
            if len(same) == 1 and len(rivals) == 1 and same[0][:2] not in found.values():
                found[spec] = same[0][:2]
    return found


def _filter_row(text: str) -> tuple[str, str, str]:
    """A config filter (checked when the config was read) as stored."""
    rule = parse_spec(text)
    return (rule.kind, rule.field, rule.pattern)
