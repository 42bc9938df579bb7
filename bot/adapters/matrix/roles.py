"""Who counts as a room admin on Matrix: power level 50 or more, or a room creator.

Since room version 12 the creators (the ``m.room.create`` sender and its
``additional_creators``) outrank every power level and are no longer listed in
``m.room.power_levels``, so both state events are needed. They are fetched once per room and
then kept current from the state events the sync delivers.
"""

from __future__ import annotations

import logging
from typing import Any

import nio

from bot.adapters.matrix.errors import TRANSPORT_OR_ADAPTER
from bot.core.models import Role

log = logging.getLogger(__name__)

ADMIN_POWER_LEVEL = 50


def privileged_creators(create: dict[str, Any]) -> frozenset[str]:
    """The users a create event makes all-powerful (none before room version 12)."""
    content = create.get("content") if isinstance(create.get("content"), dict) else {}
    assert isinstance(content, dict)
    version = str(content.get("room_version") or "1")
    if not (version.isdigit() and int(version) >= 12) and "hydra" not in version:
        return frozenset()
    extra = content.get("additional_creators")
    found = {u for u in extra if isinstance(u, str)} if isinstance(extra, list) else set()
    sender = create.get("sender")
    if isinstance(sender, str):
        found.add(sender)
    return frozenset(found)


def role_from(user_id: str, levels: dict[str, Any], creators: frozenset[str]) -> Role:
    """ADMIN for a creator or power level >= 50; MEMBER otherwise."""
    if user_id in creators:
        return Role.ADMIN
    users = levels.get("users")
    level = users.get(user_id) if isinstance(users, dict) else None
    if level is None:
        level = levels.get("users_default", 0)
    return Role.ADMIN if isinstance(level, int) and level >= ADMIN_POWER_LEVEL else Role.MEMBER


class RoomAuthority:
    """Power levels and creators per room: fetched on first need, updated by the sync."""

    def __init__(self) -> None:
        self.levels: dict[str, dict[str, Any]] = {}
        self.creators: dict[str, frozenset[str]] = {}

    def note(self, room_id: str, event: dict[str, Any]) -> None:
        """Take in a state event seen in the sync."""
        content = event.get("content")
        if event.get("state_key") != "" or not isinstance(content, dict):
            return
        if event.get("type") == "m.room.power_levels":
            self.levels[room_id] = content
        elif event.get("type") == "m.room.create":
            self.creators[room_id] = privileged_creators(event)

    def forget(self, room_id: str) -> None:
        self.levels.pop(room_id, None)
        self.creators.pop(room_id, None)

    async def role(self, client: nio.AsyncClient, room_id: str, user_id: str) -> Role:
        """The user's role in the room; MEMBER when the room's state cannot be read."""
        if not await self._known(client, room_id, user_id):
            return Role.MEMBER
        return role_from(user_id, self.levels[room_id], self.creators[room_id])

    async def room_ping_refusal(
        self, client: nio.AsyncClient, room_id: str, user_id: str
    ) -> str | None:
        """Why ``user_id`` (the bot) cannot notify the whole room with @room, or None when
        its power level reaches the room's ``notifications.room`` (50 by default)."""
        if not await self._known(client, room_id, user_id):
            return f"I cannot read the power levels of {room_id} now"
        if user_id in self.creators[room_id]:
            return None
        levels = self.levels[room_id]
        notifications = levels.get("notifications")
        needed = notifications.get("room", 50) if isinstance(notifications, dict) else 50
        users = levels.get("users")
        mine = users.get(user_id) if isinstance(users, dict) else None
        if mine is None:
            mine = levels.get("users_default", 0)
        if isinstance(mine, int) and isinstance(needed, int) and mine >= needed:
            return None
        return (
            f"my power level in {room_id} is {mine}, and notifying the whole room with @room "
            f"takes {needed}; a room admin can raise mine"
        )

    async def _known(self, client: nio.AsyncClient, room_id: str, user_id: str) -> bool:
        """The room's power levels and creators are at hand (fetched if need be)."""
        if room_id not in self.levels or room_id not in self.creators:
            try:
                resp = await client.room_get_state(room_id)
            except TRANSPORT_OR_ADAPTER as exc:
                resp = exc
            if not isinstance(resp, nio.RoomGetStateResponse):
                log.warning(
                    "state of %s unknown (%s); treating %s as member", room_id, resp, user_id
                )
                return False
            for event in resp.events:
                if isinstance(event, dict):
                    self.note(room_id, event)
            self.levels.setdefault(room_id, {})
            self.creators.setdefault(room_id, frozenset())
        return True
