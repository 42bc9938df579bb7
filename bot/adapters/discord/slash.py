"""Slash commands and button presses, answered through the core's one code path as the text
commands they stand for.

Design: a slash command is translated into the text command it mirrors (``/answer
question:12 answer:Yes`` becomes ``!answer 12 Yes``) and handed to the core as an
:class:`IncomingMessage` whose ``where.message`` is the synthetic id
``interaction:<interaction id>``. The core parses it, checks roles and queues its reply in
the outbox like any other; the outbox then calls :meth:`DiscordAdapter.reply` with that
synthetic id, which lands here:

* Before the core even sees the command, the interaction is deferred ("pointbot is
  thinking…"), so Discord's 3-second limit is always met whatever the outbox does;
  ephemeral for everything except a named ``/ask``, whose question the channel should see.
* The core's first reply to it replaces that placeholder (``edit_original_response``);
  further replies are followups. Both keep the deferral's visibility, so an author's or
  an admin's confirmation is seen by them alone. An ``/ask`` answer shows the question
  (escaped) above the acknowledgement, and that public message is remembered in the state
  store so the author's answer, days later, can reply to it.
* A reply that mentions someone (the author's answer reaching the asker), or that comes
  after the interaction token expired (15 minutes) or the process restarted, is sent as a
  normal channel message instead: interaction messages cannot notify anyone later.
* But never a private one (``Rendered.private``: the sign-in link ``/web`` gives): it goes
  only into the ephemeral response, and when that cannot be had any more it is given up
  (``NotFoundFailure``, logged by the outbox); the asker runs ``/web`` again.

A press on one of the bot's buttons takes the same path: its ``custom_id`` carries the text
command (``render.command_of``), sent by whoever pressed, where the button is, answered to
them alone. Nothing about the button is kept in memory, so a press after a restart works,
and the core's inbound claim on ``interaction:<id>`` makes a replayed press act once.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

import discord
from discord import app_commands

from bot.adapters.base import NotFoundFailure
from bot.adapters.discord import render
from bot.adapters.discord.errors import failure_of
from bot.adapters.discord.inbound import PLATFORM, place_of, ref, user_of
from bot.core.models import ChatRef, IncomingMessage, Rendered, UserRef
from bot.core.numbers import MAX_SLASH_NUMBER

if TYPE_CHECKING:
    from bot.adapters.discord.adapter import DiscordAdapter

log = logging.getLogger(__name__)

TOKEN_LIFETIME = 14 * 60.0  # Discord's interaction tokens last 15 minutes; keep a margin
PREFIX = "interaction:"
FeedAction = Literal[
    "add",
    "list",
    "remove",
    "pause",
    "resume",
    "post",
    "status",
    "filter",
    "preview",
    "cap",
    "template",
    "announce",
]
NotifyMode = Literal["each", "digest", "none"]
WebAction = Literal["login", "logout"]
# Every number option is bounded as the text commands read numbers (bot.core.numbers):
# Discord refuses anything else in its client, and the text command it becomes is parsed
# by the same grammar (read_number) whatever arrives.
Number = app_commands.Range[int, 1, MAX_SLASH_NUMBER]


@dataclass
class Pending:
    """An interaction the core has not finished answering."""

    interaction: discord.Interaction
    ephemeral: bool
    deferred: bool
    preface: str | None = None  # shown above the first reply (an /ask's question)
    started: float = field(default_factory=time.monotonic)
    answered: bool = False
    sent: dict[str, ChatRef] = field(default_factory=dict)

    def live(self) -> bool:
        return self.deferred and time.monotonic() - self.started < TOKEN_LIFETIME


class SlashCommands:
    """The command tree and the interactions waiting for the core's replies."""

    def __init__(self, adapter: DiscordAdapter, prefix: str) -> None:
        self.adapter = adapter
        self.prefix = prefix
        self.pending: dict[str, Pending] = {}

    @staticmethod
    def is_interaction(message_id: str | None) -> bool:
        return bool(message_id) and str(message_id).startswith(PREFIX)

    async def run(
        self, interaction: discord.Interaction, text: str, *, public: bool = False
    ) -> None:
        """Acknowledge ``interaction`` at once, then hand its text command to the core."""
        iid = str(interaction.id)
        if iid in self.pending:
            return  # delivered twice (a replayed gateway event): it is being answered
        if not self.adapter.guilds.allows(interaction.guild_id):
            return  # a server not allowed: the bot is leaving it
        preface = None
        if public:
            name, asked = interaction.user.display_name, str(interaction.namespace.question)
            preface = f"**{render.literal(name)}** asks: {render.literal(asked)}"
        try:
            await interaction.response.defer(ephemeral=not public, thinking=True)
            deferred = True
        except discord.HTTPException as exc:  # too late (3 s) or refused: answer in the channel
            log.warning("could not acknowledge /%s: %s", _name(interaction), exc)
            deferred = False
        self.adapter.note_member(interaction.user)
        self.pending[iid] = Pending(interaction, not public, deferred, preface)
        self._expire()
        place = place_of(interaction.channel) or (str(interaction.channel_id), None)
        guild = interaction.guild_id
        await self.adapter.deliver(
            IncomingMessage(
                author=user_of(interaction.user),
                where=ref(place, PREFIX + iid, "@me" if guild is None else str(guild)),
                text=text,
                mentions_bot=True,
                is_direct=guild is None,
                private_reply=not public and deferred,
            )
        )

    async def pressed(self, interaction: discord.Interaction) -> None:
        """A press on a button: the command its ``custom_id`` carries, as the presser."""
        data = cast(dict[str, Any], interaction.data or {})
        custom_id = str(data.get("custom_id") or "")
        command = render.command_of(custom_id, self.prefix)
        if command is None:
            log.info("ignored a press on component %r: not one of pointbot's", custom_id)
            return
        await self.run(interaction, command)

    def _expire(self) -> None:
        for iid in [i for i, p in self.pending.items() if not p.live()]:
            del self.pending[iid]

    async def reply(
        self, to: ChatRef, message: Rendered, mention: UserRef | None, key: str
    ) -> ChatRef:
        """The core's reply to a slash command (see the module docstring)."""
        iid = str(to.message).removeprefix(PREFIX)
        pending = self.pending.get(iid)
        private_ok = not message.private or (pending is not None and pending.ephemeral)
        if mention is None and pending is not None and pending.live() and private_ok:
            if key in pending.sent:
                return pending.sent[key]
            try:
                return await self._respond(pending, iid, to, message, key)
            except discord.NotFound:
                log.info("interaction %s expired; replying in the channel", iid)
        if message.private:
            raise NotFoundFailure(
                PLATFORM,
                "reply",
                "the interaction can no longer be answered privately, and a private reply "
                "is never posted in the channel instead",
                ids=iid,
            )
        asked = await self.adapter.state.asked_message(iid)
        return await self.adapter.send_reply(to.container(), message, mention, key, asked)

    async def react(self, to: ChatRef, emoji: str, key: str) -> None:
        """A reaction the core puts on a slash command (an acknowledgement): it has no
        message to react to, so the emoji becomes the reply, if the command still waits."""
        iid = str(to.message).removeprefix(PREFIX)
        pending = self.pending.get(iid)
        if pending is None or not pending.live() or pending.answered or key in pending.sent:
            return
        with contextlib.suppress(discord.NotFound):  # expired meanwhile: nothing to show
            await self._respond(pending, iid, to, Rendered(emoji), key)

    async def _respond(
        self, pending: Pending, iid: str, to: ChatRef, message: Rendered, key: str
    ) -> ChatRef:
        text = render.literal(message.text)
        if pending.preface and not pending.answered:
            text = f"{pending.preface}\n{text}"
        parts = render.split_content(text)
        interaction, none = pending.interaction, discord.AllowedMentions.none()
        view = render.view_of(message.actions, self.prefix)
        first: discord.Message | None = None
        try:
            for i, part in enumerate(parts):
                buttons: dict[str, Any] = (
                    {"view": view} if view is not None and i == len(parts) - 1 else {}
                )
                sent: discord.Message
                if not pending.answered:
                    sent = await interaction.edit_original_response(
                        content=part, allowed_mentions=none, **buttons
                    )
                    pending.answered = True
                else:
                    sent = await interaction.followup.send(
                        part,
                        ephemeral=pending.ephemeral,
                        wait=True,
                        allowed_mentions=none,
                        **buttons,
                    )
                first = first or sent
        except discord.NotFound:
            raise
        except Exception as exc:
            raise failure_of(exc, "reply", to.thread or to.channel) from exc
        assert first is not None
        if pending.preface and not pending.ephemeral:
            await self.adapter.state.save_asked_message(iid, first.id)
        result = ChatRef(to.platform, to.channel, to.thread, str(first.id))
        pending.sent[key] = result
        return result


