"""Learning per organisation, through the database: examples from the invitation log,
a model kept only when it beats the weighted score, used by the ranking, retrained weekly."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import learning
from data.records import MissionSkill, SignupStatus
from data.store import Store
from matching import FEATURES

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


async def _history(store: Store, count: int, learnable: bool) -> int:
    """`count` answered invitations whose outcome depends on the text component (the weighted
    score barely uses it), or is a coin toss when not `learnable`."""
    rng = random.Random(3)
    async with store.transaction() as tx:
        org = await tx.orgs.create("Asso", timezone="Europe/Paris", language="fr")
        for i in range(count):
            volunteer, _ = await tx.people.create_with_identity("memory", f"v{i}", f"V{i}", "fr")
            mission = await tx.missions.create(
                org_id=org.id,
                title=f"M{i}",
                description="",
                starts_at=NOW - timedelta(days=30 - i % 30),
                ends_at=NOW - timedelta(days=30 - i % 30) + timedelta(hours=2),
                place="",
                slots=1,
                coordinator_id=None,
                chat_space_id=None,
                skills=[MissionSkill("handling", "x", True)],
            )
            components = {name: rng.random() for name in FEATURES}
            yes = components["text"] > 0.5 if learnable else rng.random() < 0.5
            invitation = await tx.invitations.create(
                mission.id, volunteer.id, 1, NOW, NOW + timedelta(hours=12)
            )
            await tx.invitations.set_status(invitation, "accepted" if yes else "declined", NOW)
            if yes:
                await tx.missions.put_signup(
                    mission.id, volunteer.id, SignupStatus.ATTENDED, "invitation"
                )
            await tx.interactions.log(
                "invited",
                org_id=org.id,
                volunteer_id=volunteer.id,
                mission_id=mission.id,
                at=NOW - timedelta(days=60) + timedelta(minutes=i),
                components=components,
            )
        return org.id


async def test_a_learnable_history_gives_a_model_that_the_ranking_then_uses(
    sqlite_url: str,
) -> None:
    store = Store(sqlite_url)
    try:
        org_id = await _history(store, 400, learnable=True)
        async with store.transaction() as tx:
            assert len(await learning.training_examples(tx, org_id)) == 400
            evaluation = await learning.train_organisation(tx, org_id, NOW)
        assert evaluation.use_learned, evaluation
        assert evaluation.learned_auc is not None and evaluation.weighted_auc is not None
        assert evaluation.learned_auc > evaluation.weighted_auc
        async with store.transaction() as tx:
            org = await tx.orgs.get(org_id)
            assert org is not None
            model = learning.load_model(org.settings)
        assert model is not None
        assert "learned model used" in learning.describe(evaluation)
    finally:
        await store.close()


async def test_noise_or_scarce_data_keeps_the_weighted_score(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    try:
        org_id = await _history(store, 60, learnable=False)
        async with store.transaction() as tx:
            evaluation = await learning.train_organisation(tx, org_id, NOW)
            org = await tx.orgs.get(org_id)
        assert not evaluation.use_learned and evaluation.reason == "too_few_examples"
        assert org is not None and learning.load_model(org.settings) is None
    finally:
        await store.close()


async def test_a_tampered_stored_model_is_refused_and_the_weighted_score_used(
    sqlite_url: str,
) -> None:
    store = Store(sqlite_url)
    try:
        org_id = await _history(store, 400, learnable=True)
        async with store.transaction() as tx:
            await learning.train_organisation(tx, org_id, NOW)
            org = await tx.orgs.get(org_id)
            assert org is not None
            tampered = str(org.settings[learning.MODEL_KEY]).replace(
                '"intercept": ', '"intercept": 1'
            )
            await tx.orgs.update_settings(org_id, **{learning.MODEL_KEY: tampered})
            org = await tx.orgs.get(org_id)
        assert org is not None and learning.load_model(org.settings) is None
    finally:
        await store.close()


async def test_retraining_is_planned_weekly_per_organisation(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    try:
        async with store.transaction() as tx:
            org = await tx.orgs.create("Asso", timezone="Europe/Paris", language="fr")
            await learning.schedule_retrain(tx, org.id, NOW)
            await learning.schedule_retrain(tx, org.id, NOW + timedelta(hours=5))  # same week: once
            pending = await tx.tasks.pending("retrain")
        assert [t.key for t in pending] == [f"retrain:{org.id}:2026-W49"]
        assert pending[0].due_at == datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    finally:
        await store.close()


def test_the_train_command_reports_the_measure_for_both_and_the_decision(tmp_path: Path) -> None:
    import asyncio
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'bot.db'}"

    async def seed() -> None:
        store = Store(url)
        await store.migrate()
        await _history(store, 400, learnable=True)
        await store.close()

    asyncio.run(seed())
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "train"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Asso: 400 examples; ROC AUC learned" in result.stdout
    assert "learned model used (better)" in result.stdout
