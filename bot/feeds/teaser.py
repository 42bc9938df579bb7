"""Teasers: telling a feed entry that carries only an excerpt, and finding the article's
main text on its web page instead. Pure: bytes in, text out.

The extractor is a small readability-style scorer over lxml rather than trafilatura: the
points are found from the article's own headings and lists (``<h3>1. …</h3>``), which a
text-only extractor flattens, and lxml is already here for the article parser, so there
is no new dependency tree (trafilatura brings eight packages and its own HTTP client,
which would bypass the fetcher's address guard and size limit).
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from bot.feeds.document import FeedEntry

TEASER_WORDS = 150  # fewer words than this in the feed, and the entry is an excerpt
_READ_MORE = re.compile(
    r"(?:read\s+(?:more|the\s+(?:rest|full\s+\w+))|continue\s+reading|keep\s+reading"
    r"|\[(?:…|\.\.\.)\]|…|\.\.\.)\W*$",
    re.IGNORECASE,
)
_TAGS = re.compile(r"<[^>]*>")
_PARSER = etree.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
_CHROME = [
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "aside",
    "footer",
    "header",
    "form",
    "button",
    "iframe",
    "svg",
    "select",
    "textarea",
    "object",
    "video",
    "audio",
]
_BLOCKS = ("p", "li", "pre", "blockquote", "h2", "h3", "h4")
_MIN_PARAGRAPH = 25


def plain_words(html: str) -> list[str]:
    """The words of an HTML fragment (tags dropped; good enough to count)."""
    return _TAGS.sub(" ", html).split()


def is_teaser(entry: FeedEntry) -> bool:
    """Short text, or text ending in "Read more" / "…": the feed carries only an excerpt."""
    if not entry.link:
        return False
    words = plain_words(entry.content)
    if len(words) < TEASER_WORDS:
        return True
    return bool(_READ_MORE.search(" ".join(words[-12:])))


def wants_page(entry: FeedEntry, mode: str) -> bool:
    """Whether to fetch the entry's page, for ``mode`` teasers | always | never."""
    if mode == "never" or not entry.link:
        return False
    return mode == "always" or is_teaser(entry)


def _text_len(el: Any) -> int:
    return len(" ".join(str(etree.tostring(el, method="text", encoding="unicode")).split()))


def _best_container(body: Any) -> Any:
    """The element whose paragraphs hold the most text (parents get half of a grandchild's)."""
    scores: dict[Any, float] = {}
    for el in body.iter(*_BLOCKS):
        size = _text_len(el)
        if size < _MIN_PARAGRAPH:
            continue
        parent = el.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0.0) + size
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0.0) + size / 2
    if not scores:
        return body
    return max(scores, key=lambda el: scores[el])


def main_html(page: bytes) -> str:
    """The main content of an article page, as an HTML fragment ('' when there is none).

    ``<article>`` or ``<main>`` when the page has exactly one, else the densest container.
    """
    try:
        root = etree.fromstring(page, _PARSER)
    except (etree.ParserError, ValueError):
        return ""
    if root is None:
        return ""
    etree.strip_elements(root, *_CHROME, with_tail=False)
    for tag in ("article", "main"):
        found = root.findall(f".//{tag}")
        if len(found) == 1 and _text_len(found[0]) > 200:
            return str(etree.tostring(found[0], method="html", encoding="unicode"))
    body = root.find("body")
    if body is None:
        return ""
    best = _best_container(body)
    return str(etree.tostring(best, method="html", encoding="unicode"))


def fuller(entry: FeedEntry, page_html: str) -> FeedEntry | None:
    """The entry with the page's text as its content, if that is longer than the feed's."""
    if len(plain_words(page_html)) <= len(plain_words(entry.content)):
        return None
    # The feed's excerpt stays as the description: it may become the summary's subtitle.
    description = entry.description or entry.content
    return FeedEntry(
        key=entry.key,
        title=entry.title,
        link=entry.link,
        author=entry.author,
        description=description,
        content=page_html,
        published=entry.published,
        categories=entry.categories,
    )
