"""Speed and memory: ranking a 100,000-volunteer pool, normalising free-text skills.

- ranking: `Ranker.rank(mission, pool, limit=20)` (every volunteer scored, the top 20
  with reasons) on a synthetic pool, median and p95 over repeated runs on several
  missions; against the naive per-pair implementation of the same score
  (`benchmarks.naive`) timed in the same run on a subset and extrapolated linearly. Both
  sides exclude their one-off preparation (pool arrays / per-volunteer text vectors).
- agreement: on that subset both implementations give the same eligible people, the
  same order and the same scores (max absolute difference reported).
- memory: `tracemalloc` around building the pool (retained after the build, and peak).
- normalising: `SkillNormaliser.normalise` on 10,000 generated phrases (phrases/s).
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from itertools import pairwise
from typing import Any

import numpy as np

from benchmarks.naive import NaiveRanker
from benchmarks.synthetic import make_candidates, make_missions, make_phrases
from matching.pool import Pool
from matching.ranking import Ranker
from matching.skills import SkillNormaliser
from matching.taxonomy import Taxonomy

__all__ = ["orders_agree", "run_normaliser", "run_ranking"]


def orders_agree(order: list[int], scores: dict[int, float], tolerance: float = 1e-5) -> bool:
    """True when `scores` never increase along `order` (beyond float noise on near-ties)."""
    values = [scores[v] for v in order]
    return all(a >= b - tolerance for a, b in pairwise(values))


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def run_ranking(
    taxonomy: Taxonomy,
    volunteers: int = 100_000,
    *,
    subset: int = 2_000,
    missions: int = 8,
    repeats: int = 5,
    limit: int = 20,
    seed: int = 0,
) -> dict[str, Any]:
    """Time vectorised and naive ranking, check they agree, measure the pool's memory."""
    started = time.perf_counter()
    candidates = make_candidates(volunteers, taxonomy, seed)
    generated_s = time.perf_counter() - started

    started = time.perf_counter()
    pool = Pool.from_candidates(candidates, taxonomy)
    build_s = time.perf_counter() - started

    del pool
    gc.collect()
    tracemalloc.start()
    pool = Pool.from_candidates(candidates, taxonomy)
    gc.collect()
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    ranker = Ranker(taxonomy)
    tasks = [m for m, _ in make_missions(missions, taxonomy, seed + 1)]
    for mission in tasks:  # warm-up: skill suggestions, caches, page faults
        ranker.rank(mission, pool, limit=limit)
    rank_ms: list[float] = []
    score_ms: list[float] = []
    for _ in range(repeats):
        for mission in tasks:
            t0 = time.perf_counter()
            ranker.rank(mission, pool, limit=limit)
            rank_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            ranker.score(mission, pool)
            score_ms.append((time.perf_counter() - t0) * 1000)

    sample = candidates[:subset]
    naive = NaiveRanker(ranker, pool.text_model)
    profiles = [naive.vector(c.profile_text) for c in sample]
    small = Pool.from_candidates(sample, taxonomy, text_model=pool.text_model)
    naive_ms: list[float] = []
    max_diff = 0.0
    same_order = True
    for mission in tasks:
        t0 = time.perf_counter()
        expected = naive.rank(mission, sample, profiles)
        naive_ms.append((time.perf_counter() - t0) * 1000 * volunteers / subset)
        scores = ranker.score(mission, small)
        got = [int(small.volunteer_ids[r]) for r in scores.order()]
        by_id = dict(expected)
        same_order &= set(got) == set(by_id) and orders_agree(got, by_id)
        for row in scores.order():
            diff = abs(float(scores.score[row]) - by_id.get(int(small.volunteer_ids[row]), np.inf))
            max_diff = max(max_diff, diff)

    median = statistics.median(rank_ms)
    naive_median = statistics.median(naive_ms)
    return {
        "volunteers": volunteers,
        "missions": len(tasks),
        "runs": len(rank_ms),
        "limit": limit,
        "generate_s": round(generated_s, 2),
        "pool_build_s": round(build_s, 2),
        "rank_ms_median": round(median, 2),
        "rank_ms_p95": round(_percentile(rank_ms, 95), 2),
        "score_only_ms_median": round(statistics.median(score_ms), 2),
        "naive_subset": subset,
        "naive_ms_extrapolated_median": round(naive_median, 1),
        "speedup": round(naive_median / median, 1),
        "naive_agrees": same_order and max_diff < 1e-5,
        "naive_max_abs_diff": float(f"{max_diff:.2e}"),
        "pool_retained_mb": round(retained / 1e6, 1),
        "pool_build_peak_mb": round(peak / 1e6, 1),
        "pool_arrays_mb": round(pool.nbytes / 1e6, 1),
        "text_ngrams": len(pool.text_model),
        "text_nonzeros": int(pool.text.nnz),
    }


def run_normaliser(taxonomy: Taxonomy, phrases: int = 10_000, seed: int = 0) -> dict[str, Any]:
    """Phrases per second through a fresh `SkillNormaliser` (its caches start cold)."""
    texts = make_phrases(phrases, taxonomy, seed)
    t0 = time.perf_counter()
    normaliser = SkillNormaliser(taxonomy)
    init_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    results = [normaliser.normalise(text) for text in texts]
    elapsed = time.perf_counter() - t0
    return {
        "phrases": phrases,
        "init_s": round(init_s, 3),
        "seconds": round(elapsed, 2),
        "phrases_per_s": round(phrases / elapsed),
        "share_with_a_skill": round(sum(bool(r.matches) for r in results) / phrases, 3),
    }
