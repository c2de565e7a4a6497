"""Repeating missions: the series rule and template their occurrences are made from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from data.records import MissionSeries, MissionSkill
from data.repos._util import utcnow
from data.schema import mission_series

__all__ = ["SeriesRepo"]

_EDITABLE = frozenset(
    {
        "title",
        "description",
        "place",
        "slots",
        "skills",
        "start_time",
        "end_time",
        "active",
        "until",
        "generated_until",
    }
)


class SeriesRepo:
    def __init__(self, conn: AsyncConnection, *, lock_rows: bool) -> None:
        self._conn = conn
        self._lock_rows = lock_rows

    async def create(
        self,
        *,
        org_id: int,
        rule: str,
        every: int,
        weekday: int,
        position: int | None,
        starts_on: date,
        start_time: time,
        end_time: time,
        until: date | None,
        title: str,
        description: str,
        place: str,
        slots: int,
        skills: Sequence[MissionSkill],
        coordinator_id: int | None,
        chat_space_id: int | None,
    ) -> MissionSeries:
        now = utcnow()
        result = await self._conn.execute(
            insert(mission_series).values(
                org_id=org_id,
                rule=rule,
                every=every,
                weekday=weekday,
                position=position,
                starts_on=starts_on,
                start_time=start_time,
                end_time=end_time,
                until=until,
                title=title,
                description=description,
                place=place,
                slots=slots,
                skills=_skills_json(skills),
                coordinator_id=coordinator_id,
                chat_space_id=chat_space_id,
                active=True,
                created_at=now,
                updated_at=now,
            )
        )
        series = await self.get(int(result.inserted_primary_key[0]))  # type: ignore[index]
        assert series is not None
        return series

    async def get(self, series_id: int, *, for_update: bool = False) -> MissionSeries | None:
        query = select(mission_series).where(mission_series.c.id == series_id)
        if for_update and self._lock_rows:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return _series(row) if row is not None else None

    async def update(self, series_id: int, **values: Any) -> None:
        """Change the template, times or state of the series (future occurrences follow)."""
        unknown = set(values) - _EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        if "skills" in values:
            values["skills"] = _skills_json(values["skills"])
        await self._conn.execute(
            update(mission_series)
            .where(mission_series.c.id == series_id)
            .values(**values, updated_at=utcnow())
        )

    async def stop(self, series_id: int, until: date) -> None:
        """No occurrence after `until` will be generated."""
        await self.update(series_id, active=False, until=until)


def _skills_json(skills: Sequence[MissionSkill]) -> list[list[Any]]:
    return [[s.skill_id, s.raw_text[:200], s.required] for s in skills]


def _series(row: Any) -> MissionSeries:
    return MissionSeries(
        id=row.id,
        org_id=row.org_id,
        rule=row.rule,
        every=row.every,
        weekday=row.weekday,
        position=row.position,
        starts_on=row.starts_on,
        start_time=row.start_time,
        end_time=row.end_time,
        title=row.title,
        description=row.description,
        place=row.place,
        slots=row.slots,
        skills=tuple(MissionSkill(sid, raw, bool(req)) for sid, raw, req in row.skills),
        coordinator_id=row.coordinator_id,
        chat_space_id=row.chat_space_id,
        active=bool(row.active),
        until=row.until,
        generated_until=row.generated_until,
    )
