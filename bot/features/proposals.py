"""Statements of skill or availability read in a reply ("je peux conduire", "que le matin")
become a private proposal to update the profile, applied only after the person confirms."""

from __future__ import annotations

from bot.context import Context, UserError
from bot.router import Router
from data.records import VolunteerSkill
from matching.replies import ReplyIntent, ReplyReading

__all__ = ["propose", "register"]

MAX_PROPOSED = 2  # skill ids must fit in a button's data (64 bytes on Telegram)


def register(router: Router) -> None:
    router.button("pp", _proposal_button)


async def propose(ctx: Context, reading: ReplyReading) -> bool:
    """Offer a profile update for a skill or availability statement; False if nothing to offer."""
    if not ctx.volunteer.onboarded:
        return False
    said = reading.detail or ""
    if reading.intent is ReplyIntent.AVAILABILITY:
        ctx.private(
            "proposal.availability",
            said=said[:120],
            buttons=(
                (
                    ctx.button("proposal.open_grid", "ob:edit:avail"),
                    ctx.button("proposal.no", "pp:no"),
                ),
            ),
        )
        return True
    if reading.intent is ReplyIntent.SKILL:
        found = ctx.services.skills.normalise(said).matches[:MAX_PROPOSED]
        known = {s.skill_id for s in await ctx.tx.people.skills(ctx.volunteer.id)}
        new = [m.skill_id for m in found if m.skill_id not in known]
        if not new:
            return False
        data = "pp:add:" + ",".join(new)
        if len(data.encode()) > 64:
            data = "pp:add:" + new[0]
            new = new[:1]
        labels = ", ".join(ctx.services.skill_label(s, s, ctx.lang) for s in new)
        ctx.private(
            "proposal.skills",
            said=said[:120],
            skills=labels,
            buttons=((ctx.button("proposal.add", data), ctx.button("proposal.no", "pp:no")),),
        )
        return True
    return False


async def _proposal_button(ctx: Context, payload: str) -> None:
    if payload == "no":
        ctx.answer("proposal.kept")
        return
    action, _, ids = payload.partition(":")
    skills = [s for s in ids.split(",") if s in ctx.services.taxonomy.skills]
    if action != "add" or not skills:
        raise UserError("errors.stale_button")
    current = await ctx.tx.people.skills(ctx.volunteer.id)
    known = {s.skill_id for s in current}
    added = [s for s in skills if s not in known]
    await ctx.tx.people.replace_skills(
        ctx.volunteer.id, [*current, *(VolunteerSkill(s, s, 1.0) for s in added)]
    )
    await ctx.tx.interactions.log(
        "profile_proposal_accepted", volunteer_id=ctx.volunteer.id, skills=added
    )
    ctx.answer()
    ctx.private(
        "proposal.added", skills=", ".join(ctx.services.skill_label(s, s, ctx.lang) for s in skills)
    )
