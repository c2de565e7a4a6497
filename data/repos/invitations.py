"""Invitations to missions and their outcomes, and the history the matching learns from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import and_, case, func, insert, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import NullType

from data.records import ACTIVE_SIGNUPS, SignupStatus
from data.repos._util import utcnow
from data.schema import interactions, invitations, memberships, missions, signups

__all__ = ["History", "Invitation", "InvitationRepo", "MemberHistories", "epoch_micros"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


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


@dataclass(frozen=True, slots=True)
class MemberHistories:
    """The `History` of every member of an organisation as integer columns, one row per
    volunteer with something to count in that part, sorted by volunteer id."""

    invited: NDArray[np.int64]  # volunteer, invitations, answered, accepted, recent_invitations
    signed: NDArray[np.int64]  # volunteer, attended, no_shows, recent_missions
    active: NDArray[np.int64]  # volunteer, last activity in microseconds since the epoch

    def aligned(self, volunteer_ids: NDArray[np.int64]) -> dict[str, NDArray[np.float64]]:
        """Each `History` field for `volunteer_ids`, in that order: 0 where nothing was
        counted; `last_active` in microseconds since the epoch (exact), NaN if never."""
        out: dict[str, NDArray[np.float64]] = {}
        parts = (
            (self.invited, ("invitations", "answered", "accepted", "recent_invitations"), 0.0),
            (self.signed, ("attended", "no_shows", "recent_missions"), 0.0),
            (self.active, ("last_active",), np.nan),
        )
        for table, names, missing in parts:
            keys = table[:, 0]
            at = np.minimum(np.searchsorted(keys, volunteer_ids), max(keys.size - 1, 0))
            found = keys[at] == volunteer_ids if keys.size else np.zeros(volunteer_ids.size, bool)
            for j, name in enumerate(names, start=1):
                column = np.full(volunteer_ids.size, missing, dtype=np.float64)
                column[found] = table[at[found], j]
                out[name] = column
        return out


def epoch_micros(values: Sequence[Any]) -> NDArray[np.int64]:
    """Timestamps as the driver returns them (ISO text on SQLite, datetimes on PostgreSQL;
    naive means UTC) as integer microseconds since the epoch, without a Python object per
    row on SQLite."""
    if values and isinstance(values[0], str):  # one column of one driver: one type
        return np.array(values, dtype="datetime64[us]").astype(np.int64)
    return np.array(
        [
            ((v if v.tzinfo is not None else v.replace(tzinfo=UTC)) - _EPOCH) // _MICROSECOND
            for v in values
        ],
        dtype=np.int64,
    )


def _raw(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`column` as the driver returns it (no per-row conversion to Python objects)."""
    return type_coerce(column, NullType())


