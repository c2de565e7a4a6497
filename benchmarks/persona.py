"""Ranking missions for a volunteer, checked on real French data (API Engagement eval).

`../shared/data/api-engagement-eval.json` holds 215 real missions and 51 persona profiles
(21 distinct people over three evaluation runs), each with the 5 missions the French
State's engine ranked first and how many judge runs found each relevant. A persona
becomes a `Candidate` (profile text from its description and answers, skills through the
`SkillNormaliser`, its coordinates), each mission a `MissionRequest` (its city placed with
the personas' own coordinates or a small table of nearby towns; remote missions have no
place), and `Ranker.rank_missions` ranks all 215 for each persona.

Labels exist only for the engine's own top 5, so:

- pairwise accuracy: over pairs of a persona's judged missions with different relevance
  (relevance = votes / judge runs), the share ordered like the judges (ties count half);
- top-5 share: mean relevance of our top 5, an unjudged mission counting 0 (a lower
  bound; labels of the same person from every run are used), with the coverage (share of
  our top 5 that was judged at all) and the mean relevance among judged ones.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.synthetic import TIMEZONE
from matching.features import Candidate, MissionRequest
from matching.missions import MissionSet
from matching.ranking import Ranker
from matching.skills import SkillNormaliser, fold
from matching.taxonomy import Taxonomy

__all__ = ["SHARED_DATA", "PersonaReport", "evaluate_personas", "load_eval"]

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
EVAL_FILE = "api-engagement-eval.json"
TAXONOMY_FILE = "api-engagement-taxonomy.json"

# Towns of the missions that are not a persona's town (approximate centres).
_TOWNS: Mapping[str, tuple[float, float]] = {
    "villeurbanne": (45.7719, 4.8902),
    "merignac": (44.8386, -0.6436),
    "pessac": (44.8067, -0.6311),
    "marcq en baroeul": (50.6711, 3.0970),
    "villeneuve d ascq": (50.6233, 3.1450),
    "sotteville les rouen": (49.4097, 1.0900),
    "vandoeuvre les nancy": (48.6579, 6.1730),
    "villers les nancy": (48.6727, 6.1527),
    "roche la moliere": (45.4306, 4.3236),
    "capdenac gare": (44.5756, 2.0817),
    "saint cere": (44.8606, 1.8947),
    "villefranche de rouergue": (44.3516, 2.0350),
    "laguiole": (44.6847, 2.8472),
    "saint come d olt": (44.5164, 2.8150),
    "monceaux sur dordogne": (45.0797, 1.9117),
    "aniane": (43.6853, 3.5878),
    "aubais": (43.7561, 4.1461),
    "saint aunes": (43.6406, 3.9653),
    "balaruc les bains": (43.4417, 3.6778),
    "aubagne": (43.2927, 5.5708),
    "avignon": (43.9493, 4.8055),
    "colmar": (48.0794, 7.3585),
    "le mans": (48.0061, 0.1996),
    "metz": (49.1193, 6.1757),
}
_ANSWER_TEXT = (
    "domaine",
    "competence_rome",
    "formation_onisep",
    "engagement_intent",
    "secteur_activite",
    "motivation",
)
_NO_SIGNAL = {"je_ne_sais_pas", "ne_sais_pas"}
_CITY_NOISE = re.compile(r"\b(?:cedex|\d+(?:e|er|eme)?|arrondissement)\b")


@dataclass(frozen=True, slots=True)
class PersonaReport:
    """Aggregated results over the persona profiles."""

    profiles: int
    missions: int
    pairwise_accuracy: float
    pairs: int
    top5_share: float  # lower bound: unjudged missions count as irrelevant
    top5_judged_coverage: float
    top5_share_among_judged: float
    engine_top5_share: float  # the State engine's own share on its top 5
    random_top5_share: float  # expected share of 5 random missions
    engine_pairwise_accuracy: float  # the State engine's own order on the same pairs

    def as_dict(self) -> dict[str, Any]:
        """Plain dict, rounded."""
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def _city_key(name: str) -> str:
    text = fold(name).replace("-", " ").replace("'", " ")
    if "de paris" in text:
        return "paris"
    return " ".join(_CITY_NOISE.sub(" ", text).split())


def load_eval(directory: Path = SHARED_DATA) -> dict[str, Any] | None:
    """The eval file as JSON, or None when it is absent."""
    path = directory / EVAL_FILE
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _answer_labels(directory: Path) -> Mapping[tuple[str, str], str]:
    path = directory / TAXONOMY_FILE
    if not path.is_file():
        return {}
    taxonomies = json.loads(path.read_text(encoding="utf-8"))["matching_taxonomy"]["taxonomies"]
    return {
        (tax, value): str(entry["label"])
        for tax, spec in taxonomies.items()
        for value, entry in spec.get("values", {}).items()
    }


def _persona(
    profile: Mapping[str, Any],
    number: int,
    normaliser: SkillNormaliser,
    labels: Mapping[tuple[str, str], str],
    radius_km: float | None = None,
) -> Candidate:
    words = [str(profile["label"])]
    location: tuple[float, float] | None = None
    for answer in profile["answers"]:
        tax, value = answer["taxonomy"], answer.get("value")
        if tax == "location":
            location = (float(answer["params"]["lat"]), float(answer["params"]["lon"]))
        elif tax in _ANSWER_TEXT and isinstance(value, str) and value not in _NO_SIGNAL:
            words.append(labels.get((tax, value), value.replace("_", " ")))
    text = ". ".join(words)
    return Candidate(
        volunteer_id=number,
        skills=frozenset(normaliser.normalise(text).skill_ids),
        profile_text=text,
        availability=frozenset(),
        location=location,
        max_distance_km=radius_km,
    )


def _missions(data: Mapping[str, Any]) -> tuple[list[MissionRequest], dict[str, int]]:
    places: dict[str, tuple[float, float]] = dict(_TOWNS)
    for profile in data["profiles"]:
        for answer in profile["answers"]:
            if answer["taxonomy"] == "location":
                city = str(answer["params"]["label"]).split("(")[0]
                places[_city_key(city)] = (answer["params"]["lat"], answer["params"]["lon"])
    missions: list[MissionRequest] = []
    ids: dict[str, int] = {}
    for number, raw in enumerate(data["missions"], start=1):
        ids[raw["id"]] = number
        day = date.fromisoformat(raw["startAt"]) if raw.get("startAt") else date(2026, 9, 1)
        start = datetime(day.year, day.month, day.day, 9, tzinfo=TIMEZONE)
        city = raw.get("city")
        remote = raw.get("remote") == "full"
        where = None if remote or not city else places.get(_city_key(str(city)))
        missions.append(
            MissionRequest(
                mission_id=number,
                title=str(raw["title"]),
                description=f"{raw['description']}\n{raw.get('domain') or ''}",
                required_skills=frozenset(),
                nice_skills=frozenset(),
                start=start,
                end=start.replace(hour=17),
                location=where,
            )
        )
    return missions, ids


def _pair_accuracy(scores: Sequence[float], relevance: Sequence[float]) -> tuple[float, int]:
    right, pairs = 0.0, 0
    for i, (si, ri) in enumerate(zip(scores, relevance, strict=True)):
        for sj, rj in zip(scores[i + 1 :], relevance[i + 1 :], strict=True):
            if ri == rj:
                continue
            pairs += 1
            hi, lo = (si, sj) if ri > rj else (sj, si)
            right += 1.0 if hi > lo else 0.5 if hi == lo else 0.0
    return right, pairs


def evaluate_personas(
    taxonomy: Taxonomy,
    ranker: Ranker | None = None,
    directory: Path = SHARED_DATA,
    *,
    radii: Sequence[float | None] = (None,),
) -> dict[float | None, PersonaReport] | None:
    """Rank the 215 missions for each of the 51 profiles; None when the data is absent.

    One report per radius: how far each persona will go (`Candidate.max_distance_km`,
    None = any distance); missions beyond it are filtered out, and rank last for the
    pairwise measure.
    """
    data = load_eval(directory)
    if data is None:
        return None
    ranker = ranker or Ranker(taxonomy)
    normaliser = SkillNormaliser(taxonomy)
    labels = _answer_labels(directory)
    missions, ids = _missions(data)
    prepared = ranker.prepare_missions(missions)
    return {
        radius: _evaluate(data, prepared, ranker, normaliser, labels, ids, radius)
        for radius in radii
    }


def _evaluate(
    data: Mapping[str, Any],
    prepared: MissionSet,
    ranker: Ranker,
    normaliser: SkillNormaliser,
    labels: Mapping[tuple[str, str], str],
    ids: Mapping[str, int],
    radius_km: float | None,
) -> PersonaReport:
    merged: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for profile in data["profiles"]:
        for judged in profile["judged_top5"]:
            relevance = judged["relevant_votes"] / profile["judge_runs"]
            merged[profile["id"]][ids[judged["mission_id"]]].append(relevance)

    right = engine_right = 0.0
    pairs = 0
    shares: list[float] = []
    coverage: list[float] = []
    judged_shares: list[float] = []
    engine_shares: list[float] = []
    random_shares: list[float] = []
    for number, profile in enumerate(data["profiles"], start=1):
        person = _persona(profile, number, normaliser, labels, radius_km)
        ranked = ranker.rank_missions(person, prepared)
        score = {r.mission_id: r.score for r in ranked}
        judged = sorted(profile["judged_top5"], key=lambda j: j["engine_rank"])
        relevance = [j["relevant_votes"] / profile["judge_runs"] for j in judged]
        ours = [score.get(ids[j["mission_id"]], -1.0) for j in judged]
        engine = [-float(j["engine_rank"]) for j in judged]
        r, p = _pair_accuracy(ours, relevance)
        e, _ = _pair_accuracy(engine, relevance)
        right, engine_right, pairs = right + r, engine_right + e, pairs + p
        known = {m: float(np.mean(v)) for m, v in merged[profile["id"]].items()}
        top5 = [r.mission_id for r in ranked[:5]]
        shares.append(sum(known.get(m, 0.0) for m in top5) / 5)
        seen = [known[m] for m in top5 if m in known]
        coverage.append(len(seen) / 5)
        if seen:
            judged_shares.append(float(np.mean(seen)))
        engine_shares.append(float(np.mean(relevance)))
        random_shares.append(sum(known.values()) / len(prepared))
    return PersonaReport(
        profiles=len(data["profiles"]),
        missions=len(prepared),
        pairwise_accuracy=right / pairs if pairs else float("nan"),
        pairs=pairs,
        top5_share=float(np.mean(shares)),
        top5_judged_coverage=float(np.mean(coverage)),
        top5_share_among_judged=float(np.mean(judged_shares)) if judged_shares else 0.0,
        engine_top5_share=float(np.mean(engine_shares)),
        random_top5_share=float(np.mean(random_shares)),
        engine_pairwise_accuracy=engine_right / pairs if pairs else float("nan"),
    )
