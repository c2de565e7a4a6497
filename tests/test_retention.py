"""Retention through the real core on a fake clock: people inactive for their organisation's
period get one warning after the quiet hours, and are erased at the announced date through
the same path as /forget unless they show a sign of life.

The clock starts on Sunday 1 December 2030, 10:00 in Paris: later than the machine's real
date, so the platforms' "last seen" times (written with the real clock) are always older than
what the scenario does, and only the scenario's own activity counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from adapters.memory import MemoryPlatform, Person
from bot.config import Settings
from bot.features import retention
from bot.features.retention import SWEEP, months_before
from data.schema import interactions, organisations, tasks
from tests.harness import Bot, Clock, make_bot
from tests.scenarios import onboard, post_mission
from tests.test_privacy import everything_as_text
from tests.timeline import bot_at, run

T0 = datetime(2030, 12, 1, 9, 0, tzinfo=UTC)  # Sunday 1 December 2030, 10:00 in Paris
WARNING = "sera effacé le"
SORTING = "Tri alimentaire | samedi 14h-17h | Entrepôt | 3"  # Saturday 7 December 2030
SUMMER = "Fête d'été | samedi 5 juillet 2031 14h-17h | Parc | 5"
COMMENT = "Les cagettes de pommes étaient lourdes mais quelle ambiance"


@pytest.fixture
async def bot(any_url: str) -> AsyncIterator[Bot]:
    """The bot at T0, on SQLite and (when its URL is set) on PostgreSQL."""
    async with bot_at(any_url, T0) as harness:
        yield harness


async def at(bot: Bot, moment: datetime) -> None:
    """Set the clock to `moment` and let the bot do what became due."""
    assert moment >= bot.clock.now, "time only moves forward"
    bot.clock.now = moment
    await bot.core.tasks.run_due()
    await bot.core.delivery.flush()


def warnings(person: Person) -> list[str]:
    return [m.text for m in person.inbox if WARNING in m.text]


async def exists(bot: Bot, person: Person) -> bool:
    """Whether the person still has a profile (erasure removes their platform identity)."""
    async with bot.store.transaction() as tx:
        return await tx.people.identity("memory", person.user.user_id) is not None


async def admin_sets(bot: Bot, months: int, platform: MemoryPlatform | None = None) -> Person:
    """The admin confirms the organisation's retention period in its group."""
    admin = (platform or bot.platform).person("admin", "Adèle")
    await admin.join_group()
    await admin.say(f"/settings retention_months {months}", in_group=True)
    group = (platform or bot.platform).group.chat_id
    assert f"retention_months = {months}" in bot.outlet.chat(group).messages[-1].text
    return admin


async def member(bot: Bot, user_id: str, name: str) -> Person:
    person = bot.person(user_id, name)
    await person.join_group()
    await onboard(person)
    return person


async def erased_counts(bot: Bot) -> list[int | None]:
    """The organisations of the anonymous "retention_erased" entries."""
    async with bot.store.connection() as conn:
        rows = await conn.execute(
            select(interactions.c.org_id, interactions.c.volunteer_id).where(
                interactions.c.kind == "retention_erased"
            )
        )
        out = []
        for org_id, volunteer_id in rows.all():
            assert volunteer_id is None
            out.append(org_id)
        return out


async def test_an_inactive_volunteer_is_warned_once_after_quiet_hours_then_erased_on_the_date(
    bot: Bot,
) -> None:
    await admin_sets(bot, 24)
    zoe = await member(bot, "zoe-4242", "Zoé")
    await at(bot, datetime(2032, 11, 30, 12, 0, tzinfo=UTC))
    await at(bot, datetime(2032, 12, 1, 3, 0, tzinfo=UTC))  # 24 months minus 6 hours
    assert warnings(zoe) == []

    await at(bot, datetime(2032, 12, 2, 3, 0, tzinfo=UTC))  # the sweep, 04:00 in Paris
    assert warnings(zoe) == [], "not during the quiet hours"
    await at(bot, datetime(2032, 12, 2, 7, 59, tzinfo=UTC))
    assert warnings(zoe) == []
    await at(bot, datetime(2032, 12, 2, 8, 0, tzinfo=UTC))  # 09:00 in Paris
    [warning] = warnings(zoe)
    assert "Ton profil sera effacé le samedi 1er janvier faute d'activité" in warning
    assert "24 mois" in warning and "/forget" in warning
    assert zoe.inbox[-1].labels == ["Garder mon profil"]

    async with bot.store.transaction() as tx:  # the same day's sweep, run a second time
        await tx.tasks.schedule(SWEEP, "retention_sweep:again", bot.clock.now)
    await at(bot, bot.clock.now)
    for day in range(3, 32):  # the next sweeps
        await at(bot, datetime(2032, 12, day, 3, 0, tzinfo=UTC))
    assert len(warnings(zoe)) == 1, "one warning per period"
    await at(bot, datetime(2033, 1, 1, 7, 59, tzinfo=UTC))
    assert await exists(bot, zoe)

    before = await everything_as_text(bot)
    assert any("zoé" in text for text in before.values())
    await at(bot, datetime(2033, 1, 1, 8, 0, tzinfo=UTC))
    assert not await exists(bot, zoe)
    after = await everything_as_text(bot)
    for needle in ("zoé", "zoe-4242", "paris 75011", "permis b"):
        found = [name for name, text in after.items() if needle in text]
        assert not found, f"{needle!r} still in {found}"
    assert await erased_counts(bot) == [1], "Zoé; not the only admin, who did nothing either"


