"""The adapter contract: the verbs the core needs from a chat platform, and nothing more.

Every adapter (console, Matrix, Discord, and the tests' fake) implements
:class:`ChatAdapter`. The core never catches a platform's own exceptions: adapters raise
:class:`AdapterError` subclasses carrying the platform, the operation and the ids involved.

Idempotency: every sending verb takes ``key``, a string the core fixed before the first
attempt and keeps across retries and restarts (the outbox row's key). An adapter must make
a second call with the same key return the first call's result without sending again
(Matrix: the key becomes the transaction id; Discord: the nonce with ``enforce_nonce``;
console: a dict of keys already sent).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.core.models import ChatRef, InboundEvent, Platform, Rendered, Role, UserRef

MessageHandler = Callable[[InboundEvent], Awaitable[None]]
"""The core's entry point: every message, edit, deletion and reaction goes through it."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a platform can do; the core picks a fallback instead of catching errors."""

    threads: bool = True
    reactions: bool = True
    edits: bool = True
    direct_messages: bool = True
    # Slash commands whose answer only their sender sees (Discord's ephemeral responses):
    # the bot can point there, e.g. "/web" for a sign-in link asked for in a channel.
    private_slash_replies: bool = False
    max_message_chars: int = 4000
    max_thread_title_chars: int = 100


class AdapterError(Exception):
    """A platform operation failed. ``retryable`` says whether trying later may succeed."""

    retryable: bool = True

    def __init__(self, platform: str, operation: str, detail: str, *, ids: str = "") -> None:
        self.platform = platform
        self.operation = operation
        self.detail = detail
        self.ids = ids
        where = f" ({ids})" if ids else ""
        super().__init__(f"{platform} {operation} failed{where}: {detail}")


class TemporaryFailure(AdapterError):
    """Outage, timeout, rate limit: the outbox retries with backoff."""

    def __init__(
        self,
        platform: str,
        operation: str,
        detail: str,
        *,
        ids: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(platform, operation, detail, ids=ids)
        self.retry_after = retry_after


class PermissionFailure(AdapterError):
    """The bot lacks a permission there; kept and retried, and admins are told."""


class NotFoundFailure(AdapterError):
    """The channel, thread or message is gone; retrying will not help."""

    retryable = False


@runtime_checkable
class ChatAdapter(Protocol):
    """A chat platform, seen from the core."""

    platform: Platform
    capabilities: Capabilities

    async def start(self, on_message: MessageHandler) -> None:
        """Connect and begin delivering inbound events to ``on_message``.

        Returns once connected; events keep arriving until :meth:`close`. The bot's own
        messages are never delivered. Events that happened while the bot was offline are
        delivered once after it reconnects (the adapter keeps its own resume point), and
        never replayed again; ``on_message`` also de-duplicates by message id.
        """

    async def close(self) -> None:
        """Disconnect and release everything; safe to call twice."""

    # Optional, read with getattr so older fakes still satisfy the Protocol:
    # ``is_connected: bool``, a cheap property saying whether the platform session is up
    # (used by /metrics and /healthz in bot.web.ops; never does I/O).

    async def post(self, where: ChatRef, message: Rendered, *, key: str) -> ChatRef:
        """Post in a channel (or, with ``where.thread``, in a thread); return the new message."""

    async def open_thread(
        self, where: ChatRef, title: str, first: Rendered, *, key: str
    ) -> ChatRef:
        """Open a thread in ``where.channel`` titled ``title`` whose first message is ``first``.

        Returns a ref with ``thread`` set (and ``message`` the first message). A platform
        without threads returns a ref whose replies will still be grouped the best it can.
        """

    async def reply(
        self, to: ChatRef, message: Rendered, *, mention: UserRef | None, key: str
    ) -> ChatRef:
        """Reply to message ``to`` (in its thread, if it has one), notifying ``mention``."""

    async def react(self, to: ChatRef, emoji: str, *, key: str) -> None:
        """Add a reaction to message ``to``."""

    async def edit(self, ref: ChatRef, message: Rendered) -> None:
        """Replace the content of a message the bot sent (only if ``capabilities.edits``)."""

    async def direct_message(self, user: UserRef, message: Rendered, *, key: str) -> ChatRef:
        """Send ``user`` a private message; return where it went."""

    async def community_of(self, where: ChatRef) -> str | None:
        """The community the channel ``where`` belongs to, which its admins govern:
        ``discord:<guild id>``, ``matrix:<room id>``, ``console:<channel>``. None for a
        direct chat or a channel the bot cannot see."""

    async def role_of(self, user: UserRef, where: ChatRef) -> Role:
        """What the platform itself grants ``user`` in ``where`` (server admin, power level).

        Config-granted roles are added by the core; this reports only the platform's view.
        """
