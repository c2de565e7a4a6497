"""Discord interactions and messages as the core's events.

A server channel is a group chat (titled with the server's name); a private chat is
named after its person, as on Telegram. Members with Manage Server or Manage Events,
or the configured coordinator role, are the chat's admins for the core.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from adapters.discord.outlet import PLATFORM
from bot.events import ButtonPress, ChatKind, ChatRef, Command, Event, MessageRef, Text, UserRef

__all__ = ["EventReader", "user_ref"]

_LEADING_MENTION = re.compile(r"^\s*<@!?\d+>\s*")


def user_ref(user: discord.abc.User, locale: discord.Locale | None = None) -> UserRef:
    """A Discord account as the core's person."""
    return UserRef(PLATFORM, str(user.id), user.display_name, locale.value if locale else None)


class EventReader:
    """Reads what an interaction or a message means for the core, as bot `me`."""

    def __init__(self, me_id: int, coordinator_role: str | None) -> None:
        self._me_id = me_id
        self._role = coordinator_role.casefold() if coordinator_role else None

    def _chat(
        self,
        user: discord.abc.User,
        channel_id: int | None,
        guild_id: int | None,
        guild: discord.Guild | None,
    ) -> ChatRef:
        """A server channel, titled with the server's name when discord.py knows it."""
        if guild_id is None or channel_id is None:
            return ChatRef(PLATFORM, str(user.id), ChatKind.PRIVATE)
        title = guild.name if guild is not None else None
        return ChatRef(PLATFORM, str(channel_id), ChatKind.GROUP, title)

    def _is_admin(self, user: discord.abc.User, permissions: discord.Permissions | None) -> bool:
        if not isinstance(user, discord.Member):
            return False
        if permissions is not None and (permissions.manage_guild or permissions.manage_events):
            return True
        return self._role is not None and any(r.name.casefold() == self._role for r in user.roles)

    def command(self, interaction: discord.Interaction[Any]) -> Command | None:
        """A slash command: its name and its options' values as the command's text."""
        data: dict[str, Any] = dict(interaction.data or {})
        name = str(data.get("name", ""))
        if not name:
            return None
        args = " ".join(str(o.get("value", "")) for o in data.get("options", []) or [])
        user = interaction.user
        chat = self._chat(user, interaction.channel_id, interaction.guild_id, interaction.guild)
        admin = self._is_admin(user, interaction.permissions)
        return Command(user_ref(user, interaction.locale), chat, name, args.strip(), admin)

    def press(self, interaction: discord.Interaction[Any]) -> ButtonPress | None:
        """A button click: its custom id is the core's button data."""
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = data.get("custom_id")
        message = interaction.message
        if not custom_id or message is None or interaction.user.bot:
            return None
        user = interaction.user
        chat = self._chat(user, interaction.channel_id, interaction.guild_id, interaction.guild)
        ref = MessageRef(PLATFORM, str(message.channel.id), str(message.id))
        admin = self._is_admin(user, interaction.permissions)
        return ButtonPress(
            user_ref(user, interaction.locale),
            chat,
            str(custom_id),
            ref,
            str(interaction.id),
            admin,
        )

    def message(self, message: discord.Message) -> Event | None:
        """Text in a private chat, or a reply to one of the bot's messages in a server."""
        author = message.author
        if author.bot or not message.content:
            return None
        text = _LEADING_MENTION.sub("", message.content, count=1).strip()
        if not text:
            return None
        guild = message.guild
        chat = self._chat(author, message.channel.id, guild.id if guild else None, guild)
        reply_to = self._reply_to_bot(message)
        if guild is not None and reply_to is None:
            return None  # server talk not meant for the bot
        permissions = author.guild_permissions if isinstance(author, discord.Member) else None
        return Text(user_ref(author), chat, text, reply_to, self._is_admin(author, permissions))

    def _reply_to_bot(self, message: discord.Message) -> MessageRef | None:
        reference = message.reference
        if reference is None or reference.message_id is None:
            return None
        resolved = reference.resolved
        if not isinstance(resolved, discord.Message) or resolved.author.id != self._me_id:
            return None
        return MessageRef(PLATFORM, str(reference.channel_id), str(reference.message_id))
