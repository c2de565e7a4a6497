"""A community with several chats (a Discord server and its channels) is one association,
however its channels first reach the bot: one by one, or several in the same instant on
PostgreSQL with concurrent transactions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.events import ChatKind, ChatRef, Command, UserRef
from data.schema import chat_spaces, organisations
from tests.harness import Bot
from tests.timeline import bot_at


@pytest.fixture
async def bot(any_url: str) -> AsyncIterator[Bot]:
    async with bot_at(any_url, datetime(2026, 11, 29, 9, 0, tzinfo=UTC)) as harness:
        yield harness


def channel(n: int, server: str = "g-1") -> ChatRef:
    return ChatRef("discord", f"c-{n}", ChatKind.GROUP, "Banque alimentaire", group_id=server)


async def spaces(bot: Bot) -> dict[str, int]:
    async with bot.store.connection() as conn:
        rows = await conn.execute(select(chat_spaces.c.chat_id, chat_spaces.c.org_id))
        return {chat_id: org_id for chat_id, org_id in rows}


async def test_channels_seen_at_once_share_one_organisation(bot: Bot) -> None:
    members = [UserRef("discord", f"u-{n}", f"Membre {n}", "fr") for n in range(6)]
    await asyncio.gather(
        *(bot.core.handle(Command(m, channel(n), "help")) for n, m in enumerate(members))
    )
    await bot.core.handle(Command(members[0], channel(1, server="g-2"), "help"))
    found = await spaces(bot)
    assert len(found) == 6, "c-1 was already known: naming another server does not move it"
    assert len({found[f"c-{n}"] for n in range(6)}) == 1
    async with bot.store.connection() as conn:
        assert len((await conn.execute(select(organisations.c.id))).all()) == 1
