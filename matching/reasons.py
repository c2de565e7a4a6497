"""Why someone was ranked high: short, language-neutral reasons the core renders.

Each `Reason` has a `kind` (see `REASON_KINDS` for the meaning and type of its value) and
is chosen from the facts behind the components. At most four are kept, the most telling
first: what the person can do, then when, where and their track record, ordered by how
much each one added to the score. `summarise` gives a plain one-line rendering for logs,
benchmarks and examples; the bot renders reasons with its own fr/en catalogs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from matching.features import FEATURES, NEUTRAL, PARTS, REQUIRED_SHARE
from matching.skills import fold
from matching.taxonomy import Taxonomy

__all__ = [
    "MAX_REASONS",
    "REASON_KINDS",
    "Facts",
    "Reason",
    "build_reasons",
    "shared_word",
    "summarise",
]

MAX_REASONS: Final = 4

#: Every reason kind, with the type and meaning of its value.
REASON_KINDS: Final[Mapping[str, str]] = {
    "skill": "str, a canonical skill id the person has and the mission asks for (required first)",
    "related": "str, a domain id: the person has another skill of the domain of a skill asked for",
    "profile": "str, a word of the person's own profile text that the mission text also uses",
    "available": "str 'W:part', a cell of the mission's slot the person is free "
    "(W = weekday 0=Monday..6, part = morning|afternoon|evening)",
    "distance_km": "float, distance between the person and the mission in km (1 decimal)",
    "attended": "int, number of missions the person came to",
    "reliable": "int, percent of their sign-ups the person came to (3 sign-ups or more)",
    "responsive": "int, percent of invitations the person answered (3 invitations or more)",
    "active": "int, days since the person was last active (14 or fewer)",
    "new": "int, always 0: no invitation or mission yet, a chance to involve someone new",
    "rested": "int, always 7: not asked in the last 7 days",
    "loyal": "int, missions the person came to in the last 3 months (3 or more)",
}

_W = {name: i for i, name in enumerate(FEATURES)}
_WORD_RE = re.compile(r"[^\W\d_]{4,}")
_COMMON = frozenset(
    {
        "avec",
        "dans",
        "pour",
        "etre",
        "faire",
        "aussi",
        "tres",
        "plus",
        "peux",
        "sais",
        "aime",
        "bien",
        "mission",
        "missions",
        "benevole",
        "benevoles",
        "with",
        "have",
        "from",
        "that",
        "this",
        "also",
        "like",
        "help",
        "aider",
        "aide",
        "volunteer",
        "volunteering",
        "cherche",
        "chercher",
        "veut",
        "vouloir",
        "souhaite",
        "personne",
        "personnes",
        "looking",
        "want",
        "wants",
        "people",
        "person",
        "autres",
        "others",
    }
)  # fmt: skip
_DAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_PARTS = {
    "fr": dict(zip(PARTS, ("matin", "après-midi", "soir"), strict=True)),
    "en": dict(zip(PARTS, ("morning", "afternoon", "evening"), strict=True)),
}


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason: a kind from `REASON_KINDS` and its value."""

    kind: str
    value: str | float | int


@dataclass(frozen=True, slots=True)
class Facts:
    """What is known about one (volunteer, mission) pair, beyond its components."""

    components: Sequence[float]  # in FEATURES order
    required_hits: tuple[str, ...] = ()
    nice_hits: tuple[str, ...] = ()
    related_domains: tuple[str, ...] = ()
    slot: tuple[int, str] | None = None  # first cell of the mission the person is free
    distance_km: float | None = None
    profile_word: str | None = None
    attended: int = 0
    no_shows: int = 0
    invitations: int = 0
    answered: int = 0
    recent_invitations: int = 0
    days_since_active: float | None = None
    history: bool = True  # include the person's track record (not when ranking missions)
    loyal: int = 0  # missions attended in the last 3 months, when the caller knows it


def build_reasons(
    facts: Facts, weights: Sequence[float], limit: int = MAX_REASONS
) -> tuple[Reason, ...]:
    """The `limit` most telling reasons, each scored by what it added to the score."""
    comp, w = facts.components, weights
    found: list[tuple[float, Reason]] = []
    skill_w = w[_W["skill"]]
    for skill_id in facts.required_hits[:2]:
        found.append((1.0 + skill_w * REQUIRED_SHARE, Reason("skill", skill_id)))
    for skill_id in facts.nice_hits[: max(0, 2 - len(facts.required_hits))]:
        found.append((1.0 + skill_w * (1.0 - REQUIRED_SHARE), Reason("skill", skill_id)))
    if not found and facts.related_domains:
        found.append((0.5 + skill_w * 0.3, Reason("related", facts.related_domains[0])))
    if facts.profile_word and not found and comp[_W["text"]] > 0.2:
        found.append(
            (0.5 + w[_W["text"]] * comp[_W["text"]], Reason("profile", facts.profile_word))
        )
    if facts.slot is not None and comp[_W["availability"]] > NEUTRAL:
        weekday, part = facts.slot
        found.append(
            (
                w[_W["availability"]] * comp[_W["availability"]],
                Reason("available", f"{weekday}:{part}"),
            )
        )
    if facts.distance_km is not None and comp[_W["distance"]] >= 0.3:
        found.append(
            (
                w[_W["distance"]] * comp[_W["distance"]],
                Reason("distance_km", round(facts.distance_km, 1)),
            )
        )
    if facts.history:
        found.extend(_history(facts, w))
    found.sort(key=lambda pair: -pair[0])  # stable: ties keep the order above
    return tuple(reason for _, reason in found[: max(0, limit)])


