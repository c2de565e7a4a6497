"""The raw history of one organisation, for statistics and exports (computed in bot.engagement)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from data.schema import (
    invitations,
    memberships,
    mission_skills,
    missions,
    signups,
    volunteer_skills,
    volunteers,
)

__all__ = ["History", "InvitationRow", "MissionRow", "Rated", "ReportRepo", "SignupRow"]


@dataclass(frozen=True, slots=True)
class MissionRow:
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    slots: int
    status: str
    created_at: datetime
    skills: tuple[str, ...]  # required skill ids


@dataclass(frozen=True, slots=True)
class SignupRow:
    mission_id: int
    volunteer_id: int
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class InvitationRow:
    volunteer_id: int
    status: str
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class History:
    """Everything the statistics need about one organisation, names included."""

    missions: dict[int, MissionRow]
    signups: list[SignupRow]
    invitations: list[InvitationRow]
    names: dict[int, str]  # volunteers who are members or took part
    skills: dict[int, set[str]]  # onboarded members' skill ids


@dataclass(frozen=True, slots=True)
class Rated:
    """One sign-up's rating (1-5) and comment, as the follow-up stored them."""

    mission_id: int
    rating: int | None
    comment: str | None


class ReportRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def history(self, org_id: int) -> History:
        rows = (await self._conn.execute(select(missions).where(missions.c.org_id == org_id))).all()
        ids = [r.id for r in rows]
        needs: dict[int, list[str]] = {}
        for r in (
            await self._conn.execute(
                select(mission_skills.c.mission_id, mission_skills.c.skill_id).where(
                    mission_skills.c.mission_id.in_(ids)
                    & mission_skills.c.required
                    & mission_skills.c.skill_id.is_not(None)
                )
            )
        ).all():
            needs.setdefault(r.mission_id, []).append(r.skill_id)
        mission_rows = {
            r.id: MissionRow(
                r.id,
                r.title,
                r.starts_at,
                r.ends_at,
                r.slots,
                r.status,
                r.created_at,
                tuple(needs.get(r.id, ())),
            )
            for r in rows
        }
        signup_rows = [
            SignupRow(r.mission_id, r.volunteer_id, r.status, r.created_at)
            for r in (
                await self._conn.execute(
                    select(signups).where(signups.c.mission_id.in_(ids)).order_by(signups.c.id)
                )
            ).all()
        ]
        invitation_rows = [
            InvitationRow(r.volunteer_id, r.status, r.sent_at)
            for r in (
                await self._conn.execute(
                    select(invitations).where(invitations.c.mission_id.in_(ids))
                )
            ).all()
        ]
        members = {
            r.volunteer_id
            for r in (
                await self._conn.execute(
                    select(memberships.c.volunteer_id).where(memberships.c.org_id == org_id)
                )
            ).all()
        }
        people = members | {s.volunteer_id for s in signup_rows}
        names: dict[int, str] = {}
        onboarded: set[int] = set()
        for p in (
            await self._conn.execute(
                select(volunteers.c.id, volunteers.c.display_name, volunteers.c.onboarded_at).where(
                    volunteers.c.id.in_(people)
                )
            )
        ).all():
            names[p.id] = p.display_name
            if p.onboarded_at is not None and p.id in members:
                onboarded.add(p.id)
        skills: dict[int, set[str]] = {}
        for k in (
            await self._conn.execute(
                select(volunteer_skills.c.volunteer_id, volunteer_skills.c.skill_id).where(
                    volunteer_skills.c.volunteer_id.in_(onboarded)
                    & volunteer_skills.c.skill_id.is_not(None)
                )
            )
        ).all():
            skills.setdefault(k.volunteer_id, set()).add(k.skill_id)
        return History(mission_rows, signup_rows, invitation_rows, names, skills)

    async def participation(self, volunteer_id: int) -> list[tuple[datetime, datetime]]:
        """Start and end of every mission the volunteer came to, oldest first."""
        rows = (
            await self._conn.execute(
                select(missions.c.starts_at, missions.c.ends_at)
                .join(signups, signups.c.mission_id == missions.c.id)
                .where((signups.c.volunteer_id == volunteer_id) & (signups.c.status == "attended"))
                .order_by(missions.c.starts_at)
            )
        ).all()
        return [(r.starts_at, r.ends_at) for r in rows]

    async def feedback(self, org_id: int, start: datetime, end: datetime) -> list[Rated]:
        """Ratings and comments left on the organisation's missions that started in
        [start, end), in the order they were given."""
        rows = (
            await self._conn.execute(
                select(signups.c.mission_id, signups.c.rating, signups.c.comment)
                .join(missions, missions.c.id == signups.c.mission_id)
                .where(
                    (missions.c.org_id == org_id)
                    & (missions.c.starts_at >= start)
                    & (missions.c.starts_at < end)
                    & or_(signups.c.rating.is_not(None), signups.c.comment.is_not(None))
                )
                .order_by(signups.c.id)
            )
        ).all()
        return [Rated(r.mission_id, r.rating, r.comment) for r in rows]
