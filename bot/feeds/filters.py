"""Which entries a subscription lets through: include and exclude rules on an entry's fields.

A rule is ``include|exclude <field> <pattern>``. The field is title, author, category (the
entry's tags), link or text. The pattern is words (case-folded, matched as whole words, all
of them; a ``"quoted phrase"`` must appear as such) or ``re:`` and a regular expression, run
with RE2 (google-re2): its time is linear in the text, so no pattern can stall the poller.
Include rules are OR'ed (none: everything is included); an exclude rule that matches wins.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import re2

if TYPE_CHECKING:  # the config reads filters too, without loading the feed parsers
    from bot.feeds.document import FeedEntry

FIELDS = ("title", "author", "category", "link", "text")
KINDS = ("include", "exclude")
MAX_PATTERN = 300
_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"\w+")
_WORD_CHAR = re.compile(r"\w")


class FilterError(ValueError):
    """A rule that cannot be used; the message says why in plain words."""


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str  # 'include' | 'exclude'
    field: str
    pattern: str

    def __str__(self) -> str:
        return f"{self.field} {self.pattern}"


def rule(kind: str, field: str, pattern: str) -> Rule:
    """A checked rule (raises :class:`FilterError` on a bad one)."""
    kind, field, pattern = kind.lower(), field.lower(), pattern.strip()
    if kind not in KINDS:
        raise FilterError(f"a filter is include or exclude, not '{kind}'")
    if field not in FIELDS:
        raise FilterError(f"a filter's field is one of {', '.join(FIELDS)}, not '{field}'")
    if not pattern:
        raise FilterError('a filter needs a pattern: words, a "quoted phrase" or re:<regex>')
    if len(pattern) > MAX_PATTERN:
        raise FilterError(f"a filter's pattern is at most {MAX_PATTERN} characters")
    if pattern.startswith("re:"):
        _regex(pattern[3:])
    elif not _terms(pattern):
        raise FilterError(f"the pattern '{pattern}' has no word to look for")
    return Rule(kind, field, pattern)


@functools.lru_cache(maxsize=1024)
def _regex(source: str) -> re2._Regexp:
    if not source:
        raise FilterError("re: needs a regular expression after it")
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(source, options)
    except re2.error as exc:
        why = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise FilterError(
            f"'{source}' is not a regular expression I can run ({why}); RE2 syntax, "
            "without backreferences or lookaround"
        ) from None


@functools.lru_cache(maxsize=1024)
def _terms(pattern: str) -> tuple[tuple[str, ...], ...]:
    """The pattern's terms, each a run of case-folded words (a phrase: several)."""
    terms = []
    for quoted, bare in re.findall(r'"([^"]*)"|(\S+)', pattern):
        words = tuple(w.casefold() for w in _WORD.findall(quoted or bare))
        if words:
            terms.append(words)
    return tuple(terms)


def field_text(entry: FeedEntry, field: str) -> str:
    if field == "title":
        return entry.title
    if field == "author":
        return entry.author
    if field == "category":
        return "\n".join(entry.categories)
    if field == "link":
        return entry.link
    return html.unescape(_TAG.sub(" ", entry.content or entry.description))


def matches(r: Rule, entry: FeedEntry, seen: dict[str, str] | None = None) -> bool:
    """Whether the rule's pattern is found in the entry's field (``seen`` keeps each field's
    text and words for the entry's other rules)."""
    seen = {} if seen is None else seen
    if r.pattern.startswith("re:"):
        if (text := seen.get(r.field)) is None:
            text = seen[r.field] = field_text(entry, r.field)
        return _regex(r.pattern[3:]).search(text) is not None
    key = f"{r.field} folded"
    if (folded := seen.get(key)) is None:
        if (text := seen.get(r.field)) is None:
            text = seen[r.field] = field_text(entry, r.field)
        folded = seen[key] = text.casefold()
    return all(_found(t, folded) for t in _term_regexes(r.pattern))


def _found(term: re.Pattern[str], folded: str) -> bool:
    """Whether ``term`` matches at the start of a word of ``folded``.

    The start is checked here, not with a leading ``(?<!\\w)`` in the pattern: a pattern that
    begins with its first word's letters lets ``re`` skip ahead to where they occur, which
    made a search on a 2.4 KB entry text 33 times faster (47 µs to 1.4 µs). A hit inside a
    word moves the search on by one character, so a later hit that overlaps it is not missed.
    """
    pos = 0
    while (m := term.search(folded, pos)) is not None:
        start = m.start()
        if start == 0 or _WORD_CHAR.match(folded, start - 1) is None:
            return True
        pos = start + 1
    return False


@functools.lru_cache(maxsize=1024)
def _term_regexes(pattern: str) -> tuple[re.Pattern[str], ...]:
    """One compiled search per term of a words pattern, on the case-folded text.

    A term matches when its words follow each other as whole words: in the text's runs of
    ``\\w`` characters, the term's words appear one after the other. That is the regular
    expression ``w1\\W+w2...(?!\\w)`` found at the start of a word (:func:`_found`).
    Searching for it, compiled once per pattern, reads the text in C and stops at the first
    match, where splitting the text into a list of words and joining them (what this did
    before, once per entry and field) built a string per word of every entry (issue 15's
    bench: about 33 ms a cycle). The words of a term are literal (escaped) and only ever
    ``\\w`` runs, so no pattern can backtrack.
    """
    return tuple(
        re.compile(r"\W+".join(re.escape(w) for w in term) + r"(?!\w)") for term in _terms(pattern)
    )


def held_by(
    rules: Sequence[Rule], entry: FeedEntry, seen: dict[str, str] | None = None
) -> Rule | None:
    """The rule that keeps ``entry`` out (an exclude that matched, or the first include when
    none matched), or None when it passes. ``seen`` (one per entry) shares each field's
    text, stripped and case-folded once, across the rules of every subscription."""
    seen = {} if seen is None else seen
    for r in rules:
        if r.kind == "exclude" and matches(r, entry, seen):
            return r
    includes = [r for r in rules if r.kind == "include"]
    if includes and not any(matches(r, entry, seen) for r in includes):
        return includes[0]
    return None


def why_held(r: Rule) -> str:
    """How status and preview say it: excluded by `title re:^Sponsored`."""
    if r.kind == "exclude":
        return f"excluded by `{r}`"
    return f"matches no include filter (such as `{r}`)"


def parse_spec(text: str) -> Rule:
    """A rule written as one string: ``exclude title re:^Sponsored`` (the config's form)."""
    parts = text.strip().split(None, 2)
    if len(parts) < 3:
        raise FilterError(
            f"'{text}' is not a filter: write include|exclude <field> <pattern>, "
            "e.g. exclude title re:^Sponsored"
        )
    return rule(*parts)
