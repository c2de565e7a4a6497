"""/settings for admins: see and change the organisation's rules (reminders, waves, quiet hours)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from bot.context import Context, UserError
from bot.features.retention import ensure_sweep
from bot.policy import Policy
from bot.router import Router
from data.records import Role

__all__ = ["register"]

# setting -> (smallest, largest) allowed; lists are checked item by item
_BOUNDS: dict[str, tuple[float, float]] = {
    "reminder_hours": (1, 168),
    "summary_hours": (1, 72),
    "auto_invite_hours": (0, 720),
    "wave_hours": (1, 168),
    "wave_factor": (1, 5),
    "max_waves": (1, 20),
    "offer_hours": (1, 72),
    "followup_hours": (0, 72),
    "quiet_start": (0, 23),
    "quiet_end": (0, 23),
    "max_invitations_per_week": (1, 14),
    "hourly_value_eur": (0, 1000),
    "digest_size": (0, 5),
    "digest_weekday": (0, 6),
    "digest_hour": (0, 23),
    "digest_days_ahead": (1, 60),
    "quiet_after_days": (0, 365),
    "series_weeks_ahead": (1, 12),
    "series_months_ahead": (1, 6),
    # Erasing inactive profiles cannot be switched off: it is what the privacy notice promises.
    "retention_months": (6, 60),
}
# What an admin may type to try to switch a setting off.
_OFF_WORDS = frozenset({"0", "off", "non", "no", "jamais", "never", "aucun", "none"})


def register(router: Router) -> None:
    router.command(
        "settings",
        settings_command,
        aliases=("reglages",),
        min_role=Role.ADMIN,
        help_key="help.settings",
    )


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _parse(name: str, text: str) -> Any:
    low, high = _BOUNDS[name]
    if name == "retention_months" and text.casefold() in _OFF_WORDS:
        raise UserError("settings.retention_no_off", low=_show(low), high=_show(high))
    kind = {f.name: f for f in fields(Policy)}[name]
    try:
        if name == "reminder_hours":
            values = tuple(
                sorted(
                    {int(part) for part in text.replace(";", ",").split(",") if part.strip()},
                    reverse=True,
                )
            )
            if not values or len(values) > 4 or not all(low <= v <= high for v in values):
                raise ValueError
            return list(values)
        value = float(text.replace(",", ".")) if kind.type in ("float", float) else int(text)
    except ValueError:
        raise UserError("settings.bad_value", name=name, low=_show(low), high=_show(high)) from None
    if not low <= value <= high:
        raise UserError("settings.bad_value", name=name, low=_show(low), high=_show(high))
    return value


async def settings_command(ctx: Context, args: str) -> None:
    org = await ctx.org_for(Role.ADMIN)
    name, _, value = args.strip().partition(" ")
    if not name:
        policy = Policy.of(org.settings)
        lines = [ctx.t("settings.header", org=org.name)]
        current = asdict(policy)
        lines += [
            ctx.t(
                "settings.line", name=key, value=_show(current[key]), help=ctx.t(f"settings.{key}")
            )
            for key in _BOUNDS
        ]
        lines.append(ctx.t("settings.usage"))
        ctx.say_private("\n".join(lines))
        return
    if name not in _BOUNDS:
        raise UserError("settings.unknown", name=name[:40], names=", ".join(_BOUNDS))
    if not value.strip():
        raise UserError("settings.usage")
    parsed = _parse(name, value.strip())
    await ctx.tx.orgs.update_settings(org.id, **{name: parsed})
    await ctx.tx.interactions.log(
        "settings_changed", org_id=org.id, volunteer_id=ctx.volunteer.id, name=name
    )
    await ensure_sweep(ctx.tx, ctx.now)
    ctx.reply(
        "settings.saved",
        name=name,
        value=_show(tuple(parsed) if isinstance(parsed, list) else parsed),
    )
