"""A bot process for the crash test: its platform writes every private message to a log file.

    python -m tests.crash_worker DATABASE_URL LOG_FILE wave|resume

`wave` has the coordinator ask for invitations to mission 1 and delivers them;
`resume` (after a kill) delivers whatever is still due. Each delivered message is
appended and fsynced before the outlet returns, as a platform that accepted it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from bot.config import Settings
from bot.core import Core
from bot.events import Action, ChatKind, ChatRef, Command, MessageRef, SendPrivate, UserRef
from bot.services import Services
from data.store import Store
from tests.harness import Clock

PLATFORM = "memory"


class FileOutlet:
    """Records private messages durably; everything else is accepted and forgotten."""

    platform = PLATFORM

    def __init__(self, path: str) -> None:
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the process
        self._ids = 0

    async def perform(self, action: Action) -> MessageRef | None:
        self._ids += 1
        if isinstance(action, SendPrivate):
            self._file.write(json.dumps({"to": action.user.user_id}) + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())
            await asyncio.sleep(0.002)  # a real platform takes time: widen the window
            return MessageRef(PLATFORM, action.user.user_id, str(self._ids))
        chat = getattr(action, "chat", None)
        return MessageRef(PLATFORM, chat.chat_id if chat else "?", str(self._ids))


async def main(url: str, log: str, mode: str) -> None:
    store = Store(url)
    core = Core(Services.build(store, Settings(database_url=url), Clock()))
    core.attach(FileOutlet(log))
    if mode == "wave":
        coordinator = UserRef(PLATFORM, "coord", "Coralie", "fr")
        chat = ChatRef(PLATFORM, "coord", ChatKind.PRIVATE)
        await core.handle(Command(coordinator, chat, "invite", "1"))
    while await core.delivery.flush():
        pass
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
