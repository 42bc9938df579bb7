"""``[discord] allowed_guilds``: when set, the bot serves only those servers. Any other
server it is in (added by anyone, since a Public Bot can be added by anyone) is told so in
its system channel (where Discord announced the bot) or its first channel the bot may
write in, and left; until then its events are ignored."""

from __future__ import annotations

import logging

import discord

log = logging.getLogger(__name__)

LEAVING = (
    "pointbot serves only the servers its operator allowed, and this is not one of them, "
    "so it is leaving. Ask the bot's operator to add this server to [discord] "
    "allowed_guilds if it should stay."
)


class GuildGate:
    """Which servers the bot serves (all when ``allowed`` is empty)."""

    def __init__(self, allowed: tuple[str, ...] = ()) -> None:
        self.allowed = frozenset(allowed)

    def allows(self, guild_id: int | None) -> bool:
        """A direct message (no server) always passes; a server only if allowed."""
        return not self.allowed or guild_id is None or str(guild_id) in self.allowed

    async def enforce(self, guild: discord.Guild) -> bool:
        """Leave ``guild`` with a word if it is not allowed; True if it was left."""
        if self.allows(guild.id):
            return False
        log.warning("leaving Discord server %s (%s): not in allowed_guilds", guild.id, guild.name)
        channel = _where_to_say(guild)
        if channel is not None:
            try:
                await channel.send(LEAVING)
            except discord.HTTPException as exc:
                log.info("could not say why in server %s: %s", guild.id, exc)
        try:
            await guild.leave()
        except discord.HTTPException as exc:
            log.warning("could not leave server %s: %s", guild.id, exc)
            return False
        return True


def _where_to_say(guild: discord.Guild) -> discord.TextChannel | None:
    me = guild.me
    candidates = [guild.system_channel, *sorted(guild.text_channels, key=lambda c: c.position)]
    for channel in candidates:
        if channel is not None and me is not None and channel.permissions_for(me).send_messages:
            return channel
    return None
