"""Invitations: /match shows the best candidates and why; /invite and the automatic check
before the start send private invitations in waves sized on the open places, each with a
deadline, the next wave going when the previous one expired or was declined."""

from __future__ import annotations

import functools
import math
from datetime import datetime, timedelta
from typing import Any

from bot import learning
from bot.cards import mission_tz, mission_when
from bot.context import Context, UserError
from bot.events import Button, Keyboard
from bot.features import signups
from bot.features.mission_form import coordinated_mission
from bot.matchmaking import rank_for_mission, render_reasons
from bot.outbox import queue_private
from bot.policy import Policy, next_allowed_time
from bot.router import Router
from bot.scheduler import Job
from bot.services import Services
from data.records import Mission, MissionStatus, Role
from data.repos import Tx
from matching import Ranked

__all__ = ["invite", "register", "start_wave"]

MATCH_SHOWN = 8


def register(router: Router) -> None:
    router.command(
        "invite",
        invite_command,
        aliases=("inviter",),
        min_role=Role.COORDINATOR,
        help_key="help.invite",
    )
    router.command("match", match_command, min_role=Role.COORDINATOR, help_key="help.match")
    router.button("iv", _invitation_button)
    router.button("mt", _match_button)
    router.button("nf", _fewer_button)
    router.task("wave_expire", _wave_expire)
    router.task("auto_invite", _auto_invite)
    router.task("retrain", learning.retrain_task)  # invitations learn from their outcomes


def _invite_buttons(services: Services, lang: str, *, invitation_id: int) -> Keyboard:
    t = services.catalogs.t
    return (
        (
            Button(t(lang, "invite.accept"), f"iv:a:{invitation_id}"),
            Button(t(lang, "invite.decline"), f"iv:d:{invitation_id}"),
        ),
        (Button(t(lang, "invite.fewer"), "nf:1"),),
    )


async def invite(
    tx: Tx, services: Services, mission: Mission, chosen: list[Ranked], now: datetime
) -> int:
    """Invite `chosen` privately as the mission's next wave; return how many were invited."""
    if not chosen:
        return 0
    org = await tx.orgs.get(mission.org_id)
    policy = Policy.of(org.settings if org else {})
    tz = await mission_tz(tx, services, mission)
    latest = mission.starts_at - timedelta(hours=1)
    send_at = next_allowed_time(now, tz, policy.quiet_start, policy.quiet_end)
    if send_at + timedelta(hours=1) > latest:
        send_at = now  # too close to the start to wait for the end of quiet hours
    expires = max(
        min(send_at + timedelta(hours=policy.wave_hours), latest), now + timedelta(minutes=15)
    )
    wave = await tx.invitations.last_wave(mission.id) + 1
    for ranked in chosen:
        invitation_id = await tx.invitations.create(
            mission.id, ranked.volunteer_id, wave, now, expires
        )
        volunteer = await tx.people.get(ranked.volunteer_id)
        lang = volunteer.language if volunteer else services.settings.language
        await queue_private(
            tx,
            services,
            ranked.volunteer_id,
            f"invite:{invitation_id}",
            "invite.text",
            org_id=mission.org_id,
            not_before=send_at,
            valid_until=expires,
            name=volunteer.display_name if volunteer else "",
            title=mission.title,
            when=await mission_when(tx, services, mission, lang),
            place=mission.place or "—",
            why=render_reasons(services, ranked.reasons, lang) or "—",
            deadline=services.catalogs.date(lang, expires, tz)
            + " "
            + services.catalogs.time(expires, tz),
            buttons_of=functools.partial(_invite_buttons, services, invitation_id=invitation_id),
        )
        await tx.interactions.log(
            "invited",
            org_id=mission.org_id,
            volunteer_id=ranked.volunteer_id,
            mission_id=mission.id,
            wave=wave,
            score=round(ranked.score, 4),
            components={k: round(v, 5) for k, v in ranked.components.items()},
        )
    await tx.tasks.schedule(
        "wave_expire",
        f"wave:{mission.id}:{wave}",
        expires,
        org_id=mission.org_id,
        mission_id=mission.id,
        payload={"wave": wave},
    )
    return len(chosen)


