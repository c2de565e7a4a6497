"""A bot process for the crash test: its platform writes every private message to a log file.

    python -m tests.crash_worker DATABASE_URL LOG_FILE wave|resume EPOCH [LEASE]

`wave` has the coordinator ask for invitations to mission 1 and delivers them;
`resume` (after a kill, or beside another worker) delivers whatever is still due,
waiting for the claims of a killed worker to lapse, until nothing is pending. Each
delivered message is appended and fsynced before the outlet returns, as a platform
that accepted it. The bot's clock runs in real time from the harness start, counted
from EPOCH (a `time.time()` every worker of a test shares), so leases taken by one
process expire for the others; LEASE is the claim lease in seconds (default 1).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import datetime, timedelta

from bot.config import Settings
from bot.core import Core
from bot.events import Action, ChatKind, ChatRef, Command, MessageRef, SendPrivate, UserRef
from bot.services import Services
from data.store import Store
from tests.harness import START

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


class SharedClock:
    """The harness start plus the real seconds since EPOCH: the same time in every worker."""

    def __init__(self, epoch: float) -> None:
        self._epoch = epoch

    def __call__(self) -> datetime:
        return START + timedelta(seconds=time.time() - self._epoch)


async def main(url: str, log: str, mode: str, epoch: str, lease: str = "1") -> None:
    store = Store(url)
    settings = Settings(database_url=url, claim_lease_seconds=float(lease))
    core = Core(Services.build(store, settings, SharedClock(float(epoch))))
    core.attach(FileOutlet(log))
    if mode == "wave":
        coordinator = UserRef(PLATFORM, "coord", "Coralie", "fr")
        chat = ChatRef(PLATFORM, "coord", ChatKind.PRIVATE)
        await core.handle(Command(coordinator, chat, "invite", "1"))
    while True:
        if not await core.delivery.flush():
            async with store.transaction() as tx:
                if not await tx.outbox.pending_count():
                    break
            await asyncio.sleep(0.05)  # another worker holds the rest, or a dead one did
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
