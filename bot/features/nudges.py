"""Nudges that keep people engaged without tiring them, once a week per organisation:

* "missions for you": each engaged volunteer's top open missions (three by default),
  ranked for them (`Ranker.rank_missions`), only those that fit them (a skill, a related
  skill, their own words or their free time), with a one-tap sign-up per mission;
* one gentle word to a volunteer who is drifting away: their engagement score
  (`bot.engagement.drifting`: high three months ago, fallen since) and no activity for 60
  days by default. Someone quiet who was never very involved, or who is steady, gets
  nothing. Once per quiet period: its idempotency key is the date of their last activity.

Both skip people on pause, people who asked for fewer messages and people the bot cannot
reach; both wait for the end of quiet hours in the person's time zone and carry the
one-tap "Moins de messages". The organisation's `Policy` sets the day, hour and sizes.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.cards import mission_when
from bot.engagement import drifting
from bot.events import Button, Keyboard
from bot.matchmaking import FIT, member_candidates, mission_request, render_reasons
from bot.outbox import queue_private
from bot.policy import Policy, next_allowed_time
from bot.router import Router
from bot.scheduler import Job
from bot.services import Services
from data.records import Mission, Organisation, Volunteer
from data.repos import Tx
from matching import RankedMission, Ranker

__all__ = ["BOT_KINDS", "ensure_nudges", "register"]

_log = logging.getLogger(__name__)

# Interactions the bot logs about someone without them doing anything: not activity.
BOT_KINDS = frozenset(
    {"invited", "offered", "offer_expired", "nudge_digest", "nudge_quiet", "occurrence_created"}
)
LATE = timedelta(days=1)  # a weekly run later than this is skipped (the bot was down)
SOON = timedelta(hours=2)  # missions starting sooner are left to the invitation waves


def register(router: Router) -> None:
    router.task("nudges", _nudges_task)


async def ensure_nudges(tx: Tx, services: Services, org_id: int, now: datetime) -> None:
    """Plan the organisation's next weekly nudges, once it has someone to nudge.

    Called when missions are published, series extended and people pause or resume;
    each weekly run plans the next one.
    """
    org = await tx.orgs.get(org_id)
    if org is not None and await _audience(tx, org_id, now):
        await _plan_next(tx, org, now)


async def _plan_next(tx: Tx, org: Organisation, now: datetime) -> None:
    policy = Policy.of(org.settings)
    due = _next_run(now, ZoneInfo(org.timezone), policy.digest_weekday, policy.digest_hour)
    await tx.tasks.schedule(
        "nudges", f"nudges:{org.id}:{due.date().isoformat()}", due, org_id=org.id
    )


def _next_run(now: datetime, tz: ZoneInfo, weekday: int, hour: int) -> datetime:
    """The next local `weekday` at `hour`:00 strictly after `now`."""
    local = now.astimezone(tz)
    day = local.date() + timedelta(days=(weekday % 7 - local.weekday()) % 7)
    moment = datetime.combine(day, time(min(max(hour, 0), 23)), tzinfo=tz)
    if moment <= now:
        moment = datetime.combine(day + timedelta(days=7), moment.time(), tzinfo=tz)
    return moment


async def _nudges_task(job: Job) -> None:
    tx, services = job.tx, job.services
    org = await tx.orgs.get(job.task.org_id or 0)
    if org is None:
        job.drop("organisation gone")
        return
    await _plan_next(tx, org, job.now)  # next week's, whatever happens now
    if job.task.payload.get("start"):
        return  # the first run of an association only plans the weekly one
    if job.now - job.task.due_at > LATE:
        job.drop("too late: next week's will go")
        return
    policy = Policy.of(org.settings)
    audience = await _audience(tx, org.id, job.now)
    last = await tx.activity.last_active((v.id for v in audience), ignore=BOT_KINDS)
    busy = await tx.activity.commitments((v.id for v in audience), job.now)
    quiet_since = job.now - timedelta(days=policy.quiet_after_days or 60)
    engaged = [v for v in audience if v.id in last and last[v.id] > quiet_since]
    digests = await _send_digests(tx, services, org, policy, engaged, busy, job.now)
    words = 0
    if policy.quiet_after_days > 0:
        history = await tx.reports.history(org.id)
        drifters = {e.volunteer_id for e, _ in drifting(history, job.now)}
        for volunteer in audience:
            seen = last.get(volunteer.id)
            if (
                volunteer.id in drifters
                and seen is not None
                and seen <= quiet_since
                and not busy.get(volunteer.id)
            ):
                words += await _send_quiet_word(tx, services, org, policy, volunteer, seen, job.now)
    _log.info("org %s: %d digests, %d quiet words", org.id, digests, words)


async def _audience(tx: Tx, org_id: int, now: datetime) -> list[Volunteer]:
    """Onboarded members who are not on pause and did not ask for fewer messages."""
    members = await tx.people.many(vid for vid, _ in await tx.orgs.members(org_id))
    return [
        v
        for v in members.values()
        if v.onboarded
        and not v.fewer_messages
        and (v.paused_until is None or v.paused_until <= now)
    ]


def _their_zone(volunteer: Volunteer, org: Organisation) -> ZoneInfo:
    try:
        return ZoneInfo(volunteer.timezone or org.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(org.timezone)


def _buttons(services: Services, lang: str, *, missions: tuple[int, ...] = ()) -> Keyboard:
    t = services.catalogs.t
    rows = [(Button(t(lang, "nudge.join", id=mid), f"j:{mid}"),) for mid in missions]
    if not missions:
        rows.append((Button(t(lang, "nudge.take_a_break"), "ps:menu"),))
    rows.append((Button(t(lang, "invite.fewer"), "nf:1"),))
    return tuple(rows)


async def _send_digests(
    tx: Tx,
    services: Services,
    org: Organisation,
    policy: Policy,
    engaged: list[Volunteer],
    busy: dict[int, list[tuple[int, datetime, datetime]]],
    now: datetime,
) -> int:
    """Each engaged volunteer's top open missions that fit them; return how many were sent."""
    if policy.digest_size <= 0 or not engaged:
        return 0
    tz = ZoneInfo(org.timezone)
    horizon = now + timedelta(days=policy.digest_days_ahead)
    missions: list[Mission] = []
    for mission in await tx.missions.open_missions(org.id, now, limit=200):
        taken, _ = await tx.missions.counts(mission.id)
        if now + SOON < mission.starts_at <= horizon and taken < mission.slots:
            missions.append(mission)
    if not missions:
        return 0
    ranker = Ranker(services.taxonomy)
    prepared = ranker.prepare_missions([mission_request(m, tz, policy) for m in missions])
    by_id = {m.id: m for m in missions}
    involved = await tx.activity.involved(by_id)
    # From the organisation's cached pool (`bot.poolcache`): no profile is reloaded.
    candidates = await member_candidates(tx, services, org.id, [v.id for v in engaged], now)
    week = now.astimezone(tz).isocalendar()
    sent = 0
    for volunteer in engaged:
        candidate = candidates.get(volunteer.id)
        if candidate is None:
            continue
        # The pool's flags are about one mission: here every mission is weighed.
        candidate = replace(candidate, signed_up=False, declined=False, busy=False)
        overlapping = {
            m.id
            for m in missions
            for _, start, end in busy.get(volunteer.id, [])
            if m.starts_at < end and start < m.ends_at
        }
        ranked = ranker.rank_missions(
            candidate, prepared, signed_up=involved.get(volunteer.id, set()), busy=overlapping
        )
        chosen = [r for r in ranked if FIT.intersection(x.kind for x in r.reasons)]
        chosen = chosen[: policy.digest_size]
        if not chosen:
            continue
        lang = volunteer.language
        lines = [await _line(tx, services, by_id[r.mission_id], r, lang) for r in chosen]
        ids = tuple(r.mission_id for r in chosen)
        queued = await queue_private(
            tx,
            services,
            volunteer.id,
            f"digest:{org.id}:{volunteer.id}:{week.year}-W{week.week:02d}",
            "nudge.digest",
            org_id=org.id,
            not_before=_allowed(now, volunteer, org, policy),
            name=volunteer.display_name,
            lines="\n\n".join(lines),
            buttons_of=functools.partial(_buttons, services, missions=ids),
        )
        if queued:
            sent += 1
            await tx.interactions.log(
                "nudge_digest", org_id=org.id, volunteer_id=volunteer.id, at=now, missions=ids
            )
    return sent


