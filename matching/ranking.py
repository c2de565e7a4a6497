"""Rank volunteers for a mission (and missions for a volunteer), with reasons.

The score is transparent by default: a weighted mean of the components in `FEATURES`
(each in [0, 1], so the score is in [0, 1] too). With an `AcceptanceModel` that beat the
weighted score on held-out outcomes, the score is the predicted probability of a useful
"yes" mixed with the fairness component at its weight, also in [0, 1], and ranking is in
two stages: the weighted score picks the best `rerank_depth` eligible people, the model
re-orders them, and everyone else follows in weighted order. A model learnt from past
invitations has only seen people near the top of past rankings; trusted beyond them it
extrapolates, and fills fewer missions than the weighted score (benchmarks/simulation.py).

Hard filters run before ranking: `rank` returns eligible people only,
`explain_exclusions` the others and why.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import astuple, dataclass, fields, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

import numpy as np
from numpy.typing import NDArray

from matching.fairness import with_fairness
from matching.features import FEATURES, Candidate, MissionRequest, slot_bit
from matching.missions import MissionSet, missions_features
from matching.pool import Pool, SkillSpace, TextModel
from matching.reasons import Facts, Reason, build_reasons, shared_word
from matching.scoring import (
    EXCLUSIONS,
    FeatureBlock,
    MissionContext,
    pool_features,
    resolve_mission,
)
from matching.skills import SkillNormaliser
from matching.taxonomy import Taxonomy

if TYPE_CHECKING:
    from matching.learning import AcceptanceModel

__all__ = [
    "LOYALTY_BONUS",
    "RERANK_DEPTH",
    "SUGGESTION_MIN_CONFIDENCE",
    "Loyalty",
    "Ranked",
    "RankedMission",
    "Ranker",
    "Scores",
    "Weights",
]

SUGGESTION_MIN_CONFIDENCE: Final = 0.85  # suggested skills below this are not used
RERANK_DEPTH: Final = 30  # how many of the weighted top a learned model re-orders
_FAIRNESS = FEATURES.index("fairness")
#: At most this is added to the ordering key of the most engaged person (not to the shown
#: score): enough to break ties, never enough to outweigh the components. It is scaled by
#: the fairness component, so someone already asked this week gets little of it.
LOYALTY_BONUS: Final = 0.02


@dataclass(frozen=True, slots=True)
class Loyalty:
    """What the caller knows of a volunteer's engagement over time."""

    score: float  # 0-1, the organisation's engagement score
    missions: int  # missions attended in the last 3 months


@dataclass(frozen=True, slots=True)
class Weights:
    """Weight of each component in the transparent score (normalised to sum to 1)."""

    skill: float = 0.30
    text: float = 0.10
    availability: float = 0.15
    distance: float = 0.10
    engagement: float = 0.08
    reliability: float = 0.07
    load: float = 0.10
    fairness: float = 0.10

    def __post_init__(self) -> None:
        values = astuple(self)
        if not all(math.isfinite(v) and v >= 0 for v in values) or sum(values) <= 0:
            raise ValueError(f"weights must be finite, >= 0 and not all 0: {self}")

    @classmethod
    def only(cls, **weights: float) -> Weights:
        """Weights that are zero except those named: `Weights.only(skill=1)`."""
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown components: {sorted(unknown)}")
        return cls(**{f.name: float(weights.get(f.name, 0.0)) for f in fields(cls)})

    def vector(self) -> NDArray[np.float64]:
        """The weights in FEATURES order, summing to 1."""
        values = np.array([getattr(self, name) for name in FEATURES], dtype=np.float64)
        return np.asarray(values / values.sum())


@dataclass(frozen=True, slots=True)
class Ranked:
    """One volunteer's place for a mission."""

    volunteer_id: int
    score: float
    components: Mapping[str, float]  # FEATURES -> [0, 1]
    reasons: tuple[Reason, ...]  # at most 4, most telling first
    excluded: str | None = None  # None if eligible, else one of EXCLUSIONS


