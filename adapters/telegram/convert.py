"""Telegram updates as the core's events.

Private chats and groups become `ChatRef`s, people `UserRef`s; who administers a
group comes from `getChatAdministrators`, remembered for a short while. Two things
the core has no event for are reported apart: a group that became a supergroup
(new chat id, same organisation) and a person who blocked the bot.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from telegram import Bot, CallbackQuery, Chat, ChatMemberUpdated, Message, Update, User
from telegram.constants import ChatMemberStatus, ChatType, MessageEntityType
from telegram.error import TelegramError

from adapters.telegram.outlet import PLATFORM
from bot.events import (
    BotAdded,
    ButtonPress,
    ChatKind,
    ChatRef,
    Command,
    Event,
    LocationShared,
    MemberJoined,
    MessageRef,
    Text,
    UserRef,
)

__all__ = [
    "BotBlocked",
    "ChatAdmins",
    "ChatMoved",
    "DocumentSent",
    "Incoming",
    "UpdateReader",
    "update_source",
    "user_ref",
]

_log = logging.getLogger(__name__)

_COMMAND = re.compile(r"/(\S+)\s*(.*)", re.DOTALL)
_SPACES = re.compile(r"[ \t]{2,}")
_PRESENT = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}


@dataclass(frozen=True, slots=True)
class ChatMoved:
    """A group became a supergroup: same people, same organisation, new chat id."""

    old_chat_id: str
    new_chat_id: str


@dataclass(frozen=True, slots=True)
class BotBlocked:
    """The person blocked the bot in their private chat."""

    user_id: str


@dataclass(frozen=True, slots=True)
class DocumentSent:
    """A document sent to the bot, still on Telegram's servers: the platform downloads it
    (within its size limit) and hands the core a `FileShared`."""

    user: UserRef
    chat: ChatRef
    file_id: str
    filename: str
    size: int | None
    caption: str
    is_chat_admin: bool


Incoming = Event | ChatMoved | BotBlocked | DocumentSent


def update_source(update_id: int, index: int) -> str:
    """The idempotency key of the `index`-th event read from an update (one update may hold
    several, e.g. people added together), for `Core.handle(source=...)`."""
    return f"{PLATFORM}:update:{update_id}:{index}"


def user_ref(user: User) -> UserRef:
    return UserRef(PLATFORM, str(user.id), user.full_name, user.language_code)


def _chat_ref(chat: Chat, user: User | None) -> ChatRef | None:
    """Private chats are named after their person; channels are not for this bot."""
    if chat.type == ChatType.PRIVATE:
        return ChatRef(PLATFORM, str(user.id if user else chat.id), ChatKind.PRIVATE)
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        return ChatRef(PLATFORM, str(chat.id), ChatKind.GROUP, chat.title)
    return None


def _is_present(status: str, member: object) -> bool:
    if status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return status in _PRESENT


class ChatAdmins:
    """Who administers each group (its creator included), per the Bot API, for `ttl` seconds."""

    def __init__(
        self, bot: Bot, *, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._bot = bot
        self._ttl = ttl
        self._clock = clock
        self._known: dict[int, tuple[float, frozenset[int]]] = {}

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        now = self._clock()
        cached = self._known.get(chat_id)
        if cached is None or cached[0] <= now:
            try:
                members = await self._bot.get_chat_administrators(chat_id)
            except TelegramError as exc:
                _log.warning("could not read the admins of chat %s: %s", chat_id, exc.message)
                return False
            cached = (now + self._ttl, frozenset(m.user.id for m in members))
            self._known[chat_id] = cached
        return user_id in cached[1]

    def forget(self, chat_id: int) -> None:
        self._known.pop(chat_id, None)


class UpdateReader:
    """Reads what an update means for the core, from the point of view of bot `me`."""

    def __init__(self, me: User, admins: ChatAdmins) -> None:
        self._me = me
        self._admins = admins

    async def read(self, update: Update) -> list[Incoming]:
        if update.callback_query is not None:
            return await self._button(update.callback_query)
        if update.my_chat_member is not None:
            return await self._membership(update.my_chat_member)
        if update.message is not None:
            return await self._message(update.message)
        return []

    async def _is_admin(self, chat: ChatRef, user: User) -> bool:
        if chat.is_private:
            return False
        return await self._admins.is_admin(int(chat.chat_id), user.id)

    async def _message(self, message: Message) -> list[Incoming]:
        if message.migrate_to_chat_id is not None:
            return self._moved(message.chat.id, message.migrate_to_chat_id)
        if message.migrate_from_chat_id is not None:
            return self._moved(message.migrate_from_chat_id, message.chat.id)
        sender = message.from_user
        chat = _chat_ref(message.chat, sender)
        if chat is None:
            return []
        if message.new_chat_members:
            return [
                MemberJoined(user_ref(member), chat, await self._is_admin(chat, member))
                for member in message.new_chat_members
                if not member.is_bot
            ]
        if sender is None or sender.is_bot:
            return []
        if message.location is not None and chat.is_private:
            location = message.location
            return [LocationShared(user_ref(sender), chat, location.latitude, location.longitude)]
        if message.document is not None:
            return await self._document(message, chat, sender)
        if message.text is None:
            return []
        user = user_ref(sender)
        command = _COMMAND.fullmatch(message.text)
        if command is not None:
            name, _, addressee = command.group(1).partition("@")
            if addressee and addressee.casefold() != (self._me.username or "").casefold():
                return []  # meant for another bot in the group
            args = command.group(2)
            return [Command(user, chat, name, args, await self._is_admin(chat, sender))]
        reply_to = self._reply_to_bot(message)
        text, mentioned = message.text, False
        if not chat.is_private:
            text, mentioned = self._without_mention(message, message.text)
            if reply_to is None and not mentioned:
                return []  # group talk not meant for the bot (if privacy mode is off)
        is_admin = await self._is_admin(chat, sender)
        return [Text(user, chat, text, reply_to, is_admin, mentions_bot=mentioned)]

    def _without_mention(self, message: Message, text: str) -> tuple[str, bool]:
        """The text without its @mentions of this bot, and whether there was one."""
        username = (self._me.username or "").casefold()
        spans: list[tuple[int, int]] = []  # in UTF-16 code units, as Telegram counts
        for entity in message.entities:
            by_name = (
                entity.type == MessageEntityType.MENTION
                and bool(username)
                and message.parse_entity(entity)[1:].casefold() == username
            )
            by_user = (
                entity.type == MessageEntityType.TEXT_MENTION
                and entity.user is not None
                and entity.user.id == self._me.id
            )
            if by_name or by_user:
                spans.append((entity.offset, entity.offset + entity.length))
        if not spans:
            return text, False
        units = text.encode("utf-16-le")
        kept, start = [], 0
        for begin, end in sorted(spans):
            kept.append(units[2 * start : 2 * begin])
            start = end
        kept.append(units[2 * start :])
        rest = b"".join(kept).decode("utf-16-le", errors="replace")
        rest = _SPACES.sub(" ", rest).strip().lstrip(",:;").strip()
        return rest, True

    def _reply_to_bot(self, message: Message) -> MessageRef | None:
        original = message.reply_to_message
        if original is None or original.from_user is None or original.from_user.id != self._me.id:
            return None
        return MessageRef(PLATFORM, str(original.chat.id), str(original.message_id))

    async def _document(self, message: Message, chat: ChatRef, sender: User) -> list[Incoming]:
        """A document in private, or in a group with a command as its caption (`/import`)."""
        document = message.document
        caption = message.caption or ""
        if document is None or (not chat.is_private and not caption.startswith("/")):
            return []
        name = document.file_name or "document"
        is_admin = await self._is_admin(chat, sender)
        return [
            DocumentSent(
                user_ref(sender),
                chat,
                document.file_id,
                name,
                document.file_size,
                caption,
                is_admin,
            )
        ]

    def _moved(self, old: int, new: int) -> list[Incoming]:
        self._admins.forget(old)
        self._admins.forget(new)
        return [ChatMoved(str(old), str(new))]

    async def _button(self, query: CallbackQuery) -> list[Incoming]:
        message = query.message
        if message is None or query.data is None or query.from_user.is_bot:
            return []
        chat = _chat_ref(message.chat, query.from_user)
        if chat is None:
            return []
        ref = MessageRef(PLATFORM, str(message.chat.id), str(message.message_id))
        is_admin = await self._is_admin(chat, query.from_user)
        return [ButtonPress(user_ref(query.from_user), chat, query.data, ref, query.id, is_admin)]

    async def _membership(self, change: ChatMemberUpdated) -> list[Incoming]:
        old, new = change.old_chat_member, change.new_chat_member
        if change.chat.type == ChatType.PRIVATE:
            if new.status == ChatMemberStatus.BANNED:
                return [BotBlocked(str(change.chat.id))]
            return []
        self._admins.forget(change.chat.id)
        chat = _chat_ref(change.chat, None)
        arrived = _is_present(new.status, new) and not _is_present(old.status, old)
        if chat is None or not arrived or change.from_user.is_bot:
            return []
        by = change.from_user
        return [BotAdded(user_ref(by), chat, await self._is_admin(chat, by))]
