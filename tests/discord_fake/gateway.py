"""The fake's gateway: sessions, sequence numbers, intents, resume and disconnects.

Plain-JSON text frames over an aiohttp websocket, as discord.py's ``DiscordWebSocket``
parses them (``received_message``).  One ``Session`` per IDENTIFY; every dispatch gets
the session's next ``s`` and is kept in the session's log so a RESUME can replay what
the client missed (Discord: "replay all missed events in order, finishing with RESUMED").
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import WSMsgType, web

from .model import JSON, PRIVILEGED_INTENTS, Intent
from .state import World

ReconnectPolicy = Literal["allow", "hold", "refuse"]
CLIENT_CLOSE_INVALIDATES = (1000, 1001)
TRACE = ['["gateway-fake-1",{"micros":0}]']


def required_intent(event: str, data: JSON) -> int:
    """The intent Discord requires before it sends ``event`` (0: always sent)."""
    in_guild = "guild_id" in data
    if event.startswith("MESSAGE_REACTION_"):
        return Intent.GUILD_MESSAGE_REACTIONS if in_guild else Intent.DIRECT_MESSAGE_REACTIONS
    if event.startswith("MESSAGE_"):
        return Intent.GUILD_MESSAGES if in_guild else Intent.DIRECT_MESSAGES
    if event in ("GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE"):
        return Intent.GUILD_MEMBERS
    if event == "GUILD_EMOJIS_UPDATE":
        return Intent.GUILD_EXPRESSIONS
    if event.startswith(("GUILD_", "CHANNEL_", "THREAD_")):
        return Intent.GUILDS
    return 0


def strip_content(data: JSON, bot_id: int) -> JSON:
    """Apply the MESSAGE_CONTENT rule: without the intent, content, embeds, attachments,
    components and polls are empty unless the message is the bot's own, is a DM, or
    mentions the bot."""
    author = data.get("author") or {}
    mentioned = any(m.get("id") == str(bot_id) for m in data.get("mentions") or [])
    if author.get("id") == str(bot_id) or "guild_id" not in data or mentioned:
        return data
    stripped = copy.copy(data)
    stripped.update(content="", embeds=[], attachments=[], components=[])
    stripped.pop("poll", None)
    return stripped


@dataclass
class Dispatched:
    session_id: str
    seq: int
    event: str
    data: JSON


class Connection:
    """One websocket; frames go out in order through a single writer task."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, path: str) -> None:
        self.ws = ws
        self.request = request
        self.path = path
        self.session: Session | None = None
        self.server_closed = False
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.writer = asyncio.create_task(self._write())

    @property
    def open(self) -> bool:
        return not self.ws.closed and not self.server_closed

    def send(self, frame: JSON | str) -> None:
        self.queue.put_nowait(frame if isinstance(frame, str) else json.dumps(frame))

    async def _write(self) -> None:
        while True:
            frame = await self.queue.get()
            try:
                if frame is None:
                    return
                if not self.ws.closed:
                    await self.ws.send_str(frame)
            except (ConnectionError, RuntimeError):
                pass  # the peer went away; the session log keeps the frame for RESUME
            finally:
                self.queue.task_done()

    async def flush(self, within: float) -> None:
        if self.writer.done() or self.ws.closed:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.queue.join(), within)

    async def close(self, code: int, *, abrupt: bool = False, reason: bytes = b"") -> None:
        self.server_closed = True
        if abrupt:
            transport = self.request.transport
            if transport is not None:
                transport.abort()
        elif not self.ws.closed:
            with contextlib.suppress(TimeoutError, ConnectionError, RuntimeError):
                await asyncio.wait_for(self.ws.close(code=code, message=reason), 5.0)

    async def stop_writer(self) -> None:
        self.queue.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await self.writer


def on_shard(identify: JSON, data: JSON) -> bool:
    """Whether an event goes to the session that sent ``identify``, as Discord documents
    sharding (topics/gateway "Sharding"): a guild's events go to shard
    ``(guild_id >> 22) % num_shards`` only, and DMs to shard 0 only. Guess: an event
    without a guild_id (DMs, and events this fake dispatches without one) counts as a DM."""
    shard_id, count = identify.get("shard") or [0, 1]
    guild = data.get("guild_id") if isinstance(data, dict) else None
    if guild is None:
        return bool(shard_id == 0)
    return bool((int(guild) >> 22) % count == shard_id)


