"""The `mainforte` command, run for real as a subprocess, as a person would in a shell.

Each run gets a clean environment (PATH and HOME only, plus DATABASE_URL in the test's
folder) and runs in that folder, so no settings file or database of the developer is
read or written. Every wait has a timeout.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 30.0
DEMO_TIMEOUT = 90.0
PROMPT = "coordinator@groupe> "
TABLES = {"alembic_version", "volunteers", "identities", "organisations", "missions", "outbox"}


def _env(tmp_path: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    env["PYTHONPATH"] = str(ROOT)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'bot.db'}"
    env.update(extra or {})
    return env


def mainforte(
    tmp_path: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: str = "",
    timeout: float = TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env=_env(tmp_path, env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def tables(database: Path) -> set[str]:
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


def test_help_explains_the_three_commands(tmp_path: Path) -> None:
    result = mainforte(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    for command in ("mainforte run", "mainforte demo", "mainforte db upgrade"):
        assert command in result.stdout
    assert "TELEGRAM_TOKEN" in result.stdout and "terminal" in result.stdout
    assert "mainforte.toml" in result.stdout
    assert result.stderr == ""
    assert list(tmp_path.iterdir()) == [], "--help creates nothing"


def test_the_installed_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "mainforte"
    if not script.exists():
        pytest.skip("the mainforte console script is not installed next to this Python")
    result = subprocess.run(
        [str(script), "--help"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0 and "mainforte db upgrade" in result.stdout


def test_db_upgrade_creates_the_database_and_can_run_again(tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    first = mainforte(tmp_path, "db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert f"Database is up to date: sqlite:///{database}" in first.stdout
    assert TABLES - tables(database) == set()
    with sqlite3.connect(database) as conn:
        version = conn.execute("SELECT version_num FROM alembic_version").fetchall()

    again = mainforte(tmp_path, "db", "upgrade")
    assert again.returncode == 0, again.stderr
    assert "Database is up to date" in again.stdout
    assert TABLES - tables(database) == set()
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == version
    assert len(version) == 1


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A folder for the demo's temporary files: in memory when the machine has /dev/shm
    (the demo's SQLite commits are then about twice as fast)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="mainforte-test-", dir=shm))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    else:
        folder = tmp_path / "tmp"
        folder.mkdir()
        yield folder


def test_demo_plays_the_waitlist_and_the_promotion(tmp_path: Path, scratch: Path) -> None:
    result = mainforte(tmp_path, "demo", env={"TMPDIR": str(scratch)}, timeout=DEMO_TIMEOUT)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "La mission est complète : liste d'attente" in out
    assert "tu es en liste d'attente (n°1)" in out
    assert "🎉 Une place s'est libérée" in out
    assert out.index("liste d'attente (n°1)") < out.index("Une place s'est libérée")
    assert "Fin de la démo" in out
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "bot.db").exists(), "the demo plays on a temporary database"
    assert list(scratch.iterdir()) == [], "and removes it"


def test_a_bad_setting_stops_with_one_line(tmp_path: Path) -> None:
    result = mainforte(tmp_path, "run", env={"MAINFORTE_TIMEZONE": "Mars/Olympus"}, stdin="/quit\n")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "mainforte: configuration error: MAINFORTE_TIMEZONE: unknown time zone "
        "'Mars/Olympus' (e.g. Europe/Paris)"
    ]
    assert result.stdout == ""
    assert not (tmp_path / "bot.db").exists()


def test_run_without_a_token_opens_the_terminal_chat(tmp_path: Path) -> None:
    result = mainforte(tmp_path, "run", stdin="/private\n/start\n1\n/quit\n")
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "Mainforte — chat dans le terminal." in out
    assert "[privé → coordinator]" in out
    assert "Pour te proposer des missions, je garde" in out
    assert "[1] J'accepte  [2] Non merci" in out
    assert "Qu'est-ce que tu sais faire" in out, "button 1 was pressed"
    # The terminal chat keeps the logs quiet (warnings and errors only).
    assert " INFO " not in result.stderr
    assert TABLES - tables(tmp_path / "bot.db") == set()


def test_quitting_at_once_prints_no_error(tmp_path: Path) -> None:
    result = mainforte(tmp_path, "run", stdin="/quit\n")
    assert result.returncode == 0
    assert result.stderr == ""


def _read_until(proc: subprocess.Popen[bytes], text: str, timeout: float) -> str:
    """What the process printed, up to and including `text` (or until the timeout)."""
    assert proc.stdout is not None
    seen = b""
    wanted = text.encode()
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while wanted not in seen and time.monotonic() < deadline:
            if selector.select(timeout=0.2):
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                seen += chunk
    return seen.decode(errors="replace")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_run_stops_cleanly_on_a_signal_while_waiting_for_input(
    tmp_path: Path, sig: signal.Signals
) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env=_env(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        try:
            screen = _read_until(proc, PROMPT, timeout=TIMEOUT)
            assert PROMPT in screen, screen
            time.sleep(0.5)  # the chat is now waiting for a line, as a bot left idle would be
            proc.send_signal(sig)
            try:
                code: int | None = proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
        finally:
            if proc.poll() is None:  # let it go: closing stdin ends the blocked read
                assert proc.stdin is not None
                proc.stdin.close()
                try:
                    proc.wait(timeout=TIMEOUT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=TIMEOUT)
    assert code == 0, "still running 5 s after the signal"
    assert (tmp_path / "bot.db").exists()


# --- in-process: argument handling that needs no database ------------------------------


def _main(args: list[str]) -> int | str | None:
    try:
        return main(args)
    except SystemExit as exit_:
        return exit_.code


def test_no_command_prints_the_help(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _main([]) == 0
    assert "mainforte db upgrade" in capsys.readouterr().out


def test_an_unknown_command_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _main(["start"]) == 2
    assert "invalid choice: 'start'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("env", "toml", "names"),
    [
        ({"MAINFORTE_CONFIG": "/nonexistent/mainforte.toml"}, None, "MAINFORTE_CONFIG"),
        ({}, 'language = "de"\n', "mainforte.toml: language"),
        ({"DATABASE_URL": "mysql://x"}, None, "DATABASE_URL"),
    ],
    ids=["missing-config-file", "toml", "database-url"],
)
@pytest.mark.parametrize("command", ["run", "demo", "db upgrade"])
def test_every_command_stops_on_a_bad_setting_with_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    env: dict[str, str],
    toml: str | None,
    names: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if toml is not None:
        (tmp_path / "mainforte.toml").write_text(toml, encoding="utf-8")
    assert _main(command.split()) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("mainforte: configuration error: ") and names in err
    expected = [tmp_path / "mainforte.toml"] if toml else []
    assert list(tmp_path.iterdir()) == expected, "nothing is created"


def test_db_without_an_action_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code = _main(["db"])
    assert "upgrade" in capsys.readouterr().out
    assert code == 2


def test_import_volunteers_prints_the_errors_or_writes_the_codes(tmp_path: Path) -> None:
    assert mainforte(tmp_path, "db", "upgrade").returncode == 0
    with sqlite3.connect(tmp_path / "bot.db") as conn:
        conn.execute(
            "INSERT INTO organisations (name, timezone, language, settings, created_at) "
            "VALUES ('Banque alimentaire', 'Europe/Paris', 'fr', '{}', '2026-11-29 09:00:00')"
        )
    bad = tmp_path / "bad.csv"
    bad.write_bytes("Nom complet;Téléphone\nAwa Diallo;0612345678\n;0698765432\n".encode())
    refused = mainforte(tmp_path, "import", "volunteers", str(bad), "--org", "1")
    assert refused.returncode == 2
    assert "Rien n'a été importé : 1 erreur(s)" in refused.stderr
    assert "Ligne 3 : il manque le nom." in refused.stderr
    good = tmp_path / "benevoles.csv"
    good.write_bytes("\ufeffPrénom;Nom;Compétences\nAwa;Diallo;cuisine\n".encode())
    done = mainforte(tmp_path, "import", "volunteers", str(good))
    assert done.returncode == 0, done.stderr
    codes = tmp_path / "benevoles-codes.csv"
    assert (
        f"1 bénévole(s) importé(s), 0 mis à jour, 0 déjà relié(s). Codes à transmettre : {codes}"
        in done.stdout
    )
    lines = codes.read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0] == "ligne;nom;téléphone;e-mail;statut;code;lien"
    assert lines[1].startswith("2;Awa Diallo;;;nouveau;") and "/claim " in lines[1]
    with sqlite3.connect(tmp_path / "bot.db") as conn:
        names = [n for (n,) in conn.execute("SELECT display_name FROM volunteers")]
    assert names == ["Awa Diallo"], "the refused file imported nobody"
