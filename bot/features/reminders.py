"""Before and after a mission: reminders with "still coming?", the coordinator's summary of
unanswered reminders, and the follow-up ("did you come?", a 1-5 rating, a comment)."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from bot import learning
from bot.cards import mission_when
from bot.context import Context, UserError
from bot.events import Button, Keyboard
from bot.features.waitlist import own_signup
from bot.outbox import queue_private
from bot.policy import Policy
from bot.router import Flow, Router
from bot.scheduler import Job
from bot.services import Services
from bot.text import clean_paragraph
from data.records import Mission, MissionStatus, SignupStatus
from data.repos import Tx

__all__ = ["register", "schedule_mission_tasks"]

FEEDBACK = "fb"
NO_SHOW_ALERT = 2  # no-shows among a volunteer's last five missions that alert the coordinator


def register(router: Router) -> None:
    router.task("reminder", _reminder)
    router.task("summary", _summary)
    router.task("followup", _followup)
    router.button("rm", _reminder_button)
    router.button("at", _attendance_button)
    router.button("rt", _rating_button)
    router.flow(Flow(FEEDBACK, _comment_text, _comment_button))


async def schedule_mission_tasks(tx: Tx, mission: Mission, now: datetime) -> None:
    """Plan the reminders, the summary, the follow-up and the automatic invitations of a mission.

    Keys carry the start time, so moving the mission plans new tasks and the old ones
    find the mission moved and drop themselves.
    """
    org = await tx.orgs.get(mission.org_id)
    policy = Policy.of(org.settings if org else {})
    await learning.schedule_retrain(tx, mission.org_id, now)
    start = mission.starts_at.isoformat()
    plan: list[tuple[str, str, datetime, dict[str, Any]]] = []
    for hours in policy.reminder_hours:
        plan.append(
            (
                "reminder",
                f"reminder:{mission.id}:{hours}h:{start}",
                mission.starts_at - timedelta(hours=hours),
                {"hours": hours},
            )
        )
    plan.append(
        (
            "summary",
            f"summary:{mission.id}:{start}",
            mission.starts_at - timedelta(hours=policy.summary_hours),
            {},
        )
    )
    plan.append(
        (
            "followup",
            f"followup:{mission.id}:{start}",
            mission.ends_at + timedelta(hours=policy.followup_hours),
            {},
        )
    )
    if policy.auto_invite_hours > 0:
        due = max(now, mission.starts_at - timedelta(hours=policy.auto_invite_hours))
        plan.append(("auto_invite", f"autoinvite:{mission.id}:{start}", due, {}))
    for kind, key, due, payload in plan:
        if due > now or kind in ("followup", "auto_invite"):
            await tx.tasks.schedule(
                kind,
                key,
                due,
                org_id=mission.org_id,
                mission_id=mission.id,
                payload={"starts_at": start, **payload},
            )


async def _live_mission(job: Job) -> Mission | None:
    """The task's mission if it is still on, at the time the task was planned for."""
    mission = await job.tx.missions.get(job.task.mission_id or 0)
    if mission is None or mission.status is not MissionStatus.OPEN:
        job.drop("mission cancelled")
        return None
    if mission.starts_at.isoformat() != job.task.payload.get("starts_at"):
        job.drop("mission moved")
        return None
    return mission


def _buttons(services: Services, lang: str, *, items: tuple[tuple[str, str], ...]) -> Keyboard:
    return (tuple(Button(services.catalogs.t(lang, key), data) for key, data in items),)


async def _reminder(job: Job) -> None:
    mission = await _live_mission(job)
    if mission is None:
        return
    if mission.starts_at <= job.now:
        job.drop("mission started")
        return
    tx, services = job.tx, job.services
    for signup in await tx.missions.signups(mission.id, [SignupStatus.CONFIRMED]):
        volunteer = await tx.people.get(signup.volunteer_id)
        lang = volunteer.language if volunteer else services.settings.language
        await queue_private(
            tx,
            services,
            signup.volunteer_id,
            f"{job.task.key}:{signup.volunteer_id}",
            "reminder.text",
            org_id=mission.org_id,
            valid_until=mission.starts_at,
            title=mission.title,
            when=await mission_when(tx, services, mission, lang),
            place=mission.place or "—",
            buttons_of=functools.partial(
                _buttons,
                services,
                items=(("reminder.yes", f"rm:y:{signup.id}"), ("reminder.no", f"rm:n:{signup.id}")),
            ),
        )


async def _summary(job: Job) -> None:
    mission = await _live_mission(job)
    if mission is None or mission.coordinator_id is None:
        if mission is not None:
            job.drop("no coordinator")
        return
    tx, services = job.tx, job.services
    confirmed = await tx.missions.signups(mission.id, [SignupStatus.CONFIRMED])
    silent = []
    for signup in confirmed:
        if signup.reminder_answer is None:
            volunteer = await tx.people.get(signup.volunteer_id)
            silent.append(volunteer.display_name if volunteer else "?")
    taken, _ = await tx.missions.counts(mission.id)
    coordinator = await tx.people.get(mission.coordinator_id)
    lang = coordinator.language if coordinator else services.settings.language
    await queue_private(
        tx,
        services,
        mission.coordinator_id,
        job.task.key,
        "reminder.summary_silent" if silent else "reminder.summary_all",
        org_id=mission.org_id,
        title=mission.title,
        when=await mission_when(tx, services, mission, lang),
        names=", ".join(silent),
        confirmed=taken,
        slots=mission.slots,
    )


