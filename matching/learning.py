"""Learning who says yes: an acceptance model trained on recorded invitation outcomes.

The core records, for each invitation, the `components` of the `Ranked` it came from and
what happened. `train_acceptance_model` fits a logistic regression on those components
(oldest examples first; the newest `test_share` are held out), compares it with the
weighted score on the held-out outcomes (ROC AUC, and log loss after Platt calibration of
the weighted score), and returns a model only when it is better beyond noise (bootstrap)
with a lower log loss; otherwise the ranker keeps the weighted score.

Models are stored as JSON (feature names, standardisation, coefficients, version and a
SHA-256 or HMAC-SHA256 checksum), never pickled: loading checks every field and raises
`ModelFormatError` on anything unexpected.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit
from scipy.stats import rankdata
from sklearn.linear_model import LogisticRegression

from matching.features import FEATURES
from matching.ranking import Weights

__all__ = [
    "MODEL_FORMAT",
    "MODEL_VERSION",
    "POSITIVE_OUTCOMES",
    "AcceptanceModel",
    "Evaluation",
    "Example",
    "ModelFormatError",
    "Outcome",
    "TrainingResult",
    "evaluation_dict",
    "roc_auc",
    "train_acceptance_model",
]

MODEL_FORMAT: Final = "mainforte.acceptance_model"
MODEL_VERSION: Final = 1
MAX_MODEL_CHARS: Final = 100_000
_KEYS: Final = frozenset(
    {"format", "version", "kind", "features", "mean", "scale", "coef", "intercept"}
    | {"trained_on", "metrics", "checksum"}
)


class Outcome(StrEnum):
    """What happened after an invitation."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"
    CAME = "came"
    DID_NOT_COME = "did_not_come"


#: Outcomes counted as a useful "yes" (a no-show is not one).
POSITIVE_OUTCOMES: Final = frozenset({Outcome.ACCEPTED, Outcome.CAME})


class ModelFormatError(ValueError):
    """A stored model is malformed, from another version, or was altered."""


