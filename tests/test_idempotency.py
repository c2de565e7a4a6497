"""Exactly-once handling: a delivery's idempotency key commits with its effects.

The core records `source` (e.g. `telegram:update:5001:0`) in the transaction of the
event's effects, so a platform that delivers the same update again (a restart before it
heard the update arrived, a webhook retry) gets no second effect and no second answer.
The Telegram adapter's side (crashes, replays, webhook retries) is in test_telegram.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest

from bot.context import Context
from bot.core import PRUNE_EVERY, SOURCE_KEEP
from bot.events import ButtonPress, Command, MemberJoined, MessageRef
from data.store import Store
from tests.harness import START, Bot
from tests.scenarios import onboard, post_mission

MISSION = "Tri alimentaire | samedi 14h-17h | Entrepôt, 12 rue des Lilas | 3 | manutention"


async def test_a_tap_delivered_twice_signs_up_once_and_answers_once(bot: Bot) -> None:
    coord, kim = bot.person("coord", "Coralie"), bot.person("kim", "Kim")
    await onboard(kim)
    mission_id = await post_mission(bot, coord, MISSION)
    card = bot.card(mission_id)
    button = card.find_button("Je participe")
    assert button is not None
    ref = MessageRef("memory", card.chat_id, card.message_id)
    tap = ButtonPress(kim.user, bot.platform.group, button.data, ref, "press-tap")
    await bot.core.handle(tap, source="memory:update:7:0")
    performed = len(bot.outlet.performed)
    assert "1/3 inscrits" in bot.card(mission_id).text
    await bot.core.handle(tap, source="memory:update:7:0")  # the same delivery, again
    assert len(bot.outlet.performed) == performed, "a replay answers nothing"
    async with bot.store.transaction() as tx:
        assert await tx.interactions.count("signup") == 1
        assert await tx.processed.seen("memory:update:7:0")
    assert "1/3 inscrits" in bot.card(mission_id).text


async def test_events_of_one_update_have_keys_of_their_own(bot: Bot) -> None:
    """Two people added together: one update, two events, both greeted."""
    ana, bea = bot.person("ana", "Ana"), bot.person("bea", "Béa")
    group = bot.platform.group
    await bot.core.handle(MemberJoined(ana.user, group), source="memory:update:9:0")
    await bot.core.handle(MemberJoined(bea.user, group), source="memory:update:9:1")
    greetings = bot.group_messages
    assert any("Ana" in m.text for m in greetings) and any("Béa" in m.text for m in greetings)
    await bot.core.handle(MemberJoined(bea.user, group), source="memory:update:9:1")
    assert bot.group_messages == greetings


async def test_a_refused_command_is_answered_once_and_not_replayed(bot: Bot) -> None:
    lou = bot.person("lou", "Lou")
    command = Command(lou.user, lou.private_chat, "nosuchcommand")
    await bot.core.handle(command, source="memory:update:11:0")
    assert len(lou.inbox) == 1 and "nosuchcommand" in lou.last
    await bot.core.handle(command, source="memory:update:11:0")
    assert len(lou.inbox) == 1, "the error is told once"
    async with bot.store.transaction() as tx:
        assert await tx.processed.seen("memory:update:11:0")


async def test_a_failing_handler_rolls_back_but_its_delivery_is_recorded(bot: Bot) -> None:
    """A bug in a handler: its writes are rolled back, the person hears it once, and the
    update is recorded apart so that a redelivery does not fail (and answer) again."""
    calls = 0

    async def broken(ctx: Context, args: str) -> None:
        nonlocal calls
        calls += 1
        await ctx.tx.interactions.log("half_done", volunteer_id=ctx.volunteer.id)
        raise RuntimeError("a bug")

    bot.core.router.command("broken", broken)
    lou = bot.person("lou", "Lou")
    command = Command(lou.user, lou.private_chat, "broken")
    await bot.core.handle(command, source="memory:update:12:0")
    answered = lou.texts()
    assert len(lou.inbox) == 1
    await bot.core.handle(command, source="memory:update:12:0")
    assert calls == 1 and lou.texts() == answered
    async with bot.store.transaction() as tx:
        assert await tx.interactions.count("half_done") == 0, "rolled back"
        assert await tx.processed.seen("memory:update:12:0")
        assert await tx.people.identity("memory", "lou") is None, "rolled back too"


async def test_events_without_a_key_are_always_handled(bot: Bot) -> None:
    lou = bot.person("lou", "Lou")
    await lou.say("/start")
    await lou.say("/start")
    assert sum("Bienvenue" in m.text for m in lou.inbox) == 2


async def test_old_keys_are_forgotten(bot: Bot) -> None:
    lou = bot.person("lou", "Lou")
    await bot.core.handle(Command(lou.user, lou.private_chat, "start"), source="memory:update:1:0")
    bot.clock.advance(seconds=(SOURCE_KEEP + PRUNE_EVERY).total_seconds())
    await bot.core.handle(Command(lou.user, lou.private_chat, "help"), source="memory:update:2:0")
    async with bot.store.transaction() as tx:
        assert not await tx.processed.seen("memory:update:1:0")
        assert await tx.processed.seen("memory:update:2:0")


async def test_processed_updates_on_every_engine(any_url: str) -> None:
    store = Store(any_url)
    try:
        async with store.transaction() as tx:
            assert await tx.processed.record("telegram:update:10:0", START)
            assert not await tx.processed.record("telegram:update:10:0", START)
            assert await tx.processed.record("telegram:update:10:1", START)
            assert await tx.processed.record("discord:message:10", START + timedelta(days=3))
        async with store.transaction() as tx:
            assert not await tx.processed.record("telegram:update:10:0", START)
            assert await tx.processed.prune(START + timedelta(days=1)) == 2
            assert not await tx.processed.seen("telegram:update:10:0")
            assert await tx.processed.seen("discord:message:10")
    finally:
        await store.close()


@pytest.mark.parametrize("first_commits", [True, False])
async def test_two_workers_recording_one_delivery(any_url: str, first_commits: bool) -> None:
    """The second worker waits for the first one's outcome: a commit makes the delivery
    handled, a rollback leaves it to the second."""
    store = Store(any_url)
    source = "telegram:update:20:0"
    recorded, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        with contextlib.suppress(_RolledBack):
            async with store.transaction() as tx:
                assert await tx.processed.record(source, START)
                recorded.set()
                await release.wait()
                if not first_commits:
                    raise _RolledBack

    async def second() -> bool:
        await recorded.wait()
        async with store.transaction() as tx:
            return await tx.processed.record(source, START)

    try:
        running, racing = asyncio.create_task(first()), asyncio.create_task(second())
        await recorded.wait()
        await asyncio.sleep(0.2)
        assert not racing.done(), "the second worker waits for the first"
        release.set()
        await running
        assert await asyncio.wait_for(racing, 20) is not first_commits
    finally:
        await store.close()


class _RolledBack(Exception):
    pass
