"""The Discord adapter end to end: the real discord.py and the real core on SQLite,
talking to the fake REST API and gateway in `tests/fake_discord.py`. Nothing reaches Discord.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

import pytest

from adapters.discord import DiscordPlatform
from adapters.discord.commands import command_payloads
from adapters.discord.limits import button_pages
from adapters.discord.options import command_text
from bot.cli import _platforms
from bot.config import ConfigError, Settings, load_settings
from bot.core import Core
from bot.events import Button, ChatKind, ChatRef, SendMessage
from bot.ports import DeliveryError, Outlet
from bot.services import Services
from data.store import Store
from tests.fake_discord import (
    CHANNEL_ID,
    COORDINATION_ROLE,
    DIRECTION_ROLE,
    GUILD_ID,
    TOKEN,
    FakeDiscord,
    Sent,
)
from tests.harness import Clock
from tests.scenarios import onboard as shared_onboard

if TYPE_CHECKING:
    from adapters.memory import Person
    from bot.context import Context
    from data.records import Volunteer

SETTLE = 10.0  # seconds an event may take before a test fails
MISSION: dict[str, str | int] = {
    "title": "Tri alimentaire",
    "when": "samedi 14h-17h",
    "place": "Entrepôt, 12 rue des Lilas",
    "places": 3,
    "skills": "manutention",
}


class Member:
    """Someone on the Discord server: slash commands, clicks, replies, private messages.

    Speaks like `adapters.memory.Person`, so the shared steps of `tests/scenarios.py` drive
    it too."""

    def __init__(self, world: World, user_id: int, name: str) -> None:
        self.world = world
        self.id = user_id
        self.user = world.fake.user(user_id, name)

    async def say(self, text: str, *, in_group: bool = False) -> None:
        """A slash command (`/name text`) or a private message; in the channel if `in_group`."""
        fake = self.world.fake
        if text.startswith("/"):
            name, _, args = text[1:].partition(" ")
            channel = CHANNEL_ID if in_group else None
            await self.world.settle(await fake.slash(self.user, name, args, channel_id=channel))
        else:
            assert not in_group, "in a server the bot only reads replies to its messages"
            channel_id = fake.dm_channels.setdefault(self.id, 90_000 + self.id)
            await self.world.settle(await fake.post(self.user, channel_id, text, None))

    async def reply(self, message: Sent, text: str) -> None:
        fake = self.world.fake
        await self.world.settle(await fake.post(self.user, message.channel_id, text, message))

    async def press(self, label: str, message: Sent | None = None) -> str:
        """Click the button whose label contains `label`; returns the ephemeral answer."""
        target = message or self.latest_with(label)
        button = target.find_button(label) if target else None
        if target is None or button is None:
            raise AssertionError(f"{self.user['global_name']} sees no button {label!r}")
        before = len(self.world.fake.ephemeral(self.id))
        await self.world.settle(await self.world.fake.click(self.user, target, button["custom_id"]))
        answers = self.world.fake.ephemeral(self.id)[before:]
        return answers[-1].content if answers else ""

    @property
    def inbox(self) -> list[Sent]:
        return self.world.fake.dm(self.id)

    @property
    def last(self) -> str:
        return self.inbox[-1].content if self.inbox else ""

    def texts(self) -> str:
        return "\n---\n".join(m.content for m in self.inbox)

    def latest_with(self, label: str) -> Sent | None:
        seen = self.inbox + self.world.channel_messages
        candidates = [m for m in seen if m.find_button(label) is not None]
        return max(candidates, key=lambda m: m.id, default=None)


def text_inputs(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The text inputs of a modal as sent to Discord (in action rows or labels)."""
    found = []
    for component in components:
        if component.get("type") == 4:
            found.append(component)
        found += text_inputs(list(component.get("components") or []))
        if isinstance(component.get("component"), dict):
            found += text_inputs([component["component"]])
    return found


async def onboard(member: Member) -> None:
    """The shared onboarding steps (a `Member` speaks like a `Person`)."""
    await shared_onboard(cast("Person", member))


