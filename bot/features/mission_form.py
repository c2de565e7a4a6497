"""The fields of a mission as coordinators type them, shared by posting and changing one:
the date (once, or repeating), the skills, and which mission a command is about."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.context import Context, UserError
from bot.features.series import describe_draft, recurrence_data
from bot.recurrence import RecurrenceError, occurrence_times, parse_recurrence
from bot.text import clean_line
from bot.when import parse_when
from data.records import Mission, MissionStatus, Role

__all__ = [
    "DESCRIPTION_MAX",
    "EDIT_FIELDS",
    "PLACE_MAX",
    "SLOTS_MAX",
    "TITLE_MAX",
    "WHEN_MAX",
    "coordinated_mission",
    "enter_org",
    "parse_when_field",
    "repeat_error",
    "set_skills",
    "when_text",
]

TITLE_MAX = 120
DESCRIPTION_MAX = 2000
PLACE_MAX = 200
SLOTS_MAX = 500
WHEN_MAX = 120
DEFAULT_DURATION = timedelta(hours=2)
LONGEST = timedelta(days=14)
EDIT_FIELDS = ("title", "when", "place", "slots", "skills", "description")

# Why a repeating date cannot be used -> what to tell the coordinator (messages use {text}).
_REPEAT_ERRORS = {
    "daily": "series.error_daily",
    "monthly": "series.error_monthly",
    "one_day": "series.error_one_day",
    "every": "series.error_every",
    "no_time": "series.error_no_time",
    "time": "mission.when_unparsed",
    "date": "series.error_date",
    "until_past": "series.error_until_past",
}


def repeat_error(exc: RecurrenceError, text: str) -> UserError:
    return UserError(_REPEAT_ERRORS.get(exc.code, "mission.when_unparsed"), text=text)


def parse_when_field(ctx: Context, text: str, *, repeat: bool = True) -> dict[str, Any]:
    """The draft fields of a typed date: start, end, whether the end was guessed, and the
    repetition ("repeat": None for a single date). `repeat=False` refuses repetitions."""
    text = clean_line(text, max_len=WHEN_MAX, what=ctx.t("field.when"))
    try:
        recurrence = parse_recurrence(text, ctx.now, ctx.tz)
    except RecurrenceError as exc:
        raise repeat_error(exc, text) from None
    if recurrence is not None:
        if not repeat:
            raise UserError("series.not_here")
        first = recurrence.first(ctx.now, ctx.tz)
        assert first is not None  # parse_recurrence checked there is one
        start, end = occurrence_times(first, recurrence.start, recurrence.end, ctx.tz)
        return {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "end_guessed": recurrence.end_guessed,
            "repeat": recurrence_data(recurrence, first),
        }
    local_now = ctx.now.astimezone(ctx.tz)
    parsed = parse_when(text, local_now, ctx.tz)
    if parsed is None:
        raise UserError("mission.when_unparsed", text=text)
    if not parsed.has_time:
        raise UserError(
            "mission.when_no_time", day=ctx.services.catalogs.date(ctx.lang, parsed.start, ctx.tz)
        )
    end = parsed.end or parsed.start + DEFAULT_DURATION
    if parsed.start <= ctx.now:
        raise UserError(
            "mission.when_past",
            when=ctx.services.catalogs.when(ctx.lang, parsed.start, end, ctx.tz),
        )
    if end - parsed.start > LONGEST:
        raise UserError("mission.when_too_long")
    return {
        "start": parsed.start.isoformat(),
        "end": end.isoformat(),
        "end_guessed": parsed.end is None,
        "repeat": None,
    }


def when_text(ctx: Context, data: dict[str, Any]) -> str:
    """The draft's date as the coordinator confirms it ('tous les mardis, 18:00–20:00 ...')."""
    start, end = datetime.fromisoformat(data["start"]), datetime.fromisoformat(data["end"])
    single = ctx.services.catalogs.when(ctx.lang, start, end, ctx.tz)
    if not data.get("repeat"):
        return single
    return ctx.t(
        "series.with_first",
        when=describe_draft(ctx, data),
        first=ctx.services.catalogs.date(ctx.lang, start, ctx.tz),
    )


def set_skills(ctx: Context, data: dict[str, Any], text: str) -> None:
    """The skills typed (all required), or suggested from the title when none are given."""
    if text.strip():
        text = clean_line(text, max_len=300, what=ctx.t("field.skills"))
        result = ctx.services.skills.normalise(text)
        data["skills"] = [[m.skill_id, m.text[:200], True] for m in result.matches]
        data["skills"] += [[None, tag[:200], True] for tag in result.free_tags]
    else:
        suggested = ctx.services.skills.suggest_for_mission(
            data.get("title", ""), data.get("description", ""), limit=3
        )
        data["skills"] = [[m.skill_id, m.text[:200], False] for m in suggested]


async def enter_org(ctx: Context, org_id: int) -> None:
    """Dialogs continue in private: dates are read in the mission's organisation's time zone."""
    if ctx.org is None or ctx.org.id != org_id:
        ctx.org = await ctx.tx.orgs.get(org_id)
        ctx.role = await ctx.tx.orgs.role(org_id, ctx.volunteer.id)


async def coordinated_mission(ctx: Context, text: str, command: str = "/mission edit") -> Mission:
    """The open mission `#12`/`12` named in `text`, if the person coordinates its organisation
    (`command` is the example shown when no number was given)."""
    ref = text.strip().lstrip("#")
    if not ref.isdigit() or len(ref) > 9:
        raise UserError("mission.which", command=f"{command} 12")
    mission = await ctx.tx.missions.get(int(ref), for_update=True)
    if mission is None:
        raise UserError("errors.mission_not_found", id=ref)
    role = await ctx.tx.orgs.role(mission.org_id, ctx.volunteer.id)
    if role is None or role.rank < Role.COORDINATOR.rank:
        raise UserError("errors.need_coordinator")
    if mission.status is not MissionStatus.OPEN:
        raise UserError("signup.cancelled", title=mission.title)
    return mission
