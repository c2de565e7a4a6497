"""Matching: skills, ranking volunteers for missions, reasons, fairness, learning.

Pure computation: no I/O besides the packaged taxonomy, no chat library, no database.
The public names below load lazily, so `import matching.skills` stays light (the ranking
modules pull in scikit-learn and SciPy only when first used).

    from matching import Candidate, MissionRequest, Pool, Ranker, load_taxonomy

    taxonomy = load_taxonomy()
    pool = Pool.from_candidates(candidates, taxonomy)
    for ranked in Ranker(taxonomy).rank(mission, pool, limit=10):
        print(ranked.volunteer_id, ranked.score, ranked.reasons)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matching.fairness import fairness_score, gini, spread_report
    from matching.features import FEATURES, PARTS, Candidate, MissionRequest, mission_slots
    from matching.learning import (
        AcceptanceModel,
        Evaluation,
        Example,
        ModelFormatError,
        Outcome,
        TrainingResult,
        train_acceptance_model,
    )
    from matching.missions import MissionSet
    from matching.pool import Pool, TextModel
    from matching.ranking import Ranked, RankedMission, Ranker, Scores, Weights
    from matching.reasons import REASON_KINDS, Reason, summarise
    from matching.scoring import EXCLUSIONS
    from matching.skills import NormalisedSkills, SkillMatch, SkillNormaliser
    from matching.taxonomy import Taxonomy, TaxonomyError, load_taxonomy

__all__ = [
    "EXCLUSIONS",
    "FEATURES",
    "PARTS",
    "REASON_KINDS",
    "AcceptanceModel",
    "Candidate",
    "Evaluation",
    "Example",
    "MissionRequest",
    "MissionSet",
    "ModelFormatError",
    "NormalisedSkills",
    "Outcome",
    "Pool",
    "Ranked",
    "RankedMission",
    "Ranker",
    "Reason",
    "Scores",
    "SkillMatch",
    "SkillNormaliser",
    "Taxonomy",
    "TaxonomyError",
    "TextModel",
    "TrainingResult",
    "Weights",
    "fairness_score",
    "gini",
    "load_taxonomy",
    "mission_slots",
    "spread_report",
    "summarise",
    "train_acceptance_model",
]

_HOME = {
    "matching.fairness": ("fairness_score", "gini", "spread_report"),
    "matching.features": ("FEATURES", "PARTS", "Candidate", "MissionRequest", "mission_slots"),
    "matching.learning": (
        "AcceptanceModel",
        "Evaluation",
        "Example",
        "ModelFormatError",
        "Outcome",
        "TrainingResult",
        "train_acceptance_model",
    ),
    "matching.missions": ("MissionSet",),
    "matching.pool": ("Pool", "TextModel"),
    "matching.ranking": ("Ranked", "RankedMission", "Ranker", "Scores", "Weights"),
    "matching.reasons": ("REASON_KINDS", "Reason", "summarise"),
    "matching.scoring": ("EXCLUSIONS",),
    "matching.skills": ("NormalisedSkills", "SkillMatch", "SkillNormaliser"),
    "matching.taxonomy": ("Taxonomy", "TaxonomyError", "load_taxonomy"),
}
_MODULE_OF = {name: module for module, names in _HOME.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'matching' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
