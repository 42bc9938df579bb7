"""The Matrix adapter: the contract's verbs over matrix-nio, and the sync loop feeding the core.

One ``nio.AsyncClient`` per adapter. ``start`` logs in (the login saved with the encryption
keys, else the access token or the password, reusing the device id kept in the state store),
runs the first sync and then keeps syncing in a background task until ``close``. The sync
token is saved after every handled response, so a restart resumes where the bot stopped:
what was said meanwhile is handled once, and old history is never taken for new questions.
Sends use the outbox key (hashed) as the Matrix transaction id, so a send retried by the
same device, even after a crash, posts once; in an encrypted room the event is encrypted
first (``crypto.py``), under the same transaction id.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import nio

from bot import datapath
from bot.adapters.base import (
    Capabilities,
    MessageHandler,
    TemporaryFailure,
)
from bot.adapters.matrix import images, render
from bot.adapters.matrix.crypto import Encryption
from bot.adapters.matrix.errors import (
    TRANSPORT_ERRORS,
    RejectedFailure,
    failure_of,
    transport_failure,
    txn_id,
)
from bot.adapters.matrix.inbound import PLATFORM, Me
from bot.adapters.matrix.login import log_in
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
        store_path: Path | None = None,
        undecryptable_timeout: float = 600.0,
        fetch_image: images.ImageFetch | None = None,
        close_images: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.settings = settings
        self._fetch_image = fetch_image
        self._close_images = close_images
        self.encryption = Encryption(settings, store_path)
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
            undecryptable_timeout=undecryptable_timeout,
        )

    @classmethod
    def from_settings(cls, settings: Settings, state: StateStore, **options: Any) -> MatrixAdapter:
        """The adapter as the bot composes it: admins from ``[bot] admins``, authors and
        rooms from the feeds (their ``matrix:`` authors and targets), the encryption store
        from ``[matrix] store_path`` (default: ``matrix-store`` beside the database file;
        on PostgreSQL in the current directory)."""
        if settings.matrix is None:
            raise ValueError("no [matrix] settings")
        feeds = settings.feeds
        if "fetch_image" not in options:
            from bot.feeds.fetch import Fetcher  # the feeds' guard and limits, not a new client

            fetcher = Fetcher(settings.polling)
            options.update(fetch_image=fetcher.fetch_image, close_images=fetcher.close)
        options.setdefault(
            "store_path",
            settings.matrix.store_path or datapath.beside(settings.database, "matrix-store"),
        )
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
    def is_connected(self) -> bool:
        """Whether a logged-in client exists (the contract's cheap health property)."""
        return self._client is not None and bool(self._client.access_token)

    @property
    def client(self) -> nio.AsyncClient:
        """The logged-in client; raises TemporaryFailure when not connected."""
        if self._client is None:
            raise TemporaryFailure(str(PLATFORM), "send", "not connected")
        return self._client

    @property
    def device_id(self) -> str | None:
        return self.state.device_id

    @property
    def warnings(self) -> list[str]:
        """What the admin is told at start-up: encryption wanted but not working."""
        if self.settings.encryption and not self.encryption.enabled:
            return [f"Matrix: encrypted rooms cannot be read: {self.encryption.reason}"]
        return []

    async def start(self, on_message: MessageHandler) -> None:
        """Log in, handle the first sync, then keep syncing in the background."""
        if self._client is not None:
            raise RuntimeError("MatrixAdapter.start() called twice")
        await self.state.load()
        self._client = nio.AsyncClient(
            self.settings.homeserver,
            self.settings.user_id,
            device_id=self.state.device_id or "",
            store_path=self.encryption.store_path(),
            config=client_config({**(self._config or {}), **self.encryption.client_options()}),
        )
        if not self.encryption.enabled:
            log.warning("encrypted Matrix rooms cannot be read: %s", self.encryption.reason)
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
        if self._close_images is not None:
            await self._close_images()

    async def login(self) -> None:
        """Log in on the device kept with the encryption keys (or in the state), then make
        sure the homeserver holds that device's keys (``login.py``)."""
        await log_in(self)

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
        """Send one event; the event id. ``key`` (hashed) is the transaction id.

        In an encrypted room the event is encrypted (any type, reactions too); elsewhere it
        goes as it is. A room the client has not synced yet is asked whether it is
        encrypted, so nothing goes in the clear into an encrypted room."""
        client = self.client
        txn = txn_id(key) if key is not None else str(uuid.uuid4())
        try:
            if self.encryption.encrypts(client, room_id):
                event_type, content = await self.encryption.encrypt(
                    client, room_id, event_type, content
                )
            elif client.olm is not None and room_id not in client.rooms:
                await self._not_encrypted_or_refuse(op, room_id)
            method, path, data = nio.Api.room_send(
                client.access_token, room_id, event_type, content, txn
            )
            resp = await client._send(nio.RoomSendResponse, method, path, data, (room_id,))
        except TRANSPORT_ERRORS as exc:
            raise transport_failure(exc, op, room_id) from exc
        except nio.LocalProtocolError as exc:  # closed meanwhile
            raise TemporaryFailure(str(PLATFORM), op, str(exc), ids=room_id) from exc
        if isinstance(resp, nio.RoomSendResponse):
            return str(resp.event_id)
        raise failure_of(resp, op, room_id)

    async def _not_encrypted_or_refuse(self, op: str, room_id: str) -> None:
        """Raise TemporaryFailure for an encrypted room the sync has not shown us yet."""
        resp = await self.client.room_get_state_event(room_id, "m.room.encryption")
        if isinstance(resp, nio.RoomGetStateEventResponse):
            raise TemporaryFailure(str(PLATFORM), op, "encrypted room not synced yet", ids=room_id)

    async def post(self, where: ChatRef, message: Rendered, *, key: str) -> ChatRef:
        if message.image and self._fetch_image is not None:
            await self._post_image(where, message.image, key)
        relates = render.in_thread(where.thread) if where.thread else None
        content = render.notice(message, relates_to=relates)
        event_id = await self.send("post", where.channel, content, key)
        return ChatRef(PLATFORM, where.channel, where.thread, event_id)

    async def _post_image(self, where: ChatRef, url: str, key: str) -> None:
        """The summary's lead image as an ``m.image`` just before it (see
        :mod:`bot.adapters.matrix.images` for why, and how nothing is sent twice)."""
        assert self._fetch_image is not None
        room = where.channel
        name = self.state._name(f"image/{txn_id(key)}")
        step = images.decode(await self.state.store.get_state(PLATFORM, name))
        if step.get("event") or step.get("failed"):
            return
        if "content" not in step:
            if self.encryption.encrypts(self.client, room):
                log.info("lead image of %s left out: room %s is encrypted", key, room)
                return
            try:
                data, mimetype = await self._fetch_image(url)
                resp, _keys = await self.client.upload(
                    lambda *_: data, content_type=mimetype, filesize=len(data)
                )
                if not isinstance(resp, nio.UploadResponse):
                    raise RuntimeError(f"upload refused: {resp}")
            except Exception as exc:
                log.warning("lead image %s of %s not posted: %s", url, key, exc)
                await self.state.store.set_state(
                    PLATFORM, name, images.encode({"failed": str(exc)[:200]})
                )
                return
            step = {"content": images.image_content(url, resp.content_uri, mimetype, data)}
            await self.state.store.set_state(PLATFORM, name, images.encode(step))
        relates = render.in_thread(where.thread) if where.thread else None
        content = {**step["content"], **({"m.relates_to": relates} if relates else {})}
        event_id = await self.send("post", room, content, f"{key}:image")
        await self.state.store.set_state(PLATFORM, name, images.encode({**step, "event": event_id}))

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

    async def announce_refusal(self, where: ChatRef, announce: str) -> str | None:
        """Why the summaries in ``where`` cannot carry ``announce`` (checked when an admin
        sets it), or None: only ``room``, and only with the power level to notify it."""
        if announce != "room":
            return "on Matrix a feed can announce @room only"
        if self._client is None or self.state.is_direct(where.channel):
            return "I am not in that room now"
        return await self.authority.room_ping_refusal(
            self._client, where.channel, self._client.user_id
        )

    async def role_of(self, user: UserRef, where: ChatRef) -> Role:
        """ADMIN for a room creator or power level >= 50 in a shared room. In a direct chat
        everyone is a member: whoever opens a room is all-powerful there, which proves nothing."""
        if self.state.is_direct(where.channel) or self._client is None:
            return Role.MEMBER
        return await self.authority.role(self._client, where.channel, user.id)
