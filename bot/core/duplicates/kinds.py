"""What kind of thing a question asks (the intent regexes), and its numbers, negation, time."""

from __future__ import annotations

import re

from .words import _NUMBER_WORDS, _words

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
