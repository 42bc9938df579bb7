"""The format-neutral part: find the numbered points in a list of blocks.

Rules, in order:

* A candidate is a block opening with a number marker ("3.", "3)", "Point 3:", "III."),
  or a top-level ordered-list item (its number is its list ordinal). Its *class* is its
  structural level: headings of one level, bold lead-in paragraphs, top-level list items,
  or plain paragraphs. Quotes and nested list items are never candidates.
* Within a class, candidates chain into sequences 1, 2, 3, ... in document order; a 1
  opens a new sequence and n joins the most recent open sequence ending at n-1, so a
  numbered sub-list inside point 3 does not break the outer 1-5.
* A sequence counts if it has >= 2 points and is not mostly links or citations.
  Sequences lying inside one point of another sequence are sub-structure and dropped;
  of the rest the best is picked: headings > bold lead-ins > list items > paragraphs,
  then the longest, then the higher heading level.
* A point's body runs to the next point. The last point's body ends at a separator, a
  "Conclusion"-like label, an unnumbered heading at its own level or above (or any
  heading for non-heading points), or -- for a list item that has text of its own -- at
  the end of that item. What follows is the conclusion; in plain text only the first
  paragraph of it, because plain-text sources append other material (such as reader
  comments) after the article.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from ..models import Point
from .blocks import Block, Doc, is_conclusion_label, looks_like_reference
from .textutil import (
    LAST,
    cut_words,
    first_sentence,
    flat,
    marker_word,
    paragraphs,
    sentence_ends,
    split_marker,
    split_ordinal,
)

TITLE_MAX = 120
_RANK = {"heading": 3, "lead": 2, "item": 1, "para": 0}
_MAX_OPEN = 8  # open sequences kept per class: nesting deeper than this does not happen
_MAX_TRIED = 16  # best sequences tested for being nested in another


@dataclass(frozen=True, slots=True)
class Parts:
    """An article's pieces as found in its blocks."""

    title: str
    subtitle: str
    intro: str
    points: tuple[Point, ...]
    conclusion: str


@dataclass(slots=True)
class Cand:
    index: int
    number: int
    cls: tuple[str, int]
    title: str
    body: str  # the block's own text after the title
    marker: str = ""  # "step", "rule", ... for a worded marker; "ordinal" for "Second, ..."


def _strip_title(title: str) -> str:
    # Titles are cut from block text, whose whitespace is collapsed already (see textutil):
    # only line breaks are left to flatten.
    title = flat(title) if "\n" in title else title.strip()
    return title.rstrip(".:;,–—-").rstrip()


def _is_title_line(line: str, after: str) -> bool:
    """Whether a line break after ``line`` ends a title rather than wrapping a sentence."""
    if not after or after[0].islower():
        return False
    if line.endswith((".", ":", "!", "?")):
        return True
    long_words = [w for w in line.split() if len(w) >= 4]
    if long_words and sum(w[0].isupper() for w in long_words) >= 0.6 * len(long_words):
        return True  # Title Case
    # A line much shorter than the next was not wrapped at a column; nor is a short line
    # of a few words before a capital ("Return to running slowly" / "My physio gave ...").
    if len(line) <= 48 and not line.endswith((",", ";")) and len(line.split()) <= 8:
        return True
    return len(line) < 0.75 * len(after.split("\n", 1)[0])


def split_title(rest: str) -> tuple[str, str]:
    """Split a numbered block's text (marker removed) into (title, rest of the block).

    A line break ends the title when the line looks like one (see ``_is_title_line``);
    otherwise the title is the first sentence, cut at a word boundary to TITLE_MAX
    characters, in which case the whole text stays the body.
    """
    rest = rest.strip()
    nl = rest.find("\n")
    if 0 < nl <= TITLE_MAX + 40:
        after = rest[nl:].lstrip()
        if _is_title_line(rest[:nl], after):
            return _strip_title(rest[:nl]), "\n\n".join(paragraphs(after))
    paras = paragraphs(rest)
    if not paras:
        return "", ""
    first = first_sentence(paras[0])
    if len(first) > TITLE_MAX:
        return _strip_title(cut_words(first, TITLE_MAX)), "\n\n".join(paras)
    remainder = [paras[0][len(first) :].strip(), *paras[1:]]
    return _strip_title(first), "\n\n".join(p for p in remainder if p)


