"""The dependencies every handler may use, passed in once (no module-level globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.config import Settings
from bot.i18n import Catalogs
from bot.poolcache import PoolCache
from data.store import Store
from matching.skills import SkillNormaliser
from matching.taxonomy import Taxonomy, load_taxonomy

__all__ = ["Services", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    store: Store
    settings: Settings
    catalogs: Catalogs
    taxonomy: Taxonomy
    skills: SkillNormaliser
    clock: Callable[[], datetime] = utcnow
    pools: PoolCache = field(init=False)  # built pools by organisation (bot.poolcache)

    def __post_init__(self) -> None:
        self.pools = PoolCache(self.taxonomy)

    @classmethod
    def build(
        cls, store: Store, settings: Settings, clock: Callable[[], datetime] = utcnow
    ) -> Services:
        taxonomy = load_taxonomy()
        store.clock = clock
        return cls(
            store=store,
            settings=settings,
            catalogs=Catalogs.load(),
            taxonomy=taxonomy,
            skills=SkillNormaliser(taxonomy),
            clock=clock,
        )

    def skill_label(self, skill_id: str | None, raw_text: str, lang: str) -> str:
        if skill_id is None or skill_id not in self.taxonomy.skills:
            return raw_text
        return self.taxonomy.label(skill_id, lang)
