"""Routes events to feature handlers: commands by name, buttons by prefix, flows by name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.context import Context
from bot.scheduler import TaskHandler
from data.records import Role

if TYPE_CHECKING:
    from bot.services import Services
    from data.records import Volunteer
    from data.repos import Tx

__all__ = [
    "ButtonHandler",
    "CommandHandler",
    "CommandSpec",
    "FileHandler",
    "Flow",
    "FormHandler",
    "FormValues",
    "PrivateTextHandler",
    "Router",
    "StartupHandler",
    "TextHandler",
]

CommandHandler = Callable[[Context, str], Awaitable[None]]
ButtonHandler = Callable[[Context, str], Awaitable[None]]
TextHandler = Callable[[Context, str], Awaitable[None]]
# Free private text outside any dialog; True when it was answered.
PrivateTextHandler = Callable[[Context, str], Awaitable[bool]]
# A file sent to the bot: (context, filename, content, caption).
FileHandler = Callable[[Context, str, bytes, str], Awaitable[None]]
# A submitted form: (context, field values by key).
FormHandler = Callable[[Context, dict[str, str]], Awaitable[None]]
# A form's current values for the person about to fill it: (transaction, services, person).
FormValues = Callable[["Tx", "Services", "Volunteer"], Awaitable[dict[str, str]]]
# Work planned when the bot starts: (transaction, now), e.g. the first daily sweep.
StartupHandler = Callable[["Tx", datetime], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    handler: CommandHandler
    min_role: Role | None  # None: anyone, even before onboarding
    private_only: bool
    help_key: str | None


@dataclass(frozen=True, slots=True)
class Flow:
    """A multi-step dialog: text answers and button presses while its state is stored."""

    name: str
    on_text: TextHandler
    on_button: ButtonHandler


class Router:
    def __init__(self) -> None:
        self.commands: dict[str, CommandSpec] = {}
        self.aliases: dict[str, str] = {}
        self.buttons: dict[str, ButtonHandler] = {}
        self.flows: dict[str, Flow] = {}
        self.group_reply: TextHandler | None = None
        self.private_text: PrivateTextHandler | None = None
        self.group_mention: TextHandler | None = None
        self.file_shared: FileHandler | None = None
        self.forms: dict[str, FormHandler] = {}
        self.form_values: dict[str, FormValues] = {}
        self.startup: list[StartupHandler] = []
        self.tasks: dict[str, TaskHandler] = {}

    def command(
        self,
        name: str,
        handler: CommandHandler,
        *,
        aliases: tuple[str, ...] = (),
        min_role: Role | None = None,
        private_only: bool = False,
        help_key: str | None = None,
    ) -> None:
        if name in self.commands or name in self.aliases:
            raise ValueError(f"command /{name} registered twice")
        self.commands[name] = CommandSpec(name, handler, min_role, private_only, help_key)
        for alias in aliases:
            self.aliases[alias] = name

    def find_command(self, name: str) -> CommandSpec | None:
        name = name.lower()
        return self.commands.get(self.aliases.get(name, name))

    def button(self, prefix: str, handler: ButtonHandler) -> None:
        if prefix in self.buttons or ":" in prefix:
            raise ValueError(f"bad or duplicate button prefix {prefix!r}")
        self.buttons[prefix] = handler

    def flow(self, flow: Flow) -> None:
        if flow.name in self.flows:
            raise ValueError(f"flow {flow.name} registered twice")
        self.flows[flow.name] = flow
        self.button(flow.name, flow.on_button)

    def on_start(self, handler: StartupHandler) -> None:
        """Run `handler` when the bot starts (it must be idempotent: every start runs it)."""
        self.startup.append(handler)

    def form(self, name: str, handler: FormHandler, *, values: FormValues | None = None) -> None:
        """Handle submissions of the form `name` (see bot.forms for the field lists);
        `values` gives the current values a form opens with (a profile to edit)."""
        if name in self.forms:
            raise ValueError(f"form {name!r} registered twice")
        self.forms[name] = handler
        if values is not None:
            self.form_values[name] = values

    def task(self, kind: str, handler: TaskHandler) -> None:
        """Handle due tasks of `kind` (see bot.scheduler)."""
        if kind in self.tasks:
            raise ValueError(f"task kind {kind!r} registered twice")
        self.tasks[kind] = handler
