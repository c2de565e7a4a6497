"""Repeating dates: read "tous les mardis 18h-20h" and count the occurrences of a rule.

Phrases, French or English, accents and case ignored:

* weekly: "tous les mardis", "chaque mardi", "les mardis", "toutes les semaines le mardi",
  "every Tuesday", "on Tuesdays", "weekly on Tuesday";
* every n weeks: "toutes les deux semaines le samedi", "un samedi sur deux", "tous les
  15 jours le samedi", "every other Saturday", "every 2 weeks on Saturday", "fortnightly";
* monthly, by the weekday's place in the month: "le premier samedi du mois", "le dernier
  vendredi de chaque mois", "the first Saturday of the month", "every 2 months on the last
  Friday";
* optionally "à partir du 5 janvier" / "starting 5 January" and "jusqu'au 30 juin" /
  "until 30 June".

What is left is the time of day, read by `bot.when.parse_when` ("18h-20h", "6-8pm",
"de 9h à 12h", "10h (2h)"; no end means two hours). Times are wall-clock times: every
occurrence starts at the same local time in the organisation's time zone, whatever the
daylight-saving offset of its day (`occurrence_times`). A start in the spring-forward gap
moves forward by the gap; an ambiguous autumn time is its first occurrence, as in `when`.
A text that names no repetition gives None, so the caller reads it as a single date; one
that does but cannot be used raises `RecurrenceError` with a `code` saying why.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.when import parse_when

__all__ = [
    "MONTHLY",
    "WEEKLY",
    "Recurrence",
    "RecurrenceError",
    "Rule",
    "occurrence_times",
    "parse_hours",
    "parse_recurrence",
]

WEEKLY = "weekly"
MONTHLY = "monthly"
MAX_EVERY = 12
DEFAULT_DURATION = timedelta(hours=2)
_LAST = -1

_DAY_NAMES = (
    ("lundi", "monday"),
    ("mardi", "tuesday"),
    ("mercredi", "wednesday"),
    ("jeudi", "thursday"),
    ("vendredi", "friday"),
    ("samedi", "saturday"),
    ("dimanche", "sunday"),
)
_WEEKDAYS = {name: day for day, names in enumerate(_DAY_NAMES) for name in names}
_COUNTS = {"deux": 2, "trois": 3, "quatre": 4, "two": 2, "three": 3, "four": 4}
_COUNTS |= {"other": 2, "second": 2}
_POSITIONS = {
    1: "premier premiere 1er 1ere 1re first 1st",
    2: "deuxieme 2e 2eme second seconde 2nd",
    3: "troisieme 3e 3eme third 3rd",
    4: "quatrieme 4e 4eme fourth 4th",
    _LAST: "dernier derniere last",
}
_POSITION_OF = {word: pos for pos, words in _POSITIONS.items() for word in words.split()}

_DAY = "|".join(_WEEKDAYS)
_WD = rf"(?P<wd>{_DAY})s?"
_WDS = rf"(?P<wd>{_DAY})s"  # a plural on its own says "every"
_N = r"(?P<n>deux|trois|quatre|two|three|four|other|second|\d{1,2})"
_POS = rf"(?P<pos>{'|'.join(sorted(_POSITION_OF, key=len, reverse=True))})s?"
_ART = r"(?:(?:on the|le|la|les|the|on)\s+)?"
_SEP = r"\s*,?\s*"
_MONTH_TAIL = r"(?:du|de chaque|de tous les|de) mois|(?:of|in) (?:the|each|every) month|(?:each|every|a) month"
_EVERY_MONTH = r"(?:chaque mois|tous les mois|every month|each month|monthly)"
_EVERY_WEEK = r"(?:toutes les semaines|chaque semaine|every week|each week|weekly|hebdomadaire)"
_FORTNIGHT = r"(?:bi-?weekly|fortnightly|(?:tous|toutes) les (?:15|quinze) jours)"
_EVERY = r"(?:tous|toutes) les|every"

# (pattern, rule, every n when the pattern has no n group), tried in this order.
_PATTERNS: tuple[tuple[re.Pattern[str], str, int], ...] = tuple(
    (re.compile(pattern), rule, every)
    for pattern, rule, every in (
        (
            rf"\b(?:(?:chaque|tous les|toutes les|every|each)\s+)?{_ART}{_POS}\s+{_WD}\s+(?:{_MONTH_TAIL})\b",
            MONTHLY,
            1,
        ),
        (rf"\b{_EVERY_MONTH}{_SEP}{_ART}{_POS}\s+{_WD}", MONTHLY, 1),
        (rf"\b(?:{_EVERY})\s+{_N}\s+(?:mois|months){_SEP}{_ART}{_POS}\s+{_WD}", MONTHLY, 0),
        (rf"\b{_ART}{_POS}\s+{_WD}{_SEP}(?:{_EVERY})\s+{_N}\s+(?:mois|months)\b", MONTHLY, 0),
        (rf"\b(?:{_EVERY})\s+{_N}\s+(?:semaines?|weeks?){_SEP}{_ART}{_WD}", WEEKLY, 0),
        (rf"\b{_ART}{_WD}{_SEP}(?:{_EVERY})\s+{_N}\s+(?:semaines?|weeks?)\b", WEEKLY, 0),
        (rf"\b{_FORTNIGHT}{_SEP}{_ART}{_WD}", WEEKLY, 2),
        (rf"\b{_ART}{_WD}{_SEP}{_FORTNIGHT}", WEEKLY, 2),
        (rf"\bun\s+{_WD}\s+sur\s+{_N}\b", WEEKLY, 0),
        (rf"\b(?:{_EVERY})\s+{_N}\s+{_WD}", WEEKLY, 0),
        (rf"\b{_EVERY_WEEK}{_SEP}{_ART}{_WD}", WEEKLY, 1),
        (rf"\b{_ART}{_WD}{_SEP}(?:de\s+)?{_EVERY_WEEK}\b", WEEKLY, 1),
        (rf"\b(?:tous les|chaque|every|each)\s+{_WD}", WEEKLY, 1),
        (rf"\b(?:(?:les|on)\s+)?{_WDS}\b", WEEKLY, 1),
    )
)
_DAILY = re.compile(
    r"\b(?:tous les jours|chaque jour|every ?day|each day|daily|quotidien(?:ne)?)\b"
)
_MONTHLY_WORD = re.compile(r"\b(?:mois|months?|monthly|mensuel(?:le)?)\b")
_MONTHLY_HINT = re.compile(r"\b(?:(?:chaque|tous les|every|each) (?:mois|month)|monthly|mensuel)")
_ANY_WEEKDAY = re.compile(rf"\b(?:{_DAY})s?\b")

_MONTHS = (
    "janvier|janv|fevrier|fevr|fev|mars|avril|avr|mai|juin|juillet|juil|aout|septembre|sept"
    "|octobre|novembre|decembre|january|february|march|april|may|june|july|august|september"
    "|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec"
)
_DATE = (
    rf"(?:(?:{_DAY})\s+)?(?:\d{{1,2}}(?:er|st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b(?:\s+\d{{4}})?"
    rf"|(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?"
    r"|\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?)"
)
_UNTIL = re.compile(
    rf"\b(?:jusqu'?\s*(?:au|a)|until|till|through|thru)\s+(?:le\s+|the\s+)?(?P<date>{_DATE})"
)
_STARTING = re.compile(
    r"\b(?:a partir du|a partir de|a compter du|des le|starting(?:\s+on|\s+from)?|from"
    rf"|beginning(?:\s+on)?)\s+(?:le\s+|the\s+)?(?P<date>{_DATE})"
)
_UTC = ZoneInfo("UTC")
_REFERENCE = datetime(2001, 1, 1, tzinfo=_UTC)  # a Monday, for reading times of day alone


class RecurrenceError(ValueError):
    """The text names a repetition that cannot be used; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # daily, monthly, one_day, every, no_time, time, date, until_past


