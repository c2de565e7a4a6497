"""Missions for coordinators: post (guided or one line), edit, cancel; the open-missions list.

Every understood date is echoed back in the summary the coordinator confirms
before anything is published.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards import mission_line
from bot.context import Context, UserError
from bot.events import Button, ButtonPress, ChatKind, ChatRef, Keyboard
from bot.features import signups
from bot.outbox import queue_card_post, queue_card_refresh, queue_private
from bot.router import Flow, Router
from bot.text import clean_line, clean_paragraph, parse_count
from bot.when import parse_when
from data.records import Mission, MissionSkill, MissionStatus, Role, SignupStatus

__all__ = ["register"]

CREATE = "mi"
EDIT = "me"
TITLE_MAX = 120
DESCRIPTION_MAX = 2000
PLACE_MAX = 200
SLOTS_MAX = 500
DEFAULT_DURATION = timedelta(hours=2)
LONGEST = timedelta(days=14)
_STEPS = ("title", "description", "when", "place", "skills", "slots", "confirm")
_SKIPPABLE = ("description", "place", "skills")
EDIT_FIELDS = ("title", "when", "place", "slots", "skills", "description")


def register(router: Router) -> None:
    router.command("mission", mission_command, min_role=Role.COORDINATOR, help_key="help.mission")
    router.command("missions", list_missions, help_key="help.missions")
    router.flow(Flow(CREATE, _create_text, _create_button))
    router.flow(Flow(EDIT, _edit_text, _edit_button))
    router.button("mc", _cancel_button)


async def mission_command(ctx: Context, args: str) -> None:
    head, _, rest = args.partition(" ")
    if head.lower() in ("edit", "modifier"):
        await _start_edit(ctx, rest)
    elif head.lower() in ("cancel", "annuler"):
        await _ask_cancel(ctx, rest)
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
    org = await ctx.org_for(Role.COORDINATOR)
    space = await ctx.tx.orgs.chat_space(ctx.chat.platform, ctx.chat.chat_id)
    space = space or await ctx.tx.orgs.first_chat_space(org.id)
    data: dict[str, Any] = {"org_id": org.id, "space_id": space.id if space else None}
    data["title"] = clean_line(parts[0], max_len=TITLE_MAX, what=ctx.t("field.title"))
    data.update(_parse_when(ctx, parts[1]))
    data["place"] = (
        clean_line(parts[2], max_len=PLACE_MAX, what=ctx.t("field.place")) if parts[2] else ""
    )
    data["slots"] = parse_count(parts[3], low=1, high=SLOTS_MAX, what=ctx.t("field.slots"))
    data["description"] = (
        clean_paragraph(parts[5], max_len=DESCRIPTION_MAX, what=ctx.t("field.description"))
        if len(parts) > 5
        else ""
    )
    _set_skills(ctx, data, parts[4] if len(parts) > 4 else "")
    await ctx.set_dialog(CREATE, "confirm", data)
    _prompt(ctx, "confirm", data, private=False)


def _parse_when(ctx: Context, text: str) -> dict[str, Any]:
    text = clean_line(text, max_len=120, what=ctx.t("field.when"))
    local_now = ctx.now.astimezone(ctx.tz)
    parsed = parse_when(text, local_now, ctx.tz)
    if parsed is None:
        raise UserError("mission.when_unparsed", text=text)
    if not parsed.has_time:
        raise UserError(
            "mission.when_no_time", day=ctx.services.catalogs.date(ctx.lang, parsed.start, ctx.tz)
        )
    end = parsed.end or parsed.start + DEFAULT_DURATION
    if parsed.start <= ctx.now:
        raise UserError(
            "mission.when_past",
            when=ctx.services.catalogs.when(ctx.lang, parsed.start, end, ctx.tz),
        )
    if end - parsed.start > LONGEST:
        raise UserError("mission.when_too_long")
    return {
        "start": parsed.start.isoformat(),
        "end": end.isoformat(),
        "end_guessed": parsed.end is None,
    }


def _set_skills(ctx: Context, data: dict[str, Any], text: str) -> None:
    if text.strip():
        text = clean_line(text, max_len=300, what=ctx.t("field.skills"))
        result = ctx.services.skills.normalise(text)
        data["skills"] = [[m.skill_id, m.text[:200], True] for m in result.matches]
        data["skills"] += [[None, tag[:200], True] for tag in result.free_tags]
    else:
        suggested = ctx.services.skills.suggest_for_mission(
            data.get("title", ""), data.get("description", ""), limit=3
        )
        data["skills"] = [[m.skill_id, m.text[:200], False] for m in suggested]


def _summary(ctx: Context, data: dict[str, Any]) -> str:
    start, end = datetime.fromisoformat(data["start"]), datetime.fromisoformat(data["end"])
    skills = [
        ctx.services.skill_label(sid, raw, ctx.lang) for sid, raw, _ in data.get("skills", [])
    ]
    required = all(req for _, _, req in data.get("skills", []))
    lines = [
        ctx.t(
            "mission.summary",
            title=data["title"],
            when=ctx.services.catalogs.when(ctx.lang, start, end, ctx.tz),
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
    await _enter_org(ctx, int(state.data["org_id"]))
    return state.step, dict(state.data)


async def _enter_org(ctx: Context, org_id: int) -> None:
    """Dialogs continue in private: dates are read in the mission's organisation's time zone."""
    if ctx.org is None or ctx.org.id != org_id:
        ctx.org = await ctx.tx.orgs.get(org_id)
        ctx.role = await ctx.tx.orgs.role(org_id, ctx.volunteer.id)


async def _next(ctx: Context, step: str, data: dict[str, Any]) -> None:
    following = _STEPS[_STEPS.index(step) + 1]
    if following == "confirm" and "skills" not in data:
        _set_skills(ctx, data, "")
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
        data.update(_parse_when(ctx, text))
        start, end = datetime.fromisoformat(data["start"]), datetime.fromisoformat(data["end"])
        ctx.reply(
            "mission.when_understood", when=ctx.services.catalogs.when(ctx.lang, start, end, ctx.tz)
        )
    elif step == "place":
        data["place"] = clean_line(text, max_len=PLACE_MAX, what=ctx.t("field.place"))
    elif step == "skills":
        _set_skills(ctx, data, text)
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
            _set_skills(ctx, data, "")
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


# --- editing and cancelling ------------------------------------------------------


async def _coordinated_mission(ctx: Context, text: str, example: str = "edit") -> Mission:
    """The mission `#12`/`12` named in `text`, if the person coordinates its organisation."""
    ref = text.strip().lstrip("#")
    if not ref.isdigit() or len(ref) > 9:
        raise UserError("mission.which", command=f"/mission {example} 12")
    mission = await ctx.tx.missions.get(int(ref), for_update=True)
    if mission is None:
        raise UserError("errors.mission_not_found", id=ref)
    role = await ctx.tx.orgs.role(mission.org_id, ctx.volunteer.id)
    if role is None or role.rank < Role.COORDINATOR.rank:
        raise UserError("errors.need_coordinator")
    if mission.status is not MissionStatus.OPEN:
        raise UserError("signup.cancelled", title=mission.title)
    return mission


async def _start_edit(ctx: Context, args: str) -> None:
    mission = await _coordinated_mission(ctx, args)
    await ctx.set_private_dialog(EDIT, "field", {"mission_id": mission.id})
    ctx.say_private(
        ctx.t("mission.edit_which", id=mission.id, title=mission.title),
        buttons=tuple(
            tuple(ctx.button(f"field.{f}", f"me:f:{f}") for f in EDIT_FIELDS[i : i + 3])
            for i in (0, 3)
        ),
    )


async def _edit_state(ctx: Context) -> dict[str, Any]:
    state = await ctx.dialog()
    if state is None or state.flow != EDIT:
        raise UserError("errors.stale_button")
    return dict(state.data)


async def _edit_button(ctx: Context, payload: str) -> None:
    data = await _edit_state(ctx)
    field = payload.removeprefix("f:")
    if not payload.startswith("f:") or field not in EDIT_FIELDS:
        raise UserError("errors.stale_button")
    data["field"] = field
    await ctx.set_dialog(EDIT, "value", data)
    ctx.answer()
    ctx.reply("mission.edit_ask", field=ctx.t(f"field.{field}"))


async def _edit_text(ctx: Context, text: str) -> None:
    data = await _edit_state(ctx)
    if "field" not in data:
        ctx.reply("onboarding.use_buttons")
        return
    mission = await _coordinated_mission(ctx, str(data["mission_id"]))
    await _enter_org(ctx, mission.org_id)
    field = data["field"]
    values: dict[str, Any] = {}
    if field == "title":
        values["title"] = clean_line(text, max_len=TITLE_MAX, what=ctx.t("field.title"))
    elif field == "description":
        values["description"] = clean_paragraph(
            text, max_len=DESCRIPTION_MAX, what=ctx.t("field.description")
        )
    elif field == "place":
        values["place"] = clean_line(text, max_len=PLACE_MAX, what=ctx.t("field.place"))
    elif field == "when":
        parsed = _parse_when(ctx, text)
        values["starts_at"] = datetime.fromisoformat(parsed["start"])
        values["ends_at"] = datetime.fromisoformat(parsed["end"])
    elif field == "slots":
        slots = parse_count(text, low=1, high=SLOTS_MAX, what=ctx.t("field.slots"))
        confirmed, _ = await ctx.tx.missions.counts(mission.id)
        if slots < confirmed:
            raise UserError("mission.slots_below", confirmed=confirmed)
        values["slots"] = slots
    elif field == "skills":
        skill_data: dict[str, Any] = {"title": mission.title, "description": mission.description}
        _set_skills(ctx, skill_data, text)
        await ctx.tx.missions.replace_skills(
            mission.id,
            [MissionSkill(sid, raw, bool(req)) for sid, raw, req in skill_data["skills"]],
        )
        await ctx.tx.missions.bump(mission.id)
    if values:
        await ctx.tx.missions.edit(mission.id, **values)
    updated = await ctx.tx.missions.get(mission.id)
    assert updated is not None
    if field == "slots":
        await signups.promote_waitlist(ctx, updated)
    if field in ("when", "place"):
        await _tell_signed_up(
            ctx, updated, "mission.changed_notice", f"changed:{updated.id}:v{updated.version}"
        )
    await queue_card_refresh(ctx.tx, mission.id)
    await ctx.tx.interactions.log(
        "mission_edited",
        org_id=mission.org_id,
        volunteer_id=ctx.volunteer.id,
        mission_id=mission.id,
        field=field,
    )
    await ctx.clear_dialog()
    ctx.reply("mission.edited", id=mission.id, field=ctx.t(f"field.{field}"))


async def _tell_signed_up(ctx: Context, mission: Mission, key: str, idempotency: str) -> int:
    told = 0
    active = await ctx.tx.missions.signups(
        mission.id, [SignupStatus.CONFIRMED, SignupStatus.WAITLISTED]
    )
    for signup in active:
        volunteer = await ctx.tx.people.get(signup.volunteer_id)
        lang = volunteer.language if volunteer else ctx.lang
        told += await queue_private(
            ctx.tx,
            ctx.services,
            signup.volunteer_id,
            f"{idempotency}:{signup.volunteer_id}",
            key,
            org_id=mission.org_id,
            title=mission.title,
            when=await ctx.when(mission, lang),
            place=mission.place or "—",
        )
    return told


async def _ask_cancel(ctx: Context, args: str) -> None:
    mission = await _coordinated_mission(ctx, args, example="cancel")
    confirmed, waitlisted = await ctx.tx.missions.counts(mission.id)
    ctx.reply(
        "mission.cancel_confirm",
        id=mission.id,
        title=mission.title,
        people=confirmed + waitlisted,
        buttons=(
            (
                ctx.button("mission.cancel_yes", f"mc:yes:{mission.id}"),
                ctx.button("mission.cancel_no", f"mc:no:{mission.id}"),
            ),
        ),
    )


async def _cancel_button(ctx: Context, payload: str) -> None:
    answer, _, ref = payload.partition(":")
    mission = await _coordinated_mission(ctx, ref)
    if answer == "no":
        ctx.answer("mission.cancel_kept", alert=False)
        return
    if answer != "yes":
        raise UserError("errors.stale_button")
    await ctx.tx.missions.set_status(mission.id, MissionStatus.CANCELLED)
    cancelled = await ctx.tx.missions.get(mission.id)
    assert cancelled is not None
    told = await _tell_signed_up(
        ctx, cancelled, "mission.cancelled_notice", f"cancelled:{mission.id}"
    )
    await queue_card_refresh(ctx.tx, mission.id)
    await ctx.tx.interactions.log(
        "mission_cancelled",
        org_id=mission.org_id,
        volunteer_id=ctx.volunteer.id,
        mission_id=mission.id,
    )
    ctx.answer()
    ctx.reply("mission.cancelled_done", id=mission.id, title=mission.title, told=told)


# --- listing -------------------------------------------------------------------


async def list_missions(ctx: Context, _args: str) -> None:
    orgs = [ctx.org] if ctx.org else await ctx.tx.orgs.orgs_of(ctx.volunteer.id)
    if not orgs:
        raise UserError("errors.need_volunteer")
    lines = []
    buttons: list[tuple[Button, ...]] = []
    for org in orgs:
        for mission in await ctx.tx.missions.open_missions(org.id, ctx.now):
            confirmed, _ = await ctx.tx.missions.counts(mission.id)
            tz = ZoneInfo(org.timezone)
            lines.append(mission_line(ctx.services, mission, ctx.lang, tz, confirmed))
            if len(buttons) < 10:
                buttons.append((ctx.button("missions.details", f"d:{mission.id}", id=mission.id),))
    if not lines:
        ctx.reply("missions.none")
        return
    ctx.say("\n".join([ctx.t("missions.header"), *lines]), buttons=tuple(buttons))
