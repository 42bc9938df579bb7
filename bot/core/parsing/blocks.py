"""The neutral form every input format is turned into: a flat list of blocks.

Each format module (``from_html``, ``from_markdown``, ``from_text``) only knows its
own syntax and emits :class:`Block` values; ``points`` then finds the numbered points over
blocks without knowing where they came from. That keeps one set of rules for all formats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from .textutil import MARKER_START, split_marker

Kind = Literal["heading", "para", "item", "sep"]


@dataclass(slots=True)
class Block:
    """One block of the document in reading order.

    ``level`` is the heading level (1-6) for headings and the list depth (1 = top level)
    for items. ``ordinal`` is an ordered-list item's number (0 for bullets). ``lead`` is
    the bold text a paragraph or item starts with. ``owner`` is the index of the top-level
    list item this block is part of (a nested sub-list), or -1. ``quoted`` blocks come from
    a block quote: the author citing someone, so never a point or a section label.
    ``marker`` is ``split_marker(text)``, computed once when the block is made.
    """

    kind: Kind
    text: str
    level: int = 0
    ordinal: int = 0
    lead: str = ""
    owner: int = -1
    linky: bool = False
    quoted: bool = False
    marker: tuple[int, str] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        text = self.text
        # Block text is clean, so its first character rules out most blocks at no cost.
        self.marker = split_marker(text) if text and text[0] in MARKER_START else None


@dataclass(slots=True)
class Doc:
    """Blocks plus what the format itself says about title and subtitle."""

    blocks: list[Block] = field(default_factory=list)
    title: str = ""
    subtitle: str = ""


SEPARATOR_START = frozenset("-=_*~—–•·#")
_SEPARATOR = re.compile(r"^\s*([-=_*~—–•·#])(?:\s*\1){2,}\s*$")
_NOTES = re.compile(
    r"^(?:(?:end|foot)?notes?|sources?|references?|citations?|bibliography|further reading"
    r"|works cited|links)\s*:?$",
    re.IGNORECASE,
)
_CONCLUSION = re.compile(
    r"^(?:(?:in )?conclusions?|concluding (?:thoughts|remarks)|final (?:thoughts|words|remarks)"
    r"|closing thoughts|in closing|(?:the )?bottom line|in summary|summary|to sum up"
    r"|summing up|wrapping up|(?:the )?(?:key )?takeaways?|the verdict)\s*[:.]?$",
    re.IGNORECASE,
)
# Whole paragraphs that are a platform's buttons or nags, not the author's words.
_WIDGET = re.compile(
    r"^(?:subscribe(?: now)?|share(?: this (?:post|article))?|leave a comment|restack"
    r"|upgrade to paid|give a gift subscription|read more|continue reading.{0,40}"
    r"|thanks for reading.{0,200}subscribe.{0,120}|type your email.{0,40}"
    r"|(?:click|tap) (?:here|below) to subscribe.{0,80})[.!…]?$",
    re.IGNORECASE | re.DOTALL,
)
_FOOTNOTE_START = re.compile(
    r"^(?:see|ibid|op\. cit|source|retrieved|accessed|available at|https?://|www\.)\b",
    re.IGNORECASE,
)


def is_separator(text: str) -> bool:
    """A line of repeated dashes, stars, etc. ("----------", "* * *")."""
    start = text.lstrip()[:1]
    return start in SEPARATOR_START and len(text) < 200 and _SEPARATOR.match(text) is not None


def _label(block: Block) -> str | None:
    """The text of a standalone label: a heading, or a paragraph that is all bold/short."""
    if block.quoted:
        return None
    if block.kind == "heading" or (block.kind == "para" and len(block.text) <= 40):
        return block.text
    return None


def is_notes_label(block: Block) -> bool:
    """A heading like "Notes"/"Sources": it and what follows are not the article's text."""
    text = _label(block)
    return text is not None and _NOTES.match(text) is not None


def is_conclusion_label(block: Block) -> bool:
    """A heading like "Conclusion"/"Final thoughts" that opens the conclusion."""
    text = _label(block)
    return text is not None and _CONCLUSION.match(text) is not None


def is_widget(text: str) -> bool:
    """A paragraph that is a subscribe/share button's text rather than the article's."""
    return len(text) <= 400 and _WIDGET.match(text) is not None


def looks_like_reference(text: str) -> bool:
    """Text shaped like a footnote or citation ("See ...", "Ibid.", a bare URL)."""
    return _FOOTNOTE_START.match(text) is not None


def tidy(blocks: list[Block]) -> list[Block]:
    """Drop empty and widget blocks and cut the list at a notes/sources label.

    Ownership indexes are remapped because blocks are removed.
    """
    kept: list[Block] = []
    remap: dict[int, int] = {}
    for i, block in enumerate(blocks):
        text = block.text
        # Length tests first: widgets and labels are short, most paragraphs are not.
        if block.kind != "sep" and (not text or (len(text) <= 400 and is_widget(text))):
            continue
        if kept and (len(text) <= 40 or block.kind == "heading") and is_notes_label(block):
            break
        if block.owner >= 0:
            block.owner = remap.get(block.owner, -1)
        remap[i] = len(kept)
        kept.append(block)
    return kept
