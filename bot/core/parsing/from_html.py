"""HTML (a feed's content fragment or a whole page) to blocks, using lxml.

One libxml2 parse and a pruning of widgets (``html_tree``); then a single walk emits the
blocks. Leaf blocks (p, h1-h6, li) take their text from lxml in one call each
(``html_text``), not from a Python walk, which is what keeps this near a bare parse's cost
(see docs/bench-parse.md).
"""

from __future__ import annotations

import re
from typing import Any

from .blocks import SEPARATOR_START, Block, Doc, Kind, is_notes_label, is_separator, is_widget
from .html_text import BR, all_text, bold_lead, link_chars, norm, serialised, text_of
from .html_tree import parse, prune
from .textutil import squash

# Two or more <br> in a row: a paragraph break in loose text.
_BR_BREAK = re.compile(BR + r"\s*" + BR + r"[\s" + BR + "]*")

_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_INLINE_NAMES = (
    "a abbr b bdi bdo cite code data del dfn em font i img ins kbd label mark q s samp small"
    " span strike strong sub sup time tt u var wbr"
)
_INLINE = frozenset(_INLINE_NAMES.split())
_LISTS = frozenset(("ul", "ol"))
_ITEM_PARTS = frozenset(("p", "div", "blockquote", "pre", *_HEADINGS))
_PAGE = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype|html|head|body)\b", re.I | re.S)


class _Walker:
    __slots__ = ("blocks", "cut", "done", "owner", "quote", "untidy")  # read for every element

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.quote = 0
        self.owner = -1
        self.done = False  # set at a "Notes"/"Sources" heading: the rest is not read
        self.untidy = False  # a block tidy() would drop was added: tidy() has to run
        self.cut = False  # add() cut the list where tidy() would have: the rest is dropped

    def add(self, block: Block) -> None:
        """Append ``block``, doing tidy()'s work on the way while there is little of it.

        Until a block comes that tidy() would drop (an empty one, or a widget's text),
        tidy() would keep every block and cut the list at the first notes label after
        another block. The walker makes that cut itself and stops there, and then the
        list needs no tidy() pass. After such a block, blocks are only appended.
        """
        if self.cut:
            return
        if not self.untidy:
            if block.kind != "sep" and (not block.text or is_widget(block.text)):
                self.untidy = True
            elif self.blocks and is_notes_label(block):
                self.cut = self.done = True
                return
        self.blocks.append(block)

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
        self.add(Block(kind, text, self.owner, quoted, level, ordinal, lead, linky))

    def flush(self, run: list[str]) -> None:
        """Loose text and inline elements directly inside a container become paragraphs."""
        text = "".join(run)
        run.clear()
        # "text<br><br>text" is how old feeds and bare <div>s separate paragraphs.
        for part in _BR_BREAK.split(text) if BR in text else (text,):
            para = norm(part)
            if is_separator(para):
                self.emit("sep", "")
            elif para:
                self.emit("para", para)

    def container(self, el: Any) -> None:
        # Whitespace between blocks (the source's newlines) never starts a paragraph.
        text = el.text
        run: list[str] = [text] if text and not text.isspace() else []
        for child in el:
            if self.done:
                return
            tag = child.tag
            if tag == "p":  # most children: tested first, and handled without block()
                if run:
                    self.flush(run)
                self.para(child)
            elif tag in _INLINE:
                run.append(all_text(child))
            elif isinstance(tag, str):
                if run:
                    self.flush(run)
                self.block(child, tag)
            tail = child.tail
            if tail and (run or not tail.isspace()):
                run.append(tail)
        if run:
            self.flush(run)

    def para(self, el: Any) -> None:
        """A <p>: one paragraph block, or a separator."""
        # text_of(el), written out: this runs for most elements.
        nested = len(el)
        text = serialised(el) if nested else el.text
        if not text:
            return
        text = squash(text) if BR not in text else norm(text)
        if not text:
            return
        if text[0] in SEPARATOR_START and is_separator(text):
            self.emit("sep", "")
            return
        block = Block("para", text, self.owner, self.quote > 0)
        if nested:
            block.lead = bold_lead(el)
            # Only a numbered paragraph can be a point, so only its links are counted.
            if block.marker is not None:
                block.linky = link_chars(el) * 2 > len(text)
        if len(text) > 400 and not self.cut:
            # Too long for a widget's text or a label: add() would append it as it is.
            self.blocks.append(block)
        else:
            self.add(block)

    def block(self, el: Any, tag: str) -> None:
        if tag == "p":
            self.para(el)
        elif tag in _HEADINGS:
            level = _HEADINGS[tag]
            block = Block("heading", text_of(el), self.owner, self.quote > 0, level)
            self.add(block)
            # tidy() would cut here anyway; stopping now skips walking the notes. (While
            # the blocks are tidy, add() has made that test and cut the list.)
            self.done = self.cut or (self.untidy and len(self.blocks) > 1 and is_notes_label(block))
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
            self.emit("para", norm(all_text(el).replace("\n", BR)))
        elif tag == "table":
            for row in el.iter("tr"):
                self.emit("para", norm(" | ".join(text_of(cell) for cell in row)))
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
                inner = all_text(child)
                # Paragraphs inside an item stay paragraphs: wrap them in double breaks.
                parts.append(BR + BR + inner + BR + BR if tag in _ITEM_PARTS else inner)
                links += len(inner) if tag == "a" else link_chars(child)
            parts.append(child.tail or "")
        text = norm("".join(parts))
        linky = links * 2 > len(text)
        self.emit("item", text, level=depth, ordinal=ordinal, lead=bold_lead(li), linky=linky)
        outer = self.owner
        if depth == 1 and not self.quote:
            self.owner = len(self.blocks) - 1
        for sub in nested:
            self.list(sub, depth + 1)
        self.owner = outer


def html_blocks(text: str) -> Doc:
    """Parse HTML and emit blocks; also report a <title> and a subtitle if present."""
    doc = _html_blocks(text, by_class=True)
    if not doc.blocks:
        # The class rules removed everything: a site whose content wrapper is named like
        # a widget ("share-content"). Better some chrome than no article.
        doc = _html_blocks(text, by_class=False)
    return doc


def _html_blocks(text: str, *, by_class: bool) -> Doc:
    root = parse(text)
    doc = Doc()
    doc.subtitle = prune(root, by_class=by_class)
    for br in root.iter("br"):
        br.tail = BR + br.tail if br.tail else BR
    # The root's own children (head, body): cheaper than find(), which goes through
    # ElementPath in Python.
    body = None
    for child in root:
        if child.tag == "body":
            body = child
            break
    if _PAGE.match(text):
        head_title = root.find("head/title")
        if head_title is not None:
            doc.title = text_of(head_title)
        if not doc.subtitle:
            for meta in root.iter("meta"):
                kind = (meta.get("name") or meta.get("property") or "").lower()
                if kind in ("description", "og:description"):
                    doc.subtitle = norm(meta.get("content") or "")
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
    doc.tidied = not walker.untidy
    return doc
