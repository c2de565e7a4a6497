"""The whole volunteer loop through the real core: onboarding, missions, sign-ups, waitlist, cancel."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from data.records import SignupStatus
from data.schema import consents, signups
from tests.harness import Bot, make_bot
from tests.scenarios import onboard, post_mission

MISSION = "Tri alimentaire | samedi 14h-17h | Entrepôt, 12 rue des Lilas | 2 | manutention, accueil"


async def test_onboarding_stores_what_the_person_said(bot: Bot) -> None:
    alice = bot.person("alice", "Alice")
    await alice.say("/start")
    assert "Bienvenue Alice" in alice.last
    await alice.press("J'accepte")
    await alice.say("jardinnage et un peu de cuisinne, permis b")
    understood = alice.last
    assert "Jardinage" in understood and "Cuisine" in understood, understood
    await alice.press("Oui, c'est ça")
    grid = alice.inbox[-1]
    await alice.press("sam. matin", grid)
    await alice.press("dim. soir", grid)
    assert grid.edits == 2, "the grid is edited in place"
    assert "sam. matin" in grid.text and "dim. soir" in grid.text
    await alice.press("Valider", grid)
    await alice.say("Montreuil 93100")
    await alice.press("3 par semaine")
    assert "ton profil est prêt" in alice.last

    async with bot.store.transaction() as tx:
        identity = await tx.people.identity("memory", "alice")
        assert identity is not None
        volunteer = await tx.people.get(identity.volunteer_id)
        assert volunteer is not None and volunteer.onboarded
        assert volunteer.postcode == "93100"
        assert volunteer.location_text == "Montreuil 93100"
        assert volunteer.max_invitations_per_week == 3
        skill_ids = {s.skill_id for s in await tx.people.skills(volunteer.id)}
        assert {"gardening", "cooking"} <= skill_ids or len(skill_ids - {None}) >= 2
        assert await tx.people.availability(volunteer.id) == {(5, "morning"), (6, "evening")}
        consent = await tx.people.consent(volunteer.id, "profile")
        assert consent is not None and consent[0] == "2026-11"


async def test_onboarding_in_english_for_an_english_locale(bot: Bot) -> None:
    sam = bot.person("sam", "Sam", language="en-GB")
    await sam.say("/start")
    assert "Welcome Sam" in sam.last
    await sam.press("I agree")
    await sam.say("gardening, cooking")
    await sam.press("Yes, that's right")
    await sam.press("Sat afternoon")
    await sam.press("Done")
    await sam.press("Skip")
    await sam.press("2 a week")
    assert "your profile is ready" in sam.last
    await sam.say("/language fr")
    assert "je te parlerai en français" in sam.last
    await sam.say("/profile")
    assert "sam. après-midi" in sam.last


async def test_refusing_consent_stores_nothing(bot: Bot) -> None:
    zoe = bot.person("zoe")
    await zoe.say("/start")
    await zoe.press("Non merci")
    assert "je n'enregistre rien" in zoe.last
    async with bot.store.connection() as conn:
        assert (await conn.execute(select(func.count()).select_from(consents))).scalar_one() == 0
    await zoe.say("cuisine")
    assert "Je n'ai pas compris" in zoe.last


async def test_coordinator_posts_a_mission_and_the_card_shows_counts(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    mission_id = await post_mission(bot, coord, MISSION)
    card = bot.card(mission_id)
    assert "Tri alimentaire" in card.text
    assert "samedi 5 décembre, 14:00–17:00" in card.text
    assert "Entrepôt, 12 rue des Lilas" in card.text
    assert "0/2 inscrits" in card.text
    assert card.labels == ["Je participe", "Détails", "Me retirer"]


async def test_summary_echoes_the_understood_date_before_publishing(bot: Bot) -> None:
    coord = bot.person("coord")
    bot.platform.chat_admins.add("coord")
    await coord.say("/mission Maraude | demain 18h30 | Gare du Nord | 3", in_group=True)
    summary = bot.group_messages[-1]
    assert "lundi 30 novembre, 18:30–20:30" in summary.text
    assert "2 heures" in summary.text  # the guessed end is said, not hidden
    await coord.press("Annuler", summary)
    assert "rien n'a été publié" in bot.group_messages[-1].text
    async with bot.store.transaction() as tx:
        assert await tx.missions.get(1) is None


async def test_guided_mission_dialog_in_private(bot: Bot) -> None:
    coord = bot.person("coord")
    bot.platform.chat_admins.add("coord")
    await coord.say("/missions", in_group=True)  # makes coord a coordinator of the group's org
    await coord.say("/mission")
    assert "Quel est son titre" in coord.last
    await coord.say("Distribution de colis")
    await coord.press("Passer")
    await coord.say("le 12 décembre de 9h à 12h")
    assert "samedi 12 décembre, 09:00–12:00" in coord.texts()
    await coord.say("Local de l'asso")
    await coord.say("manutention")
    await coord.press("4")
    assert "Distribution de colis" in coord.last and "4 places" in coord.last
    await coord.press("Publier")
    card = bot.card(1)
    assert "0/4" in card.text and "Manutention" in card.text


async def test_signups_fill_the_mission_then_the_waitlist_then_promotion(bot: Bot) -> None:
    coord = bot.person("coord")
    alice, bob, carol = (
        bot.person("alice", "Alice"),
        bot.person("bob", "Bob"),
        bot.person("carol", "Carol"),
    )
    for person in (alice, bob, carol):
        await onboard(person)
    mission_id = await post_mission(bot, coord, MISSION)

    answer, _ = await alice.press("Je participe", bot.card(mission_id))
    assert answer is not None and "inscrit" in answer
    assert "1/2 inscrits" in bot.card(mission_id).text

    await bob.reply(bot.card(mission_id), "moi !")
    assert "2/2 inscrits" in bot.card(mission_id).text
    assert "Bob est inscrit·e" in bot.group_messages[-1].text

    answer, _ = await carol.press("Je participe", bot.card(mission_id))
    assert answer is not None and "liste d'attente" in answer
    assert "1 en liste d'attente" in bot.card(mission_id).text

    await alice.press("Me retirer", bot.card(mission_id))
    assert "Une place s'est libérée" in carol.last, "the place is offered to Carol privately"
    card = bot.card(mission_id)
    assert "2/2 inscrits" in card.text and "1 en liste d'attente" not in card.text
    await carol.press("Je confirme")
    assert "C'est confirmé" in carol.last
    async with bot.store.transaction() as tx:
        statuses = {s.volunteer_id: s.status for s in await tx.missions.signups(mission_id)}
    assert sorted(statuses.values()) == sorted(
        [SignupStatus.WITHDRAWN, SignupStatus.CONFIRMED, SignupStatus.CONFIRMED]
    )


async def test_unclear_reply_gets_buttons_not_a_guess(bot: Bot) -> None:
    coord, dan = bot.person("coord"), bot.person("dan", "Dan")
    await onboard(dan)
    mission_id = await post_mission(bot, coord, MISSION)
    await dan.reply(bot.card(mission_id), "c'est à quelle heure déjà ?")
    question = bot.group_messages[-1]
    assert "je n'ai pas bien compris" in question.text
    assert "Je participe" in question.labels
    assert "0/2" in bot.card(mission_id).text
    await dan.press("Je participe", question)
    assert "1/2" in bot.card(mission_id).text


async def test_reply_to_withdraw_in_words(bot: Bot) -> None:
    coord, eve = bot.person("coord"), bot.person("eve", "Eve")
    await onboard(eve)
    mission_id = await post_mission(bot, coord, MISSION)
    await eve.reply(bot.card(mission_id), "je viens")
    assert "1/2" in bot.card(mission_id).text
    await eve.reply(bot.card(mission_id), "finalement je peux pas, désolée")
    assert "0/2" in bot.card(mission_id).text
    assert "Eve s'est retiré·e" in bot.group_messages[-1].text


async def test_newcomer_tapping_join_is_onboarded_privately_then_signed_up(bot: Bot) -> None:
    coord, fred = bot.person("coord"), bot.person("fred", "Fred")
    mission_id = await post_mission(bot, coord, MISSION)
    answer, alert = await fred.press("Je participe", bot.card(mission_id))
    assert answer is not None and "écrit en privé" in answer and alert
    assert "0/2" in bot.card(mission_id).text
    assert "Bienvenue Fred" in fred.last
    await fred.press("J'accepte")
    await fred.say("manutention")
    await fred.press("Oui, c'est ça")
    await fred.press("Valider")
    await fred.press("Passer")
    await fred.press("1 par semaine")
    assert "Tu es inscrit·e à « Tri alimentaire »" in fred.texts()
    assert "1/2" in bot.card(mission_id).text


async def test_cancel_tells_signed_up_people_and_freezes_the_card(bot: Bot) -> None:
    coord, gaby = bot.person("coord"), bot.person("gaby", "Gaby")
    await onboard(gaby)
    mission_id = await post_mission(bot, coord, MISSION)
    await gaby.press("Je participe", bot.card(mission_id))
    await coord.say(f"/mission cancel {mission_id}", in_group=True)
    await coord.press("Oui, annuler", bot.group_messages[-1])
    assert "1 personne(s) prévenue(s)" in bot.group_messages[-1].text
    assert "est annulée" in gaby.last
    card = bot.card(mission_id)
    assert "MISSION ANNULÉE" in card.text and card.labels == []


async def test_button_on_a_cancelled_mission_changes_nothing(bot: Bot) -> None:
    coord, ines = bot.person("coord"), bot.person("ines", "Inès")
    await onboard(ines)
    mission_id = await post_mission(bot, coord, MISSION)
    old_card = bot.card(mission_id)
    stale_buttons = old_card.buttons
    await coord.say(f"/mission cancel {mission_id}", in_group=True)
    await coord.press("Oui, annuler", bot.group_messages[-1])
    old_card.buttons = stale_buttons  # a client that still shows the old buttons
    answer, alert = await ines.press("Je participe", old_card)
    assert answer is not None and "annulée" in answer and alert
    async with bot.store.transaction() as tx:
        assert await tx.missions.signups(mission_id) == []


async def test_same_button_pressed_twice_at_once_signs_up_once(bot: Bot) -> None:
    coord, jade = bot.person("coord"), bot.person("jade", "Jade")
    await onboard(jade)
    mission_id = await post_mission(bot, coord, MISSION)
    card = bot.card(mission_id)
    answers = await asyncio.gather(*(jade.press("Je participe", card) for _ in range(4)))
    texts = [a[0] or "" for a in answers]
    assert sum("inscrit·e ✅" in t for t in texts) == 1, texts
    assert sum("déjà inscrit" in t for t in texts) == 3, texts
    async with bot.store.connection() as conn:
        count = (await conn.execute(select(func.count()).select_from(signups))).scalar_one()
    assert count == 1
    assert "1/2" in bot.card(mission_id).text


async def test_last_place_taken_by_two_people_at_once(bot: Bot) -> None:
    coord = bot.person("coord")
    people = [bot.person(f"p{i}") for i in range(5)]
    for person in people:
        await onboard(person)
    mission_id = await post_mission(bot, coord, MISSION)
    card = bot.card(mission_id)
    await asyncio.gather(*(p.press("Je participe", card) for p in people))
    async with bot.store.transaction() as tx:
        confirmed, waitlisted = await tx.missions.counts(mission_id)
    assert (confirmed, waitlisted) == (2, 3)


async def test_restart_in_the_middle_of_onboarding_resumes(bot: Bot) -> None:
    kim = bot.person("kim", "Kim")
    await kim.say("/start")
    await kim.press("J'accepte")
    await kim.say("cuisine")
    await bot.store.close()

    restarted = await make_bot(bot.store.url.replace("sqlite+aiosqlite", "sqlite"), clock=bot.clock)
    try:
        kim_again = restarted.person("kim", "Kim")
        await kim_again.say("/start")
        assert "On reprend" in kim_again.texts()
        await kim_again.press("Oui, c'est ça")
        await kim_again.press("Valider")
        await kim_again.press("Passer")
        await kim_again.press("2 par semaine")
        assert "ton profil est prêt" in kim_again.last
    finally:
        await restarted.store.close()


async def test_cancel_command_leaves_the_dialog(bot: Bot) -> None:
    lea = bot.person("lea")
    await lea.say("/start")
    await lea.say("/cancel")
    assert "C'est annulé" in lea.last
    await lea.say("/cancel")
    assert "rien en cours" in lea.last


async def test_a_skill_said_under_a_card_is_proposed_privately_and_added_on_confirmation(
    bot: Bot,
) -> None:
    coord, nina = bot.person("coord"), bot.person("nina", "Nina")
    await onboard(nina, skills="cuisine")
    mission_id = await post_mission(bot, coord, MISSION)
    await nina.reply(bot.card(mission_id), "je peux conduire le camion")
    assert "0/2" in bot.card(mission_id).text, "a statement is not a sign-up"
    assert "Ajouter à ton profil" in nina.last
    async with bot.store.transaction() as tx:
        identity = await tx.people.identity("memory", "nina")
        assert identity is not None
        before = {s.skill_id for s in await tx.people.skills(identity.volunteer_id)}
    await nina.press("Oui, ajouter")
    assert "Ajouté à ton profil" in nina.last
    async with bot.store.transaction() as tx:
        after = {s.skill_id for s in await tx.people.skills(identity.volunteer_id)}
    assert before < after and "cooking" in after


async def test_availability_said_under_a_card_offers_the_grid_and_changes_nothing_alone(
    bot: Bot,
) -> None:
    coord, omar = bot.person("coord"), bot.person("omar", "Omar")
    await onboard(omar)
    mission_id = await post_mission(bot, coord, MISSION)
    await omar.reply(bot.card(mission_id), "que le matin pour moi")
    assert "mettre à jour tes disponibilités" in omar.last
    await omar.press("Non merci")
    async with bot.store.transaction() as tx:
        identity = await tx.people.identity("memory", "omar")
        assert identity is not None
        assert await tx.people.availability(identity.volunteer_id) == {(5, "afternoon")}
    await omar.press("Ouvrir ma grille", omar.inbox[-1])
    assert "Quand es-tu disponible" in omar.last


async def test_missions_in_private_put_the_ones_that_fit_first_and_say_why(bot: Bot) -> None:
    coord, gaia = bot.person("coord"), bot.person("gaia", "Gaïa")
    await gaia.join_group()
    await onboard(gaia, skills="jardinage")
    await post_mission(bot, coord, "Tri | samedi 9h-12h | Entrepôt | 2 | manutention")
    await post_mission(bot, coord, "Potager partagé | dimanche 14h-17h | Jardin | 2 | jardinage")
    await gaia.say("/missions")
    lines = gaia.last.splitlines()
    assert lines[1].startswith("⭐ #2 Potager partagé"), lines
    assert "pour toi : Jardinage" in lines[2]
    assert lines[3].startswith("#1 Tri"), "missions that do not fit still follow"
    await coord.say("/missions", in_group=True)
    group = bot.group_messages[-1].text
    assert "⭐" not in group, "in a group, nothing personal: missions by date"


async def test_sharing_a_position_answers_the_where_step_and_is_kept_privately(bot: Bot) -> None:
    pia = bot.person("pia", "Pia")
    await pia.say("/start")
    await pia.press("J'accepte")
    await pia.say("cuisine")
    await pia.press("Oui, c'est ça")
    await pia.press("Valider")
    await pia.share_location(48.85, 2.35)
    assert "Combien de propositions" in pia.last, "the position answered the 'where' step"
    await pia.press("2 par semaine")
    async with bot.store.transaction() as tx:
        identity = await tx.people.identity("memory", "pia")
        assert identity is not None
        volunteer = await tx.people.get(identity.volunteer_id)
    assert volunteer is not None and (volunteer.latitude, volunteer.longitude) == (48.85, 2.35)
    await pia.share_location(123.0, 2.0)
    assert "pas valide" in pia.last
