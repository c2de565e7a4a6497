"""The iCalendar writer (escaping, folding, CRLF, time zones, parsed back by the `icalendar`
library) and /calendar, for all one's missions or one, through the real core."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from bot.calendar import CalendarEvent, calendar, escape_text, fold_line
from tests.harness import Bot
from tests.scenarios import onboard, post_mission

STAMP = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def unescape(value: str) -> str:
    out, i = "", 0
    while i < len(value):
        if value[i] == "\\":
            out += "\n" if value[i + 1] in "nN" else value[i + 1]
            i += 2
        else:
            out += value[i]
            i += 1
    return out


def test_hostile_text_is_escaped_and_parses_back() -> None:
    title = 'Tri; pommes, poires \\ "bio"\nsecond line'
    event = CalendarEvent(
        "mission-1@mainforte",
        datetime(2026, 12, 5, 13, tzinfo=UTC),
        datetime(2026, 12, 5, 16, tzinfo=UTC),
        title,
        "Entrepôt, quai 3",
    )
    lines = unfold(calendar([event], stamp=STAMP))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    props = dict(line.split(":", 1) for line in lines)
    assert props["DTSTART"] == "20261205T130000Z" and props["DTEND"] == "20261205T160000Z"
    assert props["UID"] == "mission-1@mainforte"
    assert unescape(props["SUMMARY"]) == title
    assert unescape(props["LOCATION"]) == "Entrepôt, quai 3"
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_long_lines_are_folded_at_75_octets_without_splitting_characters() -> None:
    line = "DESCRIPTION:" + "é" * 100 + "x" * 80
    folded = fold_line(line)
    parts = folded.split("\r\n")
    assert len(parts) > 2
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join([parts[0]] + [p[1:] for p in parts[1:]]) == line


def parse(text: str) -> tuple[Any, list[Any]]:
    """The calendar and its events, as the `icalendar` library reads them (loosely typed)."""
    parsed = icalendar.Calendar.from_ical(text)
    assert isinstance(parsed, icalendar.Calendar)
    return parsed, list(parsed.walk("VEVENT"))


def as_written(parsed: Any, event: Any, name: str) -> datetime:
    """The event's time read with the file's own VTIMEZONE (not the system's zoneinfo)."""
    value = event[name]
    moment = value.dt
    assert isinstance(moment, datetime)
    if "TZID" not in value.params:
        assert moment.tzinfo is not None
        return moment
    (zone,) = [z for z in parsed.walk("VTIMEZONE") if z["TZID"] == value.params["TZID"]]
    own = zone.to_tz(lookup_tzid=False)
    return moment.replace(tzinfo=None).replace(tzinfo=own)


def test_a_mission_across_the_dst_change_keeps_its_utc_times() -> None:
    """Saturday 24 October 2026 22:00 (UTC+2) to Sunday 25 06:00 (UTC+1) in Paris: 9 hours."""
    night = CalendarEvent(
        "mission-7@mainforte",
        datetime(2026, 10, 24, 20, tzinfo=UTC),
        datetime(2026, 10, 25, 5, tzinfo=UTC),
        "Maraude de nuit",
        tz=PARIS,
        sequence=3,
    )
    repeated_hour = CalendarEvent(  # 02:30 happens twice that night: this is the second one
        "mission-8@mainforte",
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 3, tzinfo=UTC),
        "Tri",
        tz=PARIS,
    )
    spring = CalendarEvent(
        "mission-9@mainforte",
        datetime(2027, 3, 28, 7, tzinfo=UTC),
        datetime(2027, 3, 28, 10, tzinfo=UTC),
        "Printemps",
        tz=PARIS,
        cancelled=True,
    )
    text = calendar([night, repeated_hour, spring], stamp=STAMP)
    lines = unfold(text)
    assert "DTSTART;TZID=Europe/Paris:20261024T220000" in lines
    assert "DTEND;TZID=Europe/Paris:20261025T060000" in lines
    assert "DTSTART:20261025T013000Z" in lines  # ambiguous in Paris time: written in UTC
    parsed, (first, second, third) = parse(text)
    (zone,) = parsed.walk("VTIMEZONE")
    assert {c.name for c in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    start, end = as_written(parsed, first, "DTSTART"), as_written(parsed, first, "DTEND")
    assert start.utcoffset() == timedelta(hours=2) and end.utcoffset() == timedelta(hours=1)
    assert start.astimezone(UTC) == night.starts_at and end.astimezone(UTC) == night.ends_at
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=9)
    assert as_written(parsed, second, "DTSTART").astimezone(UTC) == repeated_hour.starts_at
    spring_start = as_written(parsed, third, "DTSTART")
    assert spring_start.utcoffset() == timedelta(hours=2)  # after the change of 28 March 2027
    assert spring_start.astimezone(UTC) == spring.starts_at
    assert str(first["UID"]) == "mission-7@mainforte" and int(first["SEQUENCE"]) == 3
    assert str(first["STATUS"]) == "CONFIRMED" and str(third["STATUS"]) == "CANCELLED"
    assert first.decoded("DTSTAMP") == STAMP