class World:
    """The fake Discord, and the bot running on it (stopped and started at will)."""

    def __init__(self, fake: FakeDiscord, store: Store, settings: Settings) -> None:
        self.fake = fake
        self.store = store
        self.settings = settings
        self.core = Core(Services.build(store, settings, Clock()))
        self.handled: set[str] = set()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._stop = asyncio.Event()
        platform = DiscordPlatform(
            self.settings, on_handled=self.handled.add, guild_ready_timeout=0.05
        )
        self._task = asyncio.create_task(platform.run(self.core, self._stop))
        await self._until(platform.ready.is_set)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.wait_for(self._task, SETTLE)
            self._task = None

    async def restart(self) -> None:
        """Stop the bot and start a new one (new core, new client) on the same database."""
        await self.stop()
        self.core = Core(self.core.services)
        await self.start()

    @property
    def clock(self) -> Clock:
        return cast("Clock", self.core.services.clock)

    async def volunteer(self, member: Member) -> Volunteer:
        async with self.store.transaction() as tx:
            identity = await tx.people.identity("discord", str(member.id))
            assert identity is not None
            volunteer = await tx.people.get(identity.volunteer_id)
        assert volunteer is not None
        return volunteer

    @property
    def outlet(self) -> Outlet:
        return self.core.outlets["discord"]

    async def _until(self, condition: Callable[[], object]) -> None:
        async with asyncio.timeout(SETTLE):
            while not condition():
                if self._task is not None and self._task.done():
                    self._task.result()
                    raise AssertionError("the Discord platform stopped")
                await asyncio.sleep(0.005)

    async def settle(self, item_id: int) -> None:
        """Wait until the bot has handled the interaction or message."""
        await self._until(lambda: str(item_id) in self.handled)

    def person(self, user_id: int, name: str) -> Member:
        return Member(self, user_id, name)

    def coordinator(self, user_id: int = 1, name: str = "Coralie") -> Member:
        """A member with Manage Server."""
        self.fake.admins.add(user_id)
        return self.person(user_id, name)

    @property
    def channel_messages(self) -> list[Sent]:
        return self.fake.visible(CHANNEL_ID)

    def card(self, mission_id: int) -> Sent:
        for message in self.channel_messages:
            if any(line.endswith(f"· #{mission_id}") for line in message.shown.splitlines()[:2]):
                return message
        raise AssertionError(f"no card for mission #{mission_id}")

    async def post_mission(
        self, coordinator: Member, options: dict[str, str | int] | None = None
    ) -> int:
        """`/mission` with its typed options in the channel, then Publish."""
        await self.settle(
            await self.fake.slash(coordinator.user, "mission", options=options or MISSION)
        )
        await coordinator.press("Publier", self.channel_messages[-1])
        published = [m for m in self.channel_messages if "publiée" in m.content]
        assert published, [m.content for m in self.channel_messages]
        return int(published[-1].content.split("#")[1].split()[0])


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    try:
        yield server
    finally:
        await server.close()
    assert server.unknown == [], f"the bot called routes the fake does not know: {server.unknown}"


@pytest.fixture
async def world(fake: FakeDiscord, sqlite_url: str) -> AsyncIterator[World]:
    settings = Settings(
        database_url=sqlite_url,
        discord_token=TOKEN,
        discord_api_base_url=fake.base_url,
        discord_guild_ids=(7000,),
    )
    store = Store(sqlite_url)
    dc = World(fake, store, settings)
    await dc.start()
    try:
        yield dc
    finally:
        await dc.stop()
        await store.close()


# --- the volunteer loop ---------------------------------------------------------------


