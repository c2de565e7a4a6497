"""Each organisation's built volunteer pool, kept between rankings and checked against the
database before every use.

The static part of a pool (who is an onboarded member, their skills, words, availability,
place, cap, pause) is costly to build at scale: loading every profile and the TF-IDF fit
take seconds for 100,000 volunteers. What changes between two rankings is usually a few
profiles, so a cached pool is checked, not rebuilt:

- the organisation's memberships are summed up in one aggregate query (count, sum of
  volunteer ids, sum of membership ids); when that changes, the member list is diffed;
- every profile write bumps `volunteers.updated_at` (skills and availability included,
  `data.repos.people`); the members whose stamp is recent (within `WINDOW` of the newest
  stamp the cache knows) are summed up in one aggregate query (count, ids, stamps modulo
  two primes, `data.repos.orgs.stamp_digest`) and compared with the same sums over the
  cached stamps; only when they differ are those stamps read and compared one by one, in
  both directions (a stamp the cache holds but the database no longer has, after a
  rollback, counts too).

Changed rows are reloaded and transformed with the fitted text model (`Pool.patched`); the
model is fitted again once `REFIT_SHARE` of the rows changed since the fit (always, below
`EXACT_BELOW` volunteers, so a small organisation ranks exactly as with a fresh pool).
The check reads the database, so several worker processes each keeping their own cache
stay correct. A stamp written more than `WINDOW` before the newest one (a worker's clock
that far behind, or a transaction open that long) would go unnoticed.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import numpy as np
from numpy.typing import NDArray

from data.repos.orgs import stamp_digest
from matching import Candidate, Pool
from matching.taxonomy import Taxonomy

if TYPE_CHECKING:
    from data.repos import Tx

__all__ = [
    "DEFAULT_CAPACITY",
    "EXACT_BELOW",
    "REFIT_SHARE",
    "WINDOW",
    "PoolCache",
    "Profile",
    "load_profiles",
]

_log = logging.getLogger(__name__)

DEFAULT_CAPACITY: Final = 8  # organisations kept (least recently ranked first out)
WINDOW: Final = timedelta(minutes=10)  # how late a profile stamp may arrive and be seen
REFIT_SHARE: Final = 0.05  # refit the text model once this share of rows changed since
EXACT_BELOW: Final = 2_000  # below this many volunteers, refit at every change
_REBUILD_SHARE: Final = 0.5  # more changed rows than this share: rebuild from scratch


@dataclass(frozen=True, slots=True)
class Profile:
    """What a ranking needs of one onboarded member and does not change between rankings
    (the candidate's counters and per-mission flags are left at their defaults)."""

    candidate: Candidate
    paused_until: datetime | None


async def load_profiles(tx: Tx, volunteer_ids: Iterable[int]) -> list[Profile]:
    """The onboarded volunteers among `volunteer_ids`, in that order."""
    ids = list(volunteer_ids)
    volunteers = await tx.people.many(ids)
    onboarded = [volunteers[v] for v in ids if v in volunteers and volunteers[v].onboarded]
    if not onboarded:
        return []
    vids = [v.id for v in onboarded]
    skills = await tx.people.skills_of(vids)
    slots = await tx.people.availability_of(vids)
    out = []
    for volunteer in onboarded:
        mine = skills.get(volunteer.id, [])
        located = volunteer.latitude is not None and volunteer.longitude is not None
        candidate = Candidate(
            volunteer_id=volunteer.id,
            skills=frozenset(s.skill_id for s in mine if s.skill_id),
            profile_text=" ".join(s.raw_text for s in mine),
            availability=frozenset(slots.get(volunteer.id, set())),
            location=(volunteer.latitude, volunteer.longitude)  # type: ignore[arg-type]
            if located
            else None,
            weekly_cap=1 if volunteer.fewer_messages else volunteer.max_invitations_per_week,
        )
        out.append(Profile(candidate, volunteer.paused_until))
    return out


_WINDOW_US: Final = int(WINDOW.total_seconds() * 1_000_000)


def _micros(when: datetime) -> int:
    """An aware timestamp as integer microseconds (exact, unlike float seconds)."""
    return int(when.replace(microsecond=0).timestamp()) * 1_000_000 + when.microsecond


def _pauses(profiles: Iterable[Profile]) -> NDArray[np.float64]:
    return np.array(
        [np.nan if p.paused_until is None else p.paused_until.timestamp() for p in profiles],
        dtype=np.float64,
    )


@dataclass(frozen=True, slots=True, eq=False)
class _Entry:
    """One organisation's pool and what it was built from."""

    pool: Pool  # static part only: counters zero, flags False
    paused_until: NDArray[np.float64]  # per pool row, POSIX seconds; NaN = not paused
    members: NDArray[np.int64]  # every member (onboarded or not), sorted
    stamps: NDArray[np.int64]  # their volunteers.updated_at, microseconds, same order
    membership: tuple[int, int, int]
    stale_rows: int  # rows transformed since the text model was fitted

    def paused(self, now: datetime) -> NDArray[np.int64]:
        with np.errstate(invalid="ignore"):
            return self.pool.volunteer_ids[self.paused_until > now.timestamp()]

    @property
    def high(self) -> int:
        """The newest stamp known (microseconds)."""
        return int(self.stamps.max()) if self.stamps.size else 0

    def stamp_map(self) -> dict[int, int]:
        return dict(zip(self.members.tolist(), self.stamps.tolist(), strict=True))

    def digest(self, since: int) -> tuple[int, int, int, int]:
        """`stamp_digest` of the cached stamps at or after `since` (microseconds)."""
        recent = self.stamps >= since
        return stamp_digest(self.members[recent], self.stamps[recent])

    def cached(self, volunteer_ids: NDArray[np.int64]) -> NDArray[np.int64]:
        """The cached stamps of `volunteer_ids`, in that order (-1 for those not known)."""
        if not self.members.size:
            return np.full(volunteer_ids.size, -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.members, volunteer_ids), self.members.size - 1)
        return np.where(self.members[at] == volunteer_ids, self.stamps[at], -1)


