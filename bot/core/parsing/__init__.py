"""Turn an article (HTML, Markdown or plain text) into an :class:`~bot.core.models.Article`.

Pure: no I/O. Each format is first turned into neutral blocks (``from_html``,
``from_markdown``, ``from_text``), then one detector (``points``) finds the numbered
points, intro and conclusion over blocks, so every format follows the same rules.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Literal

from lxml import etree

from ..models import Article
from .blocks import Doc, tidy
from .explain import explain
from .from_html import html_blocks
from .from_markdown import markdown_blocks
from .from_text import text_blocks
from .points import split_article

__all__ = ["ArticleError", "detect_format", "explain_article", "parse_article"]

Format = Literal["html", "markdown", "text"]
UNTITLED = "Untitled article"

_TAG = re.compile(
    r"<(?:!doctype|html|head|body|article|section|main|div|p|h[1-6]|ul|ol|li|br|hr|blockquote"
    r"|table|pre|figure|span|strong|b|em|i|a|img|script|style|iframe|nav|form)\b[^<>]*>",
    re.IGNORECASE,
)
# A closing tag of a known element: plain text says "<3" or "a < b", never "</a>".
_CLOSING_TAG = re.compile(
    r"</(?:p|div|h[1-6]|ul|ol|li|blockquote|span|strong|b|em|i|a)>", re.IGNORECASE
)
_MARKDOWN = re.compile(
    r"^ {0,3}#{1,6}[ \t]+\S|\*\*[^*\n]+\*\*|__[^_\n]+__|\[[^\]\n]+\]\([^)\s]+\)|^ {0,3}```",
    re.MULTILINE,
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
# Bytes of readable UTF-8 text: printable ASCII, tab, newline, CR and all multi-byte parts.
_READABLE_BYTES = bytes([9, 10, 13, *range(0x20, 0x7F), *range(0x80, 0x100)])
_WORD = re.compile(r"[^\W\d_]{2,}")


class ArticleError(ValueError):
    """One-line plain-words reason the text is not a usable article."""


def detect_format(text: str) -> Format:
    """Guess the format: HTML if it opens with a tag, has several or a closing tag, else
    Markdown if it has Markdown-only syntax (# headings, **bold**, [links](...), fences),
    else plain text.

    Numbered lines and dash lines alone do not make Markdown: plain text uses them too,
    and in Markdown a dash line under a paragraph would turn it into a heading.
    """
    sample = text[:20000]
    if sample.lstrip().startswith("<") and _TAG.search(sample):
        return "html"
    if len(list(islice(_TAG.finditer(sample), 3))) >= 3 or _CLOSING_TAG.search(sample):
        return "html"
    if _MARKDOWN.search(sample):
        return "markdown"
    return "text"


def _check_readable(text: str) -> None:
    if not text.strip():
        raise ArticleError("the article is empty")
    # Binary data is unreadable throughout, so a sample decides. Deleting the acceptable
    # bytes with bytes.translate leaves the control characters, at C speed.
    sample = text[:4096]
    raw = sample.encode("utf-8", "surrogatepass")
    bad = len(raw.translate(None, _READABLE_BYTES)) + sample.count("\ufffd")
    if "\x00" in text or bad * 10 > len(sample):
        raise ArticleError("the article is not readable text (it looks like binary data)")
    if _WORD.search(text) is None:
        raise ArticleError("the article has no readable words")


def _blocks(text: str, fmt: str) -> Doc:
    if fmt == "html":
        try:
            return html_blocks(_XML_DECL.sub("", text, count=1))
        except (etree.ParserError, ValueError) as exc:
            raise ArticleError("the article's HTML could not be read") from exc
    if fmt == "markdown":
        return markdown_blocks(text)
    if fmt == "text":
        return text_blocks(text)
    raise ValueError(f"unknown article format {fmt!r}: use 'html', 'markdown' or 'text'")


def parse_article(
    text: str,
    *,
    title: str = "",
    link: str = "",
    author: str = "",
    subtitle: str = "",
    fmt: str | None = None,
) -> Article:
    """Parse ``text`` into an Article; ``fmt`` overrides :func:`detect_format`.

    A ``title`` or ``subtitle`` passed in (from the feed entry) wins over one found in the
    document. Raises :class:`ArticleError` for empty, binary or wordless text.
    """
    _check_readable(text)
    fmt = fmt or detect_format(text)
    doc = _blocks(text, fmt)
    if not doc.tidied:
        doc.blocks = tidy(doc.blocks)
    parts = split_article(doc, fmt)
    if not (parts.intro or parts.points or parts.conclusion):
        raise ArticleError("the article has no readable text")
    return Article(
        title=" ".join(title.split()) or parts.title or UNTITLED,
        link=link.strip(),
        author=" ".join(author.split()),
        subtitle=" ".join(subtitle.split()) or parts.subtitle,
        intro=parts.intro,
        points=parts.points,
        conclusion=parts.conclusion,
    )


def explain_article(text: str, *, fmt: str | None = None) -> list[str]:
    """Which blocks became points and why the others did not, one line per block (and one
    per rejected sequence), by the same rules as :func:`parse_article`."""
    _check_readable(text)
    fmt = fmt or detect_format(text)
    doc = _blocks(text, fmt)
    if not doc.tidied:
        doc.blocks = tidy(doc.blocks)
    return explain(doc, fmt)