async def test_slash_commands_are_synced_with_french_and_english_descriptions(
    world: World,
) -> None:
    synced = world.fake.calls_of("PUT", r"/applications/\d+/guilds/7000/commands")
    assert synced, "synced per server, as DISCORD_GUILD_IDS asks"
    commands = {c["name"]: c for c in world.fake.commands}
    assert {"start", "mission", "missions", "profile", "help"} <= set(commands)
    mission = commands["mission"]
    assert mission["description_localizations"]["fr"] == "Publier une mission"
    assert mission["description_localizations"]["en-US"] == "Post a mission"
    assert commands["help"]["name_localizations"] == {"fr": "aide"}
    assert commands["help"]["options"] == []


async def test_coordinator_commands_have_typed_options_in_french_and_english(
    world: World,
) -> None:
    commands = {c["name"]: c for c in world.fake.commands}
    options = {o["name"]: o for o in commands["mission"]["options"]}
    assert options["title"]["type"] == 3 and options["title"]["max_length"] == 120
    assert options["title"]["name_localizations"]["fr"] == "titre"
    places = options["places"]
    assert (places["type"], places["min_value"], places["max_value"]) == (4, 1, 500)
    assert places["description_localizations"]["en-GB"] == "How many people"
    assert options["edit"]["autocomplete"] and options["edit"]["type"] == 4
    view, period, start, end = commands["stats"]["options"]
    assert [c["value"] for c in view["choices"]] == ["missions", "volunteers"]
    assert (start["name_localizations"]["fr"], end["name_localizations"]["fr"]) == ("du", "au")
    assert [c["value"] for c in period["choices"]] == ["week", "month", "quarter", "year"]
    assert period["choices"][0]["name_localizations"] == {
        "fr": "semaine",
        "en-US": "week",
        "en-GB": "week",
    }
    (mission_id,) = commands["invite"]["options"]
    assert (mission_id["type"], mission_id["required"], mission_id["min_value"]) == (4, True, 1)
    action, member = commands["coordinator"]["options"]
    assert member["type"] == 6 and {c["value"] for c in action["choices"]} == {"add", "remove"}
    assert [o["type"] for o in commands["profile"]["options"]] == [5]
    for command in world.fake.commands:
        for option in command["options"]:
            assert re.fullmatch(r"[-_\w]{1,32}", option["name_localizations"]["fr"]), option
            assert option["name_localizations"]["fr"] == option["name_localizations"]["fr"].lower()
            assert all(len(d) <= 100 for d in option["description_localizations"].values())
            assert len(option.get("choices", [])) <= 25


async def test_a_volunteer_onboards_in_private(world: World) -> None:
    awa = world.person(11, "Awa")
    await awa.say("/start")
    assert "Bienvenue Awa" in awa.last
    await onboard(awa)  # /start again resumes; the shared steps finish it
    async with world.store.transaction() as tx:
        identity = await tx.people.identity("discord", "11")
        assert identity is not None
        volunteer = await tx.people.get(identity.volunteer_id)
        assert volunteer is not None and volunteer.onboarded and volunteer.postcode == "75011"
    thinking = world.fake.calls_of("POST", r"/interactions/\d+/[^/]+/callback")
    assert thinking and all(c.status == 200 for c in thinking), "every interaction acknowledged"


async def test_the_mission_card_fills_up_then_promotes_from_the_waitlist(world: World) -> None:
    coord = world.coordinator()
    alice, bob, carol, dave = (
        world.person(21, "Alice"),
        world.person(22, "Bob"),
        world.person(23, "Carol"),
        world.person(24, "Dave"),
    )
    for person in (alice, bob, carol, dave):
        await onboard(person)
    mission_id = await world.post_mission(coord)
    card = world.card(mission_id)
    assert card.field("Inscrits") == "0/3" and card.content == ""
    assert card.labels == ["Je participe", "Détails", "Me retirer"]

    assert "inscrit" in await alice.press("Je participe", card)
    await bob.press("Je participe", card)
    await carol.reply(card, "je viens")
    assert card.field("Inscrits") == "3/3", card.shown
    assert "Complet" in card.embeds[0]["description"]
    assert "liste d'attente" in await dave.press("Je participe", card)
    assert card.field("Inscrits") == "3/3 · 1 en liste d'attente"

    await alice.press("Me retirer", card)
    assert "Une place s'est libérée" in dave.last
    assert card.field("Inscrits") == "3/3", "nobody waits any more"
    assert world.card(mission_id) is card and card.edits >= 5, "one card, edited in place"


