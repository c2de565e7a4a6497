"""Organisations, the chat spaces that belong to them, and memberships with roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import (
    BigInteger,
    Integer,
    case,
    cast,
    extract,
    func,
    insert,
    select,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import NullType

from data.records import ChatSpace, Organisation, Role
from data.repos._util import utcnow
from data.repos.invitations import epoch_micros
from data.schema import (
    chat_spaces,
    invitations,
    memberships,
    missions,
    organisations,
    signups,
    volunteers,
)

__all__ = ["STAMP_MODULI", "OrgRepo", "Participation", "stamp_digest"]

#: Two primes: member stamps are summed modulo each, the second sum weighted by the id.
STAMP_MODULI: Final = (1_000_000_007, 998_244_353)
_ID_WEIGHT: Final = 1009  # the id weight is id % this (the sums stay within 64 bits)

_TAKEN = ("confirmed", "attended", "no_show")  # sign-up statuses that hold a place


@dataclass(frozen=True, slots=True)
class Participation:
    """One person's sign-ups and invitations for an organisation's missions, summed."""

    last_taken: datetime | None  # start of the latest mission they held a place for
    attended: int
    no_shows: int
    recent_attended: int  # attended missions that started since `recent_since`
    invited: int
    accepted: int
    declined: int


class OrgRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def create(self, name: str, *, timezone: str, language: str) -> Organisation:
        result = await self._conn.execute(
            insert(organisations).values(
                name=name, timezone=timezone, language=language, created_at=utcnow()
            )
        )
        org_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return Organisation(id=org_id, name=name, timezone=timezone, language=language)

    async def update_settings(self, org_id: int, **values: Any) -> None:
        """Merge `values` into the organisation's settings."""
        org = await self.get(org_id)
        if org is None:
            raise ValueError(f"no organisation {org_id}")
        await self._conn.execute(
            update(organisations)
            .where(organisations.c.id == org_id)
            .values(settings={**org.settings, **values})
        )

    async def all_ids(self) -> list[int]:
        rows = (
            await self._conn.execute(select(organisations.c.id).order_by(organisations.c.id))
        ).all()
        return [int(r.id) for r in rows]

    async def get(self, org_id: int) -> Organisation | None:
        row = (
            await self._conn.execute(select(organisations).where(organisations.c.id == org_id))
        ).first()
        if row is None:
            return None
        return _org(row)

    async def chat_space(self, platform: str, chat_id: str) -> ChatSpace | None:
        row = (
            await self._conn.execute(
                select(chat_spaces).where(
                    (chat_spaces.c.platform == platform) & (chat_spaces.c.chat_id == chat_id)
                )
            )
        ).first()
        return _space(row) if row is not None else None

    async def chat_space_by_id(self, space_id: int) -> ChatSpace | None:
        row = (
            await self._conn.execute(select(chat_spaces).where(chat_spaces.c.id == space_id))
        ).first()
        return _space(row) if row is not None else None

    async def first_chat_space(self, org_id: int) -> ChatSpace | None:
        row = (
            await self._conn.execute(
                select(chat_spaces)
                .where(chat_spaces.c.org_id == org_id)
                .order_by(chat_spaces.c.id)
                .limit(1)
            )
        ).first()
        return _space(row) if row is not None else None

    async def add_chat_space(
        self,
        org_id: int,
        platform: str,
        chat_id: str,
        title: str | None,
        group_id: str | None = None,
    ) -> ChatSpace:
        result = await self._conn.execute(
            insert(chat_spaces).values(
                org_id=org_id,
                platform=platform,
                chat_id=chat_id,
                title=title,
                group_id=group_id,
                created_at=utcnow(),
            )
        )
        space_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return ChatSpace(space_id, org_id, platform, chat_id, title, group_id)

    async def lock_group(self, platform: str, group_id: str) -> None:
        """Hold the community (a Discord server) until the transaction ends, so that two of
        its new channels seen at once do not each create an organisation. SQLite needs
        nothing: its write transactions already run one at a time."""
        if self._conn.dialect.name == "postgresql":
            await self._conn.execute(
                select(
                    func.pg_advisory_xact_lock(func.hashtextextended(f"{platform}:{group_id}", 0))
                )
            )

    async def group_chat_space(self, platform: str, group_id: str) -> ChatSpace | None:
        """The first known chat of a community (a Discord server), whose organisation the
        community's other chats join."""
        row = (
            await self._conn.execute(
                select(chat_spaces)
                .where((chat_spaces.c.platform == platform) & (chat_spaces.c.group_id == group_id))
                .order_by(chat_spaces.c.id)
                .limit(1)
            )
        ).first()
        return _space(row) if row is not None else None

    async def set_chat_group(self, space_id: int, group_id: str) -> None:
        """Record the community of a chat known from before communities were recorded."""
        await self._conn.execute(
            update(chat_spaces).where(chat_spaces.c.id == space_id).values(group_id=group_id)
        )

    async def move_chat_space(self, platform: str, old_chat_id: str, new_chat_id: str) -> bool:
        """Keep an organisation's mapping when a chat changes id (Telegram supergroups)."""
        result = await self._conn.execute(
            update(chat_spaces)
            .where((chat_spaces.c.platform == platform) & (chat_spaces.c.chat_id == old_chat_id))
            .values(chat_id=new_chat_id)
        )
        return bool(result.rowcount)

    async def role(self, org_id: int, volunteer_id: int) -> Role | None:
        value = (
            await self._conn.execute(
                select(memberships.c.role).where(
                    (memberships.c.org_id == org_id) & (memberships.c.volunteer_id == volunteer_id)
                )
            )
        ).scalar_one_or_none()
        return Role(value) if value is not None else None

    async def ensure_member(self, org_id: int, volunteer_id: int) -> Role:
        """Make the volunteer a member (role volunteer) if not yet; return their role."""
        role = await self.role(org_id, volunteer_id)
        if role is not None:
            return role
        await self._conn.execute(
            insert(memberships).values(
                org_id=org_id, volunteer_id=volunteer_id, role=Role.VOLUNTEER, joined_at=utcnow()
            )
        )
        return Role.VOLUNTEER

    async def set_role(
        self, org_id: int, volunteer_id: int, role: Role, *, source: str | None = None
    ) -> None:
        """`source` "platform": the role follows the platform's (see bot.core); None: it
        was appointed in the bot (/coordinator) and stays until changed there."""
        await self.ensure_member(org_id, volunteer_id)
        await self._conn.execute(
            update(memberships)
            .where((memberships.c.org_id == org_id) & (memberships.c.volunteer_id == volunteer_id))
            .values(role=role, role_source=source)
        )

    async def role_source(self, org_id: int, volunteer_id: int) -> str | None:
        return (
            await self._conn.execute(
                select(memberships.c.role_source).where(
                    (memberships.c.org_id == org_id) & (memberships.c.volunteer_id == volunteer_id)
                )
            )
        ).scalar_one_or_none()

    async def orgs_of(
        self, volunteer_id: int, min_role: Role = Role.VOLUNTEER
    ) -> list[Organisation]:
        allowed = [r for r in Role if r.rank >= min_role.rank]
        rows = (
            await self._conn.execute(
                select(organisations)
                .join(memberships, memberships.c.org_id == organisations.c.id)
                .where(
                    (memberships.c.volunteer_id == volunteer_id) & memberships.c.role.in_(allowed)
                )
                .order_by(organisations.c.id)
            )
        ).all()
        return [_org(r) for r in rows]

    async def joined_at(self, org_id: int) -> dict[int, datetime]:
        """When each member joined the organisation, by volunteer id."""
        rows = await self._conn.execute(
            select(memberships.c.volunteer_id, memberships.c.joined_at).where(
                memberships.c.org_id == org_id
            )
        )
        return {r.volunteer_id: r.joined_at for r in rows}

    async def membership_stamp(self, org_id: int) -> tuple[int, int, int]:
        """(members, sum of their volunteer ids, sum of membership ids): changes when
        anyone joins or leaves (bot.poolcache)."""
        row = (
            await self._conn.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(memberships.c.volunteer_id), 0),
                    func.coalesce(func.sum(memberships.c.id), 0),
                ).where(memberships.c.org_id == org_id)
            )
        ).one()
        return (int(row[0]), int(row[1]), int(row[2]))

    async def member_stamp_micros(
        self, org_id: int, since: datetime
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(volunteer ids, `updated_at` in microseconds since the epoch) of the members
        stamped at or after `since`, sorted by id: `PeopleRepo.member_stamps` as arrays,
        with no Python object per row (bot.poolcache checks 100,000 stamps at every use)."""
        rows = (
            await self._conn.execute(
                select(volunteers.c.id, type_coerce(volunteers.c.updated_at, NullType()))
                .join(memberships, memberships.c.volunteer_id == volunteers.c.id)
                .where((memberships.c.org_id == org_id) & (volunteers.c.updated_at >= since))
            )
        ).all()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        micros = epoch_micros([r[1] for r in rows])
        order = np.argsort(ids, kind="stable")
        return ids[order], micros[order]

    async def member_stamp_digest(
        self, org_id: int, since: datetime
    ) -> tuple[int, int, int, int] | None:
        """`stamp_digest` of `member_stamp_micros(org_id, since)` in one aggregate query, no
        row read (None on a database whose timestamps it cannot read exactly)."""
        micros = _micros_sql(self._conn.dialect.name, volunteers.c.updated_at)
        if micros is None:
            return None
        p, q = STAMP_MODULI
        row = (
            await self._conn.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(volunteers.c.id), 0),
                    func.coalesce(func.sum(micros % p), 0),
                    func.coalesce(func.sum((micros % q) * (volunteers.c.id % _ID_WEIGHT)), 0),
                )
                .select_from(volunteers)
                .join(memberships, memberships.c.volunteer_id == volunteers.c.id)
                .where((memberships.c.org_id == org_id) & (volunteers.c.updated_at >= since))
            )
        ).one()
        return (int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    async def participation(
        self, org_id: int, at: datetime, recent_since: datetime
    ) -> dict[int, Participation]:
        """Per person, what happened before `at` on the organisation's missions, in two
        grouped queries (what `bot.engagement.engagement` counts from the full history)."""
        attended = case((signups.c.status == "attended", 1), else_=0)
        taken = (
            await self._conn.execute(
                select(
                    signups.c.volunteer_id,
                    func.max(missions.c.starts_at).label("last"),
                    func.sum(attended),
                    func.sum(case((signups.c.status == "no_show", 1), else_=0)),
                    func.sum(case((missions.c.starts_at >= recent_since, attended), else_=0)),
                )
                .join(missions, missions.c.id == signups.c.mission_id)
                .where(
                    (missions.c.org_id == org_id)
                    & (missions.c.starts_at < at)
                    & signups.c.status.in_(_TAKEN)
                )
                .group_by(signups.c.volunteer_id)
            )
        ).all()
        asked = (
            await self._conn.execute(
                select(
                    invitations.c.volunteer_id,
                    func.count(),
                    func.sum(case((invitations.c.status == "accepted", 1), else_=0)),
                    func.sum(case((invitations.c.status == "declined", 1), else_=0)),
                )
                .join(missions, missions.c.id == invitations.c.mission_id)
                .where((missions.c.org_id == org_id) & (invitations.c.sent_at < at))
                .group_by(invitations.c.volunteer_id)
            )
        ).all()
        places = {int(r[0]): (r.last, int(r[2]), int(r[3]), int(r[4])) for r in taken}
        answers = {int(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in asked}
        return {
            vid: Participation(*places.get(vid, (None, 0, 0, 0)), *answers.get(vid, (0, 0, 0)))
            for vid in places.keys() | answers.keys()
        }

    async def members(self, org_id: int, role: Role | None = None) -> list[tuple[int, Role]]:
        query = select(memberships.c.volunteer_id, memberships.c.role).where(
            memberships.c.org_id == org_id
        )
        if role is not None:
            query = query.where(memberships.c.role == role)
        rows = (await self._conn.execute(query.order_by(memberships.c.id))).all()
        return [(r.volunteer_id, Role(r.role)) for r in rows]


def stamp_digest(ids: NDArray[np.int64], micros: NDArray[np.int64]) -> tuple[int, int, int, int]:
    """(count, sum of ids, sum of stamps modulo a prime, sum of stamps modulo another prime
    times id % 1009): what `OrgRepo.member_stamp_digest` computes in the database. Any
    change of a stamp, or of who has one, changes it (barring a coincidence modulo two
    primes at once)."""
    p, q = STAMP_MODULI
    return (
        int(ids.size),
        int(ids.sum()),
        int((micros % p).sum()),
        int(((micros % q) * (ids % _ID_WEIGHT)).sum()),
    )


def _micros_sql(dialect: str, column: ColumnElement[Any]) -> ColumnElement[int] | None:
    """A UTC timestamp column as integer microseconds since the epoch, exactly."""
    if dialect == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff', UTC
        seconds = cast(func.strftime("%s", column), Integer)
        return seconds * 1_000_000 + cast(func.substr(column, 21), Integer)
    if dialect == "postgresql":  # EXTRACT gives an exact numeric (PostgreSQL 14+)
        return cast(extract("epoch", column) * 1_000_000, BigInteger)
    return None


def _org(row: Any) -> Organisation:
    return Organisation(row.id, row.name, row.timezone, row.language, dict(row.settings or {}))


def _space(row: object) -> ChatSpace:
    r: Any = row
    return ChatSpace(r.id, r.org_id, r.platform, r.chat_id, r.title, r.group_id)
