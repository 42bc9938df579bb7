"""Reading a number a person typed: one rule for every command, slash command and CLI flag.

A number is ASCII digits only (``0``-``9``, no sign, no ``_``, no spaces), at most
``MAX_NUMBER``: the largest id SQLite's signed 64-bit INTEGER holds. ``str.isdigit`` and
``int`` accept far more (``²``, ``③``, ``١٢``, ``１２``, ``1_000``, `` 12 ``), and a number past
64 bits raises ``OverflowError`` in the database driver; anything outside this rule is not a
number here, and the caller answers with its usage line. Pure; no I/O.
"""

from __future__ import annotations

# One to ten written out in the six languages the bot reads (English, Spanish, Portuguese,
# French, Italian, German): point references ("point two", "punto tres") and markers ("Step
# one:") read them. Only words that mean nothing else: "un"/"um" (also "a") are left out.
NUMBER_WORDS = (
    ("one", "uno", "eins"),
    ("two", "dos", "dois", "duas", "deux", "due", "zwei"),
    ("three", "tres", "três", "trois", "tre", "drei"),
    ("four", "cuatro", "quatro", "quatre", "quattro", "vier"),
    ("five", "cinco", "cinq", "cinque", "fünf"),
    ("six", "seis", "sei", "sechs"),
    ("seven", "siete", "sete", "sept", "sette", "sieben"),
    ("eight", "ocho", "oito", "huit", "otto", "acht"),
    ("nine", "nueve", "nove", "neuf", "neun"),
    ("ten", "diez", "dez", "dix", "dieci", "zehn"),
)
MAX_NUMBER = 2**63 - 1  # SQLite INTEGER is a signed 64-bit value
# Discord's integer options carry at most 2^53 - 1 (a double's exact range), so the slash
# commands bound their options there; the text commands reach MAX_NUMBER.
MAX_SLASH_NUMBER = 2**53 - 1
_MAX_DIGITS = len(str(MAX_NUMBER))


def read_number(text: str, *, lowest: int = 0, highest: int = MAX_NUMBER) -> int | None:
    """``text`` as an int in ``lowest..highest`` if it is only ASCII digits, else None."""
    if not text or len(text.lstrip("0")) > _MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    value = int(text.lstrip("0") or "0")  # leading zeros: no 4300-digit limit to trip
    return value if lowest <= value <= highest else None


def number(text: str) -> int:
    """A number from 1 to ``MAX_NUMBER`` (argparse's ``type=``; its error names "number")."""
    value = read_number(text, lowest=1)
    if value is None:
        raise ValueError(f"not a number from 1 to {MAX_NUMBER}: {text!r}")
    return value
