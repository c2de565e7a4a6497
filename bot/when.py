"""Parse the French or English date/time phrases coordinators type for a mission.

Examples: "samedi 14h-17h", "le 12 décembre à 9h", "12/12 9:00-12:00", "next Tuesday 6pm",
"tomorrow 2pm for 2 hours", "demain 9h (2h)". Rules, relative to ``now`` seen in ``tz``:

* Numeric dates are day/month ("12/01" is 12 January: French and British usage); ISO too.
* A date without a year is its next occurrence that is not before today (a date of
  today counts, even if its time is past). An explicit year is kept as given, past or not.
* A weekday is its next occurrence; today's weekday means today only if the given
  start time is still ahead, otherwise (or with no time) the same day next week.
  "next <weekday>" / "<weekday> prochain" is the next occurrence strictly after today
  (so on a Sunday, "lundi prochain" is tomorrow).
* A time alone ("14h-17h", "noon") is today if still ahead, otherwise tomorrow.
* A range end not after its start ("22h-2h") is on the next day. A duration
  ("pendant 3h", "for 2 hours", "(2h)") is elapsed time, so it is DST-exact.
* Wall-clock times are built in ``tz``: an ambiguous time (autumn) takes its first
  occurrence (fold=0); a non-existent one (spring gap) is shifted forward by the gap
  through a UTC round-trip (02:30 on 2026-03-29 in Europe/Paris gives 03:30+02:00).
* "soir"/"ce soir"/"afternoon" move bare hours 1-11 to the evening ("ce soir 7h" = 19:00).
* Several day indications must agree ("mardi 12/01" needs 12/01 to be a Tuesday).
* Anything unknown (a word that is not a date word, "25h", "31/02", a dangling "14h-")
  gives None rather than a guess. Texts over 200 characters or with control
  characters give None too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["ParsedWhen", "normalize", "parse_when", "weekday_number"]

MAX_LENGTH = 200
_MAX_DURATION = timedelta(hours=24)
_PM = 2  # index of the evening group in the "part" vocabulary


@dataclass(frozen=True, slots=True)
class ParsedWhen:
    """A parsed moment: start, optional end, and whether a time of day was given."""

    start: datetime  # timezone-aware, in tz
    end: datetime | None  # timezone-aware, in tz; None when the text gives no end or duration
    has_time: bool  # False when only a day was given ("samedi", "le 12 décembre")


@dataclass(frozen=True, slots=True)
class _Tok:
    """A token: kind is word, num, ord, time, date, dash, lpar or rpar."""

    kind: str
    word: str = ""
    vals: tuple[int, ...] = ()  # num: (n, digits); time: (h, m); date: (d, m, y or 0)
    mer: str = ""  # "am" / "pm" for times written with a meridiem


@dataclass(frozen=True, slots=True)
class _Clock:
    """A time of day as written; bare means a lone number ("6" in "6-8pm")."""

    hour: int
    minute: int
    mer: str = ""
    bare: bool = False


@dataclass(slots=True)
class _Spec:
    """Everything read from the text, before it is resolved against now."""

    rel: int | None = None  # days from today
    weekday: int | None = None
    strict_next: bool = False
    day: tuple[int, int, int] | None = None  # (day, month, year or 0)
    start: _Clock | None = None
    end: _Clock | None = None
    duration: timedelta | None = None
    part: int = 0  # _PM after "soir", "ce soir", "afternoon"...


_VOCABULARY = """
wd: lundi lun monday mon | mardi mar tuesday tue tues | mercredi mer merc wednesday wed
    | jeudi jeu thursday thu thur thurs | vendredi ven vend friday fri | samedi sam saturday sat
    | dimanche dim sunday sun
month: | janvier janv january jan | fevrier fevr fev february feb | mars march | avril avr april apr
    | mai may | juin june jun | juillet juil july jul | aout august aug
    | septembre sept september sep | octobre october oct | novembre november nov
    | decembre december dec
rel: aujourdhui auj ajd today tonight thismorning thisafternoon
    | demain tomorrow tmrw tmr tomorow tommorow | apresdemain
