"""Durable timers: what the bot must do later, each with a unique key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from data.records import Task
from data.repos._util import utcnow
from data.schema import tasks

__all__ = ["TaskRepo"]


class TaskRepo:
    def __init__(
        self, conn: AsyncConnection, *, lock_rows: bool, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._conn = conn
        self._lock_rows = lock_rows
        self._clock = clock

    async def schedule(
        self,
        kind: str,
        key: str,
        due_at: datetime,
        *,
        org_id: int | None = None,
        mission_id: int | None = None,
        volunteer_id: int | None = None,
        payload: dict[str, Any] | None = None,
    ) -> bool:
        """Add a task unless one with `key` exists; False when it already did."""
        exists = (await self._conn.execute(select(tasks.c.id).where(tasks.c.key == key))).first()
        if exists is not None:
            return False
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    insert(tasks).values(
                        kind=kind,
                        key=key,
                        due_at=due_at,
                        org_id=org_id,
                        mission_id=mission_id,
                        volunteer_id=volunteer_id,
                        payload=payload or {},
                        status="pending",
                        created_at=self._clock(),
                    )
                )
        except IntegrityError:
            return False
        return True

    async def due(self, now: datetime, limit: int = 100) -> list[Task]:
        """Pending tasks due at `now`, oldest first (locked, skipping locked ones, on PostgreSQL)."""
        query = (
            select(tasks)
            .where((tasks.c.status == "pending") & (tasks.c.due_at <= now))
            .order_by(tasks.c.due_at, tasks.c.id)
            .limit(limit)
        )
        if self._lock_rows:
            query = query.with_for_update(skip_locked=True)
        rows = (await self._conn.execute(query)).all()
        return [_task(r) for r in rows]

    async def claim(self, task_id: int) -> Task | None:
        """The task if it is still pending (locked on PostgreSQL), for one worker to run."""
        query = select(tasks).where((tasks.c.id == task_id) & (tasks.c.status == "pending"))
        if self._lock_rows:
            query = query.with_for_update(skip_locked=True)
        row = (await self._conn.execute(query)).first()
        return _task(row) if row is not None else None

    async def finish(self, task_id: int, *, dropped: bool = False, note: str | None = None) -> None:
        """Mark a pending task done or dropped (one another worker finished stays as it is)."""
        await self._conn.execute(
            update(tasks)
            .where((tasks.c.id == task_id) & (tasks.c.status == "pending"))
            .values(
                status="dropped" if dropped else "done",
                done_at=self._clock(),
                note=(note or None) and note[:300],
            )
        )

    async def cancel(self, key_prefix: str) -> int:
        """Drop the pending tasks whose key starts with `key_prefix` (a mission changed)."""
        result = await self._conn.execute(
            update(tasks)
            .where(
                (tasks.c.status == "pending") & tasks.c.key.startswith(key_prefix, autoescape=True)
            )
            .values(status="dropped", done_at=self._clock(), note="superseded")
        )
        return int(result.rowcount)

    async def next_due_at(self) -> datetime | None:
        row = (
            await self._conn.execute(
                select(tasks.c.due_at)
                .where(tasks.c.status == "pending")
                .order_by(tasks.c.due_at)
                .limit(1)
            )
        ).first()
        return row.due_at if row is not None else None

    async def pending(self, kind: str | None = None) -> list[Task]:
        query = select(tasks).where(tasks.c.status == "pending")
        if kind is not None:
            query = query.where(tasks.c.kind == kind)
        rows = (await self._conn.execute(query.order_by(tasks.c.due_at, tasks.c.id))).all()
        return [_task(r) for r in rows]


def _task(row: Any) -> Task:
    return Task(
        id=row.id,
        kind=row.kind,
        key=row.key,
        due_at=row.due_at,
        org_id=row.org_id,
        mission_id=row.mission_id,
        volunteer_id=row.volunteer_id,
        payload=dict(row.payload),
    )
