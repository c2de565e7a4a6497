"""An in-memory platform: the outlet records what each chat sees, people are scripted.

It is a real platform for the core (message ids, edits, button answers, blocked
users, deleted messages) and fails loudly on anything it does not know, so that
tests and the terminal chat exercise the same paths as Telegram and Discord.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.events import (
    Action,
    AnswerButton,
    Button,
    ButtonPress,
    ChatKind,
    ChatRef,
    Command,
    EditMessage,
    Event,
    FileShared,
    Keyboard,
    LocationShared,
    MemberJoined,
    MessageRef,
    SendFile,
    SendImage,
    SendMessage,
    SendPrivate,
    Text,
    UserRef,
)
from bot.ports import DeliveryError, MessageGone, Unreachable

__all__ = ["Chat", "MemoryOutlet", "MemoryPlatform", "Message", "Person"]


@dataclass
class Message:
    """A message as a chat shows it (edits change it in place)."""

    message_id: str
    chat_id: str
    text: str
    buttons: Keyboard = ()
    edits: int = 0
    deleted: bool = False
    file: tuple[str, bytes] | None = None

    @property
    def labels(self) -> list[str]:
        return [b.label for row in self.buttons for b in row]

    def find_button(self, label: str) -> Button | None:
        wanted = label.casefold()
        for row in self.buttons:
            for button in row:
                if wanted in button.label.casefold():
                    return button
        return None


@dataclass
class Chat:
    chat_id: str
    messages: list[Message] = field(default_factory=list)


class MemoryOutlet:
    """Performs actions in memory. Private chats have the id of their person."""

    def __init__(self, platform: str = "memory") -> None:
        self.platform = platform
        self.chats: dict[str, Chat] = {}
        self.answers: dict[str, tuple[str | None, bool]] = {}
        self.blocked: set[str] = set()
        self.fail_next: list[DeliveryError] = []
        self.performed: list[Action] = []
        self.listeners: list[Callable[[str, Message, bool], None]] = []
        self._ids = itertools.count(1)

    def chat(self, chat_id: str) -> Chat:
        return self.chats.setdefault(chat_id, Chat(chat_id))

    def message(self, ref: MessageRef) -> Message | None:
        for message in self.chat(ref.chat_id).messages:
            if message.message_id == ref.message_id:
                return message
        return None

    def _post(
        self, chat_id: str, text: str, buttons: Keyboard, file: tuple[str, bytes] | None = None
    ) -> MessageRef:
        message = Message(str(next(self._ids)), chat_id, text, buttons, file=file)
        self.chat(chat_id).messages.append(message)
        for listener in self.listeners:
            listener(chat_id, message, False)
        return MessageRef(self.platform, chat_id, message.message_id)

    async def perform(self, action: Action) -> MessageRef | None:
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.performed.append(action)
        match action:
            case SendMessage(chat=chat, text=text, buttons=buttons):
                return self._post(chat.chat_id, text, buttons)
            case SendPrivate(user=user, text=text, buttons=buttons):
                if user.user_id in self.blocked:
                    raise Unreachable(f"{user.user_id} blocked the bot")
                return self._post(user.user_id, text, buttons)
            case EditMessage(message=ref, text=text, buttons=buttons):
                message = self.message(ref)
                if message is None or message.deleted:
                    raise MessageGone(f"message {ref.message_id} not found")
                message.text, message.buttons = text, buttons
                message.edits += 1
                for listener in self.listeners:
                    listener(ref.chat_id, message, True)
                return ref
            case AnswerButton(press_id=press_id, text=text, alert=alert):
                self.answers[press_id] = (text, alert)
                return None
            case SendFile(chat=chat, filename=name, content=content, caption=caption):
                return self._post(chat.chat_id, caption, (), (name, content))
            case SendImage(chat=chat, png=png, caption=caption):
                return self._post(chat.chat_id, caption, (), ("image.png", png))
            case _:
                raise TypeError(f"unknown action {type(action).__name__}")


class MemoryPlatform:
    """A group chat and people who talk to the bot through `handle` (the core's entry point)."""

    def __init__(
        self,
        handle: Callable[[Event], Awaitable[None]],
        outlet: MemoryOutlet,
        group_id: str = "group-1",
        group_title: str = "Banque alimentaire",
    ) -> None:
        self.handle = handle
        self.outlet = outlet
        self.group = ChatRef(outlet.platform, group_id, ChatKind.GROUP, group_title)
        self.chat_admins: set[str] = set()
        self._presses = itertools.count(1)

    def person(self, user_id: str, name: str | None = None, language: str | None = "fr") -> Person:
        return Person(
            self, UserRef(self.outlet.platform, user_id, name or user_id.title(), language)
        )


class Person:
    """Someone using the bot: writes commands and text, replies, presses buttons, reads."""

    def __init__(self, platform: MemoryPlatform, user: UserRef) -> None:
        self.platform = platform
        self.user = user

    @property
    def private_chat(self) -> ChatRef:
        return ChatRef(self.user.platform, self.user.user_id, ChatKind.PRIVATE)

    @property
    def is_chat_admin(self) -> bool:
        return self.user.user_id in self.platform.chat_admins

    # --- acting --------------------------------------------------------------

    async def say(
        self, text: str, *, in_group: bool = False, reply_to: MessageRef | None = None
    ) -> None:
        """Write in the private chat (default) or the group; `/x args` is a command."""
        chat = self.platform.group if in_group else self.private_chat
        event: Event
        if text.startswith("/") and len(text) > 1:
            name, _, args = text[1:].partition(" ")
            name = name.split("@")[0]
            event = Command(self.user, chat, name, args, self.is_chat_admin and in_group)
        else:
            event = Text(self.user, chat, text, reply_to, self.is_chat_admin and in_group)
        await self.platform.handle(event)

    async def join_group(self) -> None:
        """Join the group chat (the platform tells the bot a member arrived)."""
        await self.platform.handle(MemberJoined(self.user, self.platform.group, self.is_chat_admin))

    async def share_location(self, latitude: float, longitude: float) -> None:
        """Share a position in the private chat."""
        await self.platform.handle(
            LocationShared(self.user, self.private_chat, latitude, longitude)
        )

    async def send_file(
        self, filename: str, content: bytes, caption: str = "", *, in_group: bool = False
    ) -> None:
        """Send a file (a document) to the bot, in the private chat (default) or the group."""
        chat = self.platform.group if in_group else self.private_chat
        await self.platform.handle(
            FileShared(
                self.user,
                chat,
                filename,
                content,
                caption,
                is_chat_admin=self.is_chat_admin and in_group,
            )
        )

    async def reply(self, message: Message, text: str) -> None:
        """Reply in the group to one of the bot's messages."""
        ref = MessageRef(self.user.platform, message.chat_id, message.message_id)
        await self.say(text, in_group=message.chat_id == self.platform.group.chat_id, reply_to=ref)

    async def press(self, label: str, message: Message | None = None) -> tuple[str | None, bool]:
        """Press the button whose label contains `label` on `message` (default: the latest
        message in this person's chats that has one). Returns the bot's answer to the press."""
        target = message or self.latest_with(label)
        if target is None:
            raise AssertionError(f"{self.user.display_name} sees no button {label!r}")
        button = target.find_button(label)
        if button is None:
            raise AssertionError(f"no button {label!r} on message: {target.labels}")
        return await self.press_button(button, target)

    async def press_button(self, button: Button, target: Message) -> tuple[str | None, bool]:
        """Press exactly `button` on `target`; returns the bot's answer to the press."""
        press_id = f"press-{next(self.platform._presses)}"
        in_group = target.chat_id == self.platform.group.chat_id
        chat = self.platform.group if in_group else self.private_chat
        ref = MessageRef(self.user.platform, target.chat_id, target.message_id)
        event = ButtonPress(
            self.user, chat, button.data, ref, press_id, self.is_chat_admin and in_group
        )
        await self.platform.handle(event)
        return self.platform.outlet.answers.get(press_id, (None, False))

    # --- reading -------------------------------------------------------------

    @property
    def inbox(self) -> list[Message]:
        """The private chat with the bot, oldest first."""
        return list(self.platform.outlet.chat(self.user.user_id).messages)

    @property
    def last(self) -> str:
        messages = self.inbox
        return messages[-1].text if messages else ""

    def texts(self) -> str:
        return "\n---\n".join(m.text for m in self.inbox)

    def latest_with(self, label: str) -> Message | None:
        candidates = self.inbox + self.platform.outlet.chat(self.platform.group.chat_id).messages
        candidates.sort(key=lambda m: int(m.message_id))
        for message in reversed(candidates):
            if not message.deleted and message.find_button(label) is not None:
                return message
        return None