async def _line(
    tx: Tx, services: Services, mission: Mission, ranked: RankedMission, lang: str
) -> str:
    return services.catalogs.t(
        lang,
        "nudge.digest_line",
        title=mission.title,
        when=await mission_when(tx, services, mission, lang),
        why=render_reasons(services, ranked.reasons, lang) or "—",
    )


def _allowed(now: datetime, volunteer: Volunteer, org: Organisation, policy: Policy) -> datetime:
    zone = _their_zone(volunteer, org)
    return next_allowed_time(now, zone, policy.quiet_start, policy.quiet_end)


async def _send_quiet_word(
    tx: Tx,
    services: Services,
    org: Organisation,
    policy: Policy,
    volunteer: Volunteer,
    seen: datetime,
    now: datetime,
) -> int:
    """One gentle message per quiet period of someone drifting (the key is the date of the
    last activity)."""
    queued = await queue_private(
        tx,
        services,
        volunteer.id,
        f"quiet:{org.id}:{volunteer.id}:{seen.date().isoformat()}",
        "nudge.quiet",
        org_id=org.id,
        not_before=_allowed(now, volunteer, org, policy),
        name=volunteer.display_name,
        org=org.name,
        buttons_of=functools.partial(_buttons, services),
    )
    if queued:
        await tx.interactions.log("nudge_quiet", org_id=org.id, volunteer_id=volunteer.id, at=now)
    return int(queued)
