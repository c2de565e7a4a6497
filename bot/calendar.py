"""A small iCalendar (RFC 5545) writer: missions as VEVENTs in their organisation's time zone.

Pure functions, no I/O: `escape_text`, `fold_line`, `timezone_component` and `calendar`
return text with CRLF line endings and lines folded at 75 octets (never inside a UTF-8
character). Times are written as local times with a TZID, and each time zone used comes
with a VTIMEZONE that lists its offset changes, taken from the zoneinfo database, for the
years the events cover; a local time that the clock shows twice (the hour repeated when
daylight saving time ends) or never is written in UTC instead, as RFC 5545 advises.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["CalendarEvent", "calendar", "escape_text", "fold_line", "timezone_component"]

_LIMIT = 75  # octets per line, CRLF excluded


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    uid: str  # stable per mission, so a calendar updates the event instead of adding one
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str = ""
    description: str = ""
    tz: ZoneInfo | None = None  # None: times in UTC
    sequence: int = 0  # grows with each revision of the event
    cancelled: bool = False


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, comma, semicolon and newlines."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold_line(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets, continuation lines starting with a space."""
    pieces: list[str] = []
    current = ""
    size = 0
    limit = _LIMIT
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = "", 0, _LIMIT - 1  # the leading space takes one octet
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _offset(delta: timedelta | None) -> str:
    seconds = int((delta or timedelta()).total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


def _state(tz: ZoneInfo, moment: datetime) -> tuple[timedelta | None, timedelta | None, str | None]:
    local = moment.astimezone(tz)
    return local.utcoffset(), local.dst(), local.tzname()


def _transitions(tz: ZoneInfo, first_year: int, last_year: int) -> list[datetime]:
    """The UTC instants, to the second, at which the zone's offset or name changes."""
    found: list[datetime] = []
    moment = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(days=1)
    while moment < end:
        after = moment + step
        if _state(tz, moment) != _state(tz, after):
            low, high = moment, after  # the change happens in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _state(tz, middle) == _state(tz, low):
                    low = middle
                else:
                    high = middle
            found.append(high.replace(microsecond=0))
        moment = after
    return found


def timezone_component(tz: ZoneInfo, first_year: int, last_year: int) -> list[str]:
    """A VTIMEZONE for `tz` valid from the year before `first_year` to `last_year`: one
    STANDARD or DAYLIGHT observance per offset change (or one, for a zone without any)."""
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tz.key}"]
    changes = _transitions(tz, first_year - 1, last_year)
    if not changes:
        offset, dst, name = _state(tz, datetime(first_year, 1, 1, tzinfo=UTC))
        kind = "DAYLIGHT" if dst else "STANDARD"
        lines += [
            f"BEGIN:{kind}",
            "DTSTART:19700101T000000",
            f"TZOFFSETFROM:{_offset(offset)}",
            f"TZOFFSETTO:{_offset(offset)}",
        ]
        lines += [f"TZNAME:{escape_text(name)}"] if name else []
        lines.append(f"END:{kind}")
    for change in changes:
        before, _, _ = _state(tz, change - timedelta(seconds=1))
        offset, dst, name = _state(tz, change)
        kind = "DAYLIGHT" if dst else "STANDARD"
        # DTSTART is the local time of the change, as the clock showed it just before.
        start = (change + (before or timedelta())).replace(tzinfo=None)
        lines += [
            f"BEGIN:{kind}",
            f"DTSTART:{start:%Y%m%dT%H%M%S}",
            f"TZOFFSETFROM:{_offset(before)}",
            f"TZOFFSETTO:{_offset(offset)}",
        ]
        lines += [f"TZNAME:{escape_text(name)}"] if name else []
        lines.append(f"END:{kind}")
    lines.append("END:VTIMEZONE")
    return lines


def _when(name: str, moment: datetime, tz: ZoneInfo | None) -> str:
    """`DTSTART;TZID=Europe/Paris:20261205T140000`, or in UTC when the local time is
    ambiguous (shown twice) or does not exist."""
    if tz is None:
        return f"{name}:{_utc(moment)}"
    local = moment.astimezone(tz)
    naive = local.replace(tzinfo=None)
    unique = all(
        naive.replace(fold=fold, tzinfo=tz).astimezone(UTC) == moment.astimezone(UTC)
        for fold in (0, 1)
    )
    if not unique:
        return f"{name}:{_utc(moment)}"
    return f"{name};TZID={tz.key}:{naive:%Y%m%dT%H%M%S}"


def calendar(events: Iterable[CalendarEvent], *, name: str = "", stamp: datetime) -> str:
    """A VCALENDAR with one VEVENT per event; `stamp` is the DTSTAMP of every event."""
    events = list(events)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Mainforte//Missions//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    zones: dict[str, tuple[ZoneInfo, int, int]] = {}
    for event in events:
        if event.tz is None:
            continue
        years = [event.starts_at.astimezone(event.tz).year, event.ends_at.astimezone(event.tz).year]
        tz, low, high = zones.get(event.tz.key, (event.tz, min(years), max(years)))
        zones[event.tz.key] = (tz, min(low, *years), max(high, *years))
    for tz, low, high in zones.values():
        lines += timezone_component(tz, low, high)
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{_utc(stamp)}",
            _when("DTSTART", event.starts_at, event.tz),
            _when("DTEND", event.ends_at, event.tz),
            f"SEQUENCE:{event.sequence}",
            f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.location:
            lines.append(f"LOCATION:{escape_text(event.location)}")
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)
