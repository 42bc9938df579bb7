"""The person at the console: who they are, where they are, and the lines they type.

Lines starting with ``/`` steer the console itself (switch user, enter a thread, reply to a
message); every other line is said as a chat message in the current place. The same
grammar is used for ``--script`` files and for the built-in demo.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.adapters.console import PLATFORM, ConsoleAdapter
from bot.core.models import ChatRef, UserRef
from bot.core.numbers import read_number

CONSOLE_HELP = """\
Console controls (everything else is said as a chat message):
  /as NAME          speak as NAME (try: dana, lee, author, admin); "admin" may use admin
                    commands when [bot] admins lists console:admin (the example config does)
  /in #CHANNEL      go to a channel
  /thread [N|tID]   enter the thread of point N (or thread tID); no argument lists threads
  /back             leave the thread, back to its channel
  /reply mID TEXT   reply to message mID
  /where            who and where you are
  /help             this text
  /quit             stop the bot
Bot commands start with ! — type !help."""


@dataclass
class Place:
    channel: str = "#general"
    thread: str | None = None


class ConsoleSession:
    """Interprets one line at a time; ``after_each`` lets the bot finish replying first."""

    def __init__(
        self,
        adapter: ConsoleAdapter,
        write: Callable[[str], None],
        after_each: Callable[[], Awaitable[None]],
        *,
        user: str = "dana",
    ) -> None:
        self.adapter = adapter
        self.write = write
        self.after_each = after_each
        self.user = self._user(user)
        self.place = Place()
        self.finished = False

    @staticmethod
    def _user(name: str) -> UserRef:
        return UserRef(PLATFORM, name.lower(), name.capitalize())

    def prompt(self) -> str:
        where = self.adapter.label(self._ref())
        return f"{self.user.id}@{where}> "

    def _ref(self) -> ChatRef:
        return ChatRef(PLATFORM, self.place.channel, self.place.thread)

    async def line(self, raw: str) -> None:
        """Act on one typed line."""
        text = raw.rstrip("\n")
        if not text.strip() or text.lstrip().startswith("#!"):
            return
        if text.startswith("/"):
            await self._control(text)
        else:
            await self.adapter.say(self.user, self.place.channel, text, thread=self.place.thread)
        await self.after_each()

    async def _control(self, text: str) -> None:
        name, _, rest = text[1:].partition(" ")
        rest = rest.strip()
        match name.lower():
            case "as":
                if not rest:
                    self.write("usage: /as NAME")
                    return
                self.user = self._user(rest.split()[0])
                self.write(f"— you are now {self.user.name} ({self.user.key})")
            case "in":
                channel = rest if rest.startswith("#") else f"#{rest}"
                self.place = Place(channel)
                self.write(f"— you are in {channel}")
            case "thread":
                self._enter_thread(rest)
            case "back":
                self.place = Place(self.place.channel)
                self.write(f"— back in {self.place.channel}")
            case "reply":
                target, _, said = rest.partition(" ")
                parent = self.adapter.resolve_message(target)
                if parent is None or not said.strip():
                    self.write("usage: /reply mID TEXT (an id shown before a message, like m3)")
                    return
                await self.adapter.say(
                    self.user,
                    parent.where.channel,
                    said.strip(),
                    thread=parent.where.thread,
                    reply_to=parent.id,
                )
            case "where":
                self.write(
                    f"— {self.user.name} ({self.user.key}) in {self.adapter.label(self._ref())}"
                )
            case "help":
                self.write(CONSOLE_HELP)
            case "quit" | "exit":
                self.finished = True
            case _:
                self.write(f"— unknown console control /{name}; /help lists them")

    def _enter_thread(self, arg: str) -> None:
        threads = self.adapter.threads_in(self.place.channel)
        if not arg:
            if not threads:
                self.write(f"— no threads in {self.place.channel} yet")
            for t in threads:
                self.write(f"— {t.id}: {t.title}")
            return
        found = None
        if arg.startswith("t"):
            found = self.adapter.threads.get(arg)
        elif read_number(arg) is not None:
            # The most recent thread whose title starts "N." is that point's thread.
            matches = [t for t in threads if t.title.startswith(f"{arg}.")]
            found = matches[-1] if matches else None
        if found is None:
            self.write(f"— no thread {arg!r} in {self.place.channel}; /thread lists them")
            return
        self.place = Place(found.channel, found.id)
        self.write(f"— you are in thread {found.id}: {found.title}")
