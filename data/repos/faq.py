"""Answers to frequent questions, per organisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from data.repos._util import utcnow
from data.schema import faq_entries

__all__ = ["FaqEntry", "FaqRepo"]


@dataclass(frozen=True, slots=True)
class FaqEntry:
    id: int
    org_id: int
    question: str
    answer: str
    created_by: int | None
    created_at: datetime


class FaqRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, org_id: int, question: str, answer: str, created_by: int | None) -> int:
        result = await self._conn.execute(
            insert(faq_entries).values(
                org_id=org_id,
                question=question,
                answer=answer,
                created_by=created_by,
                created_at=utcnow(),
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def entries(self, org_ids: list[int]) -> list[FaqEntry]:
        """The entries of these organisations, oldest first."""
        if not org_ids:
            return []
        rows = (
            await self._conn.execute(
                select(faq_entries)
                .where(faq_entries.c.org_id.in_(org_ids))
                .order_by(faq_entries.c.org_id, faq_entries.c.id)
            )
        ).all()
        return [
            FaqEntry(r.id, r.org_id, r.question, r.answer, r.created_by, r.created_at) for r in rows
        ]

    async def remove(self, org_id: int, entry_id: int) -> bool:
        result = await self._conn.execute(
            delete(faq_entries).where(
                (faq_entries.c.org_id == org_id) & (faq_entries.c.id == entry_id)
            )
        )
        return bool(result.rowcount)
