"""Paraphrases routed by content: BM25 over stemmed words of each point's title and body.

The question's words are stemmed in the article's language (one of six) and scored against
every point; a point is picked only when it is clearly ahead of the next one, otherwise the
question is about the whole article (a wrong point is worse than none). A word of the
question not in the article's vocabulary is matched to its closest article word within a
small edit distance ("kil" -> "kill"). The reason names the words that decided it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.core.models import Article

from .lexicon import ALL_STOP_WORDS, TOKEN, language, stem

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 2  # a title's words count as if written this many times
MIN_SCORE = 1.8  # a best point below this is no evidence at all (docs/reading.md: the grid)
MARGIN = 1.6  # ... and it must score this many times the runner-up
_FUZZY_WORD = 86.0  # rapidfuzz ratio for an unknown word to stand for an article word
_MAX_NEAR = 4096


@dataclass(frozen=True, slots=True)
class _Index:
    lang: str
    weights: dict[int, dict[str, float]]  # point -> stem -> its BM25 term score there
    idf: dict[str, float]
    surface: dict[str, str]  # stem -> a word of the article it came from
    vocabulary: tuple[str, ...]  # the article's words (not stems), for typo matching
    word_stem: dict[str, str]
    near: dict[str, str | None]  # memo: an unknown word -> the article stem it stands for


def _tokens(text: str) -> list[str]:
    return [
        t
        for t in TOKEN.findall(text.lower().replace("’", "'"))
        if t not in ALL_STOP_WORDS and (len(t) >= 3 or t.isdigit())
    ]


@lru_cache(maxsize=64)
def _index(article: Article) -> _Index:
    """Built once per article: classify runs on every chat message."""
    lang = language(" ".join(f"{p.title} {p.body}" for p in article.points) + article.intro)
    terms: dict[int, Counter[str]] = {}
    surface: dict[str, str] = {}
    word_stem: dict[str, str] = {}
    for p in article.points:
        counts: Counter[str] = Counter()
        for weight, text in ((TITLE_WEIGHT, p.title), (1, p.body)):
            for word in _tokens(text):
                s = stem(word, lang)
                counts[s] += weight
                surface.setdefault(s, word)
                word_stem[word] = s
        terms[p.number] = counts
    lengths = {n: sum(c.values()) for n, c in terms.items()}
    average = sum(lengths.values()) / max(1, len(lengths))
    df: Counter[str] = Counter()
    for counts in terms.values():
        df.update(counts.keys())
    n = len(terms)
    idf = {t: math.log(1 + (n - k + 0.5) / (k + 0.5)) for t, k in df.items()}
    vocabulary = tuple(w for w in word_stem if len(w) >= 4)
    weights = {}
    for number, counts in terms.items():
        norm = K1 * (1 - B + B * lengths[number] / (average or 1))
        weights[number] = {t: idf[t] * tf * (K1 + 1) / (tf + norm) for t, tf in counts.items()}
    return _Index(lang, weights, idf, surface, vocabulary, word_stem, {})


def _query(text: str, index: _Index) -> dict[str, str]:
    """The question's stems (-> the word the reader wrote), typos mapped to article words."""
    out: dict[str, str] = {}
    for word in _tokens(text):
        s = stem(word, index.lang)
        if s not in index.idf:
            parts = _parts(word, index)
            if parts:
                for part in parts:
                    out.setdefault(part, word)
                continue
            if len(word) >= 4 and index.vocabulary:
                s = _near(word, index) or s
        out.setdefault(s, word)
    return out


def _parts(word: str, index: _Index) -> list[str]:
    """The article's stems a word the article lacks is made of: the pieces of a hyphenated
    word ("beinwell-dünger"), or the two halves of a German compound the reader coined
    ("übergabedokument": "übergabe" + "dokument"; a linking "s" or "es" dropped).
    Empty when no such split uses only the article's own stems."""
    known = index.idf
    if "-" in word:
        pieces = [stem(p, index.lang) for p in word.split("-") if len(p) >= 3]
        return [p for p in pieces if p in known]
    if index.lang != "german" or len(word) < 8:
        return []
    for cut in range(4, len(word) - 3):
        head, tail = word[:cut], word[cut:]
        right = stem(tail, index.lang)
        if right not in known:
            continue
        linked = head[:-2] if head.endswith("es") else head[:-1] if head.endswith("s") else ""
        for left_word in (head, linked):
            if len(left_word) >= 4 and (left := stem(left_word, index.lang)) in known:
                return [left, right]
    return []


def _near(word: str, index: _Index) -> str | None:
    if word in index.near:
        return index.near[word]
    found = process.extractOne(word, index.vocabulary, scorer=fuzz.ratio, score_cutoff=_FUZZY_WORD)
    result = index.word_stem[found[0]] if found is not None else None
    if len(index.near) < _MAX_NEAR:  # a memo, bounded: chat repeats its words
        index.near[word] = result
    return result


def _score(query: dict[str, str], index: _Index, number: int) -> dict[str, float]:
    weights = index.weights[number]
    return {s: weights[s] for s in query if s in weights}


def closest_point(text: str, article: Article) -> tuple[int | None, str]:
    """The point the question's content is clearly closest to, with the deciding words."""
    if len(article.points) < 2:
        return None, ""
    index = _index(article)
    query = _query(text, index)
    if not query:
        return None, ""
    parts = {n: _score(query, index, n) for n in index.weights}
    ranked = sorted(parts, key=lambda n: sum(parts[n].values()), reverse=True)
    best, second = ranked[0], ranked[1]
    top, runner = sum(parts[best].values()), sum(parts[second].values())
    if top < MIN_SCORE:
        if top <= 0:
            return None, ""
        return None, f"names no point (its words score {top:.1f}, under {MIN_SCORE})"
    deciding = sorted(
        (s for s in parts[best] if parts[best][s] > parts[second].get(s, 0.0)),
        key=lambda s: parts[second].get(s, 0.0) - parts[best][s],
    )[:3]
    said = ", ".join(f"'{w}'" for w in dict.fromkeys(query[s] for s in deciding))
    if top < MARGIN * runner:
        return None, (f"its words fit points {best} and {second} alike ({top:.1f} vs {runner:.1f})")
    return best, f"its words {said} point to point {best} ({top:.1f} vs {runner:.1f} next)"
