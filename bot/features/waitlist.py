"""The waitlist: a freed place is offered to the first person waiting, who must confirm
before a deadline; otherwise the next one is asked."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from bot.cards import mission_tz, mission_when
from bot.context import Context, UserError
from bot.events import Button, Keyboard
from bot.outbox import queue_card_refresh, queue_private
from bot.policy import Policy
from bot.router import Router
from bot.scheduler import Job
from bot.services import Services
from data.records import Mission, MissionStatus, Signup, SignupStatus
from data.repos import Tx

__all__ = ["offer_free_places", "own_signup", "register"]


def register(router: Router) -> None:
    router.button("of", _offer_button)
    router.task("offer_deadline", _offer_deadline)


def _deadline(now: datetime, mission: Mission, policy: Policy) -> datetime:
    """Hold the place for `offer_hours`, but leave time to ask someone else before the start."""
    left = mission.starts_at - now
    return now + min(timedelta(hours=policy.offer_hours), max(left / 3, timedelta(minutes=15)))


async def offer_free_places(
    tx: Tx, services: Services, mission: Mission, now: datetime
) -> list[int]:
    """Offer every free place to the next people waiting; return their volunteer ids."""
    if mission.status is not MissionStatus.OPEN or mission.starts_at <= now:
        return []
    taken, _ = await tx.missions.counts(mission.id)
    waiting = await tx.missions.signups(mission.id, [SignupStatus.WAITLISTED])
    org = await tx.orgs.get(mission.org_id)
    policy = Policy.of(org.settings if org else {})
    offered = []
    for signup in waiting[: max(0, mission.slots - taken)]:
        deadline = _deadline(now, mission, policy)
        await tx.missions.offer(signup.id, deadline)
        await tx.interactions.log(
            "offered",
            org_id=mission.org_id,
            volunteer_id=signup.volunteer_id,
            mission_id=mission.id,
        )
        volunteer = await tx.people.get(signup.volunteer_id)
        lang = volunteer.language if volunteer else services.settings.language
        tz = await mission_tz(tx, services, mission)
        deadline_text = (
            services.catalogs.date(lang, deadline, tz) + " " + services.catalogs.time(deadline, tz)
        )
        await queue_private(
            tx,
            services,
            signup.volunteer_id,
            f"offer:{signup.id}:{deadline.isoformat()}",
            "waitlist.offer",
            org_id=mission.org_id,
            valid_until=deadline,
            title=mission.title,
            when=await mission_when(tx, services, mission, lang),
            place=mission.place or "—",
            deadline=deadline_text,
            buttons_of=functools.partial(_offer_buttons, services, signup_id=signup.id),
        )
        await tx.tasks.schedule(
            "offer_deadline",
            f"offer:{signup.id}:{deadline.isoformat()}",
            deadline,
            org_id=mission.org_id,
            mission_id=mission.id,
            volunteer_id=signup.volunteer_id,
            payload={"signup_id": signup.id},
        )
        offered.append(signup.volunteer_id)
    return offered


def _offer_buttons(services: Services, lang: str, *, signup_id: int) -> Keyboard:
    t = services.catalogs.t
    return (
        (
            Button(t(lang, "waitlist.confirm"), f"of:y:{signup_id}"),
            Button(t(lang, "waitlist.decline"), f"of:n:{signup_id}"),
        ),
    )


async def own_signup(ctx: Context, ref: str) -> tuple[Signup, Mission]:
    """The sign-up named in a button's data, if it is the presser's, with its mission locked."""
    if not ref.isdigit() or len(ref) > 9:
        raise UserError("errors.stale_button")
    signup = await ctx.tx.missions.signup_by_id(int(ref))
    if signup is None or signup.volunteer_id != ctx.volunteer.id:
        raise UserError("errors.not_your_button")
    mission = await ctx.tx.missions.get(signup.mission_id, for_update=True)
    assert mission is not None
    return signup, mission


async def _offer_button(ctx: Context, payload: str) -> None:
    answer, _, ref = payload.partition(":")
    if answer not in ("y", "n"):
        raise UserError("errors.stale_button")
    signup, mission = await own_signup(ctx, ref)
    if signup.status is SignupStatus.CONFIRMED:
        raise UserError("signup.already", title=mission.title)
    if signup.status is not SignupStatus.OFFERED:
        raise UserError("waitlist.offer_expired", title=mission.title)
    if answer == "y":
        await ctx.tx.missions.set_signup_status(signup.id, SignupStatus.CONFIRMED)
        await ctx.tx.interactions.log(
            "offer_accepted",
            org_id=mission.org_id,
            volunteer_id=ctx.volunteer.id,
            mission_id=mission.id,
        )
        ctx.answer("signup.confirmed_short")
        ctx.private("waitlist.confirmed", title=mission.title, when=await ctx.when(mission))
    else:
        await ctx.tx.missions.set_signup_status(signup.id, SignupStatus.WITHDRAWN)
        await ctx.tx.interactions.log(
            "offer_declined",
            org_id=mission.org_id,
            volunteer_id=ctx.volunteer.id,
            mission_id=mission.id,
        )
        await offer_free_places(ctx.tx, ctx.services, mission, ctx.now)
        ctx.answer("signup.withdrawn_short")
        ctx.private("signup.withdrawn", title=mission.title)
    await ctx.tx.missions.bump(mission.id)
    await queue_card_refresh(ctx.tx, mission.id)


async def _offer_deadline(job: Job) -> None:
    """Nobody confirmed the offered place in time: free it and ask the next person."""
    tx = job.tx
    signup = await tx.missions.signup_by_id(int(job.task.payload["signup_id"]))
    if signup is None or signup.status is not SignupStatus.OFFERED:
        job.drop("answered")
        return
    mission = await tx.missions.get(signup.mission_id, for_update=True)
    if mission is None or mission.status is not MissionStatus.OPEN or mission.starts_at <= job.now:
        job.drop("mission over")
        return
    await tx.missions.set_signup_status(signup.id, SignupStatus.WITHDRAWN)
    await tx.interactions.log(
        "offer_expired",
        org_id=mission.org_id,
        volunteer_id=signup.volunteer_id,
        mission_id=mission.id,
    )
    await queue_private(
        tx,
        job.services,
        signup.volunteer_id,
        f"offer-expired:{signup.id}:{job.task.id}",
        "waitlist.expired_notice",
        org_id=mission.org_id,
        title=mission.title,
    )
    await offer_free_places(tx, job.services, mission, job.now)
    await tx.missions.bump(mission.id)
    await queue_card_refresh(tx, mission.id)
