"""Fairness: people asked recently step back, and over a month invitations spread out."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from benchmarks.simulation import World, run_policy
from benchmarks.synthetic import make_missions, make_people
from matching import Candidate, MissionRequest, Pool, Ranker, Weights, gini, spread_report
from matching.fairness import fairness_score, with_fairness
from matching.learning import AcceptanceModel
from matching.taxonomy import Taxonomy, load_taxonomy

PARIS = ZoneInfo("Europe/Paris")


@cache
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def gardener(volunteer_id: int, recent_invitations: int = 0) -> Candidate:
    return Candidate(
        volunteer_id,
        frozenset({"gardening"}),
        "jardinage",
        frozenset(),
        None,
        recent_invitations=recent_invitations,
    )


def garden_mission() -> MissionRequest:
    start = datetime(2026, 6, 6, 9, tzinfo=PARIS)
    return MissionRequest(
        1, "Jardin", "", frozenset({"gardening"}), frozenset(), start, start + timedelta(hours=3)
    )


def test_gini_of_invitation_counts() -> None:
    assert gini([3, 3, 3, 3]) == 0.0
    assert gini([0, 0, 0, 8]) == pytest.approx(0.75)  # (n - 1) / n: one person asked every time
    assert gini([]) == 0.0 and gini([0, 0]) == 0.0
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        gini([1, -1])
    assert spread_report([0, 2, 2, 0]) == {
        "gini": 0.5,
        "share_invited": 0.5,
        "max_invitations": 2.0,
    }


def test_fairness_score_halves_with_recent_invitations() -> None:
    scores = fairness_score([0, 1.5, 3, 30])
    assert scores[0] == 1.0 and scores[1] == pytest.approx(0.5) and scores[2] == pytest.approx(0.25)
    assert 0 < scores[3] < 1e-5
    assert with_fairness([0.8], [0.5], 0.1)[0] == pytest.approx(0.77)


def test_a_recently_invited_volunteer_drops_below_an_equal_one() -> None:
    pool = Pool.from_candidates([gardener(1, recent_invitations=2), gardener(2)], taxonomy())
    ranked = Ranker(taxonomy()).rank(garden_mission(), pool)
    assert [r.volunteer_id for r in ranked] == [2, 1]
    assert ranked[0].components["fairness"] == 1.0 > ranked[1].components["fairness"]
    assert any(r.kind == "new" for r in ranked[0].reasons)
    # without the penalty (and without load, which also counts recent invitations) they tie
    neutral = Ranker(taxonomy(), Weights(fairness=0, load=0)).rank(garden_mission(), pool)
    assert neutral[0].score == neutral[1].score


def test_the_penalty_also_applies_with_a_learned_model() -> None:
    flat = AcceptanceModel([0.0] * 8, 0.0, [0.0] * 8, [1.0] * 8)  # P = 0.5 for everyone
    pool = Pool.from_candidates([gardener(1, recent_invitations=3), gardener(2)], taxonomy())
    ranked = Ranker(taxonomy(), model=flat).rank(garden_mission(), pool)
    assert [r.volunteer_id for r in ranked] == [2, 1]
    assert ranked[0].score == pytest.approx(0.9 * 0.5 + 0.1 * 1.0)


def test_over_a_simulated_month_the_penalty_spreads_invitations() -> None:
    """400 volunteers, 4 weeks, 4 missions a day: same missions and coin flips for both."""
    world = World(make_people(400, taxonomy(), seed=11), taxonomy())
    month = make_missions(112, taxonomy(), seed=12, days=28)
    without = run_policy(world, month, "no penalty", Ranker(taxonomy(), Weights(fairness=0)))
    with_penalty = run_policy(world, month, "penalty", Ranker(taxonomy(), Weights(fairness=0.2)))
    assert with_penalty.gini < without.gini - 0.02
    assert with_penalty.share_invited > without.share_invited
    assert with_penalty.max_invitations <= without.max_invitations
    # spreading does not cost missions: the tired say no more often
    assert with_penalty.slots_filled >= without.slots_filled - 3
    counts = np.array([without.gini, with_penalty.gini])
    print(f"\nGini without / with the penalty: {counts.round(3)}")
