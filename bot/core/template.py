"""A subscription's summary template: the heading line and which blocks follow it.

Pure value type and checks; no I/O, no platform imports. A template is checked when it is
set (:func:`heading_of`, :func:`blocks_of`, :func:`check`), never when a summary is posted:
every placeholder is replaced by a value cut to at most :data:`PLACEHOLDER_MAX` characters,
so the longest heading a template can produce is known from the template alone, and one
that could pass a platform's limit is refused with that reason before anything is posted.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Each placeholder and the most characters its value takes in a heading (longer values are
# cut at a word, ending with "…"; a longer link is replaced by the site's address).
PLACEHOLDER_MAX: dict[str, int] = {
    "title": 150,
    "author": 60,
    "feed": 60,
    "link": 200,
    "date": 10,  # YYYY-MM-DD (UTC), empty when the entry has no date
    "points_count": 3,
}
BLOCKS = ("subtitle", "intro", "points", "byline")
DEFAULT_HEADING = "{title}"
DEFAULT_BLOCKS = ("byline", "subtitle", "intro", "points")
# The longest heading each platform can carry: Discord shows it as an embed's title (256,
# bot.adapters.discord.render.EMBED_TITLE_LIMIT; a test keeps the two equal). Elsewhere the
# project's own cap: a quarter of the summary's 1900 characters (bot.core.summary), so the
# heading always leaves room for the blocks.
HEADING_LIMITS: dict[str, int] = {"discord": 256}
HEADING_LIMIT = 475


class TemplateError(ValueError):
    """A template that cannot be used; the message says why, in plain words."""


@dataclass(frozen=True, slots=True)
class Template:
    """The heading (with placeholders) and the blocks shown under it, in this order.

    The byline, when chosen, always sits right under the heading. ``intro`` next to
    ``subtitle`` shows only for an article without a subtitle (feeds often repeat one in
    the other), which is how the default reads.
    """

    heading: str = DEFAULT_HEADING
    blocks: tuple[str, ...] = DEFAULT_BLOCKS

    @property
    def is_default(self) -> bool:
        return self.heading == DEFAULT_HEADING and self.blocks == DEFAULT_BLOCKS

    def shown(self) -> str:
        """How ``!feed list`` / ``status`` describe it."""
        blocks = ",".join(self.blocks) or "none"
        return f'heading "{self.heading}", blocks {blocks}'

    def to_json(self) -> str:
        return json.dumps({"heading": self.heading, "blocks": list(self.blocks)})

    @classmethod
    def from_json(cls, raw: str | None) -> Template:
        """The stored template; None, or a row that is unreadable or would not format, is
        the default."""
        if not raw:
            return DEFAULT
        try:
            data = json.loads(raw)
            found = cls(str(data["heading"]), tuple(str(b) for b in data["blocks"]))
            placeholders(found.heading)  # checked when set; a hand-edited row is not trusted
        except (ValueError, KeyError, TypeError):  # TemplateError is a ValueError
            return DEFAULT
        return found if set(found.blocks) <= set(BLOCKS) else DEFAULT


DEFAULT = Template()


def placeholders(heading: str) -> list[str]:
    """The placeholders of ``heading``, in order; TemplateError for a malformed one."""
    found: list[str] = []
    try:
        parts = list(string.Formatter().parse(heading))
    except ValueError as exc:
        raise TemplateError(_brace_reason(heading, str(exc))) from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDER_MAX:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDER_MAX)
            what = "{" + name + "}" if name else "{}"
            raise TemplateError(f"the heading has an unknown placeholder {what}; use {known}")
        if spec or conversion:
            raise TemplateError(
                f"write the placeholder as {{{name}}}, without ':' or '!' after its name"
            )
        found.append(name)
    return found


def _brace_reason(heading: str, detail: str) -> str:
    if "'}'" in detail and "Single" in detail:
        return "the heading has a '}' that closes nothing (write '}}' for a literal brace)"
    if "expected '}'" in detail or "'{'" in detail:
        return "the heading has a '{' that is never closed (write '{{' for a literal brace)"
    return f"the heading's braces do not balance ({detail}); write '{{{{' or '}}}}' for a brace"


def longest(heading: str) -> int:
    """The most characters ``heading`` can produce, with every value at its longest."""
    size = 0
    for literal, name, _, _ in string.Formatter().parse(heading):
        size += len(literal)
        if name is not None:
            size += PLACEHOLDER_MAX[name]
    return size


def limit_for(platform: str) -> int:
    return min(HEADING_LIMITS.get(platform, HEADING_LIMIT), HEADING_LIMIT)


def heading_of(text: str, platforms: Iterable[str]) -> str:
    """A heading as an admin typed it, checked for ``platforms`` (where it is posted)."""
    heading = " ".join(text.strip().strip('"“”').split())
    if not heading:
        raise TemplateError('the heading is empty; give its text, e.g. "{title}"')
    names = placeholders(heading)
    if not names:
        raise TemplateError(
            "the heading has no placeholder, so every summary would look the same; "
            "put {title} (or another placeholder) in it"
        )
    most = longest(heading)
    for platform in sorted(set(platforms)):
        room = limit_for(platform)
        if most > room:
            widest = ", ".join(f"{{{n}}} up to {PLACEHOLDER_MAX[n]}" for n in dict.fromkeys(names))
            where = "Discord's limit for an embed title" if platform == "discord" else "the limit"
            raise TemplateError(
                f"the heading can reach {most} characters with the longest values "
                f"({widest}), past {where} of {room} on {platform}; shorten its text or "
                "use fewer placeholders"
            )
    return heading


def blocks_of(text: str) -> tuple[str, ...]:
    """``subtitle,intro,points,byline`` (any order, any subset, or ``none``), checked."""
    words = [w for w in text.replace(",", " ").lower().split() if w]
    if words == ["none"]:
        return ()
    if not words:
        raise TemplateError(f"give the blocks to show, from {', '.join(BLOCKS)} (or none)")
    unknown = [w for w in words if w not in BLOCKS]
    if unknown:
        raise TemplateError(
            f"there is no block '{unknown[0]}'; the blocks are {', '.join(BLOCKS)} (or none)"
        )
    if len(set(words)) != len(words):
        raise TemplateError("a block is named twice; name each once")
    return tuple(words)


def check(template: Template, platforms: Iterable[str]) -> Template:
    """The template, if it can be posted to every platform of ``platforms``."""
    return Template(
        heading_of(template.heading, platforms), blocks_of(",".join(template.blocks) or "none")
    )


def from_config(raw: Mapping[str, object], platforms: Iterable[str]) -> Template:
    """The config file's ``template = {heading = "...", blocks = [...]}``, checked."""
    unknown = sorted(set(raw) - {"heading", "blocks"})
    if unknown:
        raise TemplateError(f"template has no key '{unknown[0]}' (it takes heading and blocks)")
    heading = raw.get("heading", DEFAULT_HEADING)
    blocks = raw.get("blocks", list(DEFAULT_BLOCKS))
    if not isinstance(heading, str):
        raise TemplateError("template heading must be text")
    if not isinstance(blocks, list) or not all(isinstance(b, str) for b in blocks):
        raise TemplateError("template blocks must be a list of block names")
    return Template(heading_of(heading, platforms), blocks_of(",".join(blocks)) if blocks else ())
