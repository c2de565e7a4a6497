"""CSV exports of an organisation's volunteering: hours per volunteer and mission, missions and
their fill, and the volunteers (full profiles for admins; what organising needs for
coordinators). `;`-separated, UTF-8 with a BOM, decimal commas in French: what French
spreadsheets open cleanly."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.engagement import engagement, hours_by_volunteer
from bot.i18n import Catalogs
from data.records import Role
from data.repos import Tx
from data.repos._util import utcnow
from data.repos.reports import History
from matching.features import PARTS
from matching.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "CAPTIONS",
    "KINDS",
    "export_csv",
    "hours_rows",
    "mission_rows",
    "safe_cell",
    "to_csv",
    "volunteer_rows",
    "within",
]

KINDS = ("hours", "missions", "volunteers")
ADMIN_ONLY = frozenset({"hours", "missions"})
HEADERS = {
    "hours": "export.hours_header",
    "missions": "export.missions_header",
    "volunteers": "export.volunteers_header",
}
COORDINATOR_HEADER = "export.volunteers_header_coordinator"
CAPTIONS = {
    "hours": "export.hours_caption",
    "missions": "export.missions_caption",
    "volunteers": "export.volunteers_caption",
}


def _number(value: float, lang: str) -> str:
    return Catalogs.number(lang, value, 2)


def hours_rows(history: History, tz: ZoneInfo, lang: str) -> list[list[str]]:
    """One row per attended sign-up: volunteer, mission, date, hours."""
    rows: list[list[str]] = []
    for s in history.signups:
        if s.status != "attended":
            continue
        m = history.missions[s.mission_id]
        hours = (m.ends_at - m.starts_at).total_seconds() / 3600
        rows.append(
            [
                history.names.get(s.volunteer_id, "?"),
                str(m.id),
                m.title,
                m.starts_at.astimezone(tz).date().isoformat(),
                _number(hours, lang),
            ]
        )
    return sorted(rows, key=lambda r: (r[3], r[0]))


def mission_rows(history: History, tz: ZoneInfo) -> list[list[str]]:
    """One row per mission: when, places, taken, came, missed, status."""
    counts: dict[int, Counter[str]] = {}
    for s in history.signups:
        counts.setdefault(s.mission_id, Counter())[s.status] += 1
    rows: list[list[str]] = []
    for m in sorted(history.missions.values(), key=lambda m: m.starts_at):
        c = counts.get(m.id, Counter())
        taken = c["confirmed"] + c["attended"] + c["no_show"]
        rows.append(
            [
                str(m.id),
                m.title,
                m.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                str(m.slots),
                str(taken),
                str(c["attended"]),
                str(c["no_show"]),
                m.status,
            ]
        )
    return rows


async def volunteer_rows(
    tx: Tx,
    catalogs: Catalogs,
    taxonomy: Taxonomy,
    org_id: int,
    history: History,
    *,
    tz: ZoneInfo,
    lang: str,
    role: Role,
    now: datetime,
) -> list[list[str]]:
    """One row per onboarded member, by name. Coordinators get what organising needs (name,
    skills, availability, town); admins also contacts, join date, hours, last activity and
    engagement."""
    from bot.features.nudges import BOT_KINDS  # the bot's own interactions are not activity

    members = dict(await tx.orgs.members(org_id))
    people = {v.id: v for v in (await tx.people.many(members)).values() if v.onboarded}
    skills = await tx.people.skills_of(people)
    slots = await tx.people.availability_of(people)
    full = role is Role.ADMIN
    if full:
        joined = await tx.orgs.joined_at(org_id)
        last = await tx.activity.last_active(people, ignore=BOT_KINDS)
        scores = engagement(history, now)
        hours = hours_by_volunteer(history)
    rows: list[list[str]] = []
    for volunteer in sorted(people.values(), key=lambda v: (v.display_name.casefold(), v.id)):
        vid = volunteer.id
        labels = [
            taxonomy.label(k.skill_id, lang)
            if k.skill_id is not None and k.skill_id in taxonomy.skills
            else k.raw_text
            for k in skills.get(vid, [])
        ]
        free = ", ".join(
            f"{catalogs.day_name(lang, day)} {catalogs.t(lang, f'part.{part}')}"
            for day, part in sorted(slots.get(vid, set()), key=lambda c: (c[0], PARTS.index(c[1])))
        )
        town = " ".join(filter(None, (volunteer.location_text, volunteer.postcode)))
        row = [volunteer.display_name, ", ".join(dict.fromkeys(labels)), free, town]
        if full:
            contacts = ", ".join(
                f"{i.platform}:{i.platform_user_id}" for i in await tx.people.identities_of(vid)
            )
            since = joined.get(vid)
            seen = last.get(vid)
            score = scores.get(vid)
            row[1:1] = [contacts]
            row += [
                since.astimezone(tz).date().isoformat() if since else "",
                _number(hours.get(vid, 0.0), lang),
                seen.astimezone(tz).date().isoformat() if seen else "",
                str(score.score) if score else "",
            ]
        rows.append(row)
    return rows


def to_csv(header: list[str], rows: list[list[str]]) -> bytes:
    """`;`-separated UTF-8 with a BOM; cells a spreadsheet would run as a formula are
    quoted as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