@dataclass(frozen=True, slots=True)
class RankedMission:
    """One mission's place for a volunteer (the same score, the other direction)."""

    mission_id: int
    score: float
    components: Mapping[str, float]
    reasons: tuple[Reason, ...]
    excluded: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Scores:
    """Every volunteer of a pool scored for one mission (arrays in pool order)."""

    context: MissionContext
    pool: Pool
    block: FeatureBlock
    score: NDArray[np.float64]  # what `Ranked.score` shows
    key: NDArray[np.float64]  # what the order follows (differs with a learned model)

    @property
    def components(self) -> NDArray[np.float64]:
        """Rows x FEATURES."""
        return self.block.components

    @property
    def eligible(self) -> NDArray[np.bool_]:
        """True for volunteers that pass every hard filter."""
        return np.asarray(self.block.excluded == 0)

    def exclusion(self, row: int) -> str | None:
        """Why row `row` was filtered out, or None."""
        code = int(self.block.excluded[row])
        return EXCLUSIONS[code - 1] if code else None

    def order(self, limit: int | None = None, *, eligible: bool = True) -> NDArray[np.intp]:
        """Rows best first (ties by volunteer id), among eligible or excluded rows."""
        return _order(self.key, self.pool.volunteer_ids, self.eligible == eligible, limit)


def _order(
    score: NDArray[np.float64], ids: NDArray[np.int64], mask: NDArray[np.bool_], limit: int | None
) -> NDArray[np.intp]:
    rows = np.flatnonzero(mask)
    if limit is not None:
        if limit <= 0:
            return rows[:0]
        if limit < rows.size:  # keep every row tied with the limit-th best, then sort
            kth = np.partition(score[rows], rows.size - limit)[rows.size - limit]
            rows = rows[score[rows] >= kth]
    best = rows[np.lexsort((ids[rows], -score[rows]))]
    return best if limit is None else best[:limit]


def _mapping(row: NDArray[np.float64]) -> Mapping[str, float]:
    return MappingProxyType({name: float(v) for name, v in zip(FEATURES, row, strict=True)})


