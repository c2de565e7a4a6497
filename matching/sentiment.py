"""Trained sentiment of the comments volunteers leave after a mission (French and English).

Three labels: negative, neutral, positive. Text is folded as for reply intents
(``matching.intents.normalise``: case, accents, SMS spellings, emoji names, "pas mal" read as
"bien", and "not bad" as "good"), then scored by scikit-learn: TF-IDF on character n-grams (char_wb, 2-5), on words
(1-2 grams) and on negation-scoped words ("neg_terrible" in "pas terrible"), and a
class-balanced multinomial logistic regression, whose probabilities are used as they are.

The model is trained once per process from the shipped ``data/feedback_train.csv`` (well under a
second; nothing is unpickled). ``read_many`` scores a batch in one sparse matrix product, so
thousands of comments take a fraction of a second.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

import numpy as np

from matching.intents import normalise
from matching.textfeatures import labelled_rows, negation_features, word_features

__all__ = [
    "Sentiment",
    "SentimentModel",
    "SentimentReading",
    "fold",
    "load_examples",
    "model",
    "read",
    "read_many",
    "score",
]


class Sentiment(StrEnum):
    """How a comment feels about the mission."""

    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


@dataclass(frozen=True, slots=True)
class SentimentReading:
    """The most probable label, a score in [-1, 1] (P(positive) - P(negative)), all probabilities."""

    label: Sentiment
    score: float
    probabilities: dict[Sentiment, float]


_C = 10.0  # inverse regularisation of the logistic regression (chosen by 5-fold CV on train)
_NEG_WEIGHT = 0.5
# English litotes, read as "pas mal" already is: "not bad at all" praises, it does not complain.
_LITOTES = re.compile(r"\bnot (?:too |that |so |half )?bad\b")
_BLANK = SentimentReading(
    Sentiment.NEUTRAL,
    0.0,
    {Sentiment.NEGATIVE: 0.0, Sentiment.NEUTRAL: 1.0, Sentiment.POSITIVE: 0.0},
)


def fold(text: str) -> str:
    """The folded text the model reads ("Not bad at all 👍" -> "good at all emo_thumbs_up_sign")."""
    return _LITOTES.sub("good", normalise(text))


class SentimentModel:
    """TF-IDF on character and word n-grams, then logistic regression over three labels."""

    def __init__(self, examples: Sequence[tuple[str, Sentiment]]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion

        self.features: Any = FeatureUnion(
            [
                (
                    "chars",
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                ),
                ("words", TfidfVectorizer(analyzer=word_features, sublinear_tf=True)),
                ("negation", TfidfVectorizer(analyzer=negation_features, use_idf=False)),
            ],
            transformer_weights={"chars": 1.0, "words": 1.0, "negation": _NEG_WEIGHT},
        )
        x = self.features.fit_transform([fold(text) for text, _ in examples])
        target = [label.value for _, label in examples]
        self.classifier: Any = LogisticRegression(C=_C, class_weight="balanced", max_iter=5000)
        self.classifier.fit(x, target)
        self.classes = [Sentiment(c) for c in self.classifier.classes_]

    def read_many(self, texts: Iterable[str]) -> list[SentimentReading]:
        """Readings of several comments, in order (blank ones are neutral)."""
        texts = list(texts)
        folded = [fold(text) for text in texts]
        todo = [i for i, text in enumerate(folded) if text.strip()]
        out = [_BLANK] * len(texts)
        if not todo:
            return out
        probs = self.classifier.predict_proba(self.features.transform([folded[i] for i in todo]))
        positive = self.classes.index(Sentiment.POSITIVE)
        negative = self.classes.index(Sentiment.NEGATIVE)
        for i, row in zip(todo, np.asarray(probs, dtype=np.float64), strict=True):
            probabilities = {c: float(p) for c, p in zip(self.classes, row, strict=True)}
            best = self.classes[int(row.argmax())]
            out[i] = SentimentReading(best, float(row[positive] - row[negative]), probabilities)
        return out

    def read(self, text: str) -> SentimentReading:
        """The reading of one comment."""
        return self.read_many([text])[0]


def load_examples(name: str = "feedback_train.csv") -> list[tuple[str, Sentiment]]:
    """A labelled CSV (`text,lang,label`, UTF-8) shipped in the ``data`` package."""
    return [(row["text"], Sentiment(row["label"])) for row in labelled_rows(name)]


@cache
def model() -> SentimentModel:
    """The model trained on the shipped training set, built once per process."""
    return SentimentModel(load_examples())


def read(text: str) -> SentimentReading:
    """Label, score and probabilities of one comment."""
    return model().read(text)


def read_many(texts: Iterable[str]) -> list[SentimentReading]:
    """Readings of several comments at once (much faster than one by one)."""
    return model().read_many(texts)


def score(text: str) -> float:
    """How positive a comment is, from -1 (clearly negative) to 1 (clearly positive)."""
    return model().read(text).score