# Commands whose one option is a question's number: name -> (description, the option's help).
_ON_ONE_QUESTION = {
    "vote": ("Vote for a question", "The question's number, as in #12"),
    "separate": ("Keep your question apart from the one it joined", "Your question's number"),
    "reopen": ("Authors: put a closed question back in the queue", "The question's number"),
    "unmerge": ("Authors: make a merged question its own again", "The merged question's number"),
    "history": ("Authors: every change to a question", "The question's number"),
}


def _one_question_command(
    tree: app_commands.CommandTree, slash: SlashCommands, name: str, description: str, about: str
) -> None:
    """Register ``/name question:N``, the mirror of ``!name N``."""

    @app_commands.describe(question=about)
    @app_commands.guild_only()
    async def command(interaction: discord.Interaction, question: Number) -> None:
        await slash.run(interaction, f"{slash.prefix}{name} {question}")

    tree.add_command(app_commands.Command(name=name, description=description, callback=command))


def _in_dms_too(command: Any) -> Any:
    """Offered in the bot's DM as well as in servers (``contexts`` [0, 1]) for a server
    install (``integration_types`` [0]): the commands about one's own questions and an
    author's queue, which need no channel."""
    command = app_commands.allowed_installs(guilds=True, users=False)(command)
    return app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)(command)


