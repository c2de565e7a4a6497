"""Learning from outcomes: beat the weighted score when possible, fall back otherwise, load safely."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from matching import (
    FEATURES,
    AcceptanceModel,
    Candidate,
    Example,
    MissionRequest,
    ModelFormatError,
    Outcome,
    Pool,
    Ranker,
    train_acceptance_model,
)
from matching.learning import POSITIVE_OUTCOMES, _checksum, roc_auc
from matching.taxonomy import Taxonomy, load_taxonomy

PARIS = ZoneInfo("Europe/Paris")


@cache
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def outcomes(n: int, seed: int, learnable: bool) -> list[Example]:
    """Invitations whose answers depend on distance and availability (not what the default
    weights stress most), or on nothing at all."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, len(FEATURES)))
    if learnable:
        col = FEATURES.index
        logit = (
            -3.0
            + 5.0 * x[:, col("distance")]
            + 2.5 * x[:, col("availability")]
            - 1.0 * x[:, col("skill")]
        )
    else:
        logit = np.full(n, -1.0)
    yes = rng.random(n) < 1 / (1 + np.exp(-logit))
    came = rng.random(n) < 0.9
    declined = rng.random(n) < 0.6
    result = []
    for row, y, c, d in zip(x, yes, came, declined, strict=True):
        outcome = (
            (Outcome.CAME if c else Outcome.DID_NOT_COME)
            if y
            else Outcome.DECLINED
            if d
            else Outcome.NO_ANSWER
        )
        result.append(Example(dict(zip(FEATURES, row.tolist(), strict=True)), outcome))
    return result


@cache
def trained() -> AcceptanceModel:
    result = train_acceptance_model(outcomes(3000, seed=1, learnable=True))
    assert result.model is not None
    return result.model


def test_a_learnable_preference_gives_a_model_that_beats_the_weighted_score() -> None:
    result = train_acceptance_model(outcomes(3000, seed=1, learnable=True))
    ev = result.evaluation
    assert ev.use_learned and ev.reason == "better" and result.model is not None
    assert ev.learned_auc is not None and ev.weighted_auc is not None
    assert ev.learned_auc > ev.weighted_auc + 0.05
    assert ev.learned_log_loss is not None and ev.weighted_log_loss is not None
    assert ev.learned_log_loss < ev.weighted_log_loss
    assert (ev.train, ev.test) == (2250, 750)
    coef = dict(zip(FEATURES, result.model.coef, strict=True))
    assert coef["distance"] > coef["availability"] > 0 > coef["skill"]


def test_scarce_noisy_or_one_sided_data_falls_back_to_the_weighted_score() -> None:
    scarce = train_acceptance_model(outcomes(120, seed=2, learnable=True))
    assert scarce.model is None and scarce.evaluation.reason == "too_few_examples"
    noisy = train_acceptance_model(outcomes(3000, seed=3, learnable=False))
    assert noisy.model is None and noisy.evaluation.reason == "not_better"
    assert noisy.candidate is not None  # trained, measured, and not used
    nobody = [
        Example(ex.components, Outcome.DECLINED) for ex in outcomes(500, seed=4, learnable=True)
    ]
    assert train_acceptance_model(nobody).evaluation.reason == "one_class"


def test_outcomes_count_a_no_show_as_a_no() -> None:
    assert {Outcome.ACCEPTED, Outcome.CAME} == POSITIVE_OUTCOMES
    with pytest.raises(ValueError, match="missing component 'text'"):
        train_acceptance_model([Example({"skill": 1.0}, Outcome.CAME)] * 300)


def test_roc_auc_ranks_ties_as_half() -> None:
    assert roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))[0] == pytest.approx(
        0.75
    )
    assert roc_auc(np.array([1.0, 1.0]), np.array([0, 1]))[0] == pytest.approx(0.5)
    assert np.isnan(roc_auc(np.array([0.2, 0.3]), np.array([1, 1]))[0])


