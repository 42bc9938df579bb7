"""HTML (a feed's content fragment or a whole page) to blocks, using lxml.

One libxml2 parse; unwanted elements are removed by tag in C and by class/role in one
pass over the elements that have attributes; then a single walk emits the blocks.
Leaf blocks (p, h1-h6, li) take their text from libxml2's text serialiser, not a Python walk,
which is what keeps this near a bare parse's cost (see docs/bench-parse.md).
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from .blocks import SEPARATOR_START, Block, Doc, Kind, is_notes_label, is_separator
from .textutil import clean, squash

# Stands for <br> while text is gathered. A private-use character, because real
# whitespace would be collapsed before line breaks are known.
_BR = "\ue000"
_BR_BREAK = re.compile(_BR + r"\s*" + _BR + r"[\s" + _BR + "]*")

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
# Classes can name anything ("newsletter-post"): never drop the content's own wrapper.
_SPARE = frozenset(("article", "main", "body", "html"))
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_INLINE_NAMES = (
    "a abbr b bdi bdo cite code data del dfn em font i img ins kbd label mark q s samp small"
    " span strike strong sub sup time tt u var wbr"
)
_INLINE = frozenset(_INLINE_NAMES.split())
_BOLD = frozenset(("strong", "b"))
_LISTS = frozenset(("ul", "ol"))
_ITEM_PARTS = frozenset(("p", "div", "blockquote", "pre", *_HEADINGS))
_PAGE = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype|html|head|body)\b", re.I | re.S)


def _norm(text: str) -> str:
    """Source whitespace collapsed; each <br> a line break, two or more a paragraph break."""
    if _BR not in text:
        return squash(text)
    return clean("\n".join(squash(part) for part in text.split(_BR)))


def _all_text(el: Any) -> str:
    """The text of ``el`` and its descendants, without its tail, as the source has it."""
    # libxml2's text serialiser: about 3x faster than joining itertext() in Python.
    text: str = etree.tostring(el, method="text", encoding="unicode", with_tail=False)
    return text


def _text(el: Any) -> str:
    text = _all_text(el)
    return squash(text) if _BR not in text else _norm(text)


def _lead(el: Any) -> str:
    """The bold text an element opens with ("<p><strong>2.</strong> ..."), else ""."""
    if el.text and el.text.strip():
        return ""
    for child in el:
        if not isinstance(child.tag, str):
            continue
        if child.tag in _BOLD:
            return _text(child)
        if child.tag == "p":  # <li><p><b>1. Title</b> ...
            return _lead(child)
        return ""
    return ""


def _link_chars(el: Any) -> int:
    return sum(len(_text(a)) for a in el.iter("a"))


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.quote = 0
        self.owner = -1
        self.done = False  # set at a "Notes"/"Sources" heading: the rest is not read

    def emit(
        self,
        kind: Kind,
        text: str,
        *,
        level: int = 0,
        ordinal: int = 0,
        lead: str = "",
        linky: bool = False,
    ) -> None:
        quoted = self.quote > 0
        self.blocks.append(Block(kind, text, level, ordinal, lead, self.owner, linky, quoted))

    def flush(self, run: list[str]) -> None:
        """Loose text and inline elements directly inside a container become paragraphs."""
        text = "".join(run)
        run.clear()
        # "text<br><br>text" is how old feeds and bare <div>s separate paragraphs.
        for part in _BR_BREAK.split(text) if _BR in text else (text,):
            para = _norm(part)
            if is_separator(para):
                self.emit("sep", "")
            elif para:
                self.emit("para", para)

    def container(self, el: Any) -> None:
        # Whitespace between blocks (the source's newlines) never starts a paragraph.
        run: list[str] = [el.text] if el.text and not el.text.isspace() else []
        for child in el:
            if self.done:
                return
            tag = child.tag
            if isinstance(tag, str):
                if tag in _INLINE:
                    run.append(_all_text(child))
                else:
                    if run:
                        self.flush(run)
                    self.block(child, tag)
            tail = child.tail
            if tail and (run or not tail.isspace()):
                run.append(tail)
        if run:
            self.flush(run)

    def block(self, el: Any, tag: str) -> None:
        if tag == "p":  # the common case, kept short: this runs for most elements
            text = _text(el)
            if not text:
                return
            if text[0] in SEPARATOR_START and is_separator(text):
                self.emit("sep", "")
                return
            lead = _lead(el) if len(el) else ""
            block = Block("para", text, 0, 0, lead, self.owner, False, self.quote > 0)
            # Only a numbered paragraph can be a point, so only its links are counted.
            if block.marker is not None and len(el):
                block.linky = _link_chars(el) * 2 > len(text)
            self.blocks.append(block)
        elif tag in _HEADINGS:
            text = _text(el)
            self.emit("heading", text, level=_HEADINGS[tag])
            # tidy() would cut here anyway; stopping now skips walking the notes.
            self.done = len(self.blocks) > 1 and is_notes_label(self.blocks[-1])
        elif tag in _LISTS:
            self.list(el, 1)
        elif tag == "li":
            self.list_item(el, 1, 0)
        elif tag == "hr":
            self.emit("sep", "")
        elif tag == "blockquote":
            self.quote += 1
            self.container(el)
            self.quote -= 1
        elif tag == "pre":
            self.emit("para", _norm(_all_text(el).replace("\n", _BR)))
        elif tag == "table":
            for row in el.iter("tr"):
                self.emit("para", _norm(" | ".join(_text(cell) for cell in row)))
        else:
            self.container(el)

    def list(self, el: Any, depth: int) -> None:
        ordered = el.tag == "ol"
        try:
            number = int(el.get("start") or 1)
        except ValueError:
            number = 1
        for child in el:
            if child.tag == "li":
                self.list_item(child, depth, number if ordered else 0)
                number += 1
            elif isinstance(child.tag, str):
                self.block(child, child.tag)

    def list_item(self, li: Any, depth: int, ordinal: int) -> None:
        parts: list[str] = [li.text or ""]
        nested: list[Any] = []
        links = 0
        for child in li:
            tag = child.tag
            if tag in _LISTS:
                nested.append(child)
            elif isinstance(tag, str):
                inner = _all_text(child)
                # Paragraphs inside an item stay paragraphs: wrap them in double breaks.
                parts.append(_BR + _BR + inner + _BR + _BR if tag in _ITEM_PARTS else inner)
                links += len(inner) if tag == "a" else _link_chars(child)
            parts.append(child.tail or "")
        text = _norm("".join(parts))
        linky = links * 2 > len(text)
        self.emit("item", text, level=depth, ordinal=ordinal, lead=_lead(li), linky=linky)
        outer = self.owner
        if depth == 1 and not self.quote:
            self.owner = len(self.blocks) - 1
        for sub in nested:
            self.list(sub, depth + 1)
        self.owner = outer


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


def _prune(root: Any, doc: Doc, *, by_class: bool = True) -> None:
    """Remove widgets, scripts and footnote markers; take a class="subtitle" element."""
    etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
    doomed = [sup for sup in root.iter("sup") if sup.find(".//a") is not None]
    for el in root.iter():
        # keys() is the cheapest way to skip the many elements that have no attributes.
        if not by_class or not el.keys() or el.tag in _SPARE:
            continue
        cls = el.get("class") or ""
        if _BAD_CLASS.search(cls) or el.get("aria-hidden") == "true" or el.get("role") in _BAD_ROLE:
            doomed.append(el)
        elif (
            not doc.subtitle
            and "subtitle" in cls
            and (el.tag in _HEADINGS or el.tag in ("p", "div"))
        ):
            doc.subtitle = _text(el)
            doomed.append(el)
    for el in doomed:
        _drop(el)


def html_blocks(text: str) -> Doc:
    """Parse HTML and emit blocks; also report a <title> and a subtitle if present."""
    doc = _html_blocks(text, by_class=True)
    if not doc.blocks:
        # The class rules removed everything: a site whose content wrapper is named like
        # a widget ("share-content"). Better some chrome than no article.
        doc = _html_blocks(text, by_class=False)
    return doc


def _html_blocks(text: str, *, by_class: bool) -> Doc:
    # lxml.etree's parser rather than lxml.html's: lxml.html calls back into Python to pick
    # an element class for every element touched, which costs more than the parse itself.
    # A new parser per call (0.4 µs) because lxml parsers must not be shared by threads.
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    root = etree.fromstring(text, parser)
    if root is None:
        raise ValueError("no HTML elements")
    doc = Doc()
    _prune(root, doc, by_class=by_class)
    for br in root.iter("br"):
        br.tail = _BR + br.tail if br.tail else _BR
    body = root.find("body")
    if _PAGE.match(text):
        head_title = root.find("head/title")
        if head_title is not None:
            doc.title = _text(head_title)
        if not doc.subtitle:
            for meta in root.iter("meta"):
                kind = (meta.get("name") or meta.get("property") or "").lower()
                if kind in ("description", "og:description"):
                    doc.subtitle = _norm(meta.get("content") or "")
                    break
        # A page's chrome (header, sidebars) sits outside its <article>/<main>.
        main = root.find(".//article")
        if main is None:
            main = root.find(".//main")
        body = main if main is not None else body
    walker = _Walker()
    if body is not None:
        walker.container(body)
    doc.blocks = walker.blocks
    return doc
