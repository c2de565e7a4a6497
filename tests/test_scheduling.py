"""What the bot does on its own, on a fake clock: reminders, offers, waves, follow-ups."""

from __future__ import annotations

from sqlalchemy import select

from adapters.memory import Person
from data.records import SignupStatus
from data.schema import outbox, tasks
from tests.harness import Bot
from tests.scenarios import onboard, post_mission

# Saturday 5 December 2026, 14:00-17:00 in Paris (now: Sunday 29 November, 10:00).
MISSION = "Tri alimentaire | samedi 14h-17h | Entrepôt | 2 | manutention"


async def member(bot: Bot, user_id: str, name: str, skills: str = "manutention") -> Person:
    person = bot.person(user_id, name)
    await person.join_group()
    await onboard(person, skills=skills)
    return person


async def run(bot: Bot, **delta: float) -> None:
    """Move the clock and let the bot do what became due."""
    bot.clock.advance(**delta)
    await bot.core.tasks.run_due()
    await bot.core.delivery.flush()


async def task_states(bot: Bot) -> dict[str, str]:
    async with bot.store.connection() as conn:
        rows = (await conn.execute(select(tasks.c.key, tasks.c.status))).all()
    return {r.key: r.status for r in rows}


async def test_publishing_plans_reminders_summary_and_followup(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    mission_id = await post_mission(bot, coord, MISSION)
    keys = sorted(k for k in await task_states(bot) if not k.startswith("retrain:"))
    start = "2026-12-05T13:00:00+00:00"
    assert keys == sorted(
        [
            f"reminder:{mission_id}:24h:{start}",
            f"reminder:{mission_id}:2h:{start}",
            f"summary:{mission_id}:{start}",
            f"followup:{mission_id}:{start}",
            f"autoinvite:{mission_id}:{start}",
        ]
    )


async def test_reminder_asks_still_coming_and_yes_is_recorded(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    alice = await member(bot, "alice", "Alice")
    bob = await member(bot, "bob", "Bob")
    mission_id = await post_mission(bot, coord, MISSION)
    await alice.press("Je participe", bot.card(mission_id))
    await bob.press("Je participe", bot.card(mission_id))

    await run(bot, days=5, hours=4)  # Friday 14:00: the 24 h reminder
    assert "Rappel" in alice.last and "Toujours partant" in alice.last
    assert "Rappel" in bob.last
    await alice.press("Oui, je viens")
    assert "À bientôt" in alice.last

    await run(bot, hours=21)  # Saturday 11:00: the coordinator's summary
    assert "Pas de réponse au rappel : Bob" in coord.last
    assert "2/2 inscrits" in coord.last


async def test_cant_come_any_more_withdraws_and_offers_the_place(bot: Bot) -> None:
    coord = bot.person("coord")
    people = [await member(bot, n, n.title()) for n in ("alice", "bob", "carol")]
    _, bob, carol = people
    mission_id = await post_mission(bot, coord, MISSION)
    for person in people:
        await person.press("Je participe", bot.card(mission_id))
    assert "1 en liste d'attente" in bot.card(mission_id).text

    await run(bot, days=5, hours=4)
    await bob.press("Je ne peux plus")
    assert "retiré·e" in bob.last
    assert "Une place s'est libérée" in carol.last and "confirmes avant" in carol.last
    await carol.press("Je confirme")
    async with bot.store.transaction() as tx:
        statuses = sorted(s.status for s in await tx.missions.signups(mission_id))
    assert statuses == sorted(
        [SignupStatus.CONFIRMED, SignupStatus.CONFIRMED, SignupStatus.WITHDRAWN]
    )


async def test_an_unconfirmed_offer_goes_to_the_next_person(bot: Bot) -> None:
    coord = bot.person("coord")
    people = [await member(bot, n, n.title()) for n in ("alice", "bob", "carol", "dan")]
    alice, _, carol, dan = people
    mission_id = await post_mission(bot, coord, MISSION)
    for person in people:
        await person.press("Je participe", bot.card(mission_id))
    await alice.press("Me retirer", bot.card(mission_id))
    assert "Une place s'est libérée" in carol.last
    assert "Une place" not in dan.texts()

    await run(bot, hours=13)  # Carol's 12 hours to confirm are over
    assert "proposée à la personne suivante" in carol.last
    assert "Une place s'est libérée" in dan.last
    async with bot.store.transaction() as tx:
        by_person = {s.volunteer_id: s.status for s in await tx.missions.signups(mission_id)}
    assert sorted(by_person.values()) == sorted(
        [
            SignupStatus.WITHDRAWN,
            SignupStatus.CONFIRMED,
            SignupStatus.WITHDRAWN,
            SignupStatus.OFFERED,
        ]
    )
    answer, alert = await carol.press("Je confirme")
    assert answer is not None and "plus réservée" in answer and alert


async def test_moved_mission_drops_old_reminders_and_plans_new_ones(bot: Bot) -> None:
    coord = bot.person("coord")
    alice = await member(bot, "alice", "Alice")
    mission_id = await post_mission(bot, coord, MISSION)
    await alice.press("Je participe", bot.card(mission_id))
    await coord.say(f"/mission edit {mission_id}")
    await coord.press("la date")
    await coord.say("dimanche 6 décembre 10h-12h")
    assert "a changé" in alice.last
    await run(bot, days=5, hours=4)  # the old Friday 14:00 reminder time
    assert "Rappel" not in alice.last
    states = await task_states(bot)
    old = [k for k in states if k.startswith(f"reminder:{mission_id}:24h:2026-12-05")]
    assert old and all(states[k] == "dropped" for k in old)
    await run(bot, hours=20)  # Saturday 10:00: 24 h before the new time
    assert "Rappel" in alice.last and "dimanche 6 décembre, 10:00–12:00" in alice.last


async def test_cancelled_mission_sends_no_reminder(bot: Bot) -> None:
    coord = bot.person("coord")
    alice = await member(bot, "alice", "Alice")
    mission_id = await post_mission(bot, coord, MISSION)
    await alice.press("Je participe", bot.card(mission_id))
    await coord.say(f"/mission cancel {mission_id}", in_group=True)
    await coord.press("Oui, annuler", bot.group_messages[-1])
    await run(bot, days=6)
    assert "Rappel" not in alice.texts()


async def test_followup_records_attendance_hours_rating_and_comment(bot: Bot) -> None:
    coord = bot.person("coord")
    alice = await member(bot, "alice", "Alice")
    mission_id = await post_mission(bot, coord, MISSION)
    await alice.press("Je participe", bot.card(mission_id))
    await run(bot, days=6, hours=10)  # Saturday 19:00, two hours after the end
    assert "Es-tu venu·e" in alice.last
    await alice.press("Oui, j'y étais")
    assert "3 h de bénévolat" in alice.last
    await alice.press("⭐⭐⭐⭐⭐", alice.inbox[-1])
    await alice.say("Super ambiance, merci !")
    assert "Merci pour ton retour" in alice.last
    async with bot.store.connection() as conn:
        from data.schema import signups

        row = (
            await conn.execute(select(signups.c.status, signups.c.rating, signups.c.comment))
        ).one()
    assert tuple(row) == ("attended", 5, "Super ambiance, merci !")


async def test_repeated_no_shows_alert_the_coordinator(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    alice = await member(bot, "alice", "Alice")
    for day in ("samedi", "dimanche"):
        mission_id = await post_mission(bot, coord, f"Tri | {day} 14h-17h | Entrepôt | 2")
        await alice.press("Je participe", bot.card(mission_id))
    await run(bot, days=8)
    for message in [m for m in alice.inbox if "Es-tu venu·e" in m.text]:
        await alice.press("Non, je n'ai pas pu", message)
    assert "Alice n'est pas venu·e à 2 de ses 2 dernières missions" in coord.last


async def test_invite_sends_a_wave_sized_on_open_places_with_reasons(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    movers = [await member(bot, f"m{i}", f"Mover{i}", "manutention, logistique") for i in range(5)]
    cooks = [await member(bot, f"c{i}", f"Cook{i}", "cuisine") for i in range(3)]
    mission_id = await post_mission(bot, coord, MISSION)
    await coord.say(f"/invite {mission_id}")
    assert "4 invitation(s) envoyée(s)" in coord.last
    invited = [p for p in movers + cooks if "Une mission pourrait te plaire" in p.texts()]
    assert len(invited) == 4
    assert all(p in movers for p in invited), "handlers first for a handling mission"
    assert "Pourquoi toi : Manutention" in invited[0].last
    assert "Réponds avant" in invited[0].last

    await invited[0].press("Oui, je viens")
    assert "1/2" in bot.card(mission_id).text
    for person in invited[1:]:
        await person.press("Pas cette fois")
    second = [
        p
        for p in movers + cooks
        if p not in invited and "Une mission pourrait te plaire" in p.texts()
    ]
    assert len(second) == 2, "everyone answered: the next wave (2 x 1 open place) went at once"


async def test_wave_deadline_expires_and_the_next_wave_goes(bot: Bot) -> None:
    coord = bot.person("coord")
    people = [await member(bot, f"v{i}", f"V{i}") for i in range(6)]
    mission_id = await post_mission(bot, coord, MISSION)
    await coord.say(f"/invite {mission_id}")
    first = [p for p in people if "Une mission pourrait te plaire" in p.texts()]
    assert len(first) == 4
    await run(bot, hours=13)  # Sunday 23:00: the wave expired; the next one waits for 09:00
    assert not [p for p in people if p not in first and "Une mission" in p.texts()]
    await run(bot, hours=10)
    second = [p for p in people if p not in first and "Une mission pourrait te plaire" in p.texts()]
    assert len(second) == 2
    invitation = next(m for m in first[0].inbox if "Une mission" in m.text)
    answer, _ = await first[0].press("Oui, je viens", invitation)
    assert answer is not None and "inscrit" in answer, (
        "a late answer still counts while places are free"
    )


async def test_match_shows_candidates_and_reasons_privately(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    await member(bot, "g1", "Gaëlle", "jardinage")
    await member(bot, "m1", "Malik", "manutention")
    mission_id = await post_mission(bot, coord, MISSION)
    group_before = len(bot.group_messages)
    await coord.say(f"/match {mission_id}", in_group=True)
    assert len(bot.group_messages) == group_before, "personal details stay private"
    lines = coord.last.splitlines()
    assert lines[1].startswith("1. Malik") and "Manutention" in lines[1]
    await coord.press("Inviter Malik")
    malik = bot.person("m1", "Malik")
    assert "Une mission pourrait te plaire" in malik.last


async def test_quiet_hours_hold_invitations_until_morning(bot: Bot) -> None:
    coord = bot.person("coord")
    vera = await member(bot, "vera", "Vera")
    mission_id = await post_mission(bot, coord, MISSION)
    bot.clock.advance(hours=12, minutes=30)  # Sunday 22:30 in Paris
    await coord.say(f"/invite {mission_id}")
    assert "Une mission" not in vera.texts()
    async with bot.store.connection() as conn:
        not_before = (
            await conn.execute(
                select(outbox.c.not_before)
                .where(outbox.c.kind == "private")
                .order_by(outbox.c.id.desc())
            )
        ).first()
    assert not_before is not None and not_before[0].hour == 8  # 09:00 in Paris, in UTC
    await run(bot, hours=10)  # 08:30 in Paris: still quiet
    assert "Une mission" not in vera.texts()
    await run(bot, minutes=30)
    assert "Une mission pourrait te plaire" in vera.last


async def test_fewer_messages_caps_invitations(bot: Bot) -> None:
    coord = bot.person("coord")
    vera = await member(bot, "vera", "Vera")
    first = await post_mission(bot, coord, MISSION)
    second = await post_mission(bot, coord, "Tri | dimanche 10h-12h | Entrepôt | 2 | manutention")
    await coord.say(f"/invite {first}")
    await vera.press("Moins de messages")
    assert "au plus une fois par semaine" in vera.last
    await coord.say(f"/invite {second}")
    assert "Plus personne" in coord.last


async def test_admins_set_the_reminder_times_of_their_association(bot: Bot) -> None:
    admin = bot.person("admin", "Agnès")
    await admin.say("/settings", in_group=True)
    assert "reminder_hours = 24, 2" in admin.last
    await admin.say("/settings reminder_hours 48,2", in_group=True)
    assert "reminder_hours = 48, 2" in bot.group_messages[-1].text
    for bad in ("reminder_hours 0", "reminder_hours abc", "quiet_start 25", "wave_factor 9"):
        await admin.say(f"/settings {bad}", in_group=True)
        assert "Valeur impossible" in bot.group_messages[-1].text, bad
    await admin.say("/settings colour blue", in_group=True)
    assert "Je ne connais pas le réglage « colour »" in bot.group_messages[-1].text
    volunteer = bot.person("vic", "Vic")
    await volunteer.say("/settings reminder_hours 1", in_group=True)
    assert "Seuls les admins" in bot.group_messages[-1].text
    mission_id = await post_mission(bot, admin, MISSION)
    assert f"reminder:{mission_id}:48h:2026-12-05T13:00:00+00:00" in await task_states(bot)


async def test_short_mission_alert_waits_for_the_end_of_quiet_hours(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    await member(bot, "alice", "Alice", "cuisine")
    mission_id = await post_mission(bot, coord, "Tri | samedi 8h-10h | Entrepôt | 3 | manutention")
    await run(bot, days=2, hours=22)  # Wednesday 08:00 in Paris: 72 h before, still quiet
    assert "n'a que" not in coord.texts()
    await run(bot, hours=1)
    assert f"« Tri » ({'samedi 5 décembre, 08:00–10:00'}) n'a que 0/3 inscrits" in coord.last
    assert mission_id == 1


async def test_the_weekly_suggestion_can_be_tuned_or_turned_off(bot: Bot) -> None:
    admin = bot.person("admin", "Agnès")
    await admin.say("/settings digest_size 0", in_group=True)
    assert "digest_size = 0" in bot.group_messages[-1].text
    await admin.say("/settings digest_weekday 7", in_group=True)
    assert "Valeur impossible pour digest_weekday" in bot.group_messages[-1].text
    async with bot.store.transaction() as tx:
        org = await tx.orgs.get(1)
    assert org is not None and org.settings["digest_size"] == 0


async def test_an_invitation_still_waiting_when_it_expires_is_dropped_not_sent_late(
    bot: Bot,
) -> None:
    coord = bot.person("coord")
    vera = await member(bot, "vera", "Vera")
    mission_id = await post_mission(bot, coord, MISSION)
    bot.clock.advance(hours=12, minutes=30)  # Sunday 22:30: the invitation waits for 09:00
    await coord.say(f"/invite {mission_id}")
    bot.core.detach("memory")  # the platform is down all night and past the deadline
    bot.clock.advance(days=1)
    bot.core.attach(bot.outlet)
    await bot.core.delivery.flush()
    assert "Une mission" not in vera.texts()
    async with bot.store.connection() as conn:
        status = (
            await conn.execute(
                select(outbox.c.status).where(outbox.c.idempotency_key.startswith("invite:"))
            )
        ).scalar_one()
    assert status == "dropped"
