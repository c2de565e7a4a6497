"""The append-only interaction log: raw material for engagement stats and matching."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from data.repos._util import utcnow
from data.schema import interactions

__all__ = ["InteractionRepo"]


class InteractionRepo:
    def __init__(self, conn: AsyncConnection, clock: Callable[[], datetime] = utcnow) -> None:
        self._conn = conn
        self._clock = clock  # the bot's clock, so "recent activity" means the same everywhere

    async def log(
        self,
        kind: str,
        *,
        org_id: int | None = None,
        volunteer_id: int | None = None,
        mission_id: int | None = None,
        at: datetime | None = None,
        **detail: Any,
    ) -> None:
        await self._conn.execute(
            insert(interactions).values(
                org_id=org_id,
                volunteer_id=volunteer_id,
                mission_id=mission_id,
                kind=kind,
                detail=detail,
                at=at or self._clock(),
            )
        )

    async def count(self, kind: str, *, volunteer_id: int | None = None) -> int:
        query = select(func.count()).select_from(interactions).where(interactions.c.kind == kind)
        if volunteer_id is not None:
            query = query.where(interactions.c.volunteer_id == volunteer_id)
        return int((await self._conn.execute(query)).scalar_one())
