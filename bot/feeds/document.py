"""A fetched feed document turned into entries, and an entry into an Article.

feedparser reads RSS 0.9x/1.0/2.0 and Atom (and is lenient about the broken XML real feeds
serve); JSON Feed is read here directly since feedparser does not know it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser

from bot.core.models import Article
from bot.core.parsing import parse_article


class FeedError(ValueError):
    """The document is not a feed we can read; the message says why in plain words."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    key: str  # stable identity: guid, else normalised link, else a hash of title and content
    title: str
    link: str
    author: str
    description: str
    content: str
    published: datetime | None


@dataclass(frozen=True, slots=True)
class FeedDocument:
    title: str
    link: str
    entries: tuple[FeedEntry, ...]


_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ref", "source")


def normalise_link(link: str) -> str:
    """Scheme and host lower-cased, tracking parameters and trailing slash dropped."""
    parts = urlsplit(link.strip())
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not any(k == t or (t.endswith("_") and k.startswith(t)) for t in _TRACKING)
    ]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


def entry_key(guid: str, link: str, title: str, content: str) -> str:
    if guid.strip():
        return "guid:" + guid.strip()
    if link.strip():
        return "link:" + normalise_link(link)
    digest = hashlib.sha256(f"{title}\0{content}".encode()).hexdigest()[:32]
    return "hash:" + digest


def _when(struct: Any) -> datetime | None:
    if not struct:
        return None
    try:
        year, month, day, hour, minute, second = (int(v) for v in struct[:6])
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def parse_feed(data: bytes) -> FeedDocument:
    """Parse RSS, Atom or JSON Feed bytes. Raises :class:`FeedError` for anything else."""
    if not data.strip():
        raise FeedError("the feed is empty")
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        return _parse_json_feed(data)
    parsed = feedparser.parse(data)
    version = parsed.get("version", "")
    if not version:
        if parsed.get("bozo"):
            raise FeedError(f"not a readable feed: {parsed.get('bozo_exception')}")
        raise FeedError("this is not an RSS or Atom feed")
    entries = []
    for e in parsed.entries:
        content = ""
        if e.get("content"):
            content = max((c.get("value", "") for c in e.content), key=len)
        description = e.get("summary", "") or ""
        body = content or description
        entries.append(
            FeedEntry(
                key=entry_key(e.get("id", ""), e.get("link", ""), e.get("title", ""), body),
                title=e.get("title", "") or "",
                link=e.get("link", "") or "",
                author=e.get("author", "") or "",
                description=description if content else "",
                content=body,
                published=_when(e.get("published_parsed") or e.get("updated_parsed")),
            )
        )
    feed = parsed.get("feed", {})
    return FeedDocument(feed.get("title", ""), feed.get("link", ""), tuple(entries))


def _parse_json_feed(data: bytes) -> FeedDocument:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedError(f"not a readable JSON Feed: {exc}") from None
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        raise FeedError("this JSON is not a JSON Feed (no jsonfeed.org version)")
    entries = []
    for item in doc.get("items", []):
        if not isinstance(item, dict):
            continue
        content = item.get("content_html") or item.get("content_text") or ""
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        published = None
        if item.get("date_published"):
            try:
                published = datetime.fromisoformat(item["date_published"]).astimezone(UTC)
            except ValueError:
                published = None
        entries.append(
            FeedEntry(
                key=entry_key(
                    str(item.get("id", "")), item.get("url", ""), item.get("title", ""), content
                ),
                title=item.get("title", ""),
                link=item.get("url", ""),
                author=", ".join(a.get("name", "") for a in authors if isinstance(a, dict)),
                description=item.get("summary", ""),
                content=content,
                published=published,
            )
        )
    return FeedDocument(doc.get("title", ""), doc.get("home_page_url", ""), tuple(entries))


def article_of(entry: FeedEntry) -> Article:
    """The entry's article; the feed's description is the author's subtitle when it is short."""
    subtitle = entry.description if 0 < len(entry.description) <= 400 else ""
    if subtitle and "<" in subtitle:
        subtitle = ""  # a teaser of the body in HTML, not a subtitle
    return parse_article(
        entry.content, title=entry.title, link=entry.link, author=entry.author, subtitle=subtitle
    )