def _history(facts: Facts, w: Sequence[float]) -> list[tuple[float, Reason]]:
    found: list[tuple[float, Reason]] = []
    rel_w, eng_w = w[_W["reliability"]], w[_W["engagement"]]
    signups = facts.attended + facts.no_shows
    if facts.attended and not facts.no_shows:
        found.append(
            (rel_w * min(1.0, 0.5 + facts.attended / 10), Reason("attended", facts.attended))
        )
    elif signups >= 3 and facts.attended / signups >= 0.9:
        found.append((rel_w * 0.9, Reason("reliable", round(100 * facts.attended / signups))))
    if facts.invitations >= 3 and facts.answered / facts.invitations >= 0.8:
        rate = facts.answered / facts.invitations
        found.append((eng_w * rate * 0.8, Reason("responsive", round(100 * rate))))
    if facts.loyal >= 3:
        found.append((eng_w * min(1.0, facts.loyal / 6), Reason("loyal", facts.loyal)))
    if facts.days_since_active is not None and facts.days_since_active <= 14:
        found.append((eng_w * 0.7, Reason("active", round(facts.days_since_active))))
    if signups == 0 and facts.invitations == 0:
        found.append((w[_W["fairness"]] * 0.6, Reason("new", 0)))
    elif facts.recent_invitations == 0:
        found.append((w[_W["fairness"]] * 0.5, Reason("rested", 7)))
    return found


@lru_cache(maxsize=1024)
def _word_starts(text: str) -> frozenset[str]:
    """5-letter starts of the folded words of a (mission) text; missions repeat, so cached."""
    return frozenset(fold(word)[:5] for word in _WORD_RE.findall(text))


def shared_word(profile_text: str, mission_text: str) -> str | None:
    """Longest word (4+ letters) of the profile whose 5-letter start the mission text uses."""
    mission_starts = _word_starts(mission_text)
    shared = [
        str(word)
        for word in _WORD_RE.findall(profile_text)
        if fold(word) not in _COMMON and fold(word)[:5] in mission_starts
    ]
    return max(shared, key=len).casefold() if shared else None


def summarise(reasons: Sequence[Reason], taxonomy: Taxonomy, lang: str = "fr") -> str:
    """A plain one-line rendering ("jardinage · libre samedi matin · 2 km · venu 5 fois")."""
    fr = lang != "en"
    lang = "fr" if fr else "en"
    parts: list[str] = []
    for r in reasons:
        v = r.value
        match r.kind:
            case "skill" if isinstance(v, str) and v in taxonomy:
                parts.append(taxonomy.label(v, lang).lower())
            case "related" if isinstance(v, str) and v in taxonomy.domains:
                parts.append(taxonomy.domain_label(v, lang).lower())
            case "profile":
                parts.append(f"« {v} »" if fr else f'"{v}"')
            case "available" if isinstance(v, str):
                day, _, part = v.partition(":")
                when = f"{_DAYS[lang][int(day)]} {_PARTS[lang].get(part, part)}"
                parts.append(f"libre {when}" if fr else f"free {when}")
            case "distance_km":
                parts.append(f"{v} km")
            case "attended":
                parts.append(f"venu·e {v} fois" if fr else f"came {v} times")
            case "reliable":
                parts.append(f"fiable ({v} %)" if fr else f"reliable ({v}%)")
            case "responsive":
                parts.append(f"répond ({v} %)" if fr else f"responsive ({v}%)")
            case "active":
                parts.append(f"actif·ve il y a {v} j" if fr else f"active {v} days ago")
            case "loyal":
                parts.append(
                    f"fidèle : {v} missions en 3 mois" if fr else f"loyal: {v} missions in 3 months"
                )
            case "new":
                parts.append("nouveau·elle" if fr else "new")
            case "rested":
                parts.append("pas sollicité·e cette semaine" if fr else "not asked this week")
            case _:
                parts.append(f"{r.kind}={v}")
    return " · ".join(parts)