def _ordinal_candidate(index: int, block: Block) -> Cand | None:
    """A heading or bold lead-in announced by an ordinal word ("First, ...", "Finally: ...")."""
    if block.kind == "heading":
        found = split_ordinal(block.text)
        if found is None:
            return None
        title = _strip_title(found[2])
        return Cand(index, found[0], ("heading", block.level), title, "", "ordinal")
    in_bold = split_ordinal(block.lead)
    if in_bold is None or not block.text.startswith(block.lead):
        return None
    number, _, bold_rest = in_bold
    rest = block.text[len(block.lead) :].strip()
    if _strip_title(bold_rest):  # "<b>First, title.</b> body"
        return Cand(index, number, ("lead", 0), _strip_title(bold_rest), rest, "ordinal")
    title, body = split_title(rest[:1].upper() + rest[1:])  # "**First,** title. Body"
    return Cand(index, number, ("lead", 0), title, body, "ordinal")


def _candidate(index: int, block: Block) -> Cand | None:
    if block.quoted:
        return None
    if block.marker is None and not block.ordinal:
        return _ordinal_candidate(index, block)
    cand = _numbered_candidate(index, block)
    if cand is not None:
        cand.marker = marker_word(block.text)
    return cand


def _numbered_candidate(index: int, block: Block) -> Cand | None:
    kind = block.kind
    if kind == "heading":
        found = block.marker
        if found:
            return Cand(index, found[0], ("heading", block.level), _strip_title(found[1]), "")
        return None
    if kind == "item" and block.level == 1:
        found = block.marker
        if block.ordinal:
            # "<ol><li>Point 2: ..." repeats the list's own number; drop it from the title.
            same = found is not None and found[0] == block.ordinal
            number, rest = block.ordinal, found[1] if found and same else block.text
        elif found:
            number, rest = found
        else:
            return None
        lead = block.lead
        if lead and rest.startswith(lead):
            return Cand(index, number, ("item", 0), _strip_title(lead), rest[len(lead) :].strip())
        return Cand(index, number, ("item", 0), *split_title(rest))
    if kind == "para":
        found = block.marker
        if found is None:
            return None
        number, rest = found
        if block.lead:
            in_bold = split_marker(block.lead)
            if in_bold is None:
                return Cand(index, number, ("para", 0), *split_title(rest))
            bold_rest = in_bold[1].strip()
            lead_title = _strip_title(bold_rest)
            # "<b>4. Title</b> body": the bold part is the title. "<b>Point 4:</b> Title.
            # Body": only the number is bold, so the title is the first sentence after it.
            if lead_title and rest.startswith(bold_rest):
                body = rest[len(bold_rest) :].strip()
                return Cand(index, number, ("lead", 0), lead_title, body)
            return Cand(index, number, ("lead", 0), *split_title(rest))
        return Cand(index, number, ("para", 0), *split_title(rest))
    return None


def _sequences(cands: list[Cand]) -> list[list[Cand]]:
    open_by_class: dict[tuple[str, int], list[list[Cand]]] = {}
    done: list[list[Cand]] = []
    for cand in cands:
        opened = open_by_class.get(cand.cls)
        if opened is None:
            opened = open_by_class[cand.cls] = []
        for seq in reversed(opened):
            if cand.number == LAST and seq[-1].marker == cand.marker == "ordinal":
                cand.number = seq[-1].number + 1  # "Finally, ..." ends the sequence
                seq.append(cand)
                break
            if seq[-1].number == cand.number - 1:
                seq.append(cand)
                break
        else:
            if cand.number == 1:
                opened.append([cand])
                if len(opened) > _MAX_OPEN:
                    done.append(opened.pop(0))
            elif cand.marker == "ordinal" and (gap := _ordinal_gap(open_by_class, cand)):
                gap.append(cand)
    for opened in open_by_class.values():
        done.extend(opened)
    return [s for s in done if len(s) >= 2]