class Ranker:
    """Scores volunteers for missions with the transparent weights or a learned model."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        weights: Weights | None = None,
        model: AcceptanceModel | None = None,
        *,
        normaliser: SkillNormaliser | None = None,
        suggest_skills: bool = True,
        rerank_depth: int = RERANK_DEPTH,
    ) -> None:
        if rerank_depth < 1:
            raise ValueError(f"rerank_depth must be >= 1, got {rerank_depth}")
        self.taxonomy = taxonomy
        self.rerank_depth = rerank_depth
        self.weights = weights if weights is not None else Weights()
        self.model = model
        self.suggest_skills = suggest_skills
        self._weights = self.weights.vector()
        self._weight_list: list[float] = self._weights.tolist()
        self._space = SkillSpace(taxonomy)
        self._normaliser = normaliser
        self._suggestions: dict[tuple[str, str], tuple[str, ...]] = {}

    # -- one mission, every volunteer ---------------------------------------------------------

    def score(self, mission: MissionRequest, pool: Pool) -> Scores:
        """Components, hard filters and score of every volunteer of `pool` (vectorised)."""
        if pool.space.skill_ids != self._space.skill_ids:
            raise ValueError("the pool was built with another taxonomy than the ranker's")
        ctx = self.context(mission)
        block = pool_features(ctx, pool)
        score, key = self._score_and_key(block, pool.volunteer_ids)
        return Scores(ctx, pool, block, score, key)

    def rank(
        self,
        mission: MissionRequest,
        pool: Pool,
        limit: int | None = None,
        *,
        loyalty: Mapping[int, Loyalty] | None = None,
    ) -> list[Ranked]:
        """Eligible volunteers, best first, with reasons (`limit` keeps the top ones).

        With `loyalty` (by volunteer id), engagement breaks near-ties (`LOYALTY_BONUS`) and
        a "loyal" reason can be given.
        """
        scores = self.score(mission, pool)
        if not loyalty:
            return [self._ranked(scores, int(row)) for row in scores.order(limit)]
        ids = scores.pool.volunteer_ids
        known = [loyalty.get(int(i)) for i in ids]
        engaged = np.array([0.0 if k is None else k.score for k in known])
        bonus = LOYALTY_BONUS * np.clip(engaged, 0.0, 1.0) * scores.components[:, _FAIRNESS]
        scores = replace(scores, key=scores.key + bonus)
        return [
            self._ranked(scores, int(row), loyal=(k.missions if (k := known[row]) else 0))
            for row in scores.order(limit)
        ]

    def explain_exclusions(self, mission: MissionRequest, pool: Pool) -> list[Ranked]:
        """Volunteers filtered out, each with `excluded` set (best score first)."""
        scores = self.score(mission, pool)
        return [self._ranked(scores, int(row)) for row in scores.order(eligible=False)]

    def combine(self, components: NDArray[np.float64]) -> NDArray[np.float64]:
        """The score of rows of components: weighted mean, or model probability mixed with
        the fairness component at its weight."""
        if self.model is None:
            # einsum, not BLAS: no thread wake-up latency on a hot path
            return np.asarray(np.einsum("nk,k->n", components, self._weights))
        probability = self.model.predict_proba(components)
        share = float(self._weights[_FAIRNESS])
        return with_fairness(probability, components[:, _FAIRNESS], share)

    def _score_and_key(
        self, block: FeatureBlock, ids: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Shown scores, and the ordering key (two-stage with a learned model)."""
        score = self.combine(block.components)
        if self.model is None:
            return score, score
        weighted = np.asarray(np.einsum("nk,k->n", block.components, self._weights))
        head = _order(weighted, ids, block.excluded == 0, self.rerank_depth)
        key = weighted - 2.0  # in [-2, -1]: below every re-ranked row, in weighted order
        key[head] = score[head]
        return score, key

    def context(self, mission: MissionRequest) -> MissionContext:
        """The mission with its skills resolved (suggested from its text when none listed)."""
        return resolve_mission(mission, self.taxonomy, self._space, self._suggested(mission))

    # -- one volunteer, many missions ---------------------------------------------------------

    def prepare_missions(
        self, missions: Sequence[MissionRequest], text_model: TextModel | None = None
    ) -> MissionSet:
        """Resolve missions once to rank them for many volunteers.

        `text_model` defaults to one fitted on the taxonomy and these missions' texts; pass
        the pool's to get exactly the scores `rank` gives.
        """
        contexts = [self.context(m) for m in missions]
        if text_model is None:
            text_model = TextModel.fit([c.document for c in contexts], self.taxonomy)
        return MissionSet.build(contexts, self._space, text_model)

    def rank_missions(
        self,
        volunteer: Candidate,
        missions: Sequence[MissionRequest] | MissionSet,
        limit: int | None = None,
        *,
        signed_up: Collection[int] = (),
        declined: Collection[int] = (),
        busy: Collection[int] = (),
    ) -> list[RankedMission]:
        """Missions for one volunteer, best first, eligible only (mission ids in the filters).

        Pass a `MissionSet` from `prepare_missions` when ranking the same missions for many
        volunteers; a plain sequence is prepared on each call.
        """
        if not isinstance(missions, MissionSet):
            if not missions:
                return []
            missions = self.prepare_missions(missions)
        if missions.space.skill_ids != self._space.skill_ids:
            raise ValueError("the missions were prepared with another taxonomy than the ranker's")
        block = missions_features(
            volunteer, missions, signed_up=signed_up, declined=declined, busy=busy
        )
        score, key = self._score_and_key(block, missions.mission_ids)
        rows = _order(key, missions.mission_ids, block.excluded == 0, limit)
        return [
            self._ranked_mission(volunteer, missions.contexts[r], block, score, int(r))
            for r in rows
        ]

    # -- building results ---------------------------------------------------------------------

    def _suggested(self, mission: MissionRequest) -> tuple[str, ...]:
        if not self.suggest_skills or mission.required_skills or mission.nice_skills:
            return ()
        key = (mission.title, mission.description)
        if key not in self._suggestions:
            if self._normaliser is None:
                self._normaliser = SkillNormaliser(self.taxonomy)
            found = self._normaliser.suggest_for_mission(mission.title, mission.description)
            if len(self._suggestions) >= 4096:
                self._suggestions.clear()
            self._suggestions[key] = tuple(
                m.skill_id for m in found if m.confidence >= SUGGESTION_MIN_CONFIDENCE
            )
        return self._suggestions[key]

    def _ranked(self, scores: Scores, row: int, *, loyal: int = 0) -> Ranked:
        ctx, pool, block = scores.context, scores.pool, scores.block
        hits, domain_hits = block.skill_hits[row], block.domain_hits[row]
        mission_skills = ctx.required + ctx.nice
        r = len(ctx.required)
        related = tuple(
            dict.fromkeys(
                self.taxonomy.skills[s].domain
                for j, s in enumerate(mission_skills)
                if domain_hits[j] and not hits[j]
            )
        )
        components = block.components[row]
        facts = Facts(
            components=components.tolist(),
            required_hits=tuple(s for j, s in enumerate(ctx.required) if hits[j]),
            nice_hits=tuple(s for j, s in enumerate(ctx.nice) if hits[r + j]),
            related_domains=related,
            slot=_first_slot(ctx.slots, int(block.covered[row])),
            distance_km=_known(float(block.distance_km[row])),
            profile_word=self._profile_word(pool.profile_texts[row], ctx, hits.any()),
            attended=int(pool.attended[row]),
            no_shows=int(pool.no_shows[row]),
            invitations=int(pool.invitations[row]),
            answered=int(pool.invitations_answered[row]),
            recent_invitations=int(pool.recent_invitations[row]),
            days_since_active=_known(float(pool.days_since_active[row])),
            loyal=loyal,
        )
        return Ranked(
            volunteer_id=int(pool.volunteer_ids[row]),
            score=float(scores.score[row]),
            components=_mapping(components),
            reasons=build_reasons(facts, self._weight_list),
            excluded=scores.exclusion(row),
        )

    def _ranked_mission(
        self,
        volunteer: Candidate,
        ctx: MissionContext,
        block: FeatureBlock,
        score: NDArray[np.float64],
        row: int,
    ) -> RankedMission:
        own_domains = {
            self.taxonomy.skills[s].domain for s in volunteer.skills if s in self.taxonomy
        }
        shared = [s for s in ctx.required + ctx.nice if s in volunteer.skills]
        related = tuple(
            dict.fromkeys(
                self.taxonomy.skills[s].domain
                for s in ctx.required + ctx.nice
                if s not in volunteer.skills and self.taxonomy.skills[s].domain in own_domains
            )
        )
        components = block.components[row]
        facts = Facts(
            components=components.tolist(),
            required_hits=tuple(s for s in shared if s in ctx.required),
            nice_hits=tuple(s for s in shared if s in ctx.nice),
            related_domains=related,
            slot=_first_slot(ctx.slots, int(block.covered[row])),
            distance_km=_known(float(block.distance_km[row])),
            profile_word=self._profile_word(volunteer.profile_text, ctx, bool(shared)),
            history=False,
        )
        code = int(block.excluded[row])
        return RankedMission(
            mission_id=ctx.mission.mission_id,
            score=float(score[row]),
            components=_mapping(components),
            reasons=build_reasons(facts, self._weight_list),
            excluded=EXCLUSIONS[code - 1] if code else None,
        )

    @staticmethod
    def _profile_word(profile: str, ctx: MissionContext, has_skill: bool) -> str | None:
        if has_skill or not profile:
            return None
        return shared_word(profile, f"{ctx.mission.title} {ctx.mission.description}")


def _first_slot(slots: Sequence[tuple[int, str]], covered: int) -> tuple[int, str] | None:
    return next((s for s in slots if covered >> slot_bit(*s) & 1), None)


def _known(value: float) -> float | None:
    return None if math.isnan(value) else value
