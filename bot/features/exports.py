"""/export: the association's CSV files, sent privately (names are personal data).

Admins get every export (hours, missions, volunteers with full profiles); coordinators get
the volunteers export reduced to what organising needs. Each export is logged as an access
to personal data.
"""

from __future__ import annotations

from bot.context import Context, UserError
from bot.exports import ADMIN_ONLY, CAPTIONS, KINDS, export_csv
from bot.files import send_file_privately
from bot.periods import Period, period_of, period_word
from bot.router import Router
from data.records import Role

__all__ = ["register"]

_ALIASES = {"heures": "hours", "benevoles": "volunteers", "bénévoles": "volunteers"}


def register(router: Router) -> None:
    router.command(
        "export",
        export_command,
        aliases=("exporter",),
        min_role=Role.COORDINATOR,
        help_key="help.export",
    )


def _kind_and_period(ctx: Context, args: str) -> tuple[str, Period | None]:
    """ "hours trimestre", "missions 01/09/2026 30/11/2026", "année", "volunteers", ""."""
    first, _, rest = args.strip().partition(" ")
    kind = _ALIASES.get(first.lower(), first.lower())
    if kind not in KINDS:
        kind, rest = "", args.strip()
    if not rest:
        return kind, None
    if kind == "" and period_word(rest) is None and not any(c.isdigit() for c in rest):
        raise UserError("export.bad_kind", kinds=", ".join(KINDS))
    return kind, period_of(ctx, rest[:200], unknown="export.bad_period")


async def export_command(ctx: Context, args: str) -> None:
    org = await ctx.org_for(Role.COORDINATOR)
    wanted, period = _kind_and_period(ctx, args)
    role = Role.ADMIN if ctx.has_role(Role.ADMIN) else Role.COORDINATOR
    if role is not Role.ADMIN and (wanted in ADMIN_ONLY or not wanted):
        if wanted:
            raise UserError("errors.need_admin")
        wanted = "volunteers"  # all a coordinator may export
    stamp = ctx.now.astimezone(ctx.tz).date().isoformat()
    if period is not None:
        stamp = f"{period.start.astimezone(ctx.tz).date()}_{period.last_day(ctx.tz)}"
    kinds = (wanted,) if wanted else KINDS
    for kind in kinds:
        content = await export_csv(
            ctx.tx,
            ctx.services.catalogs,
            org.id,
            kind,
            ctx.lang,
            role=role,
            taxonomy=ctx.services.taxonomy,
            now=ctx.now,
            period=(period.start, period.end) if period is not None else None,
        )
        send_file_privately(ctx, f"{kind}-{stamp}.csv", content, ctx.t(CAPTIONS[kind]))
    await ctx.tx.interactions.log(
        "personal_data_access",
        org_id=org.id,
        volunteer_id=ctx.volunteer.id,
        what="export",
        kinds=list(kinds),
        role=role.value,
    )
