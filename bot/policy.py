"""Each organisation's rules for the bot's own initiatives, with sensible defaults.

Stored in `organisations.settings` (JSON); anything missing takes the default.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["RETENTION_GRACE", "Policy", "next_allowed_time", "retention_months_for"]


@dataclass(frozen=True, slots=True)
class Policy:
    reminder_hours: tuple[int, ...] = (24, 2)  # reminders before the start
    summary_hours: int = 3  # unanswered reminders summarised to the coordinator
    auto_invite_hours: int = 72  # invite automatically when still short this long before
    wave_hours: int = 12  # how long an invitation stays open
    wave_factor: float = 2.0  # invitations per open place in one wave
    max_waves: int = 5
    offer_hours: int = 12  # how long a freed place is held for the first on the waitlist
    followup_hours: int = 2  # "did you come?" this long after the end
    quiet_start: int = 21  # quiet hours (local): non-urgent messages wait
    quiet_end: int = 9
    max_invitations_per_week: int = 3  # the organisation's maximum per volunteer
    digest_size: int = 3  # missions in the weekly "missions for you" (0: no digest)
    digest_weekday: int = 0  # the digest's day (0 = Monday) and local hour
    digest_hour: int = 10
    digest_days_ahead: int = 14  # the digest suggests missions starting within this many days
    quiet_after_days: int = 60  # one gentle word after this long without activity (0: never)
    series_weeks_ahead: int = 4  # weekly series: occurrences published this far ahead
    series_months_ahead: int = 2  # monthly series
    hourly_value_eur: float = 14.0  # valuation of one hour of volunteering in the stats
    retention_months: int = 24  # profiles inactive this long are warned, then erased

    @classmethod
    def of(cls, settings: dict[str, Any]) -> Policy:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in settings.items() if k in known}
        if "reminder_hours" in values:
            values["reminder_hours"] = tuple(int(h) for h in values["reminder_hours"])
        return cls(**values)


RETENTION_GRACE = timedelta(days=30)  # between the retention warning and the erasure


def retention_months_for(policies: Iterable[Policy]) -> int:
    """How long a person may stay inactive before erasure: the longest rule among their
    organisations (an erasure cannot be undone), the default for someone in none."""
    return max((p.retention_months for p in policies), default=Policy().retention_months)


def next_allowed_time(moment: datetime, tz: ZoneInfo, quiet_start: int, quiet_end: int) -> datetime:
    """`moment` if it falls outside quiet hours in `tz`, else the end of the quiet hours."""
    if quiet_start == quiet_end:
        return moment
    local = moment.astimezone(tz)
    hour = local.hour + local.minute / 60
    in_quiet = (
        (quiet_start <= hour or hour < quiet_end)
        if quiet_start > quiet_end
        else quiet_start <= hour < quiet_end
    )
    if not in_quiet:
        return moment
    day = local.date() if hour < quiet_end else local.date() + timedelta(days=1)
    wake = datetime.combine(day, time(quiet_end), tzinfo=tz)
    return wake.astimezone(moment.tzinfo)
