"""Availability written in words, as people write it in a spreadsheet or a form:
"samedi matin, dimanche", "tous les jours le soir", "weekdays evenings", "le mardi de 18h
à 20h", read into the cells of the week grid onboarding uses (day 0-6, part of the day)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.when import normalize as when_normalize
from bot.when import parse_when, weekday_number
from matching.features import PARTS, mission_slots

__all__ = ["parse_availability"]

_PART_WORDS = {"matin": "morning", "matinee": "morning", "morning": "morning", "am": "morning",
               "apresmidi": "afternoon", "aprem": "afternoon", "afternoon": "afternoon",
               "pm": "afternoon", "soir": "evening", "soiree": "evening", "evening": "evening",
               "nuit": "evening", "night": "evening"}  # fmt: skip
_DAY_GROUPS = {"weekend": (5, 6), "we": (5, 6), "semaine": (0, 1, 2, 3, 4),
               "weekdays": (0, 1, 2, 3, 4), "jours": tuple(range(7)), "days": tuple(range(7)),
               "everyday": tuple(range(7)), "daily": tuple(range(7))}  # fmt: skip
_ANY_TIME = {"indifferent", "toujours", "nimportequand", "anytime", "flexible", "tout",
             "touslejours"}  # fmt: skip
_LINKS = {"a", "au", "to", "till", "until", "jusqua", "-"}
_FILLERS = {"le", "la", "les", "l", "the", "on", "en", "de", "du", "d", "des", "et", "and",
            "ou", "or", "tous", "toutes", "chaque", "every", "each", "dispo", "dispos",
            "disponible", "disponibles", "libre", "libres", "free", "available", "in", "of",
            "at", "temps", "time", "uniquement", "only", "plutot", "mostly", "aussi", "also",
            "sometimes", "parfois", "any", "all"}  # fmt: skip
_REFERENCE = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday: weekdays resolve within its week


def _weekday(word: str) -> int | None:
    for candidate in (word, word[:-1] if word.endswith("s") else word):
        day = weekday_number(candidate)
        if day is not None:
            return day
    return None


def _part(word: str) -> str | None:
    return _PART_WORDS.get(word) or _PART_WORDS.get(word.removesuffix("s"))


def _chunk_slots(chunk: str) -> set[tuple[int, str]] | None:
    """The grid cells of one comma-separated piece; None when a word is not understood."""
    normalized = when_normalize(chunk)
    if normalized is None:
        return None
    compact = normalized.replace("week-end", "weekend").replace("n'importe quand", "nimportequand")
    if re.search(r"[0-9]", compact):
        return _timed_slots(chunk, compact)
    groups: list[tuple[list[int], list[str]]] = [([], [])]
    tokens = re.findall(r"[a-z]+|-", compact)
    previous_day: int | None = None
    linking = False
    anytime = False
    for token in tokens:
        day, part = _weekday(token), _part(token)
        days, parts = groups[-1]
        if day is not None:
            if parts and days:  # "samedi matin dimanche": a new group; "le matin en
                groups.append(([], []))  # semaine": the days of the parts before them
                days, parts = groups[-1]
            if linking and previous_day is not None:
                span = (day - previous_day) % 7
                days.extend((previous_day + i) % 7 for i in range(1, span + 1))
            else:
                days.append(day)
            previous_day, linking = day, False
        elif part is not None:
            parts.append(part)
            linking = False
        elif (group := _DAY_GROUPS.get(token) or _DAY_GROUPS.get(token[:-1])) is not None:
            if parts and days:  # "samedi matin dimanche": a new group; "le matin en
                groups.append(([], []))  # semaine": the days of the parts before them
                days, parts = groups[-1]
            days.extend(group)
        elif token in _LINKS:
            linking = previous_day is not None
        elif token in _ANY_TIME:
            anytime = True
        elif token not in _FILLERS:
            return None
    cells: set[tuple[int, str]] = set()
    for days, parts in groups:
        if not days and not parts:
            continue
        for d in days or range(7):
            cells.update((d, p) for p in (parts or PARTS))
    if anytime and not cells:
        return set()
    return cells if cells or not tokens else None


def _timed_slots(chunk: str, compact: str) -> set[tuple[int, str]] | None:
    """'samedi 14h-17h': one weekday and a time range, through the mission date reader."""
    days = {d for w in re.findall(r"[a-z]+", compact) if (d := _weekday(w)) is not None}
    parsed = parse_when(chunk, _REFERENCE, ZoneInfo("UTC"))
    if len(days) != 1 or parsed is None or not parsed.has_time or parsed.end is None:
        return None
    return set(mission_slots(parsed.start, parsed.end))


def parse_availability(text: str) -> frozenset[tuple[int, str]] | None:
    """'samedi matin, dimanche' -> {(5, 'morning'), (6, 'morning'), (6, 'afternoon'), ...}.

    Pieces are separated by `,`, `;`, `/`, `+` or new lines. Blank text or "indifférent"
    gives an empty set (any time, as onboarding stores it); None when not understood.
    """
    cells: set[tuple[int, str]] = set()
    for chunk in re.split(r"[,;/+\n]", text):
        if not chunk.strip():
            continue
        found = _chunk_slots(chunk)
        if found is None:
            return None
        cells |= found
    return frozenset(cells)
