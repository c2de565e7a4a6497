"""/stats for admins (always private) and /mystats.

`/stats [period]` gives the headline figures with their change since the previous period
of the same length, the most engaged and drifting people in one line each, and two charts
(fill rate per week, hours per month); `/stats missions [period]` adds shortages and the
skill chart, `/stats bénévoles [period]` the people and their engagement. Periods are read
by `bot.periods` (named, or two dates).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from bot import charts
from bot.context import Context, UserError
from bot.engagement import (
    Engagement,
    PeriodFigures,
    drifting,
    engagement,
    figures,
    hours_by_month,
    shortages,
    week_start,
    weekly_activity,
    weekly_fill,
)
from bot.files import send_image_privately
from bot.periods import Period, period_of
from bot.policy import Policy
from bot.router import Router
from data.records import Organisation, Role
from data.repos.reports import History

__all__ = ["explain", "register"]

VIEWS = {
    "missions": "missions",
    "benevoles": "people",
    "bénévoles": "people",
    "benevole": "people",
    "bénévole": "people",
    "volunteers": "people",
    "people": "people",
}
TOP = 5
MIN_WEEKS, MAX_WEEKS = 4, 26
MIN_MONTHS, MAX_MONTHS = 6, 24


def register(router: Router) -> None:
    router.command("stats", stats_command, min_role=Role.ADMIN, help_key="help.stats")
    router.command("mystats", mystats_command, aliases=("messtats",), help_key="help.mystats")


def _percent(ctx: Context, value: float | None) -> str:
    return ctx.t("stats.na") if value is None else ctx.t("stats.percent", value=round(100 * value))


def _number(ctx: Context, value: float) -> str:
    return ctx.services.catalogs.number(ctx.lang, value)


def _change(ctx: Context, now: float | None, before: float | None, *, points: bool = False) -> str:
    """ "+3", "-2,5" or "+5 pts" against the previous period; "–" when either is unknown."""
    if now is None or before is None:
        return ctx.t("stats.na")
    if points:
        return ctx.t("stats.points", value=f"{round(100 * (now - before)):+d}")
    delta = now - before
    return ("+" if delta >= 0 else "-") + _number(ctx, abs(delta))


def _duration(ctx: Context, hours: float | None) -> str:
    if hours is None:
        return ctx.t("stats.na")
    if hours < 48:
        return ctx.t("stats.hours_value", value=_number(ctx, hours))
    return ctx.t("stats.days_value", value=_number(ctx, hours / 24))


def explain(ctx: Context, e: Engagement) -> str:
    """One line on why a volunteer has their engagement score."""
    last = (
        ctx.t("engagement.no_mission")
        if e.days_since is None
        else ctx.t("engagement.last", days=e.days_since)
    )
    return ctx.t(
        "engagement.why",
        last=last,
        recent=e.recent,
        reliability=_percent(ctx, e.reliability),
        responsiveness=_percent(ctx, e.responsiveness),
    )


def _figure_lines(
    ctx: Context, now: PeriodFigures, before: PeriodFigures, hourly: float
) -> list[str]:
    return [
        ctx.t(
            "stats.people",
            active=now.active,
            active_change=_change(ctx, now.active, before.active),
            new=now.new,
            new_change=_change(ctx, now.new, before.new),
        ),
        ctx.t(
            "stats.missions",
            posted=now.posted,
            posted_change=_change(ctx, now.posted, before.posted),
            filled=now.filled,
            rate=_percent(ctx, now.fill_rate),
            rate_change=_change(ctx, now.fill_rate, before.fill_rate, points=True),
            delay=_duration(ctx, now.median_fill_hours),
        ),
        ctx.t(
            "stats.answers",
            acceptance=_percent(ctx, now.acceptance),
            acceptance_change=_change(ctx, now.acceptance, before.acceptance, points=True),
            no_show=_percent(ctx, now.no_show_rate),
            no_show_change=_change(ctx, now.no_show_rate, before.no_show_rate, points=True),
        ),
        ctx.t(
            "stats.hours",
            hours=_number(ctx, now.hours),
            hours_change=_change(ctx, now.hours, before.hours),
            value=f"{now.hours * hourly:.0f}",
            rate=_number(ctx, hourly),
        ),
    ]


def _split_view(args: str) -> tuple[str, str]:
    """("missions" | "people" | "main", the period text) from what follows /stats."""
    first, _, rest = args.strip().partition(" ")
    view = VIEWS.get(first.lower())
    return (view, rest.strip()) if view else ("main", args.strip())


def _period(ctx: Context, text: str) -> Period:
    return period_of(ctx, text, unknown="stats.bad_period")


async def stats_command(ctx: Context, args: str) -> None:
    org = await ctx.org_for(Role.ADMIN)
    view, period_text = _split_view(args[:200])
    period = _period(ctx, period_text)
    history = await ctx.tx.reports.history(org.id)
    now = figures(history, period.start, period.end)
    previous = period.previous()
    before = figures(history, previous.start, previous.end)
    lines = [
        _header(ctx, org, period),
        *_view_lines(ctx, org, view, history, period, now, before),
        ctx.t("stats.details"),
    ]
    if view != "missions":  # names are personal data
        await ctx.tx.interactions.log(
            "personal_data_access", org_id=org.id, volunteer_id=ctx.volunteer.id, what="stats"
        )
    ctx.say_private("\n".join(lines))
    for png, caption in _charts(ctx, view, history, period):
        send_image_privately(ctx, png, caption)


def _header(ctx: Context, org: Organisation, period: Period) -> str:
    catalogs = ctx.services.catalogs
    return ctx.t(
        "stats.header",
        org=org.name,
        period=ctx.t(f"stats.period_{period.kind}"),
        start=catalogs.date(ctx.lang, period.start, ctx.tz),
        end=catalogs.date(ctx.lang, period.end - timedelta(microseconds=1), ctx.tz),
    )


def _view_lines(
    ctx: Context,
    org: Organisation,
    view: str,
    history: History,
    period: Period,
    now: PeriodFigures,
    before: PeriodFigures,
) -> list[str]:
    people, missions, answers, hours = _figure_lines(
        ctx, now, before, Policy.of(org.settings).hourly_value_eur
    )
    if view == "missions":
        return [missions, answers, *_shortage_lines(ctx, history, period)]
    scores = sorted(
        engagement(history, period.end).values(), key=lambda e: (-e.score, e.volunteer_id)
    )
    drifters = drifting(history, period.end)
    if view == "people":
        return [people, hours, *_people_lines(ctx, history, scores, drifters)]
    names = history.names
    return [
        people,
        missions,
        answers,
        hours,
        ctx.t(
            "stats.engaged_short",
            names=", ".join(f"{names.get(e.volunteer_id, '?')} ({e.score})" for e in scores[:TOP])
            or ctx.t("stats.nobody_short"),
        ),
        ctx.t(
            "stats.drifting_short",
            names=", ".join(
                f"{names.get(e.volunteer_id, '?')} ({past} → {e.score})"
                for e, past in drifters[:TOP]
            )
            or ctx.t("stats.nobody_short"),
        ),
    ]


def _shortages(ctx: Context, history: History, period: Period) -> list[tuple[str, int, int]]:
    """A period up to now counts the missions to come too; a past one only its own."""
    return shortages(history, period.start, None if period.end >= ctx.now else period.end)


def _shortage_lines(ctx: Context, history: History, period: Period) -> list[str]:
    short = [row for row in _shortages(ctx, history, period) if row[1] > row[2]][:TOP]
    return [ctx.t("stats.shortages")] + (
        [
            ctx.t(
                "stats.shortage",
                skill=ctx.services.skill_label(skill, skill, ctx.lang),
                needed=needed,
                have=have,
            )
            for skill, needed, have in short
        ]
        or [ctx.t("stats.nobody")]
    )


def _people_lines(
    ctx: Context,
    history: History,
    scores: list[Engagement],
    drifters: list[tuple[Engagement, int]],
) -> list[str]:
    names = history.names
    lines = [ctx.t("stats.engaged")]
    lines += [
        ctx.t(
            "stats.person", name=names.get(e.volunteer_id, "?"), score=e.score, why=explain(ctx, e)
        )
        for e in scores[:TOP]
    ] or [ctx.t("stats.nobody")]
    lines.append(ctx.t("stats.drifting"))
    lines += [
        ctx.t(
            "stats.drifter",
            name=names.get(e.volunteer_id, "?"),
            before=past,
            score=e.score,
            why=explain(ctx, e),
        )
        for e, past in drifters[:TOP]
    ] or [ctx.t("stats.nobody")]
    return lines


def _charts(ctx: Context, view: str, history: History, period: Period) -> list[tuple[bytes, str]]:
    """The view's two charts with their captions."""
    if view == "missions":
        return [fill_png(ctx, history, period), shortage_png(ctx, history, period)]
    if view == "people":
        return [activity_png(ctx, history, period), hours_png(ctx, history, period)]
    return [fill_png(ctx, history, period), hours_png(ctx, history, period)]


