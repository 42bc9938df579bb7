"""Explicit references to a point, in six languages: "point 3", "Rule 2:", "re #12:", "tip 4",
"the third point", "el tercer punto", "Punkt 6", "le point 3", "terzo punto", "the last point",
"the 'finally' one", "point III"; "step 2" and a bare "Third:" only where the article's points
are steps or ordinals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.models import Article
from bot.core.numbers import NUMBER_WORDS

from .lexicon import rx, words

_STEP_MARKERS = frozenset(words("step paso passo schritt étape etapa"))
_ORDINALS = [
    words("first primer primero primera primeiro primeira premier première primo prima erste"),
    words("second segundo segunda deuxième seconde secondo seconda zweite"),
    words("third tercer tercero tercera terceiro terceira troisième terzo terza dritte"),
    words("fourth cuarto cuarta quarto quarta quatrième vierte"),
    words("fifth quinto quinta cinquième fünfte"),
    words("sixth sexto sexta sixième sesto sesta sechste"),
    words("seventh séptimo séptima sétimo sétima septième settimo settima siebte"),
    words("eighth octavo octava oitavo oitava huitième ottavo ottava achte"),
    words("ninth noveno novena nono nona neuvième neunte"),
    words("tenth décimo décima dixième decimo decima zehnte"),
]
_LEAD_ORDINALS = {
    **{w: i for i, ws in enumerate(_ORDINALS, 1) for w in ws},
    **dict.fromkeys(words("firstly secondly thirdly finally lastly"), 0),
    **{"firstly": 1, "secondly": 2, "thirdly": 3},
}
_VALUES: dict[str, int] = {w: i for i, ws in enumerate(NUMBER_WORDS, 1) for w in ws}
for _i, _ws in enumerate(_ORDINALS, 1):
    _VALUES.update(dict.fromkeys(_ws, _i))
    _VALUES.update({w + s: _i for w in _ws if w.endswith("e") for s in "nmrs"})  # "dritten"
_ROMAN = words("I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI XVII XVIII XIX XX")
_VALUES.update({r: i for i, r in enumerate(_ROMAN, 1)})

_NOUN = r"""(?:points?|pts?\.?|items?|sections?|rules?|tips?|lessons?|mistakes?|reasons?|puntos?
    |pontos?|punkte?s?|reglas?|regras?|règles?|regeln?|regol[ae]|consejos?|dicas?|conseils?
    |consigli|tipps?|lecci[oó]n|leçon|lektion|lezione|lição|errors?|erreurs?|errore|erro|fehler)"""
_STEP = r"(?:steps?|pasos?|passos?|schritte?s?|étapes?|etapas?)"
_NUMS = "|".join(sorted((w for w in _VALUES if not w.isupper()), key=len, reverse=True))
_NOUN_HEADS = tuple(
    words("""point pt item section rule tip lesson mistake reason punt pont punk regl regr règl
    rege rego conse dica consigl lecc leçon lektion lezion liç error erreur erro fehler step
    pas schritt étape etapa""")
)
# A noun and a number after it: "point 3", "Rule 2", "Punkt IV", "points 2 and 3", "step 4".
_NOUN_REF = rx(rf"""
    (?:\b(?P<noun>{_NOUN}|{_STEP})|§)
    (?P<after>\s*(?:(?:number|no\.?|nr\.?|n\.?º|n°)\s*|\#\s*)?
      (?P<num>\d{{1,3}}(?![\d%,.]\d)(?!\s*(?:percent|%|years?|months?|weeks?|days?|hours?|times
        |million|billion|minutes?)\b)|(?:{_NUMS})\b|(?-i:[IVX]{{1,5}})\b)
      (?P<more>(?:\s*(?:,|&|\band\b|\bor\b|\bund\b|\by\b|\bet\b|\be\b|-|–)\s*\d{{1,3}}\b)*))?
""")
# The rest, each cheap to look for: "#3", "re 2:", "the 'finally' one".
_OTHER_REF = rx(r"""
    (?P<fin>['"‘“«]\s*(?:finally|lastly|enfin|infine|finalmente|zuletzt|schließlich)\s*['"’”»]
        \s+(?:one|point|bit|part|section))
  | (?<![\w\#&/])\#(?P<hash>\d{1,2})(?![\w\-])
  | ^\s*re(?::\s*\#?(?P<re>\d{1,2})\b|\s+\#?(?P<re2>\d{1,2})\s*[:.)\-–—])
  | \bthe\s+(?P<one>last|final|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth
        |\d{1,2}(?:st|nd|rd|th))\s+one\b(?!\s+(?:of|who|that|which|i|you|we|they)\b)
  | \b(?:nr|no|nº|n°)\.?\s*(?P<nr>\d{1,2})\b(?=\s*[,:.)\-–—])
""")
# The word before a noun that makes it a reference: "the third point", "el último punto".
_BEFORE = re.compile(r"(\S+)\s+$")
_ORDINAL_BEFORE = re.compile(r"^(?:\d{1,2}(?:st|nd|rd|th|º|ª|°|e|ème|eme))$", re.IGNORECASE)
_LAST_WORDS = frozenset(words("last final último última ultimo ultima dernier dernière"))
_LAST_WORDS |= frozenset(words("letzte letzten letzter letztes letztem"))
_ORDINAL_VALUES = {w: v for w, v in _VALUES.items() if not w.isupper()}
_ORDINAL_VALUES = {
    w: v for w, v in _ORDINAL_VALUES.items() if any(w.startswith(o) for o in _ORDINALS[v - 1])
}
# "Third: is it mandatory?" names point 3 only on an article whose points are ordinals.
_LEAD = re.compile(r"^\s*([^\W\d_]+)\s*[:,—–-]", re.IGNORECASE)
# "at some point 2 years ago", "my third point": words before a match that make it no reference.
_NOT_REF_BEFORE = frozenset(words("some this that any every which what no a my our mi mon mein"))
LAST = -1
_STEP_GATE = re.compile(r"step|pas|schritt|étape|etapa", re.IGNORECASE)
_ENGLISH_NOUNS = tuple(words("point pt item section rule tip lesson mistake reason error step"))


@dataclass(frozen=True, slots=True)
class Ref:
    number: int  # LAST for "the last point"
    also: tuple[int, ...]  # further numbers in "points 2 and 3"
    weak: bool  # "#3" is often something else: out of range, it is ignored, not "missing"
    step: bool = False  # "step 2": a point only where the points are steps
    said: str = ""  # the words that made the reference


def _value(raw: str) -> int:
    digits = re.match(r"\d+", raw)
    return int(digits.group()) if digits else _VALUES.get(raw.lower(), _VALUES.get(raw, 0))


def references(text: str) -> list[Ref]:
    """Every reference in ``text``, in order; the caller checks them against the article."""
    found: list[tuple[int, Ref]] = []
    lower = text.lower()
    # Substring tests first: most messages hold no noun, and the pattern tries ~50 at a time.
    if "§" in text or any(head in lower for head in _NOUN_HEADS):
        for m in _NOUN_REF.finditer(text):
            ref = _noun_ref(text, m)
            if ref is not None:
                found.append((m.start(), ref))
    if (
        "#" in text
        or "'" in text
        or '"' in text
        or "re" in text[:6].lower()
        or "‘" in text
        or " one" in lower
        or "nr" in lower
        or "no." in lower
        or "nº" in lower
        or "n°" in lower
    ):
        for m in _OTHER_REF.finditer(text):
            said = " ".join(m.group(0).split())
            if m.group("fin"):
                found.append((m.start(), Ref(LAST, (), weak=False, said=said)))
            elif one := m.group("one"):
                word = one.lower()
                value = LAST if word in ("last", "final") else _value(word)
                found.append((m.start(), Ref(value, (), weak=False, said=said)))
            elif m.group("nr"):
                found.append((m.start(), Ref(int(m.group("nr")), (), weak=False, said=said)))
            else:
                value = int(m.group("hash") or m.group("re") or m.group("re2"))
                weak = m.group("hash") is not None
                found.append((m.start(), Ref(value, (), weak=weak, said=said)))
    found.sort(key=lambda pair: pair[0])
    return [r for _, r in found if r.number != 0]


def _noun_ref(text: str, m: re.Match[str]) -> Ref | None:
    noun = (m.group("noun") or "").lower()
    step = re.match(_STEP, noun) is not None
    prev = _BEFORE.search(text, max(0, m.start() - 24), m.start())
    before = prev.group(1).lower().strip("'\"‘“«(") if prev else ""
    if m.group("num") is not None:
        raw = m.group("num")
        # "a point 2 years ago" is no reference, "a regra 1" (Portuguese "the") is.
        foreign = not noun.startswith(_ENGLISH_NOUNS)
        if before in _NOT_REF_BEFORE and not (before == "a" and foreign):
            return None
        # "the point I made" is a pronoun, not Roman one.
        if raw == "I" and re.match(r"\s*[A-Za-z]", text[m.end("num") :]):
            return None
        more = tuple(int(n) for n in re.findall(r"\d+", m.group("more") or ""))
        said = " ".join(text[m.start() : m.end("num")].split())
        return Ref(_value(raw), more, weak=False, step=step, said=said)
    if not before or not noun:
        return None
    said = " ".join(text[prev.start(1) if prev else m.start() : m.end("noun")].split())
    if before in _LAST_WORDS:
        return Ref(LAST, (), weak=False, step=step, said=said)
    value = _ORDINAL_VALUES.get(before) or (_value(before) if _ORDINAL_BEFORE.match(before) else 0)
    if value:
        # "my third point" is the reader's own, not the article's.
        two_before = _BEFORE.search(text, max(0, m.start() - 40), prev.start(1) if prev else 0)
        if two_before and two_before.group(1).lower() in _NOT_REF_BEFORE - {"a"}:
            return None
        return Ref(value, (), weak=False, step=step, said=said)
    return None


def for_article(text: str, article: Article | None) -> list[Ref]:
    """The references that name points of ``article``: "the last point" becomes its number,
    "step 2" counts only if its points are steps, a bare "Third:" only if they are ordinals."""
    refs = references(text)
    if article is None or not article.points:
        return [r for r in refs if r.number != LAST]
    markers = {p.marker for p in article.points}
    steps = bool(markers & _STEP_MARKERS)
    last = article.points[-1].number
    out = [
        Ref(last, (), False, r.step, r.said) if r.number == LAST else r
        for r in refs
        if steps or not r.step
    ]
    if not out and "ordinal" in markers and (m := _LEAD.match(text)):
        number = _LEAD_ORDINALS.get(m.group(1).lower())
        if number is not None:
            out.append(Ref(number or last, (), False, said=m.group(1)))
    return out


def step_in_point(text: str, article: Article) -> tuple[int, str] | None:
    """ "Step 2: ..." on an article whose steps sit inside one point: that point."""
    if not _STEP_GATE.search(text):
        return None
    for r in references(text):
        if not r.step:
            continue
        needle = re.compile(rf"\b{_STEP}\s*{r.number}\b", re.IGNORECASE)
        hits = [p.number for p in article.points if needle.search(p.body)]
        if len(hits) == 1:
            return hits[0], f"'{r.said}' is inside point {hits[0]}"
    return None


def explicit_point_reference(text: str) -> int | None:
    """The first point number the text names ("point 3", "#3", "the third point", "pt. III")."""
    refs = [r for r in references(text) if r.number != LAST]
    return refs[0].number if refs else None
