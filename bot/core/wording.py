"""Counts and lists of names as English reads them: "1 entry", "2 entries", "Dana and Lee"."""

from __future__ import annotations

from collections.abc import Iterable

_IRREGULAR = {"entry": "entries", "reply": "replies", "is": "are", "was": "were"}


def plural(n: int, singular: str, many: str | None = None) -> str:
    """``singular`` or its plural, as ``n`` asks (without the number)."""
    if n == 1:
        return singular
    if many is not None:
        return many
    if singular in _IRREGULAR:
        return _IRREGULAR[singular]
    if singular.endswith(("s", "x", "sh", "ch")):
        return singular + "es"
    return singular + "s"


def count(n: int, singular: str, many: str | None = None) -> str:
    """``n`` and the noun that goes with it: "1 vote", "3 votes", "0 entries"."""
    return f"{n} {plural(n, singular, many)}"


def names(labels: Iterable[str], *, limit: int = 5) -> str:
    """Distinct names joined as a sentence: "Dana", "Dana and Lee", "Ana, Bo and Lu";
    past ``limit``, "Ana, Bo, Cy, Di, Ed and 3 others"."""
    unique = list(dict.fromkeys(label for label in labels if label))
    if not unique:
        return ""
    if len(unique) > limit:
        rest = len(unique) - limit
        return f"{', '.join(unique[:limit])} and {count(rest, 'other')}"
    if len(unique) == 1:
        return unique[0]
    return f"{', '.join(unique[:-1])} and {unique[-1]}"
