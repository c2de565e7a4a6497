"""What the nudges need to know: when people last did something, and what they are already in."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from data.records import ACTIVE_SIGNUPS, MissionStatus
from data.schema import interactions, invitations, missions, signups

__all__ = ["ActivityRepo"]


class ActivityRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def last_active(
        self, volunteer_ids: Iterable[int], *, ignore: Collection[str]
    ) -> dict[int, datetime]:
        """Each person's latest interaction, leaving out the `ignore` kinds (the bot's own)."""
        ids = list(volunteer_ids)
        if not ids:
            return {}
        rows = (
            await self._conn.execute(
                select(interactions.c.volunteer_id, func.max(interactions.c.at))
                .where(interactions.c.volunteer_id.in_(ids) & interactions.c.kind.not_in(ignore))
                .group_by(interactions.c.volunteer_id)
            )
        ).all()
        return {int(vid): last for vid, last in rows}  # max() keeps the column's UTC type

    async def commitments(
        self, volunteer_ids: Iterable[int], after: datetime
    ) -> dict[int, list[tuple[int, datetime, datetime]]]:
        """(mission, start, end) of each person's active sign-ups to missions not over yet."""
        ids = list(volunteer_ids)
        if not ids:
            return {}
        rows = (
            await self._conn.execute(
                select(
                    signups.c.volunteer_id, missions.c.id, missions.c.starts_at, missions.c.ends_at
                )
                .join(missions, missions.c.id == signups.c.mission_id)
                .where(
                    signups.c.volunteer_id.in_(ids)
                    & signups.c.status.in_(ACTIVE_SIGNUPS)
                    & (missions.c.status == MissionStatus.OPEN)
                    & (missions.c.ends_at > after)
                )
            )
        ).all()
        out: dict[int, list[tuple[int, datetime, datetime]]] = {}
        for vid, mission_id, starts, ends in rows:
            out.setdefault(int(vid), []).append((int(mission_id), starts, ends))
        return out

    async def involved(self, mission_ids: Iterable[int]) -> dict[int, set[int]]:
        """Per person, the missions among `mission_ids` they signed up or were invited to."""
        ids = list(mission_ids)
        if not ids:
            return {}
        signed = select(signups.c.volunteer_id, signups.c.mission_id).where(
            signups.c.mission_id.in_(ids)
        )
        invited = select(invitations.c.volunteer_id, invitations.c.mission_id).where(
            invitations.c.mission_id.in_(ids)
        )
        out: dict[int, set[int]] = {}
        for vid, mission_id in (await self._conn.execute(signed.union(invited))).all():
            out.setdefault(int(vid), set()).add(int(mission_id))
        return out
