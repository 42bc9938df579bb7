"""Small pure string helpers shared by the parsers and the summary renderer.

Conventions: a block's text has its whitespace collapsed to single spaces, except "\\n"
(a hard line break the author made) and "\\n\\n" (a paragraph break inside one block, such
as a list item holding two paragraphs). ``flat`` and ``paragraphs`` turn that into output.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.core.numbers import NUMBER_WORDS

ELLIPSIS = "…"

_INVISIBLE_CHARS = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
# Two spaces in a row, found faster by sre than by `"  " in text` (see squash).
_DOUBLE_SPACE = re.compile("  ").search
# The whitespace that occurs in practice, other than a single space. (Rarer Unicode spaces
# are left as they are: they read as spaces.)
_WS_NEEDLES = ("\n", "\t", "\r", "\x0b", "\x0c", "\xa0", "\u2009", "\u202f", "\u3000")

# A sentence ends at . ! ? or … (plus closing quotes/brackets) followed by whitespace.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_NEXT_CHAR = re.compile(r"\s*(\S)")
# Words whose trailing period does not end a sentence ("Mr. Putin", "U.S. President").
_ABBREVIATION_NAMES = (
    "mr mrs ms dr prof st sr jr vs no nos inc ltd co corp gen col lt sgt capt rep sen gov "
    "pres e.g i.e u.s u.k u.n jan feb mar apr jun jul aug sep sept oct nov dec fig approx"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_NAMES.split())

# Number words after a marker word ("Step one:", "Regla dos:", "Schritt drei -"): there a
# French "un" or Portuguese "um" is one too, since the marker's punctuation must follow.
_SPELT = {w: n for n, ws in enumerate(NUMBER_WORDS, 1) for w in ws} | {"un": 1, "um": 1}
_SPELT_WORDS = "|".join(sorted(_SPELT, key=len, reverse=True))
# A number marker at the start of a block: "3.", "3)", "(3)", "Point 3:", "III.", "Part II -".
_MARKER = re.compile(
    rf"""\s*(?:
        (?:point|part|step|reason|lesson|rule|tipp?|mistake|punkt|punto|ponto|paso|passo
          |schritt|étape|regla|regel|règle|regola|regra|number|no\.|\#)\s*(?:\#\s*)?
            (?:(?P<word>\d{{1,3}}|[ivxlc]{{1,7}})\b\s*[.):\-–—]?
              |(?P<spelt>{_SPELT_WORDS})\s*[.):\-–—])
      | \(?(?P<digits>\d{{1,3}})[.)](?=\s|$)\s*(?:[\-–—:]\s*)?
      | (?-i:(?P<roman>[IVXLC]{{1,7}}))[.)](?=\s|$)\s*(?:[\-–—:]\s*)?
    )\s*""",
    re.IGNORECASE | re.VERBOSE,
)
# The _MARKER branch for "3." and "3)", alone: for text that starts with a digit, the
# only branch that can match.
# "3." "3)" and, from e-mail newsletters, "3/" ("1/ Crate training ...").
_NUMBER_MARKER = re.compile(r"(?P<digits>\d{1,3})[.)/](?=\s|$)\s*(?:[\-–—:]\s*)?\s*")
_DIGITS = frozenset("0123456789")
_DOTS = frozenset(".)/")
_DASHES = frozenset("-–—:")
_MARKER_START = frozenset("0123456789(#IVXLCPpSsRrLlNnTtMmÉé")
_ALWAYS_START = frozenset("0123456789(#")
_ROMAN_START = frozenset("IVXLC")
_ROMAN_NEXT = frozenset("IVXLC.)")
_WORD_START = frozenset("PpSsRrlNnTtMmÉé")  # "L" may open "LX." as well as "Lesson"
_LESSON_HEADS = frozenset(("es", "e\u017f"))  # case-insensitive regex: "ſ" matches "s"
# In the six languages the bot reads: "Rule 2:", "Tip 4", "Punkt 3", "Paso 2", "Étape 1".
_MARKER_WORDS = (
    *("point", "part", "step", "reason", "lesson", "rule", "tip", "mistake", "number", "no."),
    *("punkt", "punto", "ponto", "paso", "passo", "schritt", "étape", "regla", "regel"),
    *("règle", "regola", "regra"),
)


def _marker_next() -> dict[str, str]:
    follow = dict.fromkeys("0123456789(#", "")  # a number: anything may come next
    for numeral in "IVXLC":
        follow[numeral] = "IVXLC.)"
    for word in _MARKER_WORDS:
        for first in (word[0], word[0].upper()):
            follow[first] = follow.get(first, "") + word[1] + word[1].upper()
    return follow


# What the second character of a text that opens with a marker can be, by its first
# character ("" for any; no entry: no marker starts so). Capitalised words often start
# like a marker ("Countries", "Leaders"); their second letter rules most of them out.
MARKER_NEXT = _marker_next()
_ROMAN_VALID = re.compile(r"^(?:C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})$")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


# Ordinal words that announce a point ("First, ...", "Finally: ...") in the six languages.
# LAST ("finally", "lastly") takes the number after the point before it.
LAST = 0
_ORDINAL_NUMBERS = {
    **dict.fromkeys(("first", "firstly", "primero", "premièrement", "erstens", "primo"), 1),
    **dict.fromkeys(("primeiro", "primeiramente"), 1),
    **dict.fromkeys(("second", "secondly", "segundo", "deuxièmement", "zweitens"), 2),
    **dict.fromkeys(("secondo", "secondement"), 2),
    **dict.fromkeys(("third", "thirdly", "tercero", "troisièmement", "drittens", "terzo"), 3),
    **dict.fromkeys(("terceiro",), 3),
    **dict.fromkeys(("fourth", "fourthly", "cuarto", "quatrièmement", "viertens", "quarto"), 4),
    **dict.fromkeys(("fifth", "fifthly", "quinto", "cinquièmement", "fünftens"), 5),
    **dict.fromkeys(("sixth", "sixthly", "sexto", "sixièmement", "sechstens", "sesto"), 6),
    **dict.fromkeys(("seventh", "séptimo", "septièmement", "siebtens", "settimo", "sétimo"), 7),
    **dict.fromkeys(("finally", "lastly", "enfin", "finalement", "schließlich", "zuletzt"), LAST),
    **dict.fromkeys(("infine", "finalmente", "por último", "por fim", "por fin"), LAST),
    # "Last: ..." (only with its punctuation: "Last year we ..." is no marker).
    "last": LAST,
}
_ORDINAL = re.compile(
    r"(?P<word>por (?:último|fim|fin)|[^\W\d_]+)\b(?P<punct>\s*[,:.\-–—]\s*|\s+)", re.IGNORECASE
)


_MARKER_WORD = re.compile("|".join(w for w in _MARKER_WORDS if w != "no."), re.IGNORECASE)


def marker_word(text: str) -> str:
    """The marker word a numbered block opens with ("step" for "Step 2: ..."), else ""."""
    if text[:1] in _ALWAYS_START:
        return ""  # "3. ...", "(3) ...": most numbered blocks, no word
    m = _MARKER_WORD.match(text)
    return m.group(0).lower() if m else ""


def split_ordinal(text: str) -> tuple[int, str, str] | None:
    """``(number, ordinal word, rest)`` if ``text`` opens with an ordinal ("Second, ..."),
    else None; the number is LAST for "Finally"/"Lastly". The caller decides whether the
    block is one that can be a point (a heading or a bold lead-in)."""
    m = _ORDINAL.match(text)
    if m is None:
        return None
    word = m.group("word")
    number = _ORDINAL_NUMBERS.get(word.lower())
    if number is None or (word.lower() == "last" and m.group("punct").isspace()):
        return None
    rest = text[m.end() :]
    return number, word, rest[:1].upper() + rest[1:] if rest else rest


def _visible(text: str) -> str:
    # Plain substring tests first: much cheaper than a regex pass on the common clean text.
    for ch in _INVISIBLE_CHARS:
        if ch in text:
            return _INVISIBLE.sub("", text)
    return text


def squash(text: str) -> str:
    """All whitespace runs as one space, invisible characters dropped, ends trimmed."""
    # Most text has single spaces only: substring tests are much cheaper than split/join.
    # isascii() is O(1), and ASCII text has no invisible or non-ASCII spaces to look for.
    # The tests are one `or` chain rather than a loop over needles (no per-needle
    # bytecode); the one-character needles are memchr scans. The double space comes last,
    # and by a compiled literal pattern: `"  " in text` is a slow search when the needle's
    # character is as common as a space (str's search steps about three characters at a
    # time in prose; sre's literal search about twice as fast: 0.28 against 0.61 µs for a
    # 725-character paragraph, CPython 3.11, docs/bench-parse.md).
    if text.isascii():
        if (
            "\n" in text
            or "\t" in text
            or "\r" in text
            or "\x0c" in text
            or "\x0b" in text
            or _DOUBLE_SPACE(text) is not None
        ):
            return " ".join(text.split())
        return text.strip()
    text = _visible(text)
    for needle in _WS_NEEDLES:
        if needle in text:
            return " ".join(text.split())
    if _DOUBLE_SPACE(text) is not None:
        return " ".join(text.split())
    return text.strip()


def clean(text: str) -> str:
    """Collapse spaces, keep single/double line breaks, drop invisible characters."""
    text = _visible(text)
    if "\n" not in text:
        return " ".join(text.split())
    out: list[str] = []
    blank = False
    for raw in text.split("\n"):
        line = " ".join(raw.split())
        if not line:
            blank = True
            continue
        if out:
            out.append("\n\n" if blank else "\n")
        out.append(line)
        blank = False
    return "".join(out)


# All whitespace, line breaks included, as single spaces: the same as squash, and an alias
# of it rather than a wrapper, which saves a call each time.
flat = squash


def paragraphs(text: str) -> list[str]:
    """The block's paragraphs (split at blank lines), each flattened; empty ones dropped."""
    return [p for p in (flat(part) for part in text.split("\n\n")) if p]


