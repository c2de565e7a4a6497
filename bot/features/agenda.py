"""/calendar: the person's upcoming missions as an iCalendar (.ics) file, sent privately;
/calendar <mission> (and the "add to my calendar" button): one mission's file.

Each mission keeps the same UID in every file, with its version as SEQUENCE (it grows on
every change of the mission), so importing a newer file updates the event; a cancelled
mission comes as STATUS:CANCELLED.
"""

from __future__ import annotations

from bot.calendar import CalendarEvent, calendar
from bot.cards import mission_tz
from bot.context import Context, UserError
from bot.files import send_file_privately
from bot.router import Router
from data.records import Mission, MissionStatus, SignupStatus

__all__ = ["CALENDAR_BUTTON", "register"]

CALENDAR_BUTTON = "cal"  # "cal:<mission id>": that mission's .ics file


def register(router: Router) -> None:
    router.command("calendar", calendar_command, aliases=("agenda",), help_key="help.calendar")
    router.button(CALENDAR_BUTTON, _calendar_button)


async def calendar_command(ctx: Context, args: str) -> None:
    if args:
        number = args.strip().lstrip("#")
        if not number.isdigit() or len(number) > 9:
            raise UserError("calendar.usage")
        await _one_mission(ctx, int(number))
        return
    rows = await ctx.tx.missions.upcoming_for(ctx.volunteer.id, ctx.now)
    if not rows:
        ctx.private("mymissions.none")
        return
    events = [await _event(ctx, mission, signup.status) for mission, signup in rows]
    text = calendar(events, name=ctx.t("calendar.name"), stamp=ctx.now)
    send_file_privately(
        ctx, "mes-missions.ics", text.encode("utf-8"), ctx.t("calendar.caption", count=len(events))
    )


async def _calendar_button(ctx: Context, payload: str) -> None:
    if not payload.isdigit() or len(payload) > 9:
        raise UserError("errors.stale_button")
    ctx.answer()
    await _one_mission(ctx, int(payload))


async def _one_mission(ctx: Context, mission_id: int) -> None:
    """The mission's file, for a member of its organisation (others do not learn it exists)."""
    mission = await ctx.tx.missions.get(mission_id)
    if mission is None or await ctx.tx.orgs.role(mission.org_id, ctx.volunteer.id) is None:
        raise UserError("errors.mission_not_found", id=mission_id)
    signup = await ctx.tx.missions.signup(mission.id, ctx.volunteer.id)
    event = await _event(ctx, mission, signup.status if signup else None)
    text = calendar([event], stamp=ctx.now)
    key = "calendar.caption_cancelled" if event.cancelled else "calendar.caption_one"
    send_file_privately(
        ctx, f"mission-{mission.id}.ics", text.encode("utf-8"), ctx.t(key, title=mission.title)
    )


async def _event(ctx: Context, mission: Mission, status: SignupStatus | None) -> CalendarEvent:
    notes = [ctx.t("calendar.waitlist")] if status is SignupStatus.WAITLISTED else []
    if mission.description:
        notes.append(mission.description)
    notes.append(ctx.t("calendar.reference", id=mission.id))
    return CalendarEvent(
        uid=f"mission-{mission.id}@mainforte",
        starts_at=mission.starts_at,
        ends_at=mission.ends_at,
        summary=mission.title,
        location=mission.place,
        description="\n".join(notes),
        tz=await mission_tz(ctx.tx, ctx.services, mission),
        sequence=mission.version,
        cancelled=mission.status is MissionStatus.CANCELLED,
    )
