"""Pieces shared by the project's small text classifiers (reply intents, feedback sentiment).

They read text already folded by ``matching.intents.normalise`` (lower case, no accents, SMS
spellings expanded, idioms such as "pas mal" or "pas de souci" rewritten): word n-grams within
clauses, negation-scoped words ("neg_terrible" in "pas terrible"), and the labelled CSV files
the ``data`` package ships.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from importlib import resources
from itertools import pairwise

__all__ = [
    "BREAKS",
    "labelled_rows",
    "negated",
    "negation_features",
    "word_features",
]

BREAKS = frozenset(",;.!?:\n")
_NEGATORS = frozenset(("pas", "plus", "jamais", "not", "never", "no", "non", "nan", "nope", "sans"))
_NEG_SKIP = frozenset(("je", "j", "i", "me", "moi", "ne", "n"))
_NEG_WINDOW = 2


def negated(tokens: Sequence[str]) -> list[str]:
    """'neg_' + each word within two words of a negator, in the same clause."""
    out: list[str] = []
    for i, token in enumerate(tokens):
        if token not in _NEGATORS:
            continue
        for j in range(max(0, i - _NEG_WINDOW), min(len(tokens), i + _NEG_WINDOW + 1)):
            word, between = tokens[j], tokens[min(i, j) : max(i, j) + 1]
            if j != i and word not in _NEGATORS | _NEG_SKIP and not BREAKS & {*between}:
                out.append("neg_" + word)
    return out


def negation_features(normalised: str) -> list[str]:
    """Negation-scoped words and a flag, weighted as a block of their own."""
    found = negated(normalised.split())
    return ["<neg>", *found] if found else ["<no-neg>"]


def word_features(normalised: str) -> list[str]:
    """Word unigrams and bigrams within clauses, plus negation-scoped words."""
    tokens = normalised.split()
    words = [t for t in tokens if t not in BREAKS]
    edged = ["<s>", *tokens, "</s>"]  # "i am in </s>" is not "i am in paris"
    bigrams = [f"{a} {b}" for a, b in pairwise(edged) if not {a, b} & BREAKS]
    return words + bigrams + negated(tokens)


def labelled_rows(name: str) -> list[dict[str, str]]:
    """The rows of a labelled CSV file (UTF-8, with a header) shipped in the ``data`` package."""
    raw = (resources.files("data") / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(raw)))
