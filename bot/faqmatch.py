"""Matching a question against a FAQ: TF-IDF on character n-grams plus fuzzy matching.

Pure and small: `FaqMatcher(questions).match(text)` gives the index of the FAQ entry
the text asks about and a score in [0, 1], or None when no entry is a confident match.
A FAQ question may hold several phrasings separated by " / " or newlines (for example
one in French and one in English); the best phrasing counts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

__all__ = ["CONFIDENT", "FaqMatch", "FaqMatcher", "normalise"]

CONFIDENT = 0.66  # combined score from which an answer is given without a coordinator
_MARGIN = 0.04  # ...and by how much the best entry must beat a different second one

_STOPWORDS = frozenset(
    " ".join(
        """
    a au aux avec ce ces c ca cela d de des du elle en est et il j je l la le les leur
    lui m ma me mes mon n ne nous on ou par pas pour qu que qui s sa se ses son sur t ta
    te tes toi ton tu un une vous y est-ce estce il-y ya faut peut peux puis dois doit
    bonjour salut merci svp stp
    an and are as at be can could do does for from have hello hi how i if in is it me
    my of on or please should the there thanks to we what when where which who why will
    with would you your
    """.splitlines()
    ).split()
)
_WORD = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> str:
    """Lower case, no accents, no punctuation, no common words of French or English."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    words = [w for w in _WORD.findall(text) if w not in _STOPWORDS]
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class FaqMatch:
    index: int
    score: float


class FaqMatcher:
    def __init__(self, questions: Sequence[str]) -> None:
        self._owner: list[int] = []
        variants: list[str] = []
        for index, question in enumerate(questions):
            for part in re.split(r"\s/\s|\n", question):
                norm = normalise(part)
                if norm:
                    variants.append(norm)
                    self._owner.append(index)
        self._variants = variants
        self._vectorizer: TfidfVectorizer | None = None
        if variants:
            self._vectorizer = TfidfVectorizer(
                analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True
            )
            self._matrix = self._vectorizer.fit_transform(variants)

    def scores(self, text: str) -> list[float]:
        """The combined score of each FAQ entry for the text (0 for an empty FAQ)."""
        best = [0.0] * (max(self._owner) + 1 if self._owner else 0)
        query = normalise(text)
        if not query or self._vectorizer is None:
            return best
        cosines = cosine_similarity(self._vectorizer.transform([query]), self._matrix)[0]
        for variant, cosine, owner in zip(self._variants, cosines, self._owner, strict=True):
            fuzzy = fuzz.token_set_ratio(query, variant) / 100
            score = 0.6 * float(cosine) + 0.4 * fuzzy
            best[owner] = max(best[owner], score)
        return best

    def match(self, text: str) -> FaqMatch | None:
        """The entry the text asks about, when the match is confident."""
        scores = self.scores(text)
        if not scores:
            return None
        ranked = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
        top = ranked[0]
        second = scores[ranked[1]] if len(ranked) > 1 else 0.0
        if scores[top] < CONFIDENT or scores[top] - second < _MARGIN:
            return None
        return FaqMatch(top, scores[top])
