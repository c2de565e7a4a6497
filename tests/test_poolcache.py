"""The per-organisation pool cache: what /match shows is what a fresh pool would show, and
every profile or membership change is seen at the next ranking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.engagement import RECENT_DAYS, engagement, engagement_of
from bot.poolcache import PoolCache
from bot.services import Services
from data.records import VolunteerSkill
from matching.pool import Pool
from tests.harness import Bot, make_bot
from tests.scenarios import post_mission
from tests.timeline import member

MISSION = "Cuisine solidaire | samedi 19 décembre 14h-17h | Entrepôt | 2 | cuisine"


@pytest.fixture
async def bot(sqlite_url: str) -> AsyncIterator[Bot]:
    made = await make_bot(sqlite_url)
    yield made
    await made.store.close()


def pools(bot: Bot) -> PoolCache:
    return bot.core.services.pools


async def match(bot: Bot, mission_id: int) -> str:
    coord = bot.person("coord", "Coralie")
    await coord.say(f"/match {mission_id}")
    return coord.last


async def team(bot: Bot) -> int:
    await member(bot, "awa", "Awa", "cuisine")
    await member(bot, "bruno", "Bruno", "manutention")
    await member(bot, "chloe", "Chloé", "cuisine, accueil")
    return await post_mission(bot, bot.person("coord", "Coralie"), MISSION)


async def test_match_is_the_same_with_and_without_the_cache(bot: Bot) -> None:
    mission_id = await team(bot)
    cold = await match(bot, mission_id)
    warm = await match(bot, mission_id)
    assert pools(bot).builds == 1 and pools(bot).hits >= 1
    bot.core.services.pools = PoolCache(bot.core.services.taxonomy, capacity=0)
    fresh = await match(bot, mission_id)
    assert cold == warm == fresh
    assert "Awa" in fresh and "Chloé" in fresh


async def test_changed_skills_are_ranked_at_the_next_match(bot: Bot) -> None:
    mission_id = await team(bot)
    assert "Bruno" not in (await match(bot, mission_id)).split("2.")[0]
    bruno = bot.person("bruno", "Bruno")
    await bruno.say("/profile")
    await bruno.press("Compétences")
    await bruno.say("cuisine")
    await bruno.press("Oui, c'est ça")
    shown = await match(bot, mission_id)
    assert "Bruno : Cuisine" in shown, shown
    bot.core.services.pools = PoolCache(bot.core.services.taxonomy, capacity=0)
    assert await match(bot, mission_id) == shown


async def test_a_pause_and_a_forget_take_people_out_at_the_next_match(bot: Bot) -> None:
    mission_id = await team(bot)
    assert "Awa" in await match(bot, mission_id)
    await bot.person("awa", "Awa").say("/pause 2 semaines")
    shown = await match(bot, mission_id)
    assert "Awa" not in shown and "Chloé" in shown
    chloe = bot.person("chloe", "Chloé")
    await chloe.say("/forget")
    await chloe.press("Oui, tout effacer")
    assert "Chloé" not in await match(bot, mission_id)


async def test_a_new_member_counts_once_their_onboarding_is_done(bot: Bot) -> None:
    mission_id = await team(bot)
    await match(bot, mission_id)
    dora = bot.person("dora", "Dora")
    await dora.join_group()
    assert "Dora" not in await match(bot, mission_id), "not onboarded yet"
    await member(bot, "dora", "Dora", "cuisine")
    assert "Dora" in await match(bot, mission_id)


async def test_a_pause_ends_by_itself_in_the_cached_pool(bot: Bot) -> None:
    mission_id = await team(bot)
    await bot.person("awa", "Awa").say("/pause 1 semaine")
    assert "Awa" not in await match(bot, mission_id)
    bot.clock.advance(days=8)
    assert "Awa" in await match(bot, mission_id)


async def test_another_worker_sees_a_change_made_through_this_one(bot: Bot) -> None:
    """Two processes, two caches, one database: the validity check reads the database."""
    mission_id = await team(bot)
    other = Services.build(bot.store, bot.core.services.settings, bot.clock)
    async with bot.store.transaction() as tx:
        mission = await tx.missions.get(mission_id)
        assert mission is not None
        pool, _ = await other.pools.static_pool(tx, mission.org_id, bot.clock())
    bruno = (await _ids(bot))["Bruno"]
    assert "cooking" not in _skills_of(pool, bruno)
    async with bot.store.transaction() as tx:
        await tx.people.replace_skills(bruno, [VolunteerSkill("cooking", "cuisine", 1.0)])
    async with bot.store.transaction() as tx:
        pool, _ = await other.pools.static_pool(tx, mission.org_id, bot.clock())
    assert "cooking" in _skills_of(pool, bruno)
    assert other.pools.builds == 1 and other.pools.patches == 1


async def test_a_rolled_back_change_is_not_kept(bot: Bot) -> None:
    mission_id = await team(bot)
    bruno = (await _ids(bot))["Bruno"]
    async with bot.store.transaction() as tx:
        mission = await tx.missions.get(mission_id)
        assert mission is not None
    with pytest.raises(RuntimeError):
        async with bot.store.transaction() as tx:
            await tx.people.replace_skills(bruno, [VolunteerSkill("cooking", "cuisine", 1.0)])
            pool, _ = await pools(bot).static_pool(tx, mission.org_id, bot.clock())
            assert "cooking" in _skills_of(pool, bruno)
            raise RuntimeError("the handler failed")
    async with bot.store.transaction() as tx:
        pool, _ = await pools(bot).static_pool(tx, mission.org_id, bot.clock())
    assert "cooking" not in _skills_of(pool, bruno)


async def test_organisations_never_share_a_pool_and_the_cache_is_bounded(bot: Bot) -> None:
    await team(bot)
    cache = PoolCache(bot.core.services.taxonomy, capacity=2)
    async with bot.store.transaction() as tx:
        first = (await tx.orgs.all_ids())[0]
        others = [
            (await tx.orgs.create(f"Asso {k}", timezone="Europe/Paris", language="fr")).id
            for k in range(2)
        ]
        lonely, _ = await tx.people.create_with_identity("memory", "zed", "Zed", "fr")
        await tx.people.update(lonely.id, onboarded_at=bot.clock())
        await tx.orgs.ensure_member(others[0], lonely.id)
    async with bot.store.transaction() as tx:
        main, _ = await cache.static_pool(tx, first, bot.clock())
        other, _ = await cache.static_pool(tx, others[0], bot.clock())
        assert other.volunteer_ids.tolist() == [lonely.id]
        assert lonely.id not in main.volunteer_ids.tolist() and len(main) == 3
        await cache.static_pool(tx, first, bot.clock())  # first is now the most recent
        empty, _ = await cache.static_pool(tx, others[1], bot.clock())
    assert len(empty) == 0
    assert len(cache) == 2 and first in cache and others[0] not in cache


async def test_engagement_from_two_queries_matches_the_full_history(bot: Bot) -> None:
    mission_id = await team(bot)
    awa = bot.person("awa", "Awa")
    await awa.press("Je participe", bot.card(mission_id))
    await match(bot, mission_id)
    bot.clock.advance(days=25)
    async with bot.store.transaction() as tx:
        mission = await tx.missions.get(mission_id)
        assert mission is not None
        signups = await tx.missions.signups(mission_id)
        assert signups
        await tx.conn.execute(text("UPDATE signups SET status = 'attended'"))
        now = bot.clock()
        full = engagement(await tx.reports.history(mission.org_id), now)
        summed = engagement_of(
            await tx.orgs.participation(mission.org_id, now, now - timedelta(days=RECENT_DAYS)),
            now,
        )
    assert full and summed == full


async def _ids(bot: Bot) -> dict[str, int]:
    async with bot.store.transaction() as tx:
        found = {}
        for user, name in (("awa", "Awa"), ("bruno", "Bruno"), ("chloe", "Chloé")):
            identity = await tx.people.identity("memory", user)
            assert identity is not None
            found[name] = identity.volunteer_id
        return found


def _skills_of(pool: Pool, volunteer_id: int) -> set[str]:
    row = pool.row(volunteer_id)
    cols = pool.skills.getrow(row).indices.tolist()
    return {pool.space.skill_ids[c] for c in cols}
