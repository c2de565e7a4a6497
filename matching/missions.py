"""The other direction: one volunteer against many missions, with the pool's formulas.

A `MissionSet` is the mission-side twin of `Pool`: the open missions of an organisation
resolved once (skills, slots, places, TF-IDF of their texts), then scored for any number
of volunteers (`/missions`, the weekly digest) with a few array operations each.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from matching.fairness import fairness_score
from matching.features import (
    DEFAULT_WEEKLY_CAP,
    DOMAIN_CREDIT,
    FEATURES,
    Candidate,
    availability_mask,
    availability_score,
    distance_score,
    engagement_score,
    haversine_radians_km,
    is_finite_location,
    load_score,
    reliability_score,
    skill_score,
)
from matching.pool import SkillSpace, TextModel
from matching.scoring import TEXT_SCALE, FeatureBlock, MissionContext, exclusion_codes

__all__ = ["MissionSet", "missions_features"]


def _membership(rows: Sequence[tuple[int, ...]], width: int) -> sparse.csr_matrix:
    """Rows x width matrix with a 1 at each listed column."""
    r = [i for i, cols in enumerate(rows) for _ in cols]
    c = [col for cols in rows for col in cols]
    return sparse.csr_matrix((np.ones(len(c)), (r, c)), shape=(len(rows), width))


@dataclass(frozen=True, slots=True, eq=False)
class MissionSet:
    """Missions as arrays, row i = the i-th context."""

    contexts: tuple[MissionContext, ...]
    space: SkillSpace
    text_model: TextModel
    mission_ids: NDArray[np.int64]
    required: sparse.csr_matrix  # missions x skills
    nice: sparse.csr_matrix
    documents: sparse.csr_matrix  # missions x n-grams
    slot_masks: NDArray[np.uint32]
    slot_counts: NDArray[np.float64]
    lat_rad: NDArray[np.float64]
    lon_rad: NDArray[np.float64]
    cos_lat: NDArray[np.float32]
    org_caps: NDArray[np.float64]  # NaN = none
    strict: NDArray[np.bool_]

    @classmethod
    def build(
        cls, contexts: Sequence[MissionContext], space: SkillSpace, text_model: TextModel
    ) -> MissionSet:
        """Arrays for resolved missions (see `Ranker.prepare_missions`)."""
        width = len(space.skill_ids)
        lat = np.full(len(contexts), np.nan)
        lon = np.full(len(contexts), np.nan)
        for i, ctx in enumerate(contexts):
            if ctx.mission.location is not None and is_finite_location(ctx.mission.location):
                lat[i], lon[i] = ctx.mission.location
        lat_rad = np.radians(lat)
        caps = [c.mission.org_weekly_cap for c in contexts]
        return cls(
            contexts=tuple(contexts),
            space=space,
            text_model=text_model,
            mission_ids=np.array([c.mission.mission_id for c in contexts], dtype=np.int64),
            required=_membership([c.required_cols for c in contexts], width),
            nice=_membership([c.nice_cols for c in contexts], width),
            documents=text_model.transform([c.document for c in contexts]),
            slot_masks=np.array([c.slot_mask for c in contexts], dtype=np.uint32),
            slot_counts=np.array([len(c.slots) for c in contexts], dtype=np.float64),
            lat_rad=lat_rad,
            lon_rad=np.radians(lon),
            cos_lat=np.cos(lat_rad).astype(np.float32),
            org_caps=np.array([np.nan if x is None else x for x in caps], dtype=np.float64),
            strict=np.array([c.mission.strict_availability for c in contexts], dtype=bool),
        )

    def __len__(self) -> int:
        return len(self.contexts)


def missions_features(
    volunteer: Candidate,
    missions: MissionSet,
    *,
    signed_up: Collection[int] = (),
    declined: Collection[int] = (),
    busy: Collection[int] = (),
) -> FeatureBlock:
    """Score one volunteer against every mission of `missions` at once.

    Only mission-specific filters apply here (signed up, declined, busy, strict
    availability): a paused volunteer may still browse missions.
    """
    m, space = len(missions), missions.space
    own = np.zeros(len(space.skill_ids), dtype=bool)
    own[list(space.columns(volunteer.skills))] = True
    own_domains = np.zeros(len(space.domain_ids), dtype=bool)
    own_domains[space.skill_domain[own]] = True
    credit = np.where(own, 1.0, np.where(own_domains[space.skill_domain], DOMAIN_CREDIT, 0.0))

    def mean_credit(matrix: sparse.csr_matrix) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        count = np.asarray(matrix.sum(axis=1), dtype=np.float64).ravel()
        return np.asarray(matrix @ credit) / np.maximum(count, 1.0), count > 0

    required, has_required = mean_credit(missions.required)
    nice, has_nice = mean_credit(missions.nice)
    skill = skill_score(required, nice, has_required, has_nice)

    profile = missions.text_model.transform([volunteer.profile_text])
    cosine = np.asarray((missions.documents @ profile.T).toarray(), dtype=np.float64).ravel()
    text = np.clip(cosine / TEXT_SCALE, 0.0, 1.0)

    own_mask = np.uint32(availability_mask(volunteer.availability))
    covered = missions.slot_masks & own_mask
    overlap = np.bitwise_count(covered)
    availability = availability_score(overlap, missions.slot_counts, own_mask != 0)

    if is_finite_location(volunteer.location):
        assert volunteer.location is not None
        lat, lon = np.radians(np.array(volunteer.location, dtype=np.float64))
        distance_km = haversine_radians_km(
            missions.lat_rad, missions.lon_rad, missions.cos_lat, lat, lon, np.cos(lat)
        )
    else:
        distance_km = np.full(m, np.nan)

    own_cap = np.nan if volunteer.weekly_cap is None else float(volunteer.weekly_cap)
    caps = np.fmin(own_cap, missions.org_caps)
    load_caps = np.where(np.isnan(caps), float(DEFAULT_WEEKLY_CAP), caps)
    days = np.nan if volunteer.days_since_active is None else volunteer.days_since_active
    columns = np.empty((len(FEATURES), m))
    columns[0] = skill
    columns[1] = text
    columns[2] = availability
    columns[3] = distance_score(distance_km)
    columns[4] = engagement_score(
        days,
        volunteer.invitations,
        volunteer.invitations_answered,
        volunteer.invitations_accepted,
    )
    columns[5] = reliability_score(volunteer.attended, volunteer.no_shows)
    columns[6] = load_score(volunteer.recent_invitations, volunteer.recent_missions, load_caps)
    columns[7] = fairness_score(volunteer.recent_invitations)

    def listed(values: Collection[int]) -> NDArray[np.bool_]:
        return np.isin(missions.mission_ids, np.fromiter(values, dtype=np.int64))

    never = np.zeros(m, dtype=bool)
    excluded = exclusion_codes(
        [
            never,
            never,
            listed(signed_up),
            listed(declined),
            listed(busy),
            never,
            distance_km
            > (np.inf if volunteer.max_distance_km is None else volunteer.max_distance_km),
            missions.strict & (own_mask != 0) & (overlap < missions.slot_counts),
        ],
        m,
    )
    empty = np.zeros((m, 0), dtype=bool)
    return FeatureBlock(columns.T, excluded, covered, distance_km, empty, empty)