_NUMBER = re.compile(r"[-+]?[0-9]+(?:[.,][0-9]+)?")


def safe_cell(cell: str) -> str:
    """A display name like "=HYPERLINK(...)" or a phone like "+33 6 12 ..." is text, not a
    formula: a leading apostrophe makes Excel and LibreOffice show it as written."""
    if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def within(history: History, start: datetime, end: datetime) -> History:
    """The history of the missions starting in [start, end) only."""
    missions = {i: m for i, m in history.missions.items() if start <= m.starts_at < end}
    return dataclasses.replace(
        history,
        missions=missions,
        signups=[s for s in history.signups if s.mission_id in missions],
        invitations=[i for i in history.invitations if start <= i.sent_at < end],
    )


async def export_csv(
    tx: Tx,
    catalogs: Catalogs,
    org_id: int,
    kind: str,
    lang: str,
    *,
    role: Role = Role.ADMIN,
    taxonomy: Taxonomy | None = None,
    now: datetime | None = None,
    period: tuple[datetime, datetime] | None = None,
) -> bytes:
    """The `kind` export ("hours", "missions" or "volunteers") of one organisation, as
    `role` may see it (only admins get hours, missions and full volunteer profiles);
    hours and missions of the missions starting in `period` [start, end) when given."""
    if kind not in KINDS:
        raise ValueError(f"unknown export {kind!r}")
    if role is not Role.ADMIN and (kind in ADMIN_ONLY or role is not Role.COORDINATOR):
        raise PermissionError(f"{role} cannot export {kind}")
    org = await tx.orgs.get(org_id)
    if org is None:
        raise LookupError(f"no organisation {org_id}")
    history = await tx.reports.history(org_id)
    if period is not None and kind != "volunteers":
        history = within(history, *period)
    tz = ZoneInfo(org.timezone)
    key = COORDINATOR_HEADER if kind == "volunteers" and role is Role.COORDINATOR else HEADERS[kind]
    header = catalogs.t(lang, key).split(";")
    if kind == "hours":
        return to_csv(header, hours_rows(history, tz, lang))
    if kind == "volunteers":
        rows = await volunteer_rows(
            tx,
            catalogs,
            taxonomy or load_taxonomy(),
            org_id,
            history,
            tz=tz,
            lang=lang,
            role=role,
            now=now or utcnow(),
        )
        return to_csv(header, rows)
    return to_csv(header, mission_rows(history, tz))


async def export_to_file(
    database_url: str,
    language: str,
    kind: str,
    out: str,
    org: int | None,
    period_text: str | None = None,
) -> int:
    """`mainforte export KIND --out FILE [--period P]`: write one export; 0 on success, 2
    with a message."""
    import sys

    from bot.periods import PeriodError, parse_period
    from data.store import Store

    store = Store(database_url)
    try:
        async with store.transaction() as tx:
            orgs = await tx.orgs.all_ids()
            if org is None and len(orgs) == 1:
                org = orgs[0]
            if org is None or org not in orgs:
                known = ", ".join(map(str, orgs)) or "none yet"
                print(
                    f"mainforte: choose the association with --org ID (known: {known})",
                    file=sys.stderr,
                )
                return 2
            period = None
            if period_text:
                record = await tx.orgs.get(org)
                assert record is not None
                try:
                    found = parse_period(period_text, utcnow(), ZoneInfo(record.timezone))
                except PeriodError as exc:
                    message = Catalogs.load().t(language, exc.key, **exc.params)
                    print(f"mainforte: --period: {message}", file=sys.stderr)
                    return 2
                period = (found.start, found.end)
            content = await export_csv(tx, Catalogs.load(), org, kind, language, period=period)
            if kind == "volunteers":  # who ran it is whoever holds the server: say how
                await tx.interactions.log(
                    "personal_data_access", org_id=org, what="export:volunteers", via="cli"
                )
    finally:
        await store.close()
    try:
        await asyncio.to_thread(Path(out).write_bytes, content)
    except OSError as exc:
        print(f"mainforte: cannot write {out}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"Wrote {out}")
    return 0