async def start_wave(tx: Tx, services: Services, mission: Mission, now: datetime) -> int | None:
    """Invite the best-ranked eligible volunteers for the open places; None when the
    mission needs nobody, 0 when nobody is left to ask."""
    if mission.status is not MissionStatus.OPEN or mission.starts_at <= now:
        return None
    taken, _ = await tx.missions.counts(mission.id)
    open_places = mission.slots - taken
    if open_places <= 0:
        return None
    org = await tx.orgs.get(mission.org_id)
    policy = Policy.of(org.settings if org else {})
    if await tx.invitations.last_wave(mission.id) >= policy.max_waves:
        return 0
    size = max(1, math.ceil(open_places * policy.wave_factor))
    chosen = await rank_for_mission(tx, services, mission, now, limit=size)
    return await invite(tx, services, mission, chosen, now)


async def _alert_coordinator(
    tx: Tx, services: Services, mission: Mission, key: str, message: str, **params: Any
) -> None:
    """Tell the mission's coordinator privately, after quiet hours unless the start is near."""
    if mission.coordinator_id is None:
        return
    now = services.clock()
    org = await tx.orgs.get(mission.org_id)
    policy = Policy.of(org.settings if org else {})
    tz = await mission_tz(tx, services, mission)
    send_at = next_allowed_time(now, tz, policy.quiet_start, policy.quiet_end)
    if send_at + timedelta(hours=2) > mission.starts_at:
        send_at = now  # close to the start: it cannot wait for the morning
    await queue_private(
        tx,
        services,
        mission.coordinator_id,
        key,
        message,
        org_id=mission.org_id,
        not_before=send_at,
        title=mission.title,
        **params,
    )


# --- commands ---------------------------------------------------------------------


async def _coordinated(ctx: Context, args: str, command: str) -> Mission:
    """The coordinated open mission named in `args`, not started yet."""
    mission = await coordinated_mission(ctx, args, command=f"/{command}")
    if mission.starts_at <= ctx.now:
        raise UserError("signup.started", title=mission.title)
    return mission


async def invite_command(ctx: Context, args: str) -> None:
    mission = await _coordinated(ctx, args, "invite")
    invited = await start_wave(ctx.tx, ctx.services, mission, ctx.now)
    if invited is None:
        ctx.reply("invite.full", title=mission.title)
    elif invited == 0:
        ctx.reply("invite.nobody", title=mission.title)
    else:
        ctx.reply("invite.sent", count=invited, title=mission.title)


async def match_command(ctx: Context, args: str) -> None:
    """The best candidates and why, privately to the coordinator, with buttons to invite."""
    mission = await _coordinated(ctx, args, "match")
    ranked = await rank_for_mission(ctx.tx, ctx.services, mission, ctx.now, limit=MATCH_SHOWN)
    if not ranked:
        ctx.private("invite.nobody", title=mission.title)
        return
    people = await ctx.tx.people.many(r.volunteer_id for r in ranked)
    lines = [ctx.t("match.header", title=mission.title)]
    buttons: list[tuple[Button, ...]] = []
    for number, r in enumerate(ranked, 1):
        name = people[r.volunteer_id].display_name if r.volunteer_id in people else "?"
        why = render_reasons(ctx.services, r.reasons, ctx.lang) or "—"
        lines.append(ctx.t("match.line", n=number, name=name, why=why))
        buttons.append(
            (ctx.button("match.invite_one", f"mt:{mission.id}:{r.volunteer_id}", name=name[:40]),)
        )
    buttons.append(
        (ctx.button("match.invite_top", f"mt:{mission.id}:top", count=min(3, len(ranked))),)
    )
    ctx.say_private("\n".join(lines), buttons=tuple(buttons))


async def _match_button(ctx: Context, payload: str) -> None:
    mission_ref, _, who = payload.partition(":")
    mission = await _coordinated(ctx, mission_ref, "match")
    ranked = await rank_for_mission(ctx.tx, ctx.services, mission, ctx.now)
    if who == "top":
        chosen = ranked[:3]
    elif who.isdigit():
        chosen = [r for r in ranked if r.volunteer_id == int(who)]
    else:
        raise UserError("errors.stale_button")
    if not chosen:
        raise UserError("invite.not_eligible")
    count = await invite(ctx.tx, ctx.services, mission, chosen, ctx.now)
    ctx.answer("invite.sent", count=count, title=mission.title)


