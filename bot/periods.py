"""Reporting periods typed after a command: "mois", "quarter", "01/09/2026 30/11/2026",
"du 1er septembre au 30 novembre", "2026-09-01..2026-11-30".

Named periods are the last N days up to now (week 7, month 30, quarter 91, year 365).
A custom period runs from local midnight of its first day to the end of its last day (or
now, when the last day is today), in the organisation's time zone; its dates are read by
`bot.when.parse_when`, and a date without a year is its latest occurrence up to today.
`Period.previous` is the period of the same length just before, for "change since".
Bad periods raise `PeriodError`, whose `key` names a catalog message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.context import Context, UserError
from bot.when import parse_when

__all__ = [
    "CUSTOM",
    "MAX_DAYS",
    "NAMED",
    "Period",
    "PeriodError",
    "parse_period",
    "period_of",
    "period_word",
]

NAMED = {"week": 7, "month": 30, "quarter": 91, "year": 365}
CUSTOM = "custom"
MAX_DAYS = 5 * 365 + 2  # five years, leap days included
MAX_LENGTH = 100

_WORDS = {
    "semaine": "week",
    "week": "week",
    "mois": "month",
    "month": "month",
    "trimestre": "quarter",
    "quarter": "quarter",
    "annee": "year",
    "an": "year",
    "year": "year",
}
# What joins the two dates of a range: "..", "au", "à", "to", "until", "et", " - ".
_SEPARATOR = re.compile(
    r"\s*\.\.\s*|\s*…\s*|\s+(?:au|a|to|until|till|jusqu'au|jusqu'a|et|and)\s+|\s+[-–—]\s+"
)
_LEAD = re.compile(r"^(?:du|de|from|entre|between)\s+")


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in UTC; `kind` is one of NAMED or CUSTOM."""

    start: datetime
    end: datetime
    kind: str

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def previous(self) -> Period:
        """The period of the same length that ends where this one starts."""
        return Period(self.start - self.length, self.start, self.kind)

    def last_day(self, tz: ZoneInfo) -> date:
        """The last local day the period covers (its end is exclusive)."""
        return (self.end - timedelta(microseconds=1)).astimezone(tz).date()


class PeriodError(ValueError):
    """A period that cannot be used; `key` is "period.unknown", "period.reversed",
    "period.future" or "period.too_long" (catalog messages), `params` their values."""

    def __init__(self, key: str, **params: str | int) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower().replace("’", "'"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def period_word(text: str) -> str | None:
    """The named period a word stands for ("trimestre" -> "quarter"), or None."""
    return _WORDS.get(_fold(text))


def _day(text: str, now: datetime, tz: ZoneInfo) -> date | None:
    """One day typed by a person; a date without a year is taken up to today, not after."""
    parsed = parse_when(text, now, tz)
    if parsed is None or parsed.has_time:
        return None
    day = parsed.start.date()
    today = now.astimezone(tz).date()
    if day > today:  # "1er septembre" in December: the last one, not next year's
        a_year_ago = now - timedelta(days=365) + timedelta(days=1)
        earlier = parse_when(text, a_year_ago, tz)
        if (
            earlier is not None
            and earlier.start.date() <= today
            and (earlier.start.month, earlier.start.day) == (day.month, day.day)
        ):
            day = earlier.start.date()
    return day


def _range(text: str, now: datetime, tz: ZoneInfo) -> tuple[date, date] | None:
    """The two days of "X au Y", "X..Y", "X Y"; None when not exactly two days."""
    text = _LEAD.sub("", text)
    parts = _SEPARATOR.split(text)
    if len(parts) == 2:
        first, last = _day(parts[0], now, tz), _day(parts[1], now, tz)
        return (first, last) if first is not None and last is not None else None
    if len(parts) > 2:
        return None
    words = text.split()
    for cut in range(1, len(words)):  # "01/09/2026 30/11/2026": try each split
        first = _day(" ".join(words[:cut]), now, tz)
        last = _day(" ".join(words[cut:]), now, tz) if first is not None else None
        if first is not None and last is not None:
            return first, last
    return None


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def parse_period(text: str, now: datetime, tz: ZoneInfo, default: str = "month") -> Period:
    """The period `text` names ("" is `default`), relative to `now` in `tz`.

    Raises PeriodError when it is not understood, ends before it starts, is in the
    future or is longer than five years.
    """
    folded = _fold(text)
    if not folded:
        folded = default
    named = _WORDS.get(folded) or (folded if folded in NAMED else None)
    if named is not None:
        return Period(now - timedelta(days=NAMED[named]), now, named)
    if len(folded) > MAX_LENGTH:
        raise PeriodError("period.unknown")
    found = _range(folded, now, tz)
    if found is None:
        raise PeriodError("period.unknown")
    first, last = found
    today = now.astimezone(tz).date()
    if last < first:
        raise PeriodError("period.reversed", start=f"{first:%d/%m/%Y}", end=f"{last:%d/%m/%Y}")
    if first > today or last > today:
        raise PeriodError("period.future", day=f"{max(first, last):%d/%m/%Y}")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError("period.too_long", years=5)
    end = min(_midnight(last + timedelta(days=1), tz), now)
    return Period(_midnight(first, tz), end, CUSTOM)


def period_of(ctx: Context, text: str, *, unknown: str) -> Period:
    """The period a command was given, in the organisation's time zone; a period that
    cannot be used is the person's error (`unknown`: the command's own "I don't know this
    period" message, which lists what it takes)."""
    try:
        return parse_period(text, ctx.now, ctx.tz)
    except PeriodError as exc:
        key = unknown if exc.key == "period.unknown" else exc.key
        raise UserError(key, **exc.params) from exc
