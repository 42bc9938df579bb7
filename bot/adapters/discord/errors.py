"""discord.py exceptions as the contract's AdapterErrors, in plain words.

* 403 Missing Permissions / Missing Access (50013, 50001), no permission to read history
  for a reply (160002), a forum that needs a tag the bot can set (40066, 40067), and an
  empty message (50006: Discord dropped the embeds of a bot without Embed Links):
  :class:`PermissionFailure`; the outbox keeps the work and retries, and the detail names
  the channel and what to grant or create there.
* A locked thread (160005; 50083 once unarchiving failed): :class:`ThreadLockedFailure`,
  not retried: only a moderator can reopen it, and the row is failed with that reason.
* Too many active threads (160006, 160007): :class:`TemporaryFailure`; threads archive.
* 404 Unknown Channel / Message / Guild... (10003, 10008, ...): :class:`NotFoundFailure`.
* 429 once discord.py's own waiting is used up, 5xx, timeouts, dropped connections:
  :class:`TemporaryFailure` (with Discord's ``retry_after`` when it gave one).
* Anything else Discord refuses (400 malformed, 50007 the user does not accept DMs):
  :class:`RejectedFailure`, not retried.
"""

from __future__ import annotations

import asyncio

import aiohttp
import discord

from bot.adapters.base import AdapterError, NotFoundFailure, PermissionFailure, TemporaryFailure

PLATFORM = "discord"

MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
CANNOT_DM = 50007
THREAD_EXISTS = 160004  # "A thread has already been created for this message"
THREAD_ARCHIVED = 50083  # "Tried to perform an operation on an archived thread"
THREAD_IS_LOCKED = 160005  # "Thread is locked"
EMPTY_MESSAGE = 50006  # "Cannot send an empty message"
REPLY_NEEDS_HISTORY = 160002  # "Cannot reply without permission to read message history"
NO_SETTABLE_TAG = 40066  # "There are no tags available that can be set by non-moderators"
TAG_REQUIRED = 40067  # "A tag is required to create a forum post in this channel"
TOO_MANY_THREADS = (160006, 160007)  # maximum number of active (announcement) threads

TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    aiohttp.ClientError,
    asyncio.TimeoutError,
    TimeoutError,
    ConnectionError,
    discord.GatewayNotFound,
)


class RejectedFailure(AdapterError):
    """Discord refused the request for good (malformed, or the user takes no DMs)."""

    retryable = False


class ThreadLockedFailure(AdapterError):
    """A moderator locked the thread: the bot cannot post, edit or unarchive there until
    someone with Manage Threads unlocks it, so the row is failed with this reason."""

    retryable = False


def failure_of(exc: BaseException, operation: str, ids: str = "", hint: str = "") -> AdapterError:
    """The AdapterError for an exception raised by a discord.py call.

    ``hint`` is added to permission problems: which permission the operation needs.
    """
    if isinstance(exc, AdapterError):
        return exc
    if isinstance(exc, discord.RateLimited):
        return TemporaryFailure(
            PLATFORM, operation, "rate limited by Discord", ids=ids, retry_after=exc.retry_after
        )
    if isinstance(exc, discord.HTTPException):
        return _http_failure(exc, operation, ids, hint)
    if isinstance(exc, TRANSPORT_ERRORS):
        detail = f"Discord unreachable: {type(exc).__name__} {exc}".strip()
        return TemporaryFailure(PLATFORM, operation, detail, ids=ids)
    if isinstance(exc, discord.ClientException):  # e.g. the client was closed meanwhile
        return TemporaryFailure(PLATFORM, operation, f"not connected: {exc}", ids=ids)
    return TemporaryFailure(PLATFORM, operation, f"{type(exc).__name__}: {exc}", ids=ids)


def _http_failure(exc: discord.HTTPException, operation: str, ids: str, hint: str) -> AdapterError:
    code, status = exc.code, exc.status
    said = f"{status} {exc.text or exc.response.reason}".strip()
    if code:
        said += f" (code {code})"
    if status == 429:
        return TemporaryFailure(
            PLATFORM, operation, f"rate limited by Discord: {said}", ids=ids, retry_after=None
        )
    if status >= 500:
        return TemporaryFailure(PLATFORM, operation, f"Discord had a server error: {said}", ids=ids)
    if code in (THREAD_IS_LOCKED, THREAD_ARCHIVED):
        detail = (
            f"thread {ids} is locked by a moderator ({said}); the bot cannot post or edit "
            "there until someone with Manage Threads unlocks it"
        )
        return ThreadLockedFailure(PLATFORM, operation, detail, ids=ids)
    if code in TOO_MANY_THREADS:
        detail = f"the server has too many active threads ({said}); retrying once some archive"
        return TemporaryFailure(PLATFORM, operation, detail, ids=ids)
    if code in (NO_SETTABLE_TAG, TAG_REQUIRED):
        detail = (
            f"forum {ids} requires a tag on every post and the bot may set none ({said}); "
            "create a tag named 'article' and one named 'point' that are not moderated"
        )
        return PermissionFailure(PLATFORM, operation, detail, ids=ids)
    if code == EMPTY_MESSAGE:
        detail = (
            f"Discord dropped the message's embed in {ids or 'the channel'} ({said}); "
            "give the bot Embed Links there"
        )
        return PermissionFailure(PLATFORM, operation, detail, ids=ids)
    if code == REPLY_NEEDS_HISTORY:
        detail = f"the bot cannot reply in {ids} ({said}); give it Read Message History there"
        return PermissionFailure(PLATFORM, operation, detail, ids=ids)
    if code == CANNOT_DM:
        return RejectedFailure(
            PLATFORM, operation, f"the user does not accept direct messages: {said}", ids=ids
        )
    if status == 403 or code in (MISSING_ACCESS, MISSING_PERMISSIONS):
        where = f"channel {ids}" if ids else "there"
        needs = f"; give it {hint} in {where}" if hint else ""
        detail = f"the bot is not allowed to {_verb(operation)} in {where} ({said}){needs}"
        return PermissionFailure(PLATFORM, operation, detail, ids=ids)
    if status == 404:
        return NotFoundFailure(PLATFORM, operation, f"not found: {said}", ids=ids)
    return RejectedFailure(PLATFORM, operation, f"Discord refused the request: {said}", ids=ids)


def _verb(operation: str) -> str:
    return {
        "post": "post",
        "open_thread": "open a thread",
        "reply": "reply",
        "react": "add reactions",
        "edit": "edit its message",
        "direct_message": "send a direct message",
    }.get(operation, operation.replace("_", " "))


def status_of(exc: BaseException) -> tuple[int, int]:
    """(HTTP status, Discord error code) of a discord.py HTTP error, else (0, 0)."""
    if isinstance(exc, discord.HTTPException):
        return exc.status, exc.code
    return 0, 0
