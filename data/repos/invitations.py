"""Invitations to missions and their outcomes, and the history the matching learns from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from data.records import ACTIVE_SIGNUPS, SignupStatus
from data.repos._util import utcnow
from data.schema import interactions, invitations, missions, signups

__all__ = ["History", "Invitation", "InvitationRepo"]


@dataclass(frozen=True, slots=True)
class Invitation:
    id: int
    mission_id: int
    volunteer_id: int
    status: str
    wave: int
    sent_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class History:
    """What the matching needs to know about one volunteer's past."""

    attended: int = 0
    no_shows: int = 0
    invitations: int = 0
    answered: int = 0
    accepted: int = 0
    recent_invitations: int = 0
    recent_missions: int = 0
    last_active: datetime | None = None


class InvitationRepo:
    def __init__(self, conn: AsyncConnection, *, lock_rows: bool) -> None:
        self._conn = conn
        self._lock_rows = lock_rows

    async def create(
        self, mission_id: int, volunteer_id: int, wave: int, sent_at: datetime, expires_at: datetime
    ) -> int:
        result = await self._conn.execute(
            insert(invitations).values(
                mission_id=mission_id,
                volunteer_id=volunteer_id,
                wave=wave,
                status="sent",
                sent_at=sent_at,
                expires_at=expires_at,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def get(self, invitation_id: int) -> Invitation | None:
        row = (
            await self._conn.execute(select(invitations).where(invitations.c.id == invitation_id))
        ).first()
        return _invitation(row) if row is not None else None

    async def for_mission(self, mission_id: int, *, wave: int | None = None) -> list[Invitation]:
        query = select(invitations).where(invitations.c.mission_id == mission_id)
        if wave is not None:
            query = query.where(invitations.c.wave == wave)
        rows = (await self._conn.execute(query.order_by(invitations.c.id))).all()
        return [_invitation(r) for r in rows]

    async def last_wave(self, mission_id: int) -> int:
        value = (
            await self._conn.execute(
                select(func.max(invitations.c.wave)).where(invitations.c.mission_id == mission_id)
            )
        ).scalar_one_or_none()
        return int(value or 0)

    async def set_status(self, invitation_id: int, status: str, at: datetime | None = None) -> None:
        await self._conn.execute(
            update(invitations)
            .where(invitations.c.id == invitation_id)
            .values(status=status, responded_at=at or utcnow())
        )

    async def expire_wave(self, mission_id: int, wave: int) -> int:
        result = await self._conn.execute(
            update(invitations)
            .where(
                (invitations.c.mission_id == mission_id)
                & (invitations.c.wave == wave)
                & (invitations.c.status == "sent")
            )
            .values(status="expired")
        )
        return int(result.rowcount)

    async def histories(
        self,
        volunteer_ids: Iterable[int],
        now: datetime,
        *,
        week_ago: datetime,
        month_ago: datetime,
    ) -> dict[int, History]:
        """Counts per volunteer, in three grouped queries (never one query per person)."""
        ids = list(volunteer_ids)
        if not ids:
            return {}
        inv = (
            await self._conn.execute(
                select(
                    invitations.c.volunteer_id,
                    func.count(),
                    func.sum(
                        case((invitations.c.status.in_(["accepted", "declined"]), 1), else_=0)
                    ),
                    func.sum(case((invitations.c.status == "accepted", 1), else_=0)),
                    func.sum(case((invitations.c.sent_at >= week_ago, 1), else_=0)),
                )
                .where(invitations.c.volunteer_id.in_(ids))
                .group_by(invitations.c.volunteer_id)
            )
        ).all()
        sig = (
            await self._conn.execute(
                select(
                    signups.c.volunteer_id,
                    func.sum(case((signups.c.status == SignupStatus.ATTENDED, 1), else_=0)),
                    func.sum(case((signups.c.status == SignupStatus.NO_SHOW, 1), else_=0)),
                    func.sum(
                        case(
                            (
                                and_(
                                    signups.c.created_at >= month_ago,
                                    signups.c.status.in_(
                                        [
                                            *ACTIVE_SIGNUPS,
                                            SignupStatus.ATTENDED,
                                            SignupStatus.NO_SHOW,
                                        ]
                                    ),
                                ),
                                1,
                            ),
                            else_=0,
                        )
                    ),
                )
                .where(signups.c.volunteer_id.in_(ids))
                .group_by(signups.c.volunteer_id)
            )
        ).all()
        active = (
            await self._conn.execute(
                select(interactions.c.volunteer_id, func.max(interactions.c.at).label("last"))
                .where(interactions.c.volunteer_id.in_(ids))
                .group_by(interactions.c.volunteer_id)
            )
        ).all()
        out: dict[int, dict[str, Any]] = {i: {} for i in ids}
        for vid, count, answered, accepted, recent in inv:
            out[vid].update(
                invitations=int(count),
                answered=int(answered or 0),
                accepted=int(accepted or 0),
                recent_invitations=int(recent or 0),
            )
        for vid, attended, no_shows, recent in sig:
            out[vid].update(
                attended=int(attended or 0),
                no_shows=int(no_shows or 0),
                recent_missions=int(recent or 0),
            )
        last_type = interactions.c.at.type
        for vid, last in active:
            if vid is not None:
                out[vid]["last_active"] = last_type.process_result_value(last, self._conn.dialect)  # type: ignore[attr-defined]
        return {vid: History(**values) for vid, values in out.items()}

    async def busy(
        self, volunteer_ids: Iterable[int], start: datetime, end: datetime, mission_id: int
    ) -> set[int]:
        """Volunteers already signed up or invited to another mission overlapping [start, end)."""
        ids = list(volunteer_ids)
        if not ids:
            return set()
        overlap = (
            (missions.c.starts_at < end)
            & (missions.c.ends_at > start)
            & (missions.c.id != mission_id)
        )
        signed = (
            select(signups.c.volunteer_id)
            .join(missions, missions.c.id == signups.c.mission_id)
            .where(overlap & signups.c.volunteer_id.in_(ids) & signups.c.status.in_(ACTIVE_SIGNUPS))
        )
        invited = (
            select(invitations.c.volunteer_id)
            .join(missions, missions.c.id == invitations.c.mission_id)
            .where(overlap & invitations.c.volunteer_id.in_(ids) & (invitations.c.status == "sent"))
        )
        rows = (await self._conn.execute(signed.union(invited))).all()
        return {int(r[0]) for r in rows}


def _invitation(row: Any) -> Invitation:
    return Invitation(
        row.id, row.mission_id, row.volunteer_id, row.status, row.wave, row.sent_at, row.expires_at
    )