def _weeks(period: Period) -> int:
    return min(max(math.ceil(period.length / timedelta(weeks=1)), MIN_WEEKS), MAX_WEEKS)


def _chart_start(ctx: Context, period: Period) -> datetime:
    """The weekly charts start on a local Monday: every week they show is a whole week."""
    return week_start(period.end - timedelta(weeks=_weeks(period) - 1), ctx.tz)


def fill_png(ctx: Context, history: History, period: Period) -> tuple[bytes, str]:
    """Share of the places taken per local week over the period (at least 4, at most 26
    weeks, ending with the period)."""
    start = _chart_start(ctx, period)
    title = ctx.t("stats.chart_fill")
    weeks = weekly_fill(history, start, period.end, ctx.tz)
    return charts.fill_chart(weeks, title, ctx.t("stats.chart_no_mission")), title


def shortage_png(ctx: Context, history: History, period: Period) -> tuple[bytes, str]:
    """Skills asked for since the start of the period against the members who have them."""
    rows = [
        (ctx.services.skill_label(skill, skill, ctx.lang), needed, have)
        for skill, needed, have in _shortages(ctx, history, period)
    ]
    title = ctx.t("stats.chart_skills")
    png = charts.shortage_chart(
        rows, title, ctx.t("stats.chart_skills_needed"), ctx.t("stats.chart_skills_have")
    )
    return png, title


