"""Missions for a volunteer, on real French data: 51 persona profiles x 215 real missions.

Reads ../shared/data/api-engagement-eval.json (skipped when absent). Labels exist only for
the 5 missions the French State's engine showed each persona (noisy LLM judges), so the
top-5 share counts our unjudged picks as irrelevant: a lower bound. Run with -s to see
the numbers.
"""

from __future__ import annotations

import pytest

from benchmarks.persona import EVAL_FILE, SHARED_DATA, evaluate_personas
from matching import Ranker, load_taxonomy

pytestmark = pytest.mark.skipif(
    not (SHARED_DATA / EVAL_FILE).is_file(), reason=f"{SHARED_DATA / EVAL_FILE} not present"
)


def test_ranking_missions_for_personas_orders_judged_missions_and_fills_the_top_5() -> None:
    taxonomy = load_taxonomy()
    ranker = Ranker(taxonomy)  # shared: mission skill suggestions are computed once
    reports = evaluate_personas(taxonomy, ranker, radii=(None, 50.0))
    assert reports is not None
    anywhere, nearby = reports[None], reports[50.0]
    for label, report in (("any distance", anywhere), ("within 50 km", nearby)):
        print(f"\npersona eval, {label}: {report.as_dict()}")
    assert (anywhere.profiles, anywhere.missions, anywhere.pairs) == (51, 215, 237)
    # judged-relevant above judged-irrelevant, within each persona's judged missions
    assert anywhere.pairwise_accuracy >= 0.5
    assert anywhere.pairwise_accuracy > anywhere.engine_pairwise_accuracy
    # the share of our top 5 judged relevant, unjudged counting 0; the engine scored 0.65-0.74
    assert anywhere.top5_share >= 0.55
    assert nearby.top5_share >= 0.65
    assert nearby.top5_judged_coverage >= 0.85
    assert nearby.top5_share_among_judged >= 0.7
    assert anywhere.top5_share > 10 * anywhere.random_top5_share
