"""/pause and /resume: a break from invitations and nudges, for a while or until resumed.

Reminders for the missions the person signed up to still go out: a pause is about new
requests, not about missions already promised.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.context import Context, UserError
from bot.features import nudges
from bot.router import Router

__all__ = ["FOREVER", "parse_pause", "pause_note", "register"]

FOREVER = datetime(3000, 1, 1, tzinfo=UTC)  # "until I resume"
CHOICES = (7, 14, 30, 0)  # the buttons, in days; 0 is "until I resume"
MAX_DAYS = 365

_UNITS = {"day": 1, "week": 7, "month": 30}
_UNIT_WORDS = {
    "day": "j jr jrs jour jours d day days",
    "week": "sem semaine semaines w wk wks week weeks",
    "month": "m mois month months",
}
_UNIT_OF = {word: unit for unit, words in _UNIT_WORDS.items() for word in words.split()}
_NUMBERS = {"un": 1, "une": 1, "a": 1, "an": 1, "one": 1, "deux": 2, "two": 2, "trois": 3}
_NUMBERS |= {"three": 3, "quatre": 4, "four": 4, "quinze": 15, "fifteen": 15}
_LENGTH = re.compile(r"(?P<n>\d{1,3}|[a-z]+)\s*(?P<unit>[a-z]+)?")


def register(router: Router) -> None:
    router.command("pause", pause_command, help_key="help.pause")
    router.command("resume", resume_command, aliases=("reprendre",), help_key="help.resume")
    router.button("ps", _pause_button)


def parse_pause(text: str) -> int | None:
    """Days of a pause typed as "10", "10 jours", "2 semaines", "3 weeks", "un mois"; None
    when it is not that or not between 1 and 365 days."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    match = _LENGTH.fullmatch("".join(c for c in decomposed if not unicodedata.combining(c)))
    if match is None:
        return None
    number, unit = match.group("n"), match.group("unit") or "j"
    count = int(number) if number.isdigit() else _NUMBERS.get(number)
    if count is None or unit not in _UNIT_OF:
        return None
    days = count * _UNITS[_UNIT_OF[unit]]
    return days if 1 <= days <= MAX_DAYS else None


def _need_profile(ctx: Context) -> None:
    if not ctx.volunteer.onboarded:
        raise UserError("profile.none")


async def pause_command(ctx: Context, args: str) -> None:
    _need_profile(ctx)
    if not args.strip():
        _ask(ctx)
        return
    days = parse_pause(args[:40])
    if days is None:
        raise UserError("pause.bad_length", max=MAX_DAYS)
    await _pause(ctx, days)


def _ask(ctx: Context) -> None:
    labels = ("pause.one_week", "pause.two_weeks", "pause.one_month", "pause.until_resume")
    ctx.private(
        "pause.ask",
        buttons=tuple(
            (ctx.button(label, f"ps:{days}"),) for label, days in zip(labels, CHOICES, strict=True)
        ),
    )


async def _pause_button(ctx: Context, payload: str) -> None:
    _need_profile(ctx)
    if payload == "menu":
        ctx.answer()
        _ask(ctx)
        return
    if not payload.isdigit() or int(payload) not in CHOICES:
        raise UserError("errors.stale_button")
    ctx.answer()
    await _pause(ctx, int(payload))


async def _pause(ctx: Context, days: int) -> None:
    until = FOREVER if days == 0 else ctx.now + timedelta(days=days)
    await ctx.tx.people.update(ctx.volunteer.id, paused_until=until)
    await ctx.tx.interactions.log("paused", volunteer_id=ctx.volunteer.id, days=days)
    if days == 0:
        ctx.private("pause.done_open")
    else:
        ctx.private("pause.done", date=_date(ctx, until))


async def resume_command(ctx: Context, _args: str) -> None:
    _need_profile(ctx)
    paused = ctx.volunteer.paused_until
    if paused is None or paused <= ctx.now:
        ctx.private("pause.not_paused")
        return
    await ctx.tx.people.update(ctx.volunteer.id, paused_until=None)
    await ctx.tx.interactions.log("resumed", volunteer_id=ctx.volunteer.id)
    for org in await ctx.tx.orgs.orgs_of(ctx.volunteer.id):
        await nudges.ensure_nudges(ctx.tx, ctx.services, org.id, ctx.now)
    ctx.private("pause.resumed")


def _date(ctx: Context, moment: datetime) -> str:
    try:
        zone = ZoneInfo(ctx.volunteer.timezone) if ctx.volunteer.timezone else ctx.tz
    except (ZoneInfoNotFoundError, ValueError):
        zone = ctx.tz
    return ctx.services.catalogs.date(ctx.lang, moment, zone)


def pause_note(ctx: Context) -> str | None:
    """'⏸️ En pause jusqu'au lundi 7 décembre' for the profile, or None when not paused."""
    paused = ctx.volunteer.paused_until
    if paused is None or paused <= ctx.now:
        return None
    if paused >= FOREVER:
        return ctx.t("pause.profile_open")
    return ctx.t("pause.profile_until", date=_date(ctx, paused))
