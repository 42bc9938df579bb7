"""Is a chat message a question for the author, and which point of the article is it about?

Pure and rule-based: regexes and small word lists, and every verdict carries a short reason
naming the rule that fired, so a wrong call can be explained and the rule fixed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from bot.core.models import Article


@dataclass(frozen=True, slots=True)
class Classification:
    """What the core decided about one chat message."""

    is_question: bool
    point: int | None  # resolved point number, or None (= the whole article / unknown)
    reason: str  # short plain-words why
    missing_point: int | None = None  # an explicit reference to a point that does not exist
    source: str = "none"  # "explicit" | "thread" | "reply" | "phrase" | "none"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.VERBOSE)


def _words(text: str) -> list[str]:
    return text.split()  # word lists read better as one string than as a list literal


# --- is it a question? -----------------------------------------------------------------------

_URL = re.compile(r"https?://\S+|www\.\S+")
# Quoted spans; a straight or curly single quote only counts as a quote mark when it is not
# an apostrophe inside a word ("Iran's", "it’ll").
QUOTED = re.compile(r"\"([^\"\n]+)\"|“([^”\n]+)”|‘([^‘\n]+?)’(?!\w)|(?<!\w)'([^'\n]+?)'(?!\w)")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_LEAD_MENTION = re.compile(r"^(?:@([\w.:\-]+)|<@!?(\d+)>)")
_TRAIL_MENTION = re.compile(r"[,\s]@([\w.:\-]+)[\s?!.]*$")
_VOCATIVE = re.compile(
    r"^(?:(?:hey|hi|hello|dear)\s+)?((?:(?:[Mm]rs?|[Mm]s|[Dd]r|[Pp]rof)\.?\s*)?"
    r"[A-Z][\w'\-]*(?:\s+[A-Z][\w'\-]*)?)\s*[,:]\s+(.*)",
    re.DOTALL,
)
_YOU = re.compile(r"\byou(?:r|rs|rself)?\b", re.IGNORECASE)
# Capitalised words that open a sentence with a comma but are not someone's name.
_OPENERS = frozenset(
    _words("""so well ok okay yes yeah no nope but and also sorry thanks honestly
