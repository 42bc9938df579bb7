"""A fetched feed document turned into entries, and an entry into an Article.

feedparser reads RSS 0.9x/1.0/2.0 and Atom (and is lenient about the broken XML real feeds
serve, and about encodings declared wrongly: it falls back to UTF-8, then Windows-1252);
JSON Feed is read here directly since feedparser does not know it. feedparser's HTML
sanitising and relative-URI rewriting are off: entry HTML only ever reaches people as text
extracted by :func:`bot.core.parsing.parse_article` and escaped by the summary renderer, and
skipping them makes a parse about a third cheaper (docs/bench-poll.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser

from bot.core.models import Article
from bot.core.parsing import parse_article
from bot.feeds.fastparse import Raw, parse_fast
from bot.feeds.images import first_img, lead_image, web_url


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
    categories: tuple[str, ...] = ()  # the entry's tags (RSS/Atom category, JSON Feed tags)
    image: str | None = None  # the lead image's http(s) URL (bot.feeds.images)


@dataclass(frozen=True, slots=True)
class FeedDocument:
    title: str
    link: str
    entries: tuple[FeedEntry, ...]


_TRACKING = (
    "utm_",
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_hsenc",
    "_hsmi",
    "igshid",
    "ref",
    "ref_src",
    "source",
)
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def normalise_link(link: str) -> str:
    """Scheme and host lower-cased, default port, fragment, tracking parameters and
    trailing slash dropped: the same article linked two ways gets one identity."""
    parts = urlsplit(link.strip())
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not any(k == t or (t.endswith("_") and k.startswith(t)) for t in _TRACKING)
    ]
    scheme = parts.scheme.lower()
    netloc = parts.netloc.lower().removesuffix(_DEFAULT_PORTS.get(scheme, ""))
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


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


_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_LEGACY = re.compile(rb"(?i)^(?:(?:us-)?ascii|latin-?1|iso-?8859-\d+|(?:windows|cp)-?125\d)$")


def _trust_utf8(data: bytes) -> bytes:
    """Bytes that are valid UTF-8 (with non-ASCII) but declared Latin-1 or Windows-125x are
    UTF-8: real legacy text is almost never valid UTF-8, and the reverse mistake is common."""
    m = _XML_ENCODING.match(data)
    if m is None or not _LEGACY.match(m.group(1)) or data.isascii():
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    return data[: m.start(1)] + b"utf-8" + data[m.end(1) :]


def parse_feed(data: bytes) -> FeedDocument:
    """Parse RSS, Atom or JSON Feed bytes. Raises :class:`FeedError` for anything else.

    Well-formed feeds in the common shapes take the lxml fast path (:mod:`.fastparse`);
    everything else goes through feedparser. Both give the same entries.
    """
    if not data.strip():
        raise FeedError("the feed is empty")
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        return _parse_json_feed(data)
    data = _trust_utf8(data)
    fast = parse_fast(data)
    if fast is not None:
        title, link, raws = fast
        return FeedDocument(title, link, tuple(_entries(raws)))
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    version = parsed.get("version", "")
    if not version:
        if parsed.get("bozo"):
            raise FeedError(f"not a readable feed: {parsed.get('bozo_exception')}")
        raise FeedError("this is not an RSS or Atom feed")
    raws = [
        {
            "id": e.get("id", "") or "",
            "title": e.get("title", "") or "",
            "link": e.get("link", "") or "",
            "author": e.get("author", "") or "",
            "summary": e.get("summary", "") or "",
            "content": max((c.get("value", "") for c in e.content), key=len)
            if e.get("content")
            else "",
            "published": _when(e.get("published_parsed") or e.get("updated_parsed")),
            "categories": [t.get("term") or "" for t in e.get("tags", None) or ()],
            "media": _feedparser_media(e),
        }
        for e in parsed.entries
    ]
    feed = parsed.get("feed", {})
    return FeedDocument(feed.get("title", ""), feed.get("link", ""), tuple(_entries(raws)))


def _feedparser_media(e: Any) -> list[dict[str, Any]]:
    """feedparser's enclosures, Media RSS content and thumbnails, in the shape
    :func:`bot.feeds.images.lead_image` takes (and :mod:`.fastparse` gives)."""
    found: list[dict[str, Any]] = [
        {"url": x.get("href", ""), "type": x.get("type", "")} for x in e.get("enclosures") or ()
    ]
    found += [dict(x) for x in e.get("media_content") or ()]
    found += [{**x, "thumbnail": True} for x in e.get("media_thumbnail") or ()]
    return found


def _entries(raws: Iterable[Raw]) -> Iterator[FeedEntry]:
    for r in raws:
        content, description = r["content"], r["summary"]
        body = content or description
        if not (body.strip() or r["title"] or r["link"]):
            continue  # an item cut off in broken XML: nothing to identify or post
        yield FeedEntry(
            key=entry_key(r["id"], r["link"], r["title"], body),
            title=r["title"],
            link=r["link"],
            author=r["author"],
            description=description if content else "",
            content=body,
            published=r["published"],
            categories=tuple(c.strip() for c in r.get("categories", ()) if c and c.strip()),
            image=lead_image(r.get("media") or (), body, r["link"]),
        )


def _parse_json_feed(data: bytes) -> FeedDocument:
    try:
        doc = json.loads(data)
    except UnicodeDecodeError:
        # JSON Feed must be UTF-8; a server that sends Windows-1252 anyway is read as such.
        try:
            doc = json.loads(data.decode("cp1252", errors="replace"))
        except ValueError as exc:
            raise FeedError(f"not a readable JSON Feed: {exc}") from None
    except ValueError as exc:
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
                categories=tuple(
                    t.strip()
                    for t in item.get("tags", ()) or ()
                    if isinstance(t, str) and t.strip()
                ),
                image=_json_image(item, content),
            )
        )
    return FeedDocument(doc.get("title", ""), doc.get("home_page_url", ""), tuple(entries))


def _json_image(item: dict[str, Any], html: str) -> str | None:
    """JSON Feed's ``image``, else ``banner_image``, else the content's first picture."""
    base = str(item.get("url") or "")
    for name in ("image", "banner_image"):
        value = item.get(name)
        if isinstance(value, str) and (url := web_url(value, base)) is not None:
            return url
    return first_img(str(item.get("content_html") or ""), base) if html else None


def entry_hash(entry: FeedEntry) -> str:
    """A digest of the entry as the feed sent it: a change means the author edited it."""
    h = hashlib.sha256()
    for part in (entry.title, entry.link, entry.author, entry.description, entry.content):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()[:32]


def newest(entries: Sequence[FeedEntry], count: int) -> list[FeedEntry]:
    """The ``count`` newest entries, oldest of them first (the order to post them in).

    By date when every entry has one; else the feed's own order, which lists newest first.
    """
    if count <= 0:
        return []
    if entries and all(e.published for e in entries):
        ordered = sorted(entries, key=lambda e: e.published or _EPOCH, reverse=True)
    else:
        ordered = list(entries)
    return list(reversed(ordered[:count]))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def article_of(entry: FeedEntry) -> Article:
    """The entry's article; the feed's description is the author's subtitle when it is short."""
    subtitle = entry.description if 0 < len(entry.description) <= 400 else ""
    if subtitle and "<" in subtitle:
        subtitle = ""  # a teaser of the body in HTML, not a subtitle
    article = parse_article(
        entry.content, title=entry.title, link=entry.link, author=entry.author, subtitle=subtitle
    )
    return replace(article, image=entry.image) if entry.image else article
