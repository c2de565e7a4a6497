"""Steps for scenarios on a fake clock: let time pass, onboard people with chosen free time,
post repeating missions, and look at what the database holds."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from adapters.memory import Person
from data.schema import mission_series, missions, tasks
from tests.harness import Bot, Clock, make_bot


@asynccontextmanager
async def bot_at(url: str, moment: datetime) -> AsyncIterator[Bot]:
    """The bot with its clock at `moment` (for daylight-saving dates)."""
    harness = await make_bot(url, clock=Clock(moment))
    try:
        yield harness
    finally:
        await harness.store.close()


async def run(bot: Bot, **delta: float) -> None:
    """Move the clock and let the bot do what became due."""
    bot.clock.advance(**delta)
    await bot.core.tasks.run_due()
    await bot.core.delivery.flush()


async def onboard_free(
    person: Person, skills: str, free: str = "sam. après-midi", place: str = "Paris 75011"
) -> None:
    """Onboard in French, free at the one grid cell `free` ("lun. matin")."""
    await person.say("/start")
    await person.press("J'accepte")
    await person.say(skills)
    await person.press("Oui, c'est ça")
    await person.press(free)
    await person.press("Valider")
    await person.say(place)
    await person.press("2 par semaine")
    assert "ton profil est prêt" in person.texts(), person.texts()


async def member(
    bot: Bot, user_id: str, name: str, skills: str = "manutention", free: str = "sam. après-midi"
) -> Person:
    person = bot.person(user_id, name)
    await person.join_group()
    await onboard_free(person, skills, free)
    return person


async def post_series(bot: Bot, coordinator: Person, line: str) -> list[int]:
    """Post a repeating mission in one line in the group; return its first occurrences' ids."""
    bot.platform.chat_admins.add(coordinator.user.user_id)
    await coordinator.say(f"/mission {line}", in_group=True)
    await coordinator.press("Publier", bot.group_messages[-1])
    published = [m.text for m in bot.group_messages if "Mission régulière" in m.text]
    assert published and "publiée" in published[-1], [m.text for m in bot.group_messages[-3:]]
    return [int(n) for n in re.findall(r"#(\d+)", published[-1])]


async def occurrences(bot: Bot) -> list[dict[str, Any]]:
    """Every mission of a series, by date: id, series, date, status, start (UTC), place, title."""
    async with bot.store.connection() as conn:
        rows = (
            await conn.execute(
                select(
                    missions.c.id,
                    missions.c.series_id,
                    missions.c.occurrence_date,
                    missions.c.status,
                    missions.c.starts_at,
                    missions.c.ends_at,
                    missions.c.place,
                    missions.c.title,
                )
                .where(missions.c.series_id.is_not(None))
                .order_by(missions.c.occurrence_date, missions.c.id)
            )
        ).all()
    return [dict(r._mapping) for r in rows]


async def series_rows(bot: Bot) -> list[dict[str, Any]]:
    async with bot.store.connection() as conn:
        rows = (await conn.execute(select(mission_series).order_by(mission_series.c.id))).all()
    return [dict(r._mapping) for r in rows]


async def task_keys(bot: Bot, kind: str | None = None) -> dict[str, str]:
    query = select(tasks.c.key, tasks.c.status)
    if kind is not None:
        query = query.where(tasks.c.kind == kind)
    async with bot.store.connection() as conn:
        return {r.key: r.status for r in (await conn.execute(query)).all()}


def dates(rows: list[dict[str, Any]], status: str = "open") -> list[date]:
    return [r["occurrence_date"] for r in rows if r["status"] == status]
