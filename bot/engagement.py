"""Engagement arithmetic on an organisation's history: period figures, scores, trends.

Pure functions on `data.repos.reports.History`, so they are tested without a database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from data.repos.reports import History, MissionRow

__all__ = [
    "PERIODS",
    "Engagement",
    "PeriodFigures",
    "drifting",
    "engagement",
    "figures",
    "hours_by_month",
    "period_bounds",
    "shortages",
    "weekly_activity",
]

PERIODS = {"week": 7, "month": 30, "quarter": 91, "year": 365}
TAKEN = ("confirmed", "attended", "no_show")  # statuses that hold a place
RECENT_DAYS = 90  # the window of "frequency"


def period_bounds(now: datetime, days: int) -> tuple[datetime, datetime]:
    """The last `days` days up to now."""
    return now - timedelta(days=days), now


def _hours(mission: MissionRow) -> float:
    return (mission.ends_at - mission.starts_at).total_seconds() / 3600


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    active: int
    new: int
    posted: int
    filled: int
    fill_rate: float | None  # 0-1
    median_fill_hours: float | None
    acceptance: float | None  # accepted invitations / sent
    no_show_rate: float | None
    hours: float


def figures(history: History, start: datetime, end: datetime) -> PeriodFigures:
    """The period's figures: people, missions and their fill, invitations, attendance, hours."""
    missions = history.missions
    taken = [s for s in history.signups if s.status in TAKEN]
    in_period = {m.id for m in missions.values() if start <= m.starts_at < end}
    active = {s.volunteer_id for s in taken if s.mission_id in in_period}
    first: dict[int, datetime] = {}
    for s in taken:
        when = missions[s.mission_id].starts_at
        first[s.volunteer_id] = min(first.get(s.volunteer_id, when), when)
    new = sum(1 for when in first.values() if start <= when < end)
    posted = [
        m for m in missions.values() if start <= m.created_at < end and m.status != "cancelled"
    ]
    by_mission: dict[int, list[datetime]] = {}
    for s in taken:
        by_mission.setdefault(s.mission_id, []).append(s.created_at)
    fill_times: list[float] = []
    for m in posted:
        times = sorted(by_mission.get(m.id, []))
        if len(times) >= m.slots:
            fill_times.append(max(0.0, (times[m.slots - 1] - m.created_at).total_seconds() / 3600))
    sent = [i for i in history.invitations if start <= i.sent_at < end]
    outcomes = Counter(
        s.status for s in history.signups if s.mission_id in in_period and s.status in TAKEN[1:]
    )
    attended_total = outcomes["attended"] + outcomes["no_show"]
    hours = sum(
        _hours(missions[s.mission_id])
        for s in history.signups
        if s.mission_id in in_period and s.status == "attended"
    )
    return PeriodFigures(
        active=len(active),
        new=new,
        posted=len(posted),
        filled=len(fill_times),
        fill_rate=len(fill_times) / len(posted) if posted else None,
        median_fill_hours=median(fill_times) if fill_times else None,
        acceptance=sum(i.status == "accepted" for i in sent) / len(sent) if sent else None,
        no_show_rate=outcomes["no_show"] / attended_total if attended_total else None,
        hours=hours,
    )


def shortages(history: History, start: datetime) -> list[tuple[str, int, int]]:
    """(skill id, missions since `start` or upcoming needing it, volunteers having it), worst first."""
    demand = Counter(
        skill
        for m in history.missions.values()
        if start <= m.starts_at and m.status != "cancelled"
        for skill in set(m.skills)
    )
    supply = Counter(skill for skills in history.skills.values() for skill in skills)
    rows = [(skill, n, supply[skill]) for skill, n in demand.items()]
    return sorted(rows, key=lambda r: (r[2] - r[1], -r[1], r[0]))


@dataclass(frozen=True, slots=True)
class Engagement:
    """A volunteer's engagement score (0-100) and its four parts (0-1)."""

    volunteer_id: int
    score: int
    days_since: int | None  # since the last mission taken part in
    recent: int  # missions attended in the last 90 days
    reliability: float | None  # attended / (attended + no-shows)
    responsiveness: float | None  # invitations answered / received