def _columns(rows: Sequence[Any], width: int) -> NDArray[np.int64]:
    """Integer rows (NULL sums as 0) as a matrix sorted by its first column."""
    if not rows:
        return np.zeros((0, width), dtype=np.int64)
    table = np.array([[v or 0 for v in r] for r in rows], dtype=np.int64).reshape(-1, width)
    return table[np.argsort(table[:, 0], kind="stable")]


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
        inv_c, sig_c, active_c = _history_columns(week_ago, month_ago)
        parts = []
        for table, columns in ((invitations, inv_c), (signups, sig_c), (interactions, active_c)):
            key = table.c.volunteer_id
            query = select(key, *columns).where(key.in_(ids)).group_by(key)
            parts.append((await self._conn.execute(query)).all())
        inv, sig, active = parts
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

    async def member_histories(
        self, org_id: int, *, week_ago: datetime, month_ago: datetime
    ) -> MemberHistories:
        """`histories` of every member of the organisation (whatever organisation the
        invitations and sign-ups were for, as `histories` counts them): the same three
        grouped queries joined on the organisation's memberships, with no list of ids."""
        inv_c, sig_c, active_c = _history_columns(week_ago, month_ago, raw_time=True)
        parts = []
        for table, columns in ((invitations, inv_c), (signups, sig_c), (interactions, active_c)):
            # Grouped by the membership's column: read in index order, no sort (SQLite).
            key = memberships.c.volunteer_id
            query = (
                select(key, *columns)
                .select_from(memberships.join(table, table.c.volunteer_id == key))
                .where(memberships.c.org_id == org_id)
                .group_by(key)
            )
            parts.append((await self._conn.execute(query)).all())
        inv, sig, active = parts
        last = np.column_stack(
            [
                np.array([r[0] for r in active], dtype=np.int64),
                epoch_micros([r[1] for r in active]),
            ]
        ).reshape(-1, 2)
        return MemberHistories(
            invited=_columns(inv, 5),
            signed=_columns(sig, 4),
            active=last[np.argsort(last[:, 0], kind="stable")],
        )

    async def busy(
        self, volunteer_ids: Iterable[int], start: datetime, end: datetime, mission_id: int
    ) -> set[int]:
        """Volunteers already signed up or invited to another mission overlapping [start, end)."""
        ids = list(volunteer_ids)
        if not ids:
            return set()
        signed, invited = _busy_queries(start, end, mission_id)
        query = signed.where(signups.c.volunteer_id.in_(ids)).union(
            invited.where(invitations.c.volunteer_id.in_(ids))
        )
        return {int(r[0]) for r in (await self._conn.execute(query)).all()}

    async def busy_members(
        self, org_id: int, start: datetime, end: datetime, mission_id: int
    ) -> set[int]:
        """`busy` for every member of the organisation (another mission of any organisation
        counts), joined on its memberships instead of a list of ids."""
        signed, invited = _busy_queries(start, end, mission_id)
        member = memberships.c.org_id == org_id
        query = (
            signed.join(memberships, memberships.c.volunteer_id == signups.c.volunteer_id)
            .where(member)
            .union(
                invited.join(
                    memberships, memberships.c.volunteer_id == invitations.c.volunteer_id
                ).where(member)
            )
        )
        return {int(r[0]) for r in (await self._conn.execute(query)).all()}


def _busy_queries(start: datetime, end: datetime, mission_id: int) -> tuple[Any, Any]:
    """Active sign-ups and pending invitations to other missions overlapping [start, end)."""
    overlap = (
        (missions.c.starts_at < end) & (missions.c.ends_at > start) & (missions.c.id != mission_id)
    )
    signed = (
        select(signups.c.volunteer_id)
        .join(missions, missions.c.id == signups.c.mission_id)
        .where(overlap & signups.c.status.in_(ACTIVE_SIGNUPS))
    )
    invited = (
        select(invitations.c.volunteer_id)
        .join(missions, missions.c.id == invitations.c.mission_id)
        .where(overlap & (invitations.c.status == "sent"))
    )
    return signed, invited


def _history_columns(
    week_ago: datetime, month_ago: datetime, *, raw_time: bool = False
) -> tuple[list[Any], list[Any], list[Any]]:
    """The aggregates of one volunteer's history, to group by volunteer: invitations (count,
    answered, accepted, since `week_ago`), sign-ups (attended, no-shows, taken since
    `month_ago`) and the latest interaction (as the driver returns it with `raw_time`)."""
    inv = [
        func.count(),
        func.sum(case((invitations.c.status.in_(["accepted", "declined"]), 1), else_=0)),
        func.sum(case((invitations.c.status == "accepted", 1), else_=0)),
        func.sum(case((invitations.c.sent_at >= week_ago, 1), else_=0)),
    ]
    taken = [*ACTIVE_SIGNUPS, SignupStatus.ATTENDED, SignupStatus.NO_SHOW]
    recent = and_(signups.c.created_at >= month_ago, signups.c.status.in_(taken))
    sig = [
        func.sum(case((signups.c.status == SignupStatus.ATTENDED, 1), else_=0)),
        func.sum(case((signups.c.status == SignupStatus.NO_SHOW, 1), else_=0)),
        func.sum(case((recent, 1), else_=0)),
    ]
    last = func.max(interactions.c.at)
    return inv, sig, [(_raw(last) if raw_time else last).label("last")]


def _invitation(row: Any) -> Invitation:
    return Invitation(
        row.id, row.mission_id, row.volunteer_id, row.status, row.wave, row.sent_at, row.expires_at
    )
