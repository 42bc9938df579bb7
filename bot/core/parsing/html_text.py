"""The text of HTML elements, as the HTML walker (``from_html``) reads it.

Text comes from lxml in one call per element (an element's own ``.text``, or libxml2's
text serialiser), never from a walk in Python: see docs/bench-parse.md.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from .textutil import clean, squash

# Stands for <br> while text is gathered. A private-use character, because real
# whitespace would be collapsed before line breaks are known.
BR = "\ue000"
_BOLD = frozenset(("strong", "b"))


def norm(text: str) -> str:
    """Source whitespace collapsed; each <br> a line break, two or more a paragraph break."""
    if BR not in text:
        return squash(text)
    return clean("\n".join(squash(part) for part in text.split(BR)))


def serialised(el: Any) -> str:
    # libxml2's text serialiser: about 3x faster than joining itertext() in Python.
    text: str = etree.tostring(el, method="text", encoding="unicode", with_tail=False)
    return text


def all_text(el: Any) -> str:
    """The text of ``el`` and its descendants, without its tail, as the source has it."""
    if len(el):
        return serialised(el)
    # No child nodes (comments and PIs are parsed away): the text is the element's own
    # text node(s), and reading .text is ~5x cheaper than serialising.
    return el.text or ""


def text_of(el: Any) -> str:
    text = all_text(el)
    return squash(text) if BR not in text else norm(text)


def bold_lead(el: Any) -> str:
    """The bold text an element opens with ("<p><strong>2.</strong> ..."), else ""."""
    if el.text and el.text.strip():
        return ""
    for child in el:
        if not isinstance(child.tag, str):
            continue
        if child.tag in _BOLD:
            # "<strong>6) Tapering </strong><strong>in a panic.</strong>" is one lead-in.
            parts = [all_text(child)]
            bold, nxt = child, child.getnext()
            while (not bold.tail or bold.tail.isspace()) and nxt is not None and nxt.tag in _BOLD:
                parts.append((bold.tail or "") + all_text(nxt))
                bold, nxt = nxt, nxt.getnext()
            text = "".join(parts)
            return squash(text) if BR not in text else norm(text)
        if child.tag == "p":  # <li><p><b>1. Title</b> ...
            return bold_lead(child)
        return ""
    return ""


def link_chars(el: Any) -> int:
    return sum(len(text_of(a)) for a in el.iter("a"))
