"""Which Matrix rooms the bot serves: the configured target rooms and, when an allow list
is set, only the rooms (and homeservers) on it.

Rooms are judged by room id. An alias in the config is resolved through the bot's own
homeserver (``room_resolve_alias``), never taken from an invite's stripped state, which the
inviting server supplies unchecked.
"""

from __future__ import annotations

import json
import logging

import nio

from bot.adapters.matrix.errors import TRANSPORT_ERRORS

log = logging.getLogger(__name__)

LEAVING = (
    "I serve only the rooms my operator allowed, and this is not one of them, so I am "
    "leaving. Ask the bot's operator to add it to [matrix] allowed_rooms if it should be."
)


def server_of(room_id: str) -> str:
    """The homeserver part of a room id (``!abc:example.org`` -> ``example.org``)."""
    return room_id.partition(":")[2]


class RoomRules:
    """The configured rooms and the allow lists, with aliases resolved to room ids."""

    def __init__(
        self,
        configured: frozenset[str],
        allowed_rooms: tuple[str, ...] = (),
        allowed_homeservers: tuple[str, ...] = (),
    ) -> None:
        self.configured_names = configured
        self.allowed_names = frozenset(allowed_rooms)
        self.allowed_servers = frozenset(allowed_homeservers)
        self.ids: dict[str, str] = {n: n for n in configured | self.allowed_names if n[:1] == "!"}

    @property
    def limited(self) -> bool:
        """Whether an allow list is set (else every room an invite may bring is possible)."""
        return bool(self.allowed_names or self.allowed_servers)

    async def resolve(self, client: nio.AsyncClient) -> None:
        """Resolve the aliases not resolved yet, through the bot's own homeserver."""
        for name in sorted((self.configured_names | self.allowed_names) - set(self.ids)):
            if not name.startswith("#"):
                continue
            try:
                resp = await client.room_resolve_alias(name)
            except TRANSPORT_ERRORS as exc:
                log.warning("could not resolve room alias %s now: %s", name, exc)
                continue
            room_id = getattr(resp, "room_id", None)
            if isinstance(resp, nio.ErrorResponse) or not isinstance(room_id, str):
                log.warning(
                    "room alias %s does not resolve: %s", name, getattr(resp, "message", resp)
                )
                continue
            self.ids[name] = room_id

    def _ids(self, names: frozenset[str]) -> set[str]:
        return {self.ids[n] for n in names if n in self.ids}

    def configured(self, room_id: str) -> bool:
        return room_id in self._ids(self.configured_names)

    def allowed(self, room_id: str) -> bool:
        """The room may be served: no allow list, or on it, or a configured target."""
        if not self.limited or self.configured(room_id):
            return True
        return (
            room_id in self._ids(self.allowed_names) or server_of(room_id) in self.allowed_servers
        )


async def leave_saying(client: nio.AsyncClient, room_id: str, reason: str) -> bool:
    """Leave (or reject the invite to) ``room_id``, giving ``reason``: the inviter sees it on
    the bot's membership event. nio's ``room_leave`` sends no body, hence the raw request
    (the spec's ``reason`` field of ``POST /rooms/{roomId}/leave``)."""
    method, path = nio.Api.room_leave(client.access_token, room_id)
    try:
        resp = await client._send(
            nio.RoomLeaveResponse, method, path, json.dumps({"reason": reason})
        )
    except TRANSPORT_ERRORS as exc:
        log.warning("could not leave %s now: %s", room_id, exc)
        return False
    if isinstance(resp, nio.ErrorResponse):
        log.warning("could not leave %s: %s", room_id, resp.message)
        return False
    return True
