"""Several workers on one database: every notification and every task exactly once.

Each worker here is a real core with its own engine (its own connection pool), as a
separate process would have, sharing the database and the harness clock. The
PostgreSQL scenarios are skipped without MAINFORTE_TEST_POSTGRES_URL; those that make
sense on a single SQLite process run there too.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.core import Core
from bot.events import Action, MessageRef, SendPrivate
from bot.scheduler import Job, TaskRunner
from bot.services import Services
from data.schema import outbox, tasks
from data.store import Store
from tests.conftest import PG_ENV, fresh_pg_database
from tests.harness import Clock
from tests.test_crash import VOLUNTEERS, _kill_after, _lines, _seed, _worker

PLATFORM = "memory"
LEASE = 60.0


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} not set: several workers need PostgreSQL")
    async with fresh_pg_database(base) as url:
        yield url


@dataclass
class Delivered:
    """What the platform accepted, from every worker: (worker, recipient)."""

    sends: list[tuple[str, str]] = field(default_factory=list)

    def recipients(self) -> Counter[str]:
        return Counter(to for _, to in self.sends)

    def by(self, worker: str) -> int:
        return sum(1 for who, _ in self.sends if who == worker)


class RecordingOutlet:
    """A platform that takes a little time per message and records who sent what."""

    platform = PLATFORM

    def __init__(self, name: str, delivered: Delivered, latency: float = 0.002) -> None:
        self._name = name
        self._delivered = delivered
        self._latency = latency

    async def perform(self, action: Action) -> MessageRef | None:
        assert isinstance(action, SendPrivate), action
        await asyncio.sleep(self._latency)
        self._delivered.sends.append((self._name, action.user.user_id))
        return MessageRef(PLATFORM, action.user.user_id, str(len(self._delivered.sends)))


@dataclass
class Worker:
    name: str
    store: Store
    core: Core


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def delivered() -> Delivered:
    return Delivered()


@pytest.fixture
async def workers(
    request: pytest.FixtureRequest, clock: Clock, delivered: Delivered
) -> AsyncIterator[Callable[[str], Awaitable[Worker]]]:
    """`start(url)` starts one more worker on the database at `url`."""
    started: list[Worker] = []

    async def start(url: str) -> Worker:
        name = f"worker-{len(started) + 1}"
        store = Store(url)
        settings = Settings(database_url=url, claim_lease_seconds=LEASE)
        core = Core(Services.build(store, settings, clock))
        core.attach(RecordingOutlet(name, delivered))
        started.append(Worker(name, store, core))
        return started[-1]

    try:
        yield start
    finally:
        for worker in started:
            await worker.store.close()


async def queue_wave(worker: Worker, count: int) -> None:
    """`count` private notifications, due now, to v0 .. v{count-1}."""
    async with worker.store.transaction() as tx:
        for i in range(count):
            await tx.outbox.add(
                f"wave:{i}",
                platform=PLATFORM,
                kind="private",
                payload={
                    "user_id": f"v{i}",
                    "display_name": f"V{i}",
                    "language": "fr",
                    "text": f"Une mission pourrait te plaire ({i})",
                    "buttons": [],
                    "valid_until": None,
                },
            )


async def outbox_rows(store: Store) -> list[tuple[str, str | None]]:
    async with store.connection() as conn:
        result = await conn.execute(select(outbox.c.status, outbox.c.claimed_by))
        return [(r.status, r.claimed_by) for r in result]


async def test_two_workers_deliver_a_wave_of_300_each_message_exactly_once(
    pg_url: str, workers: Callable[[str], Awaitable[Worker]], delivered: Delivered
) -> None:
    a, b = await workers(pg_url), await workers(pg_url)
    await queue_wave(a, 300)

    sent = await asyncio.gather(a.core.delivery.flush(), b.core.delivery.flush())

    assert sum(sent) == 300
    received = delivered.recipients()
    assert set(received) == {f"v{i}" for i in range(300)}
    assert received.most_common(1)[0][1] == 1, received.most_common(3)
    assert delivered.by(a.name) > 0 and delivered.by(b.name) > 0, "both workers should share"
    rows = await outbox_rows(a.store)
    assert {status for status, _ in rows} == {"sent"}
    assert {who for _, who in rows} == {a.core.delivery.worker, b.core.delivery.worker}


async def test_a_dead_workers_claim_is_taken_over_after_its_lease(
    any_url: str, workers: Callable[[str], Awaitable[Worker]], delivered: Delivered, clock: Clock
) -> None:
    survivor = await workers(any_url)
    await queue_wave(survivor, 120)
    dead = "gone-host:4242:dead"
    async with survivor.store.transaction() as tx:  # a worker claims a batch, then dies
        claimed = await tx.outbox.claim(clock(), dead, timedelta(seconds=LEASE), 50, [PLATFORM])
    assert len(claimed) == 50
    held_by_dead = {item.payload["user_id"] for item in claimed}

    assert await survivor.core.delivery.flush() == 70  # the rest, not the dead one's batch
    assert not held_by_dead & set(delivered.recipients())

    clock.advance(seconds=LEASE - 1)
    assert await survivor.core.delivery.flush() == 0  # the lease still holds
    clock.advance(seconds=2)
    assert await survivor.core.delivery.flush() == 50

    received = delivered.recipients()
    assert set(received) == {f"v{i}" for i in range(120)}
    assert max(received.values()) == 1
    async with survivor.store.transaction() as tx:  # the dead worker's late word is refused
        assert not await tx.outbox.mark_sent(claimed[0].id, worker=dead)
    assert {status for status, _ in await outbox_rows(survivor.store)} == {"sent"}


async def test_the_scheduler_does_not_wake_for_rows_another_worker_holds(
    any_url: str, workers: Callable[[str], Awaitable[Worker]], clock: Clock
) -> None:
    worker = await workers(any_url)
    await queue_wave(worker, 3)
    async with worker.store.transaction() as tx:
        await tx.outbox.claim(clock(), "other:1:x", timedelta(seconds=LEASE), 50, [PLATFORM])
    async with worker.store.transaction() as tx:
        assert await tx.outbox.next_due_at([PLATFORM]) == clock() + timedelta(seconds=LEASE)
        assert await tx.outbox.next_due_at(["discord"]) is None  # not a platform it runs


async def test_two_workers_killed_one_mid_wave_the_other_finishes_it(
    pg_url: str, tmp_path: Path
) -> None:
    """Two bot processes deliver one invitation wave; one is killed -9 halfway."""
    await _seed(pg_url)
    epoch = time.time()
    log_a, log_b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first = _worker(pg_url, log_a, "wave", epoch)
    deadline = time.monotonic() + 60
    while _lines(log_a) < 10:  # the wave is queued and on its way
        assert first.poll() is None and time.monotonic() < deadline, "worker ended early"
        await asyncio.sleep(0.005)
    second = _worker(pg_url, log_b, "resume", epoch)
    _kill_after(first, log_a, more=40)
    assert second.wait(timeout=120) == 0, second.stderr.read().decode() if second.stderr else ""

    lines = log_a.read_text(encoding="utf-8").splitlines()
    lines += log_b.read_text(encoding="utf-8").splitlines()
    received = Counter(json.loads(line)["to"] for line in lines)
    invited = {f"v{i}" for i in range(VOLUNTEERS)}
    assert set(received) - {"coord"} == invited, f"missing: {sorted(invited - set(received))}"
    duplicates = sum(count - 1 for who, count in received.items() if who != "coord")
    assert duplicates <= 1, received.most_common(3)  # at most the one in flight at the kill
    assert _lines(log_b) > 0


def _probe_runner(worker: Worker, ran: list[tuple[str, str]]) -> TaskRunner:
    async def probe(job: Job) -> None:
        await asyncio.sleep(0.001)  # a handler takes time: the other worker runs meanwhile
        ran.append((worker.name, job.task.key))

    return TaskRunner(worker.core.services, {"probe": probe}, worker.core.delivery)


async def schedule_probes(worker: Worker, count: int, clock: Clock) -> None:
    async with worker.store.transaction() as tx:
        for i in range(count):
            await tx.tasks.schedule("probe", f"probe:{i}", clock())


async def test_two_workers_run_300_due_tasks_each_exactly_once(
    pg_url: str, workers: Callable[[str], Awaitable[Worker]], clock: Clock
) -> None:
    a, b = await workers(pg_url), await workers(pg_url)
    await schedule_probes(a, 300, clock)
    ran: list[tuple[str, str]] = []

    counts = await asyncio.gather(
        _probe_runner(a, ran).run_due(limit=500), _probe_runner(b, ran).run_due(limit=500)
    )

    assert sum(counts) == 300
    keys = Counter(key for _, key in ran)
    assert set(keys) == {f"probe:{i}" for i in range(300)} and max(keys.values()) == 1
    assert {who for who, _ in ran} == {a.name, b.name}
    async with a.store.connection() as conn:
        statuses = {r.status for r in await conn.execute(select(tasks.c.status))}
    assert statuses == {"done"}


class _Died(Exception):
    pass


async def test_a_task_whose_worker_dies_mid_run_is_run_by_the_other(
    pg_url: str, workers: Callable[[str], Awaitable[Worker]], clock: Clock
) -> None:
    a, b = await workers(pg_url), await workers(pg_url)
    await schedule_probes(a, 1, clock)
    ran: list[tuple[str, str]] = []
    other = _probe_runner(b, ran)
    with pytest.raises(_Died):
        async with a.store.transaction() as tx:
            task = (await tx.tasks.due(clock()))[0]
            assert await tx.tasks.claim(task.id) is not None  # worker a is running it...
            assert await other.run_due() == 0  # ...so worker b leaves it alone
            raise _Died  # a dies: its transaction is rolled back, the task stays pending
    assert await other.run_due() == 1
    assert ran == [(b.name, "probe:0")]
