"""Between the database and `matching`: load an organisation's volunteers as candidates,
rank them for a mission, and say why in the reader's language."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from bot.engagement import RECENT_DAYS, engagement_of
from bot.learning import load_model
from bot.policy import Policy
from bot.poolcache import load_profiles
from bot.services import Services
from data.records import ACTIVE_SIGNUPS, Mission
from data.repos import Tx
from data.repos.invitations import History
from matching import Candidate, MissionRequest, Ranked, RankedMission, Ranker, Reason
from matching.ranking import Loyalty

__all__ = [
    "FIT",
    "candidates_for",
    "member_candidates",
    "member_counters",
    "mission_request",
    "missions_for",
    "rank_for_mission",
    "render_reasons",
]


FIT = frozenset({"skill", "related", "profile", "available"})  # reasons that say "for you"
WEEK: Final = timedelta(days=7)  # "recent" invitations
MONTH: Final = timedelta(days=28)  # "recent" sign-ups
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# Pool counter <- `History` field.
_COUNTERS: Final = {
    "attended": "attended",
    "no_shows": "no_shows",
    "invitations": "invitations",
    "invitations_answered": "answered",
    "invitations_accepted": "accepted",
    "recent_invitations": "recent_invitations",
    "recent_missions": "recent_missions",
}


def mission_request(mission: Mission, tz: ZoneInfo, policy: Policy) -> MissionRequest:
    """The mission as the ranking sees it, in its organisation's time zone."""
    return MissionRequest(
        mission_id=mission.id,
        title=mission.title,
        description=mission.description,
        required_skills=frozenset(s.skill_id for s in mission.skills if s.skill_id and s.required),
        nice_skills=frozenset(s.skill_id for s in mission.skills if s.skill_id and not s.required),
        start=mission.starts_at.astimezone(tz),
        end=mission.ends_at.astimezone(tz),
        org_weekly_cap=policy.max_invitations_per_week,
    )


async def candidates_for(
    tx: Tx, mission: Mission, now: datetime, only: Collection[int] | None = None
) -> list[Candidate]:
    """Every onboarded member of the mission's organisation (or those in `only`), with what
    the ranking needs."""
    if only is None:
        ids = [vid for vid, _ in await tx.orgs.members(mission.org_id)]
    else:
        ids = [vid for vid in only if await tx.orgs.role(mission.org_id, vid) is not None]
    profiles = await load_profiles(tx, ids)
    if not profiles:
        return []
    vids = [p.candidate.volunteer_id for p in profiles]
    state = await _state(tx, vids, mission, now)
    return [
        replace(
            p.candidate,
            **state.counts(i),
            paused=p.paused_until is not None and p.paused_until > now,
            signed_up=p.candidate.volunteer_id in state.signed,
            declined=p.candidate.volunteer_id in state.invited,
            busy=p.candidate.volunteer_id in state.busy,
        )
        for i, p in enumerate(profiles)
    ]


@dataclass(frozen=True, slots=True)
class _State:
    """What changes between rankings: activity counters (in the order of the ids asked
    for) and the mission's flags."""

    histories: list[History]
    now: datetime
    signed: set[int]
    invited: set[int]  # never invited twice to one mission
    busy: set[int]

    def counts(self, i: int) -> dict[str, Any]:
        history = self.histories[i]
        last = history.last_active
        return {
            "attended": history.attended,
            "no_shows": history.no_shows,
            "invitations": history.invitations,
            "invitations_answered": history.answered,
            "invitations_accepted": history.accepted,
            "recent_invitations": history.recent_invitations,
            "recent_missions": history.recent_missions,
            "days_since_active": (self.now - last).total_seconds() / 86400 if last else None,
        }


async def _state(tx: Tx, vids: list[int], mission: Mission, now: datetime) -> _State:
    """Counters and flags of a few volunteers, by id (one volunteer's missions)."""
    histories = await tx.invitations.histories(
        vids, now, week_ago=now - WEEK, month_ago=now - MONTH
    )
    signed, invited = await _flags(tx, mission)
    return _State(
        histories=[histories[v] for v in vids],
        now=now,
        signed=signed,
        invited=invited,
        busy=await tx.invitations.busy(vids, mission.starts_at, mission.ends_at, mission.id),
    )


async def _flags(tx: Tx, mission: Mission) -> tuple[set[int], set[int]]:
    """Who is signed up to `mission`, and who was invited to it (never invited twice)."""
    signed = {s.volunteer_id for s in await tx.missions.signups(mission.id, ACTIVE_SIGNUPS)}
    return signed, {i.volunteer_id for i in await tx.invitations.for_mission(mission.id)}


