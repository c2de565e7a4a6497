"""Signing up to missions: a tap on the card, or a reply in words under it; withdrawal and waitlist."""

from __future__ import annotations

import logging

from bot.cards import card_buttons, skills_text
from bot.context import Context, UserError
from bot.events import Text
from bot.features import onboarding, proposals, waitlist
from bot.features.agenda import CALENDAR_BUTTON
from bot.outbox import queue_card_refresh
from bot.router import Router
from data.records import ACTIVE_SIGNUPS, Mission, MissionStatus, SignupStatus
from matching.replies import CONFIDENT, ReplyIntent, read_reply

__all__ = ["join", "register", "withdraw"]

_log = logging.getLogger(__name__)


def register(router: Router) -> None:
    router.button("j", _join_button)
    router.button("w", _withdraw_button)
    router.button("d", _details_button)
    router.command("mymissions", my_missions, aliases=("mesmissions",), help_key="help.mymissions")
    router.group_reply = _group_reply


def _mission_id(payload: str) -> int:
    if not payload.isdigit() or len(payload) > 9:
        raise UserError("errors.stale_button")
    return int(payload)


async def _open_mission(ctx: Context, mission_id: int, *, lock: bool = True) -> Mission:
    mission = await ctx.tx.missions.get(mission_id, for_update=lock)
    if mission is None:
        raise UserError("errors.mission_not_found", id=mission_id)
    if mission.status is MissionStatus.CANCELLED:
        raise UserError("signup.cancelled", title=mission.title)
    if mission.starts_at <= ctx.now:
        raise UserError("signup.started", title=mission.title)
    return mission


async def join(ctx: Context, mission_id: int, source: str) -> None:
    """Sign the person up (or waitlist them); onboarding first if they have not done it."""
    mission = await _open_mission(ctx, mission_id)
    await ctx.tx.orgs.ensure_member(mission.org_id, ctx.volunteer.id)
    if not ctx.volunteer.onboarded:
        await onboarding.begin(ctx, then_join=mission.id)
        ctx.answer("signup.onboard_first", alert=True, private_start=f"m{mission.id}")
        if isinstance(ctx.event, Text):
            ctx.reply(
                "signup.onboard_first_group",
                name=ctx.user.display_name,
                buttons=((ctx.button("general.present_myself", "ob:begin"),),),
            )
        return
    existing = await ctx.tx.missions.signup(mission.id, ctx.volunteer.id)
    if existing is not None and existing.status not in (SignupStatus.WITHDRAWN,):
        key = (
            "signup.already_waitlisted"
            if existing.status is SignupStatus.WAITLISTED
            else "signup.already"
        )
        raise UserError(key, title=mission.title)
    confirmed, _ = await ctx.tx.missions.counts(mission.id)
    status = SignupStatus.CONFIRMED if confirmed < mission.slots else SignupStatus.WAITLISTED
    signup = await ctx.tx.missions.put_signup(mission.id, ctx.volunteer.id, status, source)
    await ctx.tx.missions.bump(mission.id)
    await ctx.tx.interactions.log(
        "signup",
        org_id=mission.org_id,
        volunteer_id=ctx.volunteer.id,
        mission_id=mission.id,
        status=status.value,
        source=source,
    )
    await queue_card_refresh(ctx.tx, mission.id)
    when = await ctx.when(mission)
    if status is SignupStatus.CONFIRMED:
        ctx.answer("signup.confirmed_short")
        group_key, private_key, position = "signup.confirmed_group", "signup.confirmed", 0
    else:
        waiting = await ctx.tx.missions.signups(mission.id, [SignupStatus.WAITLISTED])
        position = next(i for i, s in enumerate(waiting, 1) if s.id == signup.id)
        ctx.answer("signup.waitlisted_short", position=position)
        group_key, private_key = "signup.waitlisted_group", "signup.waitlisted"
    if isinstance(ctx.event, Text):
        ctx.reply(group_key, name=ctx.user.display_name, title=mission.title, position=position)
    ctx.private(
        private_key,
        title=mission.title,
        when=when,
        place=mission.place or "—",
        position=position,
        buttons=((ctx.button("calendar.add_button", f"{CALENDAR_BUTTON}:{mission.id}"),),),
    )


