"""The iCalendar writer (escaping, folding, CRLF) and /calendar through the real core."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.calendar import CalendarEvent, calendar, escape_text, fold_line
from tests.harness import Bot
from tests.scenarios import onboard, post_mission

STAMP = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


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
    assert lines.count("BEGIN:VEVENT") == 1
    props = dict(line.split(":", 1) for line in lines)
    assert props["DTSTART"] == "20261205T130000Z"
    assert props["UID"] == f"mission-{mission_id}@mainforte"
    assert unescape(props["SUMMARY"]) == "Tri, colis; dons"
    assert props["LOCATION"] == "Entrepôt"
