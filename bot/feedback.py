"""What volunteers said after their missions: average ratings per mission and per kind of mission,
and the comments ordered most negative first. Pure functions on the organisation's history
(`data.repos.reports.History`) and its ratings, tested without a database.

The *kind* of a mission is its main skill domain in the taxonomy (food aid, events, sport...):
the domain most of its required skills belong to (the first listed wins a tie). Domains are
shared by every mission, one-off or recurring, whatever its title, so they group like with
like; a mission asking for no recognised skill has no kind (shown as "other").

A comment's place in the list is its *combined score*, from -1 to 1: the mean of the rating
read on the same scale (1 star is -1, 3 is 0, 5 is 1) and the comment's sentiment
(`matching.sentiment`, P(positive) - P(negative)). "Great, waited two hours 🙄" with 2 stars
comes before "bof" with 4.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from data.repos.reports import History, MissionRow, Rated
from matching.taxonomy import Taxonomy

__all__ = [
    "CommentFeedback",
    "FeedbackReport",
    "KindFeedback",
    "MissionFeedback",
    "Rated",
    "combined_score",
    "feedback_report",
    "mission_kind",
    "snippet",
]

SentimentScores = Callable[[list[str]], list[float]]  # comments -> scores in [-1, 1]


@dataclass(frozen=True, slots=True)
class MissionFeedback:
    mission: MissionRow
    average: float
    ratings: int
    comments: int


@dataclass(frozen=True, slots=True)
class KindFeedback:
    kind: str | None  # a domain id of the taxonomy; None: no recognised skill
    average: float
    ratings: int
    missions: int


@dataclass(frozen=True, slots=True)
class CommentFeedback:
    mission: MissionRow
    rating: int | None
    text: str
    sentiment: float  # -1 to 1
    score: float  # combined with the rating, -1 (worst) to 1


@dataclass(frozen=True, slots=True)
class FeedbackReport:
    """Everything, sorted; the caller caps what it shows."""

    ratings: int
    average: float | None
    missions: list[MissionFeedback]  # most recent first, then most ratings
    kinds: list[KindFeedback]  # lowest average first, then most ratings
    comments: list[CommentFeedback]  # most negative first


def mission_kind(mission: MissionRow, taxonomy: Taxonomy) -> str | None:
    """The domain most of the mission's required skills belong to (first listed on a tie)."""
    domains = [
        taxonomy.skills[skill].domain for skill in mission.skills if skill in taxonomy.skills
    ]
    if not domains:
        return None
    counts = Counter(domains)
    return max(domains, key=lambda d: (counts[d], -domains.index(d)))


def combined_score(rating: int | None, sentiment: float) -> float:
    """Mean of the rating on a -1..1 scale and the sentiment; the sentiment alone if unrated."""
    if rating is None:
        return sentiment
    return ((rating - 3) / 2 + sentiment) / 2


def _mean(values: Sequence[int]) -> float:
    return sum(values) / len(values)


def feedback_report(
    history: History,
    rated: Iterable[Rated],
    start: datetime,
    end: datetime,
    taxonomy: Taxonomy,
    sentiment: SentimentScores,
) -> FeedbackReport:
    """Ratings and comments of the missions that started in [start, end)."""
    missions = history.missions
    kept = [
        r
        for r in rated
        if r.mission_id in missions and start <= missions[r.mission_id].starts_at < end
    ]
    ratings: dict[int, list[int]] = {}
    comments: Counter[int] = Counter()
    for r in kept:
        if r.rating is not None:
            ratings.setdefault(r.mission_id, []).append(r.rating)
        if r.comment and r.comment.strip():
            comments[r.mission_id] += 1
    per_mission = sorted(
        (
            MissionFeedback(missions[mid], _mean(values), len(values), comments[mid])
            for mid, values in ratings.items()
        ),
        key=lambda m: (-m.mission.starts_at.timestamp(), -m.ratings, m.mission.id),
    )
    by_kind: dict[str | None, list[MissionFeedback]] = {}
    for m in per_mission:
        by_kind.setdefault(mission_kind(m.mission, taxonomy), []).append(m)
    kinds = [
        KindFeedback(
            kind,
            _mean([v for m in group for v in ratings[m.mission.id]]),
            sum(m.ratings for m in group),
            len(group),
        )
        for kind, group in by_kind.items()
    ]
    kinds.sort(key=lambda k: (k.average, -k.ratings, k.kind or "~"))
    said = [r for r in kept if r.comment and r.comment.strip()]
    scores = sentiment([r.comment or "" for r in said]) if said else []
    lines = [
        CommentFeedback(
            missions[r.mission_id], r.rating, r.comment or "", s, combined_score(r.rating, s)
        )
        for r, s in zip(said, scores, strict=True)
    ]
    lines.sort(key=lambda c: (c.score, -c.mission.starts_at.timestamp()))
    every = [v for values in ratings.values() for v in values]
    return FeedbackReport(
        ratings=len(every),
        average=_mean(every) if every else None,
        missions=per_mission,
        kinds=kinds,
        comments=lines,
    )


_SPACES = re.compile(r"\s+")


def snippet(text: str, limit: int) -> str:
    """The comment on one line, cut at a word boundary to at most `limit` characters."""
    flat = _SPACES.sub(" ", text).strip()
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;.:!?") + "…"