async def test_keeping_the_profile_cancels_the_erasure_and_starts_a_new_period(bot: Bot) -> None:
    await admin_sets(bot, 6)
    zoe = await member(bot, "zoe", "Zoé")
    await at(bot, datetime(2031, 6, 3, 12, 0, tzinfo=UTC))
    [warning] = warnings(zoe)
    assert "le jeudi 3 juillet" in warning and "6 mois" in warning
    await zoe.press("Garder mon profil")
    assert "Ton profil est gardé" in zoe.last and "6 mois" in zoe.last

    await at(bot, datetime(2031, 7, 4, 12, 0, tzinfo=UTC))  # after the announced date
    assert await exists(bot, zoe)
    await at(bot, datetime(2031, 12, 2, 12, 0, tzinfo=UTC))  # 6 months after the warning
    assert len(warnings(zoe)) == 1, "the period restarts from the press"
    await at(bot, datetime(2031, 12, 4, 12, 0, tzinfo=UTC))
    assert len(warnings(zoe)) == 2
    assert await exists(bot, zoe)


async def test_a_volunteer_with_a_sign_up_to_come_is_not_erased(bot: Bot) -> None:
    await admin_sets(bot, 6)
    coord = bot.person("coord", "Coralie")
    zoe = await member(bot, "zoe", "Zoé")
    bob = await member(bot, "bob", "Bob")
    alice = await member(bot, "alice", "Alice")
    summer = await post_mission(bot, coord, SUMMER)
    await zoe.press("Je participe", bot.card(summer))

    await at(bot, datetime(2031, 6, 3, 12, 0, tzinfo=UTC))
    assert warnings(zoe) == [], "signed up for 5 July"
    assert len(warnings(bob)) == 1 and len(warnings(alice)) == 1
    await bob.press("Je participe", bot.card(summer))  # a sign-up during the grace period

    await at(bot, datetime(2031, 7, 4, 12, 0, tzinfo=UTC))  # the announced date
    assert not await exists(bot, alice)
    assert await exists(bot, zoe) and await exists(bot, bob)
    async with bot.store.connection() as conn:
        notes = (
            await conn.execute(select(tasks.c.note).where(tasks.c.kind == "retention_erase"))
        ).scalars()
        assert "active again" in list(notes)


async def test_a_restart_between_warning_and_erasure_still_erases_on_time(any_url: str) -> None:
    async with bot_at(any_url, T0) as first:
        await admin_sets(first, 6)
        zoe = await member(first, "zoe", "Zoé")
        await at(first, datetime(2031, 6, 3, 12, 0, tzinfo=UTC))
        assert "le jeudi 3 juillet" in warnings(zoe)[0]
        moment = first.clock.now
    second = await make_bot(any_url, clock=Clock(moment))
    try:
        again = second.person("zoe", "Zoé")
        await at(second, datetime(2031, 6, 4, 3, 0, tzinfo=UTC))  # the next sweep
        assert warnings(again) == [], "not warned twice after the restart"
        await at(second, datetime(2031, 7, 3, 11, 59, tzinfo=UTC))
        assert await exists(second, again)
        await at(second, datetime(2031, 7, 3, 12, 0, tzinfo=UTC))
        assert not await exists(second, again)
    finally:
        await second.store.close()


