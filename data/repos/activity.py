"""When people last did something, and what they are already in (nudges, retention)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from data.records import ACTIVE_SIGNUPS, MissionStatus, SignupStatus
from data.schema import identities, interactions, invitations, missions, signups, tasks

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

    async def signs_of_life(
        self,
        now: datetime,
        *,
        ignore: Collection[str],
        volunteer_ids: Iterable[int] | None = None,
    ) -> dict[int, datetime]:
        """Per person who still has a platform identity, their latest sign of life up to `now`.

        That is the latest of: seen on a platform (any message, command or button press),
        an action of theirs in the log (leaving out the `ignore` kinds, the bot's own), and
        the end of a mission they were signed up to or attended. Erased people have no
        identity left and are not listed. `volunteer_ids` limits the answer to those people.
        """
        ids = None if volunteer_ids is None else list(volunteer_ids)
        seen_q = select(identities.c.volunteer_id, func.max(identities.c.last_seen_at)).group_by(
            identities.c.volunteer_id
        )
        logged_q = (
            select(interactions.c.volunteer_id, func.max(interactions.c.at))
            .where(interactions.c.volunteer_id.is_not(None) & interactions.c.kind.not_in(ignore))
            .group_by(interactions.c.volunteer_id)
        )
        served_q = (
            select(signups.c.volunteer_id, func.max(missions.c.ends_at))
            .join(missions, missions.c.id == signups.c.mission_id)
            .where(
                signups.c.status.in_((SignupStatus.CONFIRMED, SignupStatus.ATTENDED))
                & (missions.c.ends_at <= now)
            )
            .group_by(signups.c.volunteer_id)
        )
        if ids is not None:
            seen_q = seen_q.where(identities.c.volunteer_id.in_(ids))
            logged_q = logged_q.where(interactions.c.volunteer_id.in_(ids))
            served_q = served_q.where(signups.c.volunteer_id.in_(ids))
        out = {int(vid): last for vid, last in (await self._conn.execute(seen_q)).all()}
        for query in (logged_q, served_q):
            for vid, last in (await self._conn.execute(query)).all():
                if int(vid) in out and last is not None:
                    out[int(vid)] = max(out[int(vid)], min(last, now))
        return out

    async def latest_task_at(self, kind: str, volunteer_ids: Iterable[int]) -> dict[int, datetime]:
        """When each person's latest task of `kind` was planned (a warning, a follow-up)."""
        ids = list(volunteer_ids)
        if not ids:
            return {}
        rows = (
            await self._conn.execute(
                select(tasks.c.volunteer_id, func.max(tasks.c.created_at))
                .where((tasks.c.kind == kind) & tasks.c.volunteer_id.in_(ids))
                .group_by(tasks.c.volunteer_id)
            )
        ).all()
        return {int(vid): at for vid, at in rows}