async def test_buttons_keep_working_after_a_restart(world: World) -> None:
    coord, eve = world.coordinator(), world.person(31, "Eve")
    await onboard(eve)
    mission_id = await world.post_mission(coord)
    await world.restart()
    assert world.fake.identified == 2
    assert "inscrit" in await eve.press("Je participe", world.card(mission_id))
    assert world.card(mission_id).field("Inscrits") == "1/3"


async def test_a_newcomer_clicking_join_is_welcomed_in_private(world: World) -> None:
    coord, finn = world.coordinator(), world.person(32, "Finn")
    mission_id = await world.post_mission(coord)
    await finn.press("Je participe", world.card(mission_id))
    assert "Bienvenue Finn" in finn.texts(), "the bot opens the private chat itself"


async def test_a_member_with_private_messages_closed_is_marked_unreachable(world: World) -> None:
    coord, gil = world.coordinator(), world.person(51, "Gil")
    await onboard(gil)
    mission_id = await world.post_mission(coord)
    world.fake.closed_dms.add(gil.id)
    assert "inscrit" in await gil.press("Je participe", world.card(mission_id))
    assert world.card(mission_id).field("Inscrits") == "1/3"
    async with world.store.transaction() as tx:
        identity = await tx.people.identity("discord", "51")
    assert identity is not None and not identity.reachable


async def test_a_late_acknowledgement_is_refused_but_the_command_still_counts(
    world: World,
) -> None:
    hana = world.person(61, "Hana")
    interaction = await world.fake.slash(hana.user, "start", channel_id=None, age=5.0)
    await world.settle(interaction)
    refused = world.fake.calls_of("POST", rf"/interactions/{interaction}/[^/]+/callback")
    assert [c.status for c in refused] == [404]
    assert "Bienvenue Hana" in hana.last


async def test_mission_ids_are_suggested_from_the_open_missions(world: World) -> None:
    coord = world.coordinator()
    mission_id = await world.post_mission(coord)
    interaction = await world.fake.autocomplete(coord.user, "match", "tri")
    await world.settle(interaction)
    answer = world.fake.calls_of("POST", rf"/interactions/{interaction}/[^/]+/callback")[-1]
    assert answer.body["type"] == 8
    choices = answer.body["data"]["choices"]
    assert choices == [{"name": f"#{mission_id} Tri alimentaire", "value": mission_id}]
    assert {c["name"]: c for c in world.fake.commands}["match"]["options"][0]["autocomplete"]


async def test_a_member_with_the_coordinator_role_posts_missions(world: World) -> None:
    world.settings = dataclasses.replace(world.settings, discord_coordinator_role="coordination")
    await world.restart()
    iris = world.person(71, "Iris")
    await world.settle(
        await world.fake.slash(
            iris.user, "mission", options=MISSION, roles=[str(COORDINATION_ROLE)]
        )
    )
    assert world.channel_messages[-1].find_button("Publier") is not None
    await world.settle(await world.fake.slash(iris.user, "help"))  # the role was removed
    await world.settle(await world.fake.slash(iris.user, "mission", options=MISSION))
    assert world.channel_messages[-1].find_button("Publier") is None, "the role went with it"
    jules = world.person(72, "Jules")
    await world.settle(await world.fake.slash(jules.user, "mission", options=MISSION))
    assert world.channel_messages[-1].find_button("Publier") is None, "not a coordinator"


async def test_a_deleted_card_is_posted_again(world: World) -> None:
    coord, kim = world.coordinator(), world.person(81, "Kim")
    await onboard(kim)
    mission_id = await world.post_mission(coord)
    old = world.card(mission_id)
    await kim.press("Je participe", old)
    assert old.field("Inscrits") == "1/3"
    old.deleted = True  # someone with Manage Messages deleted it
    await world.settle(await world.fake.slash(kim.user, "mymissions", channel_id=None))
    await kim.press(f"Me retirer de #{mission_id}")
    new = world.card(mission_id)
    assert new is not old and new.field("Inscrits") == "0/3"
    refused = world.fake.calls_of("PATCH", rf"/channels/\d+/messages/{old.id}")
    assert refused and refused[-1].status == 404


async def test_a_reminder_reaches_the_volunteer_by_private_message_and_is_answered(
    world: World,
) -> None:
    """Posted by slash command; two join by buttons, a third by replying to the card; a
    withdrawal promotes the waitlisted person; the clock moves; the reminder comes by DM."""
    coord = world.coordinator()
    alice, bob, carol, dave = (world.person(100 + i, n) for i, n in enumerate("ABCD", 1))
    for person in (alice, bob, carol, dave):
        await onboard(person)
    mission_id = await world.post_mission(coord)
    card = world.card(mission_id)
    await alice.press("Je participe", card)
    await bob.press("Je participe", card)
    await carol.reply(card, "je viens")
    assert card.field("Inscrits") == "3/3" and card.embeds[0]["title"].endswith(f"#{mission_id}")
    await dave.press("Je participe", card)
    await bob.press("Me retirer", card)
    assert "Une place s'est libérée" in dave.last
    assert "confirmé" in await dave.press("Je confirme", dave.inbox[-1]) or "confirmé" in dave.last
    assert card.field("Inscrits") == "3/3"

    async with world.store.transaction() as tx:
        mission = await tx.missions.get(mission_id)
    assert mission is not None
    world.clock.now = mission.starts_at - timedelta(hours=23)  # past the 24 h reminder
    assert await world.core.tasks.run_due() >= 3
    for person in (alice, carol, dave):
        assert "Rappel" in person.last and "Toujours partant" in person.last, person.texts()
        assert person.inbox[-1].labels == ["Oui, je viens", "Je ne peux plus"]
    assert "Rappel" not in bob.texts(), "bob withdrew"
    await dave.press("Oui, je viens", dave.inbox[-1])
    assert "À bientôt" in dave.last
    dave_id = (await world.volunteer(dave)).id
    async with world.store.transaction() as tx:
        signup = await tx.missions.signup(mission_id, dave_id)
    assert signup is not None and signup.reminder_answer == "yes"


async def test_mission_form_opens_as_a_modal_and_creates_through_the_mission_checks(
    world: World,
) -> None:
    coord = world.coordinator()
    opened = await world.fake.slash(coord.user, "mission")
    await world.settle(opened)
    modal = world.fake.modals[opened]
    assert modal["custom_id"] == "form:mission" and modal["title"] == "Nouvelle mission"
    inputs = [row["components"][0] for row in modal["components"]]
    assert [i["custom_id"] for i in inputs] == ["title", "when", "place", "slots", "skills"]
    assert inputs[0]["label"] == "Titre" and inputs[0]["max_length"] == 120
    answered = world.fake.calls_of("POST", rf"/interactions/{opened}/[^/]+/callback")
    assert [c.body["type"] for c in answered] == [9], "the modal is the first answer"

    values = {"title": "Tri", "when": "jamais", "place": "", "slots": "3", "skills": ""}
    await world.settle(await world.fake.submit(coord.user, "form:mission", values))
    assert "Je n'ai pas compris la date « jamais »" in world.channel_messages[-1].content
    async with world.store.transaction() as tx:
        assert await tx.missions.get(1) is None, "nothing created"

    values["when"] = "samedi 14h-17h"
    await world.settle(await world.fake.submit(coord.user, "form:mission", values))
    summary = world.channel_messages[-1]
    assert "Tri" in summary.content and summary.find_button("Publier") is not None
    await coord.press("Publier", summary)
    assert world.card(1).field("Inscrits") == "0/3"


async def test_profile_form_changes_the_profile_and_refuses_what_it_cannot_read(
    world: World,
) -> None:
    awa = world.person(11, "Awa")
    await onboard(awa)
    opened = await world.fake.slash(awa.user, "profile", options={"edit": True}, channel_id=None)
    await world.settle(opened)
    assert world.fake.modals[opened]["custom_id"] == "form:profile"
    shown = {
        c["custom_id"]: c.get("value") for c in text_inputs(world.fake.modals[opened]["components"])
    }
    assert shown == {  # what the profile holds, so a change keeps the rest
        "skills": "Cuisine, Conduite (permis B)",
        "availability": "samedi après-midi",
        "place": "Paris 75011",
    }
    unchanged = {k: v or "" for k, v in shown.items()}
    await world.settle(
        await world.fake.submit(awa.user, "form:profile", unchanged, channel_id=None)
    )
    volunteer = await world.volunteer(awa)
    async with world.store.transaction() as tx:
        assert {k.skill_id for k in await tx.people.skills(volunteer.id)} == {
            "cooking",
            "driving_b",
        }
        assert await tx.people.availability(volunteer.id) == {(5, "afternoon")}
    assert volunteer.location_text == "Paris 75011"

    assert world.fake.modals[opened]["title"] == "Ton profil"
    await world.settle(
        await world.fake.slash(awa.user, "language", options={"language": "en"}, channel_id=None)
    )
    in_english = await world.fake.slash(
        awa.user, "profile", options={"edit": True}, channel_id=None
    )
    await world.settle(in_english)
    assert world.fake.modals[in_english]["title"] == "Your profile", "her choice, not her app's"
    await world.settle(
        await world.fake.slash(awa.user, "language", options={"language": "fr"}, channel_id=None)
    )

    in_server = await world.fake.slash(awa.user, "profile", options={"edit": True})
    await world.settle(in_server)
    assert in_server not in world.fake.modals, "a profile is never edited in a channel"

    bad = {"skills": "", "availability": "quand je veux", "place": "Lyon 69003"}
    await world.settle(await world.fake.submit(awa.user, "form:profile", bad, channel_id=None))
    assert "Je n'ai pas compris « quand je veux »" in awa.last
    assert (await world.volunteer(awa)).postcode == "75011", "nothing saved"

    good = {
        "skills": "jardinage\npermis B\n",  # one per line, as a paragraph field invites
        "availability": "tous les samedis matin, dimanche soir",
        "place": "",
    }
    await world.settle(await world.fake.submit(awa.user, "form:profile", good, channel_id=None))
    assert "enregistré" in awa.texts()
    volunteer = await world.volunteer(awa)
    async with world.store.transaction() as tx:
        slots = await tx.people.availability(volunteer.id)
    assert set(slots) == {(5, "morning"), (6, "evening")}
    assert volunteer.postcode == "75011", "an empty field keeps its value"
    async with world.store.transaction() as tx:
        skills = {k.skill_id for k in await tx.people.skills(volunteer.id)}
    assert skills == {"gardening", "driving_b"}


async def test_roles_named_in_the_settings_grant_coordinator_and_admin(world: World) -> None:
    world.settings = dataclasses.replace(
        world.settings, discord_coordinator_role="coordination", discord_admin_role="Direction"
    )
    await world.restart()
    nora, oscar = world.person(91, "Nora"), world.person(92, "Oscar")
    await world.settle(await world.fake.slash(oscar.user, "missions"))  # a member now
    coordinator = [str(COORDINATION_ROLE)]
    await world.settle(
        await world.fake.slash(
            nora.user,
            "coordinator",
            options={"action": "add", "member": str(oscar.id)},
            roles=coordinator,
        )
    )
    assert "admin" in world.channel_messages[-1].content.lower(), "a coordinator is not admin"
    await world.settle(
        await world.fake.slash(
            nora.user,
            "coordinator",
            options={"action": "add", "member": str(oscar.id)},
            roles=[str(DIRECTION_ROLE)],
        )
    )
    assert "Oscar est maintenant coordinateur" in world.channel_messages[-1].content
    await world.settle(await world.fake.slash(oscar.user, "mission", options=MISSION))
    assert world.channel_messages[-1].find_button("Publier") is not None


async def test_a_role_id_in_the_settings_grants_admin_too(world: World) -> None:
    world.settings = dataclasses.replace(world.settings, discord_admin_role=str(DIRECTION_ROLE))
    await world.restart()
    nora, oscar = world.person(91, "Nora"), world.person(92, "Oscar")
    await world.settle(await world.fake.slash(oscar.user, "missions"))
    add_oscar = {"action": "add", "member": str(oscar.id)}
    await world.settle(await world.fake.slash(nora.user, "coordinator", options=add_oscar))
    assert "Oscar est maintenant" not in world.channel_messages[-1].content, "no role: no admin"
    await world.settle(
        await world.fake.slash(
            nora.user, "coordinator", options=add_oscar, roles=[str(DIRECTION_ROLE)]
        )
    )
    assert "Oscar est maintenant coordinateur" in world.channel_messages[-1].content


async def test_a_file_given_to_import_reaches_the_core_within_the_size_limit(
    world: World,
) -> None:
    received: list[tuple[str, bytes, str]] = []

    async def importer(ctx: Context, filename: str, content: bytes, caption: str) -> None:
        received.append((filename, content, caption))

    world.core.router.file_shared = importer
    admin = world.coordinator()
    csv = b"nom,ville\nAwa,Paris\n"
    await world.settle(
        await world.fake.slash(admin.user, "import", file=("benevoles.csv", csv), channel_id=None)
    )
    assert received == [("benevoles.csv", csv, "/import")]
    big = await world.fake.slash(
        admin.user, "import", file=("gros.csv", b"x" * 1_000_001), channel_id=None
    )
    await world.settle(big)
    assert len(received) == 1, "not downloaded, not imported"
    refusal = world.fake.ephemeral(admin.id)[-1].content
    assert "1001 Ko" in refusal and "1000 Ko" in refusal
    payloads = command_payloads(
        world.core.services.catalogs, world.core.router, world.core.services.settings.language
    )
    option, named = next(p for p in payloads if p["name"] == "import")["options"]
    assert option["type"] == 11 and option["required"]
    assert named["type"] == 3 and not named["required"], "the association, for an admin of several"


async def test_a_message_that_mentions_the_bot_is_a_question_to_it(world: World) -> None:
    heard: list[tuple[str, str]] = []

    async def mention(ctx: Context, text: str) -> None:
        heard.append((ctx.user.display_name, text))

    world.core.router.group_mention = mention
    paul = world.person(95, "Paul")
    await world.settle(
        await world.fake.post(paul.user, CHANNEL_ID, "à quelle heure on commence ?", None)
    )
    asked = await world.fake.post(
        paul.user, CHANNEL_ID, "à quelle heure on commence ?", None, mention=True
    )
    await world.settle(asked)
    assert heard == [("Paul", "à quelle heure on commence ?")], "only the mention, stripped"


# --- limits ----------------------------------------------------------------------------


async def test_long_text_and_many_buttons_are_split_and_mentions_neutralised(
    world: World,
) -> None:
    lines = [f"ligne {i:04d} @everyone " + "é" * 40 for i in range(100)]
    text = "\n".join(lines)
    keyboard = tuple(
        tuple(Button(f"B{r}-{c}" + "x" * 90, f"x:{r}:{c}") for c in range(7)) for r in range(4)
    )
    chat = ChatRef("discord", str(CHANNEL_ID), ChatKind.GROUP)
    ref = await world.outlet.perform(SendMessage(chat, text, keyboard))
    parts = world.channel_messages
    assert ref is not None and len(parts) == 5, [len(p.content) for p in parts]
    texts = [p for p in parts if p.content]
    assert all(len(p.content) <= 2000 for p in texts) and len(texts) == 4
    assert "@everyone" not in "".join(p.content for p in parts)
    joined = "\n".join(p.content for p in texts).replace("@\u200b", "@")
    assert joined == text
    assert all(p.allowed_mentions == {"parse": []} for p in parts)
    assert [len(p.buttons) for p in parts if p.buttons] == [19, 9], "rows of 7 cut in 5 + 2"
    assert all(len(b["label"]) <= 80 for p in parts for b in p.buttons)
    assert ref.message_id == str(texts[-1].id)


