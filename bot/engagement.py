"""Engagement arithmetic on an organisation's history: period figures, scores, trends.

Pure functions on `data.repos.reports.History`, so they are tested without a database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from data.repos.orgs import Participation
from data.repos.reports import History, MissionRow

__all__ = [
    "PERIODS",
    "Engagement",
    "PeriodFigures",
    "drifting",
    "engagement",
    "engagement_of",
    "figures",
    "hours_by_month",
    "hours_by_volunteer",
    "period_bounds",
    "shortages",
    "week_start",
    "weekly_activity",
    "weekly_fill",
]

PERIODS = {"week": 7, "month": 30, "quarter": 91, "year": 365}
TAKEN = ("confirmed", "attended", "no_show")  # statuses that hold a place
RECENT_DAYS = 90  # the window of "frequency"


def period_bounds(now: datetime, days: int) -> tuple[datetime, datetime]:
    """The last `days` days up to now."""
    return now - timedelta(days=days), now


def _hours(mission: MissionRow) -> float:
    return (mission.ends_at - mission.starts_at).total_seconds() / 3600


def hours_by_volunteer(history: History) -> dict[int, float]:
    """Hours attended by each volunteer over the whole history."""
    hours: dict[int, float] = {}
    for s in history.signups:
        if s.status == "attended":
            hours[s.volunteer_id] = hours.get(s.volunteer_id, 0.0) + _hours(
                history.missions[s.mission_id]
            )
    return hours


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


def shortages(
    history: History, start: datetime, end: datetime | None = None
) -> list[tuple[str, int, int]]:
    """(skill id, missions from `start` to `end` needing it, volunteers having it), worst
    first; with no `end`, the upcoming missions count too."""
    demand = Counter(
        skill
        for m in history.missions.values()
        if start <= m.starts_at and (end is None or m.starts_at < end) and m.status != "cancelled"
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
        done = outcomes.get(vid, Counter())
        got = asked.get(vid, Counter())
        out[vid] = _engagement(
            vid,
            at,
            Participation(
                last.get(vid),
                done["attended"],
                done["no_show"],
                recent[vid],
                sum(got.values()),
                got["accepted"],
                got["declined"],
            ),
        )
    return out


def engagement_of(
    participation: Mapping[int, Participation], at: datetime
) -> dict[int, Engagement]:
    """`engagement` from the sums `OrgRepo.participation(org, at, at - 90 days)` gives in
    two grouped queries, instead of the full history: the same scores."""
    return {vid: _engagement(vid, at, p) for vid, p in participation.items()}


def _engagement(vid: int, at: datetime, p: Participation) -> Engagement:
    days = (at - p.last_taken).days if p.last_taken is not None else None
    recency = 0.0 if days is None else min(1.0, max(0.0, (180 - days) / (180 - 14)))
    frequency = min(1.0, p.recent_attended / 6)
    came = p.attended + p.no_shows
    reliability = p.attended / came if came else None
    responsiveness = (p.accepted + p.declined) / p.invited if p.invited else None
    score = (
        0.30 * recency
        + 0.30 * frequency
        + 0.25 * (0.5 if reliability is None else reliability)
        + 0.15 * (0.5 if responsiveness is None else responsiveness)
    )
    return Engagement(vid, round(100 * score), days, p.recent_attended, reliability, responsiveness)


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


def _local_weeks(start: datetime, end: datetime, tz: ZoneInfo) -> list[date]:
    """The local Mondays of the weeks that meet [start, end), oldest first."""
    first = start.astimezone(tz).date()
    first -= timedelta(days=first.weekday())
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def _monday(moment: datetime, tz: ZoneInfo) -> date:
    day = moment.astimezone(tz).date()
    return day - timedelta(days=day.weekday())


def week_start(moment: datetime, tz: ZoneInfo) -> datetime:
    """Midnight (local) of the Monday of the week `moment` falls in, in UTC."""
    monday = _monday(moment, tz)
    return datetime.combine(monday, time(0), tzinfo=tz).astimezone(UTC)


def weekly_activity(
    history: History, start: datetime, end: datetime, tz: ZoneInfo
) -> list[tuple[date, int, int]]:
    """(local Monday, places taken, people who came) of the missions starting each week
    that meets [start, end), oldest first: the same weeks as `weekly_fill`."""
    counts = {week: [0, 0] for week in _local_weeks(start, end, tz)}
    for s in history.signups:
        mission = history.missions[s.mission_id]
        if s.status not in TAKEN or not start <= mission.starts_at < end:
            continue
        week = counts[_monday(mission.starts_at, tz)]
        week[0] += 1
        week[1] += s.status == "attended"
    return [(week, t, c) for week, (t, c) in counts.items()]


def _month_keys(end: datetime, months: int) -> list[str]:
    keys: list[str] = []
    year, month = end.year, end.month
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys[::-1]


def hours_by_month(
    history: History, now: datetime, tz: ZoneInfo, months: int = 12
) -> list[tuple[str, float]]:
    """("2026-11", hours attended) for the last `months` local months up to `now`, oldest
    first; a mission belongs to the month of its local start in the organisation's `tz`."""
    totals = dict.fromkeys(_month_keys(now.astimezone(tz), months), 0.0)
    for s in history.signups:
        mission = history.missions[s.mission_id]
        local = mission.starts_at.astimezone(tz)
        key = f"{local.year:04d}-{local.month:02d}"
        if s.status == "attended" and key in totals:
            totals[key] += _hours(mission)
    return list(totals.items())


def weekly_fill(
    history: History, start: datetime, end: datetime, tz: ZoneInfo
) -> list[tuple[date, int, int]]:
    """(local Monday, places taken, places offered) of the missions starting each week that
    meets [start, end), oldest first; cancelled missions do not count."""
    weeks = _local_weeks(start, end, tz)
    taken: Counter[int] = Counter(s.mission_id for s in history.signups if s.status in TAKEN)
    counts = {week: [0, 0] for week in weeks}
    for m in history.missions.values():
        if m.status == "cancelled" or not start <= m.starts_at < end:
            continue
        week = counts[_monday(m.starts_at, tz)]
        week[0] += min(taken[m.id], m.slots)
        week[1] += m.slots
    return [(week, t, o) for week, (t, o) in counts.items()]
