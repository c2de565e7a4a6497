"""Mission choices for the slash command options that take a mission id (`/match 12`).

A read of the open missions of the channel's association: what `/missions` lists,
as "#12 Tri alimentaire" choices, filtered by what the person has typed so far.
"""

from __future__ import annotations

from typing import Any

from discord.app_commands import Choice

from adapters.discord.outlet import PLATFORM
from bot.services import Services

__all__ = ["CHOICES_LIMIT", "mission_choices", "typed_value"]

CHOICES_LIMIT = 25
_NAME_LIMIT = 100


def typed_value(data: dict[str, Any]) -> str:
    """What the person has typed in the focused option."""
    for option in data.get("options", []) or []:
        if option.get("focused"):
            return str(option.get("value", ""))
    return ""


async def mission_choices(
    services: Services, channel_id: int | None, typed: str
) -> list[Choice[int]]:
    """Open missions of the association of `channel_id` whose id or title contain `typed`."""
    if channel_id is None:
        return []
    needle = typed.strip().lstrip("#").casefold()
    async with services.store.transaction() as tx:
        space = await tx.orgs.chat_space(PLATFORM, str(channel_id))
        if space is None:
            return []
        missions = await tx.missions.open_missions(space.org_id, services.clock())
    choices = []
    for mission in missions:
        name = f"#{mission.id} {mission.title}"
        if needle in name.casefold():
            choices.append(Choice(name=name[:_NAME_LIMIT], value=mission.id))
    return choices[:CHOICES_LIMIT]