def _ordinal_gap(
    open_by_class: dict[tuple[str, int], list[list[Cand]]], cand: Cand
) -> list[Cand] | None:
    """An ordinal sequence of another class that ``cand`` continues ("## First, ..." then
    "**Second,** ..." then "## Third, ...": one author, one sequence, two kinds of markup).

    Only ordinals, and only when no sequence of the candidate's own class takes it: a
    numbered list inside a point ("2. ... 3. ...") must not join the points' headings.
    """
    best: list[Cand] | None = None
    for cls, opened in open_by_class.items():
        if cls[0] not in ("heading", "lead") or cls == cand.cls:
            continue
        for seq in opened:
            last = seq[-1]
            if (
                last.marker == "ordinal"
                and last.number == cand.number - 1
                and (best is None or last.index > best[-1].index)
            ):
                best = seq
    return best


def candidates(blocks: list[Block]) -> list[Cand]:
    """Every block that could be a point: numbered, or announced by an ordinal."""
    return [
        c
        for i, b in enumerate(blocks)
        if (b.marker is not None or b.ordinal or b.kind == "heading" or b.lead)
        and (c := _candidate(i, b)) is not None
    ]


def sequences(blocks: list[Block]) -> list[Seq]:
    """The candidate sequences 1, 2, 3, ... of two or more points, in document order."""
    return [
        Seq(s, _end_of_last(blocks, s[-1]), [c.index for c in s])
        for s in _sequences(candidates(blocks))
    ]


def is_reference_list(blocks: list[Block], seq: list[Cand]) -> bool:
    bad = [c for c in seq if blocks[c.index].linky or looks_like_reference(c.title)]
    return len(bad) * 2 > len(seq)


def _end_of_last(blocks: list[Block], last: Cand) -> int:
    """Index of the first block after the last point's body."""
    p = last.index
    if last.cls[0] == "item" and last.body:
        j = p + 1
        while j < len(blocks) and blocks[j].owner == p:
            j += 1
        return j
    for j in range(p + 1, len(blocks)):
        block = blocks[j]
        if block.kind == "sep" or is_conclusion_label(block):
            return j
        if (
            block.kind == "heading"
            and block.marker is None
            and (last.cls[0] != "heading" or block.level <= last.cls[1])
        ):
            return j
    return len(blocks)


@dataclass(slots=True)
class Seq:
    points: list[Cand]
    end: int  # first block after the last point's body
    starts: list[int]  # block index of each point, ascending

    def contains(self, inner: Seq) -> bool:
        """True if all of ``inner`` lies within the body of one of this sequence's points."""
        first, last = inner.starts[0], inner.starts[-1]
        pos = bisect_left(self.starts, first)
        if pos == 0 or (pos < len(self.starts) and self.starts[pos] <= last):
            return False  # starts before this sequence, or straddles one of its points
        return pos < len(self.starts) or last < self.end

    def preference(self) -> tuple[int, int, int]:
        cls = self.points[0].cls
        return _RANK[cls[0]], len(self.points), -cls[1]


