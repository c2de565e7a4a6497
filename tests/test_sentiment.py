"""The comment sentiment model: shipped data, held-out quality, negation, speed, odd input.

Run with -s to see accuracy, macro-F1 and the confusion matrix on ``data/feedback_test.csv``
(written apart from the training set, never used for training or tuning).
"""

from __future__ import annotations

from collections import Counter

import pytest

from matching.sentiment import Sentiment, fold, load_examples, model, read, read_many, score
from matching.textfeatures import labelled_rows

NEG, NEU, POS = Sentiment.NEGATIVE, Sentiment.NEUTRAL, Sentiment.POSITIVE
LABELS = (NEG, NEU, POS)


def _macro_f1(gold: list[Sentiment], predicted: list[Sentiment]) -> float:
    scores = []
    for label in LABELS:
        hits = sum(g is label and p is label for g, p in zip(gold, predicted, strict=True))
        chosen, present = predicted.count(label), gold.count(label)
        precision = hits / chosen if chosen else 0.0
        recall = hits / present if present else 0.0
        scores.append(2 * precision * recall / (precision + recall) if hits else 0.0)
    return sum(scores) / len(scores)


def test_training_set_is_big_balanced_and_bilingual() -> None:
    rows = labelled_rows("feedback_train.csv")
    assert len(rows) >= 400
    labels = Counter(row["label"] for row in rows)
    langs = Counter(row["lang"] for row in rows)
    print("\ntraining set:", len(rows), dict(labels), dict(langs))
    assert set(labels) == {s.value for s in Sentiment}
    assert max(labels.values()) / min(labels.values()) <= 1.5
    assert set(langs) == {"fr", "en", "mixed"}
    assert langs["fr"] / len(rows) >= 0.3 and langs["en"] / len(rows) >= 0.3
    texts = [row["text"] for row in rows]
    assert len(set(texts)) == len(texts), "duplicate comment in the training set"


def test_test_set_is_separate_from_training() -> None:
    train = {fold(text) for text, _ in load_examples()}
    rows = labelled_rows("feedback_test.csv")
    assert len(rows) >= 120
    assert {row["lang"] for row in rows} == {"fr", "en", "mixed"}
    assert {row["label"] for row in rows} == {s.value for s in Sentiment}
    overlap = [row["text"] for row in rows if fold(row["text"]) in train]
    assert not overlap, overlap


def test_held_out_accuracy_macro_f1_and_confusion() -> None:
    test = load_examples("feedback_test.csv")
    gold = [label for _, label in test]
    predicted = [r.label for r in read_many(text for text, _ in test)]
    accuracy = sum(g is p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    macro_f1 = _macro_f1(gold, predicted)
    pairs = Counter(zip(gold, predicted, strict=True))
    print(f"\nheld-out: {len(test)} comments, accuracy {accuracy:.3f}, macro-F1 {macro_f1:.3f}")
    print("gold \\ predicted  " + "  ".join(f"{p.value[:3]:>4}" for p in LABELS))
    for g in LABELS:
        print(f"{g.value:17}" + "  ".join(f"{pairs[g, p]:4d}" for p in LABELS))
    for (text, g), p in zip(test, predicted, strict=True):
        if g is not p:
            print(f"  {g.value:8} read as {p.value:8} {text!r}")
    assert accuracy >= 0.72
    assert macro_f1 >= 0.72
    # The costly mistake: a clear complaint read as praise, or the reverse.
    assert pairs[NEG, POS] + pairs[POS, NEG] <= len(test) * 0.06


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("pas terrible", NEG),
        ("pas top du tout", NEG),
        ("pas mal du tout !", POS),
        ("not bad at all", POS),
        ("not great", NEG),
        ("super ambiance, merci", POS),
        ("tout était désorganisé, personne pour nous accueillir", NEG),
        ("awesome team, thanks", POS),
        ("nobody knew what to do", NEG),
        ("nul", NEG),
        ("top", POS),
    ],
)
def test_negation_and_both_languages(text: str, label: Sentiment) -> None:
    assert read(text).label is label, read(text)


def test_negation_flips_the_score() -> None:
    assert score("c'était terrible") < 0 < score("c'était pas mal")
    assert score("it was good") > 0 > score("it was not good")


def test_scores_are_bounded_and_probabilities_a_distribution() -> None:
    for reading in read_many(["bof", "génial !", "j'étais à l'accueil", "", " \n "]):
        assert -1.0 <= reading.score <= 1.0
        assert sum(reading.probabilities.values()) == pytest.approx(1.0)
        assert reading.probabilities[reading.label] == max(reading.probabilities.values())
    blank = read("   ")
    assert blank.label is NEU and blank.score == 0.0


def test_built_once_and_read_in_bulk_as_one_by_one() -> None:
    assert model() is model()
    texts = [text for text, _ in load_examples("feedback_test.csv")] * 20  # 2,600 comments
    readings = read_many(texts)
    assert len(readings) == len(texts)
    assert readings[:3] == [read(text) for text in texts[:3]]


@pytest.mark.parametrize(
    "text",
    [
        "x" * 5000,
        "nul " * 400,
        "'; DROP TABLE signups; --",
        "\u202etop",
        "🎉🎉🎉",
        "سيء جدا",
        "\x00\x01",
    ],
)
def test_odd_input_gets_a_reading(text: str) -> None:
    reading = read(text)
    assert reading.label in LABELS and -1.0 <= reading.score <= 1.0
