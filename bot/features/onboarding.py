"""Onboarding and profile editing, in the private chat.

Consent, skills in the person's own words (shown back as understood), a week
grid of availability, town or postcode, and how often they may be asked. The
dialog state is stored, so a restart resumes where the person was; nothing but
the consent is written to the profile before the last step.
"""

from __future__ import annotations

import re
from typing import Any

from bot.availability import parse_availability
from bot.context import PRIVATE_KEY, Context, UserError
from bot.events import Button, ButtonPress, Keyboard
from bot.features import pause
from bot.forms import PROFILE as PROFILE_FORM
from bot.forms import as_list
from bot.router import Flow, Router
from bot.services import Services
from bot.text import clean_line
from data.records import Volunteer, VolunteerSkill
from data.repos import Tx

__all__ = ["CONSENT_VERSION", "PARTS", "begin", "profile_summary", "register", "save_location"]

FLOW = "ob"
CONSENT_VERSION = "2026-11"
PARTS = ("morning", "afternoon", "evening")
FREQUENCIES = (1, 2, 3, 5)
EDITABLE = ("skills", "avail", "place", "freq")
SKILLS_MAX = 500
_ORDER = ("consent", "skills", "skills_check", "avail", "place", "freq")
_POSTCODE = re.compile(r"\b(\d{5})\b")


def register(router: Router) -> None:
    router.flow(Flow(FLOW, _on_text, _on_button))
    router.command(
        "profile", show_profile, aliases=("profil",), private_only=True, help_key="help.profile"
    )
    router.form(PROFILE_FORM.name, profile_form_submitted, values=profile_form_values)


async def begin(ctx: Context, *, then_join: int | None = None) -> None:
    """Start onboarding in the private chat, or resume it where the person left it."""
    state = await ctx.tx.conversations.get(ctx.user.platform, ctx.user.user_id, PRIVATE_KEY)
    if state is not None and state.flow == FLOW and state.data.get("mode") == "onboarding":
        data = dict(state.data)
        step = state.step
        if then_join is not None:
            data["then_join"] = then_join
        ctx.private("onboarding.resume")
    else:
        data = {"mode": "onboarding", "then_join": then_join}
        step = "consent"
    await ctx.set_private_dialog(FLOW, step, data)
    _prompt(ctx, step, data)


async def _state(ctx: Context) -> tuple[str, dict[str, Any]]:
    state = await ctx.dialog()
    if state is None or state.flow != FLOW:
        raise UserError("errors.stale_button")
    return state.step, dict(state.data)


# --- prompts -----------------------------------------------------------------


def _prompt(ctx: Context, step: str, data: dict[str, Any]) -> None:
    if step == "consent":
        ctx.say_private(
            ctx.t("onboarding.welcome", name=ctx.user.display_name)
            + "\n\n"
            + ctx.t("onboarding.consent"),
            buttons=(
                (
                    ctx.button("onboarding.consent_yes", "ob:consent:yes"),
                    ctx.button("onboarding.consent_no", "ob:consent:no"),
                ),
            ),
        )
    elif step == "skills":
        ctx.private("onboarding.ask_skills", buttons=((ctx.button("common.skip", "ob:skip"),),))
    elif step == "skills_check":
        ctx.private(
            "onboarding.skills_understood",
            skills=_skills_text(ctx, data) or "—",
            buttons=(
                (
                    ctx.button("onboarding.skills_ok", "ob:skills:ok"),
                    ctx.button("onboarding.skills_redo", "ob:skills:redo"),
                ),
            ),
        )
    elif step == "avail":
        text, buttons = _grid(ctx, data)
        ctx.say_private(text, buttons=buttons)
    elif step == "place":
        ctx.private("onboarding.ask_place", buttons=((ctx.button("common.skip", "ob:skip"),),))
    elif step == "freq":
        ctx.private(
            "onboarding.ask_freq",
            buttons=tuple(
                (ctx.button("onboarding.freq_option", f"ob:f:{n}", count=n),) for n in FREQUENCIES
            ),
        )
    else:
        raise ValueError(f"unknown onboarding step {step!r}")


def _skills_text(ctx: Context, data: dict[str, Any]) -> str:
    parts = [ctx.services.skill_label(sid, raw, ctx.lang) for sid, raw in data.get("skills", [])]
    labels = ", ".join(dict.fromkeys(p for p in parts if p))
    free = data.get("free", [])
    if free:
        labels = ctx.t("onboarding.skills_with_free", skills=labels or "—", free=", ".join(free))
    return labels


