"""HTML source to an lxml tree ready for the walk in ``from_html``: parsed, and pruned
of what is never the author's running text (scripts, widgets, footnote markers)."""

from __future__ import annotations

import re
import threading
from typing import Any

from lxml import etree

from .html_text import text_of

# Never the author's running text, whatever their class.
_DROP_NAMES = (
    "script style noscript template nav aside figure form button input select textarea"
    " iframe svg footer video audio object"
)
_DROP_TAGS = _DROP_NAMES.split()
# Substack's subscription-widget, share/button wrappers, comment sections, footnotes,
# bylines and "entry-meta" date lines.
_BAD_CLASS = re.compile(
    r"subscri|share|button|footer|comment(?!ary)|footnote|social|related|advert|byline|-meta\b"
)
_BAD_ROLE = frozenset(("navigation", "button", "complementary", "banner"))
_CLASS_ATTRS = frozenset(("class", "aria-hidden", "role"))  # the attributes looked at
# Classes can name anything ("newsletter-post"): never drop the content's own wrapper.
_SPARE = frozenset(("article", "main", "body", "html"))
_SUBTITLE_TAGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6", "p", "div"))

_PER_THREAD = threading.local()


def _parser() -> Any:
    """This thread's HTML parser (lxml parsers must not be shared by threads).

    lxml.etree's parser rather than lxml.html's: lxml.html calls back into Python to pick
    an element class for every element touched, which costs more than the parse itself.
    Reused rather than made per call: a parser keeps its libxml2 parser context, which
    saves ~1.5 µs a parse. Only the parser is kept; nothing of a parsed document is.
    """
    parser = getattr(_PER_THREAD, "parser", None)
    if parser is None:
        parser = etree.HTMLParser(
            remove_comments=True,
            remove_pis=True,
            no_network=True,
            # Nothing here reads a DTD or looks elements up by id: skip building either.
            default_doctype=False,
            collect_ids=False,
        )
        _PER_THREAD.parser = parser
    return parser


def parse(text: str) -> Any:
    """The root element of ``text`` parsed as HTML (ValueError if it has no elements)."""
    root = etree.fromstring(text, _parser())
    if root is None:
        raise ValueError("no HTML elements")
    return root


def _drop(el: Any) -> None:
    """Remove ``el`` and its content but keep the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def prune(root: Any, *, by_class: bool = True) -> str:
    """Remove widgets, scripts and footnote markers; return the text of the first
    class="subtitle" element (which is removed too), or ""."""
    etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
    subtitle = ""
    doomed = [sup for sup in root.iter("sup") if sup.find(".//a") is not None]
    for el in root.iter() if by_class else ():
        # keys() is the cheapest way to skip the many elements that have no attributes,
        # and links that have only an href need no lookups either.
        keys = el.keys()
        if not keys or _CLASS_ATTRS.isdisjoint(keys) or el.tag in _SPARE:
            continue
        cls = el.get("class") or ""
        if _BAD_CLASS.search(cls) or el.get("aria-hidden") == "true" or el.get("role") in _BAD_ROLE:
            doomed.append(el)
        elif not subtitle and "subtitle" in cls and el.tag in _SUBTITLE_TAGS:
            subtitle = text_of(el)
            doomed.append(el)
    for el in doomed:
        _drop(el)
    return subtitle
