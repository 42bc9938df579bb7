"""An entry's lead image: the picture shown with its summary.

Where it comes from, first found wins: an enclosure or Media RSS ``media:content`` with an
image type (or ``medium="image"``), a ``media:thumbnail``, an Atom ``link rel="enclosure"``
with an image type, JSON Feed's ``image`` / ``banner_image``, else the first ``<img>`` of
the entry's HTML. Tracking pixels are skipped (``width`` or ``height`` given and under 50
pixels), and so are ``data:`` URLs. A URL is resolved against the entry's link; only
http(s) URLs are kept. Nothing is fetched here: Discord fetches the URL itself, and the
Matrix adapter fetches it through the feed fetcher's private-address guard.

The first ``<img>`` is found with a regular expression over the HTML the entry already
holds, not an HTML parse: the poller parses many entries per cycle and only this one tag
is wanted (the bench stays close to the bare parse).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urljoin, urlsplit

from bot.core.models import Article, Rendered

MIN_SIDE = 50
"""A picture with a side given below this many pixels is a tracking pixel or an icon."""

_IMG = re.compile(r"<img\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r"""([a-zA-Z_:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def _number(value: Any) -> int | None:
    text = str(value or "").strip().removesuffix("px")
    return int(text) if text.isdigit() else None


def too_small(width: Any, height: Any) -> bool:
    """A side given, and under :data:`MIN_SIDE` pixels."""
    return any(n is not None and n < MIN_SIDE for n in (_number(width), _number(height)))


def web_url(url: str, base: str = "") -> str | None:
    """``url`` made absolute against ``base``, when it is http(s); else None."""
    url = url.strip()
    if not url or url.lower().startswith("data:"):
        return None
    try:
        full = urljoin(base, url) if base else url
        parts = urlsplit(full)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return full


def is_image_type(kind: str) -> bool:
    return kind.strip().lower().startswith("image/")


def from_media(candidates: Iterable[Mapping[str, Any]], base: str = "") -> str | None:
    """The first usable image among ``{url, type, medium, width, height}`` candidates (in
    the order of the sources above); a candidate with ``thumbnail`` set is taken without a
    type."""
    for c in candidates:
        kind = str(c.get("type") or "")
        medium = str(c.get("medium") or "")
        if not (c.get("thumbnail") or is_image_type(kind) or medium == "image"):
            continue
        if too_small(c.get("width"), c.get("height")):
            continue
        url = web_url(str(c.get("url") or ""), base)
        if url is not None:
            return url
    return None


def first_img(html: str, base: str = "") -> str | None:
    """The first ``<img>`` of ``html`` that is not a tracking pixel, as an absolute URL."""
    if "<img" not in html and "<IMG" not in html:
        return None
    for m in _IMG.finditer(html):
        attrs: dict[str, str] = {}
        for a in _ATTR.finditer(m.group(1)):
            attrs.setdefault(a.group(1).lower(), a.group(2) or a.group(3) or a.group(4) or "")
        if too_small(attrs.get("width"), attrs.get("height")):
            continue
        url = web_url(attrs.get("src", ""), base)
        if url is not None:
            return url
    return None


def lead_image(media: Iterable[Mapping[str, Any]], html: str, base: str) -> str | None:
    """The entry's lead image: from its media elements, else its HTML's first picture."""
    return from_media(media, base) or first_img(html, base)


def with_image(summary: Rendered, article: Article) -> Rendered:
    """The article's summary carrying its lead image (kept out of the summary renderer,
    which only composes text)."""
    return replace(summary, image=article.image) if article.image else summary
