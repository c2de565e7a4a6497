"""Stored dialog state, so that a restart never loses a half-filled form."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from data.records import ConversationState
from data.repos._util import utcnow
from data.schema import conversations

__all__ = ["ConversationRepo"]


class ConversationRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    def _where(self, platform: str, user_id: str, chat_id: str) -> Any:
        c = conversations.c
        return (c.platform == platform) & (c.platform_user_id == user_id) & (c.chat_id == chat_id)

    async def get(self, platform: str, user_id: str, chat_id: str) -> ConversationState | None:
        row = (
            await self._conn.execute(
                select(conversations.c.flow, conversations.c.step, conversations.c.data).where(
                    self._where(platform, user_id, chat_id)
                )
            )
        ).first()
        if row is None:
            return None
        return ConversationState(flow=row.flow, step=row.step, data=dict(row.data))

    async def save(
        self, platform: str, user_id: str, chat_id: str, state: ConversationState
    ) -> None:
        values = {
            "flow": state.flow,
            "step": state.step,
            "data": state.data,
            "updated_at": utcnow(),
        }
        result = await self._conn.execute(
            update(conversations).where(self._where(platform, user_id, chat_id)).values(**values)
        )
        if result.rowcount == 0:
            await self._conn.execute(
                insert(conversations).values(
                    platform=platform, platform_user_id=user_id, chat_id=chat_id, **values
                )
            )

    async def clear(self, platform: str, user_id: str, chat_id: str) -> bool:
        result = await self._conn.execute(
            delete(conversations).where(self._where(platform, user_id, chat_id))
        )
        return bool(result.rowcount)