def test_a_zone_without_daylight_saving_has_one_observance() -> None:
    tokyo = CalendarEvent(
        "m@x",
        datetime(2026, 7, 1, 1, tzinfo=UTC),
        datetime(2026, 7, 1, 3, tzinfo=UTC),
        "Tokyo",
        tz=ZoneInfo("Asia/Tokyo"),
    )
    parsed, (event,) = parse(calendar([tokyo], stamp=STAMP))
    (zone,) = parsed.walk("VTIMEZONE")
    assert [c.name for c in zone.subcomponents] == ["STANDARD"]
    start = as_written(parsed, event, "DTSTART")
    assert start.utcoffset() == timedelta(hours=9) and start.hour == 10


async def test_calendar_sends_an_ics_file_of_upcoming_missions(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    alice = bot.person("alice", "Alice")
    await alice.join_group()
    await onboard(alice)
    await alice.say("/calendar")
    assert "aucune mission à venir" in alice.last
    mission_id = await post_mission(bot, coord, "Tri, colis; dons | samedi 14h-17h | Entrepôt | 2")
    await alice.press("Je participe", bot.card(mission_id))
    await alice.say("/mymissions")
    assert "/calendar" in alice.last
    await alice.say("/agenda", in_group=True)
    assert "envoyé en privé" in bot.group_messages[-1].text
    file = alice.inbox[-1].file
    assert file is not None and file[0].endswith(".ics")
    lines = unfold(file[1].decode("utf-8"))
    assert lines.count("BEGIN:VEVENT") == 1 and lines.count("BEGIN:VTIMEZONE") == 1
    props = dict(line.split(":", 1) for line in lines)
    assert props["DTSTART;TZID=Europe/Paris"] == "20261205T140000"
    assert props["UID"] == f"mission-{mission_id}@mainforte"
    assert unescape(props["SUMMARY"]) == "Tri, colis; dons"
    assert props["LOCATION"] == "Entrepôt"
    parsed, (event,) = parse(file[1].decode("utf-8"))
    assert as_written(parsed, event, "DTSTART").astimezone(UTC) == datetime(
        2026, 12, 5, 13, tzinfo=UTC
    )


async def test_one_mission_from_the_sign_up_button_and_by_number(bot: Bot) -> None:
    coord = bot.person("coord", "Coralie")
    alice = bot.person("alice", "Alice")
    await alice.join_group()
    await onboard(alice)
    mission_id = await post_mission(bot, coord, "Tri | samedi 14h-17h | Entrepôt | 2")
    await alice.press("Je participe", bot.card(mission_id))
    assert "📅 Ajouter à mon agenda" in alice.inbox[-1].labels
    await alice.press("Ajouter à mon agenda")
    file = alice.inbox[-1].file
    assert file is not None and file[0] == f"mission-{mission_id}.ics"
    _, (event,) = parse(file[1].decode("utf-8"))
    first_sequence = int(event["SEQUENCE"])
    assert str(event["UID"]) == f"mission-{mission_id}@mainforte"
    assert str(event["STATUS"]) == "CONFIRMED"

    await alice.say("/calendar douze")
    assert "/calendar <numéro>" in alice.last
    await alice.say("/calendar 999")
    assert "Je ne trouve pas la mission #999" in alice.last
    stranger = bot.person("zed", "Zed")  # not in the organisation: it does not exist for him
    await stranger.say(f"/calendar {mission_id}")
    assert f"Je ne trouve pas la mission #{mission_id}" in stranger.last

    await coord.say(f"/mission cancel {mission_id}", in_group=True)
    await coord.press("Oui, annuler")
    await alice.say(f"/calendar #{mission_id}")
    file = alice.inbox[-1].file
    assert file is not None and "annulée" in alice.inbox[-1].text
    _, (event,) = parse(file[1].decode("utf-8"))
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"mission-{mission_id}@mainforte"
    assert int(event["SEQUENCE"]) > first_sequence
