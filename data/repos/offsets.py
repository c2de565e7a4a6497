"""Where each chat platform stands in its stream of updates, so none is handled twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from data.schema import platform_offsets

__all__ = ["OffsetRepo"]


class OffsetRepo:
    def __init__(self, conn: AsyncConnection, *, lock_rows: bool) -> None:
        self._conn = conn
        self._lock_rows = lock_rows

    async def last(self, platform: str) -> tuple[int, datetime] | None:
        """The last update id recorded for `platform`, and when it was recorded."""
        query = select(platform_offsets.c.last_update_id, platform_offsets.c.updated_at).where(
            platform_offsets.c.platform == platform
        )
        if self._lock_rows:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return (int(row.last_update_id), row.updated_at) if row is not None else None

    async def claim(
        self, platform: str, update_id: int, *, now: datetime, replay_window: timedelta
    ) -> bool:
        """Record `update_id` as handled; False when it, or a later one, already was.

        Ids at or below the last one recorded within `replay_window` are replays. Older
        records do not count: a platform may restart its numbering after a quiet period.
        """
        last = await self.last(platform)
        if last is None:
            try:
                async with self._conn.begin_nested():
                    await self._conn.execute(
                        insert(platform_offsets).values(
                            platform=platform, last_update_id=update_id, updated_at=now
                        )
                    )
                return True
            except IntegrityError:  # another worker recorded the first one at the same time
                last = await self.last(platform)
                assert last is not None
        last_id, recorded_at = last
        if update_id <= last_id and now - recorded_at < replay_window:
            return False
        await self._conn.execute(
            update(platform_offsets)
            .where(platform_offsets.c.platform == platform)
            .values(last_update_id=update_id, updated_at=now)
        )
        return True