async def member_counters(
    tx: Tx, org_id: int, volunteer_ids: NDArray[np.int64], now: datetime
) -> dict[str, NDArray[np.float64]]:
    """The activity counters of members of the organisation (`volunteer_ids`, in that order)
    as `Pool.with_counts` takes them: the organisation's grouped queries, no list of ids,
    the same numbers as `candidates_for` gives one by one."""
    histories = await tx.invitations.member_histories(
        org_id, week_ago=now - WEEK, month_ago=now - MONTH
    )
    fields = histories.aligned(volunteer_ids)
    out = {name: fields[field] for name, field in _COUNTERS.items()}
    # Exact integers minus exact integers, then the divisions `timedelta.total_seconds()`
    # and `/ 86400` make: the same float as `_State.counts`.
    now_us = float((now - _EPOCH) // timedelta(microseconds=1))
    out["days_since_active"] = (now_us - fields["last_active"]) / 1e6 / 86400
    return out


async def member_candidates(
    tx: Tx, services: Services, org_id: int, volunteer_ids: Collection[int], now: datetime
) -> dict[int, Candidate]:
    """Those of `volunteer_ids` who are in the organisation's pool (onboarded members), with
    their counters, by id, from the cached pool (`candidates_for` without its per-mission
    flags, and without loading every profile)."""
    pool, _ = await services.pools.static_pool(tx, org_id, now)
    if not len(pool):
        return {}
    wanted = np.fromiter(volunteer_ids, dtype=np.int64, count=len(volunteer_ids))
    rows = np.flatnonzero(np.isin(pool.volunteer_ids, wanted))
    pool = pool.with_counts(**await member_counters(tx, org_id, pool.volunteer_ids, now))
    return {c.volunteer_id: c for c in pool.candidates(rows.tolist())}


async def rank_for_mission(
    tx: Tx, services: Services, mission: Mission, now: datetime, limit: int | None = None
) -> list[Ranked]:
    """Eligible volunteers for `mission`, best first, with reasons. The organisation's pool
    comes from `services.pools` (checked against the database, rebuilt only where profiles
    changed); counters and the mission's flags are read fresh."""
    org = await tx.orgs.get(mission.org_id)
    policy = Policy.of(org.settings if org else {})
    tz = ZoneInfo(org.timezone if org else services.settings.timezone)
    request = mission_request(mission, tz, policy)
    pool, _ = await services.pools.static_pool(tx, mission.org_id, now)
    if not len(pool):
        return []
    signed, invited = await _flags(tx, mission)
    busy = await tx.invitations.busy_members(
        mission.org_id, mission.starts_at, mission.ends_at, mission.id
    )
    counters = await member_counters(tx, mission.org_id, pool.volunteer_ids, now)
    pool = pool.with_counts(**counters).with_mission_state(
        signed_up=signed, declined=invited, busy=busy
    )
    model = load_model(org.settings) if org else None
    # The organisation's engagement scores break near-ties (see matching.LOYALTY_BONUS).
    since = now - timedelta(days=RECENT_DAYS)
    scores = engagement_of(await tx.orgs.participation(mission.org_id, now, since), now)
    loyalty = {vid: Loyalty(e.score / 100, e.recent) for vid, e in scores.items()}
    return Ranker(services.taxonomy, model=model).rank(request, pool, limit=limit, loyalty=loyalty)


def render_reasons(services: Services, reasons: tuple[Reason, ...], lang: str) -> str:
    """'Jardinage · libre samedi matin · venu·e 5 fois' in `lang`."""
    catalogs = services.catalogs
    parts = []
    for reason in reasons:
        value = reason.value
        if reason.kind == "skill":
            parts.append(services.skill_label(str(value), str(value), lang))
        elif reason.kind == "related":
            parts.append(
                catalogs.t(
                    lang, "reason.related", domain=services.taxonomy.domain_label(str(value), lang)
                )
            )
        elif reason.kind == "available":
            day, _, part = str(value).partition(":")
            parts.append(
                catalogs.t(
                    lang,
                    "reason.available",
                    day=catalogs.day_name(lang, int(day)),
                    part=catalogs.t(lang, f"part.{part}"),
                )
            )
        elif reason.kind in (
            "profile",
            "distance_km",
            "attended",
            "reliable",
            "responsive",
            "active",
            "new",
            "rested",
            "loyal",
        ):
            parts.append(catalogs.t(lang, f"reason.{reason.kind}", value=value))
    return " · ".join(parts)


async def missions_for(
    tx: Tx, services: Services, volunteer_id: int, missions: Sequence[Mission], now: datetime
) -> list[RankedMission]:
    """Open missions of one organisation ranked for one volunteer (best first), with reasons."""
    if not missions:
        return []
    candidates = await candidates_for(tx, missions[0], now, only={volunteer_id})
    if not candidates:
        return []
    org = await tx.orgs.get(missions[0].org_id)
    policy = Policy.of(org.settings if org else {})
    tz = ZoneInfo(org.timezone if org else services.settings.timezone)
    involved = await tx.activity.involved(m.id for m in missions)
    candidate = replace(candidates[0], signed_up=False, declined=False, busy=False)
    ranker = Ranker(services.taxonomy)
    prepared = ranker.prepare_missions([mission_request(m, tz, policy) for m in missions])
    return ranker.rank_missions(candidate, prepared, signed_up=involved.get(volunteer_id, set()))
