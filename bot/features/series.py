"""Repeating missions: a series publishes its occurrences ahead of time, each one a normal
mission (its own card, reminders, sign-ups and invitation waves), and a weekly task keeps
the horizon filled. An occurrence is never generated twice: (series, date) is unique, so
a cancelled date stays cancelled. Changing a series "from this date on" stops it the day
before and continues in a new series (see bot/features/mission_changes.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.context import Context, UserError
from bot.events import ChatKind, ChatRef
from bot.features import nudges, reminders
from bot.outbox import queue_card_post
from bot.policy import Policy
from bot.recurrence import MONTHLY, WEEKLY, Recurrence, Rule, occurrence_times
from bot.router import Router
from bot.scheduler import Job
from bot.services import Services
from data.records import Mission, MissionSeries, MissionSkill, Organisation
from data.repos import Tx

__all__ = [
    "describe",
    "describe_draft",
    "describe_series",
    "extend",
    "next_dates",
    "publish_series",
    "recurrence_data",
    "recurrence_from",
    "register",
    "rule_of",
    "split",
]

EXTEND_HOUR = time(3)  # the local hour the weekly extension runs
_UTC = ZoneInfo("UTC")


def register(router: Router) -> None:
    router.task("series_extend", _extend_task)


# --- rules as text and as dialog data ------------------------------------------------


def recurrence_data(recurrence: Recurrence, first: date) -> dict[str, Any]:
    """The parsed repetition as JSON for a dialog's stored state."""
    rule = recurrence.rule
    return {
        "kind": rule.kind,
        "every": rule.every,
        "weekday": rule.weekday,
        "position": rule.position,
        "start": recurrence.start.isoformat("minutes"),
        "end": recurrence.end.isoformat("minutes"),
        "until": recurrence.until.isoformat() if recurrence.until else None,
        "first": first.isoformat(),
    }


def recurrence_from(data: dict[str, Any]) -> Recurrence:
    rule = Rule(data["kind"], int(data["every"]), int(data["weekday"]), data.get("position"))
    until = date.fromisoformat(data["until"]) if data.get("until") else None
    return Recurrence(
        rule,
        time.fromisoformat(data["start"]),
        time.fromisoformat(data["end"]),
        end_guessed=False,
        starting=date.fromisoformat(data["first"]),
        until=until,
    )


def rule_of(series: MissionSeries) -> Rule:
    return Rule(series.rule, series.every, series.weekday, series.position)


def describe(
    services: Services, lang: str, rule: Rule, start: time, end: time, until: date | None
) -> str:
    """'tous les mardis, 18:00–20:00' / 'the first Saturday of the month, 10:00–12:00'."""
    catalogs = services.catalogs
    day = catalogs.day_name(lang, rule.weekday)
    if rule.kind == MONTHLY:
        positions = catalogs.raw(lang, "series.positions").split(",")
        position = positions[-1] if rule.position == -1 else positions[(rule.position or 1) - 1]
        key = "series.monthly" if rule.every == 1 else "series.every_n_months"
        text = catalogs.t(lang, key, day=day, position=position, n=rule.every)
    elif rule.every == 1:
        text = catalogs.t(lang, "series.weekly", day=day)
    elif rule.every == 2:
        text = catalogs.t(lang, "series.every_other", day=day)
    else:
        text = catalogs.t(lang, "series.every_n_weeks", day=day, n=rule.every)
    text = catalogs.t(
        lang, "series.hours", rule=text, start=start.strftime("%H:%M"), end=end.strftime("%H:%M")
    )
    if until is not None:
        noon = datetime.combine(until, time(12), tzinfo=UTC)
        text = catalogs.t(lang, "series.until", when=text, date=catalogs.date(lang, noon, _UTC))
    return text


def describe_series(services: Services, lang: str, series: MissionSeries) -> str:
    return describe(
        services, lang, rule_of(series), series.start_time, series.end_time, series.until
    )


# --- publishing and extending ---------------------------------------------------------


async def publish_series(ctx: Context, data: dict[str, Any], org: Organisation) -> None:
    """Create the series of the confirmed draft and publish its first occurrences."""
    recurrence = recurrence_from(data["repeat"])
    first = recurrence.first(ctx.now, ctx.tz)
    if first is None:
        raise UserError("mission.when_past", when=describe_draft(ctx, data))
    series = await ctx.tx.series.create(
        org_id=org.id,
        rule=recurrence.rule.kind,
        every=recurrence.rule.every,
        weekday=recurrence.rule.weekday,
        position=recurrence.rule.position,
        starts_on=first,
        start_time=recurrence.start,
        end_time=recurrence.end,
        until=recurrence.until,
        title=data["title"],
        description=data.get("description", ""),
        place=data.get("place", ""),
        slots=int(data["slots"]),
        skills=[MissionSkill(sid, raw, bool(req)) for sid, raw, req in data.get("skills", [])],
        coordinator_id=ctx.volunteer.id,
        chat_space_id=data.get("space_id"),
    )
    created = await extend(ctx.tx, ctx.services, series, ctx.now)
    await ctx.tx.interactions.log(
        "series_created", org_id=org.id, volunteer_id=ctx.volunteer.id, series=series.id
    )
    await ctx.clear_dialog()
    ids = ", ".join(f"#{m.id}" for m in created) or "—"
    ctx.reply(
        "series.published" if series.chat_space_id else "series.published_no_group",
        title=series.title,
        when=describe_series(ctx.services, ctx.lang, series),
        count=len(created),
        ids=ids,
    )


