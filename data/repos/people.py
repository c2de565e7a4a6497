"""Volunteers, their platform identities, skills, availability and consents."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from data.records import Identity, Volunteer, VolunteerSkill
from data.repos._util import utcnow
from data.schema import (
    availability,
    consents,
    identities,
    memberships,
    volunteer_skills,
    volunteers,
)

__all__ = ["PeopleRepo"]

_VOLUNTEER_FIELDS = frozenset(
    {
        "display_name",
        "language",
        "timezone",
        "location_text",
        "postcode",
        "latitude",
        "longitude",
        "max_invitations_per_week",
        "paused_until",
        "onboarded_at",
        "fewer_messages",
    }
)


class PeopleRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def identity(self, platform: str, platform_user_id: str) -> Identity | None:
        row = (
            await self._conn.execute(
                select(identities).where(
                    (identities.c.platform == platform)
                    & (identities.c.platform_user_id == platform_user_id)
                )
            )
        ).first()
        return _identity(row) if row is not None else None

    async def identities_of(self, volunteer_id: int) -> list[Identity]:
        rows = (
            await self._conn.execute(
                select(identities)
                .where(identities.c.volunteer_id == volunteer_id)
                .order_by(identities.c.last_seen_at.desc())
            )
        ).all()
        return [_identity(r) for r in rows]

    async def create_with_identity(
        self, platform: str, platform_user_id: str, display_name: str, language: str
    ) -> tuple[Volunteer, Identity]:
        now = utcnow()
        result = await self._conn.execute(
            insert(volunteers).values(
                display_name=display_name, language=language, created_at=now, updated_at=now
            )
        )
        volunteer_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        result = await self._conn.execute(
            insert(identities).values(
                volunteer_id=volunteer_id,
                platform=platform,
                platform_user_id=platform_user_id,
                display_name=display_name,
                reachable=True,
                last_seen_at=now,
            )
        )
        identity_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        volunteer = await self.get(volunteer_id)
        assert volunteer is not None
        identity = Identity(
            identity_id, volunteer_id, platform, platform_user_id, display_name, True
        )
        return volunteer, identity

    async def touch_identity(
        self, identity_id: int, display_name: str, at: datetime | None = None
    ) -> None:
        """The person wrote or tapped at `at` (the bot's clock): seen, and reachable again."""
        await self._conn.execute(
            update(identities)
            .where(identities.c.id == identity_id)
            .values(display_name=display_name, last_seen_at=at or utcnow(), reachable=True)
        )

    async def mark_unreachable(self, platform: str, platform_user_id: str) -> None:
        await self._conn.execute(
            update(volunteers)
            .where(
                volunteers.c.id.in_(
                    select(identities.c.volunteer_id).where(
                        (identities.c.platform == platform)
                        & (identities.c.platform_user_id == platform_user_id)
                    )
                )
            )
            .values(updated_at=utcnow())
        )
        await self._conn.execute(
            update(identities)
            .where(
                (identities.c.platform == platform)
                & (identities.c.platform_user_id == platform_user_id)
            )
            .values(reachable=False)
        )

    async def get(self, volunteer_id: int) -> Volunteer | None:
        row = (
            await self._conn.execute(select(volunteers).where(volunteers.c.id == volunteer_id))
        ).first()
        return _volunteer(row) if row is not None else None

    async def many(self, volunteer_ids: Iterable[int]) -> dict[int, Volunteer]:
        ids = list(volunteer_ids)
        if not ids:
            return {}
        rows = (await self._conn.execute(select(volunteers).where(volunteers.c.id.in_(ids)))).all()
        return {r.id: _volunteer(r) for r in rows}

    async def update(self, volunteer_id: int, **values: Any) -> None:
        unknown = set(values) - _VOLUNTEER_FIELDS
        if unknown:
            raise ValueError(f"unknown volunteer fields: {sorted(unknown)}")
        await self._conn.execute(
            update(volunteers)
            .where(volunteers.c.id == volunteer_id)
            .values(**values, updated_at=utcnow())
        )

    async def _touch(self, volunteer_id: int) -> None:
        """Bump `updated_at`: every change a ranking can see moves it (bot.poolcache)."""
        await self._conn.execute(
            update(volunteers).where(volunteers.c.id == volunteer_id).values(updated_at=utcnow())
        )

    async def member_stamps(
        self, org_id: int, since: datetime | None = None
    ) -> dict[int, datetime]:
        """`updated_at` of the organisation's members (those at or after `since`, if given)."""
        query = (
            select(volunteers.c.id, volunteers.c.updated_at)
            .join(memberships, memberships.c.volunteer_id == volunteers.c.id)
            .where(memberships.c.org_id == org_id)
        )
        if since is not None:
            query = query.where(volunteers.c.updated_at >= since)
        return {r.id: r.updated_at for r in (await self._conn.execute(query)).all()}

    async def skills(self, volunteer_id: int) -> list[VolunteerSkill]:
        rows = (
            await self._conn.execute(
                select(volunteer_skills)
                .where(volunteer_skills.c.volunteer_id == volunteer_id)
                .order_by(volunteer_skills.c.id)
            )
        ).all()
        return [VolunteerSkill(r.skill_id, r.raw_text, r.confidence) for r in rows]

    async def skills_of(self, volunteer_ids: Iterable[int]) -> dict[int, list[VolunteerSkill]]:
        """Skills of many volunteers in one query."""
        ids = list(volunteer_ids)
        if not ids:
            return {}
        rows = (
            await self._conn.execute(
                select(volunteer_skills)
                .where(volunteer_skills.c.volunteer_id.in_(ids))
                .order_by(volunteer_skills.c.id)
            )
        ).all()
        out: dict[int, list[VolunteerSkill]] = {}
        for r in rows:
            out.setdefault(r.volunteer_id, []).append(
                VolunteerSkill(r.skill_id, r.raw_text, r.confidence)
            )
        return out

    async def availability_of(
        self, volunteer_ids: Iterable[int]
    ) -> dict[int, set[tuple[int, str]]]:
        """Availability of many volunteers in one query."""
        ids = list(volunteer_ids)
        if not ids:
            return {}
        rows = (
            await self._conn.execute(
                select(
                    availability.c.volunteer_id, availability.c.weekday, availability.c.part
                ).where(availability.c.volunteer_id.in_(ids))
            )
        ).all()
        out: dict[int, set[tuple[int, str]]] = {}
        for r in rows:
            out.setdefault(r.volunteer_id, set()).add((r.weekday, r.part))
        return out

    async def replace_skills(self, volunteer_id: int, skills: Iterable[VolunteerSkill]) -> None:
        await self._touch(volunteer_id)
        await self._conn.execute(
            delete(volunteer_skills).where(volunteer_skills.c.volunteer_id == volunteer_id)
        )
        rows = [
            {
                "volunteer_id": volunteer_id,
                "skill_id": s.skill_id,
                "raw_text": s.raw_text[:200],
                "confidence": s.confidence,
            }
            for s in skills
        ]
        if rows:
            await self._conn.execute(insert(volunteer_skills), rows)

    async def availability(self, volunteer_id: int) -> set[tuple[int, str]]:
        rows = (
            await self._conn.execute(
                select(availability.c.weekday, availability.c.part).where(
                    availability.c.volunteer_id == volunteer_id
                )
            )
        ).all()
        return {(r.weekday, r.part) for r in rows}

    async def replace_availability(
        self, volunteer_id: int, slots: Iterable[tuple[int, str]]
    ) -> None:
        await self._touch(volunteer_id)
        await self._conn.execute(
            delete(availability).where(availability.c.volunteer_id == volunteer_id)
        )
        rows = [
            {"volunteer_id": volunteer_id, "weekday": d, "part": p} for d, p in sorted(set(slots))
        ]
        if rows:
            await self._conn.execute(insert(availability), rows)

    async def record_consent(self, volunteer_id: int, purpose: str, version: str) -> None:
        await self._conn.execute(
            insert(consents).values(
                volunteer_id=volunteer_id, purpose=purpose, version=version, given_at=utcnow()
            )
        )

    async def consent(self, volunteer_id: int, purpose: str) -> tuple[str, datetime] | None:
        row = (
            await self._conn.execute(
                select(consents.c.version, consents.c.given_at)
                .where(
                    (consents.c.volunteer_id == volunteer_id)
                    & (consents.c.purpose == purpose)
                    & consents.c.withdrawn_at.is_(None)
                )
                .order_by(consents.c.id.desc())
                .limit(1)
            )
        ).first()
        return (row.version, row.given_at) if row is not None else None


def _identity(row: Any) -> Identity:
    return Identity(
        row.id,
        row.volunteer_id,
        row.platform,
        row.platform_user_id,
        row.display_name,
        row.reachable,
    )


def _volunteer(row: Any) -> Volunteer:
    return Volunteer(
        id=row.id,
        display_name=row.display_name,
        language=row.language,
        timezone=row.timezone,
        location_text=row.location_text,
        postcode=row.postcode,
        max_invitations_per_week=row.max_invitations_per_week,
        paused_until=row.paused_until,
        onboarded_at=row.onboarded_at,
        fewer_messages=bool(row.fewer_messages),
        latitude=row.latitude,
        longitude=row.longitude,
    )
