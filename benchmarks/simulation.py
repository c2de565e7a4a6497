"""Quality: a month of missions in a synthetic association, under several invitation policies.

Every policy faces the same people, the same missions and the same coin flips (common
random numbers): person i accepts mission k when U[i, k] < P(accept), where P comes from
their hidden preferences (real skills, favourite domains, real availability, how far
they travel, keenness) and from fatigue (each invitation in the last 7 days and each
mission in the last 28 lowers it). For each mission the policy ranks the eligible pool and
invites one person at a time, in order, until the places are filled or
`max_invitations` were sent.

Policies: random order; skill only (random tie-breaks); the weighted score without and
with the fairness penalty; the learned model, trained on the outcomes of a warm-up month
run with the weighted score on other missions (N = the invitations of that month),
re-ordering the weighted top 30 as the ranker does; and, for contrast, the same model
trusted over the whole pool, beyond the people it has seen outcomes for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from benchmarks.synthetic import Person, make_missions, make_people
from matching.fairness import gini
from matching.features import FEATURES, MissionRequest, availability_mask, haversine_km
from matching.learning import Example, Outcome, TrainingResult, train_acceptance_model
from matching.pool import Pool
from matching.ranking import Ranker, Scores, Weights
from matching.taxonomy import Taxonomy

__all__ = ["PolicyResult", "SimConfig", "World", "run_policy", "simulate"]

Order = Callable[[Scores, np.random.Generator], NDArray[np.intp]]


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Sizes of the simulated association."""

    volunteers: int = 2000
    days: int = 28
    missions_per_day: int = 5
    invitations_per_place: int = 4  # invitation budget of a mission: 4 per place...
    max_invitations: int = 20  # ...and never more than this
    seed: int = 0