def describe_draft(ctx: Context, data: dict[str, Any]) -> str:
    recurrence = recurrence_from(data["repeat"])
    return describe(
        ctx.services,
        ctx.lang,
        recurrence.rule,
        recurrence.start,
        recurrence.end,
        recurrence.until,
    )


async def extend(tx: Tx, services: Services, series: MissionSeries, now: datetime) -> list[Mission]:
    """Publish the series' occurrences up to its horizon (never one twice); plan the next run."""
    org = await tx.orgs.get(series.org_id)
    policy = Policy.of(org.settings if org else {})
    tz = ZoneInfo(org.timezone if org else services.settings.timezone)
    today = now.astimezone(tz).date()
    if series.rule == WEEKLY:
        ahead = timedelta(weeks=max(policy.series_weeks_ahead, series.every))
    else:
        ahead = timedelta(days=31 * max(policy.series_months_ahead, series.every))
    horizon = today + ahead
    if series.until is not None:
        horizon = min(horizon, series.until)
    start = max(series.starts_on, today)
    if series.generated_until is not None:
        start = max(start, series.generated_until + timedelta(days=1))
    space = await tx.orgs.chat_space_by_id(series.chat_space_id) if series.chat_space_id else None
    created: list[Mission] = []
    for day in rule_of(series).dates(series.starts_on, start, horizon):
        begins, ends = occurrence_times(day, series.start_time, series.end_time, tz)
        if begins <= now:
            continue
        mission = await tx.missions.add_occurrence(
            series.id,
            day,
            org_id=series.org_id,
            title=series.title,
            description=series.description,
            starts_at=begins,
            ends_at=ends,
            place=series.place,
            slots=series.slots,
            coordinator_id=series.coordinator_id,
            chat_space_id=series.chat_space_id,
            skills=series.skills,
        )
        if mission is None:
            continue
        await reminders.schedule_mission_tasks(tx, mission, now)
        if space is not None:
            chat = ChatRef(space.platform, space.chat_id, ChatKind.GROUP, space.title)
            await queue_card_post(tx, mission, chat)
        await tx.interactions.log(
            "occurrence_created", org_id=series.org_id, mission_id=mission.id, series=series.id
        )
        created.append(mission)
    if horizon >= start:
        await tx.series.update(series.id, generated_until=horizon)
    if series.active:
        following = today + timedelta(days=7)
        await tx.tasks.schedule(
            "series_extend",
            f"series:{series.id}:{following.isoformat()}",
            datetime.combine(following, EXTEND_HOUR, tzinfo=tz),
            org_id=series.org_id,
            payload={"series_id": series.id},
        )
    await nudges.ensure_nudges(tx, services, series.org_id, now)
    return created


def next_dates(rule: Rule, first: date, count: int, until: date | None) -> list[date]:
    """The first `count` days of `rule` from `first` (fewer if `until` comes first)."""
    period = 7 * rule.every if rule.kind == WEEKLY else 31 * rule.every
    end = first + timedelta(days=period * (count + 1))
    if until is not None:
        end = min(end, until)
    return rule.dates(first, first, end)[:count]


async def _extend_task(job: Job) -> None:
    series = await job.tx.series.get(int(job.task.payload["series_id"]), for_update=True)
    if series is None or not series.active:
        job.drop("series stopped")
        return
    await extend(job.tx, job.services, series, job.now)


async def split(
    tx: Tx,
    series: MissionSeries,
    day: date,
    recurrence: Recurrence,
    first: date,
) -> MissionSeries:
    """Stop `series` before `day`; a new series with `recurrence` continues from `first`."""
    await tx.series.stop(series.id, until=day - timedelta(days=1))
    return await tx.series.create(
        org_id=series.org_id,
        rule=recurrence.rule.kind,
        every=recurrence.rule.every,
        weekday=recurrence.rule.weekday,
        position=recurrence.rule.position,
        starts_on=first,
        start_time=recurrence.start,
        end_time=recurrence.end,
        until=recurrence.until if recurrence.until is not None else series.until,
        title=series.title,
        description=series.description,
        place=series.place,
        slots=series.slots,
        skills=series.skills,
        coordinator_id=series.coordinator_id,
        chat_space_id=series.chat_space_id,
    )
