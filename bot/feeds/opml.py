"""OPML, the feed readers' exchange format: read a subscription list, write ours. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from lxml import etree

from bot.config_checks import web_url

# No entities, no network, no huge trees: an OPML file is untrusted input.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class OpmlError(ValueError):
    """The file is not OPML we can read; the message says why."""


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    url: str
    title: str = ""
    site_link: str = ""


def read_opml(data: bytes) -> list[OpmlFeed]:
    """Every outline with an ``xmlUrl``, at any depth (folders are flattened), once each."""
    return read_opml_report(data)[0]


def read_opml_report(data: bytes) -> tuple[list[OpmlFeed], list[tuple[str, str]]]:
    """:func:`read_opml`, and the outlines skipped: (what the outline says, why skipped).

    A folder (an outline holding others) is not skipped: its feeds are read."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"not well-formed XML: {exc}") from None
    if root is None or etree.QName(root).localname.lower() != "opml":
        raise OpmlError("this XML is not OPML (no <opml> root element)")
    found: dict[str, OpmlFeed] = {}
    skipped: list[tuple[str, str]] = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        title = (outline.get("title") or outline.get("text") or "").strip()
        if not url:
            if len(outline) == 0:
                skipped.append((title or "(an untitled outline)", "it has no xmlUrl"))
            continue
        if url in found:
            skipped.append((url, "listed twice in the file"))
            continue
        if why := web_url(url):
            skipped.append((url, why.removeprefix(f"{url!r} is ")))
            continue
        found[url] = OpmlFeed(url, title, (outline.get("htmlUrl") or "").strip())
    return list(found.values()), skipped


def write_opml(feeds: Sequence[OpmlFeed], *, now: datetime, title: str = "pointbot feeds") -> str:
    """An OPML 2.0 document listing ``feeds`` (type "rss", as readers expect for all kinds)."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "dateCreated").text = format_datetime(now, usegmt=True)
    body = etree.SubElement(root, "body")
    for feed in feeds:
        attrs = {"type": "rss", "text": feed.title or feed.url, "xmlUrl": feed.url}
        if feed.title:
            attrs["title"] = feed.title
        if feed.site_link:
            attrs["htmlUrl"] = feed.site_link
        etree.SubElement(body, "outline", attrs)
    text = etree.tostring(root, encoding="unicode", pretty_print=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + str(text)
