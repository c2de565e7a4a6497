"""Changing a published mission: `/mission edit 12` and `/mission cancel 12`.

On an occurrence of a repeating mission the coordinator chooses "only this one" or "this
one and the following": a new title, place, number of places, skills or description goes
to the following occurrences and the series' template; new hours move them; a new
repetition ("tous les mercredis 18h-20h") moves them onto its days and continues in a new
series; cancelling "from here" cancels them and stops the series. People signed up are
told privately whenever the date or place of their mission changes or it is cancelled.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.context import Context, UserError
from bot.features import reminders, series, waitlist
from bot.features.mission_form import (
    DESCRIPTION_MAX,
    EDIT_FIELDS,
    PLACE_MAX,
    SLOTS_MAX,
    TITLE_MAX,
    WHEN_MAX,
    coordinated_mission,
    enter_org,
    parse_when_field,
    repeat_error,
    set_skills,
)
from bot.outbox import queue_card_refresh, queue_private
from bot.recurrence import RecurrenceError, occurrence_times, parse_hours, parse_recurrence
from bot.router import Flow, Router
from bot.text import clean_line, clean_paragraph, parse_count
from data.records import ACTIVE_SIGNUPS, Mission, MissionSeries, MissionSkill, MissionStatus

__all__ = ["ask_cancel", "register", "start_edit"]

EDIT = "me"


def register(router: Router) -> None:
    router.flow(Flow(EDIT, _edit_text, _edit_button))
    router.button("mc", _cancel_button)


# --- editing -----------------------------------------------------------------------


async def start_edit(ctx: Context, args: str) -> None:
    mission = await coordinated_mission(ctx, args)
    if mission.series_id is None:
        await ctx.set_private_dialog(EDIT, "field", {"mission_id": mission.id})
        _ask_field(ctx, mission)
        return
    await ctx.set_private_dialog(EDIT, "scope", {"mission_id": mission.id})
    ctx.say_private(
        ctx.t("series.edit_scope", id=mission.id, title=mission.title),
        buttons=(
            (ctx.button("series.only_this", "me:s:one"),),
            (ctx.button("series.this_and_following", "me:s:all"),),
        ),
    )


def _ask_field(ctx: Context, mission: Mission) -> None:
    ctx.say_private(
        ctx.t("mission.edit_which", id=mission.id, title=mission.title),
        buttons=tuple(
            tuple(ctx.button(f"field.{f}", f"me:f:{f}") for f in EDIT_FIELDS[i : i + 3])
            for i in (0, 3)
        ),
    )


async def _edit_state(ctx: Context) -> tuple[str, dict[str, Any]]:
    state = await ctx.dialog()
    if state is None or state.flow != EDIT:
        raise UserError("errors.stale_button")
    return state.step, dict(state.data)


async def _edit_button(ctx: Context, payload: str) -> None:
    step, data = await _edit_state(ctx)
    if step == "scope" and payload in ("s:one", "s:all"):
        mission = await coordinated_mission(ctx, str(data["mission_id"]))
        data["scope"] = payload.removeprefix("s:")
        await ctx.set_dialog(EDIT, "field", data)
        ctx.answer()
        _ask_field(ctx, mission)
        return
    field = payload.removeprefix("f:")
    if step != "field" or not payload.startswith("f:") or field not in EDIT_FIELDS:
        raise UserError("errors.stale_button")
    data["field"] = field
    await ctx.set_dialog(EDIT, "value", data)
    ctx.answer()
    if data.get("scope") == "all" and field == "when":
        ctx.reply("series.edit_when_ask")
    else:
        ctx.reply("mission.edit_ask", field=ctx.t(f"field.{field}"))


async def _edit_text(ctx: Context, text: str) -> None:
    _, data = await _edit_state(ctx)
    if "field" not in data:
        ctx.reply("onboarding.use_buttons")
        return
    mission = await coordinated_mission(ctx, str(data["mission_id"]))
    await enter_org(ctx, mission.org_id)
    field = data["field"]
    if data.get("scope") == "all" and mission.series_id is not None:
        count = await _edit_following(ctx, mission, field, text)
        await ctx.clear_dialog()
        ctx.reply(
            "series.edited_following", id=mission.id, field=ctx.t(f"field.{field}"), count=count
        )
        return
    values = await _new_values(ctx, mission, field, text)
    await _apply(ctx, mission, field, values)
    await ctx.clear_dialog()
    ctx.reply("mission.edited", id=mission.id, field=ctx.t(f"field.{field}"))


async def _new_values(ctx: Context, mission: Mission, field: str, text: str) -> dict[str, Any]:
    """The checked new value of `field` (refused with a clear message, changing nothing)."""
    if field == "title":
        return {"title": clean_line(text, max_len=TITLE_MAX, what=ctx.t("field.title"))}
    if field == "description":
        return {
            "description": clean_paragraph(
                text, max_len=DESCRIPTION_MAX, what=ctx.t("field.description")
            )
        }
    if field == "place":
        return {"place": clean_line(text, max_len=PLACE_MAX, what=ctx.t("field.place"))}
    if field == "when":
        parsed = parse_when_field(ctx, text, repeat=False)
        return {
            "starts_at": datetime.fromisoformat(parsed["start"]),
            "ends_at": datetime.fromisoformat(parsed["end"]),
        }
    if field == "slots":
        slots = parse_count(text, low=1, high=SLOTS_MAX, what=ctx.t("field.slots"))
        confirmed, _ = await ctx.tx.missions.counts(mission.id)
        if slots < confirmed:
            raise UserError("mission.slots_below", confirmed=confirmed)
        return {"slots": slots}
    skill_data: dict[str, Any] = {"title": mission.title, "description": mission.description}
    set_skills(ctx, skill_data, text)
    return {"skills": [MissionSkill(sid, raw, bool(req)) for sid, raw, req in skill_data["skills"]]}


async def _apply(ctx: Context, mission: Mission, field: str, values: dict[str, Any]) -> None:
    """Write the change, then tell, replan and redraw what depends on it."""
    if field == "skills":
        await ctx.tx.missions.replace_skills(mission.id, values["skills"])
        await ctx.tx.missions.bump(mission.id)
    else:
        await ctx.tx.missions.edit(mission.id, **values)
    updated = await ctx.tx.missions.get(mission.id)
    assert updated is not None
    if field == "slots":
        await waitlist.offer_free_places(ctx.tx, ctx.services, updated, ctx.now)
    if field == "when":
        await reminders.schedule_mission_tasks(ctx.tx, updated, ctx.now)
    if field in ("when", "place"):
        await tell_signed_up(
            ctx, updated, "mission.changed_notice", f"changed:{updated.id}:v{updated.version}"
        )
    await queue_card_refresh(ctx.tx, mission.id)
    await ctx.tx.interactions.log(
        "mission_edited",
        org_id=mission.org_id,
        volunteer_id=ctx.volunteer.id,
        mission_id=mission.id,
        field=field,
    )


async def _edit_following(ctx: Context, mission: Mission, field: str, text: str) -> int:
    """Change this occurrence, the following ones and the series; return how many changed."""
    assert mission.series_id is not None and mission.occurrence_date is not None
    current = await ctx.tx.series.get(mission.series_id, for_update=True)
    assert current is not None
    following = await ctx.tx.missions.occurrences(current.id, mission.occurrence_date)
    following = [m for m in following if m.starts_at > ctx.now or m.id == mission.id]
    if field == "when":
        return await _move_following(ctx, current, mission, following, text)
    values = await _new_values(ctx, mission, field, text)
    if field == "slots":
        for occurrence in following:
            confirmed, _ = await ctx.tx.missions.counts(occurrence.id)
            if values["slots"] < confirmed:
                raise UserError("mission.slots_below", confirmed=confirmed)
    for occurrence in following:
        await _apply(ctx, occurrence, field, values)
    await ctx.tx.series.update(current.id, **values)
    return len(following)


async def _move_following(
    ctx: Context, current: MissionSeries, mission: Mission, following: list[Mission], text: str
) -> int:
    """New hours ("19h-21h") or a new repetition for this occurrence and the following."""
    assert mission.occurrence_date is not None
    following = [m for m in following if m.starts_at > ctx.now]  # what started stays
    text = clean_line(text, max_len=WHEN_MAX, what=ctx.t("field.when"))
    try:
        recurrence = parse_recurrence(text, ctx.now, ctx.tz)
    except RecurrenceError as exc:
        raise repeat_error(exc, text) from None
    if recurrence is None:
        hours = parse_hours(text)
        if hours is None:
            raise UserError("series.edit_when_unparsed", text=text)
        start, end, _ = hours
        days = [m.occurrence_date for m in following]
        target = current
    else:
        first = recurrence.first(ctx.now, ctx.tz, not_before=mission.occurrence_date)
        if first is None:
            raise UserError("series.error_until_past", text=text)
        start, end = recurrence.start, recurrence.end
        target = await series.split(ctx.tx, current, mission.occurrence_date, recurrence, first)
        days = list(series.next_dates(recurrence.rule, first, len(following), target.until))
    moves = []
    for occurrence, day in zip(following, days, strict=False):
        assert day is not None
        begins, ends = occurrence_times(day, start, end, ctx.tz)
        if begins <= ctx.now:
            raise UserError(
                "mission.when_past", when=ctx.services.catalogs.when(ctx.lang, begins, ends, ctx.tz)
            )
        moves.append((occurrence, day, begins, ends))
    for occurrence, day, begins, ends in moves:
        if target.id != current.id:
            await ctx.tx.missions.move_to_series(occurrence.id, target.id, day)
        await _apply(ctx, occurrence, "when", {"starts_at": begins, "ends_at": ends})
    for occurrence in following[len(moves) :]:  # past the new series' last day
        await cancel_one(ctx, occurrence)
    if target.id == current.id:
        await ctx.tx.series.update(current.id, start_time=start, end_time=end)
    else:
        last = moves[-1][1] if moves else target.starts_on - timedelta(days=1)
        await ctx.tx.series.update(target.id, generated_until=last)
        refreshed = await ctx.tx.series.get(target.id)
        assert refreshed is not None
        await series.extend(ctx.tx, ctx.services, refreshed, ctx.now)
    return len(moves)


async def tell_signed_up(ctx: Context, mission: Mission, key: str, idempotency: str) -> int:
    """Tell everyone signed up (or waiting) privately; return how many were told."""
    told = 0
    active = await ctx.tx.missions.signups(mission.id, ACTIVE_SIGNUPS)
    for signup in active:
        volunteer = await ctx.tx.people.get(signup.volunteer_id)
        lang = volunteer.language if volunteer else ctx.lang
        told += await queue_private(
            ctx.tx,
            ctx.services,
            signup.volunteer_id,
            f"{idempotency}:{signup.volunteer_id}",
            key,
            org_id=mission.org_id,
            title=mission.title,
            when=await ctx.when(mission, lang),
            place=mission.place or "—",
        )
    return told


# --- cancelling -----------------------------------------------------------------------


async def ask_cancel(ctx: Context, args: str) -> None:
    mission = await coordinated_mission(ctx, args, command="/mission cancel")
    confirmed, waitlisted = await ctx.tx.missions.counts(mission.id)
    if mission.series_id is not None:
        ctx.reply(
            "series.cancel_confirm",
            id=mission.id,
            title=mission.title,
            people=confirmed + waitlisted,
            buttons=(
                (ctx.button("series.only_this", f"mc:yes:{mission.id}"),),
                (ctx.button("series.stop_from_here", f"mc:from:{mission.id}"),),
                (ctx.button("mission.cancel_no", f"mc:no:{mission.id}"),),
            ),
        )
        return
    ctx.reply(
        "mission.cancel_confirm",
        id=mission.id,
        title=mission.title,
        people=confirmed + waitlisted,
        buttons=(
            (
                ctx.button("mission.cancel_yes", f"mc:yes:{mission.id}"),
                ctx.button("mission.cancel_no", f"mc:no:{mission.id}"),
            ),
        ),
    )


async def cancel_one(ctx: Context, mission: Mission) -> int:
    """Cancel the mission and tell the people signed up; return how many were told."""
    await ctx.tx.missions.set_status(mission.id, MissionStatus.CANCELLED)
    cancelled = await ctx.tx.missions.get(mission.id)
    assert cancelled is not None
    told = await tell_signed_up(
        ctx, cancelled, "mission.cancelled_notice", f"cancelled:{mission.id}"
    )
    await queue_card_refresh(ctx.tx, mission.id)
    await ctx.tx.interactions.log(
        "mission_cancelled",
        org_id=mission.org_id,
        volunteer_id=ctx.volunteer.id,
        mission_id=mission.id,
    )
    return told


async def _cancel_button(ctx: Context, payload: str) -> None:
    answer, _, ref = payload.partition(":")
    mission = await coordinated_mission(ctx, ref)
    if answer == "no":
        ctx.answer("mission.cancel_kept", alert=False)
        return
    if answer == "from" and mission.series_id is not None:
        await _stop_from(ctx, mission)
        return
    if answer != "yes":
        raise UserError("errors.stale_button")
    told = await cancel_one(ctx, mission)
    ctx.answer()
    ctx.reply("mission.cancelled_done", id=mission.id, title=mission.title, told=told)


async def _stop_from(ctx: Context, mission: Mission) -> None:
    """Cancel this occurrence and the following ones; the series makes no more."""
    assert mission.series_id is not None and mission.occurrence_date is not None
    current = await ctx.tx.series.get(mission.series_id, for_update=True)
    assert current is not None
    following = await ctx.tx.missions.occurrences(current.id, mission.occurrence_date)
    told = 0
    for occurrence in following:
        told += await cancel_one(ctx, occurrence)
    await ctx.tx.series.stop(current.id, until=mission.occurrence_date - timedelta(days=1))
    await ctx.tx.interactions.log(
        "series_stopped", org_id=current.org_id, volunteer_id=ctx.volunteer.id, series=current.id
    )
    ctx.answer()
    ctx.reply("series.stopped", title=mission.title, count=len(following), told=told)