async def withdraw(ctx: Context, mission_id: int) -> None:
    """Withdraw the person; a freed place goes to the first on the waitlist, who is told privately."""
    mission = await _open_mission(ctx, mission_id)
    signup = await ctx.tx.missions.signup(mission.id, ctx.volunteer.id)
    if signup is None or signup.status not in ACTIVE_SIGNUPS:
        raise UserError("signup.not_signed_up", title=mission.title)
    await ctx.tx.missions.set_signup_status(signup.id, SignupStatus.WITHDRAWN)
    await ctx.tx.interactions.log(
        "withdraw",
        org_id=mission.org_id,
        volunteer_id=ctx.volunteer.id,
        mission_id=mission.id,
        was=signup.status.value,
    )
    if signup.status is not SignupStatus.WAITLISTED:
        await waitlist.offer_free_places(ctx.tx, ctx.services, mission, ctx.now)
    await ctx.tx.missions.bump(mission.id)
    await queue_card_refresh(ctx.tx, mission.id)
    ctx.answer("signup.withdrawn_short")
    if isinstance(ctx.event, Text):
        ctx.reply("signup.withdrawn_group", name=ctx.user.display_name, title=mission.title)
    ctx.private("signup.withdrawn", title=mission.title)


async def _join_button(ctx: Context, payload: str) -> None:
    await join(ctx, _mission_id(payload), "button")


async def _withdraw_button(ctx: Context, payload: str) -> None:
    await withdraw(ctx, _mission_id(payload))


async def _details_button(ctx: Context, payload: str) -> None:
    mission = await ctx.tx.missions.get(_mission_id(payload))
    if mission is None:
        raise UserError("errors.mission_not_found", id=payload)
    confirmed, waitlisted = await ctx.tx.missions.counts(mission.id)
    ctx.answer("signup.details_sent")
    ctx.private(
        "signup.details",
        title=mission.title,
        when=await ctx.when(mission),
        place=mission.place or "—",
        skills=skills_text(ctx.services, mission, ctx.lang) or "—",
        description=mission.description or "—",
        confirmed=confirmed,
        slots=mission.slots,
        waitlisted=waitlisted,
        buttons=card_buttons(ctx.services, mission, ctx.lang)
        if mission.status is MissionStatus.OPEN and mission.starts_at > ctx.now
        else (),
    )


async def _group_reply(ctx: Context, text: str) -> None:
    """A reply in words under a mission card: act only when the meaning is clear."""
    event = ctx.event
    assert isinstance(event, Text) and event.reply_to is not None
    mission = await ctx.tx.missions.by_card(event.reply_to.chat_id, event.reply_to.message_id)
    if mission is None:
        return
    reading = read_reply(text)
    _log.debug("reply %r read as %s (%.2f)", text[:80], reading.intent, reading.confidence)
    if reading.confidence >= CONFIDENT and reading.intent is ReplyIntent.JOIN:
        await join(ctx, mission.id, "reply")
    elif reading.confidence >= CONFIDENT and reading.intent is ReplyIntent.WITHDRAW:
        await withdraw(ctx, mission.id)
    else:
        if reading.confidence >= CONFIDENT:
            await proposals.propose(ctx, reading)
        ctx.reply(
            "signup.unclear",
            name=ctx.user.display_name,
            title=mission.title,
            buttons=(
                (
                    ctx.button("card.join", f"j:{mission.id}"),
                    ctx.button("card.withdraw", f"w:{mission.id}"),
                ),
            ),
        )


async def my_missions(ctx: Context, _args: str) -> None:
    rows = await ctx.tx.missions.upcoming_for(ctx.volunteer.id, ctx.now)
    if not rows:
        ctx.private("mymissions.none")
        return
    lines = [ctx.t("mymissions.header")]
    buttons = []
    for mission, signup in rows:
        when = await ctx.when(mission)
        key = (
            "mymissions.line_waitlist"
            if signup.status is SignupStatus.WAITLISTED
            else "mymissions.line"
        )
        lines.append(ctx.t(key, id=mission.id, title=mission.title, when=when))
        buttons.append((ctx.button("mymissions.withdraw", f"w:{mission.id}", id=mission.id),))
    lines.append(ctx.t("mymissions.calendar_hint"))
    ctx.say_private("\n".join(lines), buttons=tuple(buttons[:10]))
