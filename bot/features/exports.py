"""/export for admins: the association's CSV files, sent privately (names are personal data)."""

from __future__ import annotations

from bot.context import Context, UserError
from bot.exports import CAPTIONS, KINDS, export_csv
from bot.files import send_file_privately
from bot.router import Router
from data.records import Role

__all__ = ["register"]


def register(router: Router) -> None:
    router.command(
        "export", export_command, aliases=("exporter",), min_role=Role.ADMIN, help_key="help.export"
    )


async def export_command(ctx: Context, args: str) -> None:
    org = await ctx.org_for(Role.ADMIN)
    wanted = args.strip().lower()[:20]
    if wanted and wanted not in KINDS:
        raise UserError("export.bad_kind", kinds=", ".join(KINDS))
    stamp = ctx.now.astimezone(ctx.tz).date().isoformat()
    for kind in (wanted,) if wanted else KINDS:
        content = await export_csv(ctx.tx, ctx.services.catalogs, org.id, kind, ctx.lang)
        send_file_privately(ctx, f"{kind}-{stamp}.csv", content, ctx.t(CAPTIONS[kind]))
    await ctx.tx.interactions.log(
        "personal_data_access", org_id=org.id, volunteer_id=ctx.volunteer.id, what="export"
    )
