"""discord.py exceptions as the contract's AdapterErrors, in plain words.

* 403 Missing Permissions / Missing Access (50013, 50001) and locked threads (50083):
  :class:`PermissionFailure`; the outbox keeps the work and retries, and the detail names
  the channel and what to grant there.
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
THREAD_LOCKED = 50083
THREAD_EXISTS = 160004  # "A thread has already been created for this message"

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
    if code == CANNOT_DM:
        return RejectedFailure(
            PLATFORM, operation, f"the user does not accept direct messages: {said}", ids=ids
        )
    if status == 403 or code in (MISSING_ACCESS, MISSING_PERMISSIONS):
        where = f"channel {ids}" if ids else "there"
        needs = f"; give it {hint} in {where}" if hint else ""
        detail = f"the bot is not allowed to {_verb(operation)} in {where} ({said}){needs}"
        return PermissionFailure(PLATFORM, operation, detail, ids=ids)
    if code == THREAD_LOCKED:
        detail = (
            f"thread {ids} is locked or archived ({said}); unlock it, or give the bot "
            "Manage Threads"
        )
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
