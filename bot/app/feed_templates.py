"""``!feed template``: how a subscription's summaries look (bot/core/template.py).

Everything is checked when it is set, for the platforms the subscription posts to: an
unknown placeholder, an unbalanced brace or a heading that could pass a platform's limit is
refused with the reason and nothing changes, so a summary never fails at posting time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence

from bot.app.feed_args import UsageError
from bot.core.models import Rendered
from bot.core.template import (
    BLOCKS,
    DEFAULT,
    PLACEHOLDER_MAX,
    Template,
    TemplateError,
    blocks_of,
    heading_of,
)
from bot.feeds.notices import label
from bot.storage.port import Store
from bot.storage.types import FeedRow, Subscription

Preview = Callable[[Template], Awaitable[tuple[str, Rendered] | str]]


def usage(prefix: str, fid: int | str = "<id>") -> str:
    names = " ".join("{" + p + "}" for p in PLACEHOLDER_MAX)
    return (
        f'{prefix}feed template {fid} heading "<text>" (placeholders {names}), '
        f"{prefix}feed template {fid} blocks {','.join(BLOCKS)} (any of them, in order, or "
        f"none), {prefix}feed template {fid} reset, {prefix}feed template {fid} preview"
    )


def shown(raw: str | None) -> str:
    template = Template.from_json(raw)
    return "default" if template.is_default else template.shown()


async def template_command(
    store: Store,
    feed: FeedRow,
    sub: Subscription,
    args: Sequence[str],
    prefix: str,
    *,
    platforms: Iterable[str],
    preview: Preview,
) -> str:
    """``template <id> heading "<text>"`` / ``blocks ...`` / ``reset`` / ``preview`` /
    (nothing) what it is now."""
    current = Template.from_json(sub.template)
    config = (
        " (this subscription comes from the config file, whose template replaces this at "
        "the next start)"
        if sub.community == "config"
        else ""
    )
    if not args:
        return (
            f"Feed {label(feed)} summaries here: {shown(sub.template)}. {usage(prefix, feed.id)}."
        )
    verb, rest = args[0].lower(), " ".join(args[1:])
    if verb == "preview":
        got = await preview(current)
        if isinstance(got, str):
            return got
        title, rendered = got
        card = (
            f" (on Discord the first line is the card's title, linked to {rendered.url})"
            if rendered.url
            else ""
        )
        return (
            f"Feed {label(feed)}: the summary of “{title}” as it would be posted here "
            f"(nothing was posted){card}:\n\n{rendered.text}"
        )
    if verb == "reset":
        if current.is_default:
            return f"Feed {label(feed)} already uses the default summary here; nothing changed."
        new = DEFAULT
    elif verb in ("heading", "blocks"):
        if not rest:
            raise UsageError(
                f"{prefix}feed template {feed.id} {verb} needs a value: {usage(prefix, feed.id)}"
            )
        try:
            if verb == "heading":
                new = Template(heading_of(rest, platforms), current.blocks)
            else:
                new = Template(current.heading, blocks_of(rest))
        except TemplateError as exc:
            raise UsageError(f"I cannot use that {verb}: {exc}. Nothing was changed.") from None
    else:
        raise UsageError(
            f"I did not understand '{args[0]}' after {prefix}feed template {feed.id}: "
            f"{usage(prefix, feed.id)}"
        )
    async with store.transaction() as tx:
        await tx.subscriptions.set_template(sub.id, None if new.is_default else new.to_json())
    now = "the default" if new.is_default else new.shown()
    return (
        f"Feed {label(feed)} summaries here now use {now}; it applies to new entries "
        f"({prefix}feed template {feed.id} preview shows one).{config}"
    )
