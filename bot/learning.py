"""Learning from invitation outcomes, per organisation.

Every invitation logs the score components it was ranked with. `train_organisation`
turns them and what followed (accepted, declined, no answer, came, did not come) into
examples, trains an acceptance model, and keeps it for the organisation only when it
beats the weighted score on held-out outcomes; otherwise the weighted score stays.
Models are stored as checked JSON in the organisation's settings, never pickled.
A weekly task retrains; `mainforte train` does it on demand.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from bot.scheduler import Job
from data.repos import Tx
from data.schema import interactions, invitations, signups
from matching import AcceptanceModel, Evaluation, Example, ModelFormatError, Outcome
from matching.learning import train_acceptance_model

__all__ = [
    "MODEL_KEY",
    "describe",
    "load_model",
    "retrain_task",
    "schedule_retrain",
    "train_organisation",
]

_log = logging.getLogger(__name__)

MODEL_KEY = "acceptance_model"


def _outcome(invitation_status: str | None, signup_status: str | None) -> Outcome | None:
    if signup_status == "attended":
        return Outcome.CAME
    if signup_status == "no_show":
        return Outcome.DID_NOT_COME
    return {
        "accepted": Outcome.ACCEPTED,
        "declined": Outcome.DECLINED,
        "expired": Outcome.NO_ANSWER,
    }.get(invitation_status or "")


async def training_examples(tx: Tx, org_id: int) -> list[Example]:
    """The organisation's answered invitations, oldest first, with their ranking components."""
    rows = (
        await tx.conn.execute(
            select(interactions.c.volunteer_id, interactions.c.mission_id, interactions.c.detail)
            .where((interactions.c.org_id == org_id) & (interactions.c.kind == "invited"))
            .order_by(interactions.c.at, interactions.c.id)
        )
    ).all()
    statuses = {
        (r.mission_id, r.volunteer_id): r.status
        for r in (
            await tx.conn.execute(
                select(invitations.c.mission_id, invitations.c.volunteer_id, invitations.c.status)
            )
        ).all()
    }
    outcomes = {
        (r.mission_id, r.volunteer_id): r.status
        for r in (
            await tx.conn.execute(
                select(signups.c.mission_id, signups.c.volunteer_id, signups.c.status)
            )
        ).all()
    }
    examples = []
    for row in rows:
        components: dict[str, Any] = dict(row.detail or {}).get("components") or {}
        key = (row.mission_id, row.volunteer_id)
        outcome = _outcome(statuses.get(key), outcomes.get(key))
        if components and outcome is not None:
            examples.append(Example({k: float(v) for k, v in components.items()}, outcome))
    return examples


async def train_organisation(tx: Tx, org_id: int, now: datetime) -> Evaluation:
    """Train on the organisation's outcomes; keep the model only if it beats the weighted score."""
    result = train_acceptance_model(await training_examples(tx, org_id))
    evaluation = result.evaluation
    if result.model is not None:
        await tx.orgs.update_settings(org_id, **{MODEL_KEY: result.model.to_json()})
    else:
        await tx.orgs.update_settings(org_id, **{MODEL_KEY: None})
    await tx.interactions.log(
        "model_trained",
        org_id=org_id,
        at=now,
        examples=evaluation.examples,
        learned_auc=evaluation.learned_auc,
        weighted_auc=evaluation.weighted_auc,
        learned_log_loss=evaluation.learned_log_loss,
        weighted_log_loss=evaluation.weighted_log_loss,
        used=evaluation.use_learned,
        reason=evaluation.reason,
    )
    return evaluation


def load_model(settings: dict[str, Any]) -> AcceptanceModel | None:
    """The organisation's kept model, or None (the weighted score) if absent or damaged."""
    text = settings.get(MODEL_KEY)
    if not text:
        return None
    try:
        return AcceptanceModel.from_json(str(text))
    except ModelFormatError:
        _log.warning("stored acceptance model rejected; ranking with the weighted score")
        return None


async def schedule_retrain(tx: Tx, org_id: int, now: datetime) -> None:
    """Plan next Monday's retraining (one per organisation and week)."""
    monday = (now + timedelta(days=7 - now.weekday())).date()
    due = datetime.combine(monday, time(3), tzinfo=now.tzinfo)
    week = monday.isocalendar()
    await tx.tasks.schedule(
        "retrain", f"retrain:{org_id}:{week.year}-W{week.week:02d}", due, org_id=org_id
    )


async def retrain_task(job: Job) -> None:
    """The weekly retraining of one organisation's model."""
    org_id = job.task.org_id
    if org_id is None or await job.tx.orgs.get(org_id) is None:
        job.drop("no organisation")
        return
    evaluation = await train_organisation(job.tx, org_id, job.now)
    _log.info("organisation %s retrained: %s", org_id, evaluation.reason)
    await schedule_retrain(job.tx, org_id, job.now)


def describe(evaluation: Evaluation) -> str:
    """One line for the command line: the measure for both, and the decision."""

    def fmt(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    return (
        f"{evaluation.examples} examples; ROC AUC learned {fmt(evaluation.learned_auc)} vs weighted "
        f"{fmt(evaluation.weighted_auc)}; log loss learned {fmt(evaluation.learned_log_loss)} vs weighted "
        f"{fmt(evaluation.weighted_log_loss)}; {'learned model used' if evaluation.use_learned else 'weighted score kept'}"
        f" ({evaluation.reason})"
    )
