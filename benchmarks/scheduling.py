"""Scheduler and outreach benchmarks (issue 4).

1. Pending items: with 1k, 10k and 100k tasks and notifications pending in the future,
   the cost of start-up (finding the next wake-up) and of one sweep that runs 10 due
   tasks, against a naive sweep that loads every pending task and filters in Python
   (measured in the same run). The indexed sweep must not grow with the pending count.
2. A simulated week: 2,000 volunteers, 50 missions, a fake clock moved hour by hour;
   volunteers answer invitations from hidden preferences through the real core. Reports
   messages per volunteer (max and distribution), fill rate, and checks that no weekly
   cap and no quiet hour was broken.

    python -m benchmarks.scheduling [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from adapters.memory import MemoryOutlet, MemoryPlatform, Message
from bot.config import Settings
from bot.core import Core
from bot.events import ButtonPress, ChatKind, ChatRef, MessageRef, UserRef
from bot.features import reminders
from bot.services import Services
from data.records import MissionSkill, Role, VolunteerSkill
from data.schema import tasks
from data.store import Store

__all__ = ["main"]

RESULTS = Path(__file__).resolve().parent / "results"
START = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 in Paris
PARIS = ZoneInfo("Europe/Paris")
REPEATS = 5
SKILLS = ("handling", "cooking", "reception", "driving_b", "gardening", "tutoring")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def _store(folder: str, name: str) -> Store:
    store = Store(f"sqlite:///{folder}/{name}.db")
    await store.migrate()
    return store


# --- 1. pending items ---------------------------------------------------------------


async def _fill(store: Store, pending: int, due: int, now: datetime) -> None:
    rows = [
        {
            "kind": "noop",
            "key": f"future:{i}",
            "due_at": now + timedelta(days=30, seconds=i),
            "payload": {},
            "status": "pending",
            "created_at": now,
        }
        for i in range(pending)
    ] + [
        {
            "kind": "noop",
            "key": f"due:{i}",
            "due_at": now - timedelta(seconds=i),
            "payload": {},
            "status": "pending",
            "created_at": now,
        }
        for i in range(due)
    ]
    async with store.transaction() as tx:
        for chunk in range(0, len(rows), 5000):
            await tx.conn.execute(insert(tasks), rows[chunk : chunk + 5000])


async def _add_due(store: Store, rep: int, now: datetime) -> None:
    rows = [
        {
            "kind": "noop",
            "key": f"due:{rep}:{i}",
            "due_at": now - timedelta(seconds=i),
            "payload": {},
            "status": "pending",
            "created_at": now,
        }
        for i in range(10)
    ]
    async with store.transaction() as tx:
        await tx.conn.execute(insert(tasks), rows)


async def _naive_sweep(store: Store, now: datetime) -> int:
    """What a design without the (status, due_at) index and query would do."""
    async with store.transaction() as tx:
        rows = (await tx.conn.execute(select(tasks).where(tasks.c.status == "pending"))).all()
    return sum(1 for r in rows if r.due_at <= now)


async def pending_items(sizes: tuple[int, ...], folder: str) -> list[dict[str, Any]]:
    out = []
    for size in sizes:
        store = await _store(folder, f"pending{size}")
        clock = Clock(START)
        await _fill(store, size, 10, START)
        services = Services.build(store, Settings(database_url=store.url), clock)
        core = Core(services)

        async def noop(job: Any) -> None:
            return None

        core.router.tasks["noop"] = noop
        t0 = time.perf_counter()
        async with store.transaction() as tx:
            await tx.tasks.next_due_at()
            await tx.outbox.next_due_at()
        startup = time.perf_counter() - t0
        sweeps, idles, naives = [], [], []
        for rep in range(REPEATS):
            if rep:
                await _add_due(store, rep, START)
            t0 = time.perf_counter()
            ran = await core.tasks.run_due()
            sweeps.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await core.tasks.run_due()  # nothing due any more: the steady-state sweep
            idles.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await _naive_sweep(store, START)
            naives.append(time.perf_counter() - t0)
        await _add_due(store, REPEATS, START)
        tracemalloc.start()
        await core.tasks.run_due()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        sweep, idle, naive = (statistics.median(x) for x in (sweeps, idles, naives))
        await store.close()
        out.append(
            {
                "pending": size,
                "ran": ran,
                "startup_ms": startup * 1000,
                "sweep_ms": sweep * 1000,
                "idle_sweep_ms": idle * 1000,
                "naive_sweep_ms": naive * 1000,
                "naive_over_indexed": naive / max(idle, 1e-9),
                "sweep_peak_kib": peak / 1024,
            }
        )
    return out


# --- 2. a simulated week --------------------------------------------------------------


async def _seed_week(
    store: Store, volunteers: int, missions: int, rng: random.Random
) -> dict[int, set[str]]:
    """Volunteers with skills and caps; missions over the week. Returns hidden preferences."""
    likes: dict[int, set[str]] = {}
    async with store.transaction() as tx:
        org = await tx.orgs.create("Fédération", timezone="Europe/Paris", language="fr")
        space = await tx.orgs.add_chat_space(org.id, "memory", "group-1", "Groupe")
        coordinator, _ = await tx.people.create_with_identity("memory", "coord", "Coralie", "fr")
        await tx.orgs.set_role(org.id, coordinator.id, Role.COORDINATOR)
        for i in range(volunteers):
            volunteer, _ = await tx.people.create_with_identity("memory", f"v{i}", f"V{i}", "fr")
            await tx.orgs.ensure_member(org.id, volunteer.id)
            mine = rng.sample(SKILLS, k=rng.randint(1, 3))
            await tx.people.replace_skills(volunteer.id, [VolunteerSkill(s, s, 1.0) for s in mine])
            await tx.people.replace_availability(
                volunteer.id,
                {
                    (rng.randrange(7), rng.choice(("morning", "afternoon", "evening")))
                    for _ in range(4)
                },
            )
            await tx.people.update(
                volunteer.id,
                onboarded_at=START - timedelta(days=60),
                max_invitations_per_week=rng.choice((1, 2, 3, 5)),
            )
            likes[volunteer.id] = set(rng.sample(mine, k=1)) | (
                {"any"} if rng.random() < 0.1 else set()
            )
        for m in range(missions):
            day = START + timedelta(days=1 + m * 6 / missions, hours=rng.choice((0, 3, 6, 10)))
            skill = rng.choice(SKILLS)
            mission = await tx.missions.create(
                org_id=org.id,
                title=f"Mission {m} ({skill})",
                description="",
                starts_at=day,
                ends_at=day + timedelta(hours=3),
                place="Local",
                slots=rng.randint(2, 8),
                coordinator_id=coordinator.id,
                chat_space_id=space.id,
                skills=[MissionSkill(skill, skill, True)],
            )
            await reminders.schedule_mission_tasks(tx, mission, START)
    return likes


async def simulated_week(volunteers: int, missions: int, folder: str) -> dict[str, Any]:
    rng = random.Random(7)
    store = await _store(folder, "week")
    likes = await _seed_week(store, volunteers, missions, rng)
    clock = Clock(START)
    core = Core(Services.build(store, Settings(database_url=store.url), clock))
    outlet = MemoryOutlet()
    core.attach(outlet)
    sent_at: list[tuple[str, datetime, str]] = []
    inbox: list[Message] = []

    def record(chat_id: str, message: Message, edited: bool) -> None:
        if not edited and chat_id.startswith("v"):
            sent_at.append((chat_id, clock(), message.text.split("\n")[0][:30]))
            if any(b.data.startswith("iv:a:") for row in message.buttons for b in row):
                inbox.append(message)

    outlet.listeners.append(record)
    MemoryPlatform(core.handle, outlet)
    presses = 0
    t0 = time.perf_counter()
    for _ in range(7 * 24):
        clock.now += timedelta(hours=1)
        await core.tasks.run_due()
        await core.delivery.flush()
        pending, inbox[:] = list(inbox), []
        for message in pending:
            vid = int(message.chat_id[1:]) + 2  # ids: org's coordinator is 1, v0 is 2
            wanted = likes.get(vid, set())
            accept = "any" in wanted or any(s in message.text.lower() for s in wanted)
            button = next(
                b
                for row in message.buttons
                for b in row
                if b.data.startswith("iv:a:" if accept else "iv:d:")
            )
            user = UserRef("memory", message.chat_id, message.chat_id, "fr")
            chat = ChatRef("memory", message.chat_id, ChatKind.PRIVATE)
            ref = MessageRef("memory", message.chat_id, message.message_id)
            presses += 1
            await core.handle(ButtonPress(user, chat, button.data, ref, f"p{presses}"))
    elapsed = time.perf_counter() - t0

    async with store.transaction() as tx:
        filled = 0
        for mission_id in range(1, missions + 1):
            mission = await tx.missions.get(mission_id)
            assert mission is not None
            taken, _ = await tx.missions.counts(mission_id)
            filled += int(taken >= mission.slots)
        caps = {
            v.id: v.max_invitations_per_week
            for v in (await tx.people.many(range(2, volunteers + 2))).values()
        }
    await store.close()

    per_volunteer = Counter(who for who, _, _ in sent_at)
    invitations = [(who, at) for who, at, text in sent_at if text.startswith("Bonjour")]
    quiet_breaks = sum(1 for _, at in invitations if not 9 <= at.astimezone(PARIS).hour < 21)
    by_week: Counter[str] = Counter(who for who, _ in invitations)
    cap_breaks = sum(1 for who, n in by_week.items() if n > min(caps.get(int(who[1:]) + 2) or 3, 3))
    counts = [per_volunteer.get(f"v{i}", 0) for i in range(volunteers)]
    return {
        "volunteers": volunteers,
        "missions": missions,
        "simulated_hours": 7 * 24,
        "wall_seconds": elapsed,
        "messages": len(sent_at),
        "invitations": len(invitations),
        "answers": presses,
        "fill_rate": filled / missions,
        "messages_per_volunteer": {
            "max": max(counts),
            "mean": statistics.mean(counts),
            "median": statistics.median(counts),
            "p90": sorted(counts)[int(0.9 * len(counts))],
            "never_contacted": counts.count(0),
        },
        "cap_breaks": cap_breaks,
        "quiet_hour_breaks": quiet_breaks,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args(argv)
    sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000)
    with tempfile.TemporaryDirectory() as folder:
        pending = asyncio.run(pending_items(sizes, folder))
        week = asyncio.run(
            simulated_week(300 if args.quick else 2_000, 10 if args.quick else 50, folder)
        )
    print("Pending items (one sweep running 10 due tasks; idle = nothing due):")
    print(
        f"{'pending':>8} {'startup ms':>11} {'sweep ms':>9} {'idle ms':>8} {'naive ms':>9} {'naive/idle':>10} {'peak KiB':>9}"
    )
    for row in pending:
        print(
            f"{row['pending']:>8} {row['startup_ms']:>11.2f} {row['sweep_ms']:>9.2f} {row['idle_sweep_ms']:>8.2f}"
            f" {row['naive_sweep_ms']:>9.1f} {row['naive_over_indexed']:>10.1f} {row['sweep_peak_kib']:>9.0f}"
        )
    growth = pending[-1]["idle_sweep_ms"] / max(pending[0]["idle_sweep_ms"], 1e-9)
    print(
        f"idle sweep at {pending[-1]['pending']:,} vs {pending[0]['pending']:,} pending: x{growth:.2f}"
    )
    print("\nSimulated week:")
    print(json.dumps(week, indent=1))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scheduling.json").write_text(
        json.dumps({"pending": pending, "idle_growth": growth, "week": week}, indent=1, default=str)
    )
    return 0 if week["cap_breaks"] == 0 and week["quiet_hour_breaks"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