@dataclass
class Session:
    id: str
    intents: int
    identify: JSON
    seq: int = 0
    log: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=10_000))
    conn: Connection | None = None

    def push(self, event: str, data: JSON) -> int:
        self.seq += 1
        frame = json.dumps({"op": 0, "s": self.seq, "t": event, "d": data})
        self.log.append((self.seq, frame))
        if self.conn is not None and self.conn.open:
            self.conn.send(frame)
        return self.seq


class Gateway:
    def __init__(
        self,
        world: World,
        *,
        heartbeat_interval_ms: int,
        notify: Callable[[], None],
        application_flags: int,
    ) -> None:
        self.world = world
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.notify = notify
        self.application_flags = application_flags
        self.resume_url = ""
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        self.identifies: list[JSON] = []
        self.resumes: list[tuple[JSON, bool]] = []
        self.heartbeats = 0
        self.dispatched: list[Dispatched] = []
        self.undelivered: list[tuple[str, JSON]] = []
        self.allowed_privileged_intents = int(PRIVILEGED_INTENTS)
        self.policy: ReconnectPolicy = "allow"
        self.refused = 0
        self._released = asyncio.Event()
        self._released.set()
        self._closing = False

    # ---- state for tests ---------------------------------------------------------

    @property
    def connected(self) -> bool:
        return any(s.conn is not None and s.conn.open for s in self.sessions.values())

    @property
    def intents(self) -> int | None:
        return self.identifies[-1].get("intents") if self.identifies else None

    async def flush(self, within: float = 5.0) -> None:
        for conn in list(self.connections):
            await conn.flush(within)

    # ---- dispatch ------------------------------------------------------------------

    def dispatch(self, event: str, data: JSON) -> None:
        intent = required_intent(event, data)
        if not self.sessions:
            self.undelivered.append((event, data))
        for session in list(self.sessions.values()):
            if intent and not session.intents & intent:
                continue
            if not on_shard(session.identify, data):
                continue
            payload = data
            if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not (
                session.intents & Intent.MESSAGE_CONTENT
            ):
                payload = strip_content(data, self.world.bot.id)
            seq = session.push(event, payload)
            self.dispatched.append(Dispatched(session.id, seq, event, payload))
        self.notify()

    # ---- websocket handler -----------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.policy == "hold":
            await self._released.wait()
        if self.policy == "refuse" or self._closing:
            self.refused += 1
            self.notify()
            return web.Response(status=503, text="upstream connect error")
        ws = web.WebSocketResponse(max_msg_size=0)
        if not ws.can_prepare(request).ok:
            return web.Response(status=400, text="websocket upgrade expected")
        await ws.prepare(request)
        conn = Connection(ws, request, request.path)
        self.connections.append(conn)
        if request.query.get("v") != "10":
            await conn.close(4012, reason=b"Invalid API version")
        elif request.query.get("encoding", "json") != "json":
            await conn.close(4002, reason=b"Error while decoding payload.")
        else:
            conn.send(
                {
                    "op": 10,
                    "s": None,
                    "t": None,
                    "d": {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": TRACE},
                }
            )
            try:
                async for msg in ws:
                    if msg.type is WSMsgType.TEXT:
                        await self._on_frame(conn, msg.data)
                    elif msg.type is WSMsgType.BINARY:
                        await conn.close(4002, reason=b"Error while decoding payload.")
                    self.notify()
            finally:
                self._detach(conn)
        await conn.stop_writer()
        self.notify()
        return ws

    def _detach(self, conn: Connection) -> None:
        session = conn.session
        if session is None:
            return
        if session.conn is conn:
            session.conn = None
        if not conn.server_closed and conn.ws.close_code in CLIENT_CLOSE_INVALIDATES:
            self.sessions.pop(session.id, None)  # Discord: closing with 1000/1001 ends the session

    async def _on_frame(self, conn: Connection, text: str) -> None:
        try:
            payload = json.loads(text)
            op = payload["op"]
            data = payload.get("d")
        except (ValueError, KeyError, TypeError):
            await conn.close(4002, reason=b"Error while decoding payload.")
            return
        if op == 1:
            self.heartbeats += 1
            conn.send({"op": 11, "s": None, "t": None, "d": None})
        elif op == 2:
            await self._identify(conn, data or {})
        elif op == 6:
            await self._resume(conn, data or {})
        elif conn.session is None:
            await conn.close(4003, reason=b"Not authenticated.")
        elif op == 8:
            self._request_members(conn, data or {})
        elif op in (3, 4):
            pass  # presence and voice state updates are accepted and ignored
        else:
            await conn.close(4001, reason=b"Unknown opcode.")

    async def _identify(self, conn: Connection, data: JSON) -> None:
        self.identifies.append(data)
        if conn.session is not None:
            await conn.close(4005, reason=b"Already authenticated.")
            return
        if data.get("token") != self.world.token:
            await conn.close(4004, reason=b"Authentication failed.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int):
            await conn.close(4013, reason=b"Invalid intent(s).")
            return
        if intents & PRIVILEGED_INTENTS & ~self.allowed_privileged_intents:
            await conn.close(4014, reason=b"Disallowed intent(s).")
            return
        shard = data.get("shard") or [0, 1]
        session = Session(id=secrets.token_hex(16), intents=intents, identify=data)
        self.sessions[session.id] = session
        session.conn = conn
        conn.session = session
        guilds = [g for g in self.world.guilds.values() if (g.id >> 22) % shard[1] == shard[0]]
        user = self.world.bot.payload()
        user.update(verified=True, mfa_enabled=False, email=None)
        ready: JSON = {
            "v": 10,
            "user": user,
            "user_settings": {},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_url,
            "application": {"id": str(self.world.application_id), "flags": self.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "_trace": TRACE,
        }
        if data.get("shard"):
            ready["shard"] = shard
        self._push(session, "READY", ready)
        if intents & Intent.GUILDS:
            presences = bool(intents & Intent.GUILD_PRESENCES)
            for guild in guilds:
                payload = self.world.guild_create_payload(guild, presences_intent=presences)
                self._push(session, "GUILD_CREATE", payload)

    def _push(self, session: Session, event: str, data: JSON) -> None:
        seq = session.push(event, data)
        self.dispatched.append(Dispatched(session.id, seq, event, data))

    async def _resume(self, conn: Connection, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if data.get("token") != self.world.token:
            self.resumes.append((data, False))
            await conn.close(4004, reason=b"Authentication failed.")
            return
        seq = data.get("seq") or 0
        oldest = session.log[0][0] if session and session.log else 1
        if session is None or seq > session.seq or seq < oldest - 1:
            self.resumes.append((data, False))
            conn.send({"op": 9, "s": None, "t": None, "d": False})
            return
        self.resumes.append((data, True))
        previous = session.conn
        session.conn = conn
        conn.session = session
        if previous is not None and previous is not conn:
            previous.session = None
            await previous.close(4000)
        for frame_seq, frame in session.log:
            if frame_seq > seq:
                conn.send(frame)
        self._push(session, "RESUMED", {"_trace": TRACE})

    def _request_members(self, conn: Connection, data: JSON) -> None:
        guild = self.world.guilds.get(int(data.get("guild_id") or 0))
        if guild is None or conn.session is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = str(data.get("query") or "").lower()
        members = [
            m
            for m in guild.members.values()
            if (not wanted or m.id in wanted) and m.user.username.startswith(query)
        ]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk: JSON = {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in wanted - {m.id for m in members}],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        self._push(conn.session, "GUILD_MEMBERS_CHUNK", chunk)

    # ---- test-side controls ------------------------------------------------------------

    async def disconnect(
        self,
        *,
        code: int = 4000,
        abrupt: bool = False,
        resumable: bool = True,
        then: ReconnectPolicy = "allow",
    ) -> None:
        self.policy = then
        if then == "hold":
            self._released.clear()
        else:
            self._released.set()
        for session in list(self.sessions.values()):
            if not resumable:
                self.sessions.pop(session.id, None)
        for conn in list(self.connections):
            if conn.open:
                conn.session = None
                await conn.close(code, abrupt=abrupt)
        for session in self.sessions.values():
            session.conn = None
        self.notify()

    def allow_reconnects(self) -> None:
        self.policy = "allow"
        self._released.set()

    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT; the client should close and RESUME."""
        for session in self.sessions.values():
            if session.conn is not None and session.conn.open:
                session.conn.send({"op": 7, "s": None, "t": None, "d": None})

    def invalidate_sessions(self) -> None:
        """Send op 9 INVALID_SESSION (d=false) and forget every session."""
        for session in list(self.sessions.values()):
            if session.conn is not None and session.conn.open:
                session.conn.send({"op": 9, "s": None, "t": None, "d": False})
        self.sessions.clear()

    async def close_all(self) -> None:
        self._closing = True
        self._released.set()
        for conn in list(self.connections):
            if conn.open:
                await conn.close(1001)
            await conn.stop_writer()

    def __repr__(self) -> str:
        return f"<Gateway sessions={len(self.sessions)} connected={self.connected}>"


def frames_after(session: Session, seq: int) -> list[Any]:
    """Decoded frames a RESUME from ``seq`` would replay (for assertions)."""
    return [json.loads(f) for s, f in session.log if s > seq]
