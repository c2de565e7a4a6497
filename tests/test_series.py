"""Repeating missions through the real core: "tous les mardis 18h-20h" becomes occurrences
published ahead of time, each staffed on its own, never generated twice, at the same local
hour across daylight-saving changes, changed or stopped from one occurrence on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.events import Button
from bot.features import series as series_feature
from data.schema import missions, outbox
from data.store import Store
from tests.harness import Bot
from tests.scenarios import post_mission
from tests.timeline import (
    bot_at,
    dates,
    member,
    occurrences,
    post_series,
    run,
    series_rows,
    task_keys,
)

PARIS = ZoneInfo("Europe/Paris")
TUTORING = "Aide aux devoirs | tous les mardis 18h-20h | Local, 3 rue Haute | 3 | soutien scolaire"
TUESDAYS = [date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 15), date(2026, 12, 22)]


def local(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")


# --- publishing ----------------------------------------------------------------------


async def test_weekly_mission_in_one_line_publishes_four_weeks_of_occurrences(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    bot.platform.chat_admins.add("coord")
    await coord.say(f"/mission {TUTORING}", in_group=True)
    summary = bot.group_messages[-1].text
    assert "🔁 tous les mardis, 18:00–20:00 (première date : mardi 1er décembre)" in summary
    await coord.press("Publier", bot.group_messages[-1])
    assert "Mission régulière « Aide aux devoirs » publiée" in bot.group_messages[-5].text
    assert "4 date(s) en ligne : #1, #2, #3, #4" in bot.group_messages[-5].text

    rows = await occurrences(bot)
    assert dates(rows) == TUESDAYS
    assert {r["series_id"] for r in rows} == {1}
    assert local(rows[0]["starts_at"]) == "2026-12-01 18:00"
    for row, day in zip(rows, ("1er", "8", "15", "22"), strict=True):
        card = bot.card(row["id"])
        assert f"mardi {day} décembre, 18:00–20:00 · 📍 Local, 3 rue Haute" in card.text
        assert card.labels == ["Je participe", "Détails", "Me retirer"]
    keys = await task_keys(bot)
    for row in rows:  # each occurrence has its own reminders, summary, follow-up, waves
        start = row["starts_at"].isoformat()
        assert f"reminder:{row['id']}:24h:{start}" in keys
        assert f"autoinvite:{row['id']}:{start}" in keys
    assert "series:1:2026-12-06" in keys  # the weekly extension


async def test_the_weekly_extension_adds_the_next_date_and_never_one_twice(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    ids = await post_series(bot, coord, TUTORING)
    await run(bot, days=7)  # Sunday 6 December: the extension ran at 03:00
    rows = await occurrences(bot)
    assert dates(rows) == [*TUESDAYS, date(2026, 12, 29)]
    new = rows[-1]["id"]
    assert new not in ids and "mardi 29 décembre, 18:00–20:00" in bot.card(new).text

    async with bot.store.transaction() as tx:  # again, and again: nothing new
        current = await tx.series.get(1)
        assert current is not None
        assert await series_feature.extend(tx, bot.core.services, current, bot.clock.now) == []
        assert await tx.missions.add_occurrence(1, date(2026, 12, 29), **_fields()) is None
    await run(bot, hours=1)
    assert dates(await occurrences(bot)) == [*TUESDAYS, date(2026, 12, 29)]


def _fields() -> dict[str, Any]:
    start = datetime(2026, 12, 29, 17, tzinfo=UTC)
    return {
        "org_id": 1,
        "title": "Doublon",
        "description": "",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "place": "",
        "slots": 1,
        "coordinator_id": None,
        "chat_space_id": None,
    }


async def test_an_occurrence_is_unique_in_the_database(any_url: str) -> None:
    store = Store(any_url)
    try:
        async with store.transaction() as tx:
            org = await tx.orgs.create("Asso", timezone="Europe/Paris", language="fr")
            created = await tx.series.create(
                org_id=org.id,
                rule="weekly",
                every=1,
                weekday=1,
                position=None,
                starts_on=date(2026, 12, 1),
                start_time=datetime(2026, 1, 1, 18).time(),
                end_time=datetime(2026, 1, 1, 20).time(),
                until=None,
                title="Tri",
                description="",
                place="",
                slots=2,
                skills=[],
                coordinator_id=None,
                chat_space_id=None,
            )
            fields = _fields() | {"org_id": org.id}
            first = await tx.missions.add_occurrence(created.id, date(2026, 12, 29), **fields)
            assert first is not None and first.occurrence_date == date(2026, 12, 29)
            assert (
                await tx.missions.add_occurrence(created.id, date(2026, 12, 29), **fields) is None
            )
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
            async with store.transaction() as tx:
                await tx.conn.execute(
                    missions.insert().values(
                        **_fields() | {"org_id": org.id, "status": "open"},
                        series_id=created.id,
                        occurrence_date=date(2026, 12, 29),
                        created_at=first.starts_at,
                        updated_at=first.starts_at,
                    )
                )
        async with store.connection() as conn:
            count = (await conn.execute(select(func.count()).select_from(missions))).scalar_one()
        assert count == 1
    finally:
        await store.close()


async def test_each_occurrence_is_staffed_and_reminded_on_its_own(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    alice = await member(bot, "alice", "Alice", "soutien scolaire")
    first, second, *_ = await post_series(bot, coord, TUTORING)
    await alice.press("Je participe", bot.card(first))
    assert "1/3 inscrits" in bot.card(first).text
    assert "0/3 inscrits" in bot.card(second).text
    await run(bot, days=1, hours=8)  # Monday 18:00: 24 h before the first Tuesday
    assert "Rappel" in alice.last and "mardi 1er décembre, 18:00–20:00" in alice.last


async def test_every_other_saturday_in_the_guided_dialog_in_english(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie", language="en")
    bot.platform.chat_admins.add("coord")
    await coord.say("/missions", in_group=True)
    await coord.say("/mission")
    await coord.say("Food sorting")
    await coord.press("Skip")
    await coord.say("every other Saturday 9am-12pm")
    understood = coord.inbox[-2].text
    assert "🔁 every other Saturday, 09:00–12:00 (first date: Saturday 5 December)" in understood
    await coord.say("Warehouse")
    await coord.say("manutention")
    await coord.press("3")
    await coord.press("Publish")
    assert 'Repeating mission "Food sorting" published' in coord.last
    assert "2 date(s) online" in coord.last
    rows = await occurrences(bot)
    assert dates(rows) == [date(2026, 12, 5), date(2026, 12, 19)]  # four weeks ahead
    assert [local(r["starts_at"]) for r in rows] == ["2026-12-05 09:00", "2026-12-19 09:00"]


async def test_first_saturday_of_the_month_two_months_ahead(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    bot.platform.chat_admins.add("coord")
    await coord.say(
        "/mission Repair café | le premier samedi du mois 10h | Salle des fêtes | 4", in_group=True
    )
    assert "le premier samedi du mois, 10:00–12:00" in bot.group_messages[-1].text
    assert "Heure de fin non précisée" in bot.group_messages[-1].text
    await coord.press("Publier", bot.group_messages[-1])
    rows = await occurrences(bot)
    assert dates(rows) == [date(2026, 12, 5), date(2027, 1, 2)]
    await run(bot, days=7)  # 6 December: two months ahead now reaches February
    assert dates(await occurrences(bot)) == [date(2026, 12, 5), date(2027, 1, 2), date(2027, 2, 6)]
    await run(bot, days=28)  # 3 January: March's, and never one of the others again
    assert dates(await occurrences(bot))[1:] == [
        date(2027, m, d) for m, d in ((1, 2), (2, 6), (3, 6))
    ]


# --- daylight saving (Europe/Paris) ------------------------------------------------------


async def test_autumn_change_2026_keeps_sundays_at_ten(sqlite_url: str) -> None:
    """25 October 2026: clocks go back. Every occurrence still starts at 10:00 in Paris."""
    async with bot_at(sqlite_url, datetime(2026, 10, 10, 8, tzinfo=UTC)) as bot:
        coord = bot.person("coord", "Coralie")
        await post_series(bot, coord, "Maraude | tous les dimanches 10h-12h | Gare | 2")
        rows = await occurrences(bot)
        assert dates(rows) == [date(2026, 10, d) for d in (11, 18, 25)] + [date(2026, 11, 1)]
        assert [r["starts_at"].hour for r in rows] == [8, 8, 9, 9]  # UTC
        assert {local(r["starts_at"])[-5:] for r in rows} == {"10:00"}
        assert {r["ends_at"] - r["starts_at"] for r in rows} == {timedelta(hours=2)}
        keys = await task_keys(bot, "reminder")
        assert f"reminder:{rows[2]['id']}:24h:2026-10-25T09:00:00+00:00" in keys
        await run(bot, days=14)  # two weekly extensions across the change
        rows = await occurrences(bot)
        assert dates(rows)[-2:] == [date(2026, 11, 8), date(2026, 11, 15)]
        assert {local(r["starts_at"])[-5:] for r in rows} == {"10:00"}
        assert "dimanche 15 novembre, 10:00–12:00" in bot.card(rows[-1]["id"]).text


async def test_spring_change_2027_keeps_sundays_at_ten_and_moves_the_gap(sqlite_url: str) -> None:
    """28 March 2027: clocks go forward; 02:30 does not exist that night."""
    async with bot_at(sqlite_url, datetime(2027, 3, 13, 9, tzinfo=UTC)) as bot:
        coord = bot.person("coord", "Coralie")
        await post_series(bot, coord, "Maraude | every Sunday 10am-12pm | Gare | 2")
        await post_series(bot, coord, "Veille de nuit | tous les dimanches 2h30-4h | Foyer | 1")
        rows = await occurrences(bot)
        morning = [r for r in rows if r["title"] == "Maraude"]
        night = [r for r in rows if r["title"] == "Veille de nuit"]
        assert dates(morning) == [date(2027, 3, d) for d in (14, 21, 28)] + [date(2027, 4, 4)]
        assert [r["starts_at"].hour for r in morning] == [9, 9, 8, 8]  # UTC
        assert {local(r["starts_at"])[-5:] for r in morning} == {"10:00"}
        assert [local(r["starts_at"])[-5:] for r in night] == ["02:30", "02:30", "03:30", "02:30"]
        gap = night[2]
        assert "dimanche 28 mars, 03:30–04:00" in bot.card(gap["id"]).text


# --- changing one occurrence, or it and the following -----------------------------------


async def test_only_this_one_changes_a_single_occurrence(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    _, second, *_ = await post_series(bot, coord, TUTORING)
    await coord.say(f"/mission edit {second}")
    assert "fait partie d'une mission régulière" in coord.last
    await coord.press("Seulement celle-ci")
    await coord.press("le titre")
    await coord.say("Aide aux devoirs spécial Noël")
    titles = [r["title"] for r in await occurrences(bot)]
    assert (
        titles == ["Aide aux devoirs", "Aide aux devoirs spécial Noël"] + ["Aide aux devoirs"] * 2
    )
    await run(bot, days=7)
    assert (await occurrences(bot))[-1]["title"] == "Aide aux devoirs"


async def test_this_one_and_the_following_changes_them_and_the_series(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    alice = await member(bot, "alice", "Alice", "soutien scolaire")
    first, second, third, _ = await post_series(bot, coord, TUTORING)
    await alice.press("Je participe", bot.card(third))
    await coord.say(f"/mission edit {second}")
    await coord.press("Celle-ci et les suivantes")
    await coord.press("le lieu")
    await coord.say("Médiathèque")
    assert "pour la mission #2 et les suivantes : 3 date(s)" in coord.last
    places = [r["place"] for r in await occurrences(bot)]
    assert places == ["Local, 3 rue Haute", "Médiathèque", "Médiathèque", "Médiathèque"]
    assert "a changé" in alice.last and "Médiathèque" in alice.last
    assert "📍 Médiathèque" in bot.card(third).text and "📍 Local" in bot.card(first).text
    await run(bot, days=7)
    assert (await occurrences(bot))[-1]["place"] == "Médiathèque"  # the template changed too


async def test_new_hours_for_the_following_occurrences(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    alice = await member(bot, "alice", "Alice", "soutien scolaire")
    _, second, *_ = await post_series(bot, coord, TUTORING)
    await alice.press("Je participe", bot.card(second))
    await coord.say(f"/mission edit {second}")
    await coord.press("Celle-ci et les suivantes")
    await coord.press("la date")
    assert "nouveaux horaires" in coord.last
    await coord.say("19h-21h")
    rows = await occurrences(bot)
    assert [local(r["starts_at"])[-5:] for r in rows] == ["18:00", "19:00", "19:00", "19:00"]
    assert "a changé" in alice.last and "mardi 8 décembre, 19:00–21:00" in alice.last
    await run(bot, days=7)
    assert local((await occurrences(bot))[-1]["starts_at"]) == "2026-12-29 19:00"
    await run(bot, days=1, hours=9)  # Monday 7 December 19:00: 24 h before the new time
    assert "Rappel" in alice.last and "19:00–21:00" in alice.last


async def test_a_new_rhythm_moves_the_following_onto_its_days(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    alice = await member(bot, "alice", "Alice", "soutien scolaire")
    first, second, *_ = await post_series(bot, coord, TUTORING)
    await alice.press("Je participe", bot.card(second))
    await coord.say(f"/mission edit {second}")
    await coord.press("Celle-ci et les suivantes")
    await coord.press("la date")
    await coord.say("tous les mercredis 18h-20h")
    rows = await occurrences(bot)
    assert dates(rows) == [
        date(2026, 12, 1),
        date(2026, 12, 9),
        date(2026, 12, 16),
        date(2026, 12, 23),
    ]
    assert [r["id"] for r in rows][:2] == [first, second], "the same missions, moved"
    assert "mercredi 9 décembre, 18:00–20:00" in alice.last
    old, new = await series_rows(bot)
    assert (old["active"], old["until"]) == (False, date(2026, 12, 7))
    assert new["weekday"] == 2 and new["active"]
    await run(bot, days=7)
    assert dates(await occurrences(bot))[-1] == date(2026, 12, 30)
    assert "mardi 29" not in " ".join(m.text for m in bot.group_messages)


async def test_places_for_the_following_cannot_go_below_anyone_signed_up(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    people = [await member(bot, n, n.title(), "soutien scolaire") for n in ("alice", "bob")]
    _, second, third, _ = await post_series(bot, coord, TUTORING)
    for person in people:
        await person.press("Je participe", bot.card(third))
    await coord.say(f"/mission edit {second}")
    await coord.press("Celle-ci et les suivantes")
    await coord.press("le nombre de places")
    before = await _database(bot)
    await coord.say("1")
    assert "Il y a déjà 2 inscrits" in coord.last
    assert await _database(bot) == before
    await coord.say("5")
    assert [r["id"] for r in await occurrences(bot)][1:] == [second, third, third + 1]
    assert "2/5 inscrits" in bot.card(third).text and "0/3 inscrits" in bot.card(1).text


# --- cancelling -----------------------------------------------------------------------


async def test_cancelling_only_this_one_is_never_regenerated(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    _, second, *_ = await post_series(bot, coord, TUTORING)
    await coord.say(f"/mission cancel {second}", in_group=True)
    assert bot.group_messages[-1].labels == [
        "Seulement celle-ci",
        "Arrêter à partir de celle-ci",
        "Non, garder",
    ]
    await coord.press("Seulement celle-ci", bot.group_messages[-1])
    assert "MISSION ANNULÉE" in bot.card(second).text
    await run(bot, days=7)
    rows = await occurrences(bot)
    assert dates(rows, "cancelled") == [date(2026, 12, 8)]
    assert dates(rows) == [date(2026, 12, 1), *TUESDAYS[2:], date(2026, 12, 29)]


async def test_stopping_the_series_from_an_occurrence(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    alice = await member(bot, "alice", "Alice", "soutien scolaire")
    _, second, third, fourth = await post_series(bot, coord, TUTORING)
    await alice.press("Je participe", bot.card(third))
    await coord.say(f"/mission cancel {second}", in_group=True)
    await coord.press("Arrêter à partir de celle-ci", bot.group_messages[-1])
    assert (
        "arrêtée : 3 date(s) annulée(s), 1 personne(s) prévenue(s)" in bot.group_messages[-1].text
    )
    assert "est annulée" in alice.last and "mardi 15 décembre" in alice.last
    await run(bot, days=21)
    rows = await occurrences(bot)
    assert dates(rows) == [date(2026, 12, 1)]
    assert [r["id"] for r in rows if r["status"] == "cancelled"] == [second, third, fourth]
    assert not (await series_rows(bot))[0]["active"]
    assert {
        k: v for k, v in (await task_keys(bot, "series_extend")).items() if v == "pending"
    } == {}


# --- bad input ------------------------------------------------------------------------


async def _database(bot: Bot) -> list[Any]:
    """What a refused change must leave as it was."""
    async with bot.store.connection() as conn:
        rows = (
            await conn.execute(
                select(missions.c.id, missions.c.status, missions.c.starts_at, missions.c.place)
            )
        ).all()
        keys = (await conn.execute(select(outbox.c.idempotency_key))).all()
    return [rows, keys, await series_rows(bot)]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("tous les jours 18h", "pas tous les jours"),
        ("tous les mardis et jeudis 18h", "un seul jour de la semaine"),
        ("tous les mardis", "mais pas à quelle heure"),
        ("tous les mois le 15 à 10h", "dis quel jour du mois"),
        ("toutes les 20 semaines le lundi 9h", "de 1 à 12 semaines"),
        ("tous les mardis 25h", "Je n'ai pas compris la date"),
        ("tous les mardis 18h jusqu'au 31/02", "date de début ou de fin"),
        ("tous les mardis 18h jusqu'au 1er janvier 2020", "aucune date à venir"),
        ("tous les mardis 18h\x00", "caractères invisibles"),
        ("tous les mardis 18h'; DROP TABLE missions;--", "Je n'ai pas compris la date"),
    ],
)
async def test_unusable_repetitions_are_refused_and_change_nothing(
    bot: Bot, when: str, expected: str
) -> None:
    coord = bot.person("coord", "Coralie")
    bot.platform.chat_admins.add("coord")
    await coord.say("/missions", in_group=True)
    before = await _database(bot)
    await coord.say(f"/mission Tri | {when} | Entrepôt | 2", in_group=True)
    answer = bot.group_messages[-1]
    assert expected in answer.text, answer.text
    assert answer.labels == []
    assert await _database(bot) == before


async def test_a_single_date_edit_refuses_a_repetition(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    mission_id = await post_mission(bot, coord, "Tri | samedi 14h-17h | Entrepôt | 2")
    await coord.say(f"/mission edit {mission_id}")
    await coord.press("la date")
    before = await _database(bot)
    await coord.say("tous les samedis 14h-17h")
    assert "donne une seule date" in coord.last
    assert await _database(bot) == before


async def test_the_following_need_hours_or_a_rhythm(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    _, second, *_ = await post_series(bot, coord, TUTORING)
    await coord.say(f"/mission edit {second}")
    await coord.press("Celle-ci et les suivantes")
    await coord.press("la date")
    before = await _database(bot)
    for text in ("mercredi 18h", "demain 9h", "banane"):
        await coord.say(text)
        assert "donne seulement les horaires" in coord.last, coord.last
    await coord.say("tous les jours 18h")
    assert "pas tous les jours" in coord.last
    assert await _database(bot) == before


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("me:s:all", "Ce bouton n'est plus actif"),
        ("mc:from:1", "Seuls les coordinateurs"),
    ],
)
async def test_forged_series_buttons_change_nothing(bot: Bot, data: str, expected: str) -> None:
    await post_series(bot, bot.person("coord", "Coralie"), TUTORING)
    vera = await member(bot, "vera", "Véra")
    before = await _database(bot)
    answer, alert = await vera.press_button(Button("?", data), bot.card(1))
    assert answer is not None and expected in answer and alert
    assert await _database(bot) == before


async def test_stop_from_here_on_a_single_mission_is_a_stale_button(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    mission_id = await post_mission(bot, coord, "Tri | samedi 14h-17h | Entrepôt | 2")
    before = await _database(bot)
    answer, _ = await coord.press_button(Button("?", f"mc:from:{mission_id}"), bot.card(mission_id))
    assert answer is not None and "n'est plus actif" in answer
    assert await _database(bot) == before
