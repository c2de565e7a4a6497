"""/pause and /resume through the real core: no invitations or nudges while paused, the
reminders of missions already promised still come, and the profile shows the pause."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from adapters.memory import Person
from bot.events import Button
from data.schema import volunteers
from tests.harness import Bot
from tests.scenarios import post_mission
from tests.timeline import member, run

SORTING = "Tri alimentaire | samedi 14h-17h | Entrepôt | 2 | manutention"  # Sat 5 Dec


async def paused_until(bot: Bot) -> list[object]:
    async with bot.store.connection() as conn:
        rows = await conn.execute(select(volunteers.c.paused_until).order_by(volunteers.c.id))
        return [r[0] for r in rows.all()]


async def test_pause_with_buttons_shows_in_the_profile_and_ends_by_itself(bot: Bot) -> None:
    alice = await member(bot, "alice", "Alice")
    await alice.say("/pause")
    assert "Une pause de combien de temps" in alice.last
    assert alice.inbox[-1].labels == [
        "1 semaine",
        "2 semaines",
        "1 mois",
        "Jusqu'à ce que je reprenne",
    ]
    await alice.press("1 semaine")
    assert "bonne pause" in alice.last and "jusqu'au dimanche 6 décembre" in alice.last
    await alice.say("/profile")
    assert "⏸️ En pause jusqu'au dimanche 6 décembre" in alice.last
    await run(bot, days=7, hours=1)
    await alice.say("/profile")
    assert "En pause" not in alice.last


@pytest.mark.parametrize(
    ("args", "until"),
    [
        ("10", "mercredi 9 décembre"),
        ("10 jours", "mercredi 9 décembre"),
        ("2 semaines", "dimanche 13 décembre"),
        ("3 weeks", "dimanche 20 décembre"),
        ("un mois", "mardi 29 décembre"),
    ],
)
async def test_pause_for_a_typed_length(bot: Bot, args: str, until: str) -> None:
    alice = await member(bot, "alice", "Alice")
    await alice.say(f"/pause {args}")
    assert f"jusqu'au {until}" in alice.last


async def test_pause_until_resume_and_resume(bot: Bot) -> None:
    alice = await member(bot, "alice", "Alice")
    await alice.say("/pause")
    await alice.press("Jusqu'à ce que je reprenne")
    assert "jusqu'à ce que tu tapes /resume" in alice.last
    await alice.say("/profile")
    assert "⏸️ En pause (jusqu'à /resume)" in alice.last
    await run(bot, days=400)
    await alice.say("/profile")
    assert "En pause" in alice.last, "still paused a year later"
    await alice.say("/resume")
    assert "Te revoilà" in alice.last
    await alice.say("/profile")
    assert "En pause" not in alice.last
    await alice.say("/reprendre")
    assert "Tu n'es pas en pause" in alice.last


async def test_paused_people_get_no_invitation_but_their_reminders(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    alice = await member(bot, "alice", "Alice")
    bob = await member(bot, "bob", "Bob")
    first = await post_mission(bot, coord, SORTING)
    await alice.press("Je participe", bot.card(first))
    await alice.say("/pause 2 semaines")
    await bob.say("/pause 2 semaines")
    second = await post_mission(bot, coord, "Tri | dimanche 6 décembre 14h-17h | Entrepôt | 2")
    await coord.say(f"/invite {second}")
    assert "Plus personne de disponible" in coord.last
    assert "Une mission pourrait te plaire" not in alice.texts() + bob.texts()
    await run(bot, days=5, hours=4)  # Friday 14:00: 24 h before the mission she signed up to
    assert "Rappel" in alice.last and "Tri alimentaire" in alice.last
    await bob.say("/resume")
    await coord.say(f"/invite {second}")
    assert "Une mission pourrait te plaire" in bob.last


async def _refused(bot: Bot, person: Person, command: str, expected: str) -> None:
    before = await paused_until(bot)
    await person.say(command)
    assert expected in person.last, person.last
    assert await paused_until(bot) == before


@pytest.mark.parametrize(
    "args",
    ["0", "400", "banane", "-3", "10 ans", "2\x00", "'; DROP TABLE volunteers;--", "x" * 300],
)
async def test_a_bad_length_is_refused_and_changes_nothing(bot: Bot, args: str) -> None:
    alice = await member(bot, "alice", "Alice")
    await _refused(bot, alice, f"/pause {args}", "Je n'ai pas compris la durée")


async def test_pause_needs_a_profile_and_forged_buttons_change_nothing(bot: Bot) -> None:
    zoe = bot.person("zoe", "Zoé")
    await _refused(bot, zoe, "/pause 10", "Tu n'as pas encore de profil")
    await _refused(bot, zoe, "/resume", "Tu n'as pas encore de profil")
    alice = await member(bot, "alice", "Alice")
    for data in ("ps:5", "ps:abc", "ps:", "ps:99999999999"):
        before = await paused_until(bot)
        answer, alert = await alice.press_button(Button("?", data), alice.inbox[-1])
        assert answer is not None and "n'est plus actif" in answer and alert
        assert await paused_until(bot) == before


async def test_help_lists_pause_and_resume(bot: Bot) -> None:
    alice = await member(bot, "alice", "Alice")
    await alice.say("/help")
    assert "/pause : faire une pause" in alice.last
    assert "/resume : reprendre après une pause" in alice.last
