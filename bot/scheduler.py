"""Time-driven work: the tasks table is the truth, APScheduler only wakes the bot up.

A task (a reminder, an invitation deadline, an offer to confirm, a follow-up) is
written in the transaction of the decision that needs it. `TaskRunner.run_due`
runs each due task in its own transaction, which also marks it done, so a crash
at any point neither loses nor repeats a decision. That transaction is the claim:
on PostgreSQL the task's row stays locked until it commits (other workers skip it,
then see it done), and a worker killed mid-task leaves it pending for the next
sweep; a task handler only writes (messages go through the outbox), so no network
call happens with the row locked. `Scheduler` keeps one
APScheduler job at the next due time (tasks or delayed notifications) plus a
periodic sweep, and is poked after every event so new tasks are seen at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_PAUSED

from bot.outbox import OutboxDelivery
from bot.services import Services
from data.records import Task
from data.repos import Tx

__all__ = ["Job", "Scheduler", "TaskHandler", "TaskRunner"]

_log = logging.getLogger(__name__)


@dataclass
class Job:
    """What a task handler gets: the task, its transaction, and a way to drop it."""

    services: Services
    tx: Tx
    task: Task
    now: datetime
    dropped: str | None = None

    def drop(self, reason: str) -> None:
        """The task became pointless (the mission started, was cancelled or moved)."""
        self.dropped = reason


TaskHandler = Callable[[Job], Awaitable[None]]


class TaskRunner:
    """Runs due tasks through the handler registered for their kind."""

    def __init__(
        self, services: Services, handlers: Mapping[str, TaskHandler], delivery: OutboxDelivery
    ) -> None:
        self._services = services
        self._handlers = handlers
        self._delivery = delivery
        self._lock = asyncio.Lock()

    async def run_due(self, limit: int = 200) -> int:
        """Run every task due now; return how many ran (done or dropped)."""
        ran = 0
        store = self._services.store
        async with self._lock:
            now = self._services.clock()
            async with store.transaction() as tx:
                due = [task.id for task in await tx.tasks.due(now, limit)]
            for task_id in due:
                ran += await self._run_one(task_id, now)
        if ran:
            await self._delivery.flush()
        return ran

    async def _run_one(self, task_id: int, now: datetime) -> int:
        store = self._services.store
        try:
            async with store.transaction() as tx:
                task = await tx.tasks.claim(task_id)
                if task is None:
                    return 0  # another worker took it
                handler = self._handlers.get(task.kind)
                if handler is None:
                    await tx.tasks.finish(task.id, dropped=True, note=f"no handler for {task.kind}")
                    return 1
                job = Job(self._services, tx, task, now)
                await handler(job)
                if job.dropped:
                    _log.info("task %s dropped: %s", task.key, job.dropped)
                await tx.tasks.finish(task.id, dropped=job.dropped is not None, note=job.dropped)
                return 1
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("task %s failed; dropped so it cannot fail forever", task_id)
            async with store.transaction() as tx:
                await tx.tasks.finish(task_id, dropped=True, note="error (see logs)")
            return 1


class Scheduler:
    """Wakes the bot when the next task or delayed notification is due, and sweeps."""

    def __init__(
        self,
        services: Services,
        runner: TaskRunner,
        delivery: OutboxDelivery,
        *,
        sweep_seconds: float,
    ) -> None:
        self._services = services
        self._runner = runner
        self._delivery = delivery
        self._sweep = sweep_seconds
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._tick_lock = asyncio.Lock()

    async def start(self) -> None:
        self._aps.start()
        self._aps.add_job(
            self.tick,
            "interval",
            seconds=self._sweep,
            id="sweep",
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(UTC),
        )
        await self.reschedule()

    async def shutdown(self) -> None:
        """Stop waking up; a tick in progress finishes its transaction first."""
        if not self._aps.running:
            return
        self._aps.pause()
        async with self._tick_lock:
            self._aps.shutdown(wait=False)

    async def tick(self) -> None:
        """Run what is due, deliver what is due, and set the next wake-up."""
        async with self._tick_lock:
            try:
                await self._runner.run_due()
                await self._delivery.flush()
            except Exception:
                _log.exception("scheduler tick failed; the next sweep will try again")
            await self.reschedule()

    async def reschedule(self) -> None:
        """Put the single wake-up job at the earliest pending task or notification."""
        if not self._aps.running or self._aps.state == STATE_PAUSED:
            return
        async with self._services.store.transaction() as tx:
            candidates = [
                await tx.tasks.next_due_at(),
                # Only what this worker can send: another worker's platform or claim is no
                # reason to wake (it would wake again at once, in a loop).
                await tx.outbox.next_due_at(self._delivery.platforms),
            ]
        due = [d for d in candidates if d is not None]
        if not due:
            return
        # The app's clock may be a test clock: wake in as much real time as is left.
        wait = max(timedelta(0), min(due) - self._services.clock())
        self._aps.add_job(
            self.tick,
            "date",
            run_date=datetime.now(UTC) + wait,
            id="wake",
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )
