"""Notifications through the outbox, with a platform that rate-limits, fails, loses messages.

The real core on a real database with the harness clock (tests/harness.py), as the shared
`bot` fixture, but with an outlet a test can make fail on the actions it picks. Back-offs
are measured on the bot's clock, which the tests move by hand.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from adapters.memory import MemoryOutlet, MemoryPlatform, Message, Person
from bot.config import Settings
from bot.core import Core
from bot.events import Action, MessageRef, SendPrivate
from bot.outbox import GIVE_UP_AFTER, queue_private
from bot.ports import DeliveryError, RetryLater
from bot.services import Services
from data.records import SignupStatus
from data.schema import outbox
from data.store import Store
from tests.harness import Bot, Clock, make_bot
from tests.scenarios import onboard, post_mission

MISSION = "Tri alimentaire | demain 14h-17h | Entrepôt, 12 rue des Lilas | 1 | manutention"
PROMOTED = "Une place s'est libérée"


class ScriptedOutlet(MemoryOutlet):
    """The in-memory platform, failing on the actions a test picks (a rate limit, an outage)."""

    def __init__(self, platform: str = "memory") -> None:
        super().__init__(platform)
        self._rules: list[tuple[Callable[[Action], bool], DeliveryError]] = []

    def fail_private_to(self, user_id: str, *errors: DeliveryError) -> None:
        """The next private messages to `user_id` fail with `errors`, one each."""

        def matches(action: Action) -> bool:
            return isinstance(action, SendPrivate) and action.user.user_id == user_id

        self._rules += [(matches, error) for error in errors]

    async def perform(self, action: Action) -> MessageRef | None:
        for index, (matches, error) in enumerate(self._rules):
            if matches(action):
                del self._rules[index]
                self.fail_next.insert(0, error)
                break
        return await super().perform(action)


@pytest.fixture
async def bot(sqlite_url: str) -> AsyncIterator[Bot]:
    """The shared `bot` fixture, with a scripted outlet."""
    clock = Clock()
    settings = Settings(database_url=sqlite_url, admins=("memory:admin",))
    store = Store(sqlite_url)
    core = Core(Services.build(store, settings, clock))
    outlet = ScriptedOutlet()
    core.attach(outlet)
    try:
        yield Bot(core, store, outlet, MemoryPlatform(core.handle, outlet), clock)
    finally:
        await store.close()


def scripted(bot: Bot) -> ScriptedOutlet:
    assert isinstance(bot.outlet, ScriptedOutlet)
    return bot.outlet


@dataclass(frozen=True)
class Row:
    key: str
    platform: str
    status: str
    attempts: int
    last_error: str | None
    not_before: datetime


async def rows(bot: Bot, key_prefix: str = "", *, to: str | None = None) -> list[Row]:
    """The outbox rows whose key starts with `key_prefix` (and, with `to`, that are private
    notices to that person telling them a place was freed)."""
    async with bot.store.connection() as conn:
        result = await conn.execute(
            select(outbox).where(outbox.c.idempotency_key.startswith(key_prefix))
        )
        return [
            Row(r.idempotency_key, r.platform, r.status, r.attempts, r.last_error, r.not_before)
            for r in result
            if to is None
            or (
                r.kind == "private" and r.payload["user_id"] == to and PROMOTED in r.payload["text"]
            )
        ]


async def only_row(bot: Bot, key_prefix: str = "", *, to: str | None = None) -> Row:
    found = await rows(bot, key_prefix, to=to)
    assert len(found) == 1, found
    return found[0]


async def place_notice_to(bot: Bot, user_id: str) -> Row:
    """The one notice telling `user_id` that a place was freed for them."""
    return await only_row(bot, to=user_id)


def cards(bot: Bot, mission_id: int) -> list[Message]:
    """Every card of the mission the group ever showed, oldest first (deleted ones too)."""
    return [
        m for m in bot.group_messages if m.text.startswith("🤝") and f"· #{mission_id}" in m.text
    ]


@dataclass
class Waitlist:
    mission_id: int
    coordinator: Person
    alice: Person
    bob: Person


async def full_mission_with_a_waitlist(bot: Bot, bob: Person | None = None) -> Waitlist:
    """One place: Alice has it, Bob waits for it."""
    coordinator, alice = bot.person("coord", "Coralie"), bot.person("alice", "Alice")
    bob = bob or bot.person("bob", "Bob")
    await onboard(alice)
    await onboard(bob)
    mission_id = await post_mission(bot, coordinator, MISSION)
    await alice.press("Je participe", bot.card(mission_id))
    await bob.say(f"/start m{mission_id}")
    assert "tu es en liste d'attente (n°1)" in bob.last
    return Waitlist(mission_id, coordinator, alice, bob)


HELD = (SignupStatus.OFFERED, SignupStatus.CONFIRMED)  # the freed place is Bob's


async def signup_status(bot: Bot, mission_id: int, user_id: str) -> SignupStatus:
    async with bot.store.transaction() as tx:
        identity = await tx.people.identity(bot.outlet.platform, user_id)
        assert identity is not None
        signup = await tx.missions.signup(mission_id, identity.volunteer_id)
        assert signup is not None
        return signup.status


async def queue_hello(bot: Bot, user_id: str, key: str) -> bool:
    """Queue a private notification to someone, outside any conversation."""
    async with bot.store.transaction() as tx:
        identity = await tx.people.identity(bot.outlet.platform, user_id)
        if identity is None:
            _, identity = await tx.people.create_with_identity(
                bot.outlet.platform, user_id, user_id.title(), "fr"
            )
        return await queue_private(
            tx, bot.core.services, identity.volunteer_id, key, "general.member_welcome", name="X"
        )


# --- rate limits and retries --------------------------------------------------------


async def test_a_rate_limited_notice_of_a_freed_place_waits_then_goes_out(bot: Bot) -> None:
    w = await full_mission_with_a_waitlist(bot)
    scripted(bot).fail_private_to("bob", RetryLater(1))

    await w.alice.press("Me retirer", bot.card(w.mission_id))

    assert PROMOTED not in w.bob.texts()
    assert await signup_status(bot, w.mission_id, "bob") in HELD
    assert "1/1 inscrits" in bot.card(w.mission_id).text, "the card is not held up"
    row = await place_notice_to(bot, "bob")
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "retry after 1s")
    assert row.not_before > bot.clock(), "it waits before trying again"
    assert await bot.core.delivery.flush() == 0

    bot.clock.advance(minutes=1)
    assert await bot.core.delivery.flush() == 1
    assert PROMOTED in w.bob.last
    assert w.bob.inbox[-1].labels, "its buttons survived the wait"
    row = await place_notice_to(bot, "bob")
    assert (row.status, row.attempts) == ("sent", 1)
    assert await bot.core.delivery.flush() == 0
    assert w.bob.texts().count(PROMOTED) == 1


async def test_a_rate_limited_notice_waits_as_long_as_the_platform_asks(bot: Bot) -> None:
    w = await full_mission_with_a_waitlist(bot)
    scripted(bot).fail_private_to("bob", RetryLater(60))
    await w.alice.press("Me retirer", bot.card(w.mission_id))

    bot.clock.advance(seconds=10)
    await bot.core.delivery.flush()
    assert PROMOTED not in w.bob.texts(), "sent 10 s after being told to wait 60 s"
    bot.clock.advance(seconds=60)
    await bot.core.delivery.flush()
    assert PROMOTED in w.bob.last


async def test_a_failing_platform_loses_no_notification(bot: Bot) -> None:
    bot.outlet.fail_next = [DeliveryError("502 Bad Gateway")] * 3
    assert await queue_hello(bot, "awa", "hello:awa")
    for attempt in (1, 2, 3):
        assert await bot.core.delivery.flush() == 0
        row = await only_row(bot, "hello:")
        assert (row.status, row.attempts, row.last_error) == ("pending", attempt, "502 Bad Gateway")
        bot.clock.advance(hours=1)
    assert await bot.core.delivery.flush() == 1
    assert bot.outlet.chat("awa").messages[-1].text.startswith("Bienvenue X !")
    assert (await only_row(bot, "hello:")).status == "sent"


async def test_after_eight_failed_attempts_a_notification_is_marked_failed(bot: Bot) -> None:
    bot.outlet.fail_next = [DeliveryError("500") for _ in range(GIVE_UP_AFTER)]
    assert await queue_hello(bot, "awa", "hello:awa")
    for _ in range(GIVE_UP_AFTER + 2):
        await bot.core.delivery.flush()
        bot.clock.advance(hours=2)
    row = await only_row(bot, "hello:")
    assert (row.status, row.attempts) == ("failed", GIVE_UP_AFTER)
    assert bot.outlet.fail_next == [] and bot.outlet.chat("awa").messages == []


async def test_backoff_doubles_after_each_failure(bot: Bot) -> None:
    bot.outlet.fail_next = [DeliveryError("500") for _ in range(4)]
    assert await queue_hello(bot, "awa", "hello:awa")
    waits = []
    for _ in range(4):
        await bot.core.delivery.flush()
        row = await only_row(bot, "hello:")
        waits.append((row.not_before - bot.clock()).total_seconds())
        bot.clock.advance(hours=1)
    assert waits == [2, 4, 8, 16]


# --- people and messages that are gone ------------------------------------------------


async def test_a_person_who_blocked_the_bot_is_marked_unreachable(bot: Bot) -> None:
    w = await full_mission_with_a_waitlist(bot)
    bot.outlet.blocked.add("bob")

    await w.alice.press("Me retirer", bot.card(w.mission_id))

    row = await place_notice_to(bot, "bob")
    assert row.status == "dropped" and (row.last_error or "").startswith("unreachable:")
    async with bot.store.transaction() as tx:
        identity = await tx.people.identity("memory", "bob")
    assert identity is not None and not identity.reachable
    assert await signup_status(bot, w.mission_id, "bob") in HELD
    assert "1/1 inscrits" in bot.card(w.mission_id).text
    bot.clock.advance(hours=1)
    assert await bot.core.delivery.flush() == 0, "a dropped notice is not retried"

    bot.outlet.blocked.discard("bob")
    await w.bob.say("/mymissions")  # Bob writes to the bot again
    async with bot.store.transaction() as tx:
        identity = await tx.people.identity("memory", "bob")
    assert identity is not None and identity.reachable
    assert "Tri alimentaire" in w.bob.last


async def test_a_deleted_card_is_posted_again_and_later_edits_go_to_the_new_one(
    bot: Bot,
) -> None:
    coordinator, alice, bob = bot.person("coord"), bot.person("alice"), bot.person("bob", "Bob")
    await onboard(alice)
    await onboard(bob)
    mission_id = await post_mission(bot, coordinator, MISSION.replace("| 1 |", "| 2 |"))
    old_card = bot.card(mission_id)
    old_card.deleted = True  # someone deleted the card in the group

    await alice.say(f"/start m{mission_id}")  # she signs up from a link, not from the card
    assert "Tu es inscrit·e à « Tri alimentaire »" in alice.last

    old, new = cards(bot, mission_id)
    assert old is old_card and "0/2 inscrits" in old.text and old.edits == 0
    assert not new.deleted and "1/2 inscrits" in new.text
    assert new.labels == ["Je participe", "Détails", "Me retirer"]
    statuses = {row.key: row.status for row in await rows(bot, f"card:{mission_id}:")}
    assert statuses[f"card:{mission_id}:post"] == "sent"
    assert sorted(s for k, s in statuses.items() if ":repost:" in k) == ["sent"]
    assert "dropped" in statuses.values()

    await bob.reply(new, "moi !")  # a reply to the new card is understood
    assert "Bob est inscrit·e" in bot.group_messages[-1].text
    assert cards(bot, mission_id) == [old, new]
    assert "2/2 inscrits" in new.text and new.edits >= 1
    assert old.edits == 0


# --- platforms that are not running ---------------------------------------------------


async def test_a_notice_waits_for_its_platform_to_be_attached(bot: Bot) -> None:
    telegram = MemoryOutlet(platform="telegram")
    bot.core.attach(telegram)
    bob = MemoryPlatform(bot.core.handle, telegram).person("bob", "Bob")
    w = await full_mission_with_a_waitlist(bot, bob)
    del bot.core.outlets["telegram"]  # the Telegram adapter stops

    await w.alice.press("Me retirer", bot.card(w.mission_id))

    assert PROMOTED not in bob.texts()
    assert "1/1 inscrits" in bot.card(w.mission_id).text, "the other platform is not held up"
    row = await place_notice_to(bot, "bob")
    assert (row.platform, row.status, row.attempts) == ("telegram", "pending", 0)
    assert await bot.core.delivery.flush() == 0

    bot.core.attach(telegram)  # it is back
    assert await bot.core.delivery.flush() == 1
    assert PROMOTED in bob.last
    assert (await place_notice_to(bot, "bob")).status == "sent"


async def test_notices_for_a_stopped_platform_do_not_hold_up_the_others(bot: Bot) -> None:
    """More than a batch (50) of notices for a platform that is not running."""
    async with bot.store.transaction() as tx:
        for n in range(60):
            payload: dict[str, Any] = {
                "user_id": f"tg{n}",
                "display_name": f"Tg {n}",
                "language": "fr",
                "text": "Bonjour",
                "buttons": [],
            }
            await tx.outbox.add(f"tg:{n}", platform="telegram", kind="private", payload=payload)
    assert await queue_hello(bot, "awa", "hello:awa")
    await bot.core.delivery.flush()
    assert len(bot.outlet.chat("awa").messages) == 1, "Awa's notice is held up"


async def test_notifications_go_out_when_the_bot_clock_is_behind_the_wall_clock(
    sqlite_url: str,
) -> None:
    """Due means due on the bot's clock: the shared `bot` fixture's clock is fixed at
    2026-11-29 09:00 UTC, and the scenario tests must keep working once real time is later."""
    clock = Clock(datetime.now(UTC) - timedelta(minutes=5))
    late = await make_bot(sqlite_url, clock=clock)
    try:
        await queue_hello(late, "awa", "hello:awa")
        await late.core.delivery.flush()
        delivered = [m.text for m in late.outlet.chat("awa").messages]
    finally:
        await late.store.close()
    assert len(delivered) == 1


# --- idempotency ------------------------------------------------------------------------


async def test_queuing_the_same_key_twice_sends_once(bot: Bot) -> None:
    assert await queue_hello(bot, "awa", "hello:awa")
    assert not await queue_hello(bot, "awa", "hello:awa")
    async with bot.store.transaction() as tx:
        identity = await tx.people.identity("memory", "awa")
        assert identity is not None
        for _ in range(2):
            assert not await queue_private(
                tx, bot.core.services, identity.volunteer_id, "hello:awa", "general.cancelled"
            )
    assert await bot.core.delivery.flush() == 1
    assert await bot.core.delivery.flush() == 0
    assert len(bot.outlet.chat("awa").messages) == 1
    assert (await only_row(bot, "hello:")).status == "sent"


async def test_a_freed_place_is_announced_once_even_if_the_withdrawal_is_repeated(
    bot: Bot,
) -> None:
    w = await full_mission_with_a_waitlist(bot)
    card = bot.card(w.mission_id)
    await w.alice.press("Me retirer", card)
    answer, alert = await w.alice.press("Me retirer", card)
    assert answer is not None and "Tu n'es pas inscrit·e" in answer and alert
    assert w.bob.texts().count(PROMOTED) == 1
    assert len(await rows(bot, to="bob")) == 1
