"""Roles through the real core: configured admins, coordinators granted and removed, chat admins.

The configured admin (`memory:admin`) becomes admin of the group's association when
they act in the group; group chat admins count as coordinators unless the setting is
off; only admins manage coordinators.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from adapters.memory import Person
from bot.config import Settings
from data.records import Role
from data.schema import identities, memberships, missions
from tests.harness import Bot, make_bot
from tests.scenarios import onboard, post_mission

MISSION = "Tri alimentaire | samedi 14h-17h | Entrepôt, 12 rue des Lilas | 2 | manutention"


async def roles(bot: Bot) -> dict[str, str]:
    """Each member's role in the group's association, by platform user id."""
    query = select(identities.c.platform_user_id, memberships.c.role).join(
        memberships, memberships.c.volunteer_id == identities.c.volunteer_id
    )
    async with bot.store.connection() as conn:
        return {user_id: role for user_id, role in (await conn.execute(query)).all()}


async def mission_count(bot: Bot) -> int:
    async with bot.store.connection() as conn:
        return len((await conn.execute(select(missions.c.id))).all())


async def admin_in_group(bot: Bot) -> Person:
    """The configured admin, after speaking once in the group."""
    admin = bot.person("admin", "Agnès")
    await admin.say("/help", in_group=True)
    return admin


async def member(bot: Bot, user_id: str = "u42", name: str = "Jean Dupont") -> Person:
    person = bot.person(user_id, name)
    await person.join_group()
    return person


def help_lines(text: str) -> list[str]:
    return text.splitlines()[1:]


def offers_mission_command(help_text: str) -> bool:
    return any(line.startswith("/mission :") for line in help_lines(help_text))


def offers_coordinator_command(help_text: str) -> bool:
    return any(line.startswith("/coordinator add|remove") for line in help_lines(help_text))


# --- the configured admin --------------------------------------------------------------


async def test_configured_admin_becomes_admin_by_acting_in_the_group(bot: Bot) -> None:
    admin = bot.person("admin", "Agnès")
    await admin.say("/coordinator add Jean Dupont")
    assert "Seuls les admins de l'association peuvent faire ça" in admin.last
    assert await roles(bot) == {}, "no association yet: speaking in private makes no admin"

    await admin.say("/help", in_group=True)
    assert await roles(bot) == {"admin": "admin"}
    await admin.say("/coordinators", in_group=True)
    assert bot.group_messages[-1].text == "Qui coordonne Banque alimentaire :\nAgnès (admin)"


async def test_configured_admin_who_joins_the_group_is_admin(bot: Bot) -> None:
    admin = bot.person("admin", "Agnès")
    await admin.join_group()
    assert await roles(bot) == {"admin": "admin"}


async def test_someone_else_with_the_same_name_is_not_admin(bot: Bot) -> None:
    impostor = bot.person("admin2", "admin")
    await impostor.say("/help", in_group=True)
    assert await roles(bot) == {"admin2": "volunteer"}


# --- granting and removing coordinators ----------------------------------------------------


@pytest.mark.parametrize(
    "who", ["Jean Dupont", "jean dupont", "@Jean Dupont", "u42", "@u42", "U42"]
)
@pytest.mark.parametrize("in_group", [True, False], ids=["in-group", "in-private"])
async def test_admin_grants_coordinator_by_name_or_id(bot: Bot, who: str, in_group: bool) -> None:
    admin = await admin_in_group(bot)
    jean = await member(bot)
    await jean.say(f"/mission {MISSION}")
    assert "Seuls les coordinateurs peuvent faire ça" in jean.last

    await admin.say(f"/coordinator add {who}", in_group=in_group)
    answer = bot.group_messages[-1].text if in_group else admin.last
    assert answer == "Jean Dupont est maintenant coordinateur·rice de Banque alimentaire ✅"
    assert (await roles(bot))["u42"] == "coordinator"


async def test_new_coordinator_posts_a_mission_from_private(bot: Bot) -> None:
    admin = await admin_in_group(bot)
    jean = await member(bot)
    await admin.say("/coordinator add Jean Dupont", in_group=True)

    await jean.say(f"/mission {MISSION}")
    summary = jean.inbox[-1]
    assert "Voici la mission" in summary.text and summary.labels == ["Publier", "Annuler"]
    await jean.press("Publier", summary)
    assert "Mission #1 « Tri alimentaire » publiée" in jean.last
    card = bot.card(1)
    assert "Tri alimentaire" in card.text and "0/2 inscrits" in card.text


async def test_new_coordinator_starts_the_guided_dialog_from_private(bot: Bot) -> None:
    admin = await admin_in_group(bot)
    jean = await member(bot)
    await admin.say("/coordinator ajouter Jean Dupont", in_group=True)
    await jean.say("/mission")
    assert "Quel est son titre" in jean.last


async def test_removing_a_coordinator_takes_the_mission_command_back(bot: Bot) -> None:
    admin = await admin_in_group(bot)
    jean = await member(bot)
    await admin.say("/coordinator add Jean Dupont", in_group=True)
    await admin.say("/coordinator remove @u42", in_group=True)
    assert (
        bot.group_messages[-1].text
        == "Jean Dupont n'est plus coordinateur·rice de Banque alimentaire."
    )
    assert (await roles(bot))["u42"] == "volunteer"

    await jean.say(f"/mission {MISSION}")
    assert "Seuls les coordinateurs peuvent faire ça" in jean.last
    await jean.say("/mission", in_group=True)
    assert "Seuls les coordinateurs peuvent faire ça" in bot.group_messages[-1].text
    await admin.say("/coordinators", in_group=True)
    assert "Jean Dupont" not in bot.group_messages[-1].text
    assert await mission_count(bot) == 0


async def test_admin_retire_is_the_french_remove(bot: Bot) -> None:
    admin = await admin_in_group(bot)
    await member(bot)
    await admin.say("/coordinator add Jean Dupont", in_group=True)
    await admin.say("/coordinator retirer jean dupont", in_group=True)
    assert "n'est plus coordinateur·rice" in bot.group_messages[-1].text
    assert (await roles(bot))["u42"] == "volunteer"


async def test_a_removed_coordinator_cannot_publish_a_draft_made_before(bot: Bot) -> None:
    admin = await admin_in_group(bot)
    jean = await member(bot)
    await admin.say("/coordinator add Jean Dupont", in_group=True)
    await jean.say(f"/mission {MISSION}")
    summary = jean.inbox[-1]
    await admin.say("/coordinator remove Jean Dupont", in_group=True)

    answer, alert = await jean.press("Publier", summary)
    assert answer is not None and "Seuls les coordinateurs" in answer and alert
    assert await mission_count(bot) == 0


async def test_a_removed_coordinator_cannot_confirm_a_cancel_asked_before(bot: Bot) -> None:
    admin = await admin_in_group(bot)
    jean = await member(bot)
    await admin.say("/coordinator add Jean Dupont", in_group=True)
    mission_id = await post_mission(bot, jean, MISSION)
    bot.platform.chat_admins.discard("u42")  # post_mission made him a chat admin
    await jean.say(f"/mission cancel {mission_id}", in_group=True)
    prompt = bot.group_messages[-1]
    await admin.say("/coordinator remove Jean Dupont", in_group=True)

    answer, _ = await jean.press("Oui, annuler", prompt)
    assert answer is not None and "Seuls les coordinateurs" in answer
    assert "MISSION ANNULÉE" not in bot.card(mission_id).text


async def test_a_removed_coordinator_cannot_finish_an_edit_started_before(bot: Bot) -> None:
    admin = await admin_in_group(bot)
    jean = await member(bot)
    await admin.say("/coordinator add Jean Dupont", in_group=True)
    mission_id = await post_mission(bot, jean, MISSION)
    bot.platform.chat_admins.discard("u42")
    await jean.say(f"/mission edit {mission_id}")
    await jean.press("le titre")
    await admin.say("/coordinator remove Jean Dupont", in_group=True)

    await jean.say("Nouveau titre")
    assert "Seuls les coordinateurs" in jean.last
    assert "Tri alimentaire" in bot.card(mission_id).text


async def test_admin_role_cannot_be_granted_or_removed_by_command(bot: Bot) -> None:
    admin = await admin_in_group(bot)
    await admin.say("/coordinator add Agnès", in_group=True)
    assert "Agnès est admin : il ou elle peut déjà tout faire" in bot.group_messages[-1].text
    await admin.say("/coordinator remove admin", in_group=True)
    assert "ce rôle se règle dans la configuration" in bot.group_messages[-1].text
    assert await roles(bot) == {"admin": "admin"}


async def test_two_members_with_the_same_name_need_an_id(bot: Bot) -> None:
    admin = await admin_in_group(bot)
    await member(bot, "sam1", "Sam")
    await member(bot, "sam2", "Sam")
    await admin.say("/coordinator add Sam", in_group=True)
    assert "Plusieurs personnes s'appellent « Sam »" in bot.group_messages[-1].text
    assert set((await roles(bot)).values()) == {"admin", "volunteer"}
    await admin.say("/coordinator add sam2", in_group=True)
    assert (await roles(bot))["sam2"] == "coordinator"


async def test_someone_who_never_joined_the_group_cannot_be_made_coordinator(bot: Bot) -> None:
    admin = await admin_in_group(bot)
    outsider = bot.person("u99", "Odile")
    await outsider.say("/start")  # talks to the bot, but not a member of the association
    await admin.say("/coordinator add Odile", in_group=True)
    assert "Je ne trouve personne qui s'appelle « Odile »" in bot.group_messages[-1].text
    assert "u99" not in await roles(bot)


# --- only admins manage coordinators -------------------------------------------------------


@pytest.mark.parametrize("args", ["add Jean Dupont", "remove Coralie", "add u42", ""])
@pytest.mark.parametrize("caller", ["volunteer", "coordinator"])
@pytest.mark.parametrize("in_group", [True, False], ids=["in-group", "in-private"])
async def test_non_admin_cannot_manage_coordinators(
    bot: Bot, args: str, caller: str, in_group: bool
) -> None:
    await admin_in_group(bot)
    await member(bot)
    coralie = bot.person("cora", "Coralie")
    bot.platform.chat_admins.add("cora")
    await coralie.say("/help", in_group=True)
    vera = await member(bot, "vera", "Véra")
    person = coralie if caller == "coordinator" else vera
    before = await roles(bot)

    await person.say(f"/coordinator {args}".strip(), in_group=in_group)
    answer = bot.group_messages[-1].text if in_group else person.last
    assert answer == "Seuls les admins de l'association peuvent faire ça."
    assert await roles(bot) == before


# --- group chat admins -----------------------------------------------------------------------


async def test_group_chat_admin_counts_as_coordinator(bot: Bot) -> None:
    cora = bot.person("cora", "Coralie")
    bot.platform.chat_admins.add("cora")
    await cora.say("/help", in_group=True)
    assert offers_mission_command(bot.group_messages[-1].text)
    assert await roles(bot) == {"cora": "coordinator"}

    await cora.say(f"/mission {MISSION}")
    await cora.press("Publier")
    assert "0/2 inscrits" in bot.card(1).text
    await cora.say("/coordinators")
    assert cora.last == "Qui coordonne Banque alimentaire :\nCoralie"


async def test_a_role_from_the_group_goes_when_the_group_role_goes(bot: Bot) -> None:
    admin = await admin_in_group(bot)
    cora, jean = bot.person("cora", "Coralie"), await member(bot)
    bot.platform.chat_admins.add("cora")
    await cora.say("/help", in_group=True)
    await admin.say("/coordinator add Jean Dupont", in_group=True)
    assert (await roles(bot))["cora"] == "coordinator"
    bot.platform.chat_admins.discard("cora")  # no longer an admin of the Telegram group
    await cora.say(f"/mission {MISSION}", in_group=True)
    assert "Seuls les coordinateurs peuvent faire ça" in bot.group_messages[-1].text
    await cora.say("/help", in_group=True)  # (a refusal rolls back: stored at the next step)
    assert not offers_mission_command(bot.group_messages[-1].text)
    assert (await roles(bot))["cora"] == "volunteer"
    await jean.say(f"/mission {MISSION}", in_group=True)  # appointed: stays
    assert "Seuls les coordinateurs" not in bot.group_messages[-1].text
    assert (await roles(bot))["u42"] == "coordinator"


async def test_chat_admin_first_seen_in_private_is_not_yet_coordinator(bot: Bot) -> None:
    cora = bot.person("cora", "Coralie")
    bot.platform.chat_admins.add("cora")
    await cora.say("/mission")
    assert "Seuls les coordinateurs peuvent faire ça" in cora.last


async def test_chat_admin_joining_the_group_becomes_coordinator(bot: Bot) -> None:
    cora = bot.person("cora", "Coralie")
    bot.platform.chat_admins.add("cora")
    await cora.join_group()
    assert await roles(bot) == {"cora": "coordinator"}


async def test_chat_admin_does_not_lower_the_configured_admin(bot: Bot) -> None:
    bot.platform.chat_admins.add("admin")
    admin = await admin_in_group(bot)
    await admin.say("/missions", in_group=True)
    assert await roles(bot) == {"admin": "admin"}


async def test_plain_member_stays_volunteer(bot: Bot) -> None:
    vera = await member(bot, "vera", "Véra")
    await vera.say("/missions", in_group=True)
    await vera.say("Bonjour à tous", in_group=True)
    assert await roles(bot) == {"vera": "volunteer"}


@pytest.fixture
async def strict_bot(sqlite_url: str) -> AsyncIterator[Bot]:
    """A bot where group chat admins are not coordinators."""
    settings = Settings(
        database_url=sqlite_url, admins=("memory:admin",), chat_admins_are_coordinators=False
    )
    harness = await make_bot(sqlite_url, settings=settings)
    try:
        yield harness
    finally:
        await harness.store.close()


async def test_chat_admins_are_not_coordinators_when_the_setting_is_off(strict_bot: Bot) -> None:
    cora = strict_bot.person("cora", "Coralie")
    strict_bot.platform.chat_admins.add("cora")
    await cora.say(f"/mission {MISSION}", in_group=True)
    assert "Seuls les coordinateurs peuvent faire ça" in strict_bot.group_messages[-1].text
    await cora.say("/help", in_group=True)
    assert not offers_mission_command(strict_bot.group_messages[-1].text)
    assert await roles(strict_bot) == {"cora": "volunteer"}
    assert await mission_count(strict_bot) == 0


async def test_with_the_setting_off_the_admin_still_grants_coordinators(strict_bot: Bot) -> None:
    admin = await admin_in_group(strict_bot)
    cora = strict_bot.person("cora", "Coralie")
    strict_bot.platform.chat_admins.add("cora")
    await cora.say("/help", in_group=True)
    await admin.say("/coordinator add Coralie", in_group=True)
    assert await roles(strict_bot) == {"admin": "admin", "cora": "coordinator"}
    await cora.say("/mission")
    assert "Quel est son titre" in cora.last


# --- who coordinates, and what /help offers ----------------------------------------------


async def test_coordinators_lists_admins_and_coordinators_only(bot: Bot) -> None:
    admin = await admin_in_group(bot)
    await member(bot)
    cora = bot.person("cora", "Coralie")
    bot.platform.chat_admins.add("cora")
    await cora.say("/help", in_group=True)
    vera = await member(bot, "vera", "Véra")
    await admin.say("/coordinator add Jean Dupont", in_group=True)

    await vera.say("/coordinators", in_group=True)
    assert bot.group_messages[-1].text == (
        "Qui coordonne Banque alimentaire :\nAgnès (admin)\nJean Dupont\nCoralie"
    )
    await vera.say("/coordinateurs")
    assert vera.last == bot.group_messages[-1].text
    assert "Véra" not in vera.last


async def test_coordinators_in_private_outside_any_association(bot: Bot) -> None:
    zoe = bot.person("zoe", "Zoé")
    await zoe.say("/coordinators")
    assert "Tu ne fais encore partie d'aucune association" in zoe.last


@pytest.mark.parametrize("in_group", [True, False], ids=["in-group", "in-private"])
async def test_help_offers_mission_to_coordinators_only(bot: Bot, in_group: bool) -> None:
    admin = await admin_in_group(bot)
    jean = await member(bot)
    vera = await member(bot, "vera", "Véra")
    await onboard(vera)
    await admin.say("/coordinator add Jean Dupont", in_group=True)

    def help_for(person: Person) -> str:
        return bot.group_messages[-1].text if in_group else person.last

    await vera.say("/help", in_group=in_group)
    volunteer_help = help_for(vera)
    assert "/missions : les missions ouvertes" in volunteer_help
    assert not offers_mission_command(volunteer_help)
    assert not offers_coordinator_command(volunteer_help)

    await jean.say("/aide", in_group=in_group)
    coordinator_help = help_for(jean)
    assert offers_mission_command(coordinator_help)
    assert not offers_coordinator_command(coordinator_help)

    await admin.say("/help", in_group=in_group)
    admin_help = help_for(admin)
    assert offers_mission_command(admin_help) and offers_coordinator_command(admin_help)


async def test_help_hides_mission_again_once_the_role_is_removed(bot: Bot) -> None:
    admin = await admin_in_group(bot)
    jean = await member(bot)
    await admin.say("/coordinator add Jean Dupont", in_group=True)
    await jean.say("/help")
    assert offers_mission_command(jean.last)
    await admin.say("/coordinator remove Jean Dupont", in_group=True)
    await jean.say("/help")
    assert not offers_mission_command(jean.last)


# --- the configuration decides who is admin ------------------------------------------------


async def test_admin_removed_from_the_configuration_is_no_longer_admin(
    bot: Bot, sqlite_url: str
) -> None:
    await admin_in_group(bot)
    await member(bot)
    await bot.store.close()

    settings = Settings(database_url=sqlite_url, admins=())
    restarted = await make_bot(sqlite_url, settings=settings, clock=bot.clock)
    try:
        former = restarted.person("admin", "Agnès")
        await former.say("/help", in_group=True)
        await former.say("/coordinator add Jean Dupont", in_group=True)
        assert "Seuls les admins" in restarted.group_messages[-1].text
        assert (await roles(restarted))["u42"] == Role.VOLUNTEER.value
        assert (await roles(restarted))["admin"] != Role.ADMIN.value
    finally:
        await restarted.store.close()
