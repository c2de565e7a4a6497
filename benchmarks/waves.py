"""`python -m benchmarks.waves [--quick]`: `rank_for_mission` end to end on SQLite.

An organisation of 10,000 and 100,000 onboarded volunteers (1,000 and 10,000 with
`--quick`) with a past of missions, sign-ups and invitations, and the interaction log the
bot keeps (everyone's onboarding, every invitation), is bulk-inserted into a fresh SQLite
file through the real store; then one wave's ranking (`rank_for_mission`,
top 20, the loyalty bonus included) is timed:

- uncached: the pool rebuilt from the database on every call (`PoolCache(capacity=0)`),
  the path every ranking took before the cache (the counters are read the same way on
  every path: the organisation's grouped queries);
- cold: the first call with the cache (it builds the pool and keeps it);
- warm: the next calls (the validity check reads the database, nothing changed);
- after one change: one volunteer's skills changed just before the call (the changed row
  is reloaded and re-transformed with the fitted text model).

Ratios are against the uncached median measured in the same run. The cache's memory is
estimated from its arrays, profile texts and vocabulary. Results go to
`benchmarks/results/waves.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert

from benchmarks.synthetic import make_candidates, make_missions
from bot.config import Settings
from bot.matchmaking import rank_for_mission
from bot.poolcache import PoolCache
from bot.services import Services
from data.records import Mission, VolunteerSkill
from data.schema import (
    availability,
    interactions,
    invitations,
    memberships,
    mission_skills,
    missions,
    signups,
    volunteer_skills,
    volunteers,
)
from data.store import Store
from matching.taxonomy import Taxonomy, load_taxonomy

__all__ = ["populate", "run_waves"]

RESULTS = Path(__file__).resolve().parent / "results"
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
_CHUNK = 5_000


async def _bulk(store: Store, table: Any, rows: list[dict[str, Any]]) -> None:
    async with store.transaction() as tx:
        for i in range(0, len(rows), _CHUNK):
            await tx.conn.execute(insert(table), rows[i : i + _CHUNK])


async def populate(store: Store, taxonomy: Taxonomy, volunteers_n: int, seed: int = 0) -> int:
    """An organisation of `volunteers_n` onboarded volunteers with a past; its id."""
    rng = np.random.default_rng(seed)
    # Profiles last changed two months ago; `updated_at` is wall-clock time, as the
    # repositories write it.
    long_ago = datetime.now(UTC) - timedelta(days=60)
    async with store.transaction() as tx:
        org = await tx.orgs.create("Banque alimentaire", timezone="Europe/Paris", language="fr")
    people = make_candidates(volunteers_n, taxonomy, seed)
    volunteer_rows, member_rows, skill_rows, slot_rows, log_rows = [], [], [], [], []
    for vid, c in enumerate(people, start=1):
        lat, lon = c.location if c.location is not None else (None, None)
        volunteer_rows.append(
            {
                "id": vid,
                "display_name": f"Bénévole {vid}",
                "language": "fr",
                "latitude": lat,
                "longitude": lon,
                "max_invitations_per_week": c.weekly_cap,
                "fewer_messages": False,
                "onboarded_at": long_ago,
                "created_at": long_ago,
                "updated_at": long_ago,
            }
        )
        member_rows.append(
            {"org_id": org.id, "volunteer_id": vid, "role": "volunteer", "joined_at": long_ago}
        )
        log_rows.append(_logged(org.id, vid, "onboarded", long_ago - timedelta(seconds=vid)))
        skills: list[str | None] = [*sorted(c.skills)] or [None]
        words = [c.profile_text] + [""] * (len(skills) - 1)
        for skill, raw in zip(skills, words, strict=True):
            skill_rows.append(
                {"volunteer_id": vid, "skill_id": skill, "raw_text": raw[:200], "confidence": 1.0}
            )
        slot_rows += [{"volunteer_id": vid, "weekday": d, "part": p} for d, p in c.availability]
    for table, rows in (
        (volunteers, volunteer_rows),
        (memberships, member_rows),
        (volunteer_skills, skill_rows),
        (availability, slot_rows),
    ):
        await _bulk(store, table, rows)
    # A past: one mission a day for 90 days, each with sign-ups and invitations.
    past = [m for m, _ in make_missions(90, taxonomy, seed + 1, first_day=NOW - timedelta(days=91))]
    mission_rows, sign_rows, inv_rows = [], [], []
    for mid, m in enumerate(past, start=1):
        start = m.start.astimezone(UTC)
        mission_rows.append(_mission_row(org.id, mid, m.title, start, start + timedelta(hours=3)))
        chosen = rng.choice(volunteers_n, size=min(volunteers_n, 60), replace=False) + 1
        for k, vid in enumerate(chosen.tolist()):
            log_rows.append(_logged(org.id, vid, "invited", start - timedelta(days=2)))
            inv_rows.append(
                {
                    "mission_id": mid,
                    "volunteer_id": vid,
                    "status": ("accepted", "declined", "expired")[k % 3],
                    "wave": 1,
                    "sent_at": start - timedelta(days=2),
                }
            )
            if k % 3 == 0:
                sign_rows.append(
                    {
                        "mission_id": mid,
                        "volunteer_id": vid,
                        "status": "attended" if k % 4 else "no_show",
                        "created_at": start - timedelta(days=1),
                        "updated_at": start,
                        "queued_at": start - timedelta(days=1),
                    }
                )
    for table, rows in (
        (missions, mission_rows),
        (signups, sign_rows),
        (invitations, inv_rows),
        (interactions, log_rows),
    ):
        await _bulk(store, table, rows)
    return int(org.id)


def _logged(org_id: int, vid: int, kind: str, at: datetime) -> dict[str, Any]:
    return {"org_id": org_id, "volunteer_id": vid, "kind": kind, "detail": {}, "at": at}


def _mission_row(
    org_id: int, mid: int, title: str, start: datetime, end: datetime
) -> dict[str, Any]:
    return {
        "id": mid,
        "org_id": org_id,
        "title": title,
        "starts_at": start,
        "ends_at": end,
        "slots": 5,
        "status": "open",
        "created_at": start - timedelta(days=7),
        "updated_at": start - timedelta(days=7),
    }


async def _upcoming(store: Store, org_id: int, taxonomy: Taxonomy, count: int) -> list[Mission]:
    first = NOW + timedelta(days=2)
    async with store.transaction() as tx:
        out = []
        for m, _ in make_missions(count, taxonomy, 7, first_day=first, days=count):
            start = m.start.astimezone(UTC)
            row = _mission_row(org_id, 0, m.title, start, start + timedelta(hours=3))
            del row["id"]
            result = await tx.conn.execute(
                insert(missions).values(**row, description=m.description)
            )
            mid = int(result.inserted_primary_key[0])  # type: ignore[index]
            await tx.conn.execute(
                insert(mission_skills),
                [
                    {
                        "mission_id": mid,
                        "skill_id": s,
                        "raw_text": s,
                        "required": s in m.required_skills,
                    }
                    for s in sorted(m.required_skills | m.nice_skills)
                ],
            )
            mission = await tx.missions.get(mid)
            assert mission is not None
            out.append(mission)
        return out


async def _timed(call: Callable[[Mission], Awaitable[Any]], mission: Mission) -> float:
    started = time.perf_counter()
    await call(mission)
    return (time.perf_counter() - started) * 1000


def _cache_mb(cache: PoolCache) -> float:
    """Arrays and matrices, profile texts and the text model's vocabulary."""
    total = cache.nbytes
    for entry in cache._entries.values():
        texts = entry.pool.profile_texts
        total += sys.getsizeof(texts) + sum(sys.getsizeof(t) for t in texts)
        vocab = entry.pool.text_model.vocabulary
        total += sys.getsizeof(vocab) + sum(sys.getsizeof(k) + 28 for k in vocab)
    return round(total / 1e6, 1)


