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

from bot.config import FeedSettings
from bot.core.models import ChatRef, FeedId, Platform
from bot.feeds.filters import parse_spec
from bot.storage.port import Store, Tx
from bot.storage.types import CONFIG, FeedRow, Target

log = logging.getLogger(__name__)

REMOVED = "removed from the config file (its history is kept)"

ConfigFeeds = list[tuple[FeedSettings, FeedId, list[Target]]]


@dataclass
class Reconciled:
    feeds: ConfigFeeds = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # one line per change, for the log


async def reconcile(
    store: Store, specs: Sequence[FeedSettings], clock: Callable[[], datetime]
) -> Reconciled:
    """Ensure the listed feeds; pause the removed ones; move the ones whose URL changed."""
    done = Reconciled()
    async with store.transaction() as tx:
        stored = {f.url: f for f in await tx.feeds.all() if f.source == "config"}
        listed = {spec.url for spec in specs}
        gone = {url: feed for url, feed in stored.items() if url not in listed}
        moved = await _pair(
            tx,
            [s for s in specs if s.url not in stored and not s.url.startswith("bundled:")],
            gone,
        )
        for spec, (fid, old_url) in moved.items():
            await tx.feeds.move(fid, spec.url)
            done.changes.append(
                f"feed {fid}: its URL changed in the config, {old_url} -> {spec.url}"
            )
            gone.pop(old_url)
        for url, feed in gone.items():
            if feed.paused and feed.pause_reason == REMOVED:
                continue
            await tx.feeds.pause_for(feed.id, REMOVED)
            done.changes.append(f"feed {feed.id} ({url}): {REMOVED}; paused")
        for spec in specs:
            source = "builtin" if spec.url.startswith("bundled:") else "config"
            fid = await tx.feeds.ensure(spec.url, title=spec.title, source=source, now=clock())
            if await tx.feeds.resume_paused_for(fid, REMOVED):
                done.changes.append(f"feed {fid} ({spec.url}): back in the config; resumed")
            # Each config feed has one 'config' subscription: its targets, exactly its authors.
            sub = await tx.subscriptions.ensure(fid, CONFIG, added_by=None, backfill=1, now=clock())
            await tx.subscriptions.set_authors(sub, list(spec.authors))
            await tx.subscriptions.replace_filters(sub, [_filter_row(t) for t in spec.filters])
            await tx.subscriptions.set_max_per_day(sub, spec.max_per_day)
            template = spec.template
            await tx.subscriptions.set_template(
                sub, template.to_json() if template and not template.is_default else None
            )
            targets = []
            for where in spec.targets:
                platform, _, channel = where.partition(":")
                ref = ChatRef(Platform(platform), channel)
                targets.append(await tx.posts.ensure_target(fid, ref, sub))
            done.feeds.append((spec, fid, targets))
    for line in done.changes:
        log.warning("config: %s", line)
    return done


async def _places(tx: Tx, fid: FeedId) -> frozenset[str]:
    return frozenset(f"{t.platform}:{t.channel}" for t in await tx.posts.targets_of(fid))


async def _pair(
    tx: Tx, new: Sequence[FeedSettings], gone: dict[str, FeedRow]
) -> dict[FeedSettings, tuple[FeedId, str]]:
    """New URLs paired with stored feeds no longer listed, where exactly one fits each."""
    found: dict[FeedSettings, tuple[FeedId, str]] = {}
    if not new or not gone:
        return found
    old = [(f.id, url, f.title, await _places(tx, f.id)) for url, f in gone.items()]
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