@dataclass(frozen=True, slots=True)
class PolicyResult:
    """What one policy achieved over the month."""

    policy: str
    invitations: int
    acceptances: int
    acceptance_rate: float
    missions_filled: int
    missions: int
    slots_filled: int
    slots: int
    came: int  # filled places where the person then came
    invitations_per_filled_slot: float
    gini: float
    share_invited: float
    max_invitations: int
    examples: list[Example] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict, rounded, without the recorded examples."""
        data = asdict(self)
        data.pop("examples")
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in data.items()}


class World:
    """The hidden truth of a population, and what ranking it costs to score each mission."""

    def __init__(self, people: Sequence[Person], taxonomy: Taxonomy) -> None:
        self.people = list(people)
        self.taxonomy = taxonomy
        self.pool = Pool.from_candidates([p.candidate for p in people], taxonomy)
        skill_index = {s.id: i for i, s in enumerate(taxonomy)}
        domain_index = {d: i for i, d in enumerate(taxonomy.domains)}
        n = len(people)
        self.true_skills = np.zeros((n, len(skill_index)), dtype=bool)
        self.liked = np.zeros((n, len(domain_index)), dtype=bool)
        for i, p in enumerate(people):
            self.true_skills[i, [skill_index[s] for s in p.true_skills]] = True
            self.liked[i, [domain_index[d] for d in p.liked_domains]] = True
        self.skill_index, self.domain_index = skill_index, domain_index
        self.availability = np.array([p.true_availability for p in people], dtype=np.uint32)
        self.home = np.array([p.home for p in people])
        self.tolerance = np.array([p.tolerance_km for p in people])
        self.keenness = np.array([p.keenness for p in people])
        self.reliability = np.array([p.reliability for p in people])
        self.responsiveness = np.array([p.responsiveness for p in people])

    def acceptance(
        self,
        mission: MissionRequest,
        recent_invitations: NDArray[np.float64],
        recent_missions: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        """P(accept) of everyone for `mission`, from hidden preferences and fatigue."""
        cols = [self.skill_index[s] for s in mission.required_skills]
        has_skill = self.true_skills[:, cols].any(axis=1)
        domains = {self.taxonomy.skills[s].domain for s in mission.required_skills}
        liked = self.liked[:, [self.domain_index[d] for d in domains]].any(axis=1)
        needed = np.uint32(availability_mask(mission.slots))
        free = np.bitwise_count(self.availability & needed) / max(1, len(mission.slots))
        assert mission.location is not None
        distance = haversine_km(self.home[:, 0], self.home[:, 1], *mission.location)
        logit = (
            self.keenness
            - 2.5
            + 2.2 * has_skill
            + 1.0 * liked
            + 2.0 * free
            - distance / self.tolerance
            - 0.6 * recent_invitations
            - 0.3 * recent_missions
        )
        return np.asarray(1.0 / (1.0 + np.exp(-logit)))


def _by_score(scores: Scores, rng: np.random.Generator) -> NDArray[np.intp]:
    return scores.order()


def _random(scores: Scores, rng: np.random.Generator) -> NDArray[np.intp]:
    return rng.permutation(np.flatnonzero(scores.eligible))


def _skill_only(scores: Scores, rng: np.random.Generator) -> NDArray[np.intp]:
    rows = np.flatnonzero(scores.eligible)
    skill = scores.components[rows, FEATURES.index("skill")]
    return rows[np.lexsort((rng.random(rows.size), -skill))]


def run_policy(
    world: World,
    missions: Sequence[tuple[MissionRequest, int]],
    name: str,
    ranker: Ranker,
    order: Order = _by_score,
    *,
    invitations_per_place: int = 4,
    max_invitations: int = 20,
    seed: int = 0,
) -> PolicyResult:
    """Play the month under one policy; returns its results and the outcomes it recorded."""
    n = len(world.people)
    start = world.pool
    rng = np.random.default_rng(seed)
    coins = np.random.default_rng(seed + 1).random((3, len(missions), n))  # same for all policies
    counts = {
        name: np.array(getattr(start, name), dtype=np.float64)
        for name in (
            "attended",
            "no_shows",
            "invitations",
            "invitations_answered",
            "invitations_accepted",
        )
    }
    base_recent_inv = np.array(start.recent_invitations, dtype=np.float64)
    base_recent_missions = np.array(start.recent_missions, dtype=np.float64)
    day0 = missions[0][0].start.date() if missions else None
    days = (missions[-1][0].start.date() - day0).days + 1 if day0 else 0
    invited_on = np.zeros((n, days + 1))
    accepted_on = np.zeros((n, days + 1))
    last_active = -np.nan_to_num(np.array(start.days_since_active), nan=60.0)
    busy: dict[int, list[tuple[int, int]]] = {}
    pending: list[tuple[int, int, bool]] = []  # (day, person, came)
    total = np.zeros(n)
    examples: list[Example] = []
    acceptances = slots_filled = missions_filled = slots = came_total = 0
    for k, (mission, places) in enumerate(missions):
        assert day0 is not None
        day = (mission.start.date() - day0).days
        for _, person, came in [p for p in pending if p[0] < day]:
            counts["attended" if came else "no_shows"][person] += 1
        pending = [p for p in pending if p[0] >= day]
        recent_inv = base_recent_inv * (day < 7) + invited_on[:, max(0, day - 6) : day + 1].sum(
            axis=1
        )
        recent_missions = base_recent_missions * (day < 28) + accepted_on[
            :, max(0, day - 27) : day + 1
        ].sum(axis=1)
        mask = availability_mask(mission.slots)
        overlapping = [int(start.volunteer_ids[i]) for i, m in busy.get(day, []) if m & mask]
        pool = start.with_counts(
            **counts,
            recent_invitations=recent_inv,
            recent_missions=recent_missions,
            days_since_active=np.maximum(day - last_active, 0.0),
        ).with_mission_state(busy=overlapping)
        scores = ranker.score(mission, pool)
        accept = world.acceptance(mission, recent_inv, recent_missions)
        filled = 0
        budget = min(max_invitations, invitations_per_place * places)
        for row in order(scores, rng)[:budget]:
            if filled >= places:
                break
            i = int(row)
            total[i] += 1
            invited_on[i, day] += 1
            counts["invitations"][i] += 1
            components = dict(zip(FEATURES, scores.components[i].tolist(), strict=True))
            if coins[0, k, i] < accept[i]:
                filled += 1
                counts["invitations_answered"][i] += 1
                counts["invitations_accepted"][i] += 1
                accepted_on[i, day] += 1
                last_active[i] = day
                busy.setdefault(day, []).append((i, mask))
                came = bool(coins[1, k, i] < world.reliability[i])
                came_total += came
                pending.append((day, i, came))
                outcome = Outcome.CAME if came else Outcome.DID_NOT_COME
            elif coins[2, k, i] < world.responsiveness[i]:
                counts["invitations_answered"][i] += 1
                last_active[i] = day
                outcome = Outcome.DECLINED
            else:
                outcome = Outcome.NO_ANSWER
            examples.append(Example(components, outcome))
        acceptances += filled
        slots_filled += filled
        slots += places
        missions_filled += int(filled >= places)
    invitations = int(total.sum())
    return PolicyResult(
        policy=name,
        invitations=invitations,
        acceptances=acceptances,
        acceptance_rate=acceptances / invitations if invitations else 0.0,
        missions_filled=missions_filled,
        missions=len(missions),
        slots_filled=slots_filled,
        slots=slots,
        came=came_total,
        invitations_per_filled_slot=invitations / slots_filled if slots_filled else float("inf"),
        gini=gini(total),
        share_invited=float(np.mean(total > 0)),
        max_invitations=int(total.max()) if n else 0,
        examples=examples,
    )


def simulate(
    taxonomy: Taxonomy, config: SimConfig = SimConfig(), *, learned: bool = True
) -> tuple[list[PolicyResult], TrainingResult | None]:
    """Run every policy on the same month; train the learned model on a warm-up month first."""
    people = make_people(config.volunteers, taxonomy, config.seed)
    world = World(people, taxonomy)
    count = config.days * config.missions_per_day
    month = make_missions(count, taxonomy, config.seed + 1, days=config.days)
    kwargs: dict[str, Any] = {
        "invitations_per_place": config.invitations_per_place,
        "max_invitations": config.max_invitations,
        "seed": config.seed,
    }
    weighted = Ranker(taxonomy)
    results = [
        run_policy(world, month, "random", weighted, _random, **kwargs),
        run_policy(
            world,
            month,
            "skill only",
            Ranker(taxonomy, Weights.only(skill=1)),
            _skill_only,
            **kwargs,
        ),
        run_policy(
            world, month, "weighted, no fairness", Ranker(taxonomy, Weights(fairness=0)), **kwargs
        ),
        run_policy(world, month, "weighted", weighted, **kwargs),
    ]
    training = None
    if learned:
        warm_up = make_missions(count, taxonomy, config.seed + 2, days=config.days, first_id=10_000)
        log = run_policy(world, warm_up, "warm-up", weighted, **{**kwargs, "seed": config.seed + 3})
        training = train_acceptance_model(log.examples)
        model = training.model or training.candidate  # shown even when the gate refuses it
        if model is not None:
            two_stage = Ranker(taxonomy, model=model)
            name = f"learned (re-orders top {two_stage.rerank_depth})"
            results.append(run_policy(world, month, name, two_stage, **kwargs))
            whole = Ranker(taxonomy, model=model, rerank_depth=config.volunteers)
            results.append(run_policy(world, month, "learned, whole pool", whole, **kwargs))
    return results, training
