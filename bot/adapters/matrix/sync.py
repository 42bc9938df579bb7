"""The Matrix sync loop: invites, inbound events to the core, resumable progress.

Kept apart from the sending verbs (``adapter.py``): this is the only place that reads sync
responses. Each response is handled in order and only then is its ``next_batch`` saved, so a
crash or cancellation mid-way redelivers (and the core de-duplicates) instead of losing.
Between syncs it does the key upkeep end-to-end encryption needs (``crypto.py``); events
nio could not decrypt are kept until their key arrives (``undecrypted.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import nio

from bot.adapters.base import AdapterError, MessageHandler, PermissionFailure
from bot.adapters.matrix.errors import TRANSPORT_ERRORS, failure_of, transport_failure
from bot.adapters.matrix.inbound import (
    PLATFORM,
    Invite,
    after_own_join,
    invite_verdict,
    read_invite,
    translate,
)
from bot.adapters.matrix.rooms import LEAVING, RoomRules, leave_saying
from bot.adapters.matrix.undecrypted import Undecrypted
from bot.core.models import ChatRef, MessageDeleted, ReactionAdded, Rendered, UserRef

if TYPE_CHECKING:
    from bot.adapters.matrix.adapter import MatrixAdapter

log = logging.getLogger(__name__)

AuthorCheck = Callable[[str], Awaitable[bool]]
"""Is this user key (``matrix:@user:server``) an author of some feed?"""

_NO_PRESENCE = {"not_types": ["*"]}
# Catching up after downtime: up to 100 events a room; the very first sync needs none.
SYNC_FILTER: dict[str, Any] = {"room": {"timeline": {"limit": 100}}, "presence": _NO_PRESENCE}
FIRST_SYNC_FILTER: dict[str, Any] = {"room": {"timeline": {"limit": 1}}, "presence": _NO_PRESENCE}
JOIN_ATTEMPTS = 5

E2E_ROOM_NOTICE = (
    "This room is end-to-end encrypted, and pointbot cannot read encrypted messages here: "
    "{reason}. It will not see questions or commands in this room until its admin fixes "
    "that, or the room is replaced by one without encryption."
)
E2E_DM = (
    "You invited me to {room}, which is end-to-end encrypted. I cannot read encrypted "
    "messages there: {reason}. I will not see anything said there until that is fixed."
)


def _source(event: Any) -> dict[str, Any]:
    """The raw event dict. nio pops ``content`` from some (invite state); put it back."""
    source = dict(getattr(event, "source", None) or {})
    if "content" not in source and isinstance(getattr(event, "content", None), dict):
        source["content"] = event.content
    return source


class SyncLoop:
    """Runs the sync for one :class:`MatrixAdapter` and hands what it finds to the core."""

    def __init__(
        self,
        adapter: MatrixAdapter,
        *,
        admins: frozenset[str],
        authors: frozenset[str],
        is_author: AuthorCheck | None,
        rooms: frozenset[str],
        poll_timeout_ms: int,
        reconnect_delays: tuple[float, float],
        allowed_rooms: tuple[str, ...] = (),
        allowed_homeservers: tuple[str, ...] = (),
        undecryptable_timeout: float = 600.0,
    ) -> None:
        self.adapter = adapter
        self.admins, self.authors, self.rooms = admins, authors, rooms
        self.rules = RoomRules(rooms, allowed_rooms, allowed_homeservers)
        self.left: set[str] = set()  # rooms left for not being allowed (said once)
        self.is_author = is_author
        self.poll_timeout_ms = poll_timeout_ms
        self.delay_min, self.delay_max = reconnect_delays
        self.handler: MessageHandler | None = None
        self.task: asyncio.Task[None] | None = None
        self.encrypted: set[str] = set()
        self.displays: dict[str, str] = {}
        # Reactions seen, by event id, so a redaction of one can be told apart (bounded).
        self.reactions: dict[str, ReactionAdded] = {}
        self.ignored_invites: set[tuple[str, str | None]] = set()
        self.pending_joins: dict[str, tuple[Invite, int]] = {}
        self.undecrypted = Undecrypted(adapter.state, timeout=undecryptable_timeout)

    # lifecycle -------------------------------------------------------------------------

    async def begin(self, handler: MessageHandler) -> None:
        """The first sync (history skipped if the bot never ran), then the background loop."""
        self.handler = handler
        await self.rules.resolve(self.adapter.client)
        await self.undecrypted.load()
        history = self.adapter.state.next_batch is None
        # Full state on the first sync: nio learns every joined room's members and
        # encryption, also of rooms quiet since the saved token (it encrypts only for those).
        await self.process(await self.sync_once(1, full_state=True), history=history)
        await self.join_configured()
        self.task = asyncio.create_task(self.run(), name="matrix-sync")

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])  # let it finish without re-raising its cancellation

    async def sync_once(self, timeout_ms: int, *, full_state: bool = False) -> nio.SyncResponse:
        state = self.adapter.state
        filt = SYNC_FILTER if state.next_batch else FIRST_SYNC_FILTER
        try:
            resp = await self.adapter.client.sync(
                timeout=timeout_ms, since=state.next_batch, sync_filter=filt, full_state=full_state
            )
        except TRANSPORT_ERRORS as exc:
            raise transport_failure(exc, "sync") from exc
        if isinstance(resp, nio.ErrorResponse):
            raise failure_of(resp, "sync")
        return resp

    async def run(self) -> None:
        """Sync until cancelled; outages and errors back off, then resume from the token."""
        delay = self.delay_min
        while True:
            try:
                await self.process(await self.sync_once(self.poll_timeout_ms), history=False)
                await self.retry_joins()
            except PermissionFailure as exc:
                log.error("matrix sync refused (%s); logging in again in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.delay_max)
                with contextlib.suppress(AdapterError):
                    await self.adapter.login()
                continue
            except Exception as exc:  # one bad response must not end the bot's hearing
                level = logging.WARNING if delay == self.delay_min else logging.INFO
                log.log(level, "matrix sync failed (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.delay_max)
                continue
            if delay != self.delay_min:
                log.info("matrix sync is back")
                delay = self.delay_min

    # handling a response -------------------------------------------------------------------

    async def process(self, resp: nio.SyncResponse, *, history: bool) -> None:
        """Handle one sync response, then save its token. ``history``: skip timelines."""
        handled = False
        client, encryption = self.adapter.client, self.adapter.encryption
        for room_id, info in resp.rooms.join.items():
            if not self.serves(room_id):
                await self.leave_unallowed(room_id)
                continue
            timeline = [_source(e) for e in info.timeline.events]
            locked = {  # what nio could not decrypt (no room key yet)
                e.event_id for e in info.timeline.events if isinstance(e, nio.MegolmEvent)
            }
            for event in [_source(e) for e in info.state] + timeline:
                await self.note_state(room_id, event)
            if not history:
                for event in after_own_join(timeline, self.adapter.me):
                    if event.get("event_id") in locked:
                        if event.get("sender") != self.adapter.me.user_id:
                            await self.undecrypted.keep(client, room_id, event)
                        continue
                    handled = await self.dispatch(room_id, event) or handled
            if room_id in self.encrypted and not encryption.enabled:
                await self.warn_encrypted(room_id)
        for room_id, event in await self.undecrypted.retry(client):
            handled = await self.dispatch(room_id, event) or handled
        for room_id in resp.rooms.leave:  # the bot left or was removed
            self.adapter.authority.forget(room_id)
            await self.adapter.state.forget_direct_room(room_id)
        for room_id, invited in resp.rooms.invite.items():
            state = [_source(e) for e in invited.invite_state]
            await self.consider_invite(read_invite(room_id, state, self.adapter.me))
        await self.adapter.state.save_sync(resp.next_batch, events_handled=handled)
        try:
            await encryption.maintain(client)
        except Exception as exc:  # the next round tries again; hearing goes on meanwhile
            log.warning("encryption key upkeep failed (%s); retrying after the next sync", exc)

    async def note_state(self, room_id: str, event: dict[str, Any]) -> None:
        """Keep up with what a room's events say: roles, encryption, names, direct chats."""
        kind, content = event.get("type"), event.get("content")
        self.adapter.authority.note(room_id, event)
        if kind in ("m.room.encryption", "m.room.encrypted"):
            self.encrypted.add(room_id)
        elif kind == "m.room.member" and isinstance(content, dict):
            name, user = content.get("displayname"), event.get("state_key")
            if isinstance(user, str) and isinstance(name, str) and name:
                self.displays[user] = name
            partner = self.adapter.state.direct_rooms.get(str(user))
            if partner == room_id and content.get("membership") in ("leave", "ban"):
                await self.adapter.state.forget_direct_room(room_id)

    async def dispatch(self, room_id: str, event: dict[str, Any]) -> bool:
        """Hand one timeline event to the core; True if it was one the core receives."""
        state, me = self.adapter.state, self.adapter.me
        event_id = event.get("event_id")
        if not isinstance(event_id, str) or state.handled(event_id):
            return False
        sender = event.get("sender")
        if not isinstance(sender, str) or sender == me.user_id:
            return False
        display = await self.display_name(sender) if event.get("type") == "m.room.message" else ""
        neutral = translate(
            room_id, event, me=me, display=display, is_direct=state.is_direct(room_id)
        )
        if neutral is None or self.handler is None:
            return False
        # Taking a reaction back is a redaction of the reaction event: say so in our terms.
        if isinstance(neutral, ReactionAdded):
            self.reactions[event_id] = neutral
            while len(self.reactions) > 4096:
                self.reactions.pop(next(iter(self.reactions)))
        elif isinstance(neutral, MessageDeleted) and neutral.where.message in self.reactions:
            neutral = replace(self.reactions.pop(neutral.where.message), removed=True)
        try:
            await self.handler(neutral)
        except Exception:  # a core bug on one event must not stop the others
            log.exception("handling %s in %s failed; skipped", event_id, room_id)
        state.recent.append(event_id)
        return True

    async def display_name(self, user_id: str) -> str:
        """The user's display name (from room state seen, else their profile), or ""."""
        if user_id in self.displays:
            return self.displays[user_id]
        try:
            resp = await self.adapter.client.get_displayname(user_id)
        except TRANSPORT_ERRORS:
            return ""
        name = getattr(resp, "displayname", None)
        if isinstance(resp, nio.ErrorResponse) or not isinstance(name, str):
            name = ""
        if len(self.displays) > 10_000:
            self.displays.clear()
        self.displays[user_id] = name
        return name

    # invites and joins ---------------------------------------------------------------------

    def serves(self, room_id: str) -> bool:
        """The room is allowed, or a direct chat the bot knows (admins' and authors')."""
        return self.rules.allowed(room_id) or self.adapter.state.is_direct(room_id)

    async def leave_unallowed(self, room_id: str) -> None:
        """Leave a room not on the allow list (joined before it was set), saying why."""
        if room_id in self.left:
            return
        self.left.add(room_id)
        log.warning("leaving %s: it is not on the [matrix] allow lists", room_id)
        with contextlib.suppress(AdapterError):
            await self.adapter.post(
                ChatRef(PLATFORM, room_id), Rendered(LEAVING), key=f"matrix-leave:{room_id}"
            )
        await leave_saying(self.adapter.client, room_id, LEAVING)

    async def consider_invite(self, invite: Invite) -> None:
        key = f"{PLATFORM}:{invite.inviter}"
        author = key in self.authors
        if not author and invite.is_direct and self.is_author is not None:
            author = await self.is_author(key)
        await self.rules.resolve(self.adapter.client)  # aliases created since
        rooms = frozenset(r for r in (invite.room_id,) if self.rules.configured(r))
        allowed = self.rules.allowed(invite.room_id)
        ok, why = invite_verdict(
            invite, admins=self.admins, rooms=rooms, inviter_is_author=author, allowed=allowed
        )
        if not ok:
            if (invite.room_id, invite.inviter) not in self.ignored_invites:
                self.ignored_invites.add((invite.room_id, invite.inviter))
                log.info("ignoring invite to %s from %s: %s", invite.room_id, invite.inviter, why)
                if not allowed:  # tell the inviter: the rejection carries the reason
                    await leave_saying(self.adapter.client, invite.room_id, LEAVING)
            return
        log.info("joining %s, invited by %s: %s", invite.room_id, invite.inviter, why)
        await self.join(invite, attempt=1)

    async def join(self, invite: Invite, *, attempt: int) -> bool:
        state = self.adapter.state
        try:
            resp = await self.adapter.client.join(invite.room_id)
            error = (
                failure_of(resp, "join", invite.room_id)
                if isinstance(resp, nio.ErrorResponse)
                else None
            )
        except TRANSPORT_ERRORS as exc:
            error = transport_failure(exc, "join", invite.room_id)
        if error is not None:
            retry = error.retryable and attempt < JOIN_ATTEMPTS
            log.warning("could not join %s (%s)%s", invite.room_id, error, "; will retry" * retry)
            if retry:
                self.pending_joins[invite.room_id] = (invite, attempt)
            else:
                self.pending_joins.pop(invite.room_id, None)
            return False
        self.pending_joins.pop(invite.room_id, None)
        if invite.inviter:
            await state.add_inviter(invite.room_id, invite.inviter)
            if invite.is_direct:
                await state.add_direct_room(invite.inviter, invite.room_id)
        if invite.encrypted:
            self.encrypted.add(invite.room_id)
            if not self.adapter.encryption.enabled:
                await self.warn_encrypted(invite.room_id)
        return True

    async def retry_joins(self) -> None:
        for invite, attempts in list(self.pending_joins.values()):
            await self.join(invite, attempt=attempts + 1)

    async def join_configured(self) -> None:
        """Join the configured rooms the bot is not in yet (works if invited or public)."""
        if not self.rooms:
            return
        try:
            resp = await self.adapter.client.joined_rooms()
        except TRANSPORT_ERRORS:
            return
        joined = set(getattr(resp, "rooms", []) or [])
        for room in sorted(self.rooms - joined):
            if room.startswith(("!", "#")):
                await self.join(Invite(room, None, False, False, None), attempt=JOIN_ATTEMPTS)

    # encrypted rooms -----------------------------------------------------------------------

    async def warn_encrypted(self, room_id: str) -> None:
        """Say once, in the room and to whoever invited the bot, that it cannot read there."""
        state = self.adapter.state
        if room_id in state.warned_encrypted:
            return
        inviter = state.inviters.get(room_id)
        reason = self.adapter.encryption.reason or "encryption is not available"
        log.warning(
            "room %s is end-to-end encrypted and cannot be read (%s); telling the room%s",
            room_id,
            reason,
            f" and {inviter}" if inviter else "",
        )
        told = False
        try:
            where = ChatRef(PLATFORM, room_id)
            await self.adapter.post(
                where, Rendered(E2E_ROOM_NOTICE.format(reason=reason)), key=f"e2e-room:{room_id}"
            )
            told = True
        except AdapterError as exc:
            log.warning("could not post the encryption notice in %s: %s", room_id, exc)
        if inviter and inviter != self.adapter.me.user_id:
            try:
                await self.adapter.direct_message(
                    UserRef(PLATFORM, inviter),
                    Rendered(E2E_DM.format(room=room_id, reason=reason)),
                    key=f"e2e-dm:{room_id}",
                )
                told = True
            except AdapterError as exc:
                log.warning("could not tell %s about encrypted %s: %s", inviter, room_id, exc)
        if told:
            await state.mark_warned(room_id)
