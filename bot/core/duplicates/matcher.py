"""The matcher: question profiles, article statistics, vetoes and score; the public calls."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..models import Article
from ..questions import QUOTED
from .kinds import (
    _ASKS,
    _NEAR,
    _NEGATION,
    _NOT_A_COUNT,
    _NOT_NEGATION,
    _NUMBER,
    _POINT_REF,
    _WHEN,
    _intent,
)
from .words import _GENERIC, _NUMBER_WORDS, _SENTENCE, _capital_runs, _content, _normalise

THRESHOLD = 0.8
"""Default score a candidate must reach: tuned for precision (docs/duplicates.md)."""
SUGGEST = 0.5
"""From here up to THRESHOLD a question "may repeat" another: shown, never merged."""
_QUOTE_SCORE = 0.95  # both quote the same phrase and ask the same kind of thing
_NEAR_FACTOR = 0.85  # for kinds of question close enough that wording decides
_GENERIC_WEIGHT = 0.5  # for everyday words, whatever the article's IDF says
# Two requests for meaning, one naming part of the other's term ("clandestine" within
# "clandestine arms transfers"): this much times the share of the shorter term they have in
# common. Below THRESHOLD on purpose: enough for "may repeat", never a merge on its own.
_TERM_FACTOR = 0.75


@dataclass(frozen=True, slots=True)
class Match:
    """The open question a new one repeats, how close (0..1), and why in plain words."""

    question_id: int
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class _Profile:
    """All the comparison needs from one question, computed once per text."""

    words: Mapping[str, str]
    quotes: Mapping[str, str]  # content words of a quoted phrase -> the phrase
    intent: str | None
    negated: bool
    when: str  # "now", "before", or "" (neither, or both)
    numbers: frozenset[str]
    points: frozenset[str]  # "point 3" references
    capitalised: frozenset[str]
    passive: bool  # "summoned by Iran": names may come in the other order
    terms: frozenset[str]  # content words, and '"' + each quoted phrase's key: see terms()


@lru_cache(maxsize=4096)
def _profile(text: str) -> _Profile:
    quotes: dict[str, str] = {}
    for m in QUOTED.finditer(text):
        phrase = next(g for g in m.groups() if g)
        if words := _content(_normalise(phrase)):
            quotes.setdefault(" ".join(sorted(words)), phrase)
    norm = _normalise(text)
    points = frozenset(_POINT_REF.findall(norm))
    bare = _POINT_REF.sub(" ", norm)
    numbers = _NUMBER.findall(_NOT_A_COUNT.sub(" ", bare))
    when = {m.lastgroup or "" for m in _WHEN.finditer(bare)}
    words = _content(bare)
    return _Profile(
        words=words,
        quotes=quotes,
        intent=_intent(bare),
        negated=bool(_NEGATION.search(_NOT_NEGATION.sub(" ", bare))),
        when=when.pop() if len(when) == 1 else "",
        numbers=frozenset(_NUMBER_WORDS.get(n, n) for n in numbers),
        points=points,
        capitalised=frozenset(w for run in _capital_runs(text) for w in run),
        passive=bool(re.search(r"\b\w+(?:ed|en)\s+by\b", bare)),
        terms=frozenset(words) | frozenset('"' + k for k in quotes),
    )


def terms(text: str) -> frozenset[str]:
    """What a question must share with another for them to score above 0: its content words
    (stemmed, synonyms merged) and its quoted phrases. Questions sharing no term never match,
    so a caller may index candidates by term and score only those sharing one."""
    return _profile(text).terms


# --- the article: word weights and names -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Stats:
    idf: dict[str, float]
    unseen: float  # the weight of a word the article does not use
    names: dict[str, frozenset[str]]  # a name -> the words it is written with
    # A two-word name's words stand for each other: "the corridor" is the Zangezur Corridor.
    partner: dict[str, str]


@lru_cache(maxsize=64)
def _stats(article: Article) -> _Stats:
    """IDF of each content word over the article's sentences, and the names it uses.

    A name is a word the article writes only with a capital inside a sentence.
    """
    parts = [article.title, article.subtitle, article.intro, article.conclusion]
    docs = [
        s
        for p in [*parts, *(p.title + "\n" + p.body for p in article.points)]
        for s in _SENTENCE.split(p)
        if s.strip()
    ]
    df: dict[str, int] = {}
    for doc in docs:
        for w in _content(_normalise(doc)):
            df[w] = df.get(w, 0) + 1
    unseen = math.log(len(docs) + 1) + 1
    idf = {w: math.log((len(docs) + 1) / (c + 1)) + 1 for w, c in df.items()}
    idf.update({w: idf.get(w, unseen) * _GENERIC_WEIGHT for w in _GENERIC})
    # Titles are in title case: names come from running text only.
    prose = "\n".join([*parts[1:], *(p.body for p in article.points)])
    lower = _content(_normalise(re.sub(r"(?<![\w'’])[A-Z][\w'’]*", " ", prose)))
    names: dict[str, frozenset[str]] = {}
    for run in _capital_runs(prose):
        for w in run - lower.keys():
            names[w] = names.get(w, frozenset()) | run
    pairs = {w: next(iter(run - {w})) for w, run in names.items() if len(run) == 2}
    partner = {w: o for w, o in pairs.items() if pairs.get(o) == w}  # "Russian Ambassador": no
    return _Stats(idf, unseen, names, partner)


_NO_ARTICLE = _Stats(dict.fromkeys(_GENERIC, _GENERIC_WEIGHT), 1.0, {}, {})


def _weight(words: Iterable[str], stats: _Stats) -> float:
    # fsum: the same total whatever order a set yields its words in (it varies per process).
    return math.fsum(stats.idf.get(w, stats.unseen) for w in words)


def _other_names(p: _Profile, q: _Profile, names: Mapping[str, frozenset[str]]) -> list[str]:
    """Names ``p`` mentions that ``q`` does not, not even by another word of the same name."""
    mentioned = (p.words.keys() & names.keys()) | p.capitalised
    return sorted(n for n in mentioned if not names.get(n, frozenset((n,))) & q.words.keys())


def _swapped(p: _Profile, q: _Profile, names: Mapping[str, frozenset[str]]) -> bool:
    """The same names in another order ("Russia support Iran ... Israel" vs "Russia support
    Israel ... Iran"), or a word on the other side of "instead of"."""
    if not (p.passive or q.passive):
        shared = [w for w in p.words if w in q.words and (w in names or w in p.capitalised)]
        if len(shared) >= 2 and shared != [w for w in q.words if w in shared]:
            return True
    if "instead" not in p.words or "instead" not in q.words:
        return False
    before_p, before_q = (set(list(r.words)[: list(r.words).index("instead")]) for r in (p, q))
    after_p, after_q = p.words.keys() - before_p, q.words.keys() - before_q
    return bool((after_p & before_q) - before_p or (after_q & before_p) - before_q)


def _covered(p: _Profile, q: _Profile, partner: Mapping[str, str]) -> list[str]:
    """The words of ``p`` that ``q`` has too, itself or by the other word of its name."""
    return [w for w in p.words if w in q.words or partner.get(w, "") in q.words]


def compare(new: str, old: str, article: Article | None = None) -> tuple[float, str]:
    """How close two questions are (0..1) and why; a veto scores 0 and names itself."""
    stats = _stats(article) if article is not None else _NO_ARTICLE
    return _score(_profile(new), _profile(old), stats)


def _score(p: _Profile, q: _Profile, stats: _Stats) -> tuple[float, str]:
    # Most candidates share nothing: say so before the dearer veto checks.
    if p.terms.isdisjoint(q.terms):  # terms() promises exactly this
        return 0.0, "no words in common"
    if p.points and q.points and p.points != q.points:
        return 0.0, "names other points"
    if p.numbers and q.numbers and p.numbers != q.numbers:
        return 0.0, "different numbers"
    if p.negated != q.negated:
        return 0.0, "one is negated"
    if p.when and q.when and p.when != q.when:
        return 0.0, f"asks about another time ({p.when} vs {q.when})"
    factor = 1.0
    if p.intent and q.intent and p.intent != q.intent:
        if frozenset((p.intent, q.intent)) not in _NEAR:
            return 0.0, f"asks something else ({p.intent} vs {q.intent})"
        factor = _NEAR_FACTOR
    if _swapped(p, q, stats.names):
        return 0.0, "the same words in other roles"
    mine, theirs = _other_names(p, q, stats.names), _other_names(q, p, stats.names)
    if mine and theirs:
        return 0.0, f"about someone else ({p.words.get(mine[0])} vs {q.words.get(theirs[0])})"
    if quoted := sorted(p.quotes.keys() & q.quotes.keys()):
        return factor * _QUOTE_SCORE, f"same quoted phrase '{p.quotes[quoted[0]]}'"
    shared = p.words.keys() & q.words.keys()
    if not shared:
        return 0.0, "no words in common"
    # Geometric mean of how much of each question the shared words cover (a weighted cosine,
    # where one word of a two-word name covers the other).
    cover_p = _weight(_covered(p, q, stats.partner), stats) / _weight(p.words, stats)
    cover_q = _weight(_covered(q, p, stats.partner), stats) / _weight(q.words, stats)
    score = min(1.0, factor * math.sqrt(cover_p * cover_q))
    if p.intent == q.intent == "meaning":
        score = max(score, _TERM_FACTOR * max(cover_p, cover_q))
    top = sorted(shared, key=lambda w: (-stats.idf.get(w, stats.unseen), w))[:4]
    same_kind = p.intent == q.intent and p.intent in _ASKS
    named = [p.words[w] for w in top] + ([_ASKS[p.intent or ""]] if same_kind else [])
    kind = "same wording" if score >= 0.9 else "same request in other words"
    return score, f"{kind} (shared: {', '.join(named)})"


def find_duplicate(
    text: str,
    point: int | None,
    open_questions: Sequence[tuple[int, int | None, str]],
    article: Article | None = None,
    *,
    threshold: float = THRESHOLD,
) -> Match | None:
    """The open question on the same point that ``text`` most likely repeats, or None.

    ``open_questions`` are ``(id, point, text)``; only those on ``point`` (None matches None)
    are candidates. The best score at or above ``threshold`` wins; a tie goes to the lower id.
    """
    best: tuple[float, int, str] | None = None
    # Once per call, not per candidate: hashing the article to find its cached statistics
    # costs more than a comparison.
    mine = _profile(text)
    stats = _stats(article) if article is not None else _NO_ARTICLE
    for qid, qpoint, qtext in open_questions:
        if qpoint == point:
            score, reason = _score(mine, _profile(qtext), stats)
            if score >= threshold and (best is None or (score, -qid) > (best[0], -best[1])):
                best = (score, qid, reason)
    return Match(best[1], round(best[0], 3), best[2]) if best else None


def similar_pairs(
    open_questions: Sequence[tuple[int, int | None, str]],
    article: Article | None = None,
    *,
    low: float = SUGGEST,
    high: float = THRESHOLD,
    limit: int | None = None,
) -> dict[int, Match]:
    """For each open question, the older one on its point it may repeat: a score in [low, high).

    ``open_questions`` are ``(id, point, text)``; a lower id is older. Each question is
    compared, as the new one, with the older questions on its point: all of them, or with
    ``limit`` the first ``limit`` in the order given (the queue passes its own order, most
    votes first). Scores at or above ``high`` are left out: such a pair was kept apart on
    purpose (``!ask --new``) or would have been merged. A tie goes to the older question.
    """
    stats = _stats(article) if article is not None else _NO_ARTICLE
    by_point: dict[int | None, list[tuple[int, str]]] = {}
    for qid, point, text in open_questions:
        by_point.setdefault(point, []).append((qid, text))
    found: dict[int, Match] = {}
    for group in by_point.values():
        for qid, text in group:
            mine, best, seen = _profile(text), None, 0
            for oid, otext in group:
                if oid >= qid:
                    continue
                if limit is not None and seen >= limit:
                    break
                seen += 1
                score, reason = _score(mine, _profile(otext), stats)
                if low <= score < high and (best is None or (score, -oid) > (best[0], -best[1])):
                    best = (score, oid, reason)
            if best is not None:
                found[qid] = Match(best[1], round(best[0], 3), best[2])
    return found