async def _followup(job: Job) -> None:
    mission = await _live_mission(job)
    if mission is None:
        return
    tx, services = job.tx, job.services
    for signup in await tx.missions.signups(mission.id, [SignupStatus.CONFIRMED]):
        await queue_private(
            tx,
            services,
            signup.volunteer_id,
            f"{job.task.key}:{signup.volunteer_id}",
            "followup.did_you_come",
            org_id=mission.org_id,
            title=mission.title,
            buttons_of=functools.partial(
                _buttons,
                services,
                items=(
                    ("followup.came", f"at:y:{signup.id}"),
                    ("followup.missed", f"at:n:{signup.id}"),
                ),
            ),
        )


async def _own_signup(
    ctx: Context, ref: str, statuses: tuple[SignupStatus, ...]
) -> tuple[Mission, int]:
    signup, mission = await own_signup(ctx, ref)
    if signup.status not in statuses:
        raise UserError("errors.stale_button")
    return mission, signup.id


async def _reminder_button(ctx: Context, payload: str) -> None:
    answer, _, ref = payload.partition(":")
    mission, signup_id = await _own_signup(ctx, ref, (SignupStatus.CONFIRMED,))
    if mission.status is not MissionStatus.OPEN or mission.starts_at <= ctx.now:
        raise UserError("signup.started", title=mission.title)
    if answer == "y":
        await ctx.tx.missions.set_reminder_answer(signup_id, "yes")
        await ctx.tx.interactions.log(
            "reminder_yes",
            org_id=mission.org_id,
            volunteer_id=ctx.volunteer.id,
            mission_id=mission.id,
        )
        ctx.answer()
        ctx.private("reminder.thanks", title=mission.title)
    elif answer == "n":
        from bot.features import signups

        await ctx.tx.missions.set_reminder_answer(signup_id, "no")
        await signups.withdraw(ctx, mission.id)
    else:
        raise UserError("errors.stale_button")


async def _attendance_button(ctx: Context, payload: str) -> None:
    answer, _, ref = payload.partition(":")
    mission, signup_id = await _own_signup(ctx, ref, (SignupStatus.CONFIRMED,))
    if answer not in ("y", "n"):
        raise UserError("errors.stale_button")
    status = SignupStatus.ATTENDED if answer == "y" else SignupStatus.NO_SHOW
    await ctx.tx.missions.set_signup_status(signup_id, status)
    await ctx.tx.interactions.log(
        status.value, org_id=mission.org_id, volunteer_id=ctx.volunteer.id, mission_id=mission.id
    )
    ctx.answer()
    if status is SignupStatus.ATTENDED:
        hours = (mission.ends_at - mission.starts_at).total_seconds() / 3600
        ctx.private(
            "followup.thanks",
            hours=f"{hours:g}",
            buttons=(tuple(Button("⭐" * n, f"rt:{signup_id}:{n}") for n in range(1, 6)),),
        )
        return
    ctx.private("followup.missed_noted")
    await _alert_no_shows(ctx, mission)


async def _alert_no_shows(ctx: Context, mission: Mission) -> None:
    recent = await ctx.tx.missions.recent_outcomes(ctx.volunteer.id, limit=5)
    misses = sum(1 for status in recent if status is SignupStatus.NO_SHOW)
    if misses < NO_SHOW_ALERT or mission.coordinator_id is None:
        return
    await queue_private(
        ctx.tx,
        ctx.services,
        mission.coordinator_id,
        f"noshow:{ctx.volunteer.id}:{mission.id}",
        "followup.no_show_alert",
        org_id=mission.org_id,
        name=ctx.volunteer.display_name,
        misses=misses,
        total=len(recent),
    )


async def _rating_button(ctx: Context, payload: str) -> None:
    ref, _, value = payload.partition(":")
    _, signup_id = await _own_signup(ctx, ref, (SignupStatus.ATTENDED,))
    if value not in ("1", "2", "3", "4", "5"):
        raise UserError("errors.stale_button")
    await ctx.tx.missions.set_feedback(signup_id, rating=int(value))
    await ctx.set_private_dialog(FEEDBACK, "comment", {"signup_id": signup_id})
    ctx.answer()
    ctx.private("followup.ask_comment", buttons=((ctx.button("common.skip", "fb:skip"),),))


async def _comment_text(ctx: Context, text: str) -> None:
    state = await ctx.dialog()
    if state is None or state.flow != FEEDBACK:
        raise UserError("errors.stale_button")
    comment = clean_paragraph(text, max_len=1000, what=ctx.t("field.comment"))
    await ctx.tx.missions.set_feedback(int(state.data["signup_id"]), comment=comment)
    await ctx.clear_dialog()
    ctx.private("followup.comment_thanks")


async def _comment_button(ctx: Context, payload: str) -> None:
    if payload != "skip":
        raise UserError("errors.stale_button")
    await ctx.clear_dialog()
    ctx.answer()
    ctx.private("followup.comment_thanks")
