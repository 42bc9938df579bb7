"""The Matrix adapter: the contract's verbs over matrix-nio, and the sync loop feeding the core.

One ``nio.AsyncClient`` per adapter. ``start`` logs in (password or access token, reusing the
device id kept in the state store), runs the first sync and then keeps syncing in a
background task until ``close``. The sync token is saved after every handled response, so a
restart resumes where the bot stopped: what was said meanwhile is handled once, and old
history is never taken for new questions. Sends use the outbox key (hashed) as the Matrix
transaction id, so a send retried by the same device, even after a crash, posts once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import nio

from bot.adapters.base import (
    Capabilities,
    MessageHandler,
    PermissionFailure,
    TemporaryFailure,
)
from bot.adapters.matrix import render
from bot.adapters.matrix.errors import (
    TRANSPORT_ERRORS,
    RejectedFailure,
    failure_of,
    transport_failure,
    txn_id,
)
from bot.adapters.matrix.inbound import PLATFORM, Me
from bot.adapters.matrix.roles import RoomAuthority
from bot.adapters.matrix.state import MatrixState, StateStore
from bot.adapters.matrix.sync import AuthorCheck, SyncLoop
from bot.config import MatrixSettings, Settings
from bot.core.models import ChatRef, Rendered, Role, UserRef

log = logging.getLogger(__name__)


def client_config(overrides: Mapping[str, Any] | None = None) -> nio.AsyncClientConfig:
    """matrix-nio settings that never wait forever: a 429 or a dead homeserver comes back
    to us quickly as an error, and the outbox (or the sync loop) decides when to retry."""
    settings: dict[str, Any] = {
        "max_limit_exceeded": 0,
        "max_timeouts": 2,
        "backoff_factor": 0.1,
        "max_timeout_retry_wait_time": 2.0,
        "request_timeout": 15.0,
        "encryption_enabled": False,
        "store_sync_tokens": False,
    }
    settings.update(overrides or {})
    return nio.AsyncClientConfig(**settings)


class MatrixAdapter:
    """A :class:`~bot.adapters.base.ChatAdapter` for one Matrix account.

    ``admins`` and ``authors`` are user keys (``matrix:@user:server``): the bot joins rooms
    admins invite it to, and direct chats admins or authors open with it; ``is_author`` is
    asked about other people opening a direct chat (authors added while running). ``rooms``
    are room ids (or aliases) it joins whoever invites it, and tries to join at start.
    """

    platform = PLATFORM
    capabilities = Capabilities(max_message_chars=16_000, max_thread_title_chars=200)

    def __init__(
        self,
        settings: MatrixSettings,
        state: StateStore,
        *,
        admins: frozenset[str] = frozenset(),
        authors: frozenset[str] = frozenset(),
        is_author: AuthorCheck | None = None,
        rooms: frozenset[str] = frozenset(),
        client_config: Mapping[str, Any] | None = None,
        poll_timeout_ms: int = 30_000,
        reconnect_delays: tuple[float, float] = (0.5, 30.0),
    ) -> None:
        self.settings = settings
        self.state = MatrixState(state, settings.user_id)
        self.me = Me(settings.user_id)
        self._config = client_config
        self._client: nio.AsyncClient | None = None
        self.authority = RoomAuthority()
        self._dm_lock = asyncio.Lock()
        self._sync = SyncLoop(
            self,
            admins=admins,
            authors=authors,
            is_author=is_author,
            rooms=rooms,
            poll_timeout_ms=poll_timeout_ms,
            reconnect_delays=reconnect_delays,
            allowed_rooms=settings.allowed_rooms,
            allowed_homeservers=settings.allowed_homeservers,
        )

    @classmethod
    def from_settings(cls, settings: Settings, state: StateStore, **options: Any) -> MatrixAdapter:
        """The adapter as the bot composes it: admins from ``[bot] admins``, authors and
        rooms from the feeds (their ``matrix:`` authors and targets)."""
        if settings.matrix is None:
            raise ValueError("no [matrix] settings")
        feeds = settings.feeds
        return cls(
            settings.matrix,
            state,
            admins=frozenset(a for a in settings.admins if a.startswith("matrix:")),
            authors=frozenset(a for f in feeds for a in f.authors if a.startswith("matrix:")),
            rooms=frozenset(
                t.removeprefix("matrix:")
                for f in feeds
                for t in f.targets
                if t.startswith("matrix:")
            ),
            **options,
        )

    # lifecycle -------------------------------------------------------------------------

    @property
    def client(self) -> nio.AsyncClient:
        """The logged-in client; raises TemporaryFailure when not connected."""
        if self._client is None:
            raise TemporaryFailure(str(PLATFORM), "send", "not connected")
        return self._client

    @property
    def device_id(self) -> str | None:
        return self.state.device_id

    async def start(self, on_message: MessageHandler) -> None:
        """Log in, handle the first sync, then keep syncing in the background."""
        if self._client is not None:
            raise RuntimeError("MatrixAdapter.start() called twice")
        await self.state.load()
        self._client = nio.AsyncClient(
            self.settings.homeserver,
            self.settings.user_id,
            device_id=self.state.device_id or "",
            config=client_config(self._config),
        )
        try:
            await self.login()
            await self._sync.begin(on_message)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Stop syncing (cancelled and awaited), then close the HTTP session. Idempotent."""
        await self._sync.stop()
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def login(self) -> None:
        """Log in with the access token or the password, on the device kept in the state."""
        client, s = self.client, self.settings
        try:
            if s.access_token is not None:
                token = s.access_token.reveal()
                client.access_token = token
                who = await client.whoami()
                if isinstance(who, nio.ErrorResponse):
                    raise failure_of(who, "login", s.user_id)
                if who.user_id != s.user_id:
                    raise PermissionFailure(
                        str(PLATFORM), "login", f"the access token is {who.user_id}'s"
                    )
                client.restore_login(who.user_id, who.device_id or "", token)
                device = who.device_id
            elif s.password is not None:
                resp = await client.login(s.password.reveal(), device_name=s.device_name)
                if isinstance(resp, nio.ErrorResponse):
                    raise failure_of(resp, "login", s.user_id)
                device = resp.device_id
            else:
                raise PermissionFailure(str(PLATFORM), "login", "no password or access token")
            profile = await client.get_displayname(s.user_id)
        except TRANSPORT_ERRORS as exc:
            raise transport_failure(exc, "login", s.homeserver) from exc
        if device:
            await self.state.save_device(str(device))
        display = getattr(profile, "displayname", None)
        self.me = Me(s.user_id, display if isinstance(display, str) else "")
        log.info("logged in to %s as %s, device %s", s.homeserver, s.user_id, device)

    # sending -----------------------------------------------------------------------------

    async def send(
        self,
        op: str,
        room_id: str,
        content: dict[str, Any],
        key: str | None,
        *,
        event_type: str = "m.room.message",
    ) -> str:
        """Send one event; the event id. ``key`` (hashed) is the transaction id."""
        try:
            resp = await self.client.room_send(
                room_id, event_type, content, tx_id=txn_id(key) if key is not None else None
            )
        except TRANSPORT_ERRORS as exc:
            raise transport_failure(exc, op, room_id) from exc
        except nio.LocalProtocolError as exc:  # closed meanwhile
            raise TemporaryFailure(str(PLATFORM), op, str(exc), ids=room_id) from exc
        if isinstance(resp, nio.RoomSendResponse):
            return str(resp.event_id)
        raise failure_of(resp, op, room_id)

    async def post(self, where: ChatRef, message: Rendered, *, key: str) -> ChatRef:
        relates = render.in_thread(where.thread) if where.thread else None
        content = render.notice(message, relates_to=relates)
        event_id = await self.send("post", where.channel, content, key)
        return ChatRef(PLATFORM, where.channel, where.thread, event_id)

    async def open_thread(
        self, where: ChatRef, title: str, first: Rendered, *, key: str
    ) -> ChatRef:
        # A Matrix thread is a root message that others relate to with m.thread.
        root = await self.send(
            "open_thread", where.channel, render.notice(first, heading=title), key
        )
        return ChatRef(PLATFORM, where.channel, root, root)

    async def reply(
        self, to: ChatRef, message: Rendered, *, mention: UserRef | None, key: str
    ) -> ChatRef:
        if to.message is not None:
            relates: dict[str, Any] | None = render.reply_to(to.message, to.thread)
        else:
            relates = render.in_thread(to.thread) if to.thread else None
        content = render.notice(message, mention=mention, relates_to=relates)
        event_id = await self.send("reply", to.channel, content, key)
        return ChatRef(PLATFORM, to.channel, to.thread, event_id)

    async def react(self, to: ChatRef, emoji: str, *, key: str) -> None:
        if to.message is None:
            raise RejectedFailure(str(PLATFORM), "react", "no message to react to", ids=to.channel)
        try:
            await self.send(
                "react",
                to.channel,
                render.reaction(to.message, emoji),
                key,
                event_type="m.reaction",
            )
        except RejectedFailure as exc:
            if "M_DUPLICATE_ANNOTATION" not in exc.detail:
                raise  # the same reaction twice is what the caller wanted anyway

    async def edit(self, ref: ChatRef, message: Rendered) -> None:
        if ref.message is None:
            raise RejectedFailure(str(PLATFORM), "edit", "no message to edit", ids=ref.channel)
        await self.send("edit", ref.channel, render.replacement(ref.message, message), None)

    async def direct_message(self, user: UserRef, message: Rendered, *, key: str) -> ChatRef:
        room = await self.direct_room(user.id)
        event_id = await self.send("direct_message", room, render.notice(message), key)
        return ChatRef(PLATFORM, room, None, event_id)

    async def direct_room(self, user_id: str) -> str:
        """The direct chat with ``user_id``: the one we know, else a new one (invited)."""
        async with self._dm_lock:  # two sends to a new person must not open two rooms
            known = self.state.direct_rooms.get(user_id)
            if known is not None:
                return known
            try:
                resp = await self.client.room_create(
                    is_direct=True, invite=[user_id], preset=nio.RoomPreset.private_chat
                )
            except TRANSPORT_ERRORS as exc:
                raise transport_failure(exc, "direct_message", user_id) from exc
            if isinstance(resp, nio.ErrorResponse):
                raise failure_of(resp, "direct_message", user_id)
            room = str(resp.room_id)
            await self.state.add_direct_room(user_id, room)
            log.info("opened a direct chat %s with %s", room, user_id)
            return room

    # roles ---------------------------------------------------------------------------------

    async def community_of(self, where: ChatRef) -> str | None:
        """A room is its own community (its power levels are its own); a direct chat is none."""
        if self.state.is_direct(where.channel) or not where.channel.startswith("!"):
            return None
        return f"matrix:{where.channel}"

    async def role_of(self, user: UserRef, where: ChatRef) -> Role:
        """ADMIN for a room creator or power level >= 50 in a shared room. In a direct chat
        everyone is a member: whoever opens a room is all-powerful there, which proves nothing."""
        if self.state.is_direct(where.channel) or self._client is None:
            return Role.MEMBER
        return await self.authority.role(self._client, where.channel, user.id)