def activity_png(ctx: Context, history: History, period: Period) -> tuple[bytes, str]:
    """The weekly activity chart, in the person's language."""
    title = ctx.t("stats.chart_activity")
    png = charts.activity_chart(
        weekly_activity(history, _chart_start(ctx, period), period.end, ctx.tz),
        title,
        ctx.t("stats.chart_taken"),
        ctx.t("stats.chart_came"),
    )
    return png, title


def hours_png(ctx: Context, history: History, period: Period) -> tuple[bytes, str]:
    """Hours per local month, over the months of the period (6 to 24)."""
    first, last = period.start.astimezone(ctx.tz), period.end.astimezone(ctx.tz)
    spanned = (last.year - first.year) * 12 + last.month - first.month + 1
    title = ctx.t("stats.chart_hours")
    months = hours_by_month(
        history,
        period.end - timedelta(microseconds=1),
        ctx.tz,
        min(max(spanned, MIN_MONTHS), MAX_MONTHS),
    )
    return charts.hours_chart(months, title, ctx.t("stats.chart_hours_unit")), title


async def mystats_command(ctx: Context, _args: str) -> None:
    if not ctx.volunteer.onboarded:
        raise UserError("profile.none")
    done = await ctx.tx.reports.participation(ctx.volunteer.id)
    hours = [(end - start).total_seconds() / 3600 for start, end in done]
    year = sum(h for (start, _), h in zip(done, hours, strict=True) if start.year == ctx.now.year)
    lines = [
        ctx.t(
            "mystats.summary",
            missions=len(done),
            hours=_number(ctx, sum(hours)),
            year_hours=_number(ctx, year),
        )
    ]
    upcoming = await ctx.tx.missions.upcoming_for(ctx.volunteer.id, ctx.now)
    if upcoming:
        lines.append(ctx.t("mystats.upcoming"))
        lines += [
            ctx.t("mystats.upcoming_line", title=m.title, when=await ctx.when(m))
            for m, _ in upcoming
        ]
    else:
        lines.append(ctx.t("mystats.none_upcoming"))
    ctx.say_private("\n".join(lines))
