"""The trained reply classifier: shipped data, held-out quality, calibration plumbing, robustness.

Run with -s to see per-intent precision and recall on ``data/intents_test.csv`` (written after
the model design was frozen; never used for training).
"""

from __future__ import annotations

import statistics
import time
from collections import Counter

import numpy as np
import pytest

from matching.intents import Intent, classifier, classify, load_examples, normalise
from matching.replies import CONFIDENT, ReplyIntent, ReplyReading, read_reply

J, W = ReplyIntent.JOIN, ReplyIntent.WITHDRAW
_AS_REPLY = {
    Intent.JOIN: J,
    Intent.WITHDRAW: W,
    Intent.MAYBE_OR_QUESTION: ReplyIntent.MAYBE_OR_QUESTION,
    Intent.AVAILABILITY: ReplyIntent.AVAILABILITY,
    Intent.SKILL: ReplyIntent.SKILL,
    Intent.OTHER: ReplyIntent.UNCLEAR,
}


def _acted(reading: ReplyReading) -> bool:
    return reading.intent in (J, W) and reading.confidence >= CONFIDENT


def _scores(
    gold: list[ReplyIntent], predicted: list[ReplyIntent], sure: list[bool]
) -> dict[ReplyIntent, tuple[float, float, float, float, int]]:
    """Per intent: precision, recall overall; precision, recall counting only sure readings; n."""
    out = {}
    for intent in _AS_REPLY.values():
        n = gold.count(intent)
        row: list[float] = []
        for mask in ([True] * len(gold), sure):
            picked = [g for g, p, m in zip(gold, predicted, mask, strict=True) if m and p is intent]
            hits = picked.count(intent)
            row += [hits / len(picked) if picked else 1.0, hits / n if n else 1.0]
        out[intent] = (row[0], row[1], row[2], row[3], n)
    return out


def test_training_set_loads_and_is_balanced_enough() -> None:
    examples = load_examples()
    counts = Counter(intent for _, intent in examples)
    print("\ntraining set:", len(examples), {i.value: counts[i] for i in Intent})
    assert len(examples) >= 400
    assert set(counts) == set(Intent)
    assert min(counts.values()) >= 50
    assert max(counts.values()) / min(counts.values()) <= 2.5
    texts = [text for text, _ in examples]
    assert len(set(texts)) == len(texts), "duplicate text in the training set"
    assert all(text.strip() for text in texts)


def test_test_set_is_separate_from_training() -> None:
    train = {normalise(text) for text, _ in load_examples()}
    test = load_examples("intents_test.csv")
    assert len(test) >= 120
    assert set(Counter(i for _, i in test)) == set(Intent)
    assert not [t for t, _ in test if normalise(t) in train], "test reply also in training set"


def test_held_out_precision_and_recall() -> None:
    test = load_examples("intents_test.csv")
    readings = [read_reply(text) for text, _ in test]
    gold = [_AS_REPLY[intent] for _, intent in test]
    predicted = [r.intent for r in readings]
    sure = [r.confidence >= CONFIDENT for r in readings]
    scores = _scores(gold, predicted, sure)
    alone = [classify(text) for text, _ in test]
    alone_scores = _scores(
        gold, [_AS_REPLY[p.intent] for p in alone], [p.probability >= CONFIDENT for p in alone]
    )
    print(f"\nheld-out test set: {len(test)} replies; reader = classifier + rules")
    print(f"{'intent':18} {'overall P/R':>13} {'>=CONFIDENT P/R':>17} {'alone P/R':>13}  n")
    for intent, (p, r, sp, sr, n) in scores.items():
        ap, ar = alone_scores[intent][:2]
        print(f"{intent.value:18} {p:6.3f} {r:6.3f} {sp:8.3f} {sr:8.3f} {ap:6.3f} {ar:6.3f}  {n}")
    accuracy = sum(g is p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    print(f"accuracy {accuracy:.3f}")
    swapped = [
        f"{text!r}: {intent.value} read as {r}"
        for (text, intent), r in zip(test, readings, strict=True)
        if _acted(r) and {_AS_REPLY[intent], r.intent} == {J, W}
    ]
    wrong_acts = [
        f"{text!r}: {intent.value} read as {r.intent.value} {r.confidence}"
        for (text, intent), r in zip(test, readings, strict=True)
        if _acted(r) and _AS_REPLY[intent] is not r.intent
    ]
    for line in wrong_acts:
        print("wrong act:", line)
    assert not swapped, swapped
    for intent in (J, W):
        assert scores[intent][2] >= 0.9, (intent, scores[intent])
        assert scores[intent][3] >= 0.6, (intent, scores[intent])
    assert accuracy >= 0.6


def test_probabilities_are_a_distribution() -> None:
    prediction = classify("je peux pas venir dsl")
    assert set(prediction.probabilities) == set(Intent)
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0)
    assert prediction.probability == max(prediction.probabilities.values())
    assert classifier().temperature > 0


def test_fast_features_match_scikit_learn() -> None:
    model = classifier()
    texts = [text for text, _ in load_examples("intents_test.csv")[:40]]
    dense = model.features.transform([normalise(t, model.known) for t in texts]).toarray()
    for text, expected in zip(texts, dense, strict=True):
        columns, values = model.featurise(text)
        row = np.zeros_like(expected)
        np.add.at(row, columns, values)
        assert np.allclose(row, expected, atol=1e-12)


def test_built_once_and_fast() -> None:
    start = time.perf_counter()
    model = classifier()
    assert classifier() is model
    replies = [text for text, _ in load_examples("intents_test.csv")]
    timings = []
    for text in replies:
        tick = time.perf_counter()
        read_reply(text)
        timings.append(time.perf_counter() - tick)
    median = statistics.median(timings) * 1000
    print(f"\nfirst use {time.perf_counter() - start:.2f} s; read_reply median {median:.3f} ms")
    assert median < 5.0


def test_normalise_folds_sms_and_typos() -> None:
    assert normalise("Jpeux pa 😢") == "je peux pas emo_crying_face"
    assert normalise("chui dispo ce sam") == "je suis dispo ce samedi"
    assert normalise("Pas de souci, je viens !") == "nopb , je viens !"
    assert normalise("I can't come") == "i can not come"
    assert normalise("empechment", known={"je"}) == "empechement"


@pytest.mark.parametrize(
    "text",
    [
        "",
        " \n\t ",
        "je viens " * 600,  # 5,400 characters
        "x" * 5000,
        "je viens\x00\x01\x02",
        "\x1b[31mje viens\x1b[0m",
        "moi\u202e",  # right-to-left override
        "\u202eje viens",
        "'; DROP TABLE signups; --",
        "1 OR 1=1; SELECT * FROM volunteers WHERE '1'='1'",
        "UNION SELECT password FROM users",
        "🎉🎉🎉",
        "😂🔥💯",
        "🤔",
        "سأكون هناك",  # Arabic, right to left
        "אני אגיע",  # Hebrew
        "\u200f\u200e",
        "\ufeff",
        "\U0001f600" * 2000,
    ],
)
def test_hostile_or_odd_input_is_not_acted_on(text: str) -> None:
    reading = read_reply(text)
    assert isinstance(reading.intent, ReplyIntent)
    assert 0.0 <= reading.confidence <= 1.0
    assert not _acted(reading), reading
    assert isinstance(classify(text).probability, float)
