"""Platform-neutral events (what people do) and actions (what the bot does).

Adapters turn platform updates into events and perform actions on the platform.
All values are immutable; nothing here knows any chat library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "Action",
    "AnswerButton",
    "BotAdded",
    "Button",
    "ButtonPress",
    "Card",
    "CardField",
    "ChatKind",
    "ChatRef",
    "ChatRole",
    "Command",
    "EditMessage",
    "Event",
    "FileShared",
    "FormSubmitted",
    "LocationShared",
    "MemberJoined",
    "MessageRef",
    "SendFile",
    "SendImage",
    "SendMessage",
    "SendPrivate",
    "Text",
    "UserRef",
]


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"


class ChatRole(StrEnum):
    """A role the platform's configuration grants in a group (a Discord role named in the
    settings), beyond its own word on group admins (`is_chat_admin`)."""

    COORDINATOR = "coordinator"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class UserRef:
    """A person on one platform."""

    platform: str
    user_id: str
    display_name: str
    language: str | None = None


@dataclass(frozen=True, slots=True)
class ChatRef:
    """A chat on one platform: a private chat with one person, or a group."""

    platform: str
    chat_id: str
    kind: ChatKind
    title: str | None = None
    # The community the chat belongs to, when the platform has one (a Discord server):
    # all its channels are one organisation. None on Telegram, where a group is one.
    group_id: str | None = None

    @property
    def is_private(self) -> bool:
        return self.kind is ChatKind.PRIVATE


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message the bot sent, so it can be edited or replied to."""

    platform: str
    chat_id: str
    message_id: str


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str  # compact, never user text: fits Telegram's 64 bytes and Discord's custom ids


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class CardField:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Card:
    """The structure of a message that is a card (a mission card): platforms that can show
    it as such (Discord embeds) use it; the others show the message's text."""

    title: str
    fields: tuple[CardField, ...] = ()
    note: str = ""  # a state line (full, started, cancelled), empty when there is none


# --- events -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Command:
    """`/name args`. `is_chat_admin` is the platform's own word on group admins."""

    user: UserRef
    chat: ChatRef
    name: str
    args: str = ""
    is_chat_admin: bool = False
    chat_role: ChatRole | None = None


@dataclass(frozen=True, slots=True)
class Text:
    """Plain text, possibly a reply to one of the bot's messages."""

    user: UserRef
    chat: ChatRef
    text: str
    reply_to: MessageRef | None = None
    is_chat_admin: bool = False
    chat_role: ChatRole | None = None
    mentions_bot: bool = False  # in a group: the bot was @mentioned (a question to it)


@dataclass(frozen=True, slots=True)
class ButtonPress:
    user: UserRef
    chat: ChatRef
    data: str
    message: MessageRef | None
    press_id: str
    is_chat_admin: bool = False
    chat_role: ChatRole | None = None


@dataclass(frozen=True, slots=True)
class MemberJoined:
    user: UserRef
    chat: ChatRef
    is_chat_admin: bool = False
    chat_role: ChatRole | None = None


@dataclass(frozen=True, slots=True)
class BotAdded:
    """The bot was added to a group by `user`."""

    user: UserRef
    chat: ChatRef
    is_chat_admin: bool = False
    chat_role: ChatRole | None = None


@dataclass(frozen=True, slots=True)
class LocationShared:
    """The person shared a position (a pin), to be used for distances."""

    user: UserRef
    chat: ChatRef
    latitude: float
    longitude: float
    is_chat_admin: bool = False
    chat_role: ChatRole | None = None


@dataclass(frozen=True, slots=True)
class FileShared:
    """The person sent a file (a document or an attachment), already downloaded by the
    adapter within its size limit. `caption` is the text sent with it, if any."""

    user: UserRef
    chat: ChatRef
    filename: str
    content: bytes = field(repr=False)
    caption: str = ""
    is_chat_admin: bool = False
    chat_role: ChatRole | None = None


@dataclass(frozen=True, slots=True)
class FormSubmitted:
    """A filled form (a Discord modal): `values` maps each field key to its text."""

    user: UserRef
    chat: ChatRef
    form: str
    values: tuple[tuple[str, str], ...]
    is_chat_admin: bool = False
    chat_role: ChatRole | None = None


Event = (
    Command
    | Text
    | ButtonPress
    | MemberJoined
    | BotAdded
    | LocationShared
    | FileShared
    | FormSubmitted
)


# --- actions ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendMessage:
    chat: ChatRef
    text: str
    buttons: Keyboard = ()
    reply_to: MessageRef | None = None
    card: Card | None = None


@dataclass(frozen=True, slots=True)
class SendPrivate:
    """A message in the person's private chat with the bot (never in a group)."""

    user: UserRef
    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True, slots=True)
class EditMessage:
    message: MessageRef
    text: str
    buttons: Keyboard = ()
    card: Card | None = None


@dataclass(frozen=True, slots=True)
class AnswerButton:
    """Acknowledge a button press. `private_start` asks the platform to open the person's
    private chat with the bot, as `/start <private_start>` (Telegram deep links), for people
    the bot cannot write to first."""

    press_id: str
    text: str | None = None
    alert: bool = False
    private_start: str | None = None


@dataclass(frozen=True, slots=True)
class SendFile:
    chat: ChatRef
    filename: str
    content: bytes = field(repr=False)
    caption: str = ""


@dataclass(frozen=True, slots=True)
class SendImage:
    chat: ChatRef
    png: bytes = field(repr=False)
    caption: str = ""


Action = SendMessage | SendPrivate | EditMessage | AnswerButton | SendFile | SendImage