async def test_an_active_volunteer_is_never_warned(bot: Bot) -> None:
    await admin_sets(bot, 6)
    coord = bot.person("coord", "Coralie")
    zoe = await member(bot, "zoe", "Zoé")
    idle = await member(bot, "idle", "Ines")
    for _ in range(7):  # 35 months, a sign-up every 5 months
        mission = await post_mission(bot, coord, SORTING)
        await zoe.press("Je participe", bot.card(mission))
        await run(bot, days=150)
    assert warnings(zoe) == []
    assert len(warnings(idle)) == 1, "the sweep did run"
    assert await exists(bot, zoe) and not await exists(bot, idle)


async def test_a_command_or_a_message_alone_counts_as_activity(bot: Bot) -> None:
    await admin_sets(bot, 6)
    chatty = await member(bot, "chatty", "Chloé")
    idle = await member(bot, "idle", "Ines")
    for _ in range(4):  # two years with only a /mymissions every 5 months, no sign-up
        await run(bot, days=150)
        await chatty.say("/mymissions")
    assert warnings(chatty) == []
    assert len(warnings(idle)) == 1
    assert await exists(bot, chatty)


async def test_erasure_keeps_the_stats_and_leaves_nothing_personal(bot: Bot) -> None:
    admin = await admin_sets(bot, 6)
    coord = bot.person("coord", "Coralie")
    zeph = bot.person("zeph-4242", "Zéphyrine")
    await zeph.join_group()
    await onboard(zeph, place="Montreuil 93100")
    mission = await post_mission(bot, coord, SORTING.replace("3", "2"))
    await coord.say(f"/invite {mission}")
    await zeph.press("Oui, je viens")
    await run(bot, days=6, hours=10)  # Saturday 7 December, 20:00: the follow-up
    await zeph.press("Oui, j'y étais")
    await zeph.press("⭐⭐⭐⭐")
    await zeph.say(COMMENT)
    assert "Merci pour ton retour" in zeph.last

    await at(bot, datetime(2031, 6, 9, 12, 0, tzinfo=UTC))
    [warning] = warnings(zeph)
    assert "le mercredi 9 juillet" in warning
    await at(bot, datetime(2031, 7, 9, 11, 0, tzinfo=UTC))
    await admin.say("/stats annee")
    hours_before = [line for line in admin.texts().splitlines() if "Heures données" in line]
    assert hours_before[-1].startswith("⏳ Heures données : 3 h"), hours_before
    await at(bot, datetime(2031, 7, 9, 12, 0, tzinfo=UTC))
    assert not await exists(bot, zeph)
    await admin.say("/stats annee")
    hours_after = [line for line in admin.texts().splitlines() if "Heures données" in line]
    assert hours_after[-1] == hours_before[-1]

    after = await everything_as_text(bot)
    for needle in ("zéphyrine", "zeph-4242", "montreuil", "93100", "cagettes", "permis b"):
        found = [name for name, text in after.items() if needle in text]
        assert not found, f"{needle!r} still in {found}"
    assert 1 in await erased_counts(bot)


async def test_two_organisations_the_longest_period_applies(bot: Bot) -> None:
    await admin_sets(bot, 6)
    club = MemoryPlatform(bot.core.handle, bot.outlet, "group-2", "Club de foot")
    await admin_sets(bot, 12, club)
    zoe = await member(bot, "zoe", "Zoé")
    await club.person("zoe", "Zoé").join_group()
    alice = await member(bot, "alice", "Alice")  # only in the food bank

    await at(bot, datetime(2031, 6, 3, 12, 0, tzinfo=UTC))
    assert len(warnings(alice)) == 1 and "6 mois" in warnings(alice)[0]
    assert warnings(zoe) == []
    await at(bot, datetime(2031, 11, 30, 12, 0, tzinfo=UTC))
    assert warnings(zoe) == []
    await at(bot, datetime(2031, 12, 3, 12, 0, tzinfo=UTC))
    [warning] = warnings(zoe)
    assert "12 mois" in warning and "le vendredi 2 janvier" in warning


async def test_privacy_notice_states_the_period(bot: Bot) -> None:
    await admin_sets(bot, 18)
    zoe = await member(bot, "zoe", "Zoé")
    await zoe.say("/privacy")
    assert "après 18 mois sans aucune activité" in zoe.texts()
    assert "30 jours plus tard" in zoe.texts() and "sans prévenir" in zoe.texts()
    loner = bot.person("loner", "Léo")  # in no organisation: the default
    await loner.say("/privacy")
    assert "après 24 mois sans aucune activité" in loner.texts()


async def org_settings(bot: Bot) -> dict[str, object]:
    async with bot.store.connection() as conn:
        value = (await conn.execute(select(organisations.c.settings))).scalar_one()
        return dict(value)