def test_json_round_trip_gives_identical_predictions() -> None:
    model = trained()
    x = np.random.default_rng(5).random((500, len(FEATURES)))
    text = model.to_json()
    again = AcceptanceModel.from_json(text)
    assert np.array_equal(model.predict_proba(x), again.predict_proba(x))
    assert again.to_json() == text
    assert json.loads(text)["features"] == list(FEATURES)
    key = b"per-deployment secret"
    signed = AcceptanceModel.from_json(model.to_json(key=key), key=key)
    assert np.array_equal(model.predict_proba(x), signed.predict_proba(x))


def _altered(field: str, value: object) -> str:
    data = json.loads(trained().to_json())
    data[field] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"format": "mainforte.acceptance_model"}', "missing"),
        (_altered("coef", [9.0] * 8), "altered or corrupted"),
        (_altered("intercept", float("nan")), "NaN is not allowed"),
        (_altered("version", 2), "version 2"),
        (_altered("version", True), "version True"),
        (_altered("kind", "pickle"), "logistic regression"),
        (_altered("extra", 1), "unexpected ['extra']"),
        ("{" + " " * 200_000 + "}", "too large"),
    ],
)
def test_a_tampered_or_malformed_model_is_refused_with_a_clear_error(
    text: str, message: str
) -> None:
    with pytest.raises(ModelFormatError, match=message.replace("[", r"\[").replace("]", r"\]")):
        AcceptanceModel.from_json(text)


def test_checksummed_fields_are_still_validated() -> None:
    payload = json.loads(trained().to_json())
    payload.pop("checksum")
    payload["features"] = list(reversed(FEATURES))
    payload["checksum"] = _checksum(payload, None)  # a consistent file from another version
    with pytest.raises(ModelFormatError, match="differ from this version"):
        AcceptanceModel.from_json(json.dumps(payload))


def test_signatures_must_match_the_key() -> None:
    signed = trained().to_json(key=b"right")
    with pytest.raises(ModelFormatError, match="altered"):
        AcceptanceModel.from_json(signed, key=b"wrong")
    with pytest.raises(ModelFormatError, match="a key is needed"):
        AcceptanceModel.from_json(signed)
    with pytest.raises(ModelFormatError, match="not signed"):
        AcceptanceModel.from_json(trained().to_json(), key=b"right")


def test_the_ranker_uses_a_model_to_reorder_the_weighted_top() -> None:
    start = datetime(2026, 6, 6, 9, tzinfo=PARIS)
    garden = MissionRequest(
        1,
        "Jardin",
        "",
        frozenset({"gardening"}),
        frozenset(),
        start,
        start + timedelta(hours=3),
        (48.85, 2.35),
    )
    near = Candidate(1, frozenset(), "", frozenset(), (48.85, 2.35))
    skilled = Candidate(2, frozenset({"gardening"}), "jardinage", frozenset(), (49.30, 2.35))
    far_and_unskilled = Candidate(3, frozenset(), "", frozenset(), (49.5, 2.35))
    pool = Pool.from_candidates([near, skilled, far_and_unskilled], load_taxonomy())
    assert [r.volunteer_id for r in Ranker(taxonomy()).rank(garden, pool)] == [2, 1, 3]
    loves_distance = AcceptanceModel(
        [0, 0, 0, 4.0, 0, 0, 0, 0], 0.0, [0.5] * 8, [0.25] * 8
    )  # only distance matters
    learned = Ranker(taxonomy(), model=loves_distance)
    assert [r.volunteer_id for r in learned.rank(garden, pool)] == [1, 2, 3]
    shallow = Ranker(taxonomy(), model=loves_distance, rerank_depth=1)
    assert [r.volunteer_id for r in shallow.rank(garden, pool)] == [2, 1, 3]  # top 1 only
    assert all(0 <= r.score <= 1 for r in learned.rank(garden, pool))
