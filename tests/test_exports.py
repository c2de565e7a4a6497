"""CSV exports: /export for admins (privately) and `mainforte export` on the command line, in
`;`-separated UTF-8 with a BOM so that French spreadsheets open them."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest

from bot.cli import main
from tests.harness import Bot
from tests.test_stats import season

BOM = b"\xef\xbb\xbf"


def rows(content: bytes) -> list[list[str]]:
    assert content.startswith(BOM)
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


async def test_admin_export_sends_two_csv_files_privately(bot: Bot) -> None:
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
    assert "Je ne connais pas cet export" in admin.last and "hours, missions" in admin.last
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
