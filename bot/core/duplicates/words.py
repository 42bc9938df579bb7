"""The lexicon: normalising, stemming, stop words, synonyms, generic words, phrases, numbers."""

from __future__ import annotations

import re

from ..questions import STOP_WORDS


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


# --- number words ----------------------------------------------------------------------------

_NUMBER_WORDS = {
    w: str(n)
    for n, ws in enumerate(
        _words("""_ one,once two,second,twice three,third,thrice four,fourth five,fifth six,sixth
seven,seventh eight,eighth nine,ninth ten,tenth eleven,eleventh twelve,twelfth""")
    )
    for w in ws.split(",")
    if n
} | {"twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "half": "0.5"}


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