def roman_value(numeral: str) -> int | None:
    """The value of a well-formed Roman numeral up to 399, else None."""
    numeral = numeral.upper()
    if not numeral or not _ROMAN_VALID.match(numeral):
        return None
    total = 0
    for i, ch in enumerate(numeral):
        value = _ROMAN_VALUES[ch]
        nxt = _ROMAN_VALUES[numeral[i + 1]] if i + 1 < len(numeral) else 0
        total += -value if value < nxt else value
    return total


def may_be_numbered(text: str) -> bool:
    """A cheap pre-test for :func:`split_marker`: False means certainly no marker."""
    # Many capitalised words start with a numeral's or a marker word's letter ("Leaders",
    # "Countries", "Regional"); the next letter rules them out without the regex.
    first = text[:1]
    if first in _ALWAYS_START:
        return True
    if first in _ROMAN_START:
        # A numeral marker goes on with a numeral, "." or ")".
        return text[1:2] in _ROMAN_NEXT or (first == "L" and text[1:3].lower() in _LESSON_HEADS)
    if first in _WORD_START:
        return text[:7].lower().startswith(_MARKER_WORDS)
    return first.isspace() and _may_be_numbered_indented(text)


def _may_be_numbered_indented(text: str) -> bool:
    # The rule for text with leading whitespace (which block text never has), unchanged:
    # it looks at the first 8 characters only.
    text = text[:8].lstrip()
    first = text[:1]
    if first not in _MARKER_START:
        return False
    return first not in _WORD_START or text[:7].lower().startswith(_MARKER_WORDS)


