"""Missions for coordinators: post one (guided or in one line), once or repeating; the
open-missions list. Changing and cancelling are in bot/features/mission_changes.py.

Every understood date is echoed back in the summary the coordinator confirms
before anything is published.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards import mission_line
from bot.context import Context, UserError
from bot.events import Button, ButtonPress, ChatKind, ChatRef, Keyboard
from bot.features import mission_changes, nudges, reminders, series
from bot.features.mission_form import (
    DESCRIPTION_MAX,
    EDIT_FIELDS,
    PLACE_MAX,
    SLOTS_MAX,
    TITLE_MAX,
    enter_org,
    parse_when_field,
    set_skills,
    when_text,
)
from bot.forms import MISSION as MISSION_FORM
from bot.forms import as_list
from bot.matchmaking import FIT, missions_for, render_reasons
from bot.outbox import queue_card_post
from bot.router import Flow, Router
from bot.text import clean_line, clean_paragraph, parse_count
from data.records import MissionSkill, Role

__all__ = ["EDIT_FIELDS", "register"]

CREATE = "mi"
_STEPS = ("title", "description", "when", "place", "skills", "slots", "confirm")
_SKIPPABLE = ("description", "place", "skills")
MISSION_FIELDS = ("title", "when", "place", "slots", "skills", "description")


def register(router: Router) -> None:
    router.command("mission", mission_command, min_role=Role.COORDINATOR, help_key="help.mission")
    router.command("missions", list_missions, help_key="help.missions")
    router.flow(Flow(CREATE, _create_text, _create_button))
    router.form(MISSION_FORM.name, mission_form_submitted)


async def mission_command(ctx: Context, args: str) -> None:
    head, _, rest = args.partition(" ")
    if head.lower() in ("edit", "modifier"):
        await mission_changes.start_edit(ctx, rest)
    elif head.lower() in ("cancel", "annuler"):
        await mission_changes.ask_cancel(ctx, rest)
    elif "|" in args:
        await _one_line(ctx, args)
    else:
        await _start_guided(ctx, args)


# --- creating ----------------------------------------------------------------


async def _start_guided(ctx: Context, title: str) -> None:
    org = await ctx.org_for(Role.COORDINATOR)
    space = await ctx.tx.orgs.chat_space(ctx.chat.platform, ctx.chat.chat_id)
    space = space or await ctx.tx.orgs.first_chat_space(org.id)
    data: dict[str, Any] = {"org_id": org.id, "space_id": space.id if space else None}
    step = "title"
    if title:
        data["title"] = clean_line(title, max_len=TITLE_MAX, what=ctx.t("field.title"))
        step = "description"
    if not ctx.chat.is_private:
        ctx.reply("mission.continue_private", name=ctx.user.display_name)
    await ctx.set_private_dialog(CREATE, step, data)
    _prompt(ctx, step, data, private=True)


async def _one_line(ctx: Context, args: str) -> None:
    parts = [p.strip() for p in args.split("|")]
    if len(parts) < 4 or len(parts) > 6:
        raise UserError("mission.one_line_format")
    await _draft_to_confirm(ctx, *parts, *[""] * (6 - len(parts)))


async def mission_form_submitted(ctx: Context, values: dict[str, str]) -> None:
    """The mission form (bot/forms.py), checked and confirmed as the one-line `/mission`."""
    field = {key: values.get(key, "").strip() for key in MISSION_FIELDS}
    await _draft_to_confirm(
        ctx,
        field["title"],
        field["when"],
        field["place"],
        field["slots"],
        as_list(field["skills"]),
        field["description"],
    )


async def _draft_to_confirm(
    ctx: Context, title: str, when: str, place: str, slots: str, skills: str, description: str
) -> None:
    """Check every field as typed; the summary with its Publish button, nothing created yet."""
    org = await ctx.org_for(Role.COORDINATOR)
    space = await ctx.tx.orgs.chat_space(ctx.chat.platform, ctx.chat.chat_id)
    space = space or await ctx.tx.orgs.first_chat_space(org.id)
    data: dict[str, Any] = {"org_id": org.id, "space_id": space.id if space else None}
    data["title"] = clean_line(title, max_len=TITLE_MAX, what=ctx.t("field.title"))
    data.update(parse_when_field(ctx, when))
    data["place"] = clean_line(place, max_len=PLACE_MAX, what=ctx.t("field.place")) if place else ""
    data["slots"] = parse_count(slots, low=1, high=SLOTS_MAX, what=ctx.t("field.slots"))
    data["description"] = (
        clean_paragraph(description, max_len=DESCRIPTION_MAX, what=ctx.t("field.description"))
        if description
        else ""
    )
    set_skills(ctx, data, skills)
    await ctx.set_dialog(CREATE, "confirm", data)
    _prompt(ctx, "confirm", data, private=False)


def _summary(ctx: Context, data: dict[str, Any]) -> str:
    skills = [
        ctx.services.skill_label(sid, raw, ctx.lang) for sid, raw, _ in data.get("skills", [])
    ]
    required = all(req for _, _, req in data.get("skills", []))
    lines = [
        ctx.t(
            "mission.summary",
            title=data["title"],
            when=when_text(ctx, data),
            place=data.get("place") or "—",
            slots=data["slots"],
            skills=", ".join(skills) or "—",
            description=data.get("description") or "—",
        )
    ]
    if data.get("end_guessed"):
        lines.append(ctx.t("mission.end_guessed"))
    if skills and not required:
        lines.append(ctx.t("mission.skills_suggested"))
    return "\n".join(lines)


def _prompt(ctx: Context, step: str, data: dict[str, Any], *, private: bool) -> None:
    say = ctx.say_private if private else ctx.say
    skip: Keyboard = ((ctx.button("common.skip", "mi:skip"),),)
    if step == "confirm":
        say(
            _summary(ctx, data),
            buttons=(
                (
                    ctx.button("mission.publish", f"mi:ok:{_owner_tag(ctx)}"),
                    ctx.button("common.cancel", f"mi:no:{_owner_tag(ctx)}"),
                ),
            ),
        )
    elif step == "slots":
        say(
            ctx.t("mission.ask_slots"),
            buttons=(
                tuple(
                    ctx.button("common.number", f"mi:n:{n}", n=n) for n in (1, 2, 3, 4, 5, 6, 8, 10)
                ),
            ),
        )
    else:
        say(ctx.t(f"mission.ask_{step}"), buttons=skip if step in _SKIPPABLE else ())


def _owner_tag(ctx: Context) -> str:
    """A short tag of the draft's author, so that only they can publish it from a group."""
    who = f"{ctx.user.platform}:{ctx.user.user_id}".encode()
    return hashlib.sha256(who).hexdigest()[:8]


