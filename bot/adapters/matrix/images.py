"""An article's lead image on Matrix: fetched, uploaded to the homeserver, sent as m.image.

Why an ``m.image`` event (sent just before the summary) rather than an inline
``<img src="mxc://...">`` in the summary's ``formatted_body``: every client shows an
``m.image`` (with its ``info`` for sizing), while inline images in HTML are optional in the
spec and several clients drop them; the plain ``body`` of a summary could not carry the
picture at all. The summary stays its own event, so its edits and threads are unchanged,
and it comes last, reading as the picture's caption.

Nothing is sent or uploaded twice: the outcome of each step is kept in the adapter's state
under the summary's idempotency key (the outbox key): the ``mxc://`` URI once uploaded, the
event id once the ``m.image`` was sent. A retried summary (after a failed send of the
summary itself) reuses both, and the ``m.image`` send carries its own transaction id derived
from the key. A failed fetch or upload is logged and the summary is posted without the
picture (it is not tried again for that summary). In an end-to-end encrypted room the
picture is left out: an unencrypted upload would put the room's content in the clear on the
media repository.

The fetch is the feed fetcher's (``bot.feeds.fetch.Fetcher.fetch_image``): the same
private-address guard, redirect, size and time limits as a feed, image types only.
"""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

ImageFetch = Callable[[str], Awaitable[tuple[bytes, str]]]
"""Fetch an image URL: ``(bytes, content type)``; raises on any refusal or failure."""


def dimensions(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or GIF from its header (cheap); None for other formats."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24 and data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    return None


def image_content(url: str, mxc: str, mimetype: str, data: bytes) -> dict[str, Any]:
    """The ``m.image`` event for an uploaded picture."""
    info: dict[str, Any] = {"mimetype": mimetype, "size": len(data)}
    size = dimensions(data)
    if size is not None:
        info["w"], info["h"] = size
    name = url.rsplit("/", 1)[-1].split("?", 1)[0] or "image"
    return {"msgtype": "m.image", "body": name, "url": mxc, "info": info}


def encode(step: dict[str, Any]) -> str:
    return json.dumps(step, sort_keys=True)


def decode(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        found = json.loads(raw)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
