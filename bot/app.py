"""The running bot: database, core, platforms and the outbox sweeper under one task group.

SIGTERM and Ctrl-C set a stop event: each platform finishes the event in hand
and returns, the scheduler stops, what is due is delivered one last time, the
database is closed, and the process exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from bot.config import Settings
from bot.core import Core
from bot.scheduler import Scheduler
from bot.services import Services, utcnow
from data.store import Store
from matching.intents import classifier as intent_classifier

__all__ = ["Platform", "run_bot"]

_log = logging.getLogger(__name__)


class Platform(Protocol):
    """A chat platform adapter: attaches its outlet, feeds events until `stop` is set."""

    name: str

    async def run(self, core: Core, stop: asyncio.Event) -> None: ...


async def run_bot(
    settings: Settings,
    platforms: Sequence[Platform],
    *,
    clock: Callable[[], datetime] = utcnow,
    install_signals: bool = True,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until a platform ends (the terminal closes) or a stop signal arrives."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    if install_signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    store = Store(settings.database_url)
    try:
        await store.migrate()
        services = Services.build(store, settings, clock)
        # Train the reply classifier now rather than on the first reply in a group.
        await asyncio.to_thread(intent_classifier)
        core = Core(services)
        await core.prepare()
        scheduler = Scheduler(
            services, core.tasks, core.delivery, sweep_seconds=settings.outbox_sweep_seconds
        )
        core.scheduler = scheduler
        _log.info("Mainforte started with %s", ", ".join(p.name for p in platforms))

        async def run_platform(platform: Platform) -> None:
            try:
                await platform.run(core, stop)
            finally:
                stop.set()  # one platform ending (the terminal closed) stops the bot

        await scheduler.start()
        try:
            async with asyncio.TaskGroup() as group:
                for platform in platforms:
                    group.create_task(run_platform(platform))
        finally:
            await scheduler.shutdown()
        await core.delivery.flush()
        _log.info("Mainforte stopped cleanly")
    finally:
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
        await store.close()
