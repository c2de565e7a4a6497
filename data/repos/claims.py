"""Imported profiles and the one-time codes their people claim them with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from data.records import VolunteerClaim
from data.repos._util import utcnow
from data.schema import interactions, volunteer_claims, volunteers

__all__ = ["ClaimRepo"]


class ClaimRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def create_profile(self, display_name: str, language: str) -> int:
        """A volunteer with no chat identity yet (and no consent, not onboarded)."""
        now = utcnow()
        result = await self._conn.execute(
            insert(volunteers).values(
                display_name=display_name, language=language, created_at=now, updated_at=now
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def by_person(self, org_id: int, person_key: str) -> VolunteerClaim | None:
        row = (
            await self._conn.execute(
                select(volunteer_claims).where(
                    (volunteer_claims.c.org_id == org_id)
                    & (volunteer_claims.c.person_key == person_key)
                )
            )
        ).first()
        return _claim(row) if row is not None else None

    async def by_code(self, code_hash: str) -> VolunteerClaim | None:
        row = (
            await self._conn.execute(
                select(volunteer_claims).where(volunteer_claims.c.code_hash == code_hash)
            )
        ).first()
        return _claim(row) if row is not None else None

    async def get(self, claim_id: int) -> VolunteerClaim | None:
        row = (
            await self._conn.execute(
                select(volunteer_claims).where(volunteer_claims.c.id == claim_id)
            )
        ).first()
        return _claim(row) if row is not None else None

    async def create(
        self,
        org_id: int,
        volunteer_id: int,
        person_key: str,
        code_hash: str,
        expires_at: datetime,
        imported_by: int | None,
    ) -> int:
        result = await self._conn.execute(
            insert(volunteer_claims).values(
                org_id=org_id,
                volunteer_id=volunteer_id,
                person_key=person_key,
                code_hash=code_hash,
                imported_by=imported_by,
                created_at=utcnow(),
                expires_at=expires_at,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def renew(self, claim_id: int, code_hash: str, expires_at: datetime) -> None:
        """A new code for a profile not claimed yet; the previous code stops working."""
        await self._conn.execute(
            update(volunteer_claims)
            .where((volunteer_claims.c.id == claim_id) & volunteer_claims.c.claimed_at.is_(None))
            .values(code_hash=code_hash, expires_at=expires_at)
        )

    async def attach(self, claim_id: int, volunteer_id: int, at: datetime) -> bool:
        """Mark the claim used by `volunteer_id`; False if it was used meanwhile."""
        result = await self._conn.execute(
            update(volunteer_claims)
            .where((volunteer_claims.c.id == claim_id) & volunteer_claims.c.claimed_at.is_(None))
            .values(volunteer_id=volunteer_id, claimed_at=at)
        )
        return bool(result.rowcount)

    async def expired_unclaimed(self, now: datetime, limit: int) -> list[VolunteerClaim]:
        """Imported profiles whose code expired before anyone claimed them, oldest first."""
        rows = (
            await self._conn.execute(
                select(volunteer_claims)
                .where(
                    volunteer_claims.c.claimed_at.is_(None) & (volunteer_claims.c.expires_at < now)
                )
                .order_by(volunteer_claims.c.expires_at)
                .limit(limit)
            )
        ).all()
        return [_claim(r) for r in rows]

    async def delete_profile(self, volunteer_id: int) -> None:
        """Delete an imported profile that nobody claimed (its claim and rows go with it)."""
        await self._conn.execute(delete(volunteers).where(volunteers.c.id == volunteer_id))

    async def refused(self, org_id: int) -> set[str]:
        """The people (by person key) who refused the profile this association imported:
        a later import of the same file leaves them out."""
        rows = await self._conn.execute(
            select(interactions.c.detail).where(
                (interactions.c.kind == "claim_refused") & (interactions.c.org_id == org_id)
            )
        )
        return {str(d["person"]) for (d,) in rows if isinstance(d, dict) and d.get("person")}

    async def recent_failures(self, volunteer_id: int, since: datetime) -> int:
        """Wrong codes this person typed since `since` (logged as "claim_failed")."""
        query = (
            select(func.count())
            .select_from(interactions)
            .where(
                (interactions.c.kind == "claim_failed")
                & (interactions.c.volunteer_id == volunteer_id)
                & (interactions.c.at >= since)
            )
        )
        return int((await self._conn.execute(query)).scalar_one())


def _claim(row: Any) -> VolunteerClaim:
    return VolunteerClaim(
        row.id, row.org_id, row.volunteer_id, row.expires_at, row.claimed_at, row.person_key
    )
