"""The mission card shown in the group, and the one-line mission summaries."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.events import Button, Keyboard
from bot.services import Services
from data.records import Mission, MissionStatus
from data.repos import Tx

__all__ = ["card_buttons", "mission_line", "mission_tz", "mission_when", "render", "skills_text"]


async def mission_tz(tx: Tx, services: Services, mission: Mission) -> ZoneInfo:
    """The time zone of the mission's organisation."""
    org = await tx.orgs.get(mission.org_id)
    return ZoneInfo(org.timezone if org else services.settings.timezone)


async def mission_when(tx: Tx, services: Services, mission: Mission, lang: str) -> str:
    """'samedi 6 décembre, 14:00–17:00' in the mission's organisation's time zone."""
    tz = await mission_tz(tx, services, mission)
    return services.catalogs.when(lang, mission.starts_at, mission.ends_at, tz)


def skills_text(services: Services, mission: Mission, lang: str) -> str:
    labels = [services.skill_label(s.skill_id, s.raw_text, lang) for s in mission.skills]
    return " · ".join(dict.fromkeys(labels))


def card_buttons(services: Services, mission: Mission, lang: str) -> Keyboard:
    t = services.catalogs.t
    return (
        (
            Button(t(lang, "card.join"), f"j:{mission.id}"),
            Button(t(lang, "card.details"), f"d:{mission.id}"),
            Button(t(lang, "card.withdraw"), f"w:{mission.id}"),
        ),
    )


async def render(tx: Tx, services: Services, mission: Mission) -> tuple[str, Keyboard]:
    """The card's text and buttons for the mission's current state, in the organisation's language."""
    org = await tx.orgs.get(mission.org_id)
    lang = org.language if org else services.settings.language
    tz = ZoneInfo(org.timezone if org else services.settings.timezone)
    catalogs = services.catalogs
    confirmed, waitlisted = await tx.missions.counts(mission.id)
    lines = [
        catalogs.t(lang, "card.title", title=mission.title, id=mission.id),
        catalogs.t(
            lang,
            "card.when_where" if mission.place else "card.when",
            when=catalogs.when(lang, mission.starts_at, mission.ends_at, tz),
            place=mission.place,
        ),
    ]
    skills = skills_text(services, mission, lang)
    if skills:
        lines.append(catalogs.t(lang, "card.skills", skills=skills))
    count_key = "card.count_waitlist" if waitlisted else "card.count"
    lines.append(
        catalogs.t(lang, count_key, confirmed=confirmed, slots=mission.slots, waitlisted=waitlisted)
    )
    if mission.status is MissionStatus.CANCELLED:
        lines.insert(0, catalogs.t(lang, "card.cancelled"))
        return "\n".join(lines), ()
    if confirmed >= mission.slots:
        lines.append(catalogs.t(lang, "card.full"))
    if mission.starts_at <= services.clock():
        lines.append(catalogs.t(lang, "card.started"))
        return "\n".join(lines), ()
    return "\n".join(lines), card_buttons(services, mission, lang)


def mission_line(
    services: Services, mission: Mission, lang: str, tz: ZoneInfo, confirmed: int
) -> str:
    """'#12 Tri — samedi 6 décembre, 14:00–17:00 — 3/5'."""
    return services.catalogs.t(
        lang,
        "missions.line",
        id=mission.id,
        title=mission.title,
        when=services.catalogs.when(lang, mission.starts_at, mission.ends_at, tz),
        confirmed=confirmed,
        slots=mission.slots,
    )