class PoolCache:
    """Built pools by organisation, least recently used out past `capacity` (0: no cache,
    every call builds afresh)."""

    def __init__(self, taxonomy: Taxonomy, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 0:
            raise ValueError(f"capacity must be >= 0, got {capacity}")
        self.taxonomy = taxonomy
        self.capacity = capacity
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self.builds = 0  # full builds (cold, or too much changed)
        self.patches = 0  # rankings that reloaded some rows
        self.hits = 0  # rankings served as cached

    def __contains__(self, org_id: int) -> bool:
        return org_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def nbytes(self) -> int:
        """Bytes of the cached arrays and matrices (texts and text models not included)."""
        return sum(
            e.pool.nbytes + e.paused_until.nbytes + e.members.nbytes + e.stamps.nbytes
            for e in self._entries.values()
        )

    def forget(self, org_id: int | None = None) -> None:
        """Drop one organisation's pool, or all."""
        if org_id is None:
            self._entries.clear()
        else:
            self._entries.pop(org_id, None)

    async def static_pool(self, tx: Tx, org_id: int, now: datetime) -> tuple[Pool, list[int]]:
        """The organisation's pool as of now (counters zero, mission flags False, pauses
        applied), and the ids of its paused volunteers."""
        entry = self._entries.get(org_id)
        entry = await (
            self._build(tx, org_id) if entry is None else self._refresh(tx, org_id, entry)
        )
        if self.capacity:
            self._entries[org_id] = entry
            self._entries.move_to_end(org_id)
            while len(self._entries) > self.capacity:
                dropped, _ = self._entries.popitem(last=False)
                _log.debug("pool cache: dropped organisation %d", dropped)
        paused = entry.paused(now).tolist()
        return entry.pool.with_paused(paused), paused

    async def _build(self, tx: Tx, org_id: int) -> _Entry:
        self.builds += 1
        membership = await tx.orgs.membership_stamp(org_id)
        stamps = {v: _micros(w) for v, w in (await tx.people.member_stamps(org_id)).items()}
        ids = [vid for vid, _ in await tx.orgs.members(org_id)]
        profiles = await load_profiles(tx, ids)
        pool = Pool.from_candidates([p.candidate for p in profiles], self.taxonomy)
        return _entry(pool, _pauses(profiles), stamps, membership, stale_rows=0)

    async def _refresh(self, tx: Tx, org_id: int, entry: _Entry) -> _Entry:
        """The entry itself if nothing changed, else patched (or rebuilt)."""
        membership = await tx.orgs.membership_stamp(org_id)
        if membership != entry.membership:  # someone joined or left: diff every stamp
            stamps = {v: _micros(w) for v, w in (await tx.people.member_stamps(org_id)).items()}
            cached = entry.stamp_map()
            gone = set(cached) - set(stamps)
            changed = {v for v, us in stamps.items() if cached.get(v) != us}
        else:
            since = entry.high - _WINDOW_US
            digest = await tx.orgs.member_stamp_digest(org_id, _at(since))
            if digest is not None and digest == entry.digest(since):
                self.hits += 1  # the recent stamps are the cached ones: no row read
                return entry
            ids, micros = await tx.orgs.member_stamp_micros(org_id, _at(since))
            differs = entry.cached(ids) != micros
            # A recent stamp the cache holds but the database no longer has (the write was
            # rolled back) is a change too; its row is reloaded and its stamp forgotten (0).
            held = entry.members[entry.stamps >= since]
            vanished = set(held[~_sorted_in(held, ids)].tolist())
            changed = set(ids[differs].tolist()) | vanished
            gone = set()
            if changed:
                stamps = entry.stamp_map()
                stamps.update(zip(ids[differs].tolist(), micros[differs].tolist(), strict=True))
                stamps.update(dict.fromkeys(vanished, 0))
        if not changed and not gone:
            self.hits += 1
            return entry
        if len(changed) > _REBUILD_SHARE * max(len(entry.pool), 1):
            return await self._build(tx, org_id)
        self.patches += 1
        profiles = await load_profiles(tx, sorted(changed))
        rows = Pool.from_candidates(
            [p.candidate for p in profiles], self.taxonomy, text_model=entry.pool.text_model
        )
        drop = changed | gone
        pool = entry.pool.patched(rows, drop=drop)
        keep = ~np.isin(entry.pool.volunteer_ids, np.fromiter(drop, dtype=np.int64))
        paused_until = np.concatenate([entry.paused_until[keep], _pauses(profiles)])
        stale = entry.stale_rows + len(profiles)
        if len(pool) < EXACT_BELOW or stale > REFIT_SHARE * len(pool):
            pool, stale = pool.refitted(), 0
        return _entry(pool, paused_until, stamps, membership, stale_rows=stale)


def _sorted_in(values: NDArray[np.int64], sorted_ids: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Which of `values` are in `sorted_ids` (sorted, unique)."""
    if not sorted_ids.size:
        return np.zeros(values.size, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_ids, values), sorted_ids.size - 1)
    return np.asarray(sorted_ids[at] == values)


def _at(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, UTC) + timedelta(
        microseconds=micros % 1_000_000
    )


def _entry(
    pool: Pool,
    paused_until: NDArray[np.float64],
    stamps: dict[int, int],
    membership: tuple[int, int, int],
    *,
    stale_rows: int,
) -> _Entry:
    members = np.array(sorted(stamps), dtype=np.int64)
    return _Entry(
        pool=pool,
        paused_until=paused_until,
        members=members,
        stamps=np.array([stamps[v] for v in members.tolist()], dtype=np.int64),
        membership=membership,
        stale_rows=stale_rows,
    )
