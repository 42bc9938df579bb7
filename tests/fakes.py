"""A recording FakeChatAdapter: core tests read like conversations.

It honours the adapter contract (idempotency keys included) and can be told to fail, so
tests can check what the outbox does when a platform is down.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.adapters.base import Capabilities, MessageHandler, NotFoundFailure, TemporaryFailure
from bot.core.models import ChatRef, IncomingMessage, Platform, Rendered, Role, UserRef


@dataclass(frozen=True, slots=True)
class Sent:
    op: str
    where: ChatRef  # where it landed (with its new message id)
    text: str
    key: str
    title: str | None = None
    mention: UserRef | None = None
    reply_to: ChatRef | None = None
    message: Rendered | None = None


@dataclass
class FakeChatAdapter:
    platform: Platform = field(default_factory=lambda: Platform("fake"))
    capabilities: Capabilities = field(default_factory=Capabilities)
    roles: dict[str, Role] = field(default_factory=dict)
    # (user id, community) -> role there; and channel -> community (else its own)
    community_roles: dict[tuple[str, str], Role] = field(default_factory=dict)
    communities: dict[str, str] = field(default_factory=dict)
    fail_next: int = 0  # this many sends raise TemporaryFailure before succeeding
    sent: list[Sent] = field(default_factory=list)
    calls: int = 0
    _handler: MessageHandler | None = None
    _by_key: dict[str, ChatRef] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # test side -------------------------------------------------------------------------

    def user(self, uid: str, display: str = "") -> UserRef:
        return UserRef(self.platform, uid, display or uid.capitalize())

    async def say(
        self,
        who: UserRef,
        text: str,
        *,
        channel: str = "#general",
        thread: str | None = None,
        reply_to: ChatRef | None = None,
        message_id: str | None = None,
    ) -> ChatRef:
        """A member says ``text``; the bot's handler runs before this returns."""
        where = ChatRef(self.platform, channel, thread, message_id or f"u{next(self._ids)}")
        assert self._handler is not None, "start() the adapter first"
        await self._handler(IncomingMessage(who, where, text, reply_to=reply_to))
        return where

    def texts(self, op: str | None = None) -> list[str]:
        return [s.text for s in self.sent if op is None or s.op == op]

    def threads(self) -> list[Sent]:
        return [s for s in self.sent if s.op == "open_thread"]

    def thread_of_point(self, number: int) -> ChatRef:
        for s in self.threads():
            if s.title and s.title.startswith(f"{number}."):
                return s.where
        raise AssertionError(f"no thread for point {number}: {[s.title for s in self.threads()]}")

    # the contract -----------------------------------------------------------------------

    async def start(self, on_message: MessageHandler) -> None:
        self._handler = on_message

    async def close(self) -> None:
        self._handler = None

    def _send(
        self, op: str, where: ChatRef, message: Rendered, key: str, **extra: object
    ) -> ChatRef:
        self.calls += 1
        if key in self._by_key:
            return self._by_key[key]
        if self.fail_next > 0:
            self.fail_next -= 1
            raise TemporaryFailure(str(self.platform), op, "simulated outage", ids=where.channel)
        if where.channel == "#gone":
            raise NotFoundFailure(str(self.platform), op, "channel deleted", ids=where.channel)
        landed = ChatRef(self.platform, where.channel, where.thread, f"b{next(self._ids)}")
        if op == "open_thread":
            landed = ChatRef(self.platform, where.channel, f"th{next(self._ids)}", landed.message)
        elif op == "react":
            landed = where  # a reaction sits on the message it reacts to
        self.sent.append(Sent(op, landed, message.text, key, message=message, **extra))  # type: ignore[arg-type]
        self._by_key[key] = landed
        return landed

    async def post(self, where: ChatRef, message: Rendered, *, key: str) -> ChatRef:
        return self._send("post", where, message, key)

    async def open_thread(
        self, where: ChatRef, title: str, first: Rendered, *, key: str
    ) -> ChatRef:
        return self._send("open_thread", where, first, key, title=title)

    async def reply(
        self, to: ChatRef, message: Rendered, *, mention: UserRef | None, key: str
    ) -> ChatRef:
        return self._send("reply", to.container(), message, key, mention=mention, reply_to=to)

    async def react(self, to: ChatRef, emoji: str, *, key: str) -> None:
        self._send("react", to, Rendered(emoji), key)

    async def edit(self, ref: ChatRef, message: Rendered) -> None:
        self.calls += 1
        if self.fail_next > 0:
            self.fail_next -= 1
            raise TemporaryFailure(str(self.platform), "edit", "simulated outage", ids=ref.channel)
        self.sent.append(Sent("edit", ref, message.text, ""))

    async def direct_message(self, user: UserRef, message: Rendered, *, key: str) -> ChatRef:
        return self._send("dm", ChatRef(self.platform, f"@{user.id}"), message, key)

    async def community_of(self, where: ChatRef) -> str | None:
        """``communities`` maps channels to servers; any other channel stands alone, and a
        direct chat (``@user``) is none."""
        if where.channel.startswith("@"):
            return None
        return self.communities.get(where.channel, f"{self.platform}:{where.channel}")

    async def role_of(self, user: UserRef, where: ChatRef) -> Role:
        community = await self.community_of(where)
        if community is not None and (user.id, community) in self.community_roles:
            return self.community_roles[(user.id, community)]
        return self.roles.get(user.id, Role.MEMBER)
