"""The shapes of the values an admin writes: feed URLs, chat targets, Matrix ids.

Each check returns why a value is wrong, in plain words, or None when it is right. Used by
the config loader (every problem in one start-up error) and by ``bot feeds import``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

BUNDLED_PREFIX = "bundled:"
_SNOWFLAKE = re.compile(r"^[0-9]{15,21}$")  # Discord ids: 64-bit integers in decimal
_MATRIX_USER = re.compile(r"^@[^:\s]+:[^\s:]+(:[0-9]{1,5})?$")
# Room ids are "!opaque:server", or "!" and a hash with no server from room version 12 on
# (Synapse 1.163 here makes v12 rooms); aliases are "#name:server".
_MATRIX_ROOM = re.compile(r"^(![^\s]+|#[^:\s]+:[^\s:]+(:[0-9]{1,5})?)$")


def web_url(value: str, *, what: str = "a feed URL") -> str | None:
    """None if ``value`` is an http(s) URL with a host; else why not."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https"):
        shown = f"{parts.scheme}://" if parts.scheme else "no scheme"
        return f"{value!r} is not {what}: it needs http:// or https:// (it has {shown})"
    if not parts.hostname:
        return f"{value!r} is not {what}: it has no host name"
    return None


def feed_url(value: str) -> str | None:
    """A feed's URL: http(s), or the bundled example (``bundled:NAME``)."""
    if value.startswith(BUNDLED_PREFIX) and len(value) > len(BUNDLED_PREFIX):
        return None
    return web_url(value)


def target(spec: str) -> str | None:
    """A place to post, ``platform:channel``: a Discord channel id, a Matrix room id or
    alias, any console channel name."""
    platform, _, channel = spec.partition(":")
    if platform == "discord" and not _SNOWFLAKE.match(channel):
        return (
            f"{spec!r}: a Discord target is the channel's id, a number like "
            f"discord:123456789012345678 (Developer Mode, right-click the channel, Copy ID)"
        )
    if platform == "matrix" and not _MATRIX_ROOM.match(channel):
        return f"{spec!r}: a Matrix target is a room id or alias, like matrix:!abc:example.org"
    return None


def user(spec: str) -> str | None:
    """A person, ``platform:id``: a Discord user id, a Matrix user id, any console name."""
    platform, _, ident = spec.partition(":")
    if platform == "discord" and not _SNOWFLAKE.match(ident):
        return f"{spec!r}: a Discord user is their id, a number like discord:123456789012345678"
    if platform == "matrix" and not _MATRIX_USER.match(ident):
        return f"{spec!r}: a Matrix user id looks like matrix:@name:example.org"
    return None


def matrix_user_id(value: str) -> str | None:
    """The bot's own Matrix id, ``@local:server``."""
    if _MATRIX_USER.match(value):
        return None
    return f"{value!r} is not a Matrix user id like @pointbot:example.org"
