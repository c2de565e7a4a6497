"""Several workers on one database: outbox throughput with one, two and four workers.

2,000 queued private notifications are delivered to a fake platform that takes a few
milliseconds per message (a network round trip), by 1 worker, then 2, then 4, each
worker a core with its own engine (its own connection pool) on the same database, in
one process. Each run starts from a fresh database. Reports messages per second, the
ratio against one worker measured in the same run, and checks that every message was
delivered exactly once.

    python -m benchmarks.workers [--url postgresql://...] [--items 2000] [--latency-ms 5]

Without --url, MAINFORTE_TEST_POSTGRES_URL is used, else a SQLite file (where the
workers share one writer lock, so the gain is smaller).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.core import Core
from bot.events import Action, MessageRef, SendPrivate
from bot.services import Services
from data.schema import outbox
from data.store import Store

__all__ = ["main"]

RESULTS = Path(__file__).resolve().parent / "results"
PLATFORM = "memory"
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


class SlowOutlet:
    """Accepts every private message after `latency` seconds, and counts them."""

    platform = PLATFORM

    def __init__(self, latency: float, received: Counter[str]) -> None:
        self._latency = latency
        self._received = received

    async def perform(self, action: Action) -> MessageRef | None:
        assert isinstance(action, SendPrivate)
        await asyncio.sleep(self._latency)
        self._received[action.user.user_id] += 1
        return MessageRef(PLATFORM, action.user.user_id, "1")


@asynccontextmanager
async def fresh_database(base: str | None, folder: str) -> AsyncIterator[str]:
    """A new migrated database: on PostgreSQL at `base` (dropped after), else SQLite."""
    if base is None:
        url = f"sqlite:///{folder}/{uuid.uuid4().hex[:8]}.db"
    else:
        import asyncpg

        parsed = make_url(base)
        admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        name = f"mainforte_bench_{uuid.uuid4().hex[:10]}"
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        url = parsed.set(database=name).render_as_string(hide_password=False)
    store = Store(url)
    await store.migrate()
    await store.close()
    try:
        yield url
    finally:
        if base is not None:
            conn = await asyncpg.connect(admin)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()


async def _queue(url: str, items: int) -> None:
    store = Store(url)
    rows = [
        {
            "idempotency_key": f"bench:{i}",
            "platform": PLATFORM,
            "kind": "private",
            "payload": {
                "user_id": f"v{i}",
                "display_name": f"V{i}",
                "language": "fr",
                "text": "Une mission pourrait te plaire",
                "buttons": [],
                "valid_until": None,
            },
            "status": "pending",
            "not_before": NOW,
            "created_at": NOW,
        }
        for i in range(items)
    ]
    async with store.transaction() as tx:
        await tx.conn.execute(insert(outbox), rows)
    await store.close()


async def deliver(base: str | None, folder: str, workers: int, items: int, latency: float) -> Any:
    """Seconds for `workers` workers to deliver `items` queued notifications."""
    async with fresh_database(base, folder) as url:
        await _queue(url, items)
        received: Counter[str] = Counter()
        stores = [Store(url) for _ in range(workers)]
        cores = []
        for store in stores:
            core = Core(Services.build(store, Settings(database_url=url), lambda: NOW))
            core.attach(SlowOutlet(latency, received))
            cores.append(core)
        try:
            started = time.perf_counter()
            counts = await asyncio.gather(*(core.delivery.flush() for core in cores))
            seconds = time.perf_counter() - started
        finally:
            for store in stores:
                await store.close()
    once = len(received) == items and set(received.values()) == {1}
    return {
        "workers": workers,
        "seconds": round(seconds, 3),
        "per_second": round(items / seconds, 1),
        "per_worker": counts,
        "exactly_once": once,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=os.environ.get("MAINFORTE_TEST_POSTGRES_URL"))
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--latency-ms", type=float, default=5.0)
    args = parser.parse_args(argv)
    latency = args.latency_ms / 1000
    backend = "PostgreSQL" if args.url else "SQLite"
    with tempfile.TemporaryDirectory() as folder:
        runs = [asyncio.run(deliver(args.url, folder, n, args.items, latency)) for n in (1, 2, 4)]
    base = runs[0]["per_second"]
    print(f"{args.items} notifications, {args.latency_ms:g} ms per send, {backend}:")
    print(f"{'workers':>8} {'seconds':>8} {'msg/s':>8} {'vs 1':>6}  per worker / exactly once")
    for run in runs:
        run["ratio"] = round(run["per_second"] / base, 2)
        print(
            f"{run['workers']:>8} {run['seconds']:>8.2f} {run['per_second']:>8.1f}"
            f" {run['ratio']:>6.2f}  {run['per_worker']} / {run['exactly_once']}"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "workers.json").write_text(
        json.dumps({"backend": backend, "latency_ms": args.latency_ms, "runs": runs}, indent=1)
    )
    return 0 if all(run["exactly_once"] for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
