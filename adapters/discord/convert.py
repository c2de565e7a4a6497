"""Discord interactions and messages as the core's events.

A server channel is a group chat (titled with the server's name); a private chat is
named after its person, as on Telegram. Members with Manage Server or Manage Events are
the chat's admins for the core; the configured role names grant coordinator or admin
(`chat_role`). A slash command's typed options become the command's text; a modal
submission becomes `FormSubmitted`; a message that @mentions the bot in a server (not a
reply) becomes a question to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import discord

from adapters.discord.modals import submitted_values
from adapters.discord.options import command_text
from adapters.discord.outlet import PLATFORM
from bot.events import (
    ButtonPress,
    ChatKind,
    ChatRef,
    ChatRole,
    Command,
    Event,
    FileShared,
    FormSubmitted,
    MessageRef,
    Text,
    UserRef,
)

__all__ = ["Attachment", "EventReader", "option_values", "user_ref"]


def user_ref(user: discord.abc.User, locale: discord.Locale | None = None) -> UserRef:
    """A Discord account as the core's person."""
    return UserRef(PLATFORM, str(user.id), user.display_name, locale.value if locale else None)


def option_values(interaction: discord.Interaction[Any]) -> dict[str, Any]:
    """A slash command's options by name (a member is its id, a file its attachment id)."""
    data: dict[str, Any] = dict(interaction.data or {})
    return {str(o.get("name")): o.get("value") for o in data.get("options", []) or []}


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file given to a slash command, not downloaded yet."""

    filename: str
    size: int
    url: str


class EventReader:
    """Reads what an interaction or a message means for the core, as bot `me`."""

    def __init__(
        self, me_id: int, coordinator_role: str | None, admin_role: str | None = None
    ) -> None:
        self._me_id = me_id
        self._mention = re.compile(rf"<@!?{me_id}>")
        self._roles = {
            name.casefold(): grant
            for name, grant in (
                (coordinator_role, ChatRole.COORDINATOR),
                (admin_role, ChatRole.ADMIN),  # wins when both name one role
            )
            if name
        }

    def _chat(
        self,
        user: discord.abc.User,
        channel_id: int | None,
        guild_id: int | None,
        guild: discord.Guild | None,
    ) -> ChatRef:
        """A server channel, titled with the server's name when discord.py knows it; the
        server id makes all its channels one organisation."""
        if guild_id is None or channel_id is None:
            return ChatRef(PLATFORM, str(user.id), ChatKind.PRIVATE)
        title = guild.name if guild is not None else None
        return ChatRef(PLATFORM, str(channel_id), ChatKind.GROUP, title, group_id=str(guild_id))

    def _is_admin(self, user: discord.abc.User, permissions: discord.Permissions | None) -> bool:
        if not isinstance(user, discord.Member):
            return False
        return permissions is not None and (permissions.manage_guild or permissions.manage_events)

    def _role(self, user: discord.abc.User) -> ChatRole | None:
        """The highest role the configured role names or ids grant the member."""
        if not isinstance(user, discord.Member) or not self._roles:
            return None
        # A role id (right-click the role, Copy Role ID) cannot be imitated by someone who
        # may create roles; a name is easier to set up.
        grants = {
            self._roles.get(r.name.casefold()) or self._roles.get(str(r.id)) for r in user.roles
        }
        if ChatRole.ADMIN in grants:
            return ChatRole.ADMIN
        return ChatRole.COORDINATOR if ChatRole.COORDINATOR in grants else None

    def _who(
        self, interaction: discord.Interaction[Any]
    ) -> tuple[UserRef, ChatRef, bool, ChatRole | None]:
        user = interaction.user
        chat = self._chat(user, interaction.channel_id, interaction.guild_id, interaction.guild)
        admin = self._is_admin(user, interaction.permissions)
        return user_ref(user, interaction.locale), chat, admin, self._role(user)

    def command(self, interaction: discord.Interaction[Any]) -> Command | None:
        """A slash command: its name and its options' values as the command's text."""
        data: dict[str, Any] = dict(interaction.data or {})
        name = str(data.get("name", ""))
        if not name:
            return None
        user, chat, admin, role = self._who(interaction)
        args = command_text(name, option_values(interaction))
        return Command(user, chat, name, args, is_chat_admin=admin, chat_role=role)

    def attachment(self, interaction: discord.Interaction[Any]) -> Attachment | None:
        """The file given to a slash command's attachment option, if any."""
        data: dict[str, Any] = dict(interaction.data or {})
        resolved = (data.get("resolved") or {}).get("attachments") or {}
        for value in option_values(interaction).values():
            found = resolved.get(str(value))
            if isinstance(found, dict) and found.get("url"):
                name = str(found.get("filename") or "file")
                return Attachment(name, int(found.get("size") or 0), str(found["url"]))
        return None

    def file_shared(
        self, interaction: discord.Interaction[Any], filename: str, content: bytes
    ) -> FileShared:
        """The downloaded file, as if sent with the caption `/<command>` on Telegram."""
        data: dict[str, Any] = dict(interaction.data or {})
        user, chat, admin, role = self._who(interaction)
        named = str(option_values(interaction).get("association") or "").strip()
        caption = f"/{data.get('name', '')} {named}".strip()
        return FileShared(
            user, chat, filename, content, caption, is_chat_admin=admin, chat_role=role
        )

    def form(self, interaction: discord.Interaction[Any]) -> FormSubmitted | None:
        """A submitted modal of one of the core's forms."""
        submitted = submitted_values(dict(interaction.data or {}))
        if submitted is None:
            return None
        user, chat, admin, role = self._who(interaction)
        return FormSubmitted(
            user, chat, submitted[0], submitted[1], is_chat_admin=admin, chat_role=role
        )

    def press(self, interaction: discord.Interaction[Any]) -> ButtonPress | None:
        """A button click: its custom id is the core's button data."""
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = data.get("custom_id")
        message = interaction.message
        if not custom_id or message is None or interaction.user.bot:
            return None
        user, chat, admin, role = self._who(interaction)
        ref = MessageRef(PLATFORM, str(message.channel.id), str(message.id))
        return ButtonPress(
            user,
            chat,
            str(custom_id),
            ref,
            str(interaction.id),
            is_chat_admin=admin,
            chat_role=role,
        )

    def message(self, message: discord.Message) -> Event | None:
        """Text in a private chat, a reply to one of the bot's messages in a server, or a
        server message that @mentions the bot (the mention taken out)."""
        author = message.author
        if author.bot or not message.content:
            return None
        text = message.content
        if self._mention.search(text):
            text = "\n".join(
                " ".join(self._mention.sub(" ", ln).split()) for ln in text.splitlines()
            )
        text = text.strip()
        if not text:
            return None
        guild = message.guild
        chat = self._chat(author, message.channel.id, guild.id if guild else None, guild)
        reply_to = self._reply_to_bot(message)
        mentioned = (
            guild is not None
            and reply_to is None
            and any(u.id == self._me_id for u in message.mentions)
        )
        if guild is not None and reply_to is None and not mentioned:
            return None  # server talk not meant for the bot
        permissions = author.guild_permissions if isinstance(author, discord.Member) else None
        admin = self._is_admin(author, permissions)
        return Text(
            user_ref(author),
            chat,
            text,
            reply_to,
            is_chat_admin=admin,
            mentions_bot=mentioned,
            chat_role=self._role(author),
        )

    def _reply_to_bot(self, message: discord.Message) -> MessageRef | None:
        reference = message.reference
        if reference is None or reference.message_id is None:
            return None
        resolved = reference.resolved
        if not isinstance(resolved, discord.Message) or resolved.author.id != self._me_id:
            return None
        return MessageRef(PLATFORM, str(reference.channel_id), str(reference.message_id))
