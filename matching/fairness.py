"""Spreading invitations over the pool: the solicitation penalty and how to measure spread.

Practice on volunteering platforms: a penalty after each recent solicitation raises the
share of opportunities that find someone without losing total connections. The `fairness`
component is that penalty, as a score: 1 for someone not asked in the last 7 days, halving
roughly every `FAIRNESS_HALF_LIFE` invitations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["FAIRNESS_HALF_LIFE", "fairness_score", "gini", "spread_report", "with_fairness"]

FAIRNESS_HALF_LIFE: Final = 1.5  # recent invitations after which the fairness score halves
_DECAY: Final = float(np.log(2.0) / FAIRNESS_HALF_LIFE)


def fairness_score(recent_invitations: ArrayLike) -> NDArray[np.float64]:
    """1 when not asked in the last 7 days, decaying with each recent invitation."""
    recent = np.maximum(np.asarray(recent_invitations, dtype=np.float64), 0.0)
    return np.asarray(np.exp(-_DECAY * recent))


def with_fairness(base: ArrayLike, fairness: ArrayLike, share: float) -> NDArray[np.float64]:
    """`(1 - share) * base + share * fairness`: the penalty mixed in with its weight.

    The weighted score has fairness inside its weighted mean already; this gives a learned
    probability the same treatment, so both keep spreading invitations the same way.
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be in [0, 1], got {share}")
    b = np.asarray(base, dtype=np.float64)
    return np.asarray((1.0 - share) * b + share * np.asarray(fairness, dtype=np.float64))


def gini(values: ArrayLike) -> float:
    """Gini coefficient of non-negative counts: 0 = perfectly even, near 1 = one person has all.

    An empty input or all zeros gives 0.0.
    """
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    if x.size == 0:
        return 0.0
    if np.any(x < 0) or not np.all(np.isfinite(x)):
        raise ValueError("gini needs finite, non-negative values")
    total = float(x.sum())
    if total == 0.0:
        return 0.0
    n = x.size
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float((2.0 * np.dot(ranks, x)) / (n * total) - (n + 1.0) / n)


def spread_report(invitations: ArrayLike) -> Mapping[str, float]:
    """Gini, share of people asked at least once, and the most anyone was asked."""
    x = np.asarray(invitations, dtype=np.float64).ravel()
    if x.size == 0:
        return {"gini": 0.0, "share_invited": 0.0, "max_invitations": 0.0}
    return {
        "gini": round(gini(x), 4),
        "share_invited": round(float(np.mean(x > 0)), 4),
        "max_invitations": float(x.max()),
    }
