"""A point named by the words it contains: a quoted phrase (exactly, or within a small edit
distance), or a near-verbatim unquoted pair of words found in one point only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from rapidfuzz import fuzz

from bot.core.models import Article

from .lexicon import ALL_STOP_WORDS, QUOTED, short

# Sentence-like pieces; quote marks do not split, so “face-saving” stays inside its phrase.
_SEGMENT = re.compile(r"[.!?;:()\[\]\n]+")
# Words of three or more letters, and numbers of two or more digits ("S-400" gives "400").
_WORD = re.compile(r"\b(?:[^\W\d_]{3,}|[a-z0-9]{3,}|\d\d)\b")
# A quote within this partial-match score (0-100) of a point's text names that point, when
# no other point comes within _FUZZY_MARGIN of it: "reconcilation tooling", "torn peice".
FUZZY_MIN = 84.0
_FUZZY_MARGIN = 8.0


def _stem(word: str) -> str:
    # Plural-insensitive: "arms transfer" should still find "arms transfers".
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _runs(text: str) -> list[list[tuple[str, str]]]:
    """Content words (stem, word) of each sentence-like segment; stop words and noise dropped."""
    segments = _SEGMENT.split(text.lower().replace("’", "'"))
    stop = ALL_STOP_WORDS
    return [[(_stem(w), w) for w in _WORD.findall(seg) if w not in stop] for seg in segments]


@dataclass(frozen=True, slots=True)
class _PhraseIndex:
    words: dict[str, set[int]]  # content word -> points it occurs in
    pairs: dict[tuple[str, str], set[int]]  # adjacent content words -> points
    texts: dict[int, str]  # " w w | w w " per point, to check a quoted phrase is contiguous
    plain: dict[int, str]  # each point's title and body, lower case, for fuzzy quotes


@lru_cache(maxsize=64)
def _phrase_index(article: Article) -> _PhraseIndex:
    """Built once per article: classify runs on every chat message."""
    words: dict[str, set[int]] = {}
    pairs: dict[tuple[str, str], set[int]] = {}
    texts: dict[int, str] = {}
    plain: dict[int, str] = {}
    for p in article.points:
        runs = [[s for s, _ in run] for run in _runs(p.title + "\n" + p.body)]
        texts[p.number] = " " + " | ".join(" ".join(run) for run in runs) + " "
        plain[p.number] = " ".join(f"{p.title} {p.body}".lower().replace("’", "'").split())
        for run in runs:
            for w in run:
                words.setdefault(w, set()).add(p.number)
            for pair in pairwise(run):
                pairs.setdefault(pair, set()).add(p.number)
    return _PhraseIndex(words, pairs, texts, plain)


def _fuzzy_quote(quote: str, index: _PhraseIndex) -> tuple[int, float] | None:
    """The one point whose text holds ``quote`` within a small edit distance, with its score."""
    needle = " ".join(quote.lower().replace("’", "'").split())
    if len(needle) < 6:
        return None
    scores = sorted(
        ((fuzz.partial_ratio(needle, body), n) for n, body in index.plain.items()), reverse=True
    )
    best, number = scores[0]
    second = scores[1][0] if len(scores) > 1 else 0.0
    if best >= FUZZY_MIN and best - second >= _FUZZY_MARGIN:
        return number, best
    return None


def quoted_point(text: str, article: Article) -> tuple[int | None, str]:
    """A point named by a quoted phrase or word: exactly, else within a small edit distance."""
    index = _phrase_index(article)
    for m in QUOTED.finditer(text):
        quote = next(g for g in m.groups() if g)
        stems = [s for run in _runs(quote) for s, _ in run]
        if len(stems) >= 2:
            needle = " " + " ".join(stems) + " "
            hits = sorted(n for n, body in index.texts.items() if needle in body)
        else:
            hits = sorted(index.words.get(stems[0], ())) if stems else []
        if len(hits) == 1:
            return hits[0], f"quotes '{short(quote)}' from point {hits[0]}"
        if not hits and (near := _fuzzy_quote(quote, index)) is not None:
            number, score = near
            return (
                number,
                f"quotes '{short(quote)}', close to point {number}'s words ({score:.0f}%)",
            )
    return None, ""


def pair_point(text: str, article: Article) -> tuple[int | None, str]:
    """A point named by a near-verbatim unquoted pair of content words found only in it."""
    index = _phrase_index(article)
    found: dict[int, str] = {}
    for run in _runs(text):
        for (s1, w1), (s2, w2) in pairwise(run):
            points = index.pairs.get((s1, s2))
            if points is not None and len(points) == 1:
                found.setdefault(next(iter(points)), f"{w1} {w2}")
    if len(found) == 1:
        ((number, phrase),) = found.items()
        return number, f"the phrase '{phrase}' occurs only in point {number}"
    if found:
        return None, f"phrases from points {listing(sorted(found))}"
    return None, ""


def listing(numbers: list[int] | tuple[int, ...]) -> str:
    """'1–5' for a run of three or more, else '2 and 4' / '1, 3 and 5'."""
    if len(numbers) > 2 and list(numbers) == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}–{numbers[-1]}"
    *head, last = map(str, numbers)
    return f"{', '.join(head)} and {last}" if head else last
