"""Table-driven tests for bot.when.parse_when (French and English date/time phrases)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.when import ParsedWhen, parse_when

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")

# Reference "now": Sunday 29 November 2026, 10:00 in Paris.
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=PARIS)

Day = tuple[int, int, int]
TODAY: Day = (2026, 11, 29)  # Sunday
MON: Day = (2026, 11, 30)
TUE: Day = (2026, 12, 1)
WED: Day = (2026, 12, 2)
THU: Day = (2026, 12, 3)
FRI: Day = (2026, 12, 4)
SAT: Day = (2026, 12, 5)
SUN: Day = (2026, 12, 6)  # next Sunday
D12: Day = (2026, 12, 12)  # Saturday 12 December


def at(day: Day, hour: int, minute: int = 0, tz: ZoneInfo = PARIS) -> datetime:
    """Expected wall-clock datetime in ``tz``."""
    return datetime(day[0], day[1], day[2], hour, minute, tzinfo=tz)


def check(result: ParsedWhen | None, start: datetime, end: datetime | None) -> None:
    """Assert exact instants and exact wall-clock/offset rendering."""
    assert result is not None
    assert result.start == start
    assert result.start.isoformat() == start.isoformat()
    if end is None:
        assert result.end is None
    else:
        assert result.end is not None
        assert result.end == end
        assert result.end.isoformat() == end.isoformat()


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Real elapsed time (same-zone subtraction in Python ignores DST offsets)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


# (text, expected start, expected end or None); all with a time of day.
TIMED: list[tuple[str, datetime, datetime | None]] = [
    # --- French: weekday + range -------------------------------------------------------
    ("samedi 14h-17h", at(SAT, 14), at(SAT, 17)),
    ("samedi 14h à 17h", at(SAT, 14), at(SAT, 17)),
    ("samedi de 14h à 17h", at(SAT, 14), at(SAT, 17)),
    ("Samedi 14h - 17h", at(SAT, 14), at(SAT, 17)),
    ("SAMEDI 14H-17H", at(SAT, 14), at(SAT, 17)),
    ("samedi 14h00-17h00", at(SAT, 14), at(SAT, 17)),
    ("samedi, 14h–17h", at(SAT, 14), at(SAT, 17)),
    ("samedi 14 h - 17 h", at(SAT, 14), at(SAT, 17)),
    ("samedi 14h a 17h", at(SAT, 14), at(SAT, 17)),
    ("samedi du 14h au 17h", at(SAT, 14), at(SAT, 17)),
    ("samedi entre 14h et 17h", at(SAT, 14), at(SAT, 17)),
    ("samedi 14h jusqu'à 17h", at(SAT, 14), at(SAT, 17)),
    ("samedi 14h jusqu’a 17h", at(SAT, 14), at(SAT, 17)),
    ("samedi de 9 à 12h", at(SAT, 9), at(SAT, 12)),
    ("samedi 9-12h", at(SAT, 9), at(SAT, 12)),
    ("samedi 14h-17", at(SAT, 14), at(SAT, 17)),
    ("samedi 14h30-16h45", at(SAT, 14, 30), at(SAT, 16, 45)),
    ("le samedi 14h", at(SAT, 14), None),
    ("à partir de 14h samedi", at(SAT, 14), None),
    ("samedi vers 14h", at(SAT, 14), None),
    ("samedi dès 14h", at(SAT, 14), None),
    ("samedi @ 14h", at(SAT, 14), None),
    ("ce samedi 10h", at(SAT, 10), None),
    ("samedi soir 8h", at(SAT, 20), None),
    ("samedi matin 9h", at(SAT, 9), None),
    ("samedi 22h-2h", at(SAT, 22), at(SUN, 2)),
    ("samedi 18h-6h", at(SAT, 18), at(SUN, 6)),
    ("samedi 20h-20h", at(SAT, 20), at(SUN, 20)),
    # --- French: single times, spacing, punctuation ----------------------------------
    ("sam. 14h", at(SAT, 14), None),
    ("sam 14h30", at(SAT, 14, 30), None),
    ("SAMEDI 14H30", at(SAT, 14, 30), None),
    ("samedi à 14h30", at(SAT, 14, 30), None),
    ("samedi 14:30", at(SAT, 14, 30), None),
    ("samedi 14 heures", at(SAT, 14), None),
    ("samedi à 14 heures 30", at(SAT, 14, 30), None),
    ("samedi 14h.", at(SAT, 14), None),
    ("samedi 14h !", at(SAT, 14), None),
    ("  samedi    14h  ", at(SAT, 14), None),
    ("samedi\t14h\n", at(SAT, 14), None),
    ("samedi\u00a014h", at(SAT, 14), None),
    ("samedi 🎉 14h", at(SAT, 14), None),
    # --- French: other weekdays ----------------------------------------------------------
    ("dim 10h-12h", at(SUN, 10), at(SUN, 12)),  # 10:00 is not strictly ahead of now
    ("dimanche 14h", at(TODAY, 14), None),
    ("dimanche 10h01", at(TODAY, 10, 1), None),
    ("dimanche 9h", at(SUN, 9), None),
    ("dimanche matin 9h", at(SUN, 9), None),
    ("dimanche prochain 14h", at(SUN, 14), None),
    ("lundi 10h", at(MON, 10), None),
    ("lun 10h", at(MON, 10), None),
    ("lundi prochain 10h", at(MON, 10), None),
    ("mardi prochain 18h", at(TUE, 18), None),
    ("mar 18h", at(TUE, 18), None),
    ("mar. 9h-12h", at(TUE, 9), at(TUE, 12)),
    ("mar 9-12h", at(TUE, 9), at(TUE, 12)),
    ("mercredi 15h", at(WED, 15), None),
    ("mer 15h", at(WED, 15), None),
    ("merc 15h", at(WED, 15), None),
    ("jeudi 20h30", at(THU, 20, 30), None),
    ("jeu 8h", at(THU, 8), None),
    ("vendredi 19h-23h", at(FRI, 19), at(FRI, 23)),
    ("ven 19h", at(FRI, 19), None),
    ("vend. 19h", at(FRI, 19), None),
    # --- French: relative days -----------------------------------------------------------
    ("demain 18h30", at(MON, 18, 30), None),
    ("demain à 18h30", at(MON, 18, 30), None),
    ("Demain 18H30", at(MON, 18, 30), None),
    ("demain a 18h30", at(MON, 18, 30), None),
    ("demain 18:30", at(MON, 18, 30), None),
    ("demain midi", at(MON, 12), None),
    ("demain minuit", at(MON, 0), None),
    ("demain midi-14h", at(MON, 12), at(MON, 14)),
    ("demain 22h-minuit", at(MON, 22), at(TUE, 0)),
    ("demain matin 9h", at(MON, 9), None),
    ("demain après-midi 3h-5h", at(MON, 15), at(MON, 17)),
    ("l'après-midi de demain 15h", at(MON, 15), None),
    ("demain 30/11 10h", at(MON, 10), None),
    ("aujourd'hui 20h", at(TODAY, 20), None),
    ("aujourdhui 20h", at(TODAY, 20), None),
    ("aujourd’hui à 20h", at(TODAY, 20), None),
    ("AUJOURD'HUI 20H", at(TODAY, 20), None),
    ("auj 20h", at(TODAY, 20), None),
    ("ce soir 19h", at(TODAY, 19), None),
    ("ce soir 7h", at(TODAY, 19), None),
    ("ce soir 19h-22h", at(TODAY, 19), at(TODAY, 22)),
    ("ce soir de 7h à 11h", at(TODAY, 19), at(TODAY, 23)),
    ("ce soir 21h-2h", at(TODAY, 21), at(MON, 2)),
    ("cet après-midi 3h", at(TODAY, 15), None),
    ("après-demain 9h", at(TUE, 9), None),
    ("apres-demain 9h", at(TUE, 9), None),
    ("après demain 9h", at(TUE, 9), None),
    ("APRES-DEMAIN 9H", at(TUE, 9), None),
    # --- French: day + month names -------------------------------------------------------
    ("le 12 décembre à 9h", at(D12, 9), None),
    ("12 décembre 9h-12h", at(D12, 9), at(D12, 12)),
    ("le 12 decembre 9h", at(D12, 9), None),
    ("12 DECEMBRE 9H", at(D12, 9), None),
    ("le 12 déc. 9h", at(D12, 9), None),
    ("12 dec 9h", at(D12, 9), None),
    ("le 3 janvier 2027 de 9h à 12h30", at((2027, 1, 3), 9), at((2027, 1, 3), 12, 30)),
    ("3 janv 9h", at((2027, 1, 3), 9), None),
    ("le 1er février 10h", at((2027, 2, 1), 10), None),
    ("le 1er fevrier 10h", at((2027, 2, 1), 10), None),
    ("1er févr. 10h", at((2027, 2, 1), 10), None),
    ("le 2 mars 14h", at((2027, 3, 2), 14), None),
    ("2 mar 14h", at((2027, 3, 2), 14), None),
    ("15 avril 10h", at((2027, 4, 15), 10), None),
    ("15 avr 10h", at((2027, 4, 15), 10), None),
    ("1er mai 9h", at((2027, 5, 1), 9), None),
    ("21 juin 18h-23h", at((2027, 6, 21), 18), at((2027, 6, 21), 23)),
    ("14 juillet 22h", at((2027, 7, 14), 22), None),
    ("14 juil 22h", at((2027, 7, 14), 22), None),
    ("15 août 10h", at((2027, 8, 15), 10), None),
    ("15 aout 10h", at((2027, 8, 15), 10), None),
    ("12 septembre 9h", at((2027, 9, 12), 9), None),
    ("12 sept 9h", at((2027, 9, 12), 9), None),
    ("31 octobre 20h", at((2027, 10, 31), 20), None),
    ("30 novembre 9h", at(MON, 9), None),
    ("29 novembre 9h", at(TODAY, 9), None),  # today's date is kept even if the hour is past
    ("28 novembre 9h", at((2027, 11, 28), 9), None),
    ("lundi 30 novembre 10h", at(MON, 10), None),
    # --- Numeric dates (day/month) ------------------------------------------------------
    ("mardi 12/01 14h", at((2027, 1, 12), 14), None),
    ("12/12 9:00-12:00", at(D12, 9), at(D12, 12)),
    ("12/12/2026 9h", at(D12, 9), None),
    ("12/12/26 9h", at(D12, 9), None),
    ("12.12 9h", at(D12, 9), None),
    ("12.12.2026 9h", at(D12, 9), None),
    ("2026-12-12 09:00", at(D12, 9), None),
    ("2026-12-12T09:00", at(D12, 9), None),
    ("2026-12-12 9h-12h", at(D12, 9), at(D12, 12)),
    ("12/01 14h", at((2027, 1, 12), 14), None),
    ("01/12 14h", at(TUE, 14), None),
    ("1/12 14h", at(TUE, 14), None),
    ("29/02 10h", at((2028, 2, 29), 10), None),
    ("le 12/12 de 9h à 12h", at(D12, 9), at(D12, 12)),
    ("samedi 12/12 10h", at(D12, 10), None),
    ("samedi 5/12 10h", at(SAT, 10), None),
    ("12/12, 9h", at(D12, 9), None),
    # --- Durations -------------------------------------------------------------------------
    ("samedi 14h pendant 3h", at(SAT, 14), at(SAT, 17)),
    ("samedi 14h pendant 2h30", at(SAT, 14), at(SAT, 16, 30)),
    ("samedi 14h pendant 90 min", at(SAT, 14), at(SAT, 15, 30)),
    ("samedi 14h durant 2 heures", at(SAT, 14), at(SAT, 16)),
    ("pendant 2 heures samedi 14h", at(SAT, 14), at(SAT, 16)),
    ("demain 9h (2h)", at(MON, 9), at(MON, 11)),
    ("demain 9h (1h30)", at(MON, 9), at(MON, 10, 30)),
    ("demain 9h pour 1 heure", at(MON, 9), at(MON, 10)),
    ("demain 9h pendant une heure", at(MON, 9), at(MON, 10)),
    ("demain 22h pendant 4h", at(MON, 22), at(TUE, 2)),
    # --- Time only: today if still ahead, else tomorrow ------------------------------
    ("14h-17h", at(TODAY, 14), at(TODAY, 17)),
    ("de 14h à 17h", at(TODAY, 14), at(TODAY, 17)),
    ("9h-12h", at(MON, 9), at(MON, 12)),
    ("9h", at(MON, 9), None),
    ("midi", at(TODAY, 12), None),
    ("minuit", at(MON, 0), None),
    ("22h-2h", at(TODAY, 22), at(MON, 2)),
    ("23h-1h", at(TODAY, 23), at(MON, 1)),
    # --- English ----------------------------------------------------------------------------
    ("next Tuesday 6pm", at(TUE, 18), None),
    ("next tue 6pm", at(TUE, 18), None),
    ("tuesday 6-8pm", at(TUE, 18), at(TUE, 20)),
    ("Tuesday 6 - 8 pm", at(TUE, 18), at(TUE, 20)),
    ("tues 6pm", at(TUE, 18), None),
    ("tomorrow 2pm-5pm", at(MON, 14), at(MON, 17)),
    ("tomorrow 2-5pm", at(MON, 14), at(MON, 17)),
    ("tomorrow 2 pm - 5 pm", at(MON, 14), at(MON, 17)),
    ("tomorrow at 9:30am", at(MON, 9, 30), None),
    ("tomorrow at 9:30 a.m.", at(MON, 9, 30), None),
    ("Tomorrow @ 9:30AM", at(MON, 9, 30), None),
    ("tomorrow 9:30", at(MON, 9, 30), None),
    ("tomorrow noon", at(MON, 12), None),
    ("tomorrow midnight", at(MON, 0), None),
    ("tmrw 9am", at(MON, 9), None),
    ("day after tomorrow 9am", at(TUE, 9), None),
    ("today 18:00", at(TODAY, 18), None),
    ("today at 6pm", at(TODAY, 18), None),
    ("tonight 7pm", at(TODAY, 19), None),
    ("tonight 7:30pm-10pm", at(TODAY, 19, 30), at(TODAY, 22)),
    ("this evening 8pm", at(TODAY, 20), None),
    ("this afternoon 3pm", at(TODAY, 15), None),
    ("Dec 12 9am", at(D12, 9), None),
    ("December 12th 9:00-12:00", at(D12, 9), at(D12, 12)),
    ("December 12th, 9am", at(D12, 9), None),
    ("12 Dec 2026 10am", at(D12, 10), None),
    ("12th December 2026 10am", at(D12, 10), None),
    ("the 12th of December at 10am", at(D12, 10), None),
    ("Jan 3rd 2027 9am-12pm", at((2027, 1, 3), 9), at((2027, 1, 3), 12)),
    ("Feb 1st 10am", at((2027, 2, 1), 10), None),
    ("March 2nd 2pm", at((2027, 3, 2), 14), None),
    ("Mar 2 2pm", at((2027, 3, 2), 14), None),
    ("Apr 15 10am", at((2027, 4, 15), 10), None),
    ("May 1 9am", at((2027, 5, 1), 9), None),
    ("June 21 6pm", at((2027, 6, 21), 18), None),
    ("Sept 12 9am", at((2027, 9, 12), 9), None),
    ("Sep 12 9am", at((2027, 9, 12), 9), None),
    ("Oct 31 8pm", at((2027, 10, 31), 20), None),
    ("Nov 30 9am", at(MON, 9), None),
    ("Saturday 2:30pm to 5pm", at(SAT, 14, 30), at(SAT, 17)),
    ("saturday 14:00-17:00", at(SAT, 14), at(SAT, 17)),
    ("Saturday from 2pm to 5pm", at(SAT, 14), at(SAT, 17)),
    ("from 2pm to 5pm on Saturday", at(SAT, 14), at(SAT, 17)),
    ("between 2pm and 5pm on saturday", at(SAT, 14), at(SAT, 17)),
    ("on Saturday at 2pm", at(SAT, 14), None),
    ("sat 2pm", at(SAT, 14), None),
    ("sat. 2pm-4pm", at(SAT, 14), at(SAT, 16)),
    ("saturday 2pm for 2 hours", at(SAT, 14), at(SAT, 16)),
    ("saturday 2pm for 90 minutes", at(SAT, 14), at(SAT, 15, 30)),
    ("saturday 2pm for an hour", at(SAT, 14), at(SAT, 15)),
    ("saturday 2pm (3 hours)", at(SAT, 14), at(SAT, 17)),
    ("saturday 2pm for 1 hour 30", at(SAT, 14), at(SAT, 15, 30)),
    ("saturday 10pm-2am", at(SAT, 22), at(SUN, 2)),
    ("saturday 9:00-5pm", at(SAT, 9), at(SAT, 17)),
    ("sunday 2pm", at(TODAY, 14), None),
    ("sunday 9am", at(SUN, 9), None),
    ("next sunday 2pm", at(SUN, 14), None),
    ("monday 10am", at(MON, 10), None),
    ("mon 10am", at(MON, 10), None),
    ("wednesday 3pm", at(WED, 15), None),
    ("wed 3pm", at(WED, 15), None),
    ("thursday 8:30pm", at(THU, 20, 30), None),
    ("thu 8:30pm", at(THU, 20, 30), None),
    ("thurs 8:30pm", at(THU, 20, 30), None),
    ("friday 7pm-11pm", at(FRI, 19), at(FRI, 23)),
    ("fri 7-11pm", at(FRI, 19), at(FRI, 23)),
    ("noon", at(TODAY, 12), None),
    ("midnight", at(MON, 0), None),
    ("noon-2pm", at(TODAY, 12), at(TODAY, 14)),
    ("11-1pm", at(TODAY, 11), at(TODAY, 13)),
    ("12pm", at(TODAY, 12), None),
    ("12am", at(MON, 0), None),
    ("9.30pm", at(TODAY, 21, 30), None),
]

# (text, expected day start) for phrases without a time of day.
DAY_ONLY: list[tuple[str, datetime]] = [
    ("samedi", at(SAT, 0)),
    ("Samedi.", at(SAT, 0)),
    ("le 12 décembre", at(D12, 0)),
    ("dimanche", at(SUN, 0)),  # today's weekday without a time: next week
    ("demain", at(MON, 0)),
    ("aujourd'hui", at(TODAY, 0)),
    ("après-demain", at(TUE, 0)),
    ("12/12", at(D12, 0)),
    ("Dec 12th", at(D12, 0)),
    ("next monday", at(MON, 0)),
    ("lundi prochain", at(MON, 0)),
    ("2027-01-03", at((2027, 1, 3), 0)),
    ("samedi soir", at(SAT, 0)),
    ("tomorrow", at(MON, 0)),
    ("12 mar", at((2027, 3, 12), 0)),
]

NOT_UNDERSTOOD: list[str] = [
    "",
    "   ",
    "n'importe quand",
    "banane",
    "banane 14h",
    "32/13",
    "25h",
    "demain 14h-",
    "lundi 14h70",
    "x" * 5000,
    "demain 14h " + "a" * 5000,
    "\x00\x01\x02",
    "demain\x0014h",
    "🎉🎉🎉",
    "🙂",
    "31/02 10h",
    "31/04",
    "30/02/2028",
    "demain 24h",
    "samedi 14h-25h",
    "13pm",
    "0am",
    "9-12",
    "samedi 14",
    "tonight 7",
    "le 12 à 9h",
    "samedi 12 à 9h",
    "samedi dimanche 14h",
    "lundi 12/01 14h",  # 12/01 (2027) is a Tuesday
    "demain 12/12 9h",
    "demain 14h 15h",
    "samedi 8h-12h, 14h",
    "14h à",
    "samedi 2:30pm to",
    "décembre 9h",
    "juin 2027",
    "next week",
    "la semaine prochaine",
    "prochain",
    "pendant 3h",
    "samedi pendant 3h",
    "demain 9h pendant 30h",
    "demain 9h pendant 25 heures",
    "12/12/1800 9h",
    "demain 9h (2h) (3h)",
    "demain 9h pendant 2h pendant 3h",
    "demain 14h-17h-18h",
    "hier 14h",
    "yesterday 2pm",
    "demain 14h au local",
    "9:60",
    "mission samedi 14h",
    "samedi 14h pendant 3h et 17h",
    "Привет 14h",
    "١٢/١٢ ٩h",
]


@pytest.mark.parametrize(("text", "start", "end"), TIMED)
def test_timed_phrases(text: str, start: datetime, end: datetime | None) -> None:
    result = parse_when(text, NOW, PARIS)
    check(result, start, end)
    assert result is not None and result.has_time is True


@pytest.mark.parametrize(("text", "start"), DAY_ONLY)
def test_day_only_phrases(text: str, start: datetime) -> None:
    result = parse_when(text, NOW, PARIS)
    check(result, start, None)
    assert result is not None and result.has_time is False


@pytest.mark.parametrize("text", NOT_UNDERSTOOD)
def test_not_understood_returns_none(text: str) -> None:
    assert parse_when(text, NOW, PARIS) is None


def test_tables_are_large_enough() -> None:
    assert len(TIMED) + len(DAY_ONLY) >= 150
    assert len(NOT_UNDERSTOOD) >= 25
    assert len({t for t, _, _ in TIMED}) == len(TIMED)


# Other reference "now" values: (now, text, expected start, expected end).
SAT_AFTERNOON = datetime(2026, 12, 5, 15, 0, tzinfo=PARIS)
NEW_YEAR_EVE = datetime(2026, 12, 31, 23, 30, tzinfo=PARIS)
UTC_LATE = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # already Monday 00:30 in Paris
OTHER_NOWS: list[tuple[datetime, str, datetime, datetime | None]] = [
    (SAT_AFTERNOON, "samedi 14h-17h", at(D12, 14), at(D12, 17)),
    (SAT_AFTERNOON, "samedi 16h", at(SAT, 16), None),
    (SAT_AFTERNOON, "samedi prochain 16h", at(D12, 16), None),
    (SAT_AFTERNOON, "5/12 9h", at(SAT, 9), None),
    (SAT_AFTERNOON, "14h", at(SUN, 14), None),
    (SAT_AFTERNOON, "16h-18h", at(SAT, 16), at(SAT, 18)),
    (SAT_AFTERNOON, "dimanche 10h", at(SUN, 10), None),
    (NEW_YEAR_EVE, "demain 10h", at((2027, 1, 1), 10), None),
    (NEW_YEAR_EVE, "1er janvier 10h", at((2027, 1, 1), 10), None),
    (NEW_YEAR_EVE, "31/12 23h", at((2026, 12, 31), 23), None),
    (NEW_YEAR_EVE, "minuit", at((2027, 1, 1), 0), None),
    (NEW_YEAR_EVE, "vendredi 9h", at((2027, 1, 1), 9), None),
    (UTC_LATE, "demain 9h", at(TUE, 9), None),
    (UTC_LATE, "aujourd'hui 20h", at(MON, 20), None),
    (UTC_LATE, "lundi 9h", at(MON, 9), None),
]


@pytest.mark.parametrize(("now", "text", "start", "end"), OTHER_NOWS)
def test_other_reference_times(
    now: datetime, text: str, start: datetime, end: datetime | None
) -> None:
    check(parse_when(text, now, PARIS), start, end)


def test_other_timezone() -> None:
    now = datetime(2026, 11, 29, 10, 0, tzinfo=NEW_YORK)
    result = parse_when("tomorrow 2pm-5pm", now, NEW_YORK)
    check(result, at(MON, 14, tz=NEW_YORK), at(MON, 17, tz=NEW_YORK))
    assert result is not None and result.start.utcoffset() == timedelta(hours=-5)
    assert result.start.tzinfo is NEW_YORK


# --- Explicit past dates are returned as given -------------------------------------------
@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("12/12/2020 9h", at((2020, 12, 12), 9)),
        ("2025-01-01 10:00", at((2025, 1, 1), 10)),
        ("3 janvier 2026 10h", at((2026, 1, 3), 10)),
        ("Nov 28 2026 9am", at((2026, 11, 28), 9)),
    ],
)
def test_past_explicit_date_is_kept(text: str, start: datetime) -> None:
    result = parse_when(text, NOW, PARIS)
    check(result, start, None)
    assert result is not None and result.start < NOW


# --- End before (or equal to) start goes to the next day ---------------------------------
@pytest.mark.parametrize(
    ("text", "hours"),
    [("samedi 22h-2h", 4), ("samedi 23h30-0h30", 1), ("samedi 14h-14h", 24), ("sat 9pm-1am", 4)],
)
def test_end_before_start_is_next_day(text: str, hours: int) -> None:
    result = parse_when(text, NOW, PARIS)
    assert result is not None and result.end is not None
    assert result.start.date() == datetime(*SAT).date()
    assert result.end.date() == datetime(*SUN).date()
    assert elapsed(result.start, result.end) == timedelta(hours=hours)


# --- DST (Europe/Paris: spring forward 2026-03-29 02:00, fall back 2026-10-25 03:00) ------
SPRING_NOW = datetime(2026, 3, 28, 10, 0, tzinfo=PARIS)
AUTUMN_NOW = datetime(2026, 10, 24, 10, 0, tzinfo=PARIS)


def test_dst_non_existent_time_is_shifted_forward() -> None:
    result = parse_when("demain 2h30", SPRING_NOW, PARIS)
    assert result is not None
    assert result.start.isoformat() == "2026-03-29T03:30:00+02:00"
    assert result.start.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_dst_spring_range_spans_the_gap() -> None:
    result = parse_when("demain 1h-4h", SPRING_NOW, PARIS)
    assert result is not None and result.end is not None
    assert result.start.isoformat() == "2026-03-29T01:00:00+01:00"
    assert result.end.isoformat() == "2026-03-29T04:00:00+02:00"
    assert elapsed(result.start, result.end) == timedelta(hours=2)


def test_dst_spring_duration_is_elapsed_time() -> None:
    result = parse_when("demain 1h pendant 3h", SPRING_NOW, PARIS)
    assert result is not None and result.end is not None
    assert result.end.isoformat() == "2026-03-29T05:00:00+02:00"


def test_dst_offsets_around_spring_change() -> None:
    saturday = parse_when("samedi 10h", datetime(2026, 3, 27, 12, 0, tzinfo=PARIS), PARIS)
    sunday = parse_when("dimanche 10h", datetime(2026, 3, 27, 12, 0, tzinfo=PARIS), PARIS)
    assert saturday is not None and saturday.start.isoformat() == "2026-03-28T10:00:00+01:00"
    assert sunday is not None and sunday.start.isoformat() == "2026-03-29T10:00:00+02:00"


def test_dst_ambiguous_time_takes_first_occurrence() -> None:
    result = parse_when("demain 2h30", AUTUMN_NOW, PARIS)
    assert result is not None
    assert result.start.isoformat() == "2026-10-25T02:30:00+02:00"
    assert result.start.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_dst_autumn_range_and_duration() -> None:
    ranged = parse_when("demain 0h-4h", AUTUMN_NOW, PARIS)
    assert ranged is not None and ranged.end is not None
    assert ranged.start.isoformat() == "2026-10-25T00:00:00+02:00"
    assert ranged.end.isoformat() == "2026-10-25T04:00:00+01:00"
    assert elapsed(ranged.start, ranged.end) == timedelta(hours=5)
    timed = parse_when("demain 1h pendant 3h", AUTUMN_NOW, PARIS)
    assert timed is not None and timed.end is not None
    assert timed.end.isoformat() == "2026-10-25T03:00:00+01:00"


# --- API contract ------------------------------------------------------------------------
def test_results_are_aware_in_requested_zone() -> None:
    result = parse_when("samedi 14h-17h", NOW.astimezone(UTC), PARIS)
    assert result == ParsedWhen(at(SAT, 14), at(SAT, 17), True)
    assert result.start.tzinfo is PARIS
    assert result.end is not None and result.end.tzinfo is PARIS


def test_parsed_when_is_frozen() -> None:
    result = parse_when("demain 9h", NOW, PARIS)
    assert result is not None
    with pytest.raises(FrozenInstanceError):
        result.start = NOW  # type: ignore[misc]


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("demain 9h", datetime(2026, 11, 29, 10, 0), PARIS)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=60))
def test_never_raises_and_is_consistent(text: str) -> None:
    result = parse_when(text, NOW, PARIS)
    if result is not None:
        assert result.start.tzinfo is PARIS
        assert result.end is None or elapsed(result.start, result.end) > timedelta(0)
        assert result.has_time or result.end is None
