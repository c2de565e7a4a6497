"""/stats for admins (figures, shortages, engagement, charts; always private) and /mystats."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import charts
from bot.context import Context, UserError
from bot.engagement import (
    PERIODS,
    Engagement,
    PeriodFigures,
    drifting,
    engagement,
    figures,
    hours_by_month,
    period_bounds,
    shortages,
    weekly_activity,
)
from bot.files import send_image_privately
from bot.policy import Policy
from bot.router import Router
from data.records import Role
from data.repos.reports import History

__all__ = ["explain", "register"]

_PERIOD_WORDS = {
    "": "month",
    "semaine": "week",
    "mois": "month",
    "trimestre": "quarter",
    "annee": "year",
    "année": "year",
} | {name: name for name in PERIODS}
TOP = 5


def register(router: Router) -> None:
    router.command("stats", stats_command, min_role=Role.ADMIN, help_key="help.stats")
    router.command("mystats", mystats_command, aliases=("messtats",), help_key="help.mystats")


def _percent(ctx: Context, value: float | None) -> str:
    return ctx.t("stats.na") if value is None else ctx.t("stats.percent", value=round(100 * value))


def _number(ctx: Context, value: float) -> str:
    text = f"{value:.1f}".removesuffix(".0")
    return text.replace(".", ",") if ctx.lang == "fr" else text


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


async def stats_command(ctx: Context, args: str) -> None:
    org = await ctx.org_for(Role.ADMIN)
    period = _PERIOD_WORDS.get(args.strip().lower()[:20])
    if period is None:
        raise UserError("stats.bad_period")
    days = PERIODS[period]
    start, end = period_bounds(ctx.now, days)
    history = await ctx.tx.reports.history(org.id)
    now = figures(history, start, end)
    before = figures(history, start - timedelta(days=days), start)
    tz = ctx.tz
    catalogs = ctx.services.catalogs
    lines = [
        ctx.t(
            "stats.header",
            org=org.name,
            period=ctx.t(f"stats.period_{period}"),
            start=catalogs.date(ctx.lang, start, tz),
            end=catalogs.date(ctx.lang, end, tz),
        ),
        *_figure_lines(ctx, now, before, Policy.of(org.settings).hourly_value_eur),
        ctx.t("stats.shortages"),
    ]
    short = [row for row in shortages(history, start) if row[1] > row[2]][:TOP]
    lines += [
        ctx.t(
            "stats.shortage",
            skill=ctx.services.skill_label(skill, skill, ctx.lang),
            needed=needed,
            have=have,
        )
        for skill, needed, have in short
    ] or [ctx.t("stats.nobody")]
    scores = sorted(engagement(history, ctx.now).values(), key=lambda e: -e.score)
    lines.append(ctx.t("stats.engaged"))
    lines += [
        ctx.t(
            "stats.person",
            name=history.names.get(e.volunteer_id, "?"),
            score=e.score,
            why=explain(ctx, e),
        )
        for e in scores[:TOP]
    ] or [ctx.t("stats.nobody")]
    lines.append(ctx.t("stats.drifting"))
    lines += [
        ctx.t(
            "stats.drifter",
            name=history.names.get(e.volunteer_id, "?"),
            before=past,
            score=e.score,
            why=explain(ctx, e),
        )
        for e, past in drifting(history, ctx.now)[:TOP]
    ] or [ctx.t("stats.nobody")]
    await ctx.tx.interactions.log(
        "personal_data_access", org_id=org.id, volunteer_id=ctx.volunteer.id, what="stats"
    )
    ctx.say_private("\n".join(lines))
    send_image_privately(ctx, activity_png(ctx, history, ctx.now), ctx.t("stats.chart_activity"))
    send_image_privately(ctx, hours_png(ctx, history, ctx.now), ctx.t("stats.chart_hours"))


def activity_png(ctx: Context, history: History, now: datetime) -> bytes:
    """The weekly activity chart, in the person's language."""
    return charts.activity_chart(
        weekly_activity(history, now),
        ctx.t("stats.chart_activity"),
        ctx.t("stats.chart_taken"),
        ctx.t("stats.chart_came"),
    )


def hours_png(ctx: Context, history: History, now: datetime) -> bytes:
    """The hours-per-month chart, in the person's language."""
    return charts.hours_chart(
        hours_by_month(history, now), ctx.t("stats.chart_hours"), ctx.t("stats.chart_hours_unit")
    )


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