async def _create_state(ctx: Context) -> tuple[str, dict[str, Any]]:
    state = await ctx.dialog()
    if state is None or state.flow != CREATE:
        raise UserError("errors.stale_button")
    await enter_org(ctx, int(state.data["org_id"]))
    return state.step, dict(state.data)


async def _next(ctx: Context, step: str, data: dict[str, Any]) -> None:
    following = _STEPS[_STEPS.index(step) + 1]
    if following == "confirm" and "skills" not in data:
        set_skills(ctx, data, "")
    await ctx.set_dialog(CREATE, following, data)
    _prompt(ctx, following, data, private=ctx.chat.is_private)


async def _create_text(ctx: Context, text: str) -> None:
    step, data = await _create_state(ctx)
    if step == "title":
        data["title"] = clean_line(text, max_len=TITLE_MAX, what=ctx.t("field.title"))
    elif step == "description":
        data["description"] = clean_paragraph(
            text, max_len=DESCRIPTION_MAX, what=ctx.t("field.description")
        )
    elif step == "when":
        data.update(parse_when_field(ctx, text))
        ctx.reply("mission.when_understood", when=when_text(ctx, data))
    elif step == "place":
        data["place"] = clean_line(text, max_len=PLACE_MAX, what=ctx.t("field.place"))
    elif step == "skills":
        set_skills(ctx, data, text)
    elif step == "slots":
        data["slots"] = parse_count(text, low=1, high=SLOTS_MAX, what=ctx.t("field.slots"))
    else:
        ctx.reply("onboarding.use_buttons")
        return
    await _next(ctx, step, data)


