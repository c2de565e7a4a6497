"""The outbox: notifications written in the same transaction as the decision behind them.

Each row has an idempotency key; writing the same key twice keeps the first.
Delivery claims due rows, sends them, and marks them sent.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from data.records import OutboxItem
from data.repos._util import utcnow
from data.schema import outbox

__all__ = ["OutboxRepo"]


class OutboxRepo:
    def __init__(
        self, conn: AsyncConnection, *, lock_rows: bool, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._conn = conn
        self._lock_rows = lock_rows
        self._clock = clock  # the bot's clock: "due" must mean the same thing everywhere

    async def add(
        self,
        key: str,
        *,
        platform: str,
        kind: str,
        payload: dict[str, Any],
        org_id: int | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        """Queue a notification; False when one with the same key already exists."""
        exists = (
            await self._conn.execute(select(outbox.c.id).where(outbox.c.idempotency_key == key))
        ).first()
        if exists is not None:
            return False
        now = self._clock()
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    insert(outbox).values(
                        idempotency_key=key,
                        org_id=org_id,
                        platform=platform,
                        kind=kind,
                        payload=payload,
                        status="pending",
                        not_before=not_before or now,
                        created_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def due(
        self, now: datetime, limit: int = 50, platforms: Collection[str] | None = None
    ) -> list[OutboxItem]:
        """Pending rows due at `now`, for `platforms` only when given (those running)."""
        condition = (outbox.c.status == "pending") & (outbox.c.not_before <= now)
        if platforms is not None:
            condition = condition & outbox.c.platform.in_(list(platforms))
        query = (
            select(outbox).where(condition).order_by(outbox.c.not_before, outbox.c.id).limit(limit)
        )
        if self._lock_rows:
            query = query.with_for_update(skip_locked=True)
        rows = (await self._conn.execute(query)).all()
        return [
            OutboxItem(r.id, r.idempotency_key, r.platform, r.kind, dict(r.payload), r.attempts)
            for r in rows
        ]

    async def mark_sent(self, item_id: int) -> None:
        await self._conn.execute(
            update(outbox)
            .where(outbox.c.id == item_id)
            .values(status="sent", sent_at=self._clock())
        )

    async def mark_dropped(self, item_id: int, reason: str) -> None:
        await self._conn.execute(
            update(outbox)
            .where(outbox.c.id == item_id)
            .values(status="dropped", last_error=reason[:500])
        )

    async def retry_later(
        self,
        item_id: int,
        attempts: int,
        error: str,
        *,
        give_up_after: int,
        delay: float | None = None,
        now: datetime | None = None,
    ) -> None:
        """Try again after `delay` seconds (the platform's word) or an exponential backoff;
        after `give_up_after` attempts the row is marked failed."""
        if attempts + 1 >= give_up_after:
            values: dict[str, Any] = {"status": "failed"}
        else:
            wait = delay if delay is not None else min(3600, 2 ** (attempts + 1))
            values = {"not_before": (now or self._clock()) + timedelta(seconds=wait)}
        await self._conn.execute(
            update(outbox)
            .where(outbox.c.id == item_id)
            .values(attempts=attempts + 1, last_error=error[:500], **values)
        )

    async def pending_count(self) -> int:
        rows = (
            await self._conn.execute(select(outbox.c.id).where(outbox.c.status == "pending"))
        ).all()
        return len(rows)

    async def next_due_at(self) -> datetime | None:
        row = (
            await self._conn.execute(
                select(outbox.c.not_before)
                .where(outbox.c.status == "pending")
                .order_by(outbox.c.not_before)
                .limit(1)
            )
        ).first()
        return row.not_before if row is not None else None