# --- answers -----------------------------------------------------------------------


async def _invitation_button(ctx: Context, payload: str) -> None:
    answer, _, ref = payload.partition(":")
    if answer not in ("a", "d") or not ref.isdigit() or len(ref) > 9:
        raise UserError("errors.stale_button")
    invitation = await ctx.tx.invitations.get(int(ref))
    if invitation is None or invitation.volunteer_id != ctx.volunteer.id:
        raise UserError("errors.not_your_button")
    if invitation.status in ("accepted", "declined"):
        raise UserError("invite.already_answered")
    if answer == "a":
        await signups.join(ctx, invitation.mission_id, "invitation")
        await ctx.tx.invitations.set_status(invitation.id, "accepted", ctx.now)
        return
    await ctx.tx.invitations.set_status(invitation.id, "declined", ctx.now)
    mission = await ctx.tx.missions.get(invitation.mission_id, for_update=True)
    assert mission is not None
    await ctx.tx.interactions.log(
        "declined", org_id=mission.org_id, volunteer_id=ctx.volunteer.id, mission_id=mission.id
    )
    ctx.answer("invite.declined_short")
    ctx.private("invite.declined")
    wave = await ctx.tx.invitations.for_mission(mission.id, wave=invitation.wave)
    if invitation.wave == await ctx.tx.invitations.last_wave(mission.id) and not any(
        i.status == "sent" for i in wave if i.id != invitation.id
    ):
        await start_wave(ctx.tx, ctx.services, mission, ctx.now)  # everyone answered: next wave now


async def _fewer_button(ctx: Context, _payload: str) -> None:
    await ctx.tx.people.update(ctx.volunteer.id, fewer_messages=True)
    await ctx.tx.interactions.log("fewer_messages", volunteer_id=ctx.volunteer.id)
    ctx.answer()
    ctx.private("invite.fewer_done")


# --- tasks ---------------------------------------------------------------------------


async def _wave_expire(job: Job) -> None:
    """The wave's deadline: unanswered invitations expire, and the next wave goes if needed."""
    tx = job.tx
    mission = await tx.missions.get(job.task.mission_id or 0, for_update=True)
    wave = int(job.task.payload["wave"])
    if mission is None:
        job.drop("mission deleted")
        return
    await tx.invitations.expire_wave(mission.id, wave)
    if wave != await tx.invitations.last_wave(mission.id):
        return  # a later wave already went
    invited = await start_wave(tx, job.services, mission, job.now)
    if invited == 0:
        await _alert_coordinator(
            tx, job.services, mission, f"nobody:{mission.id}:{wave}", "invite.nobody"
        )


async def _auto_invite(job: Job) -> None:
    """Shortly before the start, a mission still short gets a wave and its coordinator a word."""
    tx = job.tx
    mission = await tx.missions.get(job.task.mission_id or 0, for_update=True)
    if mission is None or mission.status is not MissionStatus.OPEN or mission.starts_at <= job.now:
        job.drop("mission over")
        return
    if mission.starts_at.isoformat() != job.task.payload.get("starts_at"):
        job.drop("mission moved")
        return
    taken, _ = await tx.missions.counts(mission.id)
    if taken >= mission.slots:
        return
    pending = [i for i in await tx.invitations.for_mission(mission.id) if i.status == "sent"]
    invited = 0 if pending else await start_wave(tx, job.services, mission, job.now)
    coordinator = await tx.people.get(mission.coordinator_id) if mission.coordinator_id else None
    lang = coordinator.language if coordinator else job.services.settings.language
    await _alert_coordinator(
        tx,
        job.services,
        mission,
        f"short:{mission.id}:{job.task.id}",
        "invite.short_alert",
        when=await mission_when(tx, job.services, mission, lang),
        confirmed=taken,
        slots=mission.slots,
        invited=invited or 0,
    )