def _grid(ctx: Context, data: dict[str, Any]) -> tuple[str, Keyboard]:
    chosen = set(data.get("avail", []))
    rows = []
    for day in range(7):
        short = ctx.services.catalogs.raw(ctx.lang, "date.days_short").split(",")[day]
        row = []
        for part in PARTS:
            mark = "✅" if f"{day}:{part}" in chosen else "▫️"
            label = f"{mark} {short} {ctx.t('part.' + part)}"
            row.append(Button(label, f"ob:g:{day}{part[0]}"))
        rows.append(tuple(row))
    rows.append((ctx.button("onboarding.avail_done", "ob:g:done"),))
    text = ctx.t("onboarding.ask_avail", chosen=availability_text(ctx, chosen) or "—")
    return text, tuple(rows)


def availability_text(ctx: Context, slots: set[str] | set[tuple[int, str]]) -> str:
    """'sam. matin, après-midi · dim. soir'."""
    pairs = sorted(
        (int(s.split(":")[0]), s.split(":")[1]) if isinstance(s, str) else s for s in slots
    )
    by_day: dict[int, list[str]] = {}
    for day, part in pairs:
        by_day.setdefault(day, []).append(part)
    shorts = ctx.services.catalogs.raw(ctx.lang, "date.days_short").split(",")
    return " · ".join(
        f"{shorts[d]} " + ", ".join(ctx.t("part." + p) for p in PARTS if p in parts)
        for d, parts in by_day.items()
    )


# --- answers -----------------------------------------------------------------


async def _on_text(ctx: Context, text: str) -> None:
    step, data = await _state(ctx)
    if step == "skills":
        text = clean_line(text, max_len=SKILLS_MAX, what=ctx.t("field.skills"))
        result = ctx.services.skills.normalise(text)
        if not result.matches and not result.free_tags:
            raise UserError("onboarding.skills_empty")
        data["skills"] = [[m.skill_id, m.text[:200]] for m in result.matches]
        data["free"] = [tag[:100] for tag in result.free_tags][:20]
        await _goto(ctx, "skills_check", data)
    elif step == "place":
        data["place"] = clean_line(text, max_len=100, what=ctx.t("field.place"))
        await _advance(ctx, step, data)
    else:
        ctx.private("onboarding.use_buttons")
        _prompt(ctx, step, data)


async def _on_button(ctx: Context, payload: str) -> None:
    if payload == "begin":
        if ctx.volunteer.onboarded:
            raise UserError("general.already_onboarded")
        await begin(ctx)
        ctx.answer("general.check_private", alert=True, private_start="begin")
        return
    if payload.startswith("edit:"):
        await _start_edit(ctx, payload.removeprefix("edit:"))
        return
    step, data = await _state(ctx)
    if step == "consent" and payload in ("consent:yes", "consent:no"):
        if payload == "consent:no":
            await ctx.clear_dialog()
            ctx.answer()
            ctx.private("onboarding.consent_refused")
            return
        await ctx.tx.people.record_consent(ctx.volunteer.id, "profile", CONSENT_VERSION)
        await ctx.tx.interactions.log(
            "consent", volunteer_id=ctx.volunteer.id, version=CONSENT_VERSION
        )
        await _advance(ctx, step, data)
    elif (step in ("skills", "place") and payload == "skip") or (
        step == "skills_check" and payload == "skills:ok"
    ):
        await _advance(ctx, step, data)
    elif step == "skills_check" and payload == "skills:redo":
        await _goto(ctx, "skills", data)
    elif step == "avail" and payload.startswith("g:"):
        await _grid_press(ctx, payload.removeprefix("g:"), data)
    elif step == "freq" and payload.startswith("f:") and payload[2:].isdigit():
        count = int(payload[2:])
        if count not in FREQUENCIES:
            raise UserError("errors.stale_button")
        data["freq"] = count
        await _advance(ctx, step, data)
    else:
        raise UserError("errors.stale_button")
    ctx.answer()


