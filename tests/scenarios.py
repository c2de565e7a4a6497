"""Steps that many scenarios share: onboarding someone, posting a mission."""

from __future__ import annotations

from typing import Protocol

from adapters.memory import Person
from tests.harness import Bot


class Speaker(Protocol):
    """Someone who talks to the bot in a test: in memory, or through a fake platform."""

    async def say(self, text: str, /) -> None: ...

    async def press(self, label: str, /) -> object: ...

    def texts(self) -> str: ...


async def onboard(
    person: Speaker, skills: str = "cuisine, permis B", place: str = "Paris 75011"
) -> None:
    """Go through the whole onboarding in French, choosing Saturday afternoon."""
    await person.say("/start")
    await person.press("J'accepte")
    await person.say(skills)
    await person.press("Oui, c'est ça")
    await person.press("sam. après-midi")
    await person.press("Valider")
    await person.say(place)
    await person.press("2 par semaine")
    assert "ton profil est prêt" in person.texts(), person.texts()


async def post_mission(bot: Bot, coordinator: Person, line: str) -> int:
    """Post a mission in one line in the group and publish it; return its id."""
    bot.platform.chat_admins.add(coordinator.user.user_id)
    await coordinator.say(f"/mission {line}", in_group=True)
    await coordinator.press("Publier", bot.group_messages[-1])
    published = [m for m in bot.group_messages if "publiée" in m.text]
    assert published, [m.text for m in bot.group_messages]
    return int(published[-1].text.split("#")[1].split()[0])
