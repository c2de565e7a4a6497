"""The real core on a real database, with the in-memory platform around it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from adapters.memory import MemoryOutlet, MemoryPlatform, Message, Person
from bot.config import Settings
from bot.core import Core
from bot.services import Services
from data.store import Store

# Sunday 29 November 2026, 10:00 in Paris.
START = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Bot:
    """The real core on a real database, with the in-memory platform around it."""

    core: Core
    store: Store
    outlet: MemoryOutlet
    platform: MemoryPlatform
    clock: Clock

    def person(self, user_id: str, name: str | None = None, language: str | None = "fr") -> Person:
        return self.platform.person(user_id, name, language)

    @property
    def group_messages(self) -> list[Message]:
        return self.outlet.chat(self.platform.group.chat_id).messages

    def card(self, mission_id: int) -> Message:
        """The mission's card as the group shows it now."""
        for message in self.group_messages:
            if any(line.endswith(f"· #{mission_id}") for line in message.text.splitlines()[:2]):
                return message
        raise AssertionError(f"no card for mission #{mission_id} in the group")


async def make_bot(url: str, settings: Settings | None = None, clock: Clock | None = None) -> Bot:
    settings = settings or Settings(database_url=url, admins=("memory:admin",))
    clock = clock or Clock()
    store = Store(url)
    core = Core(Services.build(store, settings, clock))
    outlet = MemoryOutlet()
    core.attach(outlet)
    platform = MemoryPlatform(core.handle, outlet)
    return Bot(core, store, outlet, platform, clock)
