"""The project's skill taxonomy: domains, canonical skills, labels and synonyms.

The data lives in ``data/skills.json`` (written by the project). This module loads it,
checks it, and exposes it as immutable objects. Validation errors name the bad entry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "DEFAULT_LANG",
    "REQUIRED_LANGS",
    "Domain",
    "Skill",
    "Taxonomy",
    "TaxonomyError",
    "load_taxonomy",
    "parse_taxonomy",
]

DEFAULT_LANG = "fr"
REQUIRED_LANGS: tuple[str, ...] = ("fr", "en")

_ID_RE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_LANG_RE = re.compile(r"[a-z]{2}")
_SKILL_KEYS = frozenset({"id", "domain", "synonyms"})


class TaxonomyError(ValueError):
    """The taxonomy file is malformed; the message names the offending entry."""


@dataclass(frozen=True, slots=True)
class Domain:
    """A group of skills (food aid, IT, sport...)."""

    id: str
    labels: dict[str, str] = field(hash=False)

    def label(self, lang: str = DEFAULT_LANG) -> str:
        """Label in `lang`, falling back to French."""
        return self.labels.get(lang) or self.labels[DEFAULT_LANG]


@dataclass(frozen=True, slots=True)
class Skill:
    """A canonical skill or activity, with its labels and synonyms per language."""

    id: str
    domain: str
    labels: dict[str, str] = field(hash=False)
    synonyms: dict[str, tuple[str, ...]] = field(hash=False)

    def label(self, lang: str = DEFAULT_LANG) -> str:
        """Label in `lang`, falling back to French."""
        return self.labels.get(lang) or self.labels[DEFAULT_LANG]

    def terms(self) -> tuple[str, ...]:
        """Every surface form of the skill: labels first, then synonyms (all languages)."""
        seen: dict[str, None] = {}
        for text in self.labels.values():
            seen.setdefault(text, None)
        for words in self.synonyms.values():
            for text in words:
                seen.setdefault(text, None)
        return tuple(seen)


class Taxonomy:
    """Read-only view of domains and skills, keyed by id (file order is kept)."""

    __slots__ = ("_by_domain", "_domains", "_skills", "version")

    def __init__(self, version: int, domains: Iterable[Domain], skills: Iterable[Skill]) -> None:
        self.version = version
        domain_map: dict[str, Domain] = {}
        for domain in domains:
            if domain.id in domain_map:
                raise TaxonomyError(f"domain {domain.id!r}: duplicate id")
            domain_map[domain.id] = domain
        skill_map: dict[str, Skill] = {}
        by_domain: dict[str, list[Skill]] = {d: [] for d in domain_map}
        for skill in skills:
            if skill.id in skill_map:
                raise TaxonomyError(f"skill {skill.id!r}: duplicate id")
            if skill.domain not in domain_map:
                raise TaxonomyError(f"skill {skill.id!r}: unknown domain {skill.domain!r}")
            for lang in REQUIRED_LANGS:
                if not skill.labels.get(lang):
                    raise TaxonomyError(f"skill {skill.id!r}: missing {lang!r} label")
            skill_map[skill.id] = skill
            by_domain[skill.domain].append(skill)
        self._domains: Mapping[str, Domain] = MappingProxyType(domain_map)
        self._skills: Mapping[str, Skill] = MappingProxyType(skill_map)
        self._by_domain = {d: tuple(s) for d, s in by_domain.items()}

    @property
    def domains(self) -> Mapping[str, Domain]:
        """Domains by id."""
        return self._domains

    @property
    def skills(self) -> Mapping[str, Skill]:
        """Skills by id."""
        return self._skills

    def label(self, skill_id: str, lang: str = DEFAULT_LANG) -> str:
        """Label of a skill in `lang` (French when that language is missing)."""
        return self._skills[skill_id].label(lang)

    def domain_label(self, domain_id: str, lang: str = DEFAULT_LANG) -> str:
        """Label of a domain in `lang` (French when that language is missing)."""
        return self._domains[domain_id].label(lang)

    def skills_in(self, domain_id: str) -> tuple[Skill, ...]:
        """Skills of one domain, in file order."""
        return self._by_domain[domain_id]

    def __len__(self) -> int:
        return len(self._skills)

    def __contains__(self, skill_id: object) -> bool:
        return skill_id in self._skills

    def __iter__(self) -> Iterator[Skill]:
        return iter(self._skills.values())

    def __repr__(self) -> str:
        return f"Taxonomy(version={self.version}, domains={len(self._domains)}, skills={len(self)})"


def _where(kind: str, index: int, entry: Mapping[str, Any]) -> str:
    ident = entry.get("id")
    return f"{kind} {ident!r} ({kind}s[{index}])" if isinstance(ident, str) else f"{kind}s[{index}]"


def _check_id(value: object, where: str) -> str:
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise TaxonomyError(f"{where}: id must be snake_case ASCII, got {value!r}")
    return value


def _labels(entry: Mapping[str, Any], where: str, skip: frozenset[str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for key, value in entry.items():
        if key in skip:
            continue
        if not _LANG_RE.fullmatch(key):
            raise TaxonomyError(f"{where}: unexpected field {key!r}")
        if not isinstance(value, str) or not value.strip():
            raise TaxonomyError(f"{where}: empty {key!r} label")
        labels[key] = value.strip()
    for lang in REQUIRED_LANGS:
        if lang not in labels:
            raise TaxonomyError(f"{where}: missing {lang!r} label")
    return labels


def _synonyms(value: object, where: str) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TaxonomyError(f"{where}: synonyms must be an object of lang -> list")
    out: dict[str, tuple[str, ...]] = {}
    for lang, words in value.items():
        if not isinstance(lang, str) or not _LANG_RE.fullmatch(lang):
            raise TaxonomyError(f"{where}: bad synonym language {lang!r}")
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise TaxonomyError(f"{where}: synonyms[{lang!r}] must be a list of non-empty strings")
        out[lang] = tuple(dict.fromkeys(w.strip() for w in words))
    return out


def parse_taxonomy(data: object) -> Taxonomy:
    """Build a checked `Taxonomy` from decoded JSON."""
    if not isinstance(data, dict):
        raise TaxonomyError("taxonomy: top level must be an object")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TaxonomyError(f"taxonomy: bad version {version!r}")
    raw_domains = data.get("domains")
    raw_skills = data.get("skills")
    if not isinstance(raw_domains, list) or not isinstance(raw_skills, list):
        raise TaxonomyError("taxonomy: 'domains' and 'skills' must be lists")

    domains: list[Domain] = []
    seen_domains: set[str] = set()
    for i, entry in enumerate(raw_domains):
        if not isinstance(entry, dict):
            raise TaxonomyError(f"domains[{i}]: must be an object")
        where = _where("domain", i, entry)
        ident = _check_id(entry.get("id"), where)
        if ident in seen_domains:
            raise TaxonomyError(f"{where}: duplicate id")
        seen_domains.add(ident)
        domains.append(Domain(ident, _labels(entry, where, frozenset({"id"}))))

    skills: list[Skill] = []
    seen_skills: set[str] = set()
    for i, entry in enumerate(raw_skills):
        if not isinstance(entry, dict):
            raise TaxonomyError(f"skills[{i}]: must be an object")
        where = _where("skill", i, entry)
        ident = _check_id(entry.get("id"), where)
        if ident in seen_skills:
            raise TaxonomyError(f"{where}: duplicate id")
        seen_skills.add(ident)
        domain = entry.get("domain")
        if domain not in seen_domains:
            raise TaxonomyError(f"{where}: unknown domain {domain!r}")
        assert isinstance(domain, str)
        labels = _labels(entry, where, _SKILL_KEYS)
        skills.append(Skill(ident, domain, labels, _synonyms(entry.get("synonyms"), where)))
    return Taxonomy(version, domains, skills)


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Load and check the taxonomy (default: the packaged ``data/skills.json``)."""
    try:
        if path is None:
            text = (resources.files("data") / "skills.json").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TaxonomyError(f"taxonomy: invalid JSON ({exc})") from exc
    return parse_taxonomy(data)