async def _grid_press(ctx: Context, code: str, data: dict[str, Any]) -> None:
    if code == "done":
        await _advance(ctx, "avail", data)
        return
    parts = {p[0]: p for p in PARTS}
    if len(code) != 2 or not code[0].isdigit() or int(code[0]) > 6 or code[1] not in parts:
        raise UserError("errors.stale_button")
    slot = f"{code[0]}:{parts[code[1]]}"
    chosen = set(data.get("avail", []))
    chosen.symmetric_difference_update({slot})
    data["avail"] = sorted(chosen)
    await ctx.set_private_dialog(FLOW, "avail", data)
    text, buttons = _grid(ctx, data)
    event = ctx.event
    if isinstance(event, ButtonPress) and event.message is not None:
        ctx.edit(event.message, text, buttons=buttons)
    else:
        ctx.say_private(text, buttons=buttons)


async def _goto(ctx: Context, step: str, data: dict[str, Any]) -> None:
    await ctx.set_private_dialog(FLOW, step, data)
    _prompt(ctx, step, data)


async def _advance(ctx: Context, step: str, data: dict[str, Any]) -> None:
    if data.get("mode") == "edit":
        await _save(ctx, data, parts=(data["part"],))
        await ctx.clear_dialog()
        ctx.private("profile.saved")
        await show_profile(ctx, "")
        return
    following = _ORDER[_ORDER.index(step) + 1 :]
    if following:
        await _goto(ctx, following[0], data)
    else:
        await _finish(ctx, data)


async def _save(ctx: Context, data: dict[str, Any], parts: tuple[str, ...]) -> None:
    people = ctx.tx.people
    vid = ctx.volunteer.id
    if "skills" in parts:
        skills = [VolunteerSkill(sid, raw, 1.0) for sid, raw in data.get("skills", [])]
        skills += [VolunteerSkill(None, tag, 0.0) for tag in data.get("free", [])]
        await people.replace_skills(vid, skills)
    if "avail" in parts:
        slots = [(int(s.split(":")[0]), s.split(":")[1]) for s in data.get("avail", [])]
        await people.replace_availability(vid, slots)
    if "place" in parts:
        place = data.get("place")
        match = _POSTCODE.search(place or "")
        await people.update(vid, location_text=place, postcode=match.group(1) if match else None)
    if "freq" in parts and "freq" in data:
        await people.update(vid, max_invitations_per_week=int(data["freq"]))


async def _finish(ctx: Context, data: dict[str, Any]) -> None:
    await _save(ctx, data, parts=EDITABLE)
    await ctx.tx.people.update(ctx.volunteer.id, onboarded_at=ctx.now)
    await ctx.tx.interactions.log("onboarded", volunteer_id=ctx.volunteer.id)
    await ctx.clear_dialog()
    refreshed = await ctx.tx.people.get(ctx.volunteer.id)
    assert refreshed is not None
    ctx.volunteer = refreshed
    ctx.private("onboarding.done", summary=await profile_summary(ctx))
    then_join = data.get("then_join")
    if then_join is not None:
        from bot.features import signups

        try:
            await signups.join(ctx, int(then_join), "onboarding")
        except UserError as exc:  # the mission filled up, was cancelled, or started meanwhile
            ctx.private(exc.key, **exc.params)


async def _start_edit(ctx: Context, part: str) -> None:
    if part not in EDITABLE:
        raise UserError("errors.stale_button")
    if not ctx.volunteer.onboarded:
        raise UserError("profile.none")
    current: dict[str, Any] = {"mode": "edit", "part": part}
    if part == "avail":
        slots = await ctx.tx.people.availability(ctx.volunteer.id)
        current["avail"] = sorted(f"{d}:{p}" for d, p in slots)
    await _goto(ctx, part, current)
    ctx.answer()


async def profile_summary(ctx: Context) -> str:
    volunteer = ctx.volunteer
    skills = await ctx.tx.people.skills(volunteer.id)
    labels = [ctx.services.skill_label(s.skill_id, s.raw_text, ctx.lang) for s in skills]
    slots = await ctx.tx.people.availability(volunteer.id)
    freq = volunteer.max_invitations_per_week
    summary = ctx.t(
        "profile.summary",
        name=volunteer.display_name,
        skills=", ".join(dict.fromkeys(labels)) or "—",
        availability=availability_text(ctx, slots) or ctx.t("profile.any_time"),
        place=volunteer.location_text or "—",
        frequency=ctx.t("onboarding.freq_option", count=freq) if freq else "—",
        language=ctx.t(f"language.{volunteer.language}"),
    )
    paused = pause.pause_note(ctx)
    return f"{summary}\n{paused}" if paused else summary


