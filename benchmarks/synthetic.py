"""A synthetic association: volunteers with hidden preferences, and missions.

Each `Person` has what they declared (a `Candidate`: skills, free text with typos,
availability grid, place, history) and a hidden truth the simulation uses to decide
whether they accept an invitation: their real skills and favourite domains (some of
which they mention only in their own words), their real availability, how far they
will travel, how keen and how reliable they are, and how tired of being asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from matching.features import PARTS, Candidate, MissionRequest
from matching.taxonomy import Taxonomy

__all__ = [
    "CENTRE",
    "TIMEZONE",
    "Person",
    "make_candidates",
    "make_missions",
    "make_people",
    "make_phrases",
    "offset",
]

TIMEZONE = ZoneInfo("Europe/Paris")
CENTRE = (48.8566, 2.3522)
_FILLERS_FR = ("je sais faire", "un peu de", "j'adore", "plutôt", "notions de", "expérience en")
_FILLERS_EN = ("I can do", "some", "I love", "good at", "basic", "experienced in")
_HOURS = (9, 10, 14, 15, 18, 19)


@dataclass(frozen=True, slots=True)
class Person:
    """A volunteer: what they declared, and the hidden truth behind their answers."""

    candidate: Candidate
    true_skills: frozenset[str]
    liked_domains: frozenset[str]
    true_availability: int  # 21-bit grid
    home: tuple[float, float]  # true place, even when not declared
    tolerance_km: float
    keenness: float  # base log-odds of saying yes
    reliability: float  # probability of coming once signed up
    responsiveness: float  # probability of answering "no" rather than staying silent


def offset(centre: tuple[float, float], north_km: float, east_km: float) -> tuple[float, float]:
    """The point `north_km` north and `east_km` east of `centre`."""
    lat = centre[0] + north_km / 111.32
    lon = centre[1] + east_km / (111.32 * math.cos(math.radians(centre[0])))
    return (float(lat), float(lon))


def _typo(word: str, rng: np.random.Generator) -> str:
    if len(word) < 5:
        return word
    i = int(rng.integers(1, len(word) - 1))
    kind = rng.integers(3)
    if kind == 0:
        return word[:i] + word[i + 1 :]  # dropped letter
    if kind == 1:
        return word[:i] + word[i] + word[i:]  # doubled letter
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]  # swapped letters


def make_people(
    n: int,
    taxonomy: Taxonomy,
    seed: int = 0,
    *,
    centre: tuple[float, float] = CENTRE,
    spread_km: float = 8.0,
    first_id: int = 1,
) -> list[Person]:
    """`n` people around `centre` with varied skills, text, availability and history."""
    rng = np.random.default_rng(seed)
    domains = list(taxonomy.domains)
    by_domain = {d: [s.id for s in taxonomy.skills_in(d)] for d in domains}
    all_skills = [s.id for s in taxonomy]
    terms = {s.id: s.terms() for s in taxonomy}
    # every per-person number is drawn at once (scalar draws dominate the run time otherwise)
    home_domain = rng.integers(len(domains), size=n)
    second_domain = np.where(rng.random(n) < 0.5, rng.integers(len(domains), size=n), -1)
    extra_skills = rng.integers(0, 4, size=n)
    uniforms = rng.random((n, 16))
    grids = rng.random((n, 21)) < rng.uniform(0.15, 0.6, size=(n, 1))
    dropped_cells = rng.random((n, 21)) < 0.05
    bits = 1 << np.arange(21)
    true_masks = (grids * bits).sum(axis=1)
    declared_masks = ((grids & ~dropped_cells) * bits).sum(axis=1)
    homes = rng.normal(0.0, spread_km, size=(n, 2))
    keenness = rng.normal(-0.6, 0.8, size=n)
    reliability = np.clip(rng.beta(8, 1.5, size=n), 0.3, 1.0)
    activity = 1.0 / (1.0 + np.exp(-keenness))
    invitations = rng.poisson(8 * activity + 1)
    answered = rng.binomial(invitations, rng.uniform(0.4, 1.0, size=n))
    accepted = rng.binomial(answered, activity)
    attended = rng.binomial(accepted, reliability)
    recent_invitations = rng.poisson(0.4, size=n)
    recent_missions = rng.poisson(0.3, size=n)
    caps = rng.integers(1, 5, size=n)
    days = rng.exponential(20 / activity)
    tolerance = rng.lognormal(np.log(6.0), 0.5, size=n)
    responsiveness = rng.uniform(0.3, 0.95, size=n)
    cells = [(i // 3, PARTS[i % 3]) for i in range(21)]
    people: list[Person] = []
    for k in range(n):
        u = uniforms[k]
        home_d = domains[int(home_domain[k])]
        liked = {home_d} | ({domains[int(second_domain[k])]} if second_domain[k] >= 0 else set())
        local = by_domain[home_d]
        true_skills = {local[int(u[0] * len(local))]}
        for j in range(int(extra_skills[k])):
            options = local if u[1 + j] < 0.6 else all_skills
            true_skills.add(options[int(u[4 + j] * len(options))])
        declared = {s for i, s in enumerate(sorted(true_skills)) if u[7 + i % 3] < 0.8}
        words = []
        for i, skill_id in enumerate(sorted(true_skills)):
            phrase = terms[skill_id][int(u[(10 + i) % 16] * len(terms[skill_id]))]
            if u[(13 + i) % 16] < 0.25:
                phrase = " ".join(_typo(w, rng) for w in phrase.split())
            words.append(phrase)
        for d in sorted(liked):  # interests some only mention in their own words
            if u[11] < 0.6:
                words.append(taxonomy.domain_label(d, "fr" if u[12] < 0.7 else "en"))
        if u[13] < 0.3:
            fillers = _FILLERS_FR if u[14] < 0.7 else _FILLERS_EN
            words[0] = f"{fillers[int(u[15] * len(fillers))]} {words[0]}"
        grid = frozenset(cells[i] for i in range(21) if declared_masks[k] >> i & 1)
        if u[2] < 0.2:
            grid = frozenset()
        home = offset(centre, float(homes[k, 0]), float(homes[k, 1]))
        candidate = Candidate(
            volunteer_id=first_id + k,
            skills=frozenset(declared or sorted(true_skills)[:1]),
            profile_text=", ".join(words),
            availability=grid,
            location=home if u[3] < 0.9 else None,
            attended=int(attended[k]),
            no_shows=int(accepted[k] - attended[k]),
            invitations=int(invitations[k]),
            invitations_answered=int(answered[k]),
            invitations_accepted=int(accepted[k]),
            recent_invitations=int(recent_invitations[k]),
            recent_missions=int(recent_missions[k]),
            weekly_cap=int(caps[k]) if u[5] < 0.3 else None,
            days_since_active=float(days[k]) if u[6] < 0.9 else None,
            is_member=bool(u[8] < 0.98),
            paused=bool(u[9] < 0.03),
        )
        people.append(
            Person(
                candidate=candidate,
                true_skills=frozenset(true_skills),
                liked_domains=frozenset(liked),
                true_availability=int(true_masks[k]),
                home=home,
                tolerance_km=float(tolerance[k]),
                keenness=float(keenness[k]),
                reliability=float(reliability[k]),
                responsiveness=float(responsiveness[k]),
            )
        )
    return people


def make_candidates(n: int, taxonomy: Taxonomy, seed: int = 0) -> list[Candidate]:
    """Just the declared side of `make_people`."""
    return [p.candidate for p in make_people(n, taxonomy, seed)]


def make_missions(
    count: int,
    taxonomy: Taxonomy,
    seed: int = 0,
    *,
    first_day: datetime = datetime(2026, 3, 2, tzinfo=TIMEZONE),
    days: int = 30,
    centre: tuple[float, float] = CENTRE,
    first_id: int = 1,
) -> list[tuple[MissionRequest, int]]:
    """`count` missions spread over `days` days, in time order, each with its places."""
    rng = np.random.default_rng(seed)
    domains = list(taxonomy.domains)
    missions: list[tuple[MissionRequest, int]] = []
    for k in range(count):
        domain = domains[int(rng.integers(len(domains)))]
        skills = [s.id for s in taxonomy.skills_in(domain)]
        picks = rng.choice(len(skills), size=min(len(skills), 3), replace=False)
        required = {skills[int(picks[0])]}
        if rng.random() < 0.25:
            required.add(skills[int(picks[1])])
        nice = {skills[int(picks[2])]} if rng.random() < 0.5 else set()
        label = taxonomy.label(skills[int(picks[0])])
        syn = taxonomy.skills[skills[int(picks[0])]].terms()
        description = (
            f"Nous cherchons des bénévoles : {syn[int(rng.integers(len(syn)))]}. "
            f"Domaine : {taxonomy.domain_label(domain)}."
        )
        day = first_day + timedelta(days=int(k * days / count))
        start = day.replace(hour=_HOURS[int(rng.integers(len(_HOURS)))])
        end = start + timedelta(hours=int(rng.integers(2, 5)))
        mission = MissionRequest(
            mission_id=first_id + k,
            title=label,
            description=description,
            required_skills=frozenset(required),
            nice_skills=frozenset(nice - required),
            start=start,
            end=end,
            location=offset(centre, *(rng.normal(0.0, 6.0, 2))),
            strict_availability=bool(rng.random() < 0.2),
            org_weekly_cap=3 if rng.random() < 0.5 else None,
        )
        missions.append((mission, int(rng.integers(1, 6))))
    return missions


def make_phrases(n: int, taxonomy: Taxonomy, seed: int = 0) -> list[str]:
    """`n` free-text skill phrases like volunteers type them (fr/en, typos, several skills)."""
    rng = np.random.default_rng(seed)
    terms = [t for s in taxonomy for t in s.terms()]
    phrases: list[str] = []
    for _ in range(n):
        parts = []
        for _ in range(int(rng.integers(1, 4))):
            term = terms[int(rng.integers(len(terms)))]
            if rng.random() < 0.3:
                term = " ".join(_typo(w, rng) for w in term.split())
            if rng.random() < 0.2:
                term = term.upper() if rng.random() < 0.3 else term.lower()
            parts.append(term)
        fillers = _FILLERS_FR if rng.random() < 0.6 else _FILLERS_EN
        lead = f"{fillers[int(rng.integers(len(fillers)))]} " if rng.random() < 0.4 else ""
        joiner = (", ", " et ", " / ", " and ")[int(rng.integers(4))]
        phrases.append(lead + joiner.join(parts))
    return phrases
