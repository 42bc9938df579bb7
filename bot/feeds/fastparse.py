"""A fast path for well-formed feeds: lxml instead of feedparser, same results.

feedparser spends about 9 ms on a 50 KB RSS file, most of it in Python SAX callbacks; with
lxml the same file takes well under 1 ms (docs/bench-poll.md), which is what lets one poll
cycle over many feeds stay cheap. Only documents that libxml2 parses strictly, in the
common shapes (RSS 0.9x/2.0, RSS 1.0, Atom with text or HTML content and absolute links),
take this path; anything else returns None and feedparser reads it, with its leniency for
broken XML and odd encodings. tests/feeds/test_fastparse.py checks that both paths give
the same entries (above all the same keys: a feed that flips between the two must not
look re-keyed).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from lxml import etree

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
)
ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"

Raw = dict[str, Any]
"""One entry's fields, as ``bot.feeds.document`` turns them into a FeedEntry."""


class Unsupported(Exception):
    """This document needs feedparser."""


def _text(el: Any, path: str) -> str:
    return _el_text(el.find(path))


def _rss_date(text: str) -> datetime | None:
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        raise Unsupported from None
    return _utc(when)


def _iso_date(text: str) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise Unsupported from None
    return _utc(when)


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(microsecond=0)


def _absolute(link: str) -> str:
    if link and not link.lower().startswith(("http://", "https://")):
        raise Unsupported  # relative: feedparser resolves it against xml:base
    return link


def _el_text(found: Any) -> str:
    """:func:`_text` of an element already found (None: absent)."""
    if found is None:
        return ""
    if len(found):
        raise Unsupported  # markup inside a text element: feedparser knows what to do
    return str(found.text or "").strip()


def _rss_item(item: Any, ns: str) -> Raw:
    """One RSS item's fields, from a single pass over its children.

    ``find`` per field scanned the children once for each of about ten lookups, and the
    categories were collected by one more scan (issue 15's bench: ``_rss_item`` was the
    poller's biggest own-time cost after parsing). One pass keeps each tag's first element,
    as ``find`` would, and every category; the text of an element is read, and its markup
    refused, only when the field is used, exactly as before.
    """
    first: dict[Any, Any] = {}
    categories: list[str] = []
    cat_tag = f"{ns}category"
    for child in item:
        tag = child.tag
        if tag == cat_tag:
            categories.append((child.text or "").strip())
        elif tag not in first:
            first[tag] = child
    get = first.get
    guid_el = get(f"{ns}guid") if ns == "" else None
    guid = _el_text(guid_el) if ns == "" else str(item.get(f"{RDF}about") or "").strip()
    link = _el_text(get(f"{ns}link"))
    if not link and guid_el is not None and guid_el.get("isPermaLink", "true") != "false":
        link = guid  # feedparser's rule: a permalink guid is the link
    content = _el_text(get(f"{CONTENT}encoded"))
    pub = _el_text(get(f"{ns}pubDate"))
    return {
        "id": guid,
        "title": _el_text(get(f"{ns}title")),
        "link": _absolute(link),
        "author": _el_text(get(f"{DC}creator")) or _el_text(get(f"{ns}author")),
        "summary": _el_text(get(f"{ns}description")) or content,  # as feedparser fills it
        "content": content,
        "published": _rss_date(pub) if pub else _iso_date(_el_text(get(f"{DC}date"))),
        "categories": categories,
    }


def _atom_link(el: Any) -> str:
    for link in el.findall(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate":
            return _absolute(str(link.get("href") or "").strip())
    return ""


def _atom_text(el: Any, tag: str) -> str:
    found = el.find(f"{ATOM}{tag}")
    if found is None:
        return ""
    if found.get("type", "text") not in ("text", "html") or found.get("src"):
        raise Unsupported  # xhtml or out-of-line content
    return _text(el, f"{ATOM}{tag}")


def _atom_entry(entry: Any) -> Raw:
    author = entry.find(f"{ATOM}author")
    published = _text(entry, f"{ATOM}published") or _text(entry, f"{ATOM}updated")
    ident = _text(entry, f"{ATOM}id")
    content = _atom_text(entry, "content")
    return {
        "id": ident,
        "title": _atom_text(entry, "title"),
        "link": _atom_link(entry) or _absolute(ident),  # feedparser: an id is a link too
        "author": _text(author, f"{ATOM}name") if author is not None else "",
        "summary": _atom_text(entry, "summary") or content,
        "content": content,
        "published": _iso_date(published),
        "categories": [str(c.get("term") or "") for c in entry.findall(f"{ATOM}category")],
    }


def parse_fast(data: bytes) -> tuple[str, str, list[Raw]] | None:
    """``(title, link, entries)`` of a well-formed common feed, or None for feedparser."""
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None or any(isinstance(el, etree._Entity) for el in root.iter(etree.Entity)):
        return None
    try:
        if root.tag == "rss":
            channel = root.find("channel")
            if channel is None:
                return None
            items = [_rss_item(i, "") for i in channel.iterfind("item")]
            return _text(channel, "title"), _text(channel, "link"), items
        if root.tag == f"{RDF}RDF":
            channel = root.find(f"{RSS1}channel")
            if channel is None:
                return None
            items = [_rss_item(i, RSS1) for i in root.iterfind(f"{RSS1}item")]
            return _text(channel, f"{RSS1}title"), _text(channel, f"{RSS1}link"), items
        if root.tag == f"{ATOM}feed":
            entries = [_atom_entry(e) for e in root.iterfind(f"{ATOM}entry")]
            link = _atom_link(root) or _text(root, f"{ATOM}id")
            return _atom_text(root, "title"), link, entries
    except Unsupported:
        return None
    return None
