"""Nudges on a fake clock: the weekly "missions for you" and the gentle word to someone who
went quiet, through the real core. Now: Sunday 29 November 2026, 10:00 in Paris; the
weekly nudges go on Mondays at 10:00 by default."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, update

from adapters.memory import Person
from bot.events import Button
from data.schema import interactions, missions, signups
from tests.harness import START, Bot
from tests.scenarios import post_mission
from tests.timeline import member, run, task_keys

SORTING = "Tri alimentaire | samedi 14h-17h | Entrepôt | 3 | manutention"  # Sat 5 Dec
DELIVERY = "Distribution | mercredi 9 décembre 18h-20h | Local | 2 | manutention"
COOKING = "Cuisine solidaire | jeudi 18h-21h | Cuisine | 2 | cuisine"  # Thu 3 Dec
STOCKTAKE = "Inventaire | samedi 12 décembre 9h-12h | Entrepôt | 2 | manutention, logistique"
GALA = "Gala | samedi 16 janvier 18h-22h | Mairie | 5 | manutention"  # too far ahead
DIGEST = "Des missions pour toi cette semaine"
QUIET = "Ça fait un moment"


async def volunteer_id(bot: Bot, person: Person) -> int:
    async with bot.store.transaction() as tx:
        identity = await tx.people.identity("memory", person.user.user_id)
        assert identity is not None
        return identity.volunteer_id


async def last_active(bot: Bot, person: Person, when: datetime) -> None:
    """Make everything the person did so far look as if it happened at `when`."""
    vid = await volunteer_id(bot, person)
    async with bot.store.transaction() as tx:
        await tx.conn.execute(
            update(interactions).where(interactions.c.volunteer_id == vid).values(at=when)
        )


async def came_to_missions(bot: Bot, person: Person, days_ago: list[int]) -> None:
    """Give the person a past: one 3-hour mission attended on each of these days before now."""
    vid = await volunteer_id(bot, person)
    async with bot.store.transaction() as tx:
        for days in days_ago:
            start = bot.clock.now - timedelta(days=days)
            key = (
                await tx.conn.execute(
                    insert(missions).values(
                        org_id=1,
                        title="Tri",
                        starts_at=start,
                        ends_at=start + timedelta(hours=3),
                        slots=3,
                        status="done",
                        created_at=start - timedelta(days=7),
                        updated_at=start,
                    )
                )
            ).inserted_primary_key
            assert key is not None
            mission_id = key[0]
            await tx.conn.execute(
                insert(signups).values(
                    mission_id=mission_id,
                    volunteer_id=vid,
                    status="attended",
                    created_at=start - timedelta(days=3),
                    updated_at=start,
                    queued_at=start - timedelta(days=3),
                )
            )


def digests(person: Person) -> list[str]:
    return [m.text for m in person.inbox if DIGEST in m.text]


async def test_weekly_digest_suggests_each_persons_top_three_that_fit(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    alice = await member(bot, "alice", "Alice")
    bob = await member(bot, "bob", "Bob")
    carol = await member(bot, "carol", "Carol")
    dan = await member(bot, "dan", "Dan", "jardinage", free="lun. matin")
    eve = await member(bot, "eve", "Eve")
    await bob.say("/pause 2 semaines")
    await carol.press_button(Button("?", "nf:1"), carol.inbox[-1])  # "Moins de messages"
    ids = {}
    for name, line in (
        ("sorting", SORTING),
        ("delivery", DELIVERY),
        ("cooking", COOKING),
        ("stocktake", STOCKTAKE),
        ("gala", GALA),
    ):
        ids[name] = await post_mission(bot, coord, line)
    await eve.press("Je participe", bot.card(ids["sorting"]))
    assert "nudges:1:2026-11-30" in await task_keys(bot, "nudges")

    await run(bot, hours=23, minutes=59)
    assert digests(alice) == []
    await run(bot, minutes=1)  # Monday 10:00
    [digest] = digests(alice)
    assert digest.startswith("Bonjour Alice ! Des missions pour toi cette semaine")
    for title in ("Tri alimentaire", "Distribution", "Inventaire"):
        assert title in digest
    assert "Cuisine solidaire" not in digest, "nothing in it fits Alice"
    assert "Gala" not in digest, "more than two weeks ahead"
    assert "Manutention" in digest, "each line says why"
    labels = alice.inbox[-1].labels
    assert labels[-1] == "Moins de messages"
    assert sorted(labels[:-1]) == sorted(
        f"Je participe #{ids[n]}" for n in ("sorting", "delivery", "stocktake")
    )
    [eves] = digests(eve)
    assert "Tri alimentaire" not in eves, "Eve is already signed up to it"
    assert digests(bob) == [], "on pause"
    assert digests(carol) == [], "asked for fewer messages"
    assert digests(dan) == [], "nothing relevant for Dan"

    await alice.press(f"Je participe #{ids['delivery']}")
    assert "Tu es inscrit·e à « Distribution »" in alice.last
    assert "1/2 inscrits" in bot.card(ids["delivery"]).text


async def test_digest_is_weekly_once_and_stops_with_fewer_messages(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    alice = await member(bot, "alice", "Alice")
    await post_mission(bot, coord, SORTING)
    await post_mission(bot, coord, STOCKTAKE)
    await run(bot, days=1)  # Monday 30 November
    assert len(digests(alice)) == 1
    async with bot.store.transaction() as tx:  # the same week's run again: nothing twice
        await tx.tasks.schedule("nudges", "nudges:1:again", bot.clock.now, org_id=1)
    await run(bot, hours=1)
    assert len(digests(alice)) == 1
    await run(bot, days=7)  # Monday 7 December: what is still ahead
    assert len(digests(alice)) == 2
    assert "Inventaire" in digests(alice)[-1] and "Tri alimentaire" not in digests(alice)[-1]
    await alice.press("Moins de messages")
    assert "au plus une fois par semaine" in alice.last
    await run(bot, days=7)
    assert len(digests(alice)) == 2


async def test_digest_waits_for_the_end_of_quiet_hours(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    alice = await member(bot, "alice", "Alice")
    await coord.say("/missions", in_group=True)
    async with bot.store.transaction() as tx:
        await tx.orgs.update_settings(1, digest_hour=22)  # after 21:00: quiet hours
    await post_mission(bot, coord, SORTING)
    await run(bot, days=1, hours=12)  # Monday 22:00
    assert digests(alice) == []
    await run(bot, hours=10, minutes=59)  # Tuesday 08:59
    assert digests(alice) == []
    await run(bot, minutes=1)  # Tuesday 09:00
    assert len(digests(alice)) == 1


async def test_a_volunteer_drifting_away_gets_one_gentle_word(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    alice = await member(bot, "alice", "Alice")  # came often until July, quiet since
    bob = await member(bot, "bob", "Bob")  # came often, and active last week: steady
    carol = await member(bot, "carol", "Carol")  # drifting, but asked for fewer messages
    dan = await member(bot, "dan", "Dan")  # drifting, but on pause
    eve = await member(bot, "eve", "Eve")  # drifting, but signed up to a mission ahead
    frank = await member(bot, "frank", "Frank")  # quiet, but never came: not drifting
    mission_id = await post_mission(bot, coord, STOCKTAKE)
    await eve.press("Je participe", bot.card(mission_id))
    await carol.press_button(Button("?", "nf:1"), carol.inbox[-1])
    await dan.say("/pause")
    await dan.press("Jusqu'à ce que je reprenne")
    for person in (alice, carol, dan, eve):
        await came_to_missions(bot, person, [100, 110, 120, 130, 140, 150])
    await came_to_missions(bot, bob, [5, 20, 40, 60, 80, 100])
    long_ago = START - timedelta(days=88)
    for person in (alice, carol, dan, eve, frank):
        await last_active(bot, person, long_ago)
    await last_active(bot, bob, START - timedelta(days=7))

    await run(bot, days=1)  # Monday 30 November
    assert QUIET in alice.last and "Banque alimentaire pense à toi" in alice.last
    assert alice.inbox[-1].labels == ["Faire une pause", "Moins de messages"]
    for person in (bob, carol, dan, eve, frank):
        assert QUIET not in person.texts(), person.user.display_name
    assert digests(alice) == [], "someone gone quiet gets the gentle word, not the digest"

    await run(bot, days=7)
    await run(bot, days=7)
    assert alice.texts().count(QUIET) == 1, "once per quiet period"

    await last_active(bot, alice, bot.clock.now - timedelta(days=61))  # back, then quiet again
    await run(bot, days=7)
    assert alice.texts().count(QUIET) == 2


async def test_the_gentle_word_offers_a_break(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    alice = await member(bot, "alice", "Alice")
    await post_mission(bot, coord, STOCKTAKE)
    await came_to_missions(bot, alice, [100, 110, 120, 130, 140, 150])
    await last_active(bot, alice, START - timedelta(days=90))
    await run(bot, days=1)
    await alice.press("Faire une pause")
    await alice.press("1 mois")
    assert "bonne pause" in alice.last and "jusqu'au mercredi 30 décembre" in alice.last


async def test_a_mission_someone_was_invited_to_is_not_suggested_again(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    alice = await member(bot, "alice", "Alice")
    await post_mission(bot, coord, "Distribution | mardi 18h-20h | Local | 2 | manutention")
    await post_mission(bot, coord, STOCKTAKE)
    await run(bot, days=1)  # the Tuesday mission, 3 days ahead, invited her on its own
    assert any("Une mission pourrait te plaire" in m.text for m in alice.inbox)
    [digest] = digests(alice)
    assert "Inventaire" in digest and "Distribution" not in digest
