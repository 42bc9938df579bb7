"""Plain text to blocks.

Two layouts occur: one paragraph per line (the seed article, many feed "description"
fields) and hard-wrapped paragraphs separated by blank lines (e-mail newsletters). If
the text contains a blank line between lines of text it is read as the second layout and
consecutive lines are joined; otherwise every line is its own paragraph. In both, a line
of dashes is a separator, a line opening with a number marker starts a new block, and
"> " lines are quotes.
"""

from __future__ import annotations

import html
import re

from .blocks import Block, Doc, is_separator
from .textutil import clean, split_marker, split_ordinal

_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
_BLANK_BETWEEN = re.compile(r"\S[^\S\n]*\n[^\S\n]*\n\s*\S")
_HYPHEN_WRAP = re.compile(r"(?<=\w-)\n(?=\w)")
_URL = re.compile(r"https?://\S+|www\.\S+")
_ORDINAL_LINE_MAX = 100


def _decode(text: str) -> str:
    # Only "&name;" forms: html.unescape alone would also rewrite "&copy" in "AT&copy".
    return _ENTITY.sub(lambda m: html.unescape(m.group()), text) if "&" in text else text


def text_blocks(text: str) -> Doc:
    """Split plain text into paragraph and separator blocks."""
    joined = _BLANK_BETWEEN.search(text) is not None
    blocks: list[Block] = []
    buf: list[str] = []
    quote = False

    def flush() -> None:
        if buf:
            # A hard wrap after a hyphen ("de-\nescalation") joins without a space.
            body = clean(_HYPHEN_WRAP.sub("", _decode("\n".join(buf))))
            urls = sum(len(u) for u in _URL.findall(body))
            blocks.append(Block("para", body, linky=urls * 2 > len(body), quoted=quote))
            buf.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if is_separator(line):
            flush()
            blocks.append(Block("sep", ""))
            continue
        is_quote = line.startswith(">")
        if is_quote:
            line = line.lstrip("> ")
        # A new block starts at every line unless paragraphs are blank-line separated;
        # even then a numbered line or a switch into/out of a quote starts one.
        if not joined or is_quote != quote or (not is_quote and split_marker(line)):
            flush()
        quote = is_quote
        buf.append(line)
    flush()
    for block in blocks:
        # Plain text has no heading markup: a short line of its own that opens with an
        # ordinal ("Primero, entrena la respiración bilateral.") is how a heading is written.
        text = block.text
        if (
            block.kind == "para"
            and not block.quoted
            and len(text) <= _ORDINAL_LINE_MAX
            and "\n" not in text
            and split_ordinal(text) is not None
        ):
            block.kind = "heading"
            block.level = 2
    return Doc(blocks)
