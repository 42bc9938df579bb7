"""The Discord platform (discord.py): see :class:`DiscordAdapter`.

Modules: ``adapter`` (login, sending verbs, roles), ``client`` (the discord.py client and
its intents), ``events`` (gateway events and catch-up to the core), ``inbound`` (discord.py
objects -> neutral events, pure), ``render`` (embeds, escaping, allowed mentions, pure),
``threads`` (look-before-create threads and forum posts), ``slash`` (slash commands answered
through the core), ``state`` (what survives a restart), ``errors`` (discord.py -> AdapterError).
"""

from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.inbound import PLATFORM

__all__ = ["PLATFORM", "DiscordAdapter"]
