"""The deliveries the core has handled, by idempotency key, so none is handled twice.

A platform may deliver the same update again (Telegram after a restart before it heard the
update arrived, or a webhook it retries; Discord after a gateway RESUME). The key is
recorded in the transaction of the update's effects: both commit, or neither does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from data.schema import processed_updates

__all__ = ["ProcessedRepo"]


class ProcessedRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(self, source: str, now: datetime) -> bool:
        """Record `source` as handled; False when it already was (by this transaction's
        predecessors, or by another worker, whose commit this waits for on PostgreSQL)."""
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    insert(processed_updates).values(source=source, handled_at=now)
                )
        except IntegrityError:
            return False
        return True

    async def seen(self, source: str) -> bool:
        query = select(processed_updates.c.source).where(processed_updates.c.source == source)
        return (await self._conn.execute(query)).first() is not None

    async def prune(self, before: datetime) -> int:
        """Forget the keys recorded before `before` (no platform redelivers that late)."""
        result = await self._conn.execute(
            delete(processed_updates).where(processed_updates.c.handled_at < before)
        )
        return result.rowcount or 0