def split_marker(text: str) -> tuple[int, str] | None:
    """``(number, rest)`` if ``text`` opens with a point number marker, else None."""
    if text[:1] in _DIGITS:
        # Most markers are "3. Title": read those without a regex. It is what
        # _NUMBER_MARKER matches when one or two digits and ".", ")" or "/" are followed by one
        # space and a character that is neither a space nor a dash or colon (a property
        # test holds the two to agreeing).
        dot = 1 if text[1:2] in _DOTS else 2 if text[1:2] in _DIGITS and text[2:3] in _DOTS else 0
        if dot and text[dot + 1 : dot + 2] == " ":
            after = text[dot + 2 : dot + 3]
            if after and not after.isspace() and after not in _DASHES:
                value = int(text[:dot])
                return (value, text[dot + 2 :]) if value else None
        # Otherwise a one-branch pattern finds "3." or "3)" faster than _MARKER.
        m = _NUMBER_MARKER.match(text)
    elif may_be_numbered(text):  # the pre-test: this runs on every block, the regex on few
        m = _MARKER.match(text)
    else:
        return None
    if m is None:
        return None
    # Exactly one of the named groups ("word", "digits", "roman") took part in the match.
    raw: str = m.group(m.lastindex) if m.lastindex else ""
    if m.lastgroup == "spelt":  # "Step one:": only with its punctuation ("Step one is ...")
        number = _SPELT.get(raw.lower())
    else:
        number = int(raw) if raw.isdigit() else roman_value(raw)
    if not number:
        return None
    return number, text[m.end() :]


def sentence_ends(text: str) -> Iterator[int]:
    """Offsets just after each sentence end in ``text`` (not counting the end of text)."""
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        nxt = _NEXT_CHAR.match(text, end)
        if nxt is None or nxt.group(1).islower():
            continue  # "e.g. this" or trailing punctuation: the sentence goes on
        start = m.start()
        if text[start] == ".":
            # Look only at the word before the dot, so this stays linear in len(text).
            lo = max(0, start - 40)
            word_start = max(text.rfind(" ", lo, start), text.rfind("\n", lo, start), lo - 1) + 1
            w = text[word_start:start].lstrip("\"'“‘(").lower()
            # "J. Smith": a lone initial is not a sentence end.
            if w in _ABBREVIATIONS or (len(w) == 1 and w.isalpha()):
                continue
        yield end


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` (the whole text when it has only one)."""
    end = next(sentence_ends(text), len(text))
    return text[:end].strip()


def cut_words(text: str, limit: int) -> str:
    """``text`` if it fits ``limit`` chars, else cut at a word boundary and ending "…"."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    head = text[: limit - 1]
    space = head.rfind(" ")
    # Cut mid-word only when the one word is too long to keep anything else.
    if space > limit // 3:
        head = head[:space]
    return head.rstrip(" ,;:–—-") + ELLIPSIS


def cut_sentences(text: str, limit: int) -> tuple[str, bool]:
    """The longest run of whole sentences (or paragraphs) fitting ``limit`` chars.

    Returns ``(text, was_cut)``. When even the first sentence is too long, the text is cut
    at a word boundary with "…" instead.
    """
    if len(text) <= limit:
        return text, False
    bounds = [i for i in sentence_ends(text[: limit + 40]) if i <= limit]
    para = text.rfind("\n\n", 0, limit + 1)
    best = max([*bounds, para])
    if best > 0:
        return text[:best].rstrip(), True
    return cut_words(text, limit), True
