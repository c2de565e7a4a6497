"""The organisation-wide counters a ranking uses (one grouped query per part, joined on
memberships) are exactly what the per-volunteer computation gives, on both engines; and
the weekly digest's candidates, taken from the cached pool, are those loaded one by one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bot.matchmaking import (
    MONTH,
    WEEK,
    _state,
    candidates_for,
    member_candidates,
    member_counters,
)
from data.records import MissionSkill, SignupStatus, VolunteerSkill
from data.repos.orgs import stamp_digest
from tests.harness import Bot, make_bot
from tests.scenarios import post_mission
from tests.timeline import member

MISSION = "Cuisine solidaire | samedi 19 décembre 14h-17h | Entrepôt | 4 | cuisine"


@pytest.fixture
async def bot(any_url: str) -> AsyncIterator[Bot]:
    made = await make_bot(any_url)
    yield made
    await made.store.close()


async def history(bot: Bot) -> tuple[int, list[int], int]:
    """Five members with different pasts, one outsider, and another organisation that two
    of the members also belong to: (mission, ids of the members, the outsider's id)."""
    coord = bot.person("coord", "Coralie")
    for user, name, skills in (
        ("awa", "Awa", "cuisine"),
        ("bruno", "Bruno", "manutention"),
        ("chloe", "Chloé", "cuisine, accueil"),
        ("dora", "Dora", "jardinage"),
    ):
        await member(bot, user, name, skills)
    mission_id = await post_mission(bot, coord, MISSION)
    await bot.person("awa", "Awa").press("Je participe", bot.card(mission_id))
    now = bot.clock()
    async with bot.store.transaction() as tx:
        mission = await tx.missions.get(mission_id)
        assert mission is not None
        ids = {}
        for user in ("awa", "bruno", "chloe", "dora"):
            identity = await tx.people.identity("memory", user)
            assert identity is not None
            ids[user] = identity.volunteer_id
        # Bruno lives at coordinates that do not survive a trip through radians.
        await tx.people.update(ids["bruno"], latitude=45.1828, longitude=-0.9269)
        outsider, _ = await tx.people.create_with_identity("memory", "zed", "Zed", "fr")
        # Eve was imported by an admin: onboarded, but nothing of hers was ever logged.
        eve, _ = await tx.people.create_with_identity("memory", "eve", "Eve", "fr")
        await tx.people.update(eve.id, onboarded_at=now)
        await tx.people.replace_skills(eve.id, [VolunteerSkill("cooking", "cuisine", 1.0)])
        await tx.orgs.ensure_member(mission.org_id, eve.id)
        ids["eve"] = eve.id
        other = await tx.orgs.create("Club de foot", timezone="Europe/Paris", language="fr")
        for vid in (ids["bruno"], ids["chloe"], outsider.id):
            await tx.orgs.ensure_member(other.id, vid)
        past, overlapping = [
            (
                await tx.missions.create(
                    org_id=other.id,
                    title=title,
                    description="",
                    starts_at=start,
                    ends_at=start + timedelta(hours=3),
                    place="Stade",
                    slots=3,
                    coordinator_id=None,
                    chat_space_id=None,
                    skills=[MissionSkill("cooking", "cuisine", True)],
                )
            ).id
            for title, start in (
                ("Buvette", now - timedelta(days=10)),
                ("Tournoi", mission.starts_at + timedelta(hours=1)),
            )
        ]
        # Invitations in both organisations, of every age and outcome.
        for vid, mid, status, days in (
            (ids["bruno"], past, "accepted", 10),
            (ids["bruno"], mission_id, "declined", 2),
            (ids["chloe"], past, "expired", 40),
            (ids["chloe"], overlapping, "sent", 1),
            (outsider.id, past, "accepted", 3),
        ):
            inv = await tx.invitations.create(
                mid, vid, 1, now - timedelta(days=days), now + timedelta(days=1)
            )
            if status != "sent":
                await tx.invitations.set_status(inv, status, now - timedelta(days=days - 1))
        for vid, status in (
            (ids["bruno"], SignupStatus.ATTENDED),
            (ids["dora"], SignupStatus.NO_SHOW),
            (outsider.id, SignupStatus.NO_SHOW),
        ):
            await tx.missions.put_signup(past, vid, status, "button")
        await tx.interactions.log("seen", volunteer_id=ids["dora"], at=now - timedelta(days=3))
        await tx.interactions.log("seen", volunteer_id=outsider.id, at=now)
    bot.clock.advance(hours=5)
    return mission_id, list(ids.values()), outsider.id


async def test_organisation_counters_equal_the_per_volunteer_ones(bot: Bot) -> None:
    mission_id, members, outsider = await history(bot)
    now = bot.clock()
    async with bot.store.transaction() as tx:
        mission = await tx.missions.get(mission_id)
        assert mission is not None
        one_by_one = await _state(tx, members, mission, now)
        vids = np.array(members, dtype=np.int64)
        counters = await member_counters(tx, mission.org_id, vids, now)
        histories = await tx.invitations.member_histories(
            mission.org_id, week_ago=now - WEEK, month_ago=now - MONTH
        )
        busy = await tx.invitations.busy_members(
            mission.org_id, mission.starts_at, mission.ends_at, mission.id
        )
    expected = [one_by_one.counts(i) for i in range(len(members))]
    for name, values in counters.items():
        wanted = [np.nan if e[name] is None else e[name] for e in expected]
        assert values.tolist() == pytest.approx(wanted, rel=0, abs=0, nan_ok=True), name
    assert {name for name, values in counters.items() if values.any()} >= {
        "attended",
        "invitations",
        "invitations_answered",
        "invitations_accepted",
        "recent_invitations",
        "days_since_active",
    }, "the scenario exercises every counter"
    assert outsider not in histories.invited[:, 0].tolist() + histories.active[:, 0].tolist()
    assert busy == one_by_one.busy and busy, "Chloé is invited to an overlapping mission"


async def test_digest_candidates_from_the_cached_pool_equal_the_loaded_ones(bot: Bot) -> None:
    mission_id, members, _ = await history(bot)
    now = bot.clock()
    services = bot.core.services
    async with bot.store.transaction() as tx:
        mission = await tx.missions.get(mission_id)
        assert mission is not None
        loaded = await candidates_for(tx, mission, now)
        cached = await member_candidates(tx, services, mission.org_id, members[1:], now)
    unflagged = {
        c.volunteer_id: replace(c, signed_up=False, declined=False, busy=False) for c in loaded
    }
    assert set(cached) == set(members[1:])
    for vid, candidate in cached.items():
        assert replace(candidate, signed_up=False, declined=False, busy=False) == unflagged[vid]
    assert cached[members[1]].location == (45.1828, -0.9269)


async def test_the_database_sums_up_member_stamps_as_the_cache_does(bot: Bot) -> None:
    mission_id, members, outsider = await history(bot)
    services = bot.core.services
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    async with bot.store.transaction() as tx:
        mission = await tx.missions.get(mission_id)
        assert mission is not None
        org_id = mission.org_id
        ids, micros = await tx.orgs.member_stamp_micros(org_id, long_ago)
        stamps = await tx.people.member_stamps(org_id, since=long_ago)
        digest = await tx.orgs.member_stamp_digest(org_id, long_ago)
        await services.pools.static_pool(tx, org_id, bot.clock())
    exact = {v: (w - long_ago) // timedelta(microseconds=1) for v, w in stamps.items()}
    since_2000 = (long_ago - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert {
        v: us - since_2000 for v, us in zip(ids.tolist(), micros.tolist(), strict=True)
    } == exact
    assert set(members) <= set(exact) and outsider not in exact
    assert digest == stamp_digest(ids, micros)
    # Bruno changes his skills: the sums differ, the next ranking reloads his row.
    async with bot.store.transaction() as tx:
        await tx.people.replace_skills(members[1], [VolunteerSkill("cooking", "cuisine", 1.0)])
        assert await tx.orgs.member_stamp_digest(org_id, long_ago) != digest
        pool, _ = await services.pools.static_pool(tx, org_id, bot.clock())
        hits = services.pools.hits
        await services.pools.static_pool(tx, org_id, bot.clock())
    assert services.pools.patches == 1 and services.pools.hits == hits + 1
    assert pool.candidates([pool.row(members[1])])[0].skills == {"cooking"}
