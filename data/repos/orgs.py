"""Organisations, the chat spaces that belong to them, and memberships with roles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from data.records import ChatSpace, Organisation, Role
from data.repos._util import utcnow
from data.schema import chat_spaces, memberships, organisations

__all__ = ["OrgRepo"]


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
        self, org_id: int, platform: str, chat_id: str, title: str | None
    ) -> ChatSpace:
        result = await self._conn.execute(
            insert(chat_spaces).values(
                org_id=org_id, platform=platform, chat_id=chat_id, title=title, created_at=utcnow()
            )
        )
        space_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return ChatSpace(space_id, org_id, platform, chat_id, title)

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

    async def set_role(self, org_id: int, volunteer_id: int, role: Role) -> None:
        await self.ensure_member(org_id, volunteer_id)
        await self._conn.execute(
            update(memberships)
            .where((memberships.c.org_id == org_id) & (memberships.c.volunteer_id == volunteer_id))
            .values(role=role)
        )

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

    async def members(self, org_id: int, role: Role | None = None) -> list[tuple[int, Role]]:
        query = select(memberships.c.volunteer_id, memberships.c.role).where(
            memberships.c.org_id == org_id
        )
        if role is not None:
            query = query.where(memberships.c.role == role)
        rows = (await self._conn.execute(query.order_by(memberships.c.id))).all()
        return [(r.volunteer_id, Role(r.role)) for r in rows]


def _org(row: Any) -> Organisation:
    return Organisation(row.id, row.name, row.timezone, row.language, dict(row.settings or {}))


def _space(row: object) -> ChatSpace:
    return ChatSpace(row.id, row.org_id, row.platform, row.chat_id, row.title)  # type: ignore[attr-defined]
