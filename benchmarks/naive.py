"""A naive per-pair implementation of the ranker's score: the baseline the benchmark beats.

Plain Python, one volunteer at a time, the same formulas and constants as the vectorised
code (`matching.features`, `matching.fairness`, `matching.scoring`). Only the
per-mission preparation is shared: the resolved skills, slots and document of
`Ranker.context`, and the fitted text model's vocabulary and IDF. The tests use it to
check that both implementations agree on random pools.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from matching.fairness import FAIRNESS_HALF_LIFE
from matching.features import (
    ACCEPT_PRIOR,
    DEFAULT_WEEKLY_CAP,
    DISTANCE_SCALE_KM,
    DOMAIN_CREDIT,
    EARTH_RADIUS_KM,
    FEATURES,
    MISSIONS_HALF,
    NEUTRAL,
    RECENCY_DAYS,
    RELIABILITY_PRIOR,
    REQUIRED_SHARE,
    RESPONSE_PRIOR,
    Candidate,
    MissionRequest,
)
from matching.pool import TextModel
from matching.ranking import Ranker
from matching.scoring import TEXT_SCALE

__all__ = ["NaiveMission", "NaiveRanker"]

Vector = dict[str, float]


@dataclass(frozen=True, slots=True)
class NaiveMission:
    """What the naive scorer needs from a mission, prepared once."""

    mission: MissionRequest
    required: tuple[str, ...]
    nice: tuple[str, ...]
    slots: tuple[tuple[int, str], ...]
    vector: Vector


class NaiveRanker:
    """Score (mission, volunteer) pairs one at a time with Python floats."""

    def __init__(self, ranker: Ranker, text_model: TextModel) -> None:
        self.ranker = ranker
        self.text_model = text_model
        self.domain_of = {s.id: s.domain for s in ranker.taxonomy}
        self.vocabulary = dict(text_model.vocabulary)
        self.idf = text_model.idf.tolist()
        raw = [float(getattr(ranker.weights, name)) for name in FEATURES]
        self.weights = [w / sum(raw) for w in raw]

    def vector(self, text: str) -> Vector:
        """Sublinear TF-IDF of `text`, L2-normalised, as a dict."""
        counts = Counter(g for g in self.text_model.ngrams(text) if g in self.vocabulary)
        weights = {g: (1.0 + math.log(n)) * self.idf[self.vocabulary[g]] for g, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in weights.values()))
        return {g: v / norm for g, v in weights.items()} if norm else {}

    def prepare(self, mission: MissionRequest) -> NaiveMission:
        """Resolve the mission once (skills, slots, text vector)."""
        ctx = self.ranker.context(mission)
        return NaiveMission(mission, ctx.required, ctx.nice, ctx.slots, self.vector(ctx.document))

    def components(self, m: NaiveMission, c: Candidate, profile: Vector) -> list[float]:
        """The eight components of one pair."""
        domains = {self.domain_of[s] for s in c.skills if s in self.domain_of}

        def credit(skill: str) -> float:
            if skill in c.skills:
                return 1.0
            return DOMAIN_CREDIT if self.domain_of[skill] in domains else 0.0

        req = sum(credit(s) for s in m.required) / len(m.required) if m.required else 0.0
        nice = sum(credit(s) for s in m.nice) / len(m.nice) if m.nice else 0.0
        if m.required and m.nice:
            skill = REQUIRED_SHARE * req + (1 - REQUIRED_SHARE) * nice
        else:
            skill = req if m.required else nice if m.nice else 0.0

        cosine = sum(w * profile[g] for g, w in m.vector.items() if g in profile)
        text = min(1.0, max(0.0, cosine / TEXT_SCALE))

        if c.availability:
            availability = sum(1 for s in m.slots if s in c.availability) / len(m.slots)
        else:
            availability = NEUTRAL

        distance = NEUTRAL
        if c.location is not None and m.mission.location is not None:
            km = _haversine(c.location, m.mission.location)
            if not math.isnan(km):
                distance = 1.0 / (1.0 + km / DISTANCE_SCALE_KM)

        inv = c.invitations
        if c.days_since_active is None:
            recency = NEUTRAL
        else:
            recency = math.exp(-max(c.days_since_active, 0.0) / RECENCY_DAYS)
        response = (c.invitations_answered + RESPONSE_PRIOR[0]) / (inv + RESPONSE_PRIOR[1])
        acceptance = (c.invitations_accepted + ACCEPT_PRIOR[0]) / (inv + ACCEPT_PRIOR[1])
        engagement = min(1.0, max(0.0, 0.4 * recency + 0.3 * response + 0.3 * acceptance))

        reliability = (c.attended + RELIABILITY_PRIOR[0]) / (
            c.attended + c.no_shows + RELIABILITY_PRIOR[1]
        )

        cap = self._cap(c, m.mission)
        limit = max(float(DEFAULT_WEEKLY_CAP if cap is None else cap), 1.0)
        room = min(1.0, max(0.0, 1.0 - c.recent_invitations / limit))
        load = 0.6 * room + 0.4 * MISSIONS_HALF / (MISSIONS_HALF + c.recent_missions)

        fairness = math.exp(-math.log(2.0) / FAIRNESS_HALF_LIFE * c.recent_invitations)
        return [skill, text, availability, distance, engagement, reliability, load, fairness]

    @staticmethod
    def _cap(c: Candidate, mission: MissionRequest) -> int | None:
        caps = [x for x in (c.weekly_cap, mission.org_weekly_cap) if x is not None]
        return min(caps) if caps else None

    def excluded(self, m: NaiveMission, c: Candidate) -> str | None:
        """The first hard filter the volunteer fails, or None."""
        cap = self._cap(c, m.mission)
        if not c.is_member:
            return "not_member"
        if c.paused:
            return "paused"
        if c.signed_up:
            return "signed_up"
        if c.declined:
            return "declined"
        if c.busy:
            return "busy"
        if cap is not None and c.recent_invitations >= cap:
            return "over_cap"
        if _too_far(c, m.mission):
            return "too_far"
        free = [s for s in m.slots if s in c.availability]
        if m.mission.strict_availability and c.availability and len(free) < len(m.slots):
            return "unavailable"
        return None

    def score(self, m: NaiveMission, c: Candidate, profile: Vector) -> float:
        """Weighted mean of the components."""
        comps = self.components(m, c, profile)
        return sum(w * x for w, x in zip(self.weights, comps, strict=True))

    def rank(
        self, mission: MissionRequest, candidates: Sequence[Candidate], profiles: Sequence[Vector]
    ) -> list[tuple[int, float]]:
        """(volunteer id, score) of eligible volunteers, best first (ties by id)."""
        m = self.prepare(mission)
        scored = [
            (c.volunteer_id, self.score(m, c, p))
            for c, p in zip(candidates, profiles, strict=True)
            if self.excluded(m, c) is None
        ]
        scored.sort(key=lambda pair: (-pair[1], pair[0]))
        return scored


def _too_far(c: Candidate, mission: MissionRequest) -> bool:
    if c.max_distance_km is None or c.location is None or mission.location is None:
        return False
    return _haversine(c.location, mission.location) > c.max_distance_km


def _haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, h))))
