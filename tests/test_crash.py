"""Kill -9 during a wave of 200 invitations, restart, count: none missing, at most one
duplicate per kill (the message in flight between the platform and the outbox)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from data.records import MissionSkill, Role, VolunteerSkill
from data.store import Store

VOLUNTEERS = 200
KILLS = 3
ROOT = Path(__file__).resolve().parents[1]


async def _seed(url: str) -> None:
    """An association, its coordinator, 200 onboarded volunteers, a mission for 100."""
    store = Store(url)
    start = datetime(2026, 12, 5, 13, 0, tzinfo=UTC)
    async with store.transaction() as tx:
        org = await tx.orgs.create("Banque alimentaire", timezone="Europe/Paris", language="fr")
        space = await tx.orgs.add_chat_space(org.id, "memory", "group-1", "Groupe")
        coordinator, _ = await tx.people.create_with_identity("memory", "coord", "Coralie", "fr")
        await tx.orgs.set_role(org.id, coordinator.id, Role.COORDINATOR)
        for i in range(VOLUNTEERS):
            volunteer, _ = await tx.people.create_with_identity("memory", f"v{i}", f"V{i}", "fr")
            await tx.orgs.ensure_member(org.id, volunteer.id)
            await tx.people.replace_skills(
                volunteer.id, [VolunteerSkill("handling", "manutention", 1.0)]
            )
            await tx.people.update(
                volunteer.id, onboarded_at=start - timedelta(days=30), max_invitations_per_week=3
            )
        await tx.missions.create(
            org_id=org.id,
            title="Grande collecte",
            description="",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            place="Entrepôt",
            slots=100,
            coordinator_id=coordinator.id,
            chat_space_id=space.id,
            skills=[MissionSkill("handling", "manutention", True)],
        )
    await store.close()


def _lines(log: Path) -> int:
    return len(log.read_text(encoding="utf-8").splitlines()) if log.exists() else 0


def _worker(url: str, log: Path, mode: str, epoch: float) -> subprocess.Popen[bytes]:
    """A bot process (tests/crash_worker.py); workers of one test share `epoch`, their clock."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.crash_worker", url, str(log), mode, str(epoch)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_after(
    process: subprocess.Popen[bytes], log: Path, more: int, timeout: float = 60
) -> None:
    """Let the worker deliver `more` messages, then kill -9 it mid-flight."""
    target = _lines(log) + more
    deadline = time.monotonic() + timeout
    while _lines(log) < target:
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(
                f"worker ended early: {process.stderr.read().decode() if process.stderr else ''}"
            )
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


async def test_kill_during_a_wave_loses_nothing_and_repeats_at_most_one_per_kill(
    sqlite_url: str, tmp_path: Path
) -> None:
    await _seed(sqlite_url)
    log = tmp_path / "delivered.jsonl"
    epoch = time.time()

    # Each killed worker leaves its claimed batch behind: the next one takes it over once
    # the claim's lease (1 s here) has run out.
    _kill_after(_worker(sqlite_url, log, "wave", epoch), log, more=30)
    for _ in range(KILLS - 1):
        _kill_after(_worker(sqlite_url, log, "resume", epoch), log, more=40)
    final = _worker(sqlite_url, log, "resume", epoch)
    assert final.wait(timeout=120) == 0, final.stderr.read().decode() if final.stderr else ""

    received = Counter(
        json.loads(line)["to"] for line in log.read_text(encoding="utf-8").splitlines()
    )
    invited = {f"v{i}" for i in range(VOLUNTEERS)}
    assert set(received) - {"coord"} == invited, f"missing: {sorted(invited - set(received))[:10]}"
    duplicates = sum(count - 1 for who, count in received.items() if who != "coord")
    assert duplicates <= KILLS, received.most_common(5)
    print(f"\n{len(invited)} invited, {KILLS} kills, {duplicates} duplicate(s)")