def choose(blocks: list[Block]) -> tuple[list[Cand], int]:
    """The article's point sequence and the end of its last body (empty if none)."""
    seqs = [s for s in sequences(blocks) if not is_reference_list(blocks, s.points)]
    if len(seqs) == 1:  # the usual case: nothing to rank
        return seqs[0].points, seqs[0].end
    # Best first; only the first few need the containment test, which keeps this linear.
    seqs.sort(key=Seq.preference, reverse=True)
    for seq in seqs[:_MAX_TRIED]:
        if not any(other is not seq and other.contains(seq) for other in seqs):
            return seq.points, seq.end
    if not seqs:
        return [], len(blocks)
    longest = max(seqs, key=lambda s: len(s.points))  # a pathological page: a fair guess
    return longest.points, longest.end


def _render(block: Block) -> str:
    # Block text is already clean; only text with line breaks needs re-joining.
    text = block.text if "\n" not in block.text else "\n\n".join(paragraphs(block.text))
    if block.kind == "item" and text:
        return f"{block.ordinal}. {text}" if block.ordinal else f"- {text}"
    return text


def _join(blocks: list[Block]) -> str:
    # A plain paragraph (most blocks) is its own text: _render is called only for the rest.
    texts = [
        text
        for b in blocks
        if b.kind != "sep"
        and (text := b.text if b.kind != "item" and "\n" not in b.text else _render(b))
    ]
    return "\n\n".join(texts)


def _is_dek(text: str) -> bool:
    """A standalone one-sentence line: ends like a sentence, has no sentence end inside."""
    return (
        len(text) <= 320
        and len(text.split()) >= 5
        and text.rstrip("\"'”’)").endswith((".", "!", "?", "…"))
        and next(sentence_ends(text), None) is None
        and split_marker(text) is None
    )


def head_blocks(doc: Doc, fmt: str) -> tuple[list[Block], str, str]:
    """The blocks without a leading <h1> title (and an <h2> dek after it), title, subtitle."""
    blocks = doc.blocks
    title, subtitle = doc.title, doc.subtitle
    for i, block in enumerate(blocks[:3]):
        if block.kind == "heading" and block.level == 1 and block.marker is None:
            title = flat(block.text) or title
            blocks = blocks[:]  # a copy to delete from: doc.blocks stays as it was
            del blocks[i]
            _shift_owners(blocks, i)
            if fmt == "html" and i < len(blocks) and not subtitle:
                nxt = blocks[i]
                if nxt.kind == "heading" and nxt.level == 2 and nxt.marker is None:
                    subtitle = flat(nxt.text)
                    del blocks[i]
                    _shift_owners(blocks, i)
            break
    return blocks, title, subtitle


def split_article(doc: Doc, fmt: str) -> Parts:
    """Title, subtitle, intro, points and conclusion of tidied blocks."""
    blocks, title, subtitle = head_blocks(doc, fmt)
    seq, end = choose(blocks)
    first_point = seq[0].index if seq else len(blocks)
    intro_blocks = blocks[:first_point]
    if fmt == "text" and not subtitle and len(intro_blocks) >= 2:
        head, nxt = intro_blocks[0], intro_blocks[1]
        if head.kind == "para" and nxt.kind == "para" and _is_dek(flat(head.text)):
            subtitle = flat(head.text)
            intro_blocks = intro_blocks[1:]
    points: list[Point] = []
    for k, cand in enumerate(seq):
        stop = seq[k + 1].index if k + 1 < len(seq) else end
        body = _join(blocks[cand.index + 1 : stop])
        if cand.body:
            body = f"{cand.body}\n\n{body}" if body else cand.body
        points.append(Point(k + 1, cand.title, body or cand.title, cand.marker))
    tail = blocks[end:] if seq else []
    while tail and (tail[0].kind == "sep" or is_conclusion_label(tail[0])):
        tail = tail[1:]
    if fmt == "text":
        tail = [b for b in tail if b.kind == "para"][:1]
    return Parts(title, subtitle, _join(intro_blocks), tuple(points), _join(tail))


def _shift_owners(blocks: list[Block], removed: int) -> None:
    for block in blocks:
        if block.owner > removed:
            block.owner -= 1
        elif block.owner == removed:
            block.owner = -1