def build_tree(client: discord.Client, slash: SlashCommands) -> app_commands.CommandTree:
    """The slash commands, each the mirror of a text command (``bot.core.commands``)."""
    tree: app_commands.CommandTree = app_commands.CommandTree(client)
    p = slash.prefix

    @tree.command(name="ask", description="Ask the author a question about the article here")
    @app_commands.describe(
        question="Your question",
        point="The number of the point it is about (optional)",
        anonymous="Keep your name off the question (only you see the bot's reply)",
    )
    @app_commands.guild_only()
    async def ask(
        interaction: discord.Interaction,
        question: str,
        point: app_commands.Range[int, 1, 999] | None = None,
        anonymous: bool = False,
    ) -> None:
        words = [f"{p}ask"] + (["--anonymous"] if anonymous else [])
        words += [f"point {point}"] if point is not None else []
        await slash.run(interaction, " ".join([*words, question]), public=not anonymous)

    @tree.command(name="questions", description="List your questions and their state")
    @_in_dms_too
    async def questions(interaction: discord.Interaction) -> None:
        await slash.run(interaction, f"{p}questions")

    @tree.command(name="points", description="List the points of the article here")
    @app_commands.guild_only()
    async def points(interaction: discord.Interaction) -> None:
        await slash.run(interaction, f"{p}points")

    for name, (description, about) in _ON_ONE_QUESTION.items():
        _one_question_command(tree, slash, name, description, about)

    @tree.command(name="help", description="List the commands you may use, or explain one")
    @app_commands.describe(command="A command to explain (optional)")
    @_in_dms_too
    async def help_(interaction: discord.Interaction, command: str | None = None) -> None:
        await slash.run(interaction, f"{p}help {command or ''}".strip())

    @tree.command(name="queue", description="Authors: the questions waiting for you")
    @_in_dms_too
    async def queue(interaction: discord.Interaction) -> None:
        await slash.run(interaction, f"{p}queue")

    @tree.command(name="answer", description="Authors: answer a question")
    @app_commands.describe(question="The question's number", answer="Your answer")
    @_in_dms_too
    async def answer(interaction: discord.Interaction, question: Number, answer: str) -> None:
        await slash.run(interaction, f"{p}answer {question} {answer}")

    @tree.command(name="dismiss", description="Authors: close a question without answering")
    @app_commands.describe(question="The question's number", reason="Why (optional)")
    @app_commands.guild_only()
    async def dismiss(
        interaction: discord.Interaction, question: Number, reason: str | None = None
    ) -> None:
        await slash.run(interaction, f"{p}dismiss {question} {reason or ''}".strip())

    @tree.command(name="merge", description="Authors: fold a duplicate into another question")
    @app_commands.describe(question="The duplicate's number", into="The question it repeats")
    @app_commands.guild_only()
    async def merge(interaction: discord.Interaction, question: Number, into: Number) -> None:
        await slash.run(interaction, f"{p}merge {question} into {into}")

    @tree.command(name="faq", description="Authors: post or update the article's FAQ message")
    @app_commands.describe(article="The article's number (optional: the one posted here)")
    @app_commands.guild_only()
    async def faq(interaction: discord.Interaction, article: Number | None = None) -> None:
        await slash.run(interaction, f"{p}faq {article if article is not None else ''}".strip())

    @tree.command(name="notify", description="Authors: how you hear of new questions")
    @app_commands.describe(mode="each, digest or none", at="The digest's time, HH:MM UTC")
    @app_commands.guild_only()
    async def notify(
        interaction: discord.Interaction, mode: NotifyMode, at: str | None = None
    ) -> None:
        await slash.run(interaction, f"{p}notify {mode} {at or ''}".strip())

    @tree.command(name="web", description="Authors: a sign-in link to the web desk, just for you")
    @app_commands.describe(action="login (the default): a one-time link; logout: sign out")
    @_in_dms_too
    async def web_(interaction: discord.Interaction, action: WebAction | None = None) -> None:
        # Deferred ephemerally like every command but a named /ask, and the command is
        # IncomingMessage.private_reply: the core gives the link here, in a channel too.
        await slash.run(interaction, f"{p}web {action or ''}".strip())

    @tree.command(name="feed", description="Admins: manage the article feeds")
    @app_commands.describe(
        action="What to do", details="The rest, as after !feed <action> (e.g. a URL)"
    )
    @app_commands.guild_only()
    async def feed(
        interaction: discord.Interaction, action: FeedAction, details: str | None = None
    ) -> None:
        await slash.run(interaction, f"{p}feed {action} {details or ''}".strip())

    return tree


def _name(interaction: discord.Interaction) -> str:
    command = interaction.command
    return command.name if command is not None else "command"
