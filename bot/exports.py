"""CSV exports of an organisation's volunteering: hours per volunteer and mission, missions and
their fill. `;`-separated, UTF-8 with a BOM, decimal commas in French: what French
spreadsheets open cleanly."""

from __future__ import annotations

import asyncio
import csv
import io
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.i18n import Catalogs
from data.repos import Tx
from data.repos.reports import History

__all__ = ["CAPTIONS", "KINDS", "export_csv", "hours_rows", "mission_rows", "to_csv"]

KINDS = ("hours", "missions")
HEADERS = {"hours": "export.hours_header", "missions": "export.missions_header"}
CAPTIONS = {"hours": "export.hours_caption", "missions": "export.missions_caption"}


def _number(value: float, lang: str) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "fr" else text


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


def to_csv(header: list[str], rows: list[list[str]]) -> bytes:
    """`;`-separated UTF-8 with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


async def export_csv(tx: Tx, catalogs: Catalogs, org_id: int, kind: str, lang: str) -> bytes:
    """The `kind` export ("hours" or "missions") of one organisation."""
    if kind not in KINDS:
        raise ValueError(f"unknown export {kind!r}")
    org = await tx.orgs.get(org_id)
    if org is None:
        raise LookupError(f"no organisation {org_id}")
    history = await tx.reports.history(org_id)
    tz = ZoneInfo(org.timezone)
    header = catalogs.t(lang, HEADERS[kind]).split(";")
    if kind == "hours":
        return to_csv(header, hours_rows(history, tz, lang))
    return to_csv(header, mission_rows(history, tz))


async def export_to_file(
    database_url: str, language: str, kind: str, out: str, org: int | None
) -> int:
    """`mainforte export KIND --out FILE`: write one export; 0 on success, 2 with a message."""
    import sys

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
            content = await export_csv(tx, Catalogs.load(), org, kind, language)
    finally:
        await store.close()
    try:
        await asyncio.to_thread(Path(out).write_bytes, content)
    except OSError as exc:
        print(f"mainforte: cannot write {out}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"Wrote {out}")
    return 0
