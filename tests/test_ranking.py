"""Ranking volunteers for a mission: skills, time, place, filters, reasons, and the naive twin."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.naive import NaiveRanker
from benchmarks.synthetic import make_candidates, make_missions, offset
from matching import (
    EXCLUSIONS,
    FEATURES,
    REASON_KINDS,
    Candidate,
    MissionRequest,
    Pool,
    Ranker,
    Reason,
    TextModel,
    Weights,
    mission_slots,
    summarise,
)
from matching.features import DOMAIN_CREDIT, haversine_km
from matching.taxonomy import Taxonomy, load_taxonomy

PARIS = ZoneInfo("Europe/Paris")
SATURDAY_9H = datetime(2026, 6, 6, 9, 0, tzinfo=PARIS)  # a Saturday
HOME = (48.8566, 2.3522)


@cache
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@cache
def shared_text_model() -> TextModel:
    """Fitted once: building a pool per hypothesis example must stay cheap."""
    return TextModel.fit(["jardinage, cuisine, permis B"], taxonomy())


def volunteer(volunteer_id: int, *skills: str, **fields: Any) -> Candidate:
    defaults: dict[str, Any] = {
        "profile_text": " ".join(skills),
        "availability": frozenset(),
        "location": None,
    }
    return Candidate(volunteer_id, frozenset(skills), **{**defaults, **fields})


def mission(
    required: Iterable[str] = (),
    nice: Iterable[str] = (),
    *,
    title: str = "Mission",
    start: datetime = SATURDAY_9H,
    hours: float = 3,
    **fields: Any,
) -> MissionRequest:
    return MissionRequest(
        mission_id=fields.pop("mission_id", 1),
        title=title,
        description=fields.pop("description", ""),
        required_skills=frozenset(required),
        nice_skills=frozenset(nice),
        start=start,
        end=start + timedelta(hours=hours),
        **fields,
    )


def pool_of(*candidates: Candidate) -> Pool:
    return Pool.from_candidates(candidates, taxonomy(), text_model=shared_text_model())


def ranked_ids(ranker: Ranker, m: MissionRequest, pool: Pool) -> list[int]:
    return [r.volunteer_id for r in ranker.rank(m, pool)]


@pytest.fixture(scope="module")
def ranker() -> Ranker:
    return Ranker(taxonomy())


# -- skills ------------------------------------------------------------------------------------


def test_gardener_ranks_above_cook_for_a_gardening_mission(ranker: Ranker) -> None:
    pool = pool_of(
        volunteer(1, "cooking", profile_text="cuisine, pâtisserie"),
        volunteer(2, "gardening", profile_text="jardinnage, potager"),
    )
    garden = mission(["gardening"], title="Jardin partagé", description="Désherbage et semis")
    first, second = ranker.rank(garden, pool)
    assert (first.volunteer_id, second.volunteer_id) == (2, 1)
    assert first.components["skill"] == 1.0 and second.components["skill"] == 0.0
    assert first.components["text"] > second.components["text"]


def test_required_skills_weigh_more_than_nice_to_have(ranker: Ranker) -> None:
    pool = pool_of(volunteer(1, "photography"), volunteer(2, "driving_b"))
    m = mission(required=["driving_b"], nice=["photography"])
    assert ranked_ids(ranker, m, pool) == [2, 1]
    by_id = {r.volunteer_id: r for r in ranker.rank(m, pool)}
    assert by_id[2].components["skill"] == pytest.approx(0.75)
    assert by_id[1].components["skill"] == pytest.approx(0.25)


def test_a_skill_of_the_same_domain_earns_partial_credit(ranker: Ranker) -> None:
    sibling = next(
        s.id
        for s in taxonomy().skills_in(taxonomy().skills["gardening"].domain)
        if s.id != "gardening"
    )
    pool = pool_of(volunteer(1, "accounting"), volunteer(2, sibling))
    first, second = ranker.rank(mission(["gardening"]), pool)
    assert first.volunteer_id == 2
    assert first.components["skill"] == pytest.approx(DOMAIN_CREDIT)
    assert second.components["skill"] == 0.0
    assert first.reasons[0].kind == "related"


def test_a_mission_without_skills_gets_them_suggested_from_its_text(ranker: Ranker) -> None:
    pool = pool_of(volunteer(1, "accounting"), volunteer(2, "gardening"))
    m = mission(title="Jardinage au jardin partagé", description="Désherbage du potager")
    assert "gardening" in ranker.context(m).nice and ranker.context(m).suggested
    assert ranked_ids(ranker, m, pool)[0] == 2
    assert Ranker(taxonomy(), suggest_skills=False).context(m).nice == ()


# -- time and place ----------------------------------------------------------------------------


def test_mission_slots_follow_parts_of_the_day_in_the_organisation_time_zone() -> None:
    assert mission_slots(SATURDAY_9H, SATURDAY_9H + timedelta(hours=2)) == ((5, "morning"),)
    assert mission_slots(SATURDAY_9H.replace(hour=10), SATURDAY_9H.replace(hour=14)) == (
        (5, "morning"),
        (5, "afternoon"),
    )
    assert mission_slots(SATURDAY_9H.replace(hour=17), SATURDAY_9H.replace(hour=19)) == (
        (5, "afternoon"),
        (5, "evening"),
    )
    late = SATURDAY_9H.replace(hour=22)
    assert mission_slots(late, late + timedelta(hours=3)) == ((5, "evening"), (6, "morning"))
    # given in UTC, the end is read in the start's zone: 12:00 Paris is 10:00 UTC in June
    end_utc = SATURDAY_9H.replace(hour=12).astimezone(ZoneInfo("UTC"))
    assert mission_slots(SATURDAY_9H, end_utc) == ((5, "morning"),)
    assert len(mission_slots(SATURDAY_9H, SATURDAY_9H + timedelta(days=10))) == 21
    # the night clocks go back (25 October 2026): still one evening and one morning
    autumn = datetime(2026, 10, 24, 23, 0, tzinfo=PARIS)
    assert mission_slots(autumn, autumn + timedelta(hours=4)) == ((5, "evening"), (6, "morning"))


def test_missions_need_aware_ordered_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        mission(start=datetime(2026, 6, 6, 9))
    with pytest.raises(ValueError, match="after start"):
        mission(hours=0)


def test_available_volunteers_rank_first_and_strict_missions_filter_the_others(
    ranker: Ranker,
) -> None:
    pool = pool_of(
        volunteer(1, "gardening", availability=frozenset({(0, "evening")})),
        volunteer(2, "gardening", availability=frozenset({(5, "morning")})),
        volunteer(3, "gardening"),  # grid unknown
    )
    loose = mission(["gardening"])
    assert ranked_ids(ranker, loose, pool) == [2, 3, 1]
    strict = dataclasses.replace(loose, strict_availability=True)
    assert ranked_ids(ranker, strict, pool) == [2, 3]  # unknown is not "unavailable"
    [out] = ranker.explain_exclusions(strict, pool)
    assert (out.volunteer_id, out.excluded) == (1, "unavailable")


def test_nearer_volunteers_rank_first_and_unknown_places_are_neutral(ranker: Ranker) -> None:
    pool = pool_of(
        volunteer(1, "gardening", location=offset(HOME, 20, 0)),
        volunteer(2, "gardening", location=offset(HOME, 2, 0)),
        volunteer(3, "gardening"),
    )
    m = mission(["gardening"], location=HOME)
    ranked = ranker.rank(m, pool)
    assert [r.volunteer_id for r in ranked] == [2, 3, 1]
    assert ranked[0].components["distance"] == pytest.approx(1 / 1.2, abs=1e-3)
    assert ranked[1].components["distance"] == 0.5
    assert float(haversine_km(*HOME, *offset(HOME, 2, 0))) == pytest.approx(2.0, abs=0.01)


# -- hard filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "mission_fields", "reason"),
    [
        ({"is_member": False}, {}, "not_member"),
        ({"paused": True}, {}, "paused"),
        ({"signed_up": True}, {}, "signed_up"),
        ({"declined": True}, {}, "declined"),
        ({"busy": True}, {}, "busy"),
        ({"recent_invitations": 2, "weekly_cap": 2}, {}, "over_cap"),
        ({"recent_invitations": 3}, {"org_weekly_cap": 3}, "over_cap"),
        ({"location": offset(HOME, 30, 0), "max_distance_km": 10.0}, {"location": HOME}, "too_far"),
        (
            {"availability": frozenset({(0, "morning")})},
            {"strict_availability": True},
            "unavailable",
        ),
    ],
)
def test_each_hard_filter_excludes_with_its_reason(
    ranker: Ranker, fields: dict[str, Any], mission_fields: dict[str, Any], reason: str
) -> None:
    pool = pool_of(volunteer(1, "gardening", **fields), volunteer(2, "cooking"))
    m = mission(["gardening"], **mission_fields)
    assert ranked_ids(ranker, m, pool) == [2]
    [out] = ranker.explain_exclusions(m, pool)
    assert (out.volunteer_id, out.excluded) == (1, reason)
    assert out.components["skill"] == 1.0  # still scored, so a coordinator sees who it was


def test_caps_below_the_count_do_not_filter(ranker: Ranker) -> None:
    pool = pool_of(volunteer(1, "gardening", recent_invitations=1, weekly_cap=2))
    assert ranked_ids(ranker, mission(["gardening"], org_weekly_cap=3), pool) == [1]


def test_the_first_failing_filter_is_the_one_reported(ranker: Ranker) -> None:
    pool = pool_of(volunteer(1, is_member=False, paused=True, declined=True))
    [out] = ranker.explain_exclusions(mission(), pool)
    assert out.excluded == "not_member"
    assert set(EXCLUSIONS) >= {"not_member", "over_cap", "too_far", "unavailable"}


def test_mission_state_and_counts_update_without_rebuilding(ranker: Ranker) -> None:
    pool = pool_of(volunteer(1, "gardening"), volunteer(2, "gardening"))
    declined = pool.with_mission_state(declined=[1])
    assert ranked_ids(ranker, mission(["gardening"]), declined) == [2]
    assert ranked_ids(ranker, mission(["gardening"]), pool) == [1, 2]
    tired = pool.with_counts(recent_invitations=[0, 3])
    assert tired.text is pool.text and list(pool.recent_invitations) == [0, 0]
    with pytest.raises(ValueError, match="expected 2 values"):
        pool.with_counts(attended=[1])
    with pytest.raises(ValueError, match="unknown counters"):
        pool.with_counts(karma=[1, 2])


def test_bad_pools_are_refused_with_the_volunteer_named() -> None:
    with pytest.raises(ValueError, match="volunteer 7 appears twice"):
        pool_of(volunteer(7), volunteer(7))
    with pytest.raises(ValueError, match="volunteer 3: bad availability slot"):
        pool_of(volunteer(3, availability=frozenset({(7, "morning")})))
    with pytest.raises(ValueError, match="volunteer 4: no_shows must be >= 0"):
        pool_of(volunteer(4, no_shows=-1))


# -- reasons -----------------------------------------------------------------------------------


def test_reasons_say_what_when_where_and_track_record(ranker: Ranker) -> None:
    gardener = volunteer(
        1,
        "gardening",
        availability=frozenset({(5, "morning")}),
        location=offset(HOME, 2, 0),
        attended=5,
    )
    [ranked] = ranker.rank(mission(["gardening"], location=HOME), pool_of(gardener))
    kinds = [r.kind for r in ranked.reasons]
    assert kinds == ["skill", "available", "distance_km", "attended"]
    values = {r.kind: r.value for r in ranked.reasons}
    assert values == {
        "skill": "gardening",
        "available": "5:morning",
        "distance_km": 2.0,
        "attended": 5,
    }
    line = summarise(ranked.reasons, taxonomy(), "en")
    assert line == "gardening · free Saturday morning · 2.0 km · came 5 times"
    assert "libre samedi matin" in summarise(ranked.reasons, taxonomy())


def test_a_newcomer_is_marked_new_and_reasons_stay_few(ranker: Ranker) -> None:
    [ranked] = ranker.rank(mission(["gardening"]), pool_of(volunteer(1, "gardening")))
    assert [r.kind for r in ranked.reasons] == ["skill", "new"]
    pool = Pool.from_candidates(make_candidates(200, taxonomy(), seed=3), taxonomy())
    for m, _ in make_missions(5, taxonomy(), seed=4):
        for r in ranker.rank(m, pool, limit=10):
            assert 1 <= len(r.reasons) <= 4
            assert all(reason.kind in REASON_KINDS for reason in r.reasons)


# -- vectorised = naive, edge cases, properties --------------------------------------------------


def _randomise(candidates: list[Candidate], seed: int) -> list[Candidate]:
    rng = np.random.default_rng(seed)
    out = []
    for c in candidates:
        u = rng.random(6)
        out.append(
            dataclasses.replace(
                c,
                signed_up=bool(u[0] < 0.05),
                declined=bool(u[1] < 0.05),
                busy=bool(u[2] < 0.05),
                max_distance_km=float(5 + 30 * u[3]) if u[4] < 0.2 else None,
            )
        )
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorised_and_naive_implementations_agree_on_random_pools(seed: int) -> None:
    candidates = _randomise(make_candidates(300, taxonomy(), seed=seed), seed)
    pool = Pool.from_candidates(candidates, taxonomy())
    ranker = Ranker(taxonomy())
    naive = NaiveRanker(ranker, pool.text_model)
    profiles = [naive.vector(c.profile_text) for c in candidates]
    for m, _ in make_missions(6, taxonomy(), seed=seed + 10):
        scores = ranker.score(m, pool)
        prepared = naive.prepare(m)
        for row, c in enumerate(candidates):
            expected = naive.components(prepared, c, profiles[row])
            np.testing.assert_allclose(scores.components[row], expected, atol=1e-5)
            assert scores.exclusion(row) == naive.excluded(prepared, c)
        expected_rank = naive.rank(m, candidates, profiles)
        got = ranker.rank(m, pool)
        assert {r.volunteer_id for r in got} == {v for v, _ in expected_rank}
        by_id = dict(expected_rank)
        np.testing.assert_allclose(
            [r.score for r in got], [by_id[r.volunteer_id] for r in got], atol=1e-5
        )


def test_empty_pool_single_volunteer_and_unknown_everything(ranker: Ranker) -> None:
    m = mission(["gardening"], location=HOME, strict_availability=True, org_weekly_cap=2)
    empty = pool_of()
    assert ranker.rank(m, empty) == [] and ranker.explain_exclusions(m, empty) == []
    assert ranker.score(m, empty).components.shape == (0, len(FEATURES))
    [only] = ranker.rank(m, pool_of(volunteer(1, profile_text="")))
    assert 0.0 <= only.score <= 1.0
    unknown = pool_of(*(volunteer(i) for i in range(1, 6)))
    scores = [r.score for r in ranker.rank(mission(), unknown)]
    assert len(scores) == 5 and len(set(scores)) == 1  # all alike: ties, ordered by id
    assert ranked_ids(ranker, mission(), unknown) == [1, 2, 3, 4, 5]


def test_limit_keeps_the_best_in_the_same_order(ranker: Ranker) -> None:
    pool = Pool.from_candidates(make_candidates(500, taxonomy(), seed=5), taxonomy())
    m = make_missions(1, taxonomy(), seed=6)[0][0]
    everyone = ranked_ids(ranker, m, pool)
    assert ranked_ids(ranker, m, pool)[:10] == [r.volunteer_id for r in ranker.rank(m, pool, 10)]
    assert len(everyone) == int(ranker.score(m, pool).eligible.sum())
    assert ranker.rank(m, pool, limit=0) == []


def test_both_directions_give_the_same_scores(ranker: Ranker) -> None:
    candidates = make_candidates(40, taxonomy(), seed=8)
    missions = [m for m, _ in make_missions(12, taxonomy(), seed=9)]
    pool = Pool.from_candidates(candidates, taxonomy())
    prepared = ranker.prepare_missions(missions, text_model=pool.text_model)
    for row, person in enumerate(candidates[:8]):
        got = {r.mission_id: r.score for r in ranker.rank_missions(person, prepared)}
        for m in missions:
            if m.mission_id in got:
                assert got[m.mission_id] == pytest.approx(
                    float(ranker.score(m, pool).score[row]), abs=1e-5
                )


def test_missions_for_a_volunteer_skip_the_ones_they_declined(ranker: Ranker) -> None:
    gardener = volunteer(1, "gardening", location=HOME, max_distance_km=15.0)
    missions = [
        mission(["gardening"], mission_id=10, location=HOME),
        mission(["cooking"], mission_id=11, location=HOME),
        mission(["gardening"], mission_id=12, location=offset(HOME, 40, 0)),
        mission(["gardening"], mission_id=13, location=offset(HOME, 3, 0)),
    ]
    ranked = ranker.rank_missions(gardener, missions, declined=[13])
    assert [r.mission_id for r in ranked] == [10, 11]
    assert ranked[0].reasons[0].kind == "skill"
    assert ranker.rank_missions(gardener, []) == []


_grid = st.frozensets(
    st.tuples(st.integers(0, 6), st.sampled_from(["morning", "afternoon", "evening"]))
)
_place = st.none() | st.tuples(st.floats(-89.9, 89.9), st.floats(-179.9, 179.9))
_count = st.integers(0, 50)


@st.composite
def _candidates(draw: st.DrawFn) -> list[Candidate]:
    ids = draw(st.lists(st.integers(1, 10_000), min_size=0, max_size=8, unique=True))
    skills = st.frozensets(
        st.sampled_from(["gardening", "cooking", "driving_b", "nope"]), max_size=3
    )
    return [
        Candidate(
            volunteer_id=i,
            skills=draw(skills),
            profile_text=draw(st.text(max_size=40)),
            availability=draw(_grid),
            location=draw(_place),
            attended=draw(_count),
            no_shows=draw(_count),
            invitations=draw(_count),
            invitations_answered=draw(_count),
            invitations_accepted=draw(_count),
            recent_invitations=draw(_count),
            recent_missions=draw(_count),
            weekly_cap=draw(st.none() | st.integers(0, 5)),
            days_since_active=draw(st.none() | st.floats(0, 10_000)),
            max_distance_km=draw(st.none() | st.floats(0, 500)),
        )
        for i in ids
    ]


@cache
def plain_ranker() -> Ranker:
    return Ranker(taxonomy(), suggest_skills=False)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    candidates=_candidates(),
    place=_place,
    hours=st.floats(0.25, 300),
    cap=st.none() | st.integers(0, 5),
    strict=st.booleans(),
)
def test_scores_and_components_are_finite_and_in_0_1(
    candidates: list[Candidate],
    place: tuple[float, float] | None,
    hours: float,
    cap: int | None,
    strict: bool,
) -> None:
    ranker = plain_ranker()
    m = mission(
        ["gardening"],
        ["cooking"],
        hours=hours,
        location=place,
        org_weekly_cap=cap,
        strict_availability=strict,
    )
    pool = pool_of(*candidates)
    scores = ranker.score(m, pool)
    assert np.all(np.isfinite(scores.components)) and np.all(np.isfinite(scores.score))
    assert np.all((scores.components >= 0) & (scores.components <= 1))
    assert np.all((scores.score >= 0) & (scores.score <= 1 + 1e-12))
    for ranked in ranker.rank(m, pool):
        assert not math.isnan(ranked.score) and ranked.excluded is None


def test_weights_are_checked_and_normalised() -> None:
    assert Weights().vector().sum() == pytest.approx(1.0)
    assert Weights.only(skill=2).vector()[0] == 1.0
    with pytest.raises(ValueError):
        Weights(skill=-1)
    with pytest.raises(ValueError):
        Weights.only()
    with pytest.raises(ValueError, match="unknown components"):
        Weights.only(charm=1)


def test_engagement_breaks_a_tie_with_its_reason_but_not_a_real_gap(ranker: Ranker) -> None:
    from bot.i18n import Catalogs
    from matching.ranking import LOYALTY_BONUS, Loyalty

    twins = pool_of(
        volunteer(1, "gardening", attended=6, invitations=6, invitations_answered=6),
        volunteer(2, "gardening", attended=6, invitations=6, invitations_answered=6),
    )
    garden = mission(["gardening"])
    assert ranked_ids(ranker, garden, twins) == [1, 2], "a plain tie goes by id"
    loyal = {2: Loyalty(0.9, 6), 1: Loyalty(0.3, 1)}
    first, second = ranker.rank(garden, twins, loyalty=loyal)
    assert (first.volunteer_id, second.volunteer_id) == (2, 1)
    assert first.score == second.score, "the shown score is unchanged"
    assert Reason("loyal", 6) in first.reasons
    assert all(r.kind != "loyal" for r in second.reasons), "one mission is not loyalty"
    assert "fidèle : 6 missions en 3 mois" in summarise(first.reasons, taxonomy())
    rendered = Catalogs.load().t("fr", "reason.loyal", value=6)
    assert rendered == "fidèle : 6 missions ces 3 derniers mois"

    # Someone asked twice this week gets less of the bonus; a real gap is never overturned.
    tired = pool_of(
        volunteer(1, "gardening"),
        volunteer(2, "gardening", recent_invitations=2),
        volunteer(3, "cooking"),
    )
    ranked = ranker.rank(garden, tired, loyalty={2: Loyalty(1.0, 8), 3: Loyalty(1.0, 8)})
    assert [r.volunteer_id for r in ranked] == [1, 2, 3]
    assert ranked[0].score - ranked[1].score > LOYALTY_BONUS