async def _create_button(ctx: Context, payload: str) -> None:
    answer, _, owner = payload.partition(":")
    if answer in ("ok", "no"):
        if owner != _owner_tag(ctx):
            raise UserError("errors.not_your_button")
        payload = answer
    step, data = await _create_state(ctx)
    if payload == "skip" and step in _SKIPPABLE:
        data.setdefault(step, "")
        if step == "skills":
            set_skills(ctx, data, "")
        await _next(ctx, step, data)
    elif payload.startswith("n:") and step == "slots":
        data["slots"] = parse_count(payload[2:], low=1, high=SLOTS_MAX, what=ctx.t("field.slots"))
        await _next(ctx, step, data)
    elif payload in ("ok", "no") and step == "confirm":
        event = ctx.event
        if isinstance(event, ButtonPress) and event.message is not None:
            ctx.edit(event.message, _summary(ctx, data))  # the same summary, buttons gone
        if payload == "ok":
            await _publish(ctx, data)
        else:
            await ctx.clear_dialog()
            ctx.reply("mission.discarded")
    else:
        raise UserError("errors.stale_button")
    ctx.answer()


async def _publish(ctx: Context, data: dict[str, Any]) -> None:
    org = await ctx.tx.orgs.get(int(data["org_id"]))
    role = await ctx.tx.orgs.role(int(data["org_id"]), ctx.volunteer.id)
    if org is None or role is None or role.rank < Role.COORDINATOR.rank:
        raise UserError("errors.need_coordinator")
    if data.get("repeat"):
        await series.publish_series(ctx, data, org)
        return
    start = datetime.fromisoformat(data["start"])
    if start <= ctx.now:
        raise UserError(
            "mission.when_past", when=ctx.services.catalogs.date(ctx.lang, start, ctx.tz)
        )
    mission = await ctx.tx.missions.create(
        org_id=org.id,
        title=data["title"],
        description=data.get("description", ""),
        starts_at=start,
        ends_at=datetime.fromisoformat(data["end"]),
        place=data.get("place", ""),
        slots=int(data["slots"]),
        coordinator_id=ctx.volunteer.id,
        chat_space_id=data.get("space_id"),
        skills=[MissionSkill(sid, raw, bool(req)) for sid, raw, req in data.get("skills", [])],
    )
    await reminders.schedule_mission_tasks(ctx.tx, mission, ctx.now)
    await nudges.ensure_nudges(ctx.tx, ctx.services, org.id, ctx.now)
    await ctx.tx.interactions.log(
        "mission_created", org_id=org.id, volunteer_id=ctx.volunteer.id, mission_id=mission.id
    )
    await ctx.clear_dialog()
    space = await ctx.tx.orgs.chat_space_by_id(data["space_id"]) if data.get("space_id") else None
    if space is None:
        ctx.reply("mission.published_no_group", id=mission.id)
        return
    await queue_card_post(
        ctx.tx, mission, ChatRef(space.platform, space.chat_id, ChatKind.GROUP, space.title)
    )
    ctx.reply("mission.published", id=mission.id, title=mission.title)


# --- listing -------------------------------------------------------------------


async def list_missions(ctx: Context, _args: str) -> None:
    orgs = [ctx.org] if ctx.org else await ctx.tx.orgs.orgs_of(ctx.volunteer.id)
    if not orgs:
        raise UserError("errors.need_volunteer")
    lines = []
    buttons: list[tuple[Button, ...]] = []
    personal = ctx.chat.is_private and ctx.volunteer.onboarded
    for org in orgs:
        missions = await ctx.tx.missions.open_missions(org.id, ctx.now)
        why: dict[int, str] = {}
        if personal and missions:
            # In private, the same scores as the matching put the missions that fit first.
            ranked = await missions_for(ctx.tx, ctx.services, ctx.volunteer.id, missions, ctx.now)
            order = {r.mission_id: i for i, r in enumerate(ranked)}
            why = {
                r.mission_id: render_reasons(ctx.services, r.reasons, ctx.lang)
                for r in ranked
                if FIT.intersection(reason.kind for reason in r.reasons)
            }
            missions.sort(key=lambda m: (m.id not in why, order.get(m.id, len(order)), m.starts_at))
        for mission in missions:
            confirmed, _ = await ctx.tx.missions.counts(mission.id)
            tz = ZoneInfo(org.timezone)
            line = mission_line(ctx.services, mission, ctx.lang, tz, confirmed)
            if mission.id in why:
                line = ctx.t("missions.for_you", line=line, why=why[mission.id])
            lines.append(line)
            if len(buttons) < 10:
                buttons.append((ctx.button("missions.details", f"d:{mission.id}", id=mission.id),))
    if not lines:
        ctx.reply("missions.none")
        return
    ctx.say("\n".join([ctx.t("missions.header"), *lines]), buttons=tuple(buttons))
