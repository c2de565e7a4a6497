"""The mission card shown in the group, and the one-line mission summaries."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.events import Button, Card, CardField, Keyboard
from bot.services import Services
from data.records import Mission, MissionStatus
from data.repos import Tx

__all__ = [
    "card_buttons",
    "mission_line",
    "mission_tz",
    "mission_when",
    "render",
    "render_card",
    "skills_text",
]


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
    text, buttons, _card = await render_card(tx, services, mission)
    return text, buttons


async def render_card(tx: Tx, services: Services, mission: Mission) -> tuple[str, Keyboard, Card]:
    """The card as text and buttons, and as a structure (title and fields) for platforms that
    show cards (Discord embeds); both say the same, in the organisation's language."""
    org = await tx.orgs.get(mission.org_id)
    lang = org.language if org else services.settings.language
    tz = ZoneInfo(org.timezone if org else services.settings.timezone)
    t = services.catalogs.t
    confirmed, waitlisted = await tx.missions.counts(mission.id)
    when = services.catalogs.when(lang, mission.starts_at, mission.ends_at, tz)
    title = t(lang, "card.title", title=mission.title, id=mission.id)
    lines = [
        title,
        t(
            lang,
            "card.when_where" if mission.place else "card.when",
            when=when,
            place=mission.place,
        ),
    ]
    fields = [CardField(t(lang, "card.field_when"), when)]
    if mission.place:
        fields.append(CardField(t(lang, "card.field_place"), mission.place))
    skills = skills_text(services, mission, lang)
    if skills:
        lines.append(t(lang, "card.skills", skills=skills))
        fields.append(CardField(t(lang, "card.field_skills"), skills))
    counts = {"confirmed": confirmed, "slots": mission.slots, "waitlisted": waitlisted}
    lines.append(t(lang, "card.count_waitlist" if waitlisted else "card.count", **counts))
    short_key = "card.count_short_waitlist" if waitlisted else "card.count_short"
    fields.append(CardField(t(lang, "card.field_count"), t(lang, short_key, **counts)))
    notes: list[str] = []
    buttons = card_buttons(services, mission, lang)
    if mission.status is MissionStatus.CANCELLED:
        lines.insert(0, t(lang, "card.cancelled"))
        notes.append(t(lang, "card.cancelled"))
        buttons = ()
    else:
        if confirmed >= mission.slots:
            notes.append(t(lang, "card.full"))
        if mission.starts_at <= services.clock():
            notes.append(t(lang, "card.started"))
            buttons = ()
        lines += notes
    card = Card(title, tuple(fields), "\n".join(notes))
    return "\n".join(lines), buttons, card


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
