"""Engagement stats through the real core: /stats for admins (privately, with charts), /mystats,
and the engagement arithmetic on a made-up history."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.memory import Person
from bot.engagement import drifting, engagement, figures, hours_by_month, shortages, weekly_fill
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
    assert "Les plus engagé·e·s : Alice (" in text and "S'éloignent : personne" in text
    assert "Détails : /stats missions · /stats bénévoles · /export · /feedback" in text
    assert len(text.splitlines()) <= 8, "the main answer stays short"
    images = [m for m in admin.inbox if m.file is not None]
    assert [m.text for m in images] == [
        "Places pourvues par semaine",
        "Heures de bénévolat par mois",
    ]
    assert all(m.file is not None and m.file[1].startswith(b"\x89PNG") for m in images)
    await asyncio.to_thread(save_charts, {m.text: m.file[1] for m in images if m.file})


async def test_stats_missions_and_volunteers_views(bot: Bot) -> None:
    admin, _ = await season(bot)
    await admin.say("/stats missions")
    text = admin.inbox[-3].text
    assert "Cuisine : 1 / 0" in text and "Missions publiées : 2" in text
    assert "Bénévoles actifs" not in text and "Alice" not in text
    assert [m.text for m in admin.inbox[-2:]] == [
        "Places pourvues par semaine",
        "Compétences : besoins et bénévoles",
    ]
    await admin.say("/stats bénévoles trimestre")
    text = admin.inbox[-3].text
    assert "3 derniers mois" in text and "Bénévoles actifs : 3" in text
    assert "Alice" in text and "présence 100 %" in text and "présence 0 %" in text
    assert [m.text for m in admin.inbox[-2:]] == [
        "Activité par semaine",
        "Heures de bénévolat par mois",
    ]
    pngs = {m.text: m.file[1] for m in admin.inbox if m.file is not None}
    assert all(20_000 < len(png) < 400_000 for png in pngs.values()), {
        k: len(v) for k, v in pngs.items()
    }
    await asyncio.to_thread(save_charts, pngs)


@pytest.mark.parametrize(
    ("args", "header"),
    [
        ("semaine", "7 derniers jours"),
        ("mois", "30 derniers jours"),
        ("trimestre", "3 derniers mois"),
        ("année", "12 derniers mois"),
        (
            "01/11/2026 05/12/2026",
            "période choisie (du dimanche 1er novembre au samedi 5 décembre)",
        ),
        ("du 1er novembre au 5 décembre", "du dimanche 1er novembre au samedi 5 décembre"),
        ("2026-11-01..2026-12-05", "du dimanche 1er novembre au samedi 5 décembre"),
        ("missions 2026-11-01..2026-11-30", "du dimanche 1er novembre au lundi 30 novembre"),
    ],
)
async def test_every_period_form_through_the_core(bot: Bot, args: str, header: str) -> None:
    admin, _ = await season(bot)
    await admin.say(f"/stats {args}")
    text = next(m.text for m in reversed(admin.inbox) if m.text.startswith("📊"))
    assert header in text


async def test_a_custom_period_compares_with_the_one_of_the_same_length_before(bot: Bot) -> None:
    admin, _ = await season(bot)
    await admin.say("/stats 01/12/2026 05/12/2026")  # the sorting, on 5 December
    text = admin.inbox[-3].text
    assert "Heures données : 6 h (+6)" in text
    await admin.say("/stats 26/11/2026 30/11/2026")  # nothing then; before it, nothing
    text = admin.inbox[-3].text
    assert "Heures données : 0 h (+0)" in text and "Bénévoles actifs : 0 (+0)" in text


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        ("décennie", "Je n'ai pas compris la période"),
        ("30/11/2026 01/09/2026", "La fin (01/09/2026) est avant le début (30/11/2026)"),
        ("01/12/2026 31/12/2026", "Le 31/12/2026 n'est pas encore passé"),
        ("01/01/2015 01/01/2026", "dépasse 5 ans"),
        ("missions aujourd'hui demain", "n'est pas encore passé"),
    ],
)
async def test_bad_periods_get_one_clear_message_and_nothing_else(
    bot: Bot, args: str, answer: str
) -> None:
    admin, _ = await season(bot)
    before = len(admin.inbox)
    await admin.say(f"/stats {args}")
    assert len(admin.inbox) == before + 1
    assert answer in admin.last and "📊" not in admin.last


def save_charts(pngs: dict[str, bytes]) -> None:
    """Keep the charts in /tmp/mainforte-charts to look at them."""
    CHARTS.mkdir(exist_ok=True)
    for title, png in pngs.items():
        (CHARTS / f"{title.replace(' ', '-').replace(':', '')}.png").write_bytes(png)


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


PARIS = ZoneInfo("Europe/Paris")


def test_hours_go_to_the_local_month_of_the_mission() -> None:
    # 30 November 2026, 23:30 in Paris is already 1 December... no: 22:30 UTC, still
    # November in UTC too. The risky one is 31 October 23:30 in Paris = 22:30 UTC (CET).
    late = datetime(2026, 10, 31, 23, 30, tzinfo=PARIS)  # last day of October, local
    new_year = datetime(2026, 12, 31, 23, 30, tzinfo=PARIS)  # 22:30 UTC, still 2026
    early = datetime(2026, 12, 1, 0, 30, tzinfo=PARIS)  # 23:30 UTC on 30 November
    missions = {
        n: MissionRow(
            n,
            "M",
            at.astimezone(UTC),
            (at + timedelta(hours=2)).astimezone(UTC),
            1,
            "done",
            at - timedelta(days=3),
            (),
        )
        for n, at in enumerate((late, new_year, early))
    }
    signups = [SignupRow(n, 7, "attended", NOW) for n in missions]
    history = History(missions, signups, [], {7: "Alice"}, {})
    months = dict(hours_by_month(history, datetime(2027, 1, 10, tzinfo=UTC), PARIS, months=4))
    assert months == {"2026-10": 2.0, "2026-11": 0.0, "2026-12": 4.0, "2027-01": 0.0}
    utc = dict(hours_by_month(history, datetime(2027, 1, 10, tzinfo=UTC), ZoneInfo("UTC"), 4))
    assert utc == {"2026-10": 2.0, "2026-11": 2.0, "2026-12": 2.0, "2027-01": 0.0}


def test_weekly_fill_counts_places_taken_per_local_week() -> None:
    monday = datetime(2026, 11, 30, 0, 30, tzinfo=PARIS)  # Sunday 23:30 UTC: a Monday here
    missions = {
        1: MissionRow(
            1,
            "A",
            monday.astimezone(UTC),
            monday.astimezone(UTC) + timedelta(hours=2),
            4,
            "open",
            monday - timedelta(days=5),
            (),
        ),
        2: MissionRow(
            2,
            "B",
            (monday + timedelta(days=2)).astimezone(UTC),
            (monday + timedelta(days=2, hours=2)).astimezone(UTC),
            2,
            "open",
            monday - timedelta(days=5),
            (),
        ),
        3: MissionRow(
            3,
            "C",
            (monday + timedelta(days=3)).astimezone(UTC),
            (monday + timedelta(days=3, hours=2)).astimezone(UTC),
            5,
            "cancelled",
            monday - timedelta(days=5),
            (),
        ),
    }
    signups = [
        SignupRow(1, 7, "attended", NOW),
        SignupRow(1, 8, "no_show", NOW),
        SignupRow(1, 9, "withdrawn", NOW),
        SignupRow(2, 7, "confirmed", NOW),
        SignupRow(2, 8, "confirmed", NOW),
        SignupRow(2, 9, "confirmed", NOW),  # more than the places: counts 2
    ]
    history = History(missions, signups, [], {}, {})
    weeks = weekly_fill(history, datetime(2026, 11, 20, tzinfo=UTC), NOW + timedelta(days=7), PARIS)
    assert [(str(w), t, o) for w, t, o in weeks] == [
        ("2026-11-16", 0, 0),
        ("2026-11-23", 0, 0),
        ("2026-11-30", 4, 6),
        ("2026-12-07", 0, 0),
    ]


def test_shortages_put_the_most_missing_skill_first() -> None:
    missions = {
        n: MissionRow(
            n,
            "M",
            NOW + timedelta(days=n),
            NOW + timedelta(days=n, hours=1),
            1,
            "open",
            NOW,
            skills,
        )
        for n, skills in enumerate([("cuisine",), ("cuisine", "permis_b"), ("accueil",)])
    }
    history = History(missions, [], [], {}, {1: {"accueil"}, 2: {"accueil", "permis_b"}})
    assert shortages(history, NOW) == [("cuisine", 2, 0), ("permis_b", 1, 1), ("accueil", 1, 2)]
    # A past period counts only its own missions: here the first day's.
    assert shortages(history, NOW, NOW + timedelta(hours=12)) == [("cuisine", 1, 0)]
