"""Feature matrices and hard filters, computed with array operations only.

`pool_features` scores one mission against every volunteer of a pool
(`matching.missions.missions_features` does the other direction with the same formulas).
Both return a `FeatureBlock`: one row per volunteer (or mission), one column per name in
`FEATURES`, plus the exclusion code of each row and what the reasons need.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from matching.fairness import fairness_score
from matching.features import (
    DOMAIN_CREDIT,
    FEATURES,
    MissionRequest,
    availability_mask,
    availability_score,
    cap_for_load,
    distance_score,
    effective_cap,
    engagement_score,
    haversine_radians_km,
    is_finite_location,
    load_score,
    reliability_score,
    skill_score,
)
from matching.pool import Pool, SkillSpace
from matching.taxonomy import Taxonomy

__all__ = [
    "EXCLUSIONS",
    "TEXT_SCALE",
    "FeatureBlock",
    "MissionContext",
    "exclusion_codes",
    "pool_features",
    "resolve_mission",
]

#: Hard filters, in the order they are checked; a row's code k > 0 means EXCLUSIONS[k - 1].
EXCLUSIONS: Final = (
    "not_member",
    "paused",
    "signed_up",
    "declined",
    "busy",
    "over_cap",
    "too_far",
    "unavailable",
)
TEXT_SCALE: Final = 0.5  # cosine similarity at which the text component saturates at 1


@dataclass(frozen=True, slots=True)
class MissionContext:
    """A mission with its skills resolved to taxonomy columns and its slot to a grid mask."""

    mission: MissionRequest
    required: tuple[str, ...]  # known required skill ids, in column order
    nice: tuple[str, ...]  # known nice-to-have skill ids not already required
    required_cols: tuple[int, ...]
    nice_cols: tuple[int, ...]
    suggested: bool  # skills came from the mission text, not from the coordinator
    slots: tuple[tuple[int, str], ...]
    slot_mask: int
    document: str  # what the text model reads: title, description, skill labels


def resolve_mission(
    mission: MissionRequest,
    taxonomy: Taxonomy,
    space: SkillSpace,
    suggested: Sequence[str] = (),
) -> MissionContext:
    """Resolve skills (falling back to `suggested` as nice-to-have when none are listed)."""
    required_cols = space.columns(mission.required_skills)
    nice_ids: Collection[str] = mission.nice_skills
    used_suggestions = False
    if not required_cols and not space.columns(nice_ids) and suggested:
        nice_ids, used_suggestions = frozenset(suggested), True
    nice_cols = tuple(c for c in space.columns(nice_ids) if c not in set(required_cols))
    required = tuple(space.skill_ids[c] for c in required_cols)
    nice = tuple(space.skill_ids[c] for c in nice_cols)
    labels = [label for s in required + nice for label in taxonomy.skills[s].labels.values()]
    slots = mission.slots
    return MissionContext(
        mission=mission,
        required=required,
        nice=nice,
        required_cols=required_cols,
        nice_cols=nice_cols,
        suggested=used_suggestions,
        slots=slots,
        slot_mask=availability_mask(slots),
        document="\n".join([mission.title, mission.description, *labels]),
    )


@dataclass(frozen=True, slots=True)
class FeatureBlock:
    """Components (rows x FEATURES), exclusion codes, and the facts behind the reasons."""

    components: NDArray[np.float64]
    excluded: NDArray[np.int8]
    covered: NDArray[np.uint32]  # grid cells both free and needed
    distance_km: NDArray[np.float64]  # NaN = unknown
    skill_hits: NDArray[np.bool_]  # rows x mission skills (pool direction only)
    domain_hits: NDArray[np.bool_]


def exclusion_codes(conditions: Sequence[NDArray[np.bool_]], rows: int) -> NDArray[np.int8]:
    """Code of the first condition true in each row (1-based, in EXCLUSIONS order), else 0."""
    codes = np.zeros(rows, dtype=np.int8)
    for code in range(len(conditions), 0, -1):  # the first condition in the list wins
        codes[np.broadcast_to(conditions[code - 1], (rows,))] = code
    return codes


def _text_cosine(rows: sparse.csc_matrix, query: sparse.csr_matrix) -> NDArray[np.float64]:
    """Cosine of every row with one query row: only the query's n-gram columns are read."""
    if query.nnz == 0 or rows.shape[0] == 0:
        return np.zeros(rows.shape[0])
    product = rows[:, query.indices] @ query.data.astype(np.float32)
    return np.asarray(product, dtype=np.float64).ravel()


def pool_features(ctx: MissionContext, pool: Pool) -> FeatureBlock:
    """Score one mission against every volunteer of `pool` at once."""
    n, mission = len(pool), ctx.mission
    cols = list(ctx.required_cols + ctx.nice_cols)
    hits = np.asarray(pool.skills[:, cols].toarray() > 0) if cols else np.zeros((n, 0), bool)
    domain_hits = pool.domains[:, pool.space.skill_domain[cols]]
    credit = np.where(hits, 1.0, np.where(domain_hits, DOMAIN_CREDIT, 0.0))
    r = len(ctx.required_cols)
    required = credit[:, :r].mean(axis=1) if r else np.zeros(n)
    nice = credit[:, r:].mean(axis=1) if len(cols) > r else np.zeros(n)
    skill = skill_score(required, nice, r > 0, len(cols) > r)

    query = pool.text_model.transform([ctx.document])
    text = np.clip(_text_cosine(pool.text, query) / TEXT_SCALE, 0.0, 1.0)

    covered = pool.availability & np.uint32(ctx.slot_mask)
    overlap = np.bitwise_count(covered)
    known = pool.availability != 0
    availability = availability_score(overlap, len(ctx.slots), known)

    if is_finite_location(mission.location):
        assert mission.location is not None
        lat, lon = np.radians(np.array(mission.location, dtype=np.float64))
        distance_km = haversine_radians_km(
            pool.lat_rad, pool.lon_rad, pool.cos_lat, lat, lon, np.cos(lat)
        )
    else:
        distance_km = np.full(n, np.nan)

    caps = effective_cap(pool.weekly_cap, mission.org_weekly_cap)
    columns = np.empty((len(FEATURES), n))  # one contiguous row per component
    columns[0] = skill
    columns[1] = text
    columns[2] = availability
    columns[3] = distance_score(distance_km)
    columns[4] = engagement_score(
        pool.days_since_active,
        pool.invitations,
        pool.invitations_answered,
        pool.invitations_accepted,
    )
    columns[5] = reliability_score(pool.attended, pool.no_shows)
    columns[6] = load_score(
        pool.recent_invitations,
        pool.recent_missions,
        cap_for_load(pool.weekly_cap, mission.org_weekly_cap),
    )
    columns[7] = fairness_score(pool.recent_invitations)
    components = columns.T
    excluded = exclusion_codes(
        [
            ~pool.is_member,
            pool.paused,
            pool.signed_up,
            pool.declined,
            pool.busy,
            pool.recent_invitations >= caps,  # NaN cap (none) compares False
            distance_km > pool.max_distance_km,  # NaN (unknown) compares False
            mission.strict_availability & known & (overlap < len(ctx.slots)),
        ],
        n,
    )
    return FeatureBlock(components, excluded, covered, distance_km, hits, domain_hits)
