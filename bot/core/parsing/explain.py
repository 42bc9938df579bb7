"""Why each block of an article became a point or did not: for ``bot article parse --explain``.

Runs the same detector as ``parse_article`` (``points.choose``) and, besides, looks at every
candidate sequence it passed over, so a surprising split can be traced to its rule.
"""

from __future__ import annotations

from .blocks import Block, Doc
from .points import Cand, Seq, choose, head_blocks, is_reference_list, sequences
from .textutil import cut_words, flat

_CLASS = {"heading": "heading", "lead": "bold lead-in", "item": "list item", "para": "paragraph"}


def _what(block: Block) -> str:
    if block.kind == "heading":
        return f"h{block.level}"
    if block.kind == "item":
        return f"list item (depth {block.level})"
    return "separator" if block.kind == "sep" else "paragraph"


def _how(cand: Cand) -> str:
    kind = _CLASS[cand.cls[0]]
    if cand.marker == "ordinal":
        return f"ordinal {kind}"
    return f"'{cand.marker.capitalize()} N' {kind}" if cand.marker else f"numbered {kind}"


def _describe(seq: Seq) -> str:
    first, last = seq.points[0], seq.points[-1]
    return f"{_how(first)}s {first.number}–{last.number} ('{cut_words(first.title, 30)}' …)"


def _rejection(blocks: list[Block], seq: Seq, chosen: Seq | None) -> str:
    if is_reference_list(blocks, seq.points):
        return "mostly links or citations"
    if chosen is not None and chosen.contains(seq):
        at = sum(start <= seq.starts[0] for start in chosen.starts)
        return f"lies inside point {at}: a sequence within a point is not the article's points"
    return (
        "the chosen sequence ranks higher (headings > bold lead-ins > list items > paragraphs, "
        "then more points)"
    )


def explain(doc: Doc, fmt: str) -> list[str]:
    """One line per block: "point N" and how it was announced, or why it is not a point."""
    blocks, _, _ = head_blocks(doc, fmt)
    picked, end = choose(blocks)
    chosen_seq: Seq | None = None
    seqs = sequences(blocks)
    for seq in seqs:
        if seq.points == picked:
            chosen_seq = seq
    number = {c.index: k for k, c in enumerate(picked, 1)}
    rejected: dict[int, str] = {}
    lines: list[str] = []
    for seq in seqs:
        if seq is chosen_seq:
            continue
        why = _rejection(blocks, seq, chosen_seq)
        lines.append(f"rejected: {_describe(seq)}: {why}")
        for c in seq.points:
            rejected.setdefault(c.index, f"{_how(c)} {c.number} of a rejected sequence (above)")
    starts = [c.index for c in picked]
    for i, block in enumerate(blocks):
        text = cut_words(flat(block.text), 50) or "—"
        head = f"[{i}] {_what(block)} '{text}'"
        if i in number:
            cand = picked[number[i] - 1]
            lines.append(f"{head}: point {number[i]} ('{cut_words(cand.title, 40)}'), {_how(cand)}")
        elif i in rejected:
            lines.append(f"{head}: not a point: {rejected[i]}")
        elif block.quoted:
            lines.append(f"{head}: not a point: inside a quote")
        elif block.kind == "item" and block.level > 1:
            lines.append(f"{head}: not a point: a nested list item")
        elif not starts or i < starts[0]:
            lines.append(f"{head}: intro (no number or ordinal that starts a sequence)")
        elif i >= end:
            lines.append(f"{head}: after the last point's body (conclusion or end matter)")
        else:
            owner = sum(s <= i for s in starts)
            lines.append(f"{head}: body of point {owner}")
    return lines