seriously really wait hmm um uh oh ah again anyway interesting great now then first second third
finally still however besides actually question q re ps btw note edit update look listen fine sure
right true agreed overall personally frankly basically clearly obviously respectfully lastly quick
one plus yet indeed exactly absolutely correct cool nice wow lol i in on as if hi hello hey hiya
greetings dear please pls kindly""")
)
_AUTHOR_WORDS = frozenset(_words("author sir madam professor prof doc dr mr mrs ms"))
_TO_OTHERS = _rx(r"""
    ^(?:does|did|has|have|is|can|could|would|will|do)\s+(?:anyone|anybody|someone|somebody
        |everyone|everybody|others|other\s+readers|people)\b
  | \b(?:anyone|anybody)\s+else\b | ^(?:anyone|anybody|someone|somebody)\b
  | \b(?:can|could|would|will)\s+(?:anyone|anybody|someone|somebody)\b
  | \bwhat\s+do\s+(?:you\s+all|y'all|you\s+guys|you\s+folks|others|other\s+people|people
        |folks|readers|we\s+all)\s+think\b
  | ,\s*(?:you\s+all|y'all|you\s+guys|you\s+folks|fellow\s+readers|folks|guys|everyone
        |everybody|all)\s*[?!.]*$
  | ^(?:everyone|everybody|folks|guys|all|y'all)\s*[,:]
""")
_FILLER = _rx(
    r"^(?:(?:hi|hello|hey)\b[^,!?]*[,!]\s*)?(?:(?:and|but|so|oh|well|wait|lol|haha)[,\s]+)*"
)
# Applied to a sentence without its fillers and final ?!.: a whole sentence, an opening, or a
# tag ("..., right?") that asks nothing of the author.
_RHETORICAL = _rx(r"""
    ^(?:right|really|seriously|huh|eh|no|what|wtf|how\s+about\s+that|guess\s+what|who\s+cares
        |what\s+else\s+is\s+new|what's\s+new|am\s+i\s+(?:right|wrong)|isn't\s+it|come\s+on
        |don't\s+you\s+think|surprise,?\s+surprise|need\s+i\s+say\s+more|what's\s+up|sup
        |how\s+(?:are|r)\s+(?:you|u|things)(?:\s+(?:all|doing|today))?|how's\s+it\s+going
        |how\s+(?:is|'s)\s+everyone|how\s+do\s+you\s+do)$
  | ^(?:who\s+knew|who\s+(?:would|could)(?:'ve|\s+have)\s+(?:thought|guessed|known)
        |what\s+could\s+(?:possibly\s+)?go\s+wrong|is\s+it\s+any\s+wonder|how\s+convenient
        |why\s+am\s+i\s+not\s+surprised|what\s+a\s+(?:surprise|coincidence|joke)
        |(?:can|would)\s+you\s+believe|(?:isn't|is\s+not|wasn't|ain't)\s+(?:it|that|this)
        \s+(?:obvious|clear|ironic|funny|rich|convenient|amazing|telling|a\s+coincidence))\b
  | ,\s*(?:right|no|eh|huh|yes|innit|isn't\s+it|aren't\s+they|am\s+i\s+right|correct
        |don't\s+you\s+think|wouldn't\s+you\s+say|(?:isn't|is\s+not)\s+(?:it|that)
        \s+(?:obvious|clear))$
""")
# Verbs a reader uses to ask the author for more ("could you ___", "please ___").
_ASK_VERB = r"""(?:explain|clarify|elaborate|expand|say\s+more|tell\s+(?:me|us)|share|define|unpack
    |describe|justify|cite|comment|address|go\s+into|spell\s+out|give|provide|walk\s+(?:me|us)
    |talk|speak|confirm|shed|add|help\s+(?:me|us)|point\s+(?:me|us)|more\s+(?:on|about))\b"""
_REQUEST = _rx(rf"""
    (?P<polite_request>\b(?:please|pls|plz|kindly)\b[^.!?]{{0,60}}?\b{_ASK_VERB})
  | (?P<imperative>^(?:(?:so|and|also|but|now|ok|okay|then),?\s+)?(?:explain|clarify|elaborate
        |expand\s+on|define|describe|unpack|justify|spell\s+out|tell\s+(?:me|us)|say\s+more
        |walk\s+(?:me|us)\s+through|help\s+(?:me|us)\s+understand)\b)
  | (?P<can_you>\b(?:(?:can|could|would|will|might)\s+you|if\s+you\s+(?:could|would|can))\s+
        (?:please\s+|kindly\s+|maybe\s+|perhaps\s+)?{_ASK_VERB})
  | (?P<would_like>(?:\bi(?:'d|\s+would)|^would)\s+(?:really\s+)?(?:like|love|appreciate)\s+
        (?:to\s+(?:know|hear|understand|ask|learn|see\s+(?:more|your|a\s+source|evidence))
        |you\s+to|it\s+if\s+you|(?:an?\s+|some\s+|more\s+)?(?:explanation|clarification
        |elaboration|details?|sources?|answer)))
  | (?P<wondering>\bi(?:'m|\s+am|\s+was)?\s+wondering\b|\bi\s+wonder\b)
  | (?P<wants_to_know>\b(?:i|we)\s+(?:want|need)\s+to\s+(?:know|understand|hear)\b)
  | (?P<curious>\b(?:curious|keen)\s+(?:to\s+(?:know|hear|learn)|why|what|how|whether|if|about)\b)
  | (?P<confused>\bnot\s+sure\s+(?:what|why|how)\s+you\b|\bi\s+(?:don't|do\s+not|didn't
        |can't|cannot)\s+(?:quite\s+)?(?:understand|get|follow|see)\s+(?:what|why|how|your
        |the\s+(?:part|bit|point|argument|claim|logic|link))\b)
  | (?P<asks_for_more>\b(?:more|further)\s+(?:details?|context|info|information|explanation
        |clarification)\s+(?:on|about|regarding|please)\b
        |\b(?:any|some)\s+(?:sources?|evidence|proof|references?|links?)\s+(?:for|on|about|to)\b)
  | (?P<asks_you>^(?:why|how|what|which|where|when|who)\s+(?:do|did|does|would|could|will|can
        |should|are|were|have)\s+you\b|\bwhat\s+(?:do|did)\s+you\s+mean\b|^how\s+come\b)
  | (?P<labelled>^(?:quick\s+|one\s+)?q(?:uestion)?\s*:|\bquestion\s+(?:for|to)\s+(?:you
        |the\s+author)\b|\bi(?:\s+have|\s+had|'ve|'ve\s+got)\s+a\s+(?:quick\s+)?question\b)
""")
_PRAISE = _rx(r"""^(?:great|interesting|excellent|good|nice|brilliant|superb|insightful
    |fascinating|informative|thought[-\s]provoking|well\s+(?:written|said|put|done)|spot\s+on
    |thanks|thank\s+you|agreed?|love\s+(?:this|it)|bravo|kudos|cheers|wow|i\s+agree)\b""")
_GREETING = _rx(r"^(?:hi|hello|hey|hiya|howdy|greetings|yo|good\s+(?:morning|afternoon|evening))\b")


def _short(s: str, limit: int = 40) -> str:
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _names_author(name: str, author: str) -> bool:
    words = set(re.findall(r"[a-z]+", name.lower()))
    return bool(words & _AUTHOR_WORDS) or bool(words & set(re.findall(r"[a-z]+", author.lower())))


def _addressee(text: str, author: str) -> str | None:
    """Who, other than the author, the whole message is addressed to (an @mention, 'Bob, ...')."""
    m = _LEAD_MENTION.match(text) or _TRAIL_MENTION.search(text)
    if m:
        name = next(g for g in m.groups() if g)
        return None if _names_author(name, author) else "@" + name
    m = _VOCATIVE.match(text)
    # A leading "Name," addresses someone only if the rest speaks to "you"; otherwise
    # "Russia, will it help?" would read as a message to Russia.
    if m and _YOU.search(m.group(2)):
        name = m.group(1)
        words = set(name.lower().split())
        if words.isdisjoint(_OPENERS) and words.isdisjoint(STOP_WORDS):
            return None if _names_author(name, author) else name
    return None


def is_question(text: str, *, author: str = "") -> tuple[bool, str]:
    """Whether ``text`` asks the author something, and the rule that decided it.

    ``author`` (the article's byline) lets "@Andrew ..." or "Andrew, ..." count as the author.
    """
    text = text.strip()
    if not text:
        return False, "empty message"
    addressee = _addressee(text, author)
    if addressee:
        return False, f"addressed to {addressee}, not the author"
    no_urls = _URL.sub(" ", text)
    unquoted = QUOTED.sub(" «» ", no_urls)
    notes: list[str] = []
    for sentence in _SENTENCE.split(unquoted):
        s = " ".join(sentence.replace("’", "'").lower().split())
        if not any(c.isalpha() for c in s):
            continue
        if _TO_OTHERS.search(s):
            notes.append(f"asks other readers ('{_short(s)}')")
        elif "?" in s:
            if _RHETORICAL.search(_FILLER.sub("", s).rstrip("?!. ")):
                notes.append(f"rhetorical ('{_short(s)}')")
            else:
                return True, "asks with a question mark"
        elif m := _REQUEST.search(s):
            rule = (m.lastgroup or "request").replace("_", " ")
            return True, f"asks for an answer ({rule}: '{_short(m.group(0), 30)}')"
    lowered = text.lower()
    if notes:
        return False, notes[0]
    if "?" in no_urls and "?" not in unquoted:
        return False, "question mark only inside a quote"
    if _GREETING.match(lowered):
        return False, "greeting"
    if _PRAISE.match(lowered):
        return False, "praise or agreement, no question"
    if "?" in unquoted:
        return False, "a question mark but no words asking anything"
    return False, "a remark: no question mark and no request"


# --- which point? ----------------------------------------------------------------------------

_NUMBER_WORDS = _words("""one two three four five six seven eight nine ten eleven twelve
thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty""")
_ORDINAL_WORDS = _words("""first second third fourth fifth sixth seventh eighth ninth tenth
eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth
twentieth""")
_ROMAN = _words("I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI XVII XVIII XIX XX")
_VALUES = {w: i for words in (_NUMBER_WORDS, _ORDINAL_WORDS) for i, w in enumerate(words, 1)}
_VALUES.update({r: i for i, r in enumerate(_ROMAN, 1)})
_REF = _rx(rf"""
    (?:\b(?:points?|pts?\.?|items?|sections?)|§)\s*(?:(?:number|no\.?)\s*|\#\s*)?
      (?P<num>\d{{1,3}}(?![\d%])(?!\s*(?:percent|years?|months?|weeks?|days?|hours?|times
        |million|billion)\b)|(?:{"|".join(_NUMBER_WORDS)})\b|(?-i:[IVX]{{1,5}})\b)
      (?P<more>(?:\s*(?:,|&|\band\b|\bor\b|-|–)\s*\d{{1,3}}\b)*)
  | \b(?P<ord>\d{{1,2}}(?:st|nd|rd|th)|{"|".join(_ORDINAL_WORDS)})\s+(?:point|item|section)\b
  | (?<![\w\#&/])\#(?P<hash>\d{{1,2}})(?![\w\-])
  | ^\s*re(?::\s*\#?(?P<re>\d{{1,2}})\b|\s+\#?(?P<re2>\d{{1,2}})\s*[:.)\-–—])
""")
# "at some point 2 years ago", "my third point": words before a match that make it no reference.
_NOT_REF_BEFORE = frozenset(_words("some this that any every which what no a my our"))


@dataclass(frozen=True, slots=True)
class _Ref:
    number: int
    also: tuple[int, ...]  # further numbers in "points 2 and 3"
    weak: bool  # "#3" is often something else: out of range, it is ignored, not "missing"


def _references(text: str) -> list[_Ref]:
    refs: list[_Ref] = []
    for m in _REF.finditer(text):
        before = text[max(0, m.start() - 12) : m.start()].lower().split()
        raw = m.group("num") or m.group("ord")
        if raw is not None:
            if before and before[-1] in _NOT_REF_BEFORE:
                continue
            # "the point I made" is a pronoun, not Roman one.
            if raw == "I" and re.match(r"\s*[A-Za-z]", text[m.end("num") :]):
                continue
            digits = re.match(r"\d+", raw)
            value = int(digits.group()) if digits else _VALUES.get(raw.lower(), _VALUES.get(raw, 0))
            more = tuple(int(n) for n in re.findall(r"\d+", m.group("more") or ""))
            refs.append(_Ref(value, more, weak=False))
        else:
            value = int(m.group("hash") or m.group("re") or m.group("re2"))
            refs.append(_Ref(value, (), weak=m.group("hash") is not None))
    return [r for r in refs if r.number > 0]


def explicit_point_reference(text: str) -> int | None:
    """The first point number the text names ("point 3", "#3", "the third point", "pt. III")."""
    refs = _references(text)
    return refs[0].number if refs else None


STOP_WORDS = frozenset(
    _words("""a about above after again against all also am an and any are as at be because
been before being below between both but by can could did do does doing down during each even few
for from further get got had has have having he her here hers him his how i if in into is it its
itself just like may me mean meant means might more most must my no nor not now of off on once one
only or other our out over own per please point points same she should so some such than that the
their them then there these they this those though through thus to too under until up upon very via
was we well were what when where which while who whom why will with would yet you your explain
clarify elaborate think know say said""")
)
# Sentence-like pieces; quote marks do not split, so “face-saving” stays inside its phrase.
_SEGMENT = re.compile(r"[.!?;:()\[\]\n]+")
# Words of three or more characters, and numbers of two or more digits ("S-400" gives "400").
_WORD = re.compile(r"\b(?:[a-z0-9]{3,}|\d\d)\b")


def _stem(word: str) -> str:
    # Plural-insensitive: "arms transfer" should still find "arms transfers".
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _runs(text: str) -> list[list[tuple[str, str]]]:
    """Content words (stem, word) of each sentence-like segment; stop words and noise dropped."""
    segments = _SEGMENT.split(text.lower().replace("’", "'"))
    return [[(_stem(w), w) for w in _WORD.findall(seg) if w not in STOP_WORDS] for seg in segments]


@dataclass(frozen=True, slots=True)
class _PhraseIndex:
    words: dict[str, set[int]]  # content word -> points it occurs in
    pairs: dict[tuple[str, str], set[int]]  # adjacent content words -> points
    texts: dict[int, str]  # " w w | w w " per point, to check a quoted phrase is contiguous


@lru_cache(maxsize=64)
def _phrase_index(article: Article) -> _PhraseIndex:
    """Built once per article: classify runs on every chat message."""
    words: dict[str, set[int]] = {}
    pairs: dict[tuple[str, str], set[int]] = {}
    texts: dict[int, str] = {}
    for p in article.points:
        runs = [[s for s, _ in run] for run in _runs(p.title + "\n" + p.body)]
        texts[p.number] = " " + " | ".join(" ".join(run) for run in runs) + " "
        for run in runs:
            for w in run:
                words.setdefault(w, set()).add(p.number)
            for pair in pairwise(run):
                pairs.setdefault(pair, set()).add(p.number)
    return _PhraseIndex(words, pairs, texts)


def _phrase_point(text: str, article: Article) -> tuple[int | None, str]:
    """A point named by a quoted phrase or word, else by a near-verbatim unquoted phrase."""
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
            return hits[0], f"quotes '{_short(quote)}' from point {hits[0]}"
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
        return None, f"phrases from points {_listing(sorted(found))}; about the whole article"
    return None, "names no point; about the whole article"


def _listing(numbers: list[int] | tuple[int, ...]) -> str:
    """'1–5' for a run of three or more, else '2 and 4' / '1, 3 and 5'."""
    if len(numbers) > 2 and list(numbers) == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}–{numbers[-1]}"
    *head, last = map(str, numbers)
    return f"{', '.join(head)} and {last}" if head else last


def _resolve(
    text: str, article: Article | None, thread_point: int | None, reply_point: int | None
) -> tuple[int | None, int | None, str, str]:
    """(point, missing_point, source, reason) in the documented order of precedence."""
    refs = _references(text)
    known = article.point_numbers if article is not None else None
    if known is not None:  # a thread or stored question of a point the article lacks: none
        thread_point = thread_point if thread_point in known else None
        reply_point = reply_point if reply_point in known else None
    valid = [r for r in refs if known is None or r.number in known]
    if valid:
        ref = valid[0]
        named = sorted({ref.number, *ref.also, *(r.number for r in valid)})
        if len(named) == 1:
            return ref.number, None, "explicit", f"names point {ref.number}"
        why = f"names points {_listing(named)}; took point {ref.number}"
        return ref.number, None, "explicit", why
    strong = [r for r in refs if not r.weak]
    if strong and known is not None:
        n = strong[0].number
        has = f"has points {_listing(known)}" if known else "has no numbered points"
        return None, n, "none", f"point {n} does not exist; the article {has}"
    if thread_point is not None:
        return thread_point, None, "thread", f"asked in point {thread_point}'s thread"
    if reply_point is not None:
        return reply_point, None, "reply", f"replies to a question about point {reply_point}"
    if article is not None and article.points:
        point, why = _phrase_point(text, article)
        return point, None, "phrase" if point is not None else "none", why
    return None, None, "none", "names no point; about the whole article"


def classify(
    text: str,
    article: Article | None,
    *,
    thread_point: int | None = None,
    reply_point: int | None = None,
) -> Classification:
    """Decide whether ``text`` is a question for the author and which point it is about.

    The point comes from, in order: an explicit reference, the thread it was asked in, the
    stored question it replies to, a quoted or near-verbatim phrase of one point; else None.
    """
    verdict, why = is_question(text, author=article.author if article is not None else "")
    point, missing, source, where = _resolve(text, article, thread_point, reply_point)
    return Classification(verdict, point, f"{why}; {where}", missing, source)