part: nuit night | matin morning | soir soiree apresmidi aprem afternoon evening
clock: minuit midnight | midi noon
next: prochain prochaine next
conn: a au to till til until jusqua et and
dur: pendant durant pour for during
unit_h: h hr hrs hour hours heure heures
unit_m: min mins minute minutes mn
one: un une an one
fill: le la les l the on of de du d des from at this ce cet cette entre between vers around
    about environ partir starting
"""


def _load_vocabulary(text: str) -> dict[str, tuple[str, int]]:
    """Map each word to (category, index of its "|"-separated group); first one wins."""
    words: dict[str, tuple[str, int]] = {}
    for line in text.replace("\n    ", " ").strip().splitlines():
        cat, _, groups = line.partition(":")
        for index, group in enumerate(groups.split("|")):
            for word in group.split():
                words.setdefault(word, (cat, index))
    return words


# "mar" is Tuesday unless read as March ("12 mar", "Mar 12"): weekdays come first.
_WORDS = _load_vocabulary(_VOCABULARY)
_PM_RELATIVE = {"tonight", "thisafternoon"}

_PHRASES = [
    (re.compile(r"(?<=[0-9])t(?=[0-9])"), " "),  # ISO "2026-12-12T09:00"
    (re.compile(r"apres[\s-]*demain|day after tomorrow"), " apresdemain "),
    (re.compile(r"apres[\s-]*midi"), " apresmidi "),
    (re.compile(r"aujourd\s*'?\s*hui"), " aujourdhui "),
    (re.compile(r"jusqu\s*'?\s*(?:a|au)\b"), " jusqua "),
    (re.compile(r"\b(?:ce soir|this evening)\b"), " tonight "),
    (re.compile(r"\b(?:ce matin|this morning)\b"), " thismorning "),
    (re.compile(r"\b(?:cet apresmidi|cet aprem|this afternoon)\b"), " thisafternoon "),
]
_TOKEN_RE = re.compile(
    r"""
     (?P<iso>(?<![0-9])[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?![0-9]))
    |(?P<ampm>(?<![0-9])[0-9]{1,2}(?:[:h.][0-9]{2})?\s?[ap]\.?m\b\.?)
    |(?P<date>(?<![0-9])[0-9]{1,2}[/.][0-9]{1,2}(?:[/.](?:[0-9]{4}|[0-9]{2}))?(?![0-9]))
    |(?P<hm>(?<![0-9])[0-9]{1,2}\s?h(?:[0-9]{2})?(?![0-9a-z]))
    |(?P<colon>(?<![0-9])[0-9]{1,2}:[0-9]{2}(?![0-9]))
    |(?P<ord>(?<![0-9])[0-9]{1,2}(?:eme|er|re|e|st|nd|rd|th)(?![a-z]))
    |(?P<num>[0-9]+)
    |(?P<word>[^\W\d_]+)
    |(?P<dash>[-\u2010-\u2015\u2212])
    |(?P<lpar>[(\[])
    |(?P<rpar>[)\]])
    |(?P<skip>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def weekday_number(word: str) -> int | None:
    """0 for Monday ... 6 for Sunday, for a weekday word of the reader's vocabulary
    (French or English, full or short: "sam", "saturday"), as `normalize` spells it."""
    found = _WORDS.get(word)
    return found[1] if found is not None and found[0] == "wd" else None


def normalize(text: str) -> str | None:
    """Lower-case, strip accents and join multi-word phrases ("apres-midi" -> "apresmidi"),
    as the reader sees text; None for unsafe text (control characters, too long)."""
    return _normalize(text)


def _normalize(text: str) -> str | None:
    """Lower-case, strip accents and join multi-word phrases; None for unsafe text."""
    controls = any(unicodedata.category(c) == "Cc" and not c.isspace() for c in text)
    if controls or len(text) > MAX_LENGTH:
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    out = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    out = re.sub(r"[’‘`´]", "'", out).replace("@", " at ")
    for pattern, repl in _PHRASES:
        out = pattern.sub(repl, out)
    return out


def _ints(s: str) -> list[int]:
    return [int(x) for x in re.findall(r"[0-9]+", s)]


def _make_token(kind: str, s: str) -> _Tok | None:
    """Build one token from a regex match; None when it is invalid."""
    if kind in ("iso", "date"):
        n = _ints(s)
        d, m, y = (n[2], n[1], n[0]) if kind == "iso" else (n[0], n[1], n[2] if len(n) > 2 else 0)
        return _Tok("date", vals=(d, m, y + 2000 if 0 < y < 100 else y))
    if kind in ("ampm", "hm", "colon"):
        n = [*_ints(s), 0]
        mer = ("am" if "a" in s else "pm") if kind == "ampm" else ""
        ok = 1 <= n[0] <= 12 if mer else n[0] <= 23
        return _Tok("time", vals=(n[0], n[1]), mer=mer) if ok and n[1] <= 59 else None
    if kind in ("ord", "num"):
        digits = re.sub(r"[^0-9]", "", s)
        return _Tok(kind, vals=(int(digits), len(digits)))
    if kind == "word":
        return _Tok("word", word=s) if s in _WORDS else None
    return _Tok(kind)


def _tokenize(text: str) -> list[_Tok] | None:
    """Split normalized text into tokens; None on any unknown word or invalid time."""
    toks: list[_Tok] = []
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup or "skip"
        if kind == "skip":
            continue
        tok = _make_token(kind, match.group())
        if tok is None:
            return None
        toks.append(tok)
    return toks


_END = _Tok("end")


def _at(toks: list[_Tok], i: int) -> _Tok:
    """Token ``i``, or an "end" token past the end."""
    return toks[i] if i < len(toks) else _END


def _cat(toks: list[_Tok], i: int) -> str:
    """Category of the word at ``i`` ("" for other tokens)."""
    tok = _at(toks, i)
    return _WORDS[tok.word][0] if tok.kind == "word" else ""


def _is_link(toks: list[_Tok], i: int) -> bool:
    """True when token ``i`` joins the two times of a range ("-", "à", "to"...)."""
    return _at(toks, i).kind == "dash" or _cat(toks, i) == "conn"


def _day_number(tok: _Tok) -> int | None:
    return tok.vals[0] if tok.kind in ("num", "ord") and tok.vals[1] <= 2 else None


def _month(tok: _Tok) -> int | None:
    if tok.word == "mar":
        return 3
    return _WORDS[tok.word][1] if tok.kind == "word" and _WORDS[tok.word][0] == "month" else None


def _read_day_month(toks: list[_Tok], i: int) -> tuple[tuple[int, int, int], int] | None:
    """Read "12 décembre [2026]", "the 1st of May" or "Dec 12th [2026]" at ``i``."""
    day = _day_number(toks[i])
    if day is not None:
        j = i + 2 if _at(toks, i + 1).word == "of" else i + 1
        month = _month(_at(toks, j))
    else:
        month, day, j = _month(toks[i]), _day_number(_at(toks, i + 1)), i + 1
        if toks[i].word == "mar" and (_is_link(toks, j + 1) or _cat(toks, j + 1) == "unit_h"):
            return None  # "mar 9-12h" is Tuesday
    if month is None or day is None:
        return None
    year = _at(toks, j + 1)
    if year.kind == "num" and year.vals[1] == 4:
        return (day, month, year.vals[0]), j + 2
    return (day, month, 0), j + 1


def _read_clock(toks: list[_Tok], i: int, allow_bare: bool) -> tuple[_Clock, int] | None:
    """Read a time of day at ``i``: "14h30", "6pm", "midi", "14 heures", or a bare hour."""
    tok = _at(toks, i)
    if tok.kind == "time":
        return _Clock(tok.vals[0], tok.vals[1], tok.mer), i + 1
    if _cat(toks, i) == "clock":
        return _Clock(12 * _WORDS[tok.word][1], 0), i + 1
    if tok.kind != "num" or tok.vals[1] > 2 or tok.vals[0] > 23:
        return None
    if _cat(toks, i + 1) == "unit_h":
        minute = _at(toks, i + 2)
        if minute.kind == "num" and minute.vals[1] == 2 and minute.vals[0] <= 59:
            return _Clock(tok.vals[0], minute.vals[0]), i + 3
        return _Clock(tok.vals[0], 0), i + 2
    return (_Clock(tok.vals[0], 0, bare=True), i + 1) if allow_bare else None


def _read_range(toks: list[_Tok], i: int, spec: _Spec) -> int | None:
    """Read "14h", "14h-17h", "de 9 à 12h", "6-8pm" at ``i`` into ``spec``."""
    got = _read_clock(toks, i, allow_bare=True)
    if got is None or spec.start is not None:
        return None
    start, j = got
    if start.bare and i > 0 and toks[i - 1].word in ("le", "the", "on"):
        return None  # "le 12 à 9h" is a day of month, not a range
    end = None
    if _is_link(toks, j):
        got = _read_clock(toks, j + 1, allow_bare=not start.bare)
        if got is None:
            return None
        end, j = got
        if start.bare and not end.mer and start.hour >= end.hour:
            return None  # "12 à 9h": a bare-number range never crosses midnight
    elif start.bare:
        return None
    spec.start, spec.end = start, end
    return j


def _read_duration(toks: list[_Tok], i: int) -> tuple[timedelta, int] | None:
    """Read "3h", "2h30", "2 hours", "90 min", "an hour", "2 h 30 min" at ``i``."""
    tok = _at(toks, i)
    if tok.kind == "time" and not tok.mer:
        length, j = timedelta(hours=tok.vals[0], minutes=tok.vals[1]), i + 1
    else:
        count = tok.vals[0] if tok.kind == "num" else 1 if _cat(toks, i) == "one" else None
        unit = _cat(toks, i + 1)
        if count is None or unit not in ("unit_h", "unit_m"):
            return None
        length, j = timedelta(hours=count) if unit == "unit_h" else timedelta(minutes=count), i + 2
        extra = _at(toks, j)
        if unit == "unit_h" and extra.kind == "num" and extra.vals[0] <= 59:
            length += timedelta(minutes=extra.vals[0])
            j += 2 if _cat(toks, j + 1) == "unit_m" else 1
    return (length, j) if timedelta(0) < length <= _MAX_DURATION else None


def _read_word(toks: list[_Tok], i: int, spec: _Spec) -> int | None:
    """Handle the word at ``i`` (weekday, relative day, filler, duration...)."""
    cat, value = _WORDS[toks[i].word]
    if cat == "wd" or cat == "next":
        strict = cat == "next" or _cat(toks, i + 1) == "next"
        wd_at = i + 1 if cat == "next" else i
        if _cat(toks, wd_at) != "wd" or spec.weekday is not None:
            return None
        spec.weekday, spec.strict_next = _WORDS[toks[wd_at].word][1], strict
        return wd_at + (2 if strict and cat == "wd" else 1)
    if cat == "rel":
        if spec.rel is not None:
            return None
        spec.rel = value
        spec.part = _PM if toks[i].word in _PM_RELATIVE else spec.part
    elif cat == "part":
        spec.part = value or spec.part
    elif cat == "clock":
        return _read_range(toks, i, spec)
    elif cat == "dur" and spec.duration is None and (got := _read_duration(toks, i + 1)):
        spec.duration = got[0]
        return got[1]
    elif cat not in ("fill", "conn", "dur"):
        return None
    return i + 1


def _step(toks: list[_Tok], i: int, spec: _Spec) -> int | None:
    """Consume what starts at token ``i``; return the next index or None on failure."""
    tok = toks[i]
    day_month = _read_day_month(toks, i)
    if tok.kind == "date":
        day_month = (tok.vals[0], tok.vals[1], tok.vals[2]), i + 1
    if day_month is not None:
        if spec.day is not None:
            return None
        spec.day = day_month[0]
        return day_month[1]
    if tok.kind in ("time", "num"):
        return _read_range(toks, i, spec)
    if tok.kind == "lpar":
        got = _read_duration(toks, i + 1)
        if got and spec.start and spec.duration is None and _at(toks, got[1]).kind == "rpar":
            spec.duration = got[0]
            return got[1] + 1
    if tok.kind in ("lpar", "rpar", "dash"):
        return i + 1
    return _read_word(toks, i, spec) if tok.kind == "word" else None


def _to24(hour: int, minute: int, mer: str) -> tuple[int, int]:
    """Convert a 12-hour clock (hour 1-12) to 24-hour; identity without meridiem."""
    return (hour % 12 + (12 if mer == "pm" else 0), minute) if mer else (hour, minute)


def _clock_pair(spec: _Spec, start: _Clock) -> tuple[tuple[int, int], tuple[int, int] | None]:
    """24-hour start and end, applying "6-8pm" inheritance and "ce soir 7h" shifts."""
    end = spec.end
    s = _to24(start.hour, start.minute, start.mer)
    e = _to24(end.hour, end.minute, end.mer) if end else None
    if end and e is not None and end.mer and not start.mer and 1 <= start.hour <= 12:
        s = _to24(start.hour, start.minute, end.mer)
        if s > e:
            s = _to24(start.hour, start.minute, "am" if end.mer == "pm" else "pm")
    elif spec.part == _PM and not start.mer and 1 <= start.hour <= 11:
        s = (start.hour + 12, start.minute)
        if end and e is not None and not end.mer and start.hour < end.hour <= 11:
            e = (end.hour + 12, end.minute)
    return s, e


def _aware(day: date, hm: tuple[int, int], tz: ZoneInfo) -> datetime:
    """Wall-clock time in ``tz``; gap times move forward through a UTC round-trip."""
    local = datetime(day.year, day.month, day.day, hm[0], hm[1], tzinfo=tz)
    return local.astimezone(UTC).astimezone(tz)


def _safe_date(year: int, month: int, day: int) -> date | None:
    if not 1970 <= year <= 2200:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _calendar_date(dmy: tuple[int, int, int], today: date) -> date | None:
    """The given date, or its next occurrence from today when the year is missing."""
    d, m, y = dmy
    if y:
        return _safe_date(y, m, d)
    if _safe_date(2000, m, d) is None:  # 2000 is a leap year: rejects 31/02 but not 29/02
        return None
    for year in range(today.year, today.year + 9):
        found = _safe_date(year, m, d)
        if found is not None and found >= today:
            return found
    return None


def _resolve_day(spec: _Spec, today: date, ahead: bool) -> date | None:
    """Pick the day meant; ``ahead`` tells if the start time is still to come today."""
    days = [] if spec.rel is None else [today + timedelta(days=spec.rel)]
    if spec.day is not None:
        found = _calendar_date(spec.day, today)
        if found is None:
            return None
        days.append(found)
    if days:
        if any(d != days[0] for d in days) or spec.weekday not in (None, days[0].weekday()):
            return None
        return days[0]
    if spec.weekday is not None:
        delta = (spec.weekday - today.weekday()) % 7
        if delta == 0 and (spec.strict_next or not ahead):
            delta = 7
        return today + timedelta(days=delta)
    if spec.start is None:
        return None
    return today if ahead else today + timedelta(days=1)


def _build(spec: _Spec, now: datetime, tz: ZoneInfo) -> ParsedWhen | None:
    """Turn a parsed spec into aware datetimes."""
    if spec.start is None:
        day = None if spec.duration else _resolve_day(spec, now.date(), False)
        return None if day is None else ParsedWhen(_aware(day, (0, 0), tz), None, False)
    if spec.end is not None and spec.duration is not None:
        return None
    s, e = _clock_pair(spec, spec.start)
    ahead = _aware(now.date(), s, tz).timestamp() > now.timestamp()
    day = _resolve_day(spec, now.date(), ahead)
    if day is None:
        return None
    start = _aware(day, s, tz)
    end = None
    if e is not None:
        end = _aware(day if e > s else day + timedelta(days=1), e, tz)
    elif spec.duration is not None:
        end = (start.astimezone(UTC) + spec.duration).astimezone(tz)
    return ParsedWhen(start, end, True)


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> ParsedWhen | None:
    """Parse a French or English date/time phrase relative to `now` (aware) in `tz`; None when not understood.

    Numeric dates are read day/month ("12/01" is 12 January). Raises ValueError if
    ``now`` is naive.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    normalized = _normalize(text)
    toks = _tokenize(normalized) if normalized is not None else None
    if not toks:
        return None
    spec = _Spec()
    i = 0
    while i < len(toks):
        nxt = _step(toks, i, spec)
        if nxt is None:
            return None
        i = nxt
    return _build(spec, now.astimezone(tz), tz)
