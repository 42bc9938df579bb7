"""Does a new question ask what an open question on the same point already asks?

Pure and rule-based. Two questions match when they ask the same kind of thing (what it
means, why, when, how much, yes or no, ...), differ in no number, negation, time frame or
named actor, and either quote the same phrase or share their content words, each weighted by
how rare it is in the article (IDF over its sentences). Every verdict has a plain-words reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.core.models import Article
from bot.core.questions import QUOTED, STOP_WORDS

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


def _words(text: str) -> list[str]:
    return text.split()  # word lists read better as one string than as a list literal


def _groups(text: str) -> list[str]:
    return text.split("|")


_IRREGULAR = {"ca": "can", "wo": "will", "sha": "shall"}  # can't, won't, shan't


def _normalise(text: str) -> str:
    """Lower case, one kind of apostrophe, contractions spelled out, no URLs."""
    text = re.sub(r"https?://\S+|www\.\S+", " ", text.replace("’", "'").replace("‘", "'")).lower()
    text = re.sub(r"\b(ca|wo|sha)n't\b", lambda m: _IRREGULAR[m[1]] + " not", text)
    text = re.sub(r"\bcannot\b", "can not", text)
    text = re.sub(r"n't\b", " not", text)
    return " ".join(re.sub(r"'(?:s|re|ve|ll|d|m)\b", "", text).split())


# --- what kind of thing is asked -------------------------------------------------------------


def _what(nouns: str) -> str:
    """'what/which [is] [the] [word word] NOUN': a what-question naming its kind of answer."""
    return (
        rf"\b(?:what|which)\s+(?:(?:is|are|was)\s+)?(?:(?:the|your|their)\s+)?"
        rf"(?:\w+\s+){{0,2}}(?:{nouns})\b"
    )


# One alternation: the earliest match wins and, at the same place, the first group listed.
# "explain why ..." is a why and "clarify the summit date" a when, not a request for meaning.
_INTENT = re.compile(
    rf"""(?P<meaning>\bwhat\s+(?:(?:do|did|does)\s+)?(?:you|they|he|she|the\s+author)\s+meant?\b
        | \bwhat\s+(?:does|do)\b[^?]{{1,60}}?\bmean\b | \bin\s+what\s+sense\b
        | \bwhat\s+(?:exactly\s+)?(?:counts|qualifies)\s+as\b
        | \b(?:explain|clarify|elaborate|expand|unpack|define|definition|meaning|say\s+more
            |spell\s+out|an?\s+example|examples)\b
          (?!(?:\s+[\w\-]+){{0,3}}?\s+(?:why|how|when|whether|if|where|who|which|date|timeline
            |deadline|reasons?|sources?|evidence|amount|number|frequency)\b)
        | ^what(?:\s+exactly)?\s+(?:is|are)\s+(?:an?\s+|the\s+)?(?=\S)
            (?:"[^"]+"\s*)?(?:[\w\-]+(?:\s+[\w\-]+){{0,3}})?\s*\??$)
    | (?P<reason>\bwhy\b|\bhow\s+come\b|\bwhat\s+(?:caused|causes|makes|made)\b
        | ^what\b[^?]*\bfor\s*\? | {_what("reasons?|causes?|motives?")})
    | (?P<evidence>\b(?:sources?|evidence|proof|cite|citations?)\b|\bhow\s+do\s+you\s+know\b
        | {_what("evidence|sources?|proof")})
    | (?P<duration>\bhow\s+long\b|\bhow\s+many\s+(?:minutes|hours|days|weeks|months|years)\b
        (?!\s+of\b))
    | (?P<amount>\bhow\s+(?:much|many|often|big|large)\b|\bfrequency\b
        | {_what("quantity|amount|ratio|proportion|percentage|number|size|frequency")})
    | (?P<time>\bwhen\b|\bhow\s+soon\b|\b(?:in|under)\s+(?:which|what)\s+(?:cases?|circumstances
        |situations?)\b|\b(?:a|any|the)\s+(?:[\w\-]+\s+){{0,2}}(?:date|timeline
        |deadline)\b | {_what("date|time|timeline|deadline")})
    | (?P<person>\bwho(?:m|se)?\b)
    | (?P<place>\bwhere\b)
    | (?P<method>\bhow\s+(?:do|did|can|could|should|would|will)\s+(?:you|i|we)\b
        | {_what("tools?|methods?|ways?|techniques?")})
    | (?P<manner>\bhow\b)
    | (?P<thing>\bwhat\b(?!\s+about\b)|\bwhich\b)""",
    re.VERBOSE,
)
_YES_NO = re.compile(
    r"(?:^|[.!?,]\s+)(?:is|are|was|were|do|does|did|can|could|will|would|should|has|have|had"
    r"|may|might|must|shall)\b"
)
# "How does X help" asks why in other words; "how do you X" (a method) does not.
# Both "how": "How do you run the suite in 11 minutes" and "How does one build test it all".
_NEAR = {frozenset(p) for p in (("reason", "manner"), ("thing", "person"), ("method", "manner"))}
# How a reason names a kind both questions ask; kinds without a name here go unnamed.
_ASKS = {"time": "timing", "evidence": "sources", "person": "who"} | {
    k: k for k in _words("meaning reason amount duration place")
}


# "Will Iran be disappointed by what Russia offers?" asks yes or no; "can you tell me what
# ..." asks the what.
_AUX_OPENER = re.compile(
    r"^(?:is|are|was|were|do|does|did|can|could|will|would|should|has|have|had|may|might)\b"
)
_ASKS_FOR = re.compile(r"\b(?:tell|know|say|share|show)\s+(?:me\s+|us\s+)?$")


def _intent(norm: str) -> str | None:
    m = _INTENT.search(norm)
    if (
        m
        and m.lastgroup == "thing"
        and m.group().startswith("what")
        and m.start()
        and _AUX_OPENER.match(norm)
        and not _ASKS_FOR.search(norm[: m.start()])
    ):
        return "yes/no"
    return m.lastgroup if m else "yes/no" if _YES_NO.search(norm) else None


# --- numbers, negation, time frame -----------------------------------------------------------

_NUMBER_WORDS = {
    w: str(n)
    for n, ws in enumerate(
        _words("""_ one,once two,second,twice three,third,thrice four,fourth five,fifth six,sixth
seven,seventh eight,eighth nine,ninth ten,tenth eleven,eleventh twelve,twelfth""")
    )
    for w in ws.split(",")
    if n
} | {"twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "half": "0.5"}
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b")
_NOT_A_COUNT = re.compile(
    r"\b(?:which|this|that|the|any|each|every|no|some|does|do|can|could|should|would|must)\s+one\b"
    r"|\bone\s+of\b"
)
_POINT_REF = re.compile(r"\b(?:points?|pts?\.?|items?|sections?|#)\s*(\d{1,2})\b")
# Negations that leave the question as it was: "I don't understand ...", "not sure".
_NOT_NEGATION = re.compile(
    r"\bi\s+(?:do|did|can)\s+not\s+(?:quite\s+)?(?:understand|get|follow|see)\b|\bnot\s+sure\b"
    r"|\bwhether\s+or\s+not\b|\bnot\s+only\b"
    # "Doesn't in-process code fail too?" asks what "Does in-process code fail too?" asks.
    r"|^(?:is|are|was|were|do|does|did|can|could|will|would|should|has|have)\s+not\b"
)
_NEGATION = re.compile(r"\b(?:not|no|never|nothing|none|neither|nor|without)\b")
# "How long does it take now" and "how long did it take before" ask about different times.
_WHEN = re.compile(
    r"\b(?:(?P<now>now|currently|today|nowadays|these\s+days)|(?P<before>before|previously"
    r"|used\s+to|originally|earlier|formerly|back\s+then|in\s+the\s+past))\b"
)


# --- content words ---------------------------------------------------------------------------

_EXTRA_STOP = frozenset(
    _words("""exactly really actually just still also too anything something thing things
expect here now please kind sort way lot bit else quite much many long often whose whom example
examples sense mean meaning definition define unpack expand tell give share describe source
sources evidence proof reason ok okay sure tho anyway author article piece thanks""")
)
_SUFFIXES = [
    tuple((pair + ":").split(":")[:2])
    for pair in _words("""ational:ate ations ation ments ment ness ings ing ies:y ied:y ly ed es
ate ians ian ia ier:y s""")
]


_COMPARATIVES = {w + "er": w for w in _words("soft slow hard warm cool long short")} | {
    "later": "late"
}


def _stem(word: str) -> str:
    """Stemming-lite: 'signing', 'signed', 'signs' -> 'sign'; 'Iranian' -> 'iran'."""
    if len(word) <= 3:
        return word
    if word in _COMPARATIVES:
        return _COMPARATIVES[word]
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) + len(repl) >= 3:
            if suffix != "s" or not word.endswith(("ss", "us", "is")):
                word = word[: len(word) - len(suffix)] + repl
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # "stopped" -> "stopp" -> "stop"
    return word


# Everyday synonyms; the first word of a group stands for it.
_SYNONYMS = {
    _stem(w): group.split()[0]
    for group in _groups("""defense defence | yogurt yoghurt | weapon weapons arms armament |
secret clandestine covert hidden | transfer export send sent ship shipment supply deliver delivery
| buy purchase | sell sale | delay postpone wait | large big huge | small little tiny | start begin
| disagreement dispute quarrel | impede hurt harm hinder damage | enough sufficient | fridge
refrigerator | warm hot heat | cool cold chilly | soft mushy soften | quick instant | recommend
suggest advise | help assist | need require | deny denial | problem issue | arrive reach | change
reshape alter | rise increase | intercept shoot | fight hostility hostilities | regular plain
normal | stance position | lose loss | evening night | reduce cut decrease | rumor rumour report |
bite chewy | sweet sweeten | respond response retaliate retaliation | pager page""")
    for w in group.split()
}
# Everyday words the article's IDF cannot know are common: sharing or lacking one says little.
_GENERIC = frozenset(
    _SYNONYMS.get(_stem(w), _stem(w))
    for w in _words("""use work need take make go come get put keep give want try seem look find
happen thing right good bad fine new old real true big small part enough count matter affect
effect stay turn run ever even whole able possible likely way time case fact question answer idea
better best worse worst short""")
)
_PHRASES = [
    (re.compile(r"\b(?:in\s+place\s+of|rather\s+than)\b"), " instead of "),
    (re.compile(r"\blean(?:s|ing)?\s+on\b"), " pressure "),
    (re.compile(r"\bhold(?:s|ing)?\s+up\b|\bpush(?:es|ing|ed)?\s+back\b"), " delay "),
    (re.compile(r"\b(?:go|goes|going|went|gone)\s+up\b"), " rise "),
    (re.compile(r"\bhit(?:s|ting)?\s+back\b"), " retaliate "),
    (re.compile(r"\bin\s+the\s+end\b"), " finally "),
    (re.compile(r"\bafter\s+noon\b"), " afternoon "),
    (re.compile(r"°\s*c\b"), " degrees "),
    (re.compile(r"\bwhat\s+(?:exactly\s+)?(?:counts|qualifies)\s+as\b"), " what "),
]


def _content(norm: str) -> dict[str, str]:
    """Content words of normalised text, in order: canonical stem -> the word as written."""
    for rx, repl in _PHRASES:
        norm = rx.sub(repl, norm)
    out: dict[str, str] = {}
    for word in re.findall(r"[a-z][a-z0-9]*", norm):
        if len(word) > 1 and not (
            word in STOP_WORDS or word in _EXTRA_STOP or word in _NUMBER_WORDS
        ):
            out.setdefault(_SYNONYMS.get(_stem(word), _stem(word)), word)
    return out


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
# Spaces join a name ("Zangezur Corridor"); a hyphen joins two ("Russian-Iranian").
_CAPITAL_RUN = re.compile(r"(?<![\w'’\-])[A-Z][\w'’]*(?:\s+[A-Z][\w'’]*)*")


def _capital_runs(text: str) -> list[frozenset[str]]:
    """Content words of each run of capitals inside a sentence ("the Zangezur Corridor")."""
    runs = []
    for sentence in _SENTENCE.split(text.strip()):
        for m in _CAPITAL_RUN.finditer(sentence):
            # A sentence's first word has a capital anyway.
            run = m.group() if m.start() else "".join(m.group().split(maxsplit=1)[1:])
            if words := frozenset(_content(_normalise(run))):
                runs.append(words)
    return runs


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
