"""The outbox: notifications written in the same transaction as the decision behind them.

Each row has an idempotency key; writing the same key twice keeps the first.
Delivery claims due rows for one worker with a lease (`claimed_by`, `claimed_until`),
sends them outside any transaction, and records the outcome only while it still holds
the claim. Several workers on one database each take different rows; the rows of a
worker that died are taken over once its lease runs out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, insert, select, type_coerce, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from data.records import OutboxItem
from data.repos._util import utcnow
from data.schema import UTCDateTime, outbox

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
        """Pending rows due at `now` and claimed by no live worker, for `platforms` only when
        given (those running); locked, skipping locked ones, on PostgreSQL."""
        condition = _claimable(now)
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

    async def claim(
        self,
        now: datetime,
        worker: str,
        lease: timedelta,
        limit: int = 50,
        platforms: Collection[str] | None = None,
    ) -> list[OutboxItem]:
        """Take the due rows for `worker` until `now + lease`; no other worker takes them
        before then, and the claim outlives this transaction (the send happens after it)."""
        items = await self.due(now, limit, platforms)
        if items:
            await self._conn.execute(
                update(outbox)
                .where(outbox.c.id.in_([item.id for item in items]))
                .values(claimed_by=worker, claimed_until=now + lease)
            )
        return items

    async def renew(
        self, item_ids: Collection[int], worker: str, now: datetime, lease: timedelta
    ) -> set[int]:
        """Extend `worker`'s claim on `item_ids`; the ids it still holds."""
        if not item_ids:
            return set()
        result = await self._conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(list(item_ids)) & _held_by(worker))
            .values(claimed_until=now + lease)
            .returning(outbox.c.id)
        )
        return {row.id for row in result}

    async def release(self, item_ids: Collection[int], worker: str) -> None:
        """Give back rows `worker` claimed but did not deliver, for anyone to take at once."""
        if item_ids:
            await self._conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(list(item_ids)) & _held_by(worker))
                .values(claimed_by=None, claimed_until=None)
            )

    async def mark_sent(self, item_id: int, *, worker: str | None = None) -> bool:
        """Record the delivery; with `worker`, only while it holds the claim (False if not)."""
        result = await self._conn.execute(
            update(outbox)
            .where((outbox.c.id == item_id) & _held_by(worker))
            .values(status="sent", sent_at=self._clock())
        )
        return bool(result.rowcount)

    async def mark_dropped(self, item_id: int, reason: str, *, worker: str | None = None) -> bool:
        """Give up on the row; with `worker`, only while it holds the claim (False if not)."""
        result = await self._conn.execute(
            update(outbox)
            .where((outbox.c.id == item_id) & _held_by(worker))
            .values(status="dropped", last_error=reason[:500])
        )
        return bool(result.rowcount)

    async def retry_later(
        self,
        item_id: int,
        attempts: int,
        error: str,
        *,
        give_up_after: int,
        delay: float | None = None,
        now: datetime | None = None,
        worker: str | None = None,
    ) -> None:
        """Try again after `delay` seconds (the platform's word) or an exponential backoff;
        after `give_up_after` attempts the row is marked failed. The claim is given back;
        with `worker`, nothing changes unless it held the claim."""
        if attempts + 1 >= give_up_after:
            values: dict[str, Any] = {"status": "failed"}
        else:
            wait = delay if delay is not None else min(3600, 2 ** (attempts + 1))
            values = {"not_before": (now or self._clock()) + timedelta(seconds=wait)}
        await self._conn.execute(
            update(outbox)
            .where((outbox.c.id == item_id) & _held_by(worker))
            .values(
                attempts=attempts + 1,
                last_error=error[:500],
                claimed_by=None,
                claimed_until=None,
                **values,
            )
        )

    async def pending_count(self) -> int:
        rows = (
            await self._conn.execute(select(outbox.c.id).where(outbox.c.status == "pending"))
        ).all()
        return len(rows)

    async def next_due_at(self, platforms: Collection[str] | None = None) -> datetime | None:
        """When the next pending row (for `platforms` when given) can be taken: its
        `not_before`, or the end of the claim another worker holds on it."""
        ready = type_coerce(
            case(
                (outbox.c.claimed_until > outbox.c.not_before, outbox.c.claimed_until),
                else_=outbox.c.not_before,
            ),
            UTCDateTime(),
        ).label("ready")
        condition = outbox.c.status == "pending"
        if platforms is not None:
            condition = condition & outbox.c.platform.in_(list(platforms))
        row = (
            await self._conn.execute(select(ready).where(condition).order_by(ready).limit(1))
        ).first()
        return row.ready if row is not None else None


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Pending, due, and claimed by no live worker (never claimed, given back, or expired)."""
    return (
        (outbox.c.status == "pending")
        & (outbox.c.not_before <= now)
        & (outbox.c.claimed_until.is_(None) | (outbox.c.claimed_until <= now))
    )


def _held_by(worker: str | None) -> ColumnElement[bool]:
    """Still pending and, when `worker` is given, still claimed by it."""
    condition = outbox.c.status == "pending"
    return condition if worker is None else condition & (outbox.c.claimed_by == worker)
