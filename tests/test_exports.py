"""CSV exports: /export for admins (privately) and `mainforte export` on the command line, in
`;`-separated UTF-8 with a BOM so that French spreadsheets open them."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from data.schema import interactions
from tests.harness import Bot
from tests.scenarios import onboard
from tests.test_bad_input import nothing_changes
from tests.test_stats import season

BOM = b"\xef\xbb\xbf"


def rows(content: bytes) -> list[list[str]]:
    assert content.startswith(BOM)
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


async def test_admin_export_sends_the_csv_files_privately(bot: Bot) -> None:
    admin, _ = await season(bot)
    await admin.say("/export", in_group=True)
    assert "envoyé en privé" in bot.group_messages[-1].text
    files = {m.file[0]: m.file[1] for m in admin.inbox if m.file is not None}
    hours = rows(files["hours-2026-12-05.csv"])
    assert hours == [
        ["Bénévole", "N° mission", "Mission", "Date", "Heures"],
        ["Alice", "1", "Tri alimentaire", "2026-12-05", "3"],
        ["Bob", "1", "Tri alimentaire", "2026-12-05", "3"],
    ]
    missions = rows(files["missions-2026-12-05.csv"])
    assert missions[0][:5] == ["N° mission", "Mission", "Début", "Places", "Inscrits"]
    assert missions[1] == ["1", "Tri alimentaire", "2026-12-05 14:00", "3", "3", "2", "1", "open"]
    assert missions[2][1] == "Maraude"


async def test_export_refuses_an_unknown_kind_and_volunteers(bot: Bot) -> None:
    admin, (alice, *_) = await season(bot)
    await admin.say("/export people")
    assert "Je ne connais pas cet export" in admin.last
    assert "hours, missions, volunteers" in admin.last
    await alice.say("/export")
    assert not any(m.file for m in alice.inbox)


async def test_command_line_export_writes_the_file(
    bot: Bot,
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await season(bot)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    out = tmp_path / "heures.csv"

    def cli(*args: str) -> int:  # the command runs its own event loop: in a thread
        return main(list(args))

    assert await asyncio.to_thread(cli, "export", "hours", "--out", str(out)) == 0
    assert rows(out.read_bytes())[1] == ["Alice", "1", "Tri alimentaire", "2026-12-05", "3"]
    assert await asyncio.to_thread(cli, "export", "missions", "--out", str(tmp_path / "m.csv")) == 0
    assert rows((tmp_path / "m.csv").read_bytes())[1][1] == "Tri alimentaire"
    assert await asyncio.to_thread(cli, "export", "hours", "--out", str(out), "--org", "99") == 2
    assert "--org ID (known: 1)" in capsys.readouterr().err
    assert (
        await asyncio.to_thread(
            cli, "export", "hours", "--out", str(tmp_path / "no" / "such" / "dir.csv")
        )
        == 2
    )
    assert "cannot write" in capsys.readouterr().err
    assert await asyncio.to_thread(cli, "export", "volunteers", "--out", str(out)) == 0
    assert rows(out.read_bytes())[0][:2] == ["Bénévole", "Contacts"]
    before = tmp_path / "avant.csv"
    period = ("--period", "2026-09-01..2026-11-28")
    assert await asyncio.to_thread(cli, "export", "hours", "--out", str(before), *period) == 0
    assert len(rows(before.read_bytes())) == 1, "no mission in that period: the header only"
    assert (
        await asyncio.to_thread(cli, "export", "hours", "--out", str(out), "--period", "bof") == 2
    )
    assert "--period: Je n'ai pas compris la période" in capsys.readouterr().err


async def test_volunteers_export_depends_on_the_role_and_is_logged(bot: Bot) -> None:
    admin, (alice, *_) = await season(bot)
    coord = bot.person("coord", "Coralie")
    await admin.say("/export volunteers")
    [(name, content)] = [m.file for m in admin.inbox if m.file is not None]
    assert name == "volunteers-2026-12-05.csv"
    table = rows(content)
    assert table[0] == [
        "Bénévole", "Contacts", "Compétences", "Disponibilités", "Ville",
        "Arrivée", "Heures", "Dernière activité", "Engagement",
    ]  # fmt: skip
    alice_row = next(r for r in table if r[0] == "Alice")
    assert alice_row[1] == "memory:alice" and alice_row[2] == "Manutention"
    assert alice_row[6] == "3" and alice_row[5] == "2026-11-29"
    assert alice_row[7] == "2026-12-05" and alice_row[8].isdigit()
    carol_row = next(r for r in table if r[0] == "Carol")
    assert carol_row[6] == "0"

    await coord.say("/export bénévoles", in_group=True)
    [(_, short)] = [m.file for m in coord.inbox if m.file is not None]
    table = rows(short)
    assert table[0] == ["Bénévole", "Compétences", "Disponibilités", "Ville"]
    assert all(len(r) == 4 for r in table) and "memory:alice" not in short.decode()
    await coord.say("/export hours", in_group=True)
    assert sum(m.file is not None for m in coord.inbox) == 1, "hours are for admins only"

    before = len(alice.inbox)
    await alice.say("/export volunteers")
    assert len(alice.inbox) == before + 1 and not any(m.file for m in alice.inbox)
    async with bot.store.connection() as conn:
        logged = (
            (
                await conn.execute(
                    select(interactions.c.detail).where(
                        interactions.c.kind == "personal_data_access"
                    )
                )
            )
            .scalars()
            .all()
        )
    roles = [d.get("role") for d in logged if d.get("what") == "export"]
    assert roles == ["admin", "coordinator"]


async def test_a_name_a_spreadsheet_would_run_is_written_as_text(bot: Bot) -> None:
    admin, _ = await season(bot)
    evil = bot.person("evil", '=HYPERLINK("http://example.org","clic")')
    await evil.join_group()
    await onboard(evil, place="+33 6 12 34 56 78")
    await admin.say("/export volunteers")
    [(_, content)] = [m.file for m in admin.inbox if m.file is not None]
    table = rows(content)
    names = [r[0] for r in table]
    assert '\'=HYPERLINK("http://example.org","clic")' in names
    evil_row = next(r for r in table if r[0].startswith("'="))
    assert evil_row[4] == "'+33 6 12 34 56 78"
    assert "Alice" in names and all(not n.startswith("=") for n in names)


async def test_an_export_limited_to_a_period(bot: Bot) -> None:
    admin, _ = await season(bot)  # missions on 5 December 2026 and later
    await admin.say("/export hours 01/09/2026 30/11/2026")
    [(name, content)] = [m.file for m in admin.inbox if m.file is not None]
    assert name == "hours-2026-09-01_2026-11-30.csv"
    assert rows(content) == [["Bénévole", "N° mission", "Mission", "Date", "Heures"]]
    await admin.say("/export missions trimestre")
    files = [m.file for m in admin.inbox if m.file is not None]
    assert len(files) == 2 and files[-1][0].startswith("missions-2026-")
    assert any(r[1] == "Tri alimentaire" for r in rows(files[-1][1]))
    async with nothing_changes(bot):
        await admin.say("/export hours au petit bonheur")
    assert "Je ne connais pas cette période" in admin.last
    await admin.say("/export sometimes")
    assert "Je ne connais pas cet export" in admin.last