@dataclass(frozen=True, slots=True)
class Example:
    """One recorded invitation: the components it was ranked with, and its outcome."""

    components: Mapping[str, float]
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Held-out comparison of the learned model with the weighted score."""

    examples: int
    train: int
    test: int
    positive_share: float
    learned_auc: float | None
    learned_log_loss: float | None
    weighted_auc: float | None
    weighted_log_loss: float | None
    auc_gain_p5: float | None  # 5th percentile of the bootstrap AUC gain (> 0: beats it)
    use_learned: bool
    reason: str  # "better", "too_few_examples", "one_class", "not_better"


@dataclass(frozen=True, slots=True)
class TrainingResult:
    """`model` is what to rank with (None: keep the weighted score)."""

    model: AcceptanceModel | None
    candidate: AcceptanceModel | None  # the model trained, whatever the verdict
    evaluation: Evaluation


class AcceptanceModel:
    """Logistic regression on standardised components: P(useful yes | components)."""

    __slots__ = ("coef", "features", "intercept", "mean", "metrics", "scale", "trained_on")

    def __init__(
        self,
        coef: ArrayLike,
        intercept: float,
        mean: ArrayLike,
        scale: ArrayLike,
        *,
        features: Sequence[str] = FEATURES,
        trained_on: int = 0,
        metrics: Mapping[str, float] | None = None,
    ) -> None:
        self.features = tuple(features)
        if self.features != FEATURES:
            raise ModelFormatError(
                f"model features {list(self.features)} differ from this version's {list(FEATURES)}"
            )
        self.coef = np.array(coef, dtype=np.float64)
        self.mean = np.array(mean, dtype=np.float64)
        self.scale = np.array(scale, dtype=np.float64)
        self.intercept = float(intercept)
        self.trained_on = int(trained_on)
        self.metrics = dict(metrics or {})
        for name, arr in (("coef", self.coef), ("mean", self.mean), ("scale", self.scale)):
            if arr.shape != (len(FEATURES),) or not np.all(np.isfinite(arr)):
                raise ModelFormatError(f"{name}: expected {len(FEATURES)} finite numbers")
        if not np.all(self.scale > 0) or not math.isfinite(self.intercept):
            raise ModelFormatError("scale must be > 0 and intercept finite")

    def predict_proba(self, components: NDArray[np.float64]) -> NDArray[np.float64]:
        """Probability of a useful "yes" for each row of components (FEATURES order)."""
        x = np.asarray(components, dtype=np.float64).reshape(-1, len(FEATURES))
        slope = self.coef / self.scale
        offset = self.intercept - float(np.dot(self.mean, slope))
        return np.asarray(expit(np.einsum("nk,k->n", x, slope) + offset))

    # -- safe persistence -----------------------------------------------------------------

    def _payload(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "kind": "logistic_regression",
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "trained_on": self.trained_on,
            "metrics": self.metrics,
        }

    def to_json(self, key: bytes | None = None) -> str:
        """JSON text with a SHA-256 checksum, or an HMAC-SHA256 signature when `key` is given."""
        payload = self._payload()
        payload["checksum"] = _checksum(payload, key)
        return json.dumps(payload, indent=1, sort_keys=True, allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes, key: bytes | None = None) -> AcceptanceModel:
        """Load a model written by `to_json`, checking every field; raises ModelFormatError."""
        if len(text) > MAX_MODEL_CHARS:
            raise ModelFormatError(f"model file too large ({len(text)} > {MAX_MODEL_CHARS})")
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ModelFormatError(f"model file is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ModelFormatError("model file must hold a JSON object")
        if set(data) != _KEYS:
            missing, extra = sorted(_KEYS - set(data)), sorted(set(data) - _KEYS)
            raise ModelFormatError(f"model fields wrong: missing {missing}, unexpected {extra}")
        if data["format"] != MODEL_FORMAT or data["kind"] != "logistic_regression":
            raise ModelFormatError(f"not a {MODEL_FORMAT} logistic regression")
        if data["version"] != MODEL_VERSION or isinstance(data["version"], bool):
            raise ModelFormatError(f"model version {data['version']!r}, expected {MODEL_VERSION}")
        checksum = data.pop("checksum")
        if not isinstance(checksum, str):
            raise ModelFormatError("checksum must be a string")
        if _signed(checksum) and key is None:
            raise ModelFormatError("model is signed: a key is needed to load it")
        if not _signed(checksum) and key is not None:
            raise ModelFormatError("model is not signed but a key was given: refusing it")
        if not hmac.compare_digest(checksum, _checksum(data, key)):
            raise ModelFormatError(
                "model checksum does not match: the file was altered or corrupted"
            )
        features = data["features"]
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            raise ModelFormatError("features must be a list of names")
        metrics = data["metrics"]
        if not isinstance(metrics, dict) or not all(
            isinstance(k, str) and _is_number(v) for k, v in metrics.items()
        ):
            raise ModelFormatError("metrics must map names to numbers")
        trained_on = data["trained_on"]
        if not isinstance(trained_on, int) or isinstance(trained_on, bool) or trained_on < 0:
            raise ModelFormatError("trained_on must be a count")
        return cls(
            _numbers(data, "coef"),
            _number(data["intercept"], "intercept"),
            _numbers(data, "mean"),
            _numbers(data, "scale"),
            features=features,
            trained_on=trained_on,
            metrics=metrics,
        )

    def __repr__(self) -> str:
        return (
            f"AcceptanceModel(trained_on={self.trained_on}, coef={np.round(self.coef, 3).tolist()})"
        )


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def _signed(checksum: str) -> bool:
    return checksum.startswith("hmac-sha256:")


def _checksum(payload: Mapping[str, Any], key: bytes | None) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    if key is None:
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    return "hmac-sha256:" + hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(value: object, name: str) -> float:
    if not _is_number(value):
        raise ModelFormatError(f"{name} must be a finite number")
    assert isinstance(value, int | float)
    return float(value)


def _numbers(data: Mapping[str, Any], name: str) -> list[float]:
    values = data[name]
    if not isinstance(values, list) or len(values) != len(FEATURES):
        raise ModelFormatError(f"{name} must be a list of {len(FEATURES)} numbers")
    return [_number(v, name) for v in values]


# -- training and evaluation ------------------------------------------------------------------


def roc_auc(scores: NDArray[np.float64], labels: NDArray[np.bool_]) -> NDArray[np.float64]:
    """ROC AUC per row (rank formula, ties count half); NaN where a row has one class."""
    s = np.atleast_2d(scores)
    y = np.atleast_2d(labels).astype(bool)
    ranks = rankdata(s, axis=1)
    pos = y.sum(axis=1).astype(np.float64)
    neg = y.shape[1] - pos
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = ((ranks * y).sum(axis=1) - pos * (pos + 1) / 2) / (pos * neg)
    return np.asarray(np.where((pos > 0) & (neg > 0), auc, np.nan))


def _log_loss(p: NDArray[np.float64], y: NDArray[np.bool_]) -> float:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(np.where(y, np.log(p), np.log1p(-p))))


def _matrix(examples: Sequence[Example]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    x = np.empty((len(examples), len(FEATURES)))
    for i, ex in enumerate(examples):
        try:
            x[i] = [ex.components[name] for name in FEATURES]
        except KeyError as exc:
            raise ValueError(f"example {i}: missing component {exc.args[0]!r}") from exc
    if not np.all(np.isfinite(x)):
        raise ValueError("examples hold non-finite components")
    y = np.array([Outcome(ex.outcome) in POSITIVE_OUTCOMES for ex in examples], dtype=bool)
    return x, y


def _fit(x: NDArray[np.float64], y: NDArray[np.bool_], c: float) -> AcceptanceModel:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    reg = LogisticRegression(C=c, max_iter=1000)
    reg.fit((x - mean) / scale, y)
    return AcceptanceModel(reg.coef_[0], reg.intercept_[0], mean, scale, trained_on=len(y))


def _evaluation(
    y: NDArray[np.bool_],
    n_test: int,
    reason: str,
    metrics: Mapping[str, float] | None = None,
    gain: float | None = None,
) -> Evaluation:
    m = metrics or {}
    n = len(y)
    return Evaluation(
        examples=n,
        train=n - n_test,
        test=n_test,
        positive_share=float(y.mean()) if n else 0.0,
        learned_auc=m.get("learned_auc"),
        learned_log_loss=m.get("learned_log_loss"),
        weighted_auc=m.get("weighted_auc"),
        weighted_log_loss=m.get("weighted_log_loss"),
        auc_gain_p5=gain,
        use_learned=reason == "better",
        reason=reason,
    )


def train_acceptance_model(
    examples: Sequence[Example],
    weights: Weights | None = None,
    *,
    test_share: float = 0.25,
    min_examples: int = 200,
    min_per_class: int = 20,
    bootstrap: int = 300,
    c: float = 1.0,
    seed: int = 0,
) -> TrainingResult:
    """Train on the oldest examples, compare with the weighted score on the newest ones.

    The learned model is returned for use only when the 5th percentile of its bootstrap
    AUC gain over the weighted score is above 0 and its log loss is lower.
    """
    if not 0.0 < test_share < 1.0:
        raise ValueError("test_share must be in (0, 1)")
    x, y = _matrix(examples)
    n_test = round(len(y) * test_share)
    split = len(y) - n_test
    x_train, y_train, x_test, y_test = x[:split], y[:split], x[split:], y[split:]
    if len(y) < min_examples:
        return TrainingResult(None, None, _evaluation(y, n_test, "too_few_examples"))
    per_class = min(int(y_train.sum()), int((~y_train).sum()))
    if per_class < min_per_class or y_test.all() or not y_test.any():
        return TrainingResult(None, None, _evaluation(y, n_test, "one_class"))

    model = _fit(x_train, y_train, c)
    w = (weights or Weights()).vector()
    platt = LogisticRegression(max_iter=1000).fit((x_train @ w)[:, None], y_train)
    weighted_test = x_test @ w
    learned_p = model.predict_proba(x_test)
    weighted_p = platt.predict_proba(weighted_test[:, None])[:, 1]
    metrics = {
        "learned_auc": float(roc_auc(learned_p, y_test)[0]),
        "learned_log_loss": _log_loss(learned_p, y_test),
        "weighted_auc": float(roc_auc(weighted_test, y_test)[0]),
        "weighted_log_loss": _log_loss(weighted_p, y_test),
    }
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n_test, size=(bootstrap, n_test))
    gains = roc_auc(learned_p[idx], y_test[idx]) - roc_auc(weighted_test[idx], y_test[idx])
    gain_p5 = float(np.nanpercentile(gains, 5))
    better = gain_p5 > 0 and metrics["learned_log_loss"] < metrics["weighted_log_loss"]
    model.metrics.update({k: round(v, 6) for k, v in metrics.items()})
    model.metrics["auc_gain_p5"] = round(gain_p5, 6)
    evaluation = _evaluation(y, n_test, "better" if better else "not_better", metrics, gain_p5)
    return TrainingResult(model if better else None, model, evaluation)


def evaluation_dict(evaluation: Evaluation) -> dict[str, Any]:
    """The evaluation as a plain dict (for reports and JSON)."""
    return asdict(evaluation)
