"""Bad input through the real core: each gets a clear French answer and changes nothing.

Missing and malformed arguments, dates in the past or not understood, huge texts,
control characters, stale and forged buttons, people without the right role. Markup,
SQL-looking text, emoji and right-to-left text are legitimate: they are stored and shown
exactly as typed. (Presses on a cancelled mission and the same button pressed twice at
once are in test_volunteer_loop.py.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import Select, inspect, select

from adapters.memory import MemoryPlatform, Person
from bot.events import Button
from data.schema import (
    availability,
    chat_spaces,
    consents,
    conversations,
    interactions,
    memberships,
    metadata,
    mission_skills,
    missions,
    organisations,
    outbox,
    signups,
    volunteer_skills,
    volunteers,
)
from tests.harness import Bot
from tests.scenarios import onboard, post_mission

MISSION = "Tri alimentaire | samedi 14h-17h | Entrepôt, 12 rue des Lilas | 2 | manutention"
HUGE = "x" * 5000  # over the 4,000 characters the core accepts in one message

# --- what "nothing changed" means ----------------------------------------------------

State = dict[str, list[tuple[Any, ...]]]

# Everything a person's input could change, without the timestamps that every event
# touches (identities.last_seen_at) or that are only bookkeeping (updated_at).
_WATCHED: dict[str, Select[Any]] = {
    "organisations": select(organisations.c.id, organisations.c.name),
    "chat_spaces": select(chat_spaces.c.id, chat_spaces.c.org_id, chat_spaces.c.chat_id),
    "volunteers": select(
        volunteers.c.id,
        volunteers.c.display_name,
        volunteers.c.language,
        volunteers.c.location_text,
        volunteers.c.postcode,
        volunteers.c.max_invitations_per_week,
        volunteers.c.paused_until,
        volunteers.c.onboarded_at,
    ),
    "memberships": select(memberships.c.org_id, memberships.c.volunteer_id, memberships.c.role),
    "volunteer_skills": select(
        volunteer_skills.c.volunteer_id, volunteer_skills.c.skill_id, volunteer_skills.c.raw_text
    ),
    "availability": select(
        availability.c.volunteer_id, availability.c.weekday, availability.c.part
    ),
    "consents": select(consents.c.volunteer_id, consents.c.purpose, consents.c.withdrawn_at),
    "missions": select(
        missions.c.id,
        missions.c.title,
        missions.c.description,
        missions.c.starts_at,
        missions.c.ends_at,
        missions.c.place,
        missions.c.slots,
        missions.c.status,
        missions.c.coordinator_id,
        missions.c.card_message_id,
        missions.c.version,
    ),
    "mission_skills": select(
        mission_skills.c.mission_id, mission_skills.c.skill_id, mission_skills.c.raw_text
    ),
    "signups": select(signups.c.mission_id, signups.c.volunteer_id, signups.c.status),
    "conversations": select(
        conversations.c.platform_user_id,
        conversations.c.chat_id,
        conversations.c.flow,
        conversations.c.step,
        conversations.c.data,
    ),
    "interactions": select(interactions.c.kind, interactions.c.volunteer_id),
    "outbox": select(outbox.c.idempotency_key, outbox.c.status),
}


async def db_state(bot: Bot) -> State:
    """The rows of every watched table, in a stable order."""
    state: State = {}
    async with bot.store.connection() as conn:
        for name, query in _WATCHED.items():
            rows = (await conn.execute(query)).all()
            state[name] = sorted((tuple(row) for row in rows), key=repr)
    return state


@asynccontextmanager
async def nothing_changes(bot: Bot) -> AsyncIterator[None]:
    """Fail if the database differs after the block from what it was before."""
    before = await db_state(bot)
    yield
    after = await db_state(bot)
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, f"the database changed: {changed}"


async def table_names(bot: Bot) -> set[str]:
    async with bot.store.connection() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def mission_rows(bot: Bot) -> list[tuple[Any, ...]]:
    return (await db_state(bot))["missions"]


def says(text: str, expected: str) -> bool:
    """Whether `text` holds every part of `expected` ("titre … trop long": both of them)."""
    return all(part in text for part in expected.split(" … "))


# --- people ----------------------------------------------------------------------------


async def coordinator(bot: Bot, user_id: str = "coord", name: str = "Coralie") -> Person:
    """A group chat admin who has spoken in the group, so a coordinator of its association."""
    person = bot.person(user_id, name)
    bot.platform.chat_admins.add(user_id)
    await person.say("/missions", in_group=True)
    return person


async def member(bot: Bot, user_id: str = "vera", name: str = "Véra") -> Person:
    """A plain member of the group (role volunteer)."""
    person = bot.person(user_id, name)
    await person.join_group()
    return person


GUIDED_ANSWERS = (
    ("title", "Distribution de colis"),
    ("description", None),  # None: press "Passer"
    ("when", "samedi 9h-12h"),
    ("place", "Local de l'asso"),
    ("skills", "manutention"),
    ("slots", "4"),
)


async def guided_mission_until(bot: Bot, step: str) -> Person:
    """A coordinator in the private guided /mission dialog, now asked for `step`."""
    coord = await coordinator(bot)
    await coord.say("/mission")
    for name, answer in GUIDED_ANSWERS:
        if name == step:
            return coord
        if answer is None:
            await coord.press("Passer")
        else:
            await coord.say(answer)
    assert step == "confirm", step
    assert "Voici la mission" in coord.last
    return coord


async def onboarding_until(person: Person, step: str) -> None:
    """Go through onboarding until the bot asks for `step`."""
    await person.say("/start")
    if step == "consent":
        return
    await person.press("J'accepte")
    if step == "skills":
        return
    await person.say("cuisine")
    if step == "skills_check":
        return
    await person.press("Oui, c'est ça")
    if step == "avail":
        return
    await person.press("Valider")
    if step == "place":
        return
    await person.say("Paris 75011")
    assert step == "freq", step


# --- /mission in one line ------------------------------------------------------------

ONE_LINE_REFUSALS = [
    pytest.param("Tri alimentaire | samedi 14h", "Format en une ligne", id="too-few-parts"),
    pytest.param("Tri | samedi 14h | Entrepôt", "Format en une ligne", id="three-parts"),
    pytest.param("a | samedi 14h | c | 2 | e | f | g", "Format en une ligne", id="too-many-parts"),
    pytest.param(" | samedi 14h | Entrepôt | 2", "Il manque le titre", id="empty-title"),
    pytest.param("Tri |  | Entrepôt | 2", "Il manque la date", id="empty-date"),
    pytest.param("Tri | samedi 14h | Entrepôt | ", "nombre entre 1 et 500", id="empty-slots"),
    pytest.param("Tri | samedi 14h | Entrepôt | zéro", "nombre entre 1 et 500", id="slots-word"),
    pytest.param("Tri | samedi 14h | Entrepôt | 0", "nombre entre 1 et 500", id="slots-zero"),
    pytest.param("Tri | samedi 14h | Entrepôt | -3", "nombre entre 1 et 500", id="slots-negative"),
    pytest.param("Tri | samedi 14h | Entrepôt | 99999", "nombre entre 1 et 500", id="slots-huge"),
    pytest.param("Tri | samedi 14h | Entrepôt | 501", "nombre entre 1 et 500", id="slots-501"),
    pytest.param("Tri | samedi 14h | Entrepôt | 3.5", "nombre entre 1 et 500", id="slots-decimal"),
    pytest.param(
        "Tri | n'importe quand | Entrepôt | 2",
        "Je n'ai pas compris la date « n'importe quand »",
        id="date-nonsense",
    ),
    pytest.param(
        "Tri | banane 14h | Entrepôt | 2",
        "Je n'ai pas compris la date « banane 14h »",
        id="date-unknown-word",
    ),
    pytest.param(
        "Tri | hier 14h | Entrepôt | 2", "Je n'ai pas compris la date", id="date-yesterday"
    ),
    pytest.param(
        "Tri | 31/02 9h | Entrepôt | 2", "Je n'ai pas compris la date", id="date-impossible"
    ),
    pytest.param(
        "Tri | 12/01/2025 9h | Entrepôt | 2",
        "Cette date est déjà passée (dimanche 12 janvier, 09:00–11:00)",
        id="date-past-year",
    ),
    pytest.param(
        "Tri | aujourd'hui 8h | Entrepôt | 2",
        "Cette date est déjà passée",
        id="date-earlier-today",
    ),
    pytest.param(
        "Tri | samedi | Entrepôt | 2",
        "Tu as indiqué samedi 5 décembre mais pas l'heure",
        id="day-without-time",
    ),
    pytest.param(
        "x" * 121 + " | samedi 14h | Entrepôt | 2",
        "titre … trop long … 121 caractères, 120 au maximum",
        id="title-121",
    ),
    pytest.param(
        "x" * 3000 + " | samedi 14h | Entrepôt | 2",
        "titre … trop long … 3000 caractères, 120 au maximum",
        id="title-3000",
    ),
    pytest.param(
        HUGE + " | samedi 14h | Entrepôt | 2",
        "Ton message est trop long (plus de 4000 caractères)",
        id="title-5000",
    ),
    pytest.param(
        "Tri | samedi 14h | " + "p" * 201 + " | 2",
        "lieu … trop long … 201 caractères, 200 au maximum",
        id="place-too-long",
    ),
    pytest.param(
        "Tri | samedi 14h | Entrepôt | 2 | | " + "d" * 2001,
        "description … trop long … 2001 caractères, 2000 au maximum",
        id="description-too-long",
    ),
    pytest.param(
        "Tri\x00 | samedi 14h | Entrepôt | 2",
        "titre … caractères invisibles",
        id="title-nul",
    ),
    pytest.param(
        "\x1b[31mTri\x1b[0m | samedi 14h | Entrepôt | 2",
        "titre … caractères invisibles",
        id="title-ansi-escape",
    ),
    pytest.param(
        "Tri | samedi\x0014h | Entrepôt | 2",
        "date … caractères invisibles",
        id="date-nul",
    ),
    pytest.param(
        "Tri | samedi 14h | Entrepôt\x07 | 2",
        "lieu … caractères invisibles",
        id="place-bell",
    ),
    pytest.param(
        "Tri | samedi 14h | \x1b[2JEntrepôt | 2",
        "lieu … caractères invisibles",
        id="place-ansi-escape",
    ),
    pytest.param(
        "Tri | samedi 14h | Entrepôt | 2 | manutention\x00",
        "compétences … caractères invisibles",
        id="skills-nul",
    ),
    pytest.param(
        "Tri | samedi 14h | Entrepôt | 2 | | apporter des gants\x1b[0m",
        "description … caractères invisibles",
        id="description-ansi-escape",
    ),
]


@pytest.mark.parametrize(("line", "expected"), ONE_LINE_REFUSALS)
async def test_one_line_mission_with_bad_input_is_refused(
    bot: Bot, line: str, expected: str
) -> None:
    coord = await coordinator(bot)
    async with nothing_changes(bot):
        await coord.say(f"/mission {line}", in_group=True)
    answer = bot.group_messages[-1]
    assert says(answer.text, expected), answer.text
    assert answer.labels == [], "nothing to publish"


@pytest.mark.parametrize(
    ("line", "wrong"),
    [
        pytest.param(
            "Tri | samedi 14h | Entrepôt | 2 | | " + "d" * 2001,
            "la description est trop long ",
            id="description-too-long",
        ),
        pytest.param(
            "Tri | samedi 14h | Entrepôt | 2 | " + "s" * 301,
            "les compétences est trop long",
            id="skills-too-long",
        ),
        pytest.param(
            "Tri | samedi 14h | Entrepôt | 2 | cuisine\x00",
            "les compétences contient",
            id="skills-control",
        ),
    ],
)
async def test_field_errors_are_grammatical_french(bot: Bot, line: str, wrong: str) -> None:
    coord = await coordinator(bot)
    await coord.say(f"/mission {line}", in_group=True)
    answer = bot.group_messages[-1].text
    assert "trop long" in answer or "caractères invisibles" in answer, answer
    assert wrong not in answer, answer


async def test_one_line_mission_with_bad_input_in_private_is_refused_there(bot: Bot) -> None:
    coord = await coordinator(bot)
    group_before = len(bot.group_messages)
    async with nothing_changes(bot):
        await coord.say("/mission Tri | samedi | Entrepôt | 2")
    assert "mais pas l'heure" in coord.last
    assert len(bot.group_messages) == group_before, "the group sees nothing"


# --- the guided /mission dialog --------------------------------------------------------

GUIDED_REFUSALS = [
    pytest.param("title", HUGE, "Ton message est trop long", id="title-5000"),
    pytest.param("title", "x" * 121, "titre … trop long … 121 caractères", id="title-121"),
    pytest.param("title", "   ", "Il manque le titre", id="title-blank"),
    pytest.param("title", "Tri\x00", "caractères invisibles", id="title-nul"),
    pytest.param("title", "\x1b[31mTri\x1b[0m", "caractères invisibles", id="title-ansi"),
    pytest.param("description", HUGE, "Ton message est trop long", id="description-5000"),
    pytest.param(
        "description",
        "d" * 2001,
        "description … trop long … 2001 caractères, 2000 au maximum",
        id="desc-2001",
    ),
    pytest.param("description", "gants\x00", "caractères invisibles", id="description-nul"),
    pytest.param("when", "n'importe quand", "Je n'ai pas compris la date", id="when-nonsense"),
    pytest.param("when", "banane 14h", "Je n'ai pas compris la date", id="when-unknown-word"),
    pytest.param("when", "12/01/2025 9h", "Cette date est déjà passée", id="when-past"),
    pytest.param("when", "samedi", "mais pas l'heure", id="when-no-time"),
    pytest.param("when", "samedi\x1b14h", "date … caractères invisibles", id="when-escape"),
    pytest.param("when", HUGE, "Ton message est trop long", id="when-5000"),
    pytest.param("place", "\x1b[31mEntrepôt", "lieu … caractères invisibles", id="place-ansi"),
    pytest.param("place", "p" * 201, "lieu … trop long", id="place-201"),
    pytest.param("skills", "cuisine\x00", "compétences … caractères invisibles", id="skill-nul"),
    pytest.param(
        "skills",
        "s" * 301,
        "compétences … trop long … 301 caractères, 300 au maximum",
        id="skills-301",
    ),
    pytest.param("slots", "zéro", "nombre entre 1 et 500", id="slots-word"),
    pytest.param("slots", "0", "nombre entre 1 et 500", id="slots-zero"),
    pytest.param("slots", "-3", "nombre entre 1 et 500", id="slots-negative"),
    pytest.param("slots", "99999", "nombre entre 1 et 500", id="slots-huge"),
    pytest.param("slots", "3.5", "nombre entre 1 et 500", id="slots-decimal"),
    pytest.param("confirm", "oui vas-y publie", "Utilise les boutons", id="text-at-confirm"),
]


@pytest.mark.parametrize(("step", "text", "expected"), GUIDED_REFUSALS)
async def test_guided_mission_step_refuses_bad_input_and_stays_on_the_step(
    bot: Bot, step: str, text: str, expected: str
) -> None:
    coord = await guided_mission_until(bot, step)
    async with nothing_changes(bot):
        await coord.say(text)
    assert says(coord.last, expected), coord.last


async def test_after_a_refusal_the_dialog_goes_on_from_the_same_step(bot: Bot) -> None:
    coord = await guided_mission_until(bot, "title")
    await coord.say("x" * 500)
    assert "trop long" in coord.last
    await coord.say("Distribution de colis")
    assert "Décris-la en quelques lignes" in coord.last


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        pytest.param(HUGE, "Ton message est trop long", id="5000"),
        pytest.param("x" * 300, "titre … trop long … 300 caractères", id="300"),
        pytest.param("Tri\x00alimentaire", "caractères invisibles", id="nul"),
    ],
)
async def test_mission_command_with_a_bad_title_starts_no_dialog(
    bot: Bot, title: str, expected: str
) -> None:
    coord = await coordinator(bot)
    async with nothing_changes(bot):
        await coord.say(f"/mission {title}", in_group=True)
    assert says(bot.group_messages[-1].text, expected)
    assert "Quel est son titre" not in coord.texts()


@pytest.mark.parametrize(
    ("label", "data"),
    [("0", "mi:n:0"), ("99999", "mi:n:99999"), ("-1", "mi:n:-1"), ("x", "mi:n:abc")],
)
async def test_forged_slot_button_is_refused(bot: Bot, label: str, data: str) -> None:
    coord = await guided_mission_until(bot, "slots")
    async with nothing_changes(bot):
        answer, alert = await coord.press_button(Button(label, data), coord.inbox[-1])
    assert answer is not None and "nombre entre 1 et 500" in answer and alert


# --- legitimate but unusual text: kept exactly ------------------------------------------

VERBATIM = [
    pytest.param(
        "<b>Tri</b> & <i>accueil</i>",
        "<a href='http://x'>Entrepôt</a>",
        "<script>alert('x')</script> **gras** _penché_ `code`",
        id="markup",
    ),
    pytest.param(
        "Tri'); DROP TABLE missions;--",
        "1' OR '1'='1",
        "Robert'); DELETE FROM signups; --",
        id="sql",
    ),
    pytest.param(
        "Soupe 🍲 partagée 👩‍🍳",
        "Entrepôt 🏭 🇫🇷",
        "Apportez 🧤 et ❤️",
        id="emoji",
    ),
    pytest.param(
        "توزيع الطعام",
        "\u200fמחסן, רחוב הרצל 12",
        "مرحبا بالجميع Bienvenue à tous",
        id="rtl",
    ),
]


@pytest.mark.parametrize(("title", "place", "description"), VERBATIM)
async def test_unusual_text_is_stored_and_shown_exactly(
    bot: Bot, title: str, place: str, description: str
) -> None:
    coord, vera = bot.person("coord"), bot.person("vera", "Véra")
    await onboard(vera)
    mission_id = await post_mission(
        bot, coord, f"{title} | samedi 14h-17h | {place} | 2 | manutention | {description}"
    )

    card = bot.card(mission_id)
    assert card.text.splitlines()[0] == f"🤝 {title} · #{mission_id}"
    assert f"📍 {place}" in card.text
    await vera.press("Détails", card)
    assert f"📝 {description}" in vera.last

    async with bot.store.transaction() as tx:
        mission = await tx.missions.get(mission_id)
    assert mission is not None
    assert (mission.title, mission.place, mission.description) == (title, place, description)
    assert set(metadata.tables) <= await table_names(bot)


@pytest.mark.parametrize(
    "place",
    [
        pytest.param("'); DROP TABLE volunteers;--", id="sql"),
        pytest.param("<b>Montreuil</b>", id="markup"),
        pytest.param("Montreuil 🌳 93100", id="emoji"),
        pytest.param("الدار البيضاء", id="rtl"),
    ],
)
async def test_unusual_place_in_a_profile_is_kept_exactly(bot: Bot, place: str) -> None:
    vera = bot.person("vera", "Véra")
    await onboard(vera, place=place)
    await vera.say("/profile")
    assert f"📍 {place}" in vera.last
    async with bot.store.transaction() as tx:
        identity = await tx.people.identity("memory", "vera")
        assert identity is not None
        volunteer = await tx.people.get(identity.volunteer_id)
    assert volunteer is not None and volunteer.location_text == place
    assert set(metadata.tables) <= await table_names(bot)


# --- skills that match nothing are kept as free tags -------------------------------------


async def test_unknown_mission_skills_are_kept_as_free_tags(bot: Bot) -> None:
    coord = bot.person("coord")
    mission_id = await post_mission(
        bot, coord, "Atelier | samedi 14h-17h | Local | 2 | manutention, xylophone quantique"
    )
    assert "xylophone quantique" in bot.card(mission_id).text
    async with bot.store.transaction() as tx:
        mission = await tx.missions.get(mission_id)
    assert mission is not None
    assert {(s.skill_id, s.raw_text) for s in mission.skills} == {
        ("handling", "manutention"),
        (None, "xylophone quantique"),
    }


async def test_unknown_skills_in_the_guided_dialog_are_kept(bot: Bot) -> None:
    coord = await guided_mission_until(bot, "skills")
    await coord.say("xylophone quantique")
    await coord.press("4")
    assert "🧰 xylophone quantique" in coord.last
    await coord.press("Publier")
    assert "xylophone quantique" in bot.card(1).text


async def test_unknown_volunteer_skills_are_kept_as_free_tags(bot: Bot) -> None:
    vera = bot.person("vera", "Véra")
    await onboard(vera, skills="xylophone quantique")
    assert "xylophone quantique" in vera.last
    async with bot.store.transaction() as tx:
        identity = await tx.people.identity("memory", "vera")
        assert identity is not None
        skills = await tx.people.skills(identity.volunteer_id)
    assert [(s.skill_id, s.raw_text) for s in skills] == [(None, "xylophone quantique")]


# --- onboarding: text where buttons are expected, long and unprintable text ---------------


@pytest.mark.parametrize("step", ["consent", "skills_check", "avail", "freq"])
async def test_typing_text_where_buttons_are_expected_asks_for_the_buttons(
    bot: Bot, step: str
) -> None:
    vera = bot.person("vera", "Véra")
    await onboarding_until(vera, step)
    labels_before = vera.inbox[-1].labels
    async with nothing_changes(bot):
        await vera.say("oui d'accord")
    assert "Utilise les boutons ci-dessous" in vera.texts().split("---")[-2]
    assert vera.inbox[-1].labels == labels_before, "the same question is asked again"


@pytest.mark.parametrize(
    ("step", "text", "expected"),
    [
        pytest.param("skills", HUGE, "Ton message est trop long", id="skills-5000"),
        pytest.param("place", HUGE, "Ton message est trop long", id="place-5000"),
        pytest.param("place", "p" * 101, "lieu … trop long … 101 caractères", id="place-101"),
        pytest.param("place", "Paris\x00", "lieu … caractères invisibles", id="place-nul"),
        pytest.param("place", "\x1b[31mParis", "lieu … caractères invisibles", id="place-ansi"),
        pytest.param("place", "  ", "Il manque le lieu", id="place-blank"),
        pytest.param("skills", "!!! ...", "Je n'ai rien trouvé dans ton message", id="skills-none"),
    ],
)
async def test_onboarding_text_step_refuses_bad_input(
    bot: Bot, step: str, text: str, expected: str
) -> None:
    vera = bot.person("vera", "Véra")
    await onboarding_until(vera, step)
    async with nothing_changes(bot):
        await vera.say(text)
    assert says(vera.last, expected), vera.last


async def test_control_characters_in_onboarding_skills_are_refused(bot: Bot) -> None:
    vera = bot.person("vera", "Véra")
    await onboarding_until(vera, "skills")
    async with nothing_changes(bot):
        await vera.say("\x1b[31mcuisine\x1b[0m, jardinage")
    assert "caractères invisibles" in vera.last, vera.last


# --- commands: unknown, missing role, bad arguments ---------------------------------------


@pytest.mark.parametrize("in_group", [False, True], ids=["private", "group"])
@pytest.mark.parametrize("command", ["/foo", "/mision", "/missions_ouvertes", "/" + "é" * 80])
async def test_unknown_command_is_named_and_changes_nothing(
    bot: Bot, command: str, in_group: bool
) -> None:
    vera = await member(bot)
    async with nothing_changes(bot):
        await vera.say(command, in_group=in_group)
    answer = bot.group_messages[-1].text if in_group else vera.last
    assert "Je ne connais pas la commande /" in answer
    assert command[1:51] in answer and "/help" in answer


@pytest.mark.parametrize(
    "args",
    [
        pytest.param("", id="guided"),
        pytest.param("Tri alimentaire", id="guided-with-title"),
        pytest.param(MISSION, id="one-line"),
        pytest.param("edit 1", id="edit"),
        pytest.param("cancel 1", id="cancel"),
    ],
)
@pytest.mark.parametrize("in_group", [False, True], ids=["private", "group"])
async def test_volunteer_cannot_use_mission_command(bot: Bot, args: str, in_group: bool) -> None:
    await post_mission(bot, bot.person("coord"), MISSION)
    vera = await member(bot)
    async with nothing_changes(bot):
        await vera.say(f"/mission {args}".strip(), in_group=in_group)
    answer = bot.group_messages[-1].text if in_group else vera.last
    assert "Seuls les coordinateurs peuvent faire ça" in answer
    assert "Quel est son titre" not in vera.texts()


async def test_stranger_cannot_use_mission_command_in_private(bot: Bot) -> None:
    zoe = bot.person("zoe", "Zoé")
    await zoe.say("/help")  # exists, in no association
    async with nothing_changes(bot):
        await zoe.say(f"/mission {MISSION}")
    assert "Seuls les coordinateurs peuvent faire ça" in zoe.last


EDIT_OR_CANCEL_REFUSALS = [
    pytest.param("", "Quelle mission ? Donne son numéro", id="missing"),
    pytest.param("abc", "Quelle mission ? Donne son numéro", id="not-a-number"),
    pytest.param("1.5", "Quelle mission ? Donne son numéro", id="decimal"),
    pytest.param("-1", "Quelle mission ? Donne son numéro", id="negative"),
    pytest.param("1234567890123", "Quelle mission ? Donne son numéro", id="too-many-digits"),
    pytest.param("999", "Je ne trouve pas la mission #999", id="unknown"),
    pytest.param("#999", "Je ne trouve pas la mission #999", id="unknown-hash"),
]


@pytest.mark.parametrize("action", ["edit", "cancel", "modifier", "annuler"])
@pytest.mark.parametrize(("ref", "expected"), EDIT_OR_CANCEL_REFUSALS)
async def test_mission_edit_or_cancel_with_a_bad_number(
    bot: Bot, action: str, ref: str, expected: str
) -> None:
    coord = bot.person("coord")
    await post_mission(bot, coord, MISSION)
    async with nothing_changes(bot):
        await coord.say(f"/mission {action} {ref}".strip(), in_group=True)
    answer = bot.group_messages[-1]
    assert says(answer.text, expected), answer.text
    assert answer.labels == []


async def test_mission_cancel_without_a_number_suggests_the_cancel_command(bot: Bot) -> None:
    coord = bot.person("coord")
    await post_mission(bot, coord, MISSION)
    await coord.say("/mission cancel", in_group=True)
    answer = bot.group_messages[-1].text
    assert "Quelle mission ?" in answer
    assert "/mission cancel 12" in answer and "/mission edit" not in answer


@pytest.mark.parametrize("action", ["edit", "cancel"])
async def test_coordinator_of_another_association_cannot_touch_the_mission(
    bot: Bot, action: str
) -> None:
    mission_id = await post_mission(bot, bot.person("coord"), MISSION)
    other = MemoryPlatform(bot.core.handle, bot.outlet, "group-2", "Restos du cœur")
    dora = other.person("dora", "Dora")
    other.chat_admins.add("dora")
    await dora.say("/missions", in_group=True)  # coordinator of the other association
    other_group = bot.outlet.chat("group-2").messages
    async with nothing_changes(bot):
        await dora.say(f"/mission {action} {mission_id}", in_group=True)
        await dora.say(f"/mission {action} {mission_id}")
    assert "Seuls les coordinateurs peuvent faire ça" in other_group[-1].text
    assert "Seuls les coordinateurs peuvent faire ça" in dora.last


@pytest.mark.parametrize("action", ["edit", "cancel"])
async def test_a_cancelled_mission_cannot_be_edited_or_cancelled_again(
    bot: Bot, action: str
) -> None:
    coord = bot.person("coord")
    mission_id = await post_mission(bot, coord, MISSION)
    await coord.say(f"/mission cancel {mission_id}", in_group=True)
    await coord.press("Oui, annuler", bot.group_messages[-1])
    async with nothing_changes(bot):
        await coord.say(f"/mission {action} {mission_id}", in_group=True)
    assert "a été annulée" in bot.group_messages[-1].text


EDIT_REFUSALS = [
    pytest.param("le titre", HUGE, "Ton message est trop long", id="title-5000"),
    pytest.param("le titre", "x" * 121, "titre … trop long", id="title-121"),
    pytest.param("le titre", "Tri\x00", "caractères invisibles", id="title-nul"),
    pytest.param("la date", "12/01/2025 9h", "Cette date est déjà passée", id="when-past"),
    pytest.param("la date", "banane 14h", "Je n'ai pas compris la date", id="when-unknown"),
    pytest.param("la date", "samedi", "mais pas l'heure", id="when-no-time"),
    pytest.param("le lieu", "\x1b[31mEntrepôt", "caractères invisibles", id="place-ansi"),
    pytest.param("le nombre de places", "0", "nombre entre 1 et 500", id="slots-zero"),
    pytest.param("le nombre de places", "3.5", "nombre entre 1 et 500", id="slots-decimal"),
    pytest.param("le nombre de places", "99999", "nombre entre 1 et 500", id="slots-huge"),
    pytest.param(
        "la description",
        "d" * 2001,
        "description … trop long … 2001 caractères, 2000 au maximum",
        id="desc-2001",
    ),
    pytest.param("les compétences", "cuisine\x07", "caractères invisibles", id="skills-bell"),
]


@pytest.mark.parametrize(("field", "text", "expected"), EDIT_REFUSALS)
async def test_mission_edit_refuses_a_bad_new_value(
    bot: Bot, field: str, text: str, expected: str
) -> None:
    coord = bot.person("coord")
    mission_id = await post_mission(bot, coord, MISSION)
    card_before = bot.card(mission_id).text
    await coord.say(f"/mission edit {mission_id}")
    await coord.press(field)
    assert "Envoie la nouvelle valeur" in coord.last
    async with nothing_changes(bot):
        await coord.say(text)
    assert says(coord.last, expected), coord.last
    assert bot.card(mission_id).text == card_before


async def test_mission_edit_cannot_go_below_the_people_signed_up(bot: Bot) -> None:
    coord, vera, yann = bot.person("coord"), bot.person("vera"), bot.person("yann")
    mission_id = await post_mission(bot, coord, MISSION)
    for person in (vera, yann):
        await onboard(person)
        await person.press("Je participe", bot.card(mission_id))
    await coord.say(f"/mission edit {mission_id}")
    await coord.press("le nombre de places")
    async with nothing_changes(bot):
        await coord.say("1")
    assert "Il y a déjà 2 inscrits" in coord.last


async def test_typing_text_instead_of_choosing_what_to_edit(bot: Bot) -> None:
    coord = bot.person("coord")
    mission_id = await post_mission(bot, coord, MISSION)
    await coord.say(f"/mission edit {mission_id}")
    async with nothing_changes(bot):
        await coord.say("le titre stp")
    assert "Utilise les boutons ci-dessous" in coord.last


# --- buttons pressed by the wrong person, stale or forged ----------------------------------


async def test_volunteer_pressing_yes_on_a_cancel_prompt_changes_nothing(bot: Bot) -> None:
    coord = bot.person("coord")
    mission_id = await post_mission(bot, coord, MISSION)
    vera = await member(bot)
    await coord.say(f"/mission cancel {mission_id}", in_group=True)
    prompt = bot.group_messages[-1]
    card_before = bot.card(mission_id).text
    async with nothing_changes(bot):
        answer, alert = await vera.press("Oui, annuler", prompt)
    assert answer is not None and "Seuls les coordinateurs" in answer and alert
    assert bot.card(mission_id).text == card_before
    assert "MISSION ANNULÉE" not in card_before


async def test_volunteer_pressing_publish_on_a_coordinators_summary_changes_nothing(
    bot: Bot,
) -> None:
    coord = await coordinator(bot)
    vera = await member(bot)
    await coord.say(f"/mission {MISSION}", in_group=True)
    summary = bot.group_messages[-1]
    text_before = summary.text
    async with nothing_changes(bot):
        answer, alert = await vera.press("Publier", summary)
    assert answer is not None and "Ce bouton ne t'est pas destiné" in answer and alert
    assert summary.text == text_before and summary.labels == ["Publier", "Annuler"]
    await coord.press("Publier", summary)  # the author still can
    assert "Tri alimentaire" in bot.card(1).text


async def test_another_coordinator_pressing_publish_without_a_draft_changes_nothing(
    bot: Bot,
) -> None:
    alice, bruno = await coordinator(bot, "alice", "Alice"), await coordinator(bot, "bruno")
    await alice.say(f"/mission {MISSION}", in_group=True)
    summary = bot.group_messages[-1]
    async with nothing_changes(bot):
        answer, _ = await bruno.press("Annuler", summary)
    assert answer is not None and "Ce bouton ne t'est pas destiné" in answer
    assert summary.labels == ["Publier", "Annuler"]


async def test_publish_on_someone_elses_summary_does_not_publish_your_own_draft(
    bot: Bot,
) -> None:
    alice, bruno = await coordinator(bot, "alice", "Alice"), await coordinator(bot, "bruno")
    await alice.say("/mission Tri A | samedi 14h | Entrepôt | 2", in_group=True)
    alices_summary = bot.group_messages[-1]
    await bruno.say("/mission Tri B | samedi 9h | Local | 3", in_group=True)
    async with nothing_changes(bot):
        answer, alert = await bruno.press("Publier", alices_summary)
    assert answer is not None and "Ce bouton ne t'est pas destiné" in answer and alert
    assert "Tri A" in alices_summary.text and alices_summary.labels == ["Publier", "Annuler"]


async def test_stale_onboarding_button_after_cancel_changes_nothing(bot: Bot) -> None:
    vera = bot.person("vera", "Véra")
    await vera.say("/start")
    consent = vera.inbox[-1]
    await vera.say("/cancel")
    assert "C'est annulé" in vera.last
    async with nothing_changes(bot):
        answer, alert = await vera.press("J'accepte", consent)
    assert answer is not None and "Ce bouton n'est plus actif" in answer and alert
    async with bot.store.connection() as conn:
        assert (await conn.execute(select(consents))).all() == []


async def test_own_publish_button_after_cancel_says_it_is_no_longer_active(bot: Bot) -> None:
    coord = await guided_mission_until(bot, "confirm")
    summary = coord.inbox[-1]
    await coord.say("/cancel")
    async with nothing_changes(bot):
        answer, _ = await coord.press("Publier", summary)
    assert answer is not None and "Ce bouton n'est plus actif" in answer


async def test_own_publish_button_after_cancel_publishes_nothing(bot: Bot) -> None:
    coord = await guided_mission_until(bot, "confirm")
    summary = coord.inbox[-1]
    await coord.say("/cancel")
    async with nothing_changes(bot):
        answer, alert = await coord.press("Publier", summary)
    assert answer is not None and alert
    assert await mission_rows(bot) == []


FORGED_BUTTONS = [
    pytest.param("", "Ce bouton n'est plus actif", id="empty"),
    pytest.param(":", "Ce bouton n'est plus actif", id="colon"),
    pytest.param("zz:1", "Ce bouton n'est plus actif", id="unknown-prefix"),
    pytest.param("j:", "Ce bouton n'est plus actif", id="join-no-id"),
    pytest.param("j:abc", "Ce bouton n'est plus actif", id="join-not-a-number"),
    pytest.param("j:1:2", "Ce bouton n'est plus actif", id="join-two-ids"),
    pytest.param("j:9999999999", "Ce bouton n'est plus actif", id="join-huge-id"),
    pytest.param("j:999", "Je ne trouve pas la mission #999", id="join-unknown"),
    pytest.param("d:999", "Je ne trouve pas la mission #999", id="details-unknown"),
    pytest.param("w:1", "Tu n'es pas inscrit·e à « Tri alimentaire »", id="withdraw-not-in"),
    pytest.param("mc:yes:1", "Seuls les coordinateurs", id="cancel-yes"),
    pytest.param("mc:maybe:1", "Seuls les coordinateurs", id="cancel-other"),
    pytest.param("mi:ok", "Ce bouton ne t'est pas destiné", id="publish"),
    pytest.param("me:f:title", "Ce bouton n'est plus actif", id="edit-field"),
    pytest.param("lang:xx", "Je ne parle pas cette langue", id="language"),
    pytest.param("ob:f:4", "Ce bouton n'est plus actif", id="onboarding-frequency"),
    pytest.param("ob:edit:admin", "Ce bouton n'est plus actif", id="profile-edit-part"),
    pytest.param("ob:begin", "Tu es déjà présenté·e", id="onboarding-again"),
]


@pytest.mark.parametrize(("data", "expected"), FORGED_BUTTONS)
async def test_forged_button_data_gets_a_clear_answer(bot: Bot, data: str, expected: str) -> None:
    mission_id = await post_mission(bot, bot.person("coord"), MISSION)
    vera = bot.person("vera", "Véra")
    await onboard(vera)
    async with nothing_changes(bot):
        answer, alert = await vera.press_button(Button("?", data), bot.card(mission_id))
    assert answer is not None and expected in answer and alert, answer


# --- language and coordinator commands -----------------------------------------------------


@pytest.mark.parametrize("command", ["/language xx", "/language klingon", "/langue de bois"])
async def test_unknown_language_is_refused(bot: Bot, command: str) -> None:
    vera = bot.person("vera", "Véra")
    await vera.say("/help")
    async with nothing_changes(bot):
        await vera.say(command)
    assert "Je ne parle pas cette langue. Choix possibles : fr, en." in vera.last


COORDINATOR_REFUSALS = [
    pytest.param("", "Utilisation : /coordinator add <nom>", id="no-args"),
    pytest.param("add", "Utilisation : /coordinator add <nom>", id="add-nobody"),
    pytest.param("add @", "Utilisation : /coordinator add <nom>", id="add-at-sign"),
    pytest.param("remove", "Utilisation : /coordinator add <nom>", id="remove-nobody"),
    pytest.param("promote Véra", "Utilisation : /coordinator add <nom>", id="unknown-action"),
    pytest.param("Véra", "Utilisation : /coordinator add <nom>", id="name-only"),
    pytest.param("add Zoé", "Je ne trouve personne qui s'appelle « Zoé »", id="unknown-person"),
    pytest.param(
        "add '; DROP TABLE memberships;--",
        "Je ne trouve personne qui s'appelle « '; DROP TABLE memberships;-- »",
        id="sql",
    ),
    pytest.param("remove Véra", "Véra n'est pas coordinateur·rice", id="remove-a-volunteer"),
]


@pytest.mark.parametrize(("args", "expected"), COORDINATOR_REFUSALS)
async def test_coordinator_command_with_bad_arguments(bot: Bot, args: str, expected: str) -> None:
    admin = bot.person("admin", "Agnès")
    await admin.say("/help", in_group=True)  # the configured admin becomes admin here
    await member(bot)
    async with nothing_changes(bot):
        await admin.say(f"/coordinator {args}".strip(), in_group=True)
    assert expected in bot.group_messages[-1].text
    assert set(metadata.tables) <= await table_names(bot)
