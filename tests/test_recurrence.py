"""Reading repeating dates and counting their occurrences, across daylight-saving changes.

Pure tests of bot/recurrence.py; the scenarios through the core are in test_series.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.recurrence import (
    MONTHLY,
    WEEKLY,
    RecurrenceError,
    Rule,
    occurrence_times,
    parse_hours,
    parse_recurrence,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)  # Sunday 29 November 2026, 10:00 in Paris
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
LAST = -1

# text, rule kind, every, weekday, position, start, end
PHRASES = [
    ("tous les mardis 18h-20h", WEEKLY, 1, TUE, None, "18:00", "20:00"),
    ("Tous les Mardis de 18h à 20h", WEEKLY, 1, TUE, None, "18:00", "20:00"),
    ("chaque mardi 18h-20h", WEEKLY, 1, TUE, None, "18:00", "20:00"),
    ("les mardis 18h30-20h", WEEKLY, 1, TUE, None, "18:30", "20:00"),
    ("mardis 18h-20h", WEEKLY, 1, TUE, None, "18:00", "20:00"),
    ("Tous les Mercredis, 14h–16h", WEEKLY, 1, WED, None, "14:00", "16:00"),
    ("toutes les semaines le mercredi 14h-16h", WEEKLY, 1, WED, None, "14:00", "16:00"),
    ("chaque semaine le jeudi à 9h", WEEKLY, 1, THU, None, "09:00", "11:00"),
    ("le vendredi chaque semaine 17h-19h", WEEKLY, 1, FRI, None, "17:00", "19:00"),
    ("tous les dimanches matin 9h-12h", WEEKLY, 1, SUN, None, "09:00", "12:00"),
    ("tous les lundis soir 7h-9h", WEEKLY, 1, MON, None, "19:00", "21:00"),
    ("tous les mardis 22h-2h", WEEKLY, 1, TUE, None, "22:00", "02:00"),
    ("tous les samedis 10h (3h)", WEEKLY, 1, SAT, None, "10:00", "13:00"),
    ("tous les samedis à 9h pendant 2h30", WEEKLY, 1, SAT, None, "09:00", "11:30"),
    ("tous les samedis midi", WEEKLY, 1, SAT, None, "12:00", "14:00"),
    ("toutes les deux semaines le samedi 9h-12h", WEEKLY, 2, SAT, None, "09:00", "12:00"),
    ("toutes les 2 semaines le samedi 9h-12h", WEEKLY, 2, SAT, None, "09:00", "12:00"),
    ("un samedi sur deux 9h-12h", WEEKLY, 2, SAT, None, "09:00", "12:00"),
    ("tous les quinze jours le samedi 10h", WEEKLY, 2, SAT, None, "10:00", "12:00"),
    ("tous les 15 jours, le samedi, 10h-11h30", WEEKLY, 2, SAT, None, "10:00", "11:30"),
    ("tous les deux samedis 14h-17h", WEEKLY, 2, SAT, None, "14:00", "17:00"),
    ("le samedi toutes les deux semaines 9h-12h", WEEKLY, 2, SAT, None, "09:00", "12:00"),
    ("toutes les trois semaines le lundi 18h", WEEKLY, 3, MON, None, "18:00", "20:00"),
    ("le premier samedi du mois 10h", MONTHLY, 1, SAT, 1, "10:00", "12:00"),
    ("le 1er samedi du mois 10h-12h", MONTHLY, 1, SAT, 1, "10:00", "12:00"),
    ("chaque premier samedi du mois à 10h", MONTHLY, 1, SAT, 1, "10:00", "12:00"),
    ("le deuxième mardi du mois 19h-21h", MONTHLY, 1, TUE, 2, "19:00", "21:00"),
    ("le 3e jeudi de chaque mois 18h-20h", MONTHLY, 1, THU, 3, "18:00", "20:00"),
    ("le quatrième lundi du mois 9h", MONTHLY, 1, MON, 4, "09:00", "11:00"),
    ("le dernier vendredi du mois 18h-20h", MONTHLY, 1, FRI, LAST, "18:00", "20:00"),
    ("chaque mois le deuxième mardi 19h", MONTHLY, 1, TUE, 2, "19:00", "21:00"),
    ("tous les deux mois le premier samedi 10h", MONTHLY, 2, SAT, 1, "10:00", "12:00"),
    ("le premier samedi tous les trois mois 10h", MONTHLY, 3, SAT, 1, "10:00", "12:00"),
    ("every Tuesday 6pm-8pm", WEEKLY, 1, TUE, None, "18:00", "20:00"),
    ("Every tuesday from 6pm to 8pm", WEEKLY, 1, TUE, None, "18:00", "20:00"),
    ("each Wednesday 2-4pm", WEEKLY, 1, WED, None, "14:00", "16:00"),
    ("Tuesdays 6-8pm", WEEKLY, 1, TUE, None, "18:00", "20:00"),
    ("on Thursdays at 7pm", WEEKLY, 1, THU, None, "19:00", "21:00"),
    ("every week on Friday 5pm-7pm", WEEKLY, 1, FRI, None, "17:00", "19:00"),
    ("weekly on Sunday 10am-noon", WEEKLY, 1, SUN, None, "10:00", "12:00"),
    ("every other Saturday 9am-12pm", WEEKLY, 2, SAT, None, "09:00", "12:00"),
    ("every two weeks on Saturday 9am-12pm", WEEKLY, 2, SAT, None, "09:00", "12:00"),
    ("every 2 weeks on saturdays 9:00-12:00", WEEKLY, 2, SAT, None, "09:00", "12:00"),
    ("fortnightly on Monday 6pm", WEEKLY, 2, MON, None, "18:00", "20:00"),
    ("every second Tuesday 6pm-8pm", WEEKLY, 2, TUE, None, "18:00", "20:00"),
    ("every 3 weeks on Wednesday 10am-11am", WEEKLY, 3, WED, None, "10:00", "11:00"),
    ("the first Saturday of the month 10am", MONTHLY, 1, SAT, 1, "10:00", "12:00"),
    ("first Saturday of every month 10am-12pm", MONTHLY, 1, SAT, 1, "10:00", "12:00"),
    ("the last Friday of each month 6-8pm", MONTHLY, 1, FRI, LAST, "18:00", "20:00"),
    ("the 2nd Tuesday of the month 7pm-9pm", MONTHLY, 1, TUE, 2, "19:00", "21:00"),
    ("monthly on the third Thursday 6pm", MONTHLY, 1, THU, 3, "18:00", "20:00"),
    ("every 2 months on the last Friday 6pm-8pm", MONTHLY, 2, FRI, LAST, "18:00", "20:00"),
]


@pytest.mark.parametrize(
    ("text", "kind", "every", "weekday", "position", "start", "end"),
    PHRASES,
    ids=[p[0] for p in PHRASES],
)
def test_repeating_phrases_are_read(
    text: str, kind: str, every: int, weekday: int, position: int | None, start: str, end: str
) -> None:
    found = parse_recurrence(text, NOW, PARIS)
    assert found is not None, text
    assert found.rule == Rule(kind, every, weekday, position)
    assert (found.start, found.end) == (time.fromisoformat(start), time.fromisoformat(end))


def test_there_are_at_least_forty_phrasings() -> None:
    assert len(PHRASES) >= 40
    assert len({p[0] for p in PHRASES}) == len(PHRASES)


def test_a_missing_end_is_guessed_and_said_so() -> None:
    guessed = parse_recurrence("le premier samedi du mois 10h", NOW, PARIS)
    given = parse_recurrence("tous les mardis 18h-20h", NOW, PARIS)
    assert guessed is not None and guessed.end_guessed
    assert given is not None and not given.end_guessed


@pytest.mark.parametrize(
    "text",
    [
        "samedi 14h-17h",
        "demain 18h30",
        "next Tuesday 6pm",
        "le 12 décembre à 9h",
        "mardi prochain 18h",
        "12/12 9:00-12:00",
        "n'importe quand",
    ],
)
def test_single_dates_are_not_repetitions(text: str) -> None:
    assert parse_recurrence(text, NOW, PARIS) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("tous les jours 18h", "daily"),
        ("every day 9am", "daily"),
        ("tous les mardis et jeudis 18h", "one_day"),
        ("every Tuesday and Thursday 6pm", "one_day"),
        ("tous les mardis", "no_time"),
        ("every Tuesday", "no_time"),
        ("tous les mardis 25h", "time"),
        ("tous les mardis banane", "time"),
        ("tous les mardis demain 18h", "time"),
        ("tous les mois le 15 à 10h", "monthly"),
        ("every month 10am", "monthly"),
        ("tous les 13 mardis 9h", "every"),
        ("toutes les 20 semaines le lundi 9h", "every"),
        ("tous les mardis 18h jusqu'au 31/02", "date"),
        ("tous les mardis 18h jusqu'au 1er janvier 2020", "until_past"),
    ],
)
def test_unusable_repetitions_say_why(text: str, code: str) -> None:
    with pytest.raises(RecurrenceError) as caught:
        parse_recurrence(text, NOW, PARIS)
    assert caught.value.code == code


def test_first_and_last_days() -> None:
    found = parse_recurrence("tous les mardis 18h-20h jusqu'au 30 juin", NOW, PARIS)
    assert found is not None and found.until == date(2027, 6, 30)
    found = parse_recurrence("à partir du 5 janvier, tous les lundis 9h", NOW, PARIS)
    assert found is not None and found.starting == date(2027, 1, 5)
    assert found.first(NOW, PARIS) == date(2027, 1, 11)  # 5 January 2027 is a Tuesday
    found = parse_recurrence("every Monday 9am starting 4 January until 31 March", NOW, PARIS)
    assert found is not None
    assert (found.starting, found.until) == (date(2027, 1, 4), date(2027, 3, 31))


def test_the_first_occurrence_is_still_to_come() -> None:
    sunday = parse_recurrence("tous les dimanches 9h-11h", NOW, PARIS)  # 9h has passed today
    assert sunday is not None and sunday.first(NOW, PARIS) == date(2026, 12, 6)
    later = parse_recurrence("tous les dimanches 18h", NOW, PARIS)
    assert later is not None and later.first(NOW, PARIS) == date(2026, 11, 29)


def test_hours_alone() -> None:
    assert parse_hours("19h-21h") == (time(19), time(21), False)
    assert parse_hours("6-8pm") == (time(18), time(20), False)
    assert parse_hours("9h") == (time(9), time(11), True)
    for text in ("mardi 18h", "demain 9h", "le 12/12 9h", "banane", "tous les mardis"):
        assert parse_hours(text) is None, text


# --- counting occurrences ----------------------------------------------------------


def test_weekly_and_every_other_week() -> None:
    weekly = Rule(WEEKLY, 1, TUE)
    assert weekly.dates(date(2026, 12, 1), date(2026, 12, 1), date(2026, 12, 27)) == [
        date(2026, 12, 1),
        date(2026, 12, 8),
        date(2026, 12, 15),
        date(2026, 12, 22),
    ]
    fortnight = Rule(WEEKLY, 2, SAT)
    anchor = date(2026, 12, 5)
    assert fortnight.dates(anchor, anchor, date(2027, 1, 20)) == [
        date(2026, 12, 5),
        date(2026, 12, 19),
        date(2027, 1, 2),
        date(2027, 1, 16),
    ]
    # counted from the first one, not from where the window starts
    assert fortnight.dates(anchor, date(2026, 12, 10), date(2027, 1, 10)) == [
        date(2026, 12, 19),
        date(2027, 1, 2),
    ]


def test_monthly_by_place_in_the_month() -> None:
    first_saturday = Rule(MONTHLY, 1, SAT, 1)
    anchor = first_saturday.first_on_or_after(date(2026, 11, 29))
    assert anchor == date(2026, 12, 5)
    assert first_saturday.dates(anchor, anchor, date(2027, 3, 31)) == [
        date(2026, 12, 5),
        date(2027, 1, 2),
        date(2027, 2, 6),
        date(2027, 3, 6),
    ]
    last_friday = Rule(MONTHLY, 1, FRI, LAST)
    anchor = last_friday.first_on_or_after(date(2026, 11, 29))
    assert last_friday.dates(anchor, anchor, date(2027, 2, 28)) == [
        date(2026, 12, 25),
        date(2027, 1, 29),
        date(2027, 2, 26),
    ]
    every_other_month = Rule(MONTHLY, 2, SAT, 1)
    assert every_other_month.dates(date(2026, 12, 5), date(2027, 1, 1), date(2027, 5, 1)) == [
        date(2027, 2, 6),
        date(2027, 4, 3),
    ]
    second_tuesday = Rule(MONTHLY, 1, TUE, 2)
    assert second_tuesday.first_on_or_after(date(2026, 12, 9)) == date(2027, 1, 12)


# --- wall-clock times across daylight saving (Europe/Paris) -----------------------------


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_autumn_change_keeps_the_local_hour() -> None:
    """26 October 2026 03:00 CEST -> 02:00 CET: 10:00 local is 08:00 UTC, then 09:00 UTC."""
    ten, noon = time(10), time(12)
    assert occurrence_times(date(2026, 10, 18), ten, noon, PARIS) == (
        _utc(2026, 10, 18, 8),
        _utc(2026, 10, 18, 10),
    )
    assert occurrence_times(date(2026, 10, 25), ten, noon, PARIS) == (
        _utc(2026, 10, 25, 9),
        _utc(2026, 10, 25, 11),
    )


def test_spring_change_keeps_the_local_hour() -> None:
    """28 March 2027 02:00 CET -> 03:00 CEST: 10:00 local is 09:00 UTC, then 08:00 UTC."""
    ten, noon = time(10), time(12)
    assert occurrence_times(date(2027, 3, 21), ten, noon, PARIS) == (
        _utc(2027, 3, 21, 9),
        _utc(2027, 3, 21, 11),
    )
    assert occurrence_times(date(2027, 3, 28), ten, noon, PARIS) == (
        _utc(2027, 3, 28, 8),
        _utc(2027, 3, 28, 10),
    )


def test_times_in_the_spring_gap_and_the_autumn_fold() -> None:
    # 02:30 does not exist on 28 March 2027: it moves forward to 03:30 CEST.
    start, end = occurrence_times(date(2027, 3, 28), time(2, 30), time(4), PARIS)
    assert (start, end) == (_utc(2027, 3, 28, 1, 30), _utc(2027, 3, 28, 2))
    assert start.astimezone(PARIS).strftime("%H:%M") == "03:30"
    # a start moved past its end keeps the planned length
    start, end = occurrence_times(date(2027, 3, 28), time(2), time(3), PARIS)
    assert end - start == _utc(2027, 1, 1, 1) - _utc(2027, 1, 1, 0)
    # 02:30 happens twice on 25 October 2026: the first one (CEST) is taken.
    start, end = occurrence_times(date(2026, 10, 25), time(2, 30), time(3, 30), PARIS)
    assert start == _utc(2026, 10, 25, 0, 30)
    assert end == _utc(2026, 10, 25, 2, 30)  # 03:30 CET: the night has an extra hour


def test_overnight_occurrence_ends_the_next_day() -> None:
    start, end = occurrence_times(date(2026, 12, 1), time(22), time(2), PARIS)
    assert (start, end) == (_utc(2026, 12, 1, 21), _utc(2026, 12, 2, 1))
