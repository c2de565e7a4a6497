"""Missions, the skills they need, and the sign-ups to them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from data.records import ACTIVE_SIGNUPS, Mission, MissionSkill, MissionStatus, Signup, SignupStatus
from data.repos._util import utcnow
from data.schema import mission_skills, missions, signups

__all__ = ["MissionRepo"]

_EDITABLE = frozenset({"title", "description", "starts_at", "ends_at", "place", "slots"})


class MissionRepo:
    def __init__(self, conn: AsyncConnection, *, lock_rows: bool) -> None:
        self._conn = conn
        self._lock_rows = lock_rows

    async def create(
        self,
        *,
        org_id: int,
        title: str,
        description: str,
        starts_at: datetime,
        ends_at: datetime,
        place: str,
        slots: int,
        coordinator_id: int | None,
        chat_space_id: int | None,
        skills: Sequence[MissionSkill] = (),
        series_id: int | None = None,
        occurrence_date: date | None = None,
    ) -> Mission:
        now = utcnow()
        result = await self._conn.execute(
            insert(missions).values(
                org_id=org_id,
                title=title,
                description=description,
                starts_at=starts_at,
                ends_at=ends_at,
                place=place,
                slots=slots,
                status=MissionStatus.OPEN,
                coordinator_id=coordinator_id,
                chat_space_id=chat_space_id,
                series_id=series_id,
                occurrence_date=occurrence_date,
                created_at=now,
                updated_at=now,
            )
        )
        mission_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        await self.replace_skills(mission_id, skills)
        mission = await self.get(mission_id)
        assert mission is not None
        return mission

    async def add_occurrence(
        self, series_id: int, occurrence_date: date, **fields: Any
    ) -> Mission | None:
        """Create the series' occurrence of `occurrence_date`; None when it already exists."""
        exists = await self._conn.execute(
            select(missions.c.id).where(
                (missions.c.series_id == series_id)
                & (missions.c.occurrence_date == occurrence_date)
            )
        )
        if exists.first() is not None:
            return None
        try:
            async with self._conn.begin_nested():
                return await self.create(
                    **fields, series_id=series_id, occurrence_date=occurrence_date
                )
        except IntegrityError:
            return None  # another worker generated it meanwhile

    async def occurrences(self, series_id: int, since: date) -> list[Mission]:
        """The series' open occurrences from `since` on, in date order."""
        rows = (
            await self._conn.execute(
                select(missions)
                .where(
                    (missions.c.series_id == series_id)
                    & (missions.c.occurrence_date >= since)
                    & (missions.c.status == MissionStatus.OPEN)
                )
                .order_by(missions.c.occurrence_date)
            )
        ).all()
        return [await self._mission(r) for r in rows]

    async def move_to_series(self, mission_id: int, series_id: int, occurrence_date: date) -> None:
        """Make the mission the occurrence of `occurrence_date` in another series."""
        await self._conn.execute(
            update(missions)
            .where(missions.c.id == mission_id)
            .values(series_id=series_id, occurrence_date=occurrence_date)
        )

    async def replace_skills(self, mission_id: int, skills: Iterable[MissionSkill]) -> None:
        await self._conn.execute(
            mission_skills.delete().where(mission_skills.c.mission_id == mission_id)
        )
        rows = [
            {
                "mission_id": mission_id,
                "skill_id": s.skill_id,
                "raw_text": s.raw_text[:200],
                "required": s.required,
            }
            for s in skills
        ]
        if rows:
            await self._conn.execute(insert(mission_skills), rows)

    async def get(self, mission_id: int, *, for_update: bool = False) -> Mission | None:
        query = select(missions).where(missions.c.id == mission_id)
        if for_update and self._lock_rows:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return await self._mission(row) if row is not None else None

    async def by_card(self, chat_id: str, message_id: str) -> Mission | None:
        row = (
            await self._conn.execute(
                select(missions).where(
                    (missions.c.card_chat_id == chat_id)
                    & (missions.c.card_message_id == message_id)
                )
            )
        ).first()
        return await self._mission(row) if row is not None else None

    async def set_card(self, mission_id: int, chat_id: str, message_id: str) -> None:
        await self._conn.execute(
            update(missions)
            .where(missions.c.id == mission_id)
            .values(card_chat_id=chat_id, card_message_id=message_id)
        )

    async def clear_card(self, mission_id: int) -> None:
        await self._conn.execute(
            update(missions)
            .where(missions.c.id == mission_id)
            .values(card_chat_id=None, card_message_id=None)
        )

    async def edit(self, mission_id: int, **values: Any) -> None:
        unknown = set(values) - _EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        await self._conn.execute(
            update(missions)
            .where(missions.c.id == mission_id)
            .values(**values, updated_at=utcnow(), version=missions.c.version + 1)
        )

    async def bump(self, mission_id: int) -> None:
        """Mark the mission as changed (its card must be redrawn)."""
        await self._conn.execute(
            update(missions)
            .where(missions.c.id == mission_id)
            .values(updated_at=utcnow(), version=missions.c.version + 1)
        )

    async def set_status(self, mission_id: int, status: MissionStatus) -> None:
        now = utcnow()
        values: dict[str, Any] = {"status": status, "updated_at": now}
        if status is MissionStatus.CANCELLED:
            values["cancelled_at"] = now
        await self._conn.execute(
            update(missions)
            .where(missions.c.id == mission_id)
            .values(**values, version=missions.c.version + 1)
        )

    async def open_missions(self, org_id: int, after: datetime, limit: int = 20) -> list[Mission]:
        rows = (
            await self._conn.execute(
                select(missions)
                .where(
                    (missions.c.org_id == org_id)
                    & (missions.c.status == MissionStatus.OPEN)
                    & (missions.c.ends_at > after)
                )
                .order_by(missions.c.starts_at, missions.c.id)
                .limit(limit)
            )
        ).all()
        return [await self._mission(r) for r in rows]

    async def counts(self, mission_id: int) -> tuple[int, int]:
        """(places taken, waitlisted): a place offered to someone waiting counts as taken."""
        rows = (
            await self._conn.execute(
                select(signups.c.status, func.count())
                .where(signups.c.mission_id == mission_id)
                .group_by(signups.c.status)
            )
        ).all()
        by_status = {r[0]: int(r[1]) for r in rows}
        taken = by_status.get(SignupStatus.CONFIRMED, 0) + by_status.get(SignupStatus.OFFERED, 0)
        return taken, by_status.get(SignupStatus.WAITLISTED, 0)

    async def signup(self, mission_id: int, volunteer_id: int) -> Signup | None:
        row = (
            await self._conn.execute(
                select(signups).where(
                    (signups.c.mission_id == mission_id) & (signups.c.volunteer_id == volunteer_id)
                )
            )
        ).first()
        return _signup(row) if row is not None else None

    async def put_signup(
        self, mission_id: int, volunteer_id: int, status: SignupStatus, source: str
    ) -> Signup:
        """Create the sign-up, or re-queue a withdrawn one, with `status`."""
        now = utcnow()
        existing = await self.signup(mission_id, volunteer_id)
        if existing is None:
            await self._conn.execute(
                insert(signups).values(
                    mission_id=mission_id,
                    volunteer_id=volunteer_id,
                    status=status,
                    source=source,
                    created_at=now,
                    updated_at=now,
                    queued_at=now,
                )
            )
        else:
            await self._conn.execute(
                update(signups)
                .where(signups.c.id == existing.id)
                .values(status=status, source=source, updated_at=now, queued_at=now)
            )
        signup = await self.signup(mission_id, volunteer_id)
        assert signup is not None
        return signup

    async def set_signup_status(self, signup_id: int, status: SignupStatus) -> None:
        await self._conn.execute(
            update(signups)
            .where(signups.c.id == signup_id)
            .values(status=status, updated_at=utcnow(), confirm_by=None)
        )

    async def offer(self, signup_id: int, confirm_by: datetime) -> None:
        """Hold a freed place for a waitlisted person until `confirm_by`."""
        await self._conn.execute(
            update(signups)
            .where(signups.c.id == signup_id)
            .values(status=SignupStatus.OFFERED, confirm_by=confirm_by, updated_at=utcnow())
        )

    async def signup_by_id(self, signup_id: int) -> Signup | None:
        row = (await self._conn.execute(select(signups).where(signups.c.id == signup_id))).first()
        return _signup(row) if row is not None else None

    async def set_reminder_answer(self, signup_id: int, answer: str) -> None:
        await self._conn.execute(
            update(signups)
            .where(signups.c.id == signup_id)
            .values(reminder_answer=answer, updated_at=utcnow())
        )

    async def set_feedback(
        self, signup_id: int, *, rating: int | None = None, comment: str | None = None
    ) -> None:
        values: dict[str, Any] = {"updated_at": utcnow()}
        if rating is not None:
            values["rating"] = rating
        if comment is not None:
            values["comment"] = comment
        await self._conn.execute(update(signups).where(signups.c.id == signup_id).values(**values))

    async def signups(
        self, mission_id: int, statuses: Iterable[SignupStatus] = tuple(SignupStatus)
    ) -> list[Signup]:
        rows = (
            await self._conn.execute(
                select(signups)
                .where((signups.c.mission_id == mission_id) & signups.c.status.in_(list(statuses)))
                .order_by(signups.c.queued_at, signups.c.id)
            )
        ).all()
        return [_signup(r) for r in rows]

    async def recent_outcomes(self, volunteer_id: int, limit: int = 5) -> list[SignupStatus]:
        """Attended / no-show of the volunteer's last missions, latest first."""
        rows = (
            await self._conn.execute(
                select(signups.c.status)
                .join(missions, missions.c.id == signups.c.mission_id)
                .where(
                    (signups.c.volunteer_id == volunteer_id)
                    & signups.c.status.in_([SignupStatus.ATTENDED, SignupStatus.NO_SHOW])
                )
                .order_by(missions.c.starts_at.desc())
                .limit(limit)
            )
        ).all()
        return [SignupStatus(r.status) for r in rows]

    async def upcoming_for(
        self, volunteer_id: int, after: datetime
    ) -> list[tuple[Mission, Signup]]:
        rows = (
            await self._conn.execute(
                select(missions, signups.c.id.label("signup_id"))
                .join(signups, signups.c.mission_id == missions.c.id)
                .where(
                    (signups.c.volunteer_id == volunteer_id)
                    & signups.c.status.in_(ACTIVE_SIGNUPS)
                    & (missions.c.status == MissionStatus.OPEN)
                    & (missions.c.ends_at > after)
                )
                .order_by(missions.c.starts_at)
            )
        ).all()
        out: list[tuple[Mission, Signup]] = []
        for row in rows:
            mission = await self._mission(row)
            signup = await self.signup(mission.id, volunteer_id)
            assert signup is not None
            out.append((mission, signup))
        return out

    async def _mission(self, row: Any) -> Mission:
        skill_rows = (
            await self._conn.execute(
                select(mission_skills)
                .where(mission_skills.c.mission_id == row.id)
                .order_by(mission_skills.c.id)
            )
        ).all()
        return Mission(
            id=row.id,
            org_id=row.org_id,
            title=row.title,
            description=row.description,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            place=row.place,
            slots=row.slots,
            status=MissionStatus(row.status),
            coordinator_id=row.coordinator_id,
            chat_space_id=row.chat_space_id,
            card_chat_id=row.card_chat_id,
            card_message_id=row.card_message_id,
            version=row.version,
            skills=tuple(MissionSkill(s.skill_id, s.raw_text, s.required) for s in skill_rows),
            series_id=row.series_id,
            occurrence_date=row.occurrence_date,
        )


def _signup(row: Any) -> Signup:
    return Signup(
        row.id,
        row.mission_id,
        row.volunteer_id,
        SignupStatus(row.status),
        row.queued_at,
        row.confirm_by,
        row.reminder_answer,
    )
