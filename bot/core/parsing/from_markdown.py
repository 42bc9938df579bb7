"""Markdown to blocks, using markdown-it-py's token stream.

Why a tokenizer rather than lines: CommonMark's rules for what belongs to a list item
(indented continuation, lazy lines, nested lists, "1)" vs "1." delimiters, list start
numbers, block quotes holding lists, code fences holding "1. " lines) are exactly the
cases a line-based reader gets wrong, and markdown-it-py implements them fully and fast.
The token stream is flat already, which maps directly onto blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt

from .blocks import Block, Doc, Kind
from .textutil import clean, sentence_ends

# The commonmark preset without raw HTML: embedded HTML in feed markdown is mostly embeds.
_MD = MarkdownIt("commonmark", {"html": False})


@dataclass(slots=True)
class _Item:
    parts: list[str] = field(default_factory=list)
    lead: str = ""
    link_chars: int = 0
    emitted: bool = False


def _inline(token: Any) -> tuple[str, str, int]:
    """(text, leading bold text, characters inside links) of one inline token."""
    out: list[str] = []
    lead: list[str] | None = None
    lead_done = False
    link_depth = 0
    link_chars = 0
    for child in token.children or ():
        kind = child.type
        if kind in ("text", "code_inline", "text_special"):
            content = child.content
            out.append(content)
            if link_depth:
                link_chars += len(content)
            if lead is not None and not lead_done:
                lead.append(content)
            elif content.strip():
                lead_done = True
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "strong_open" and lead is None and not lead_done:
            lead = []
        elif kind == "strong_close" and lead is not None:
            lead_done = True
        elif kind == "link_open":
            link_depth += 1
        elif kind == "link_close":
            link_depth -= 1
    text = clean("".join(out))
    return text, clean("".join(lead or ())), link_chars


def _reads_as_paragraph(text: str) -> bool:
    return len(text) > 150 or next(sentence_ends(text), None) is not None


class _Walker:
    """Turns the flat token stream into blocks, tracking lists, items and quotes."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.lists: list[list[int]] = []  # per open list: [ordered (0/1), next number]
        self.items: list[_Item] = []
        self.owner = -1  # index of the open top-level item's block
        self.quote = 0
        self.heading = 0
        self.setext = False  # the open heading is underlined ("---"/"===") rather than "#"

    def emit(self, kind: Kind, body: str, **kw: Any) -> None:
        self.blocks.append(Block(kind, body, owner=self.owner, quoted=self.quote > 0, **kw))

    def emit_item(self, item: _Item) -> None:
        item.emitted = True
        body = "\n\n".join(item.parts)
        ordered, number = self.lists[-1]
        self.lists[-1][1] += 1
        level = len(self.lists)
        linky = item.link_chars * 2 > len(body)
        self.emit("item", body, level=level, ordinal=number * ordered, lead=item.lead, linky=linky)
        if level == 1 and not self.quote:
            self.owner = len(self.blocks) - 1

    def inline(self, tok: Any) -> None:
        body, lead, link_chars = _inline(tok)
        if self.heading and self.setext and _reads_as_paragraph(body):
            # "A paragraph.\n----------": Markdown makes that a heading, but the author
            # meant a paragraph and a separator line (plain text written as Markdown).
            self.emit("para", body)
            self.emit("sep", "")
        elif self.heading:
            self.emit("heading", body, level=self.heading)
        elif self.items and not self.items[-1].emitted:
            item = self.items[-1]
            if not item.parts:
                item.lead = lead
            item.parts.append(body)
            item.link_chars += link_chars
        else:
            self.emit("para", body, lead=lead, linky=link_chars * 2 > len(body))

    def open_list(self, ordered: bool, start: int) -> None:
        if self.items and not self.items[-1].emitted:
            self.emit_item(self.items[-1])  # the parent item's own text precedes its sub-list
        self.lists.append([int(ordered), start])

    def close_item(self) -> None:
        item = self.items.pop()
        if not item.emitted:
            self.emit_item(item)
        if not self.items:
            self.owner = -1

    def token(self, tok: Any) -> None:
        kind = tok.type
        if kind == "inline":
            self.inline(tok)
        elif kind == "heading_open":
            self.heading = int(tok.tag[1:])
            self.setext = not tok.markup.startswith("#")
        elif kind == "heading_close":
            self.heading = 0
        elif kind == "bullet_list_open":
            self.open_list(False, 0)
        elif kind == "ordered_list_open":
            self.open_list(True, int(tok.attrs.get("start", 1) or 1))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
        elif kind == "list_item_open":
            self.items.append(_Item())
        elif kind == "list_item_close":
            self.close_item()
        elif kind in ("blockquote_open", "blockquote_close"):
            self.quote += 1 if kind == "blockquote_open" else -1
        elif kind == "hr":
            self.emit("sep", "")
        elif kind in ("fence", "code_block"):
            self.emit("para", clean(tok.content))


def markdown_blocks(text: str) -> Doc:
    """Tokenize Markdown and emit heading/para/item/sep blocks."""
    walker = _Walker()
    for tok in _MD.parse(text):
        walker.token(tok)
    return Doc(walker.blocks)
