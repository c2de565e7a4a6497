"""/feedback for admins (always private): what volunteers said after the missions of a period.

Average ratings per mission and per kind of mission (main skill domain), then the comments,
most negative first (rating and comment sentiment combined; see `bot.feedback`). Comments are
shown without their author's name: the follow-up asks for them as feedback on the mission,
not as a signed statement, and an admin needs what went wrong, not who said it. Reading them
is logged as a personal data access, as /stats and /export are.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.context import Context
from bot.feedback import FeedbackReport, feedback_report, snippet
from bot.periods import Period, period_of
from bot.router import Router
from data.records import Organisation, Role
from matching import sentiment

__all__ = ["TOP_COMMENTS", "TOP_KINDS", "TOP_MISSIONS", "feedback_command", "register"]

TOP_MISSIONS = 10
TOP_KINDS = 8
TOP_COMMENTS = 10
COMMENT_CHARS = 180


def register(router: Router) -> None:
    router.command(
        "feedback",
        feedback_command,
        aliases=("avis",),
        min_role=Role.ADMIN,
        help_key="help.feedback",
    )


def _sentiment_scores(texts: list[str]) -> list[float]:
    return [reading.score for reading in sentiment.read_many(texts)]


def _period(ctx: Context, text: str) -> Period:
    return period_of(ctx, text, unknown="feedback.bad_period")


def _average(ctx: Context, value: float) -> str:
    return ctx.services.catalogs.number(ctx.lang, value, trim=False)


async def feedback_command(ctx: Context, args: str) -> None:
    org = await ctx.org_for(Role.ADMIN)
    period = _period(ctx, args[:200])
    history = await ctx.tx.reports.history(org.id)
    rated = await ctx.tx.reports.feedback(org.id, period.start, period.end)
    report = await asyncio.to_thread(
        feedback_report,
        history,
        rated,
        period.start,
        period.end,
        ctx.services.taxonomy,
        _sentiment_scores,
    )
    if report.comments:  # free text about people and places: personal data
        await ctx.tx.interactions.log(
            "personal_data_access", org_id=org.id, volunteer_id=ctx.volunteer.id, what="feedback"
        )
    ctx.say_private("\n".join(_lines(ctx, org, period, report)))
    if not ctx.chat.is_private:
        ctx.reply("files.sent_privately")


def _lines(ctx: Context, org: Organisation, period: Period, report: FeedbackReport) -> list[str]:
    catalogs, tz = ctx.services.catalogs, ctx.tz
    header = {
        "org": org.name,
        "period": ctx.t(f"stats.period_{period.kind}"),
        "start": catalogs.date(ctx.lang, period.start, tz),
        "end": catalogs.date(ctx.lang, period.end - timedelta(microseconds=1), tz),
    }
    if report.average is None and not report.comments:
        return [ctx.t("feedback.empty", **header)]
    lines = [ctx.t("feedback.header", **header)]
    if report.average is not None:
        lines.append(
            ctx.t(
                "feedback.overall",
                average=_average(ctx, report.average),
                ratings=report.ratings,
                comments=len(report.comments),
            )
        )
        lines.append(ctx.t("feedback.by_mission"))
        lines += [
            ctx.t(
                "feedback.mission",
                title=m.mission.title,
                date=catalogs.date(ctx.lang, m.mission.starts_at, tz),
                average=_average(ctx, m.average),
                ratings=m.ratings,
                comments=m.comments,
            )
            for m in report.missions[:TOP_MISSIONS]
        ]
        if len(report.missions) > TOP_MISSIONS:
            lines.append(ctx.t("feedback.more_missions", count=len(report.missions) - TOP_MISSIONS))
        lines.append(ctx.t("feedback.by_kind"))
        lines += [
            ctx.t(
                "feedback.kind",
                kind=ctx.services.taxonomy.domain_label(k.kind, ctx.lang)
                if k.kind is not None
                else ctx.t("feedback.kind_other"),
                average=_average(ctx, k.average),
                ratings=k.ratings,
                missions=k.missions,
            )
            for k in report.kinds[:TOP_KINDS]
        ]
        if len(report.kinds) > TOP_KINDS:
            lines.append(ctx.t("feedback.more_kinds", count=len(report.kinds) - TOP_KINDS))
    if not report.comments:
        lines.append(ctx.t("feedback.no_comments"))
        return lines
    lines.append(ctx.t("feedback.comments"))
    lines += [
        ctx.t(
            "feedback.comment",
            rating=ctx.t("feedback.rating", rating=c.rating)
            if c.rating is not None
            else ctx.t("feedback.unrated"),
            title=c.mission.title,
            date=catalogs.date(ctx.lang, c.mission.starts_at, tz),
            text=snippet(c.text, COMMENT_CHARS),
        )
        for c in report.comments[:TOP_COMMENTS]
    ]
    if len(report.comments) > TOP_COMMENTS:
        lines.append(ctx.t("feedback.more_comments", count=len(report.comments) - TOP_COMMENTS))
    return lines
