"""Retention (GDPR storage limitation): inactive profiles are warned, then erased.

*Inactive* means no sign of life from the person for `retention_months` calendar months:
no message, command or button press on any platform (their identities' last-seen time),
no action of theirs in the interaction log (a sign-up, a withdrawal, an answer, "keep my
profile"...; what the bot logs about them, such as invitations and nudges, does not
count), no end of a mission they were signed up to or attended, and no pause with a
return date still ahead ("until I resume" names none). Someone signed up to a mission that
is not over is never warned nor erased.

The period is the longest among the person's organisations, since an erasure cannot be
undone; someone in no organisation gets the default (24 months). It cannot be switched off.

A daily sweep (03:00 UTC) finds them (at most `MAX_WARNINGS` a day, the longest inactive
first). Each gets one private warning with "Keep my profile",
sent through the outbox after the quiet hours of their time zone, and an erasure task due
`RETENTION_GRACE` after the warning can be read. Any sign of life in between cancels it (the
button at once; anything else when the task checks again at its due time). Otherwise the
person is erased through the same path as /forget, and each of their organisations gets an
anonymous "retention_erased" entry in the log. People the bot cannot reach get no warning
and are erased after the same grace period. Nobody is warned twice within one period.
"""

from __future__ import annotations

import calendar
import functools
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.context import Context, UserError
from bot.events import Button, Keyboard
from bot.features.nudges import BOT_KINDS
from bot.features.pause import FOREVER
from bot.features.privacy import erase_person
from bot.outbox import queue_private
from bot.policy import RETENTION_GRACE, Policy, next_allowed_time, retention_months_for
from bot.router import Router
from bot.scheduler import Job
from bot.services import Services
from data.records import Organisation, Role, Volunteer
from data.repos import Tx

__all__ = ["ERASE", "SWEEP", "ensure_sweep", "months_before", "register"]

_log = logging.getLogger(__name__)

SWEEP = "retention_sweep"  # the daily sweep (task kind)
ERASE = "retention_erase"  # one person's erasure, after the warning (task kind)
SWEEP_HOUR = 3  # UTC: warnings wait for the end of each person's quiet hours anyway
# Warnings planned by one sweep, the longest inactive first: the first sweep of an old
# deployment spreads its backlog over a few days instead of one long transaction.
MAX_WARNINGS = 200
# Log entries about someone that are not their doing: they do not keep a profile alive.
NOT_THEIRS = BOT_KINDS | {"role_changed", "erased"}


def register(router: Router) -> None:
    router.task(SWEEP, _sweep_task)
    router.task(ERASE, _erase_task)
    router.button("rk", _keep_button)
    router.on_start(ensure_sweep)


async def ensure_sweep(tx: Tx, now: datetime) -> None:
    """Plan the next daily sweep (one per day, whoever asks); each sweep plans the next."""
    due = datetime.combine(now.astimezone(UTC).date(), time(SWEEP_HOUR), tzinfo=UTC)
    if due <= now:
        due += timedelta(days=1)
    await tx.tasks.schedule(SWEEP, f"{SWEEP}:{due.date().isoformat()}", due)


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (31 March - 1 month = 28/29 February)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True, slots=True)
class _Rule:
    """The retention rule that applies to one person, and the organisation it comes from."""

    months: int
    org: Organisation | None  # its time zone and quiet hours time the warning
    policy: Policy


def _rule_of(orgs: Sequence[Organisation]) -> _Rule:
    policies = [(Policy.of(org.settings), org) for org in orgs]
    months = retention_months_for(policy for policy, _ in policies)
    for policy, org in policies:
        if policy.retention_months == months:
            return _Rule(months, org, policy)
    return _Rule(months, None, Policy())


def _with_pause(last: datetime, volunteer: Volunteer, now: datetime) -> datetime:
    """A pause with a return date counts as a sign of life until that date."""
    until = volunteer.paused_until
    if until is None or until >= FOREVER:
        return last
    return max(last, min(until, now))


def _zone(volunteer: Volunteer, org: Organisation | None, services: Services) -> ZoneInfo:
    for name in (volunteer.timezone, org.timezone if org else None, services.settings.timezone):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def _keep_buttons(services: Services, volunteer_id: int, lang: str) -> Keyboard:
    return ((Button(services.catalogs.t(lang, "retention.keep"), f"rk:{volunteer_id}"),),)


async def _memberships(tx: Tx) -> dict[int, list[Organisation]]:
    """Each member's organisations, in organisation order."""
    out: dict[int, list[Organisation]] = {}
    for org_id in await tx.orgs.all_ids():
        org = await tx.orgs.get(org_id)
        if org is None:
            continue
        for volunteer_id, _ in await tx.orgs.members(org_id):
            out.setdefault(volunteer_id, []).append(org)
    return out