RANGE_FR = "Valeur impossible pour retention_months : donne un nombre entre 6 et 60."
RANGE_EN = "Impossible value for retention_months: give a number between 6 and 60."
NO_OFF_FR = "L'effacement des profils inactifs ne peut pas être désactivé"
NO_OFF_EN = "Erasing inactive profiles cannot be switched off"


@pytest.mark.parametrize(
    ("value", "french", "english"),
    [
        ("3", RANGE_FR, RANGE_EN),
        ("61", RANGE_FR, RANGE_EN),
        ("douze", RANGE_FR, RANGE_EN),
        ("-12", RANGE_FR, RANGE_EN),
        ("12 mois; DROP TABLE", RANGE_FR, RANGE_EN),
        ("0", NO_OFF_FR, NO_OFF_EN),
        ("off", NO_OFF_FR, NO_OFF_EN),
        ("Jamais", NO_OFF_FR, NO_OFF_EN),
    ],
)
async def test_bad_retention_values_are_refused_and_change_nothing(
    sqlite_url: str, value: str, french: str, english: str
) -> None:
    settings = Settings(database_url=sqlite_url, admins=("memory:admin", "memory:ann"))
    harness = await make_bot(sqlite_url, settings, Clock(T0))
    try:
        admin = await admin_sets(harness, 12)
        ann = harness.person("ann", "Ann", language="en")
        await ann.join_group()
        before = await org_settings(harness)
        await admin.say(f"/settings retention_months {value}")
        assert french in admin.last
        await ann.say(f"/settings retention_months {value}")
        assert english in ann.last
        assert await org_settings(harness) == before
        await admin.say("/settings")
        assert "retention_months = 12 : profils sans activité" in admin.last
    finally:
        await harness.store.close()


async def test_the_keep_button_of_an_erased_profile_says_it_is_too_late(bot: Bot) -> None:
    await admin_sets(bot, 6)
    zoe = await member(bot, "zoe", "Zoé")
    await at(bot, datetime(2031, 6, 3, 12, 0, tzinfo=UTC))
    warning = zoe.inbox[-1]
    await at(bot, datetime(2031, 7, 3, 12, 0, tzinfo=UTC))
    assert not await exists(bot, zoe)
    answer, alert = await zoe.press("Garder mon profil", warning)
    assert alert and answer is not None and "déjà été effacé" in answer


async def test_a_backlog_is_warned_over_several_sweeps_longest_inactive_first(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "MAX_WARNINGS", 2)
    admin = await admin_sets(bot, 6)  # the only admin: never warned nor erased
    first = await member(bot, "first", "Fanny")
    await run(bot, days=1)
    second = await member(bot, "second", "Sacha")
    await run(bot, days=1)
    third = await member(bot, "third", "Théo")
    await at(bot, datetime(2031, 7, 1, 12, 0, tzinfo=UTC))
    assert warnings(admin) == []
    assert len(warnings(first)) == 1 and len(warnings(second)) == 1
    assert warnings(third) == []
    await at(bot, datetime(2031, 7, 2, 3, 0, tzinfo=UTC))  # the next sweep, 05:00 in Paris
    await at(bot, datetime(2031, 7, 2, 7, 0, tzinfo=UTC))  # 09:00 in Paris
    assert len(warnings(third)) == 1


async def test_a_pause_with_a_return_date_counts_as_activity_until_it_ends(bot: Bot) -> None:
    await admin_sets(bot, 6)
    zoe = await member(bot, "zoe", "Zoé")
    await zoe.say("/pause 52 semaines")  # back on Sunday 30 November 2031
    await at(bot, datetime(2031, 6, 3, 12, 0, tzinfo=UTC))
    assert warnings(zoe) == []
    await at(bot, datetime(2032, 5, 29, 12, 0, tzinfo=UTC))
    assert warnings(zoe) == []
    await at(bot, datetime(2032, 6, 1, 12, 0, tzinfo=UTC))
    assert len(warnings(zoe)) == 1


def test_months_before_clamps_to_the_end_of_the_month() -> None:
    assert months_before(datetime(2031, 3, 31, 8, tzinfo=UTC), 1) == datetime(
        2031, 2, 28, 8, tzinfo=UTC
    )
    assert months_before(datetime(2032, 8, 31, tzinfo=UTC), 6) == datetime(2032, 2, 29, tzinfo=UTC)
    assert months_before(T0, 24) == T0 - timedelta(days=730)