async def show_profile(ctx: Context, _args: str) -> None:
    if not ctx.volunteer.onboarded:
        ctx.private("profile.none")
        return
    ctx.say_private(
        await profile_summary(ctx),
        buttons=(
            (
                ctx.button("profile.edit_skills", "ob:edit:skills"),
                ctx.button("profile.edit_avail", "ob:edit:avail"),
            ),
            (
                ctx.button("profile.edit_place", "ob:edit:place"),
                ctx.button("profile.edit_freq", "ob:edit:freq"),
            ),
        ),
    )


async def save_location(ctx: Context, latitude: float, longitude: float) -> None:
    """A shared position sets the person's location (privately only); during onboarding it
    answers the "where" step."""
    if not ctx.chat.is_private:
        return  # a pin dropped in a group is not personal data to keep
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise UserError("profile.bad_location")
    await ctx.tx.people.update(ctx.volunteer.id, latitude=latitude, longitude=longitude)
    await ctx.tx.interactions.log("location_shared", volunteer_id=ctx.volunteer.id)
    state = await ctx.dialog()
    if state is not None and state.flow == FLOW and state.step == "place":
        data = dict(state.data)
        data.setdefault("place", ctx.t("profile.shared_position"))
        await _advance(ctx, "place", data)
        return
    ctx.private("profile.location_saved")


# --- the profile form (a Discord modal) ----------------------------------------


def _availability_cells(text: str) -> list[str]:
    """The form's availability in words, as grid cells ('5:morning'); empty means any time."""
    cells = parse_availability(text)
    if cells is None:
        raise UserError("profile.availability_unparsed", text=text[:100])
    return sorted(f"{day}:{part}" for day, part in cells)


async def profile_form_values(tx: Tx, services: Services, volunteer: Volunteer) -> dict[str, str]:
    """The profile as the form shows it, in words the form reads back unchanged
    ("samedi dimanche matin, mercredi soir": the days of a group times its parts)."""
    lang, catalogs = volunteer.language, services.catalogs
    skills = await tx.people.skills(volunteer.id)
    labels = [services.skill_label(k.skill_id, k.raw_text, lang) for k in skills]
    days = catalogs.raw(lang, "date.days").split(",")
    parts_of: dict[int, list[str]] = {}
    for day, part in await tx.people.availability(volunteer.id):
        parts_of.setdefault(day, []).append(part)
    days_of: dict[tuple[str, ...], list[int]] = {}
    for day in sorted(parts_of):
        parts = tuple(p for p in PARTS if p in parts_of[day])
        days_of.setdefault(parts, []).append(day)
    groups = [
        " ".join([days[d] for d in group_days] + [catalogs.t(lang, f"part.{p}") for p in parts])
        for parts, group_days in days_of.items()
    ]
    return {
        "skills": ", ".join(dict.fromkeys(label for label in labels if label)),
        "availability": ", ".join(groups),
        "place": volunteer.location_text or volunteer.postcode or "",
    }


async def profile_form_submitted(ctx: Context, values: dict[str, str]) -> None:
    """The profile form: the filled fields replace those parts of the profile, checked as
    in the step-by-step edit; nothing is saved unless every filled field is understood."""
    if not ctx.volunteer.onboarded:
        raise UserError("profile.none")
    data: dict[str, Any] = {}
    skills, avail, place = (values.get(k, "").strip() for k in ("skills", "availability", "place"))
    if skills:
        skills = as_list(skills)
        text = clean_line(skills, max_len=SKILLS_MAX, what=ctx.t("field.skills"))
        result = ctx.services.skills.normalise(text)
        if not result.matches and not result.free_tags:
            raise UserError("onboarding.skills_empty")
        data["skills"] = [[m.skill_id, m.text[:200]] for m in result.matches]
        data["free"] = [tag[:100] for tag in result.free_tags][:20]
    if avail:
        data["avail"] = _availability_cells(avail)
    if place:
        data["place"] = clean_line(place, max_len=100, what=ctx.t("field.place"))
    if not data:
        ctx.private("profile.form_empty")
        return
    await _save(ctx, data, parts=tuple(p for p in EDITABLE if p in data))
    await ctx.tx.interactions.log("profile_form", volunteer_id=ctx.volunteer.id)
    refreshed = await ctx.tx.people.get(ctx.volunteer.id)
    assert refreshed is not None
    ctx.volunteer = refreshed
    ctx.private("profile.saved")
    await show_profile(ctx, "")
