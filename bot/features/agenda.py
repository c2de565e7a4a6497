"""/calendar: the person's upcoming missions as an iCalendar (.ics) file, sent privately."""

from __future__ import annotations

from bot.calendar import CalendarEvent, calendar
from bot.context import Context
from bot.files import send_file_privately
from bot.router import Router
from data.records import SignupStatus

__all__ = ["register"]


def register(router: Router) -> None:
    router.command("calendar", calendar_command, aliases=("agenda",), help_key="help.calendar")


async def calendar_command(ctx: Context, _args: str) -> None:
    rows = await ctx.tx.missions.upcoming_for(ctx.volunteer.id, ctx.now)
    if not rows:
        ctx.private("mymissions.none")
        return
    events = []
    for mission, signup in rows:
        notes = [ctx.t("calendar.waitlist")] if signup.status is SignupStatus.WAITLISTED else []
        if mission.description:
            notes.append(mission.description)
        notes.append(ctx.t("calendar.reference", id=mission.id))
        events.append(
            CalendarEvent(
                uid=f"mission-{mission.id}@mainforte",
                starts_at=mission.starts_at,
                ends_at=mission.ends_at,
                summary=mission.title,
                location=mission.place,
                description="\n".join(notes),
            )
        )
    text = calendar(events, name=ctx.t("calendar.name"), stamp=ctx.now)
    send_file_privately(
        ctx, "mes-missions.ics", text.encode("utf-8"), ctx.t("calendar.caption", count=len(events))
    )