@dataclass(frozen=True, slots=True)
class Rule:
    """Which days: every `every` weeks on `weekday`, or every `every` months on its
    `position`-th (1-4, or -1 for the last) `weekday` of the month."""

    kind: str
    every: int
    weekday: int
    position: int | None = None

    def first_on_or_after(self, day: date) -> date:
        """The first day from `day` on with the rule's weekday (and place in the month)."""
        if self.kind == WEEKLY:
            return day + timedelta(days=(self.weekday - day.weekday()) % 7)
        month = day.year * 12 + day.month - 1
        found = self._in_month(month)
        return found if found >= day else self._in_month(month + 1)

    def dates(self, anchor: date, start: date, end: date) -> list[date]:
        """The occurrences in [start, end], counted from the first one, `anchor`."""
        out: list[date] = []
        if self.kind == WEEKLY:
            step = 7 * self.every
            skip = max(0, -(-(start - anchor).days // step))
            day = anchor + timedelta(days=skip * step)
            while day <= end:
                out.append(day)
                day += timedelta(days=step)
            return out
        first = anchor.year * 12 + anchor.month - 1
        skip = max(0, (start.year * 12 + start.month - 1 - first) // self.every)
        month = first + skip * self.every
        while (month // 12, month % 12 + 1) <= (end.year, end.month):
            day = self._in_month(month)
            if start <= day <= end:
                out.append(day)
            month += self.every
        return out

    def _in_month(self, month: int) -> date:
        """The rule's day in month number `month` (year * 12 + month - 1)."""
        year, number = divmod(month, 12)
        first = date(year, number + 1, 1)
        if self.position == _LAST:
            following = date(year + (number + 1) // 12, (number + 1) % 12 + 1, 1)
            last = following - timedelta(days=1)
            return last - timedelta(days=(last.weekday() - self.weekday) % 7)
        offset = (self.weekday - first.weekday()) % 7
        return first + timedelta(days=offset + 7 * ((self.position or 1) - 1))


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A parsed repetition: its days, local times, and optional first and last days."""

    rule: Rule
    start: time
    end: time  # not after `start`: the next day
    end_guessed: bool
    starting: date | None = None
    until: date | None = None

    def first(self, now: datetime, tz: ZoneInfo, not_before: date | None = None) -> date | None:
        """The first occurrence still to come (from `not_before` on), or None."""
        today = now.astimezone(tz).date()
        day = self.rule.first_on_or_after(max(today, self.starting or today, not_before or today))
        for _ in range(3):  # today's occurrence may have started already
            if self.until is not None and day > self.until:
                return None
            if occurrence_times(day, self.start, self.end, tz)[0] > now:
                return day
            day = self.rule.first_on_or_after(day + timedelta(days=1))
        return None


def occurrence_times(day: date, start: time, end: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end (UTC) of the occurrence on local `day`, at wall-clock `start`-`end`."""
    begins = _wall_clock(day, start, tz)
    ends = _wall_clock(day if end > start else day + timedelta(days=1), end, tz)
    if ends <= begins:  # the start moved forward out of a spring-forward gap
        planned = datetime.combine(day, end) - datetime.combine(day, start)
        ends = begins + (planned if end > start else planned + timedelta(days=1))
    return begins, ends


def _wall_clock(day: date, moment: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=tz).astimezone(UTC)


def _normalize(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    out = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    out = re.sub(r"[’‘`´]", "'", out)
    return re.sub(r"\s+", " ", out).strip()


def _count(word: str) -> int:
    value = _COUNTS.get(word) or int(word)
    if not 1 <= value <= MAX_EVERY:
        raise RecurrenceError("every")
    return value


def _find_rule(text: str) -> tuple[Rule, str] | None:
    """The rule named in `text`, and the text without it."""
    for pattern, kind, every in _PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        groups = match.groupdict()
        rule = Rule(
            kind,
            _count(groups["n"]) if groups.get("n") else every,
            _WEEKDAYS[groups["wd"]],
            _POSITION_OF[groups["pos"].removesuffix("s")] if groups.get("pos") else None,
        )
        return rule, f"{text[: match.start()]} {text[match.end() :]}"
    return None


def _take_date(
    pattern: re.Pattern[str], text: str, now: datetime, tz: ZoneInfo
) -> tuple[date | None, str]:
    """The date of a "jusqu'au ..."/"à partir du ..." clause, and the text without it."""
    match = pattern.search(text)
    if match is None:
        return None, text
    parsed = parse_when(match.group("date"), now, tz)
    if parsed is None or parsed.has_time:
        raise RecurrenceError("date")
    return parsed.start.date(), f"{text[: match.start()]} {text[match.end() :]}"


def _times(text: str, weekday: int) -> tuple[time, time, bool]:
    """The times of day in `text` (which must name no day), and whether the end was guessed."""
    reference = _REFERENCE + timedelta(days=(weekday + 3) % 7)  # the weekday is 4 days later
    parsed = parse_when(f"{_DAY_NAMES[weekday][0]} {text}", reference, _UTC)
    if parsed is None:
        raise RecurrenceError("time")
    if not parsed.has_time:
        raise RecurrenceError("no_time")
    end = parsed.end or parsed.start + DEFAULT_DURATION
    return parsed.start.time(), end.time(), parsed.end is None


def parse_recurrence(text: str, now: datetime, tz: ZoneInfo) -> Recurrence | None:
    """Read a repeating date ("tous les mardis 18h-20h"); None when `text` names no repetition.

    Raises `RecurrenceError` when it names one that cannot be used (no time of day, every
    day, two weekdays, a last day before the first occurrence...).
    """
    normalized = _normalize(text)
    found = _find_rule(normalized)
    if found is None:
        if _DAILY.search(normalized):
            raise RecurrenceError("daily")
        if _MONTHLY_HINT.search(normalized):
            raise RecurrenceError("monthly")  # "tous les mois le 15": by weekday only
        return None
    rule, rest = found
    if _DAILY.search(rest):
        raise RecurrenceError("daily")
    if rule.kind == WEEKLY and _MONTHLY_WORD.search(rest):
        raise RecurrenceError("monthly")
    until, rest = _take_date(_UNTIL, rest, now, tz)
    starting, rest = _take_date(_STARTING, rest, now, tz)
    if _ANY_WEEKDAY.search(rest):
        raise RecurrenceError("one_day")
    start, end, guessed = _times(rest, rule.weekday)
    recurrence = Recurrence(rule, start, end, guessed, starting, until)
    if recurrence.first(now, tz) is None:
        raise RecurrenceError("until_past")
    return recurrence


def parse_hours(text: str) -> tuple[time, time, bool] | None:
    """Times of day alone ("18h-20h", "6-8pm"), and whether the end was guessed; None if
    the text is not just that (it names a day, or is not understood)."""
    normalized = _normalize(text)
    if _ANY_WEEKDAY.search(normalized):
        return None
    try:
        return _times(normalized, 0)
    except RecurrenceError:
        return None
