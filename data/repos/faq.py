"""Answers to frequent questions, per organisation, and the questions forwarded to coordinators.

A forwarded question is kept as a durable task of kind `QUESTION_TASK` (see bot.scheduler)
held by the person who asked: due at the end of its retention period, when its text is
forgotten, and deleted with the rest of the person's tasks when they ask to be forgotten.
Its id is what the coordinators' buttons carry, never its text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from data.repos._util import utcnow
from data.schema import faq_entries, tasks

__all__ = ["QUESTION_TASK", "FaqEntry", "FaqRepo", "ForwardedQuestion"]

QUESTION_TASK = "faq_question"


@dataclass(frozen=True, slots=True)
class FaqEntry:
    id: int
    org_id: int
    question: str
    answer: str
    created_by: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ForwardedQuestion:
    id: int
    org_id: int
    asker_id: int
    data: dict[str, Any]  # "question", "answers" by coordinator id, "faq_entry_id", "chat"


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

    async def entry(self, org_id: int, entry_id: int) -> FaqEntry | None:
        r = (
            await self._conn.execute(
                select(faq_entries).where(
                    (faq_entries.c.org_id == org_id) & (faq_entries.c.id == entry_id)
                )
            )
        ).first()
        if r is None:
            return None
        return FaqEntry(r.id, r.org_id, r.question, r.answer, r.created_by, r.created_at)

    # --- forwarded questions ------------------------------------------------

    async def keep_question(
        self,
        key: str,
        org_id: int,
        asker_id: int,
        data: dict[str, Any],
        *,
        forget_at: datetime,
        now: datetime,
    ) -> int:
        """Keep a forwarded question until `forget_at`; its id (the same for the same key)."""
        found = (await self._conn.execute(select(tasks.c.id).where(tasks.c.key == key))).first()
        if found is not None:
            return int(found.id)
        result = await self._conn.execute(
            insert(tasks).values(
                kind=QUESTION_TASK,
                key=key,
                due_at=forget_at,
                org_id=org_id,
                volunteer_id=asker_id,
                payload=data,
                status="pending",
                created_at=now,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def question(self, question_id: int) -> ForwardedQuestion | None:
        """The forwarded question, locked for this transaction; None once forgotten."""
        row = (
            await self._conn.execute(
                select(tasks)
                .where(
                    (tasks.c.id == question_id)
                    & (tasks.c.kind == QUESTION_TASK)
                    & (tasks.c.status == "pending")
                )
                .with_for_update()
            )
        ).first()
        if row is None or row.volunteer_id is None or "question" not in row.payload:
            return None
        return ForwardedQuestion(row.id, row.org_id, row.volunteer_id, dict(row.payload))

    async def update_question(self, question_id: int, data: dict[str, Any]) -> None:
        await self._conn.execute(
            update(tasks).where(tasks.c.id == question_id).values(payload=data)
        )

    async def drop_question(self, question_id: int) -> None:
        await self._conn.execute(
            delete(tasks).where((tasks.c.id == question_id) & (tasks.c.kind == QUESTION_TASK))
        )
