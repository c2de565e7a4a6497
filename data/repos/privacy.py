"""Personal data rights: everything stored about one person, and its erasure.

Erasure keeps the volunteer row as an anonymous tombstone (the same id, every
personal field emptied) so that sign-ups, attendance, ratings and invitations
still count in the statistics, while nothing links them to a person any more:
identities, skills, availability, consents, memberships, dialogs, messages
addressed to them, their comments and the details of their logged actions go.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from data.repos._util import utcnow
from data.schema import (
    availability,
    consents,
    conversations,
    identities,
    interactions,
    invitations,
    memberships,
    missions,
    outbox,
    signups,
    tasks,
    volunteer_claims,
    volunteer_skills,
    volunteers,
)

__all__ = ["ERASED_NAME", "PrivacyRepo"]

ERASED_NAME = "—"  # the display name of an erased person's tombstone


def _plain(value: Any) -> Any:
    """A database value as JSON can hold it."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


class PrivacyRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _rows(self, table: Table, *where: Any) -> list[dict[str, Any]]:
        rows = (
            await self._conn.execute(select(table).where(*where).order_by(*table.primary_key))
        ).all()
        return [{k: _plain(v) for k, v in r._mapping.items()} for r in rows]

    async def everything_about(self, volunteer_id: int) -> dict[str, Any]:
        """Every row that concerns the person, table by table (for /mydata)."""
        ids = await self._rows(identities, identities.c.volunteer_id == volunteer_id)
        who = [(i["platform"], i["platform_user_id"]) for i in ids]
        by_identity = [
            (conversations.c.platform == p) & (conversations.c.platform_user_id == u)
            for p, u in who
        ]
        titles = select(missions.c.id, missions.c.title, missions.c.starts_at)
        signup_rows = await self._rows(signups, signups.c.volunteer_id == volunteer_id)
        mission_ids = {s["mission_id"] for s in signup_rows}
        mission_rows = (
            await self._conn.execute(titles.where(missions.c.id.in_(mission_ids)))
        ).all()
        return {
            "volunteer": (await self._rows(volunteers, volunteers.c.id == volunteer_id)),
            "identities": ids,
            "skills": await self._rows(
                volunteer_skills, volunteer_skills.c.volunteer_id == volunteer_id
            ),
            "availability": await self._rows(
                availability, availability.c.volunteer_id == volunteer_id
            ),
            "consents": await self._rows(consents, consents.c.volunteer_id == volunteer_id),
            "memberships": await self._rows(
                memberships, memberships.c.volunteer_id == volunteer_id
            ),
            "signups": signup_rows,
            "missions": [
                {"id": r.id, "title": r.title, "starts_at": _plain(r.starts_at)}
                for r in mission_rows
            ],
            "invitations": await self._rows(
                invitations, invitations.c.volunteer_id == volunteer_id
            ),
            "conversations": await self._rows(conversations, or_(*by_identity))
            if by_identity
            else [],
            "interactions": await self._rows(
                interactions, interactions.c.volunteer_id == volunteer_id
            ),
            "imported_profiles": await self._rows(
                volunteer_claims, volunteer_claims.c.volunteer_id == volunteer_id
            ),
        }

    async def erase(self, volunteer_id: int) -> None:
        """Erase the person's personal data everywhere, keeping anonymous aggregates."""
        person = (
            await self._conn.execute(
                select(volunteers.c.display_name).where(volunteers.c.id == volunteer_id)
            )
        ).first()
        ids = await self._rows(identities, identities.c.volunteer_id == volunteer_id)
        needles = {str(person.display_name)} if person is not None else set()
        for i in ids:
            needles |= {str(i["platform_user_id"]), str(i["display_name"])}
        needles = {n.casefold() for n in needles if len(n) >= 3}
        for i in ids:
            await self._conn.execute(
                delete(conversations).where(
                    (conversations.c.platform == i["platform"])
                    & (conversations.c.platform_user_id == i["platform_user_id"])
                )
            )
        erased = (identities, volunteer_skills, availability, consents, memberships, tasks)
        for table in (*erased, volunteer_claims):
            await self._conn.execute(delete(table).where(table.c.volunteer_id == volunteer_id))
        await self._conn.execute(
            update(signups).where(signups.c.volunteer_id == volunteer_id).values(comment=None)
        )
        await self._conn.execute(
            update(interactions)
            .where(interactions.c.volunteer_id == volunteer_id)
            .values(detail={})
        )
        for i in ids:  # messages to them, sent or still to send
            addressed = await self._addressed_to(i["platform"], i["platform_user_id"])
            if addressed:
                await self._conn.execute(delete(outbox).where(outbox.c.id.in_(addressed)))
        await self._scrub(interactions, interactions.c.detail, needles, delete_rows=False)
        await self._scrub(outbox, outbox.c.payload, needles, delete_rows=True)
        await self._conn.execute(
            update(volunteers)
            .where(volunteers.c.id == volunteer_id)
            .values(
                display_name=ERASED_NAME,
                timezone=None,
                location_text=None,
                postcode=None,
                latitude=None,
                longitude=None,
                max_invitations_per_week=None,
                paused_until=None,
                onboarded_at=None,
                fewer_messages=False,
                updated_at=utcnow(),
            )
        )

    async def _addressed_to(self, platform: str, user_id: str) -> list[int]:
        """Outbox rows whose recipient is this platform account."""
        rows = (
            await self._conn.execute(
                select(outbox.c.id, outbox.c.payload).where(outbox.c.platform == platform)
            )
        ).all()
        return [
            r.id
            for r in rows
            if isinstance(r.payload, dict) and r.payload.get("user_id") == user_id
        ]

    async def _scrub(
        self, table: Table, column: Any, needles: set[str], *, delete_rows: bool
    ) -> None:
        """Rows whose JSON names the person (whole words: "Marc", not "Marché" nor
        "Marcel"): deleted (messages about them, which may quote what they wrote), or kept
        with the name replaced by the erased tombstone (the log).

        A linear scan, acceptable for an erasure (rare) and the only way that works the
        same on SQLite and PostgreSQL whatever the JSON escaping.
        """
        if not needles:
            return
        pattern = re.compile(
            "|".join(
                rf"(?<!\w){re.escape(n)}(?!\w)" for n in sorted(needles, key=len, reverse=True)
            ),
            re.IGNORECASE,
        )
        rows = (await self._conn.execute(select(table.c.id, column))).all()
        for row_id, value in rows:
            if not pattern.search(json.dumps(value, ensure_ascii=False)):
                continue
            if delete_rows:
                await self._conn.execute(delete(table).where(table.c.id == row_id))
                continue
            await self._conn.execute(
                update(table)
                .where(table.c.id == row_id)
                .values({column.name: _redact(value, pattern)})
            )


def _redact(value: Any, pattern: re.Pattern[str]) -> Any:
    """The JSON value with every match of `pattern` in its strings replaced."""
    if isinstance(value, str):
        return pattern.sub(ERASED_NAME, value)
    if isinstance(value, list):
        return [_redact(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _redact(v, pattern) for k, v in value.items()}
    return value