async def run_size(volunteers_n: int, taxonomy: Taxonomy, warm_runs: int = 5) -> dict[str, Any]:
    """Populate a fresh SQLite file and time the four paths."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/waves.db"
        store = Store(url)
        await store.migrate()
        started = time.perf_counter()
        org_id = await populate(store, taxonomy, volunteers_n)
        populate_s = time.perf_counter() - started
        upcoming = await _upcoming(store, org_id, taxonomy, 3)
        services = Services.build(store, Settings(database_url=url))

        async def wave(mission: Mission) -> None:
            async with store.transaction() as tx:
                ranked = await rank_for_mission(tx, services, mission, NOW, limit=20)
                assert ranked, "nobody ranked"

        services.pools = PoolCache(taxonomy, capacity=0)
        uncached = [
            await _timed(wave, upcoming[0]) for _ in range(1 if volunteers_n > 20_000 else 2)
        ]
        services.pools = cache = PoolCache(taxonomy)
        cold = await _timed(wave, upcoming[0])
        warm = [await _timed(wave, upcoming[k % 3]) for k in range(warm_runs)]
        changed: list[float] = []
        for k in range(3):
            vid = 1 + k * 7
            async with store.transaction() as tx:
                await tx.people.replace_skills(
                    vid, [VolunteerSkill("cooking", f"cuisine collective {k}", 1.0)]
                )
            changed.append(await _timed(wave, upcoming[k % 3]))
            entry = cache._entries[org_id]
            row = entry.pool.row(vid)
            assert entry.pool.profile_texts[row] == f"cuisine collective {k}"
        await store.close()
    base = statistics.median(uncached)
    warm_ms, changed_ms = statistics.median(warm), statistics.median(changed)
    return {
        "volunteers": volunteers_n,
        "populate_s": round(populate_s, 1),
        "uncached_ms": round(base),
        "cold_ms": round(cold),
        "warm_ms_median": round(warm_ms),
        "after_change_ms_median": round(changed_ms),
        "cold_ratio": round(base / cold, 2),
        "warm_speedup": round(base / warm_ms, 1),
        "after_change_speedup": round(base / changed_ms, 1),
        "cache_mb": _cache_mb(cache),
        "cache_arrays_mb": round(cache.nbytes / 1e6, 1),
        "builds": cache.builds,
        "patches": cache.patches,
        "hits": cache.hits,
    }


async def run_waves(sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    taxonomy = load_taxonomy()
    out = []
    for n in sizes:
        print(f"waves: {n:,} volunteers (populating SQLite, then ranking)...", flush=True)
        result = await run_size(n, taxonomy)
        for key, value in result.items():
            print(f"  {key:24} {value}", flush=True)
        out.append(result)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 volunteers")
    args = parser.parse_args()
    sizes = (1_000, 10_000) if args.quick else (10_000, 100_000)
    results = asyncio.run(run_waves(sizes))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / ("waves-quick.json" if args.quick else "waves.json")
    path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"  -> {path}")


if __name__ == "__main__":
    main()