async def _sweep_task(job: Job) -> None:
    """Warn everyone who became inactive, and plan their erasure."""
    tx, services, now = job.tx, job.services, job.now
    await ensure_sweep(tx, now)  # tomorrow's, whatever happens now
    await _drop_unclaimed_imports(tx, now)
    orgs_of = await _memberships(tx)
    seen = await tx.activity.signs_of_life(now, ignore=NOT_THEIRS)
    rules = {vid: _rule_of(orgs_of.get(vid, [])) for vid in seen}
    inactive = {
        vid: last for vid, last in seen.items() if last <= months_before(now, rules[vid].months)
    }
    if not inactive:
        return
    people = await tx.people.many(inactive)
    busy = await tx.activity.commitments(inactive, now)
    warned_at = await tx.activity.latest_task_at(ERASE, inactive)
    waiting = {t.volunteer_id for t in await tx.tasks.pending(ERASE)}
    warned = unreachable = 0
    for vid, last in sorted(inactive.items(), key=lambda item: item[1]):
        if warned + unreachable >= MAX_WARNINGS:
            break
        volunteer, rule = people.get(vid), rules[vid]
        cutoff = months_before(now, rule.months)
        if volunteer is None or busy.get(vid) or vid in waiting:
            continue
        if await _sole_admin(tx, vid):
            continue  # erasing them would leave the association without anyone to run it
        last = _with_pause(last, volunteer, now)
        if last > cutoff:
            continue
        previous = warned_at.get(vid)
        if previous is not None and previous > cutoff:
            continue  # one warning per period
        try:
            async with tx.conn.begin_nested():
                reached = await _warn(tx, services, volunteer, rule, last, now)
        except Exception:
            _log.exception("retention: could not plan the erasure of volunteer %d", vid)
            continue
        warned += reached
        unreachable += not reached
    if warned or unreachable:
        await tx.interactions.log(
            "retention_warned", at=now, warned=warned, unreachable=unreachable
        )
        _log.info(
            "retention: %d warned, %d unreachable (erased without warning)", warned, unreachable
        )


async def _sole_admin(tx: Tx, volunteer_id: int) -> bool:
    """Whether the person is the only admin of one of their associations."""
    for org in await tx.orgs.orgs_of(volunteer_id):
        admins = await tx.orgs.members(org.id, Role.ADMIN)
        if [vid for vid, _ in admins] == [volunteer_id]:
            return True
    return False


async def _drop_unclaimed_imports(tx: Tx, now: datetime) -> None:
    """Imported profiles nobody claimed before their code expired: the person never
    consented, so the association's copy is the only one kept (it can import again)."""
    expired = await tx.claims.expired_unclaimed(now, limit=MAX_WARNINGS * 5)
    for claim in expired:
        await tx.claims.delete_profile(claim.volunteer_id)
    for org_id, count in Counter(c.org_id for c in expired).items():
        await tx.interactions.log("import_expired", org_id=org_id, at=now, count=count)


async def _warn(
    tx: Tx, services: Services, volunteer: Volunteer, rule: _Rule, last: datetime, now: datetime
) -> bool:
    """Plan the erasure and queue the warning; False when the person cannot be reached."""
    zone = _zone(volunteer, rule.org, services)
    readable = next_allowed_time(now, zone, rule.policy.quiet_start, rule.policy.quiet_end)
    due = readable + RETENTION_GRACE
    day = now.date().isoformat()
    planned = await tx.tasks.schedule(
        ERASE,
        f"retention:{volunteer.id}:{day}",
        due,
        volunteer_id=volunteer.id,
        payload={"last": last.isoformat(), "months": rule.months},
    )
    if not planned:
        return True  # this sweep already ran today
    return await queue_private(
        tx,
        services,
        volunteer.id,
        f"retention_warning:{volunteer.id}:{day}",
        "retention.warning",
        org_id=rule.org.id if rule.org else None,
        not_before=readable,
        valid_until=due,
        buttons_of=functools.partial(_keep_buttons, services, volunteer.id),
        name=volunteer.display_name,
        months=rule.months,
        date=services.catalogs.date(volunteer.language, due, zone),
    )


async def _erase_task(job: Job) -> None:
    """At the end of the grace period: erase the person, unless they showed a sign of life."""
    tx, now = job.tx, job.now
    vid = job.task.volunteer_id
    volunteer = await tx.people.get(vid) if vid is not None else None
    if volunteer is None or vid is None or not await tx.people.identities_of(vid):
        job.drop("already erased")
        return
    orgs = await tx.orgs.orgs_of(vid)
    rule = _rule_of(orgs)
    seen = (await tx.activity.signs_of_life(now, ignore=NOT_THEIRS, volunteer_ids=[vid])).get(vid)
    last = _with_pause(seen, volunteer, now) if seen is not None else now
    if last > datetime.fromisoformat(str(job.task.payload["last"])):
        job.drop("active again")
        return
    if last > months_before(now, rule.months):
        job.drop("no longer inactive under the current rule")
        return
    if await _sole_admin(tx, vid):
        job.drop("the association's only admin")
        return
    if (await tx.activity.commitments([vid], now)).get(vid):
        job.drop("signed up to a mission to come")
        return
    org_ids: list[int | None] = [org.id for org in orgs] or [None]
    for org_id in org_ids:
        await tx.interactions.log("retention_erased", org_id=org_id, at=now)
    await erase_person(tx, vid, reason="inactive")


async def _keep_button(ctx: Context, payload: str) -> None:
    """The "Keep my profile" button: the erasure is cancelled and a new period starts."""
    if payload != str(ctx.volunteer.id):
        raise UserError("retention.already_erased")  # pressed by the new person they became
    await ctx.tx.tasks.cancel(f"retention:{ctx.volunteer.id}:")
    await ctx.tx.interactions.log("retention_kept", volunteer_id=ctx.volunteer.id)
    await ensure_sweep(ctx.tx, ctx.now)
    rule = _rule_of(await ctx.tx.orgs.orgs_of(ctx.volunteer.id))
    ctx.answer()
    ctx.private("retention.kept", months=rule.months)
