"""The neutral form every input format is turned into: a flat list of blocks.

Each format module (``from_html``, ``from_markdown``, ``from_text``) only knows its
own syntax and emits :class:`Block` values; ``points`` then finds the numbered points over
blocks without knowing where they came from. That keeps one set of rules for all formats.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Literal

from .textutil import MARKER_NEXT, split_marker

Kind = Literal["heading", "para", "item", "sep"]


@dataclass(slots=True, init=False)
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
    owner: int
    quoted: bool
    level: int
    ordinal: int
    lead: str
    linky: bool
    marker: tuple[int, str] | None

    # Written out rather than generated with a __post_init__ for ``marker``: one call
    # fewer per block, and every block of every article is made here. Positional, with
    # the fields every block has first: CPython passes up to four arguments to __init__
    # without allocating, and the HTML walker makes most blocks with four.
    def __init__(  # noqa: PLR0917
        self,
        kind: Kind,
        text: str,
        owner: int = -1,
        quoted: bool = False,
        level: int = 0,
        ordinal: int = 0,
        lead: str = "",
        linky: bool = False,
    ) -> None:
        self.kind = kind
        self.text = text
        self.owner = owner
        self.quoted = quoted
        self.level = level
        self.ordinal = ordinal
        self.lead = lead
        self.linky = linky
        # Block text is clean (no leading space), so its first two characters rule out most
        # blocks at no cost, even capitalised words that start like a marker ("Countries").
        follow = MARKER_NEXT.get(text[:1])
        self.marker = (
            split_marker(text)
            if follow is not None and (not follow or text[1:2] in follow)
            else None
        )


@dataclass(slots=True)
class Doc:
    """Blocks plus what the format itself says about title and subtitle."""

    blocks: list[Block] = field(default_factory=list)
    title: str = ""
    subtitle: str = ""
    tidied: bool = False  # the blocks are as tidy() would leave them already


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


def _cannot_open(letters: str) -> frozenset[str]:
    """The ASCII characters that cannot open a case-insensitive match of a pattern whose
    alternatives all start with one of ``letters`` (lowercase ASCII).

    Tested before the regex: most blocks start with a digit or another letter, and a set
    lookup is much cheaper than a regex call. Non-ASCII first characters are never in
    the set (Unicode case folding can map one to a letter), so those still get the regex.
    """
    return frozenset(c for c in map(chr, range(128)) if c.lower() not in letters)


_NOT_NOTES = _cannot_open("efnsrcbwl")
_NOT_CONCLUSION = _cannot_open("icfbstwk")
_NOT_WIDGET = _cannot_open("slrugct")
_NOT_REFERENCE = _cannot_open("sioraahw")


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
    return text is not None and text[:1] not in _NOT_NOTES and _NOTES.match(text) is not None


def is_conclusion_label(block: Block) -> bool:
    """A heading like "Conclusion"/"Final thoughts" that opens the conclusion."""
    text = _label(block)
    return (
        text is not None and text[:1] not in _NOT_CONCLUSION and _CONCLUSION.match(text) is not None
    )


def is_widget(text: str) -> bool:
    """A paragraph that is a subscribe/share button's text rather than the article's."""
    return len(text) <= 400 and text[:1] not in _NOT_WIDGET and _WIDGET.match(text) is not None


def looks_like_reference(text: str) -> bool:
    """Text shaped like a footnote or citation ("See ...", "Ibid.", a bare URL)."""
    return text[:1] not in _NOT_REFERENCE and _FOOTNOTE_START.match(text) is not None


def tidy(blocks: list[Block]) -> list[Block]:
    """Drop empty and widget blocks and cut the list at a notes/sources label.

    Ownership indexes are remapped because blocks are removed.
    """
    kept: list[Block] = []
    dropped: list[int] = []  # indexes of the dropped blocks, ascending
    for i, block in enumerate(blocks):
        text = block.text
        # Widgets and labels are short: most paragraphs are not, and skip both tests.
        if len(text) <= 400 or block.kind == "heading":
            if block.kind != "sep" and (not text or is_widget(text)):
                dropped.append(i)
                continue
            if kept and (len(text) <= 40 or block.kind == "heading") and is_notes_label(block):
                break
        owner = block.owner
        # Few blocks have an owner and few are dropped: no index bookkeeping per block.
        if owner >= 0 and (dropped or owner >= i):
            block.owner = _kept_index(owner, i, dropped)
        kept.append(block)
    return kept


def _kept_index(index: int, before: int, dropped: list[int]) -> int:
    """Where block ``index`` (which comes before block ``before``) is among the kept ones,
    or -1 if it was dropped."""
    pos = bisect_left(dropped, index)
    if index >= before or (pos < len(dropped) and dropped[pos] == index):
        return -1
    return index - pos
