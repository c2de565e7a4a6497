"""What a handler gets: the event, the person, their organisation and role, and a way to answer.

Handlers run inside one database transaction. What they say is collected as
actions and performed only after the transaction commits, so nobody is told
"done" about a change that was rolled back.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.events import (
    Action,
    AnswerButton,
    Button,
    ButtonPress,
    ChatRef,
    EditMessage,
    Event,
    Keyboard,
    MessageRef,
    SendMessage,
    SendPrivate,
    UserRef,
)
from data.records import ConversationState, Identity, Mission, Organisation, Role, Volunteer

if TYPE_CHECKING:
    from bot.services import Services
    from data.repos import Tx

__all__ = ["PRIVATE_KEY", "Context", "UserError"]

# Dialogs in private chats are keyed on this, whatever the platform calls the chat.
PRIVATE_KEY = "private"


class UserError(Exception):
    """Something the person did that cannot be done; `key` names the catalog message."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass
class Context:
    services: Services
    tx: Tx
    event: Event
    volunteer: Volunteer
    identity: Identity
    lang: str
    org: Organisation | None
    role: Role | None
    now: datetime
    actions: list[Action] = field(default_factory=list)

    # --- who and where -----------------------------------------------------

    @property
    def user(self) -> UserRef:
        return self.event.user

    @property
    def chat(self) -> ChatRef:
        return self.event.chat

    @property
    def dialog_key(self) -> str:
        return PRIVATE_KEY if self.chat.is_private else self.chat.chat_id

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.org.timezone if self.org else self.services.settings.timezone)

    async def when(self, mission: Mission, lang: str | None = None) -> str:
        """The mission's date and times in its organisation's time zone."""
        from bot.cards import mission_when

        return await mission_when(self.tx, self.services, mission, lang or self.lang)

    # --- text --------------------------------------------------------------

    def t(self, key: str, /, **params: Any) -> str:
        return self.services.catalogs.t(self.lang, key, **params)

    def button(self, key: str, data: str, **params: Any) -> Button:
        return Button(self.t(key, **params), data)

    # --- answering ---------------------------------------------------------

    def reply(self, key: str, /, *, buttons: Keyboard = (), **params: Any) -> None:
        """Answer in the chat the event came from."""
        self.say(self.t(key, **params), buttons=buttons)

    def say(self, text: str, *, buttons: Keyboard = ()) -> None:
        self.actions.append(SendMessage(self.chat, text, buttons))

    def private(self, key: str, /, *, buttons: Keyboard = (), **params: Any) -> None:
        """Tell the person privately (personal data never goes to a group)."""
        self.say_private(self.t(key, **params), buttons=buttons)

    def say_private(self, text: str, *, buttons: Keyboard = ()) -> None:
        if self.chat.is_private:
            self.say(text, buttons=buttons)
        else:
            self.actions.append(SendPrivate(self.user, text, buttons))

    def edit(self, message: MessageRef, text: str, *, buttons: Keyboard = ()) -> None:
        self.actions.append(EditMessage(message, text, buttons))

    def answer(
        self,
        key: str | None = None,
        /,
        *,
        alert: bool = False,
        private_start: str | None = None,
        **params: Any,
    ) -> None:
        """Acknowledge a button press, with an optional short note (and a way to the private chat)."""
        if isinstance(self.event, ButtonPress):
            text = self.t(key, **params) if key else None
            self.actions.append(AnswerButton(self.event.press_id, text, alert, private_start))

    # --- dialogs -----------------------------------------------------------

    async def dialog(self) -> ConversationState | None:
        return await self.tx.conversations.get(
            self.user.platform, self.user.user_id, self.dialog_key
        )

    async def set_dialog(self, flow: str, step: str, data: dict[str, Any]) -> None:
        await self.tx.conversations.save(
            self.user.platform,
            self.user.user_id,
            self.dialog_key,
            ConversationState(flow, step, data),
        )

    async def set_private_dialog(self, flow: str, step: str, data: dict[str, Any]) -> None:
        await self.tx.conversations.save(
            self.user.platform, self.user.user_id, PRIVATE_KEY, ConversationState(flow, step, data)
        )

    async def clear_dialog(self) -> bool:
        return await self.tx.conversations.clear(
            self.user.platform, self.user.user_id, self.dialog_key
        )

    # --- roles -------------------------------------------------------------

    def has_role(self, role: Role) -> bool:
        return self.role is not None and self.role.rank >= role.rank

    async def org_for(
        self, role: Role, *, choice: str = "", several: str = "errors.several_orgs"
    ) -> Organisation:
        """The organisation this command is about, where the person has at least `role`;
        in private, a person in several names one by `choice` (its number or name), else
        the `several` message lists them."""
        if self.org is not None:
            if not self.has_role(role):
                raise UserError(f"errors.need_{role.value}")
            return self.org
        orgs = await self.tx.orgs.orgs_of(self.volunteer.id, min_role=role)
        if not orgs:
            raise UserError(f"errors.need_{role.value}")
        if len(orgs) > 1:
            chosen = _chosen(orgs, choice)
            if chosen is None:
                raise UserError(several, names=", ".join(o.name for o in orgs))
            orgs = [chosen]
        self.org = orgs[0]
        self.role = await self.tx.orgs.role(orgs[0].id, self.volunteer.id)
        return orgs[0]


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _chosen(orgs: list[Organisation], choice: str) -> Organisation | None:
    """The one organisation `choice` names: its number, its name, or the start of it."""
    wanted = _folded(choice)
    if not wanted:
        return None
    exact = [o for o in orgs if str(o.id) == wanted or _folded(o.name) == wanted]
    if len(exact) == 1:
        return exact[0]
    starting = [o for o in orgs if _folded(o.name).startswith(wanted)]
    return starting[0] if len(starting) == 1 else None