def test_a_custom_id_over_100_characters_is_refused() -> None:
    with pytest.raises(DeliveryError):
        button_pages(((Button("ok", "x" * 101),),))
    assert button_pages(((Button("a", "a"),) * 6,)) == [[[("a", "a")] * 5, [("a", "a")]]]


async def test_a_wrong_token_stops_the_platform_with_a_clear_error(
    fake: FakeDiscord, sqlite_url: str
) -> None:
    settings = Settings(
        database_url=sqlite_url,
        discord_token="Wrong.Token.ForTests_0123456789",
        discord_api_base_url=fake.base_url,
    )
    store = Store(sqlite_url)
    try:
        core = Core(Services.build(store, settings, Clock()))
        with pytest.raises(Exception, match="Improper token"):  # discord.LoginFailure
            await DiscordPlatform(settings).run(core, asyncio.Event())
        assert "discord" not in core.outlets
    finally:
        await store.close()


# --- configuration ----------------------------------------------------------------------


def test_discord_settings_are_read_and_start_the_adapter() -> None:
    settings = load_settings(
        {
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_API_BASE_URL": "http://127.0.0.1:9/api/v10",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9/gateway",
            "DISCORD_GUILD_IDS": "123, 456",
            "DISCORD_COORDINATOR_ROLE": "Coordination",
            "DISCORD_ADMIN_ROLE": " Direction ",
        },
        dotenv=None,
    )
    assert settings.discord_guild_ids == (123, 456)
    assert settings.discord_coordinator_role == "Coordination"
    assert settings.discord_admin_role == "Direction"
    assert [p.name for p in _platforms(settings)] == ["discord"]
    with pytest.raises(ConfigError, match="DISCORD_GUILD_IDS"):
        load_settings({"DISCORD_GUILD_IDS": "abc"}, dotenv=None)
    with pytest.raises(ConfigError, match="DISCORD_GATEWAY_URL"):
        load_settings({"DISCORD_GATEWAY_URL": "http://x"}, dotenv=None)
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        DiscordPlatform(Settings(discord_token="short"))


async def test_every_channel_of_a_server_is_one_organisation(world: World) -> None:
    coord = world.coordinator()
    mission_id = await world.post_mission(coord)  # in the missions channel
    other_channel = CHANNEL_ID + 1  # e.g. #coordination, on the same server
    before = len(world.fake.ephemeral(coord.id)), len(coord.inbox)
    await world.settle(
        await world.fake.slash(
            coord.user, "match", options={"mission": mission_id}, channel_id=other_channel
        )
    )
    answers = [m.content for m in world.fake.ephemeral(coord.id)[before[0] :]]
    answers += [m.content for m in coord.inbox[before[1] :]]
    assert len(answers) == 1 and "« Tri alimentaire »" in answers[0], answers
    async with world.store.transaction() as tx:
        first = await tx.orgs.chat_space("discord", str(CHANNEL_ID))
        second = await tx.orgs.chat_space("discord", str(other_channel))
    assert first is not None and second is not None
    assert first.org_id == second.org_id and first.group_id == second.group_id == str(GUILD_ID)


def test_stats_and_export_options_read_as_the_words_typed_after_the_command() -> None:
    assert command_text("stats", {"view": "missions", "period": "quarter"}) == "missions quarter"
    dates = {"from": "01/09/2026", "to": "30/11/2026", "period": "month"}
    assert command_text("stats", dates) == "01/09/2026 30/11/2026", "dates win"
    assert command_text("export", {"kind": "hours", **dates}) == "hours 01/09/2026 30/11/2026"
    assert command_text("stats", {}) == ""
