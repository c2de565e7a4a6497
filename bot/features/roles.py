"""Roles: admins grant and remove coordinators; anyone can see who coordinates."""

from __future__ import annotations

from bot.context import Context, UserError
from bot.router import Router
from data.records import Identity, Role

__all__ = ["register"]


def register(router: Router) -> None:
    router.command("coordinator", coordinator, min_role=Role.ADMIN, help_key="help.coordinator")
    router.command(
        "coordinators",
        coordinators,
        aliases=("coordinateurs",),
        min_role=Role.VOLUNTEER,
        help_key="help.coordinators",
    )


async def _find_member(ctx: Context, org_id: int, who: str) -> tuple[int, Identity]:
    shown = who.strip().lstrip("@")
    who = shown.casefold()
    if not who:
        raise UserError("roles.usage")
    found: dict[int, Identity] = {}
    for volunteer_id, _role in await ctx.tx.orgs.members(org_id):
        for identity in await ctx.tx.people.identities_of(volunteer_id):
            if who in (identity.platform_user_id.casefold(), identity.display_name.casefold()):
                found[volunteer_id] = identity
    if not found:
        raise UserError("roles.not_found", who=shown[:60])
    if len(found) > 1:
        raise UserError("roles.ambiguous", who=shown[:60])
    return next(iter(found.items()))


async def coordinator(ctx: Context, args: str) -> None:
    action, _, who = args.partition(" ")
    org = await ctx.org_for(Role.ADMIN)
    if action.lower() not in ("add", "remove", "ajouter", "retirer"):
        raise UserError("roles.usage")
    volunteer_id, identity = await _find_member(ctx, org.id, who)
    current = await ctx.tx.orgs.role(org.id, volunteer_id)
    if action.lower() in ("add", "ajouter"):
        if current is Role.ADMIN:
            raise UserError("roles.already_admin", name=identity.display_name)
        await ctx.tx.orgs.set_role(org.id, volunteer_id, Role.COORDINATOR)
        key = "roles.granted"
    else:
        if current is Role.ADMIN:
            raise UserError("roles.cannot_remove_admin", name=identity.display_name)
        if current is not Role.COORDINATOR:
            raise UserError("roles.not_coordinator", name=identity.display_name)
        await ctx.tx.orgs.set_role(org.id, volunteer_id, Role.VOLUNTEER)
        key = "roles.removed"
    await ctx.tx.interactions.log(
        "role_changed",
        org_id=org.id,
        volunteer_id=volunteer_id,
        by=ctx.volunteer.id,
        action=action.lower(),
    )
    ctx.reply(key, name=identity.display_name, org=org.name)


async def coordinators(ctx: Context, _args: str) -> None:
    org = await ctx.org_for(Role.VOLUNTEER)
    names = []
    for volunteer_id, role in await ctx.tx.orgs.members(org.id):
        if role.rank >= Role.COORDINATOR.rank:
            identities = await ctx.tx.people.identities_of(volunteer_id)
            if identities:
                names.append(ctx.t(f"roles.role_{role.value}", name=identities[0].display_name))
    ctx.reply("roles.list", org=org.name, names="\n".join(names) or "—")
