"""Between the database and `matching`: load an organisation's volunteers as candidates,
rank them for a mission, and say why in the reader's language."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.learning import load_model
from bot.policy import Policy
from bot.services import Services
from data.records import ACTIVE_SIGNUPS, Mission
from data.repos import Tx
from matching import Candidate, MissionRequest, Pool, Ranked, RankedMission, Ranker, Reason

__all__ = [
    "FIT",
    "candidates_for",
    "mission_request",
    "missions_for",
    "rank_for_mission",
    "render_reasons",
]


FIT = frozenset({"skill", "related", "profile", "available"})  # reasons that say "for you"


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
    members = await tx.orgs.members(mission.org_id)
    ids = [vid for vid, role in members if only is None or vid in only]
    volunteers = await tx.people.many(ids)
    onboarded = [v for v in volunteers.values() if v.onboarded]
    if not onboarded:
        return []
    vids = [v.id for v in onboarded]
    histories = await tx.invitations.histories(
        vids, now, week_ago=now - timedelta(days=7), month_ago=now - timedelta(days=28)
    )
    busy = await tx.invitations.busy(vids, mission.starts_at, mission.ends_at, mission.id)
    invited = {i.volunteer_id: i.status for i in await tx.invitations.for_mission(mission.id)}
    signed = {s.volunteer_id for s in await tx.missions.signups(mission.id, ACTIVE_SIGNUPS)}
    skills = await tx.people.skills_of(vids)
    slots = await tx.people.availability_of(vids)
    out = []
    for volunteer in onboarded:
        history = histories[volunteer.id]
        mine = skills.get(volunteer.id, [])
        cap = 1 if volunteer.fewer_messages else volunteer.max_invitations_per_week
        out.append(
            Candidate(
                volunteer_id=volunteer.id,
                skills=frozenset(s.skill_id for s in mine if s.skill_id),
                profile_text=" ".join(s.raw_text for s in mine),
                availability=frozenset(slots.get(volunteer.id, set())),
                location=(volunteer.latitude, volunteer.longitude)
                if volunteer.latitude is not None and volunteer.longitude is not None
                else None,
                attended=history.attended,
                no_shows=history.no_shows,
                invitations=history.invitations,
                invitations_answered=history.answered,
                invitations_accepted=history.accepted,
                recent_invitations=history.recent_invitations,
                recent_missions=history.recent_missions,
                weekly_cap=cap,
                days_since_active=(now - history.last_active).total_seconds() / 86400
                if history.last_active
                else None,
                paused=volunteer.paused_until is not None and volunteer.paused_until > now,
                signed_up=volunteer.id in signed,
                declined=volunteer.id in invited,  # never invited twice to one mission
                busy=volunteer.id in busy,
            )
        )
    return out


async def rank_for_mission(
    tx: Tx, services: Services, mission: Mission, now: datetime, limit: int | None = None
) -> list[Ranked]:
    org = await tx.orgs.get(mission.org_id)
    policy = Policy.of(org.settings if org else {})
    tz = ZoneInfo(org.timezone if org else services.settings.timezone)
    request = mission_request(mission, tz, policy)
    candidates = await candidates_for(tx, mission, now)
    if not candidates:
        return []
    pool = Pool.from_candidates(candidates, services.taxonomy)
    model = load_model(org.settings) if org else None
    return Ranker(services.taxonomy, model=model).rank(request, pool, limit=limit)


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
