"""Reporting periods: named ones, two dates in any of the forms people type, and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.periods import CUSTOM, Period, PeriodError, parse_period, period_word

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 5, 13, 0, tzinfo=UTC)  # Saturday 5 December 2026, 14:00 in Paris


def local(period: Period) -> tuple[str, str]:
    return (
        period.start.astimezone(PARIS).isoformat(timespec="minutes"),
        period.end.astimezone(PARIS).isoformat(timespec="minutes"),
    )


@pytest.mark.parametrize(
    ("text", "kind", "days"),
    [
        ("", "month", 30),
        ("semaine", "week", 7),
        ("Week", "week", 7),
        ("mois", "month", 30),
        ("trimestre", "quarter", 91),
        ("quarter", "quarter", 91),
        ("année", "year", 365),
        ("an", "year", 365),
        ("year", "year", 365),
    ],
)
def test_named_periods_end_now(text: str, kind: str, days: int) -> None:
    period = parse_period(text, NOW, PARIS)
    assert (period.kind, period.end, period.length) == (kind, NOW, timedelta(days=days))
    assert period.previous() == Period(NOW - timedelta(days=2 * days), period.start, kind)


@pytest.mark.parametrize(
    "text",
    [
        "01/09/2026 30/11/2026",
        "du 1er septembre au 30 novembre",
        "2026-09-01..2026-11-30",
        "from 1 September to 30 November",
        "1er septembre 2026 - 30 novembre 2026",
        "entre le 1/9 et le 30/11",
    ],
)
def test_two_dates_make_a_custom_period_of_whole_local_days(text: str) -> None:
    period = parse_period(text, NOW, PARIS)
    assert period.kind == CUSTOM
    assert local(period) == ("2026-09-01T00:00+02:00", "2026-12-01T00:00+01:00")
    assert period.last_day(PARIS).isoformat() == "2026-11-30"
    before = period.previous()
    assert before.end == period.start and before.length == period.length


def test_a_date_without_year_is_the_latest_one_not_next_years() -> None:
    period = parse_period("du 6 décembre au 4 décembre", NOW, PARIS)  # 6 Dec is last year
    assert local(period)[0] == "2025-12-06T00:00+01:00"
    assert local(period)[1] == "2026-12-05T00:00+01:00"


def test_a_period_ending_today_ends_now() -> None:
    period = parse_period("1/12 aujourd'hui", NOW, PARIS)
    assert period.end == NOW and local(period)[0] == "2026-12-01T00:00+01:00"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("décennie", "period.unknown"),
        ("blabla 12", "period.unknown"),
        ("01/09/2026", "period.unknown"),
        ("01/09/2026 15h", "period.unknown"),
        ("31/02/2026 30/11/2026", "period.unknown"),
        ("x" * 500, "period.unknown"),
        ("30/11/2026 01/09/2026", "period.reversed"),
        ("01/09/2026 30/12/2026", "period.future"),
        ("01/01/2027..05/01/2027", "period.future"),
        ("01/01/2020 01/01/2026", "period.too_long"),
    ],
)
def test_bad_periods_say_why(text: str, key: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(text, NOW, PARIS)
    assert caught.value.key == key


def test_refusals_carry_the_dates_to_show() -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period("30/11/2026 01/09/2026", NOW, PARIS)
    assert caught.value.params == {"start": "30/11/2026", "end": "01/09/2026"}


def test_period_words() -> None:
    assert period_word("Trimestre") == "quarter" and period_word("année") == "year"
    assert period_word("missions") is None
