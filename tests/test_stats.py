"""Engagement stats through the real core: /stats for admins (privately, with charts), /mystats,
and the engagement arithmetic on a made-up history."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.memory import Person
from bot.engagement import drifting, engagement, figures
from data.repos.reports import History, InvitationRow, MissionRow, SignupRow
from tests.harness import Bot
from tests.scenarios import post_mission
from tests.timeline import member, run

MISSION = "Tri alimentaire | samedi 14h-17h | Entrepôt | 3 | manutention"  # Sat 5 Dec
LATER = "Maraude | samedi 12 décembre 18h-21h | Gare | 4 | cuisine"
CHARTS = Path("/tmp/mainforte-charts")


async def season(bot: Bot) -> tuple[Person, list[Person]]:
    """Alice and Bob come to the sorting, Carol does not; an admin watches."""
    admin = bot.person("admin", "Adèle")
    await admin.join_group()
    coord = bot.person("coord", "Coralie")
    people = [await member(bot, n, n.title()) for n in ("alice", "bob", "carol")]
    mission_id = await post_mission(bot, coord, MISSION)
    for person in people:
        await person.press("Je participe", bot.card(mission_id))
    await post_mission(bot, coord, LATER)
    await run(bot, days=6, hours=10)  # Saturday 20:00: the follow-ups
    for person, answer in zip(
        people, ("Oui, j'y étais", "Oui, j'y étais", "Non, je n'ai pas pu"), strict=True
    ):
        await person.press(answer)
    return admin, people


async def test_admin_stats_are_private_with_figures_and_charts(bot: Bot) -> None:
    admin, _ = await season(bot)
    await admin.say("/stats", in_group=True)
    assert "envoyé en privé" in bot.group_messages[-1].text
    assert "Heures" not in bot.group_messages[-1].text
    text = next(m.text for m in admin.inbox if m.text.startswith("📊"))
    assert "30 derniers jours" in text
    assert "Bénévoles actifs : 3 (+3) · nouveaux : 3 (+3)" in text
    assert "Missions publiées : 2 (+2) · complètes : 1 · taux de remplissage : 50 %" in text
    assert "absences : 33 %" in text
    assert "Heures données : 6 h (+6), soit 84 € à 14 €/h" in text
    assert "Cuisine : 1 / 0" in text
    assert "Alice" in text and "présence 100 %" in text and "présence 0 %" in text
    images = [m.file for m in admin.inbox if m.file is not None]
    assert len(images) == 2
    assert all(png.startswith(b"\x89PNG") for _, png in images)
    await asyncio.to_thread(save_charts, [png for _, png in images])


def save_charts(pngs: list[bytes]) -> None:
    """Keep the charts in /tmp/mainforte-charts to look at them."""
    CHARTS.mkdir(exist_ok=True)
    for index, png in enumerate(pngs):
        (CHARTS / f"chart-{index}.png").write_bytes(png)


async def test_the_hourly_value_is_a_setting(bot: Bot) -> None:
    admin, _ = await season(bot)
    await admin.say("/settings hourly_value_eur 20,5")
    assert "hourly_value_eur" in admin.last
    await admin.say("/stats semaine")
    assert "soit 123 € à 20,5 €/h" in admin.texts()
    await admin.say("/settings hourly_value_eur -3")
    assert "hourly_value_eur" in admin.last and "entre" in admin.last


async def test_stats_refuses_a_bad_period_and_non_admins(bot: Bot) -> None:
    admin, (alice, *_) = await season(bot)
    await admin.say("/stats décennie")
    assert "Je n'ai pas compris la période" in admin.last
    before = len(alice.inbox)
    await alice.say("/stats")
    assert len(alice.inbox) == before + 1 and "📊" not in alice.last


async def test_mystats_shows_missions_hours_and_upcoming(bot: Bot) -> None:
    _, (alice, _, carol) = await season(bot)
    await alice.say("/mystats")
    assert "1 mission(s), 3 h au total (dont 3 h cette année)" in alice.last
    assert "Aucune inscription à venir" in alice.last
    await carol.say("/missions")
    await carol.press("Je participe")
    await carol.say("/mystats")
    assert "0 mission(s), 0 h au total" in carol.last
    assert "Maraude" in carol.last and "12 décembre" in carol.last


NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _history(days_ago: list[int], status: str = "attended") -> History:
    missions = {
        n: MissionRow(
            n,
            "M",
            NOW - timedelta(days=d),
            NOW - timedelta(days=d, hours=-3),
            1,
            "done",
            NOW - timedelta(days=d + 5),
            (),
        )
        for n, d in enumerate(days_ago)
    }
    signups = [SignupRow(n, 7, status, NOW - timedelta(days=d + 4)) for n, d in enumerate(days_ago)]
    invitations = [InvitationRow(7, "accepted", NOW - timedelta(days=d + 5)) for d in days_ago]
    return History(missions, signups, invitations, {7: "Alice"}, {})


def test_engagement_rewards_recent_frequent_reliable_people() -> None:
    keen = engagement(_history([3, 10, 20, 30, 40, 50]), NOW)[7]
    assert keen.score == 100 and keen.days_since == 3 and keen.recent == 6
    absent = engagement(_history([3, 10], "no_show"), NOW)[7]
    assert absent.reliability == 0 and absent.score < keen.score


def test_drifting_finds_who_was_keen_and_stopped() -> None:
    history = _history([100, 110, 120, 130, 140, 150])
    [(now, before)] = drifting(history, NOW)
    assert before >= 60 and now.score <= before - 25
    assert drifting(_history([3, 10, 20, 30, 40, 50]), NOW) == []


def test_figures_of_an_empty_period_are_unknown_not_zero_division() -> None:
    empty = figures(History({}, [], [], {}, {}), NOW - timedelta(days=7), NOW)
    assert empty.fill_rate is None and empty.acceptance is None and empty.hours == 0
