"""matrix-nio error responses and transport exceptions as the contract's AdapterErrors."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import aiohttp
import nio

from bot.adapters.base import AdapterError, NotFoundFailure, PermissionFailure, TemporaryFailure

PLATFORM = "matrix"

# What a network problem looks like from matrix-nio once its own few retries are used up.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    aiohttp.ClientError,
    asyncio.TimeoutError,
    TimeoutError,
    ConnectionError,
)
# The same, or not connected at all (the adapter raises TemporaryFailure for that).
TRANSPORT_OR_ADAPTER: tuple[type[BaseException], ...] = (*TRANSPORT_ERRORS, AdapterError)


class RejectedFailure(AdapterError):
    """The homeserver refused the request as malformed or too large: retrying won't help."""

    retryable = False


def txn_id(key: str) -> str:
    """The transaction id for an outbox key: stable across restarts, safe in a URL path."""
    return "pb" + hashlib.sha256(key.encode()).hexdigest()[:40]


def failure_of(response: Any, operation: str, ids: str = "") -> AdapterError:
    """The AdapterError for a nio ``ErrorResponse``."""
    code = getattr(response, "status_code", None)
    http = getattr(getattr(response, "transport_response", None), "status", None)
    detail = str(getattr(response, "message", "") or response)
    if code:
        detail = f"{code}: {detail}"
    if code == "M_LIMIT_EXCEEDED" or http == 429:
        retry_ms = getattr(response, "retry_after_ms", None)
        retry_after = retry_ms / 1000 if isinstance(retry_ms, int | float) else None
        return TemporaryFailure(PLATFORM, operation, detail, ids=ids, retry_after=retry_after)
    if code in ("M_NOT_FOUND", "M_UNRECOGNIZED") or http == 404:
        return NotFoundFailure(PLATFORM, operation, detail, ids=ids)
    if code in ("M_FORBIDDEN", "M_UNKNOWN_TOKEN", "M_MISSING_TOKEN") or http in (401, 403):
        return PermissionFailure(PLATFORM, operation, detail, ids=ids)
    if http is None or http >= 500:
        return TemporaryFailure(PLATFORM, operation, detail, ids=ids)
    return RejectedFailure(PLATFORM, operation, detail, ids=ids)


def transport_failure(exc: BaseException, operation: str, ids: str = "") -> TemporaryFailure:
    """The homeserver could not be reached, or did not answer in time."""
    detail = f"homeserver unreachable: {type(exc).__name__} {exc}".strip()
    return TemporaryFailure(PLATFORM, operation, detail, ids=ids)


def is_error(response: Any) -> bool:
    return isinstance(response, nio.ErrorResponse)