def engagement(history: History, at: datetime) -> dict[int, Engagement]:
    """Every volunteer's engagement as it stood at `at` (only what happened before counts).

    recency 30 % (full within 2 weeks, none after 6 months), frequency 30 % (6 missions
    in 90 days is full), reliability 25 %, responsiveness 15 %; unknown parts count half.
    """
    missions = history.missions
    last: dict[int, datetime] = {}
    recent: Counter[int] = Counter()
    outcomes: dict[int, Counter[str]] = {}
    for s in history.signups:
        start = missions[s.mission_id].starts_at
        if start >= at or s.status not in TAKEN:
            continue
        last[s.volunteer_id] = max(last.get(s.volunteer_id, start), start)
        outcomes.setdefault(s.volunteer_id, Counter())[s.status] += 1
        if s.status == "attended" and start >= at - timedelta(days=RECENT_DAYS):
            recent[s.volunteer_id] += 1
    asked: dict[int, Counter[str]] = {}
    for i in history.invitations:
        if i.sent_at < at:
            asked.setdefault(i.volunteer_id, Counter())[i.status] += 1
    out: dict[int, Engagement] = {}
    for vid in set(last) | set(asked):
        days = (at - last[vid]).days if vid in last else None
        recency = 0.0 if days is None else min(1.0, max(0.0, (180 - days) / (180 - 14)))
        frequency = min(1.0, recent[vid] / 6)
        done = outcomes.get(vid, Counter())
        came = done["attended"] + done["no_show"]
        reliability = done["attended"] / came if came else None
        got = asked.get(vid, Counter())
        total = sum(got.values())
        answered = got["accepted"] + got["declined"]
        responsiveness = answered / total if total else None
        score = (
            0.30 * recency
            + 0.30 * frequency
            + 0.25 * (0.5 if reliability is None else reliability)
            + 0.15 * (0.5 if responsiveness is None else responsiveness)
        )
        out[vid] = Engagement(
            vid, round(100 * score), days, recent[vid], reliability, responsiveness
        )
    return out


def drifting(
    history: History, now: datetime, *, was: int = 60, drop: int = 25
) -> list[tuple[Engagement, int]]:
    """Volunteers whose score was at least `was` 90 days ago and fell by `drop` or more."""
    before = engagement(history, now - timedelta(days=RECENT_DAYS))
    current = engagement(history, now)
    out = [
        (current[vid], past.score)
        for vid, past in before.items()
        if past.score >= was and vid in current and past.score - current[vid].score >= drop
    ]
    return sorted(out, key=lambda pair: pair[0].score - pair[1])


def weekly_activity(
    history: History, now: datetime, weeks: int = 12
) -> list[tuple[datetime, int, int]]:
    """(week start, places taken, people who came) for the last `weeks` weeks, oldest first."""
    first = now - timedelta(weeks=weeks)
    out = [(first + timedelta(weeks=n), 0, 0) for n in range(weeks)]
    counts = [[0, 0] for _ in range(weeks)]
    for s in history.signups:
        start = history.missions[s.mission_id].starts_at
        index = (start - first) // timedelta(weeks=1)
        if 0 <= index < weeks and s.status in TAKEN:
            counts[index][0] += 1
            counts[index][1] += s.status == "attended"
    return [(week, t, c) for (week, _, _), (t, c) in zip(out, counts, strict=True)]


def hours_by_month(history: History, now: datetime, months: int = 12) -> list[tuple[str, float]]:
    """("2026-11", hours attended) for the last `months` months, oldest first."""
    keys: list[str] = []
    year, month = now.year, now.month
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    keys.reverse()
    totals = dict.fromkeys(keys, 0.0)
    for s in history.signups:
        mission = history.missions[s.mission_id]
        key = f"{mission.starts_at.year:04d}-{mission.starts_at.month:02d}"
        if s.status == "attended" and key in totals:
            totals[key] += _hours(mission)
    return list(totals.items())
