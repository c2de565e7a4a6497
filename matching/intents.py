"""Trained intent classifier for replies to a mission card or an invitation (French and English).

Six intents: join, withdraw, maybe_or_question, availability ("que le matin"), skill ("je peux
conduire") and other. Text is folded (case, accents, repeated letters, SMS spellings, idioms,
emoji names, and rapidfuzz for misspelt key cues), then scored by scikit-learn: TF-IDF on
character n-grams (char_wb, 2-5), on words (1-2 grams, with start/end marks) and on
negation-scoped words ("neg_venir" in "je peux pas venir"), a linear SVM, and a temperature
fitted on cross-validated scores so that softmax(scores / T) is a calibrated probability.

The model is trained once per process from the shipped ``data/intents_train.csv`` (well under a
second; nothing is unpickled), then applied with plain NumPy (well under a millisecond a reply).
``matching.replies.read_reply`` combines it with the precise rules of the first reader.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from matching.textfeatures import labelled_rows, negation_features, word_features

__all__ = [
    "Intent",
    "IntentClassifier",
    "IntentPrediction",
    "classifier",
    "classify",
    "load_examples",
    "normalise",
]


class Intent(StrEnum):
    """What a reply to a mission card says."""

    JOIN = "join"
    WITHDRAW = "withdraw"
    MAYBE_OR_QUESTION = "maybe_or_question"
    AVAILABILITY = "availability"
    SKILL = "skill"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class IntentPrediction:
    """The most probable intent, its calibrated probability, and all probabilities."""

    intent: Intent
    probability: float
    probabilities: dict[Intent, float]


_MAX_CHARS = 600  # the classifier reads the start of a longer reply
_C = 1.0  # inverse regularisation of the linear SVM
_FOLDS = 5  # cross-validated scores for temperature scaling


def _split(words: str) -> tuple[str, ...]:
    return tuple(words.split())


_APOSTROPHES = str.maketrans(dict.fromkeys("’‘`ʼ´", "'"))
_DROP = {"\u200d", "\ufe0f", "\ufe0e", "♀", "♂"}  # joiners, variation selectors, gender signs
_CONTRACTIONS = [(re.compile(p), r) for p, r in (
    (r"\bcan\s?'?\s?t\b", "can not"), (r"\bwon\s?'?\s?t\b", "will not"), (r"n'\s?t\b", " not"),
    (r"'m\b", " am"), (r"'ll\b", " will"), (r"'re\b", " are"), (r"'ve\b", " have"),
    (r"'d\b", " would"), (r"\b([a-z])'", r"\1 "),  # French elisions: j' -> j, l' -> l
)]  # fmt: skip
_TOKEN = re.compile(r"emo_[a-z_]+|\+1(?!\d)|[a-z0-9]+|[,;.!?:\n]")

# SMS spellings and contractions; values are space-separated replacements.
_ALIASES: dict[str, str] = {
    "j": "je", "jsuis": "je suis", "jsui": "je suis", "chui": "je suis", "chuis": "je suis",
    "jpeux": "je peux", "jpeu": "je peux", "jpe": "je peux", "jpx": "je peux", "peu": "peux",
    "jviens": "je viens", "jvien": "je viens", "vien": "viens", "jvais": "je vais",
    "jserai": "je serai", "jsp": "je sais pas", "jpourrai": "je pourrai", "jarrive": "je arrive",
    "g": "je ai", "pa": "pas", "po": "pas", "pu": "plus", "plu": "plus", "dsl": "desole",
    "desolee": "desole", "slmt": "seulement", "sam": "samedi", "dim": "dimanche",
    "lun": "lundi", "mer": "mercredi", "ven": "vendredi", "aprem": "apres midi",
    "apm": "apres midi", "dispos": "dispo", "disponibles": "disponible", "pr": "pour",
    "koi": "quoi", "ki": "qui", "qqn": "quelqu un", "ptet": "peut etre",
    "ptetre": "peut etre", "ouai": "ouais", "ui": "ouais", "oki": "ok", "okay": "ok", "k": "ok", "okk": "ok", "cant": "can not", "cannot": "can not",
    "wont": "will not", "dont": "do not", "im": "i am", "gonna": "going to", "gotta": "got to",
    "u": "you", "pls": "please", "plz": "please", "tmrw": "tomorrow", "sat": "saturday",
    "cbon": "c est bon", "tkt": "pas de souci", "stp": "svp", "partante": "partant",
    "presente": "present", "inscrite": "inscrit", "motivee": "motive", "chaude": "chaud",
}  # fmt: skip
# Key cues whose misspellings matter ("empechment", "disponnible", "desinscirs").
_CUES = _split(
    "empechement imprevu disponible indisponible desinscris desinscrire desiste desister"
    " annule annuler inscris inscrire participe participer viendrai pourrai present partant"
    " volontiers malheureusement finalement seulement uniquement matin matinee apres midi soir"
    " samedi dimanche lundi mardi mercredi jeudi vendredi semaine weekend conduire permis"
    " cuisine cuisiner bricoler infirmier infirmiere comptable traduire secourisme"
    " available unavailable unfortunately cancel mornings afternoons evenings saturday sunday"
    " monday tuesday wednesday thursday friday weekends except until driving licence license"
    " cook nurse translate"
)
_FUZZ_MIN_LEN, _FUZZ_SCORE = 5, 85.0
# Idioms whose negator negates nothing, rewritten before featurising.
_IDIOMS: dict[tuple[str, ...], tuple[str, ...]] = {
    **dict.fromkeys([tuple(p.split()) for p in (
        "pas de souci", "pas de soucis", "pas de probleme", "pas de problemes", "pas de pb",
        "sans souci", "sans soucis", "sans probleme", "no problem", "no prob", "no problemo",
        "no worries", "not a problem", "no issue",
    )], ("nopb",)),
    ("plus", "tard"): ("tard",), ("plus", "tot"): ("tot",), ("en", "plus"): ("aussi",),
    ("de", "plus"): ("aussi",), ("pas", "mal"): ("bien",),
    ("manquerai", "pas"): ("viendrai",), ("manquerais", "pas"): ("viendrai",),
    ("not", "miss"): ("come",), ("pas", "louper"): ("venir",), ("pas", "rater"): ("venir",),
}  # fmt: skip
_IDIOM_MAX = max(len(k) for k in _IDIOMS)
_NEG_WEIGHT = 0.5


def _emoji_name(char: str) -> str:
    name = unicodedata.name(char, "").lower()
    return " emo_" + re.sub(r"[^a-z]+", "_", name).strip("_") + " " if name else " "


def _fold(text: str) -> str:
    """Casefold, strip accents, emoji to names, contractions expanded, letter runs collapsed."""
    text = unicodedata.normalize("NFKC", text[:_MAX_CHARS]).casefold().translate(_APOSTROPHES)
    out: list[str] = []
    for char in unicodedata.normalize("NFKD", text):
        category = unicodedata.category(char)
        if char in _DROP or category in ("Mn", "Sk", "Cc", "Cf", "Co", "Cs"):
            out.append(" " if category in ("Cc", "Cf") else "")
        elif category == "So":
            out.append(_emoji_name(char))
        else:
            out.append(char)
    folded = "".join(out)
    for pattern, replacement in _CONTRACTIONS:
        folded = pattern.sub(replacement, folded)
    return re.sub(r"([a-z])\1{2,}", r"\1", folded)  # "ouiiii" -> "oui", "appelle" stays


def _tokens(text: str, known: frozenset[str]) -> list[str]:
    """Folded tokens, SMS spellings expanded, unknown near-misses of key cues corrected."""
    out: list[str] = []
    for token in _TOKEN.findall(_fold(text)):
        if token in _ALIASES:
            out.extend(_ALIASES[token].split())
        elif known and token not in known and len(token) >= _FUZZ_MIN_LEN and token.isalpha():
            best = process.extractOne(token, _CUES, scorer=fuzz.ratio, score_cutoff=_FUZZ_SCORE)
            out.append(best[0] if best else token)
        else:
            out.append(token)
    return _rewrite_idioms(out)


def _rewrite_idioms(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for n in range(min(_IDIOM_MAX, len(tokens) - i), 1, -1):
            if (span := tuple(tokens[i : i + n])) in _IDIOMS:
                out.extend(_IDIOMS[span])
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def normalise(text: str, known: Iterable[str] = ()) -> str:
    """The folded text both analysers read ("Jpeux pa 😢" -> "je peux pas emo_crying_face")."""
    return " ".join(_tokens(text, frozenset(known)))


def _softmax(scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    out: npt.NDArray[np.float64] = shifted / shifted.sum(axis=1, keepdims=True)
    return out


def _fit_temperature(scores: npt.NDArray[np.float64], target: npt.NDArray[np.intp]) -> float:
    """The temperature T minimising the log loss of softmax(scores / T) (held-out scores)."""
    from scipy.optimize import minimize_scalar

    rows = np.arange(len(target))

    def loss(log_t: float) -> float:
        probs = _softmax(scores / np.exp(log_t))
        return float(-np.log(np.clip(probs[rows, target], 1e-12, None)).mean())

    return float(np.exp(minimize_scalar(loss, bounds=(-5.0, 5.0), method="bounded").x))


@dataclass(frozen=True, slots=True)
class _Block:
    """One fitted TF-IDF block, applied without scikit-learn's per-call overhead."""

    analyse: Callable[[str], list[str]]
    vocabulary: dict[str, int]  # n-gram -> column within the block
    idf: npt.NDArray[np.float64]  # per column; ones when idf is off
    sublinear: bool
    weight: float
    offset: int  # of the block's first column in the weight matrix

    def features(self, text: str) -> tuple[list[int], npt.NDArray[np.float64]]:
        """Columns and values, as the fitted TfidfVectorizer (l2 norm) then the weight."""
        counts = Counter(g for g in self.analyse(text) if g in self.vocabulary)
        if not counts:
            return [], np.zeros(0)
        local = [self.vocabulary[g] for g in counts]
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        values = (1.0 + np.log(tf) if self.sublinear else tf) * self.idf[local]
        return [self.offset + c for c in local], self.weight * values / np.linalg.norm(values)


class IntentClassifier:
    """TF-IDF on character and word n-grams, a linear SVM, temperature-scaled probabilities."""

    def __init__(self, examples: Sequence[tuple[str, Intent]]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.model_selection import StratifiedKFold, cross_val_predict
        from sklearn.pipeline import FeatureUnion
        from sklearn.svm import LinearSVC

        texts = [text for text, _ in examples]
        self.known = frozenset(t for text in texts for t in _tokens(text, frozenset()))
        self.classes = sorted({y for _, y in examples}, key=list(Intent).index)
        target = np.array([self.classes.index(y) for _, y in examples], dtype=np.intp)
        vectorisers: list[tuple[str, Any]] = [
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
            ("words", TfidfVectorizer(analyzer=word_features, sublinear_tf=True)),
            ("negation", TfidfVectorizer(analyzer=negation_features, use_idf=False)),
        ]
        weights = {"chars": 1.0, "words": 1.0, "negation": _NEG_WEIGHT}
        self.features: Any = FeatureUnion(vectorisers, transformer_weights=weights)
        x = self.features.fit_transform([normalise(t) for t in texts])
        folds = StratifiedKFold(_FOLDS, shuffle=True, random_state=0)
        held_out = cross_val_predict(
            LinearSVC(C=_C, random_state=0), x, target, cv=folds, method="decision_function"
        )
        svm = LinearSVC(C=_C, random_state=0).fit(x, target)
        self.temperature = _fit_temperature(np.asarray(held_out, dtype=np.float64), target)
        self._weights = np.asarray(svm.coef_, dtype=np.float64).T
        self._bias = np.asarray(svm.intercept_, dtype=np.float64)
        self._blocks: list[_Block] = []
        offset = 0
        for name, vec in vectorisers:
            size = len(vec.vocabulary_)
            idf = np.asarray(vec.idf_, dtype=np.float64) if vec.use_idf else np.ones(size)
            analyse, vocabulary = vec.build_analyzer(), dict(vec.vocabulary_)
            block = _Block(analyse, vocabulary, idf, vec.sublinear_tf, weights[name], offset)
            self._blocks.append(block)
            offset += size

    def featurise(self, text: str) -> tuple[list[int], npt.NDArray[np.float64]]:
        """Columns and values of one reply's (sparse) feature vector."""
        normalised = normalise(text, self.known)
        parts = [block.features(normalised) for block in self._blocks]
        return [c for cols, _ in parts for c in cols], np.concatenate([v for _, v in parts])

    def predict(self, text: str) -> IntentPrediction:
        """Calibrated probabilities for one reply."""
        columns, values = self.featurise(text)
        scores = values @ self._weights[columns] + self._bias
        row = _softmax(scores[np.newaxis, :] / self.temperature)[0]
        probs = {c: float(p) for c, p in zip(self.classes, row, strict=True)}
        best = max(probs, key=probs.__getitem__)
        return IntentPrediction(best, probs[best], probs)

    def predict_many(self, texts: Iterable[str]) -> list[IntentPrediction]:
        """Calibrated probabilities for several replies."""
        return [self.predict(text) for text in texts]


def load_examples(name: str = "intents_train.csv") -> list[tuple[str, Intent]]:
    """A labelled CSV (`text,intent`, UTF-8) shipped in the ``data`` package."""
    return [(row["text"], Intent(row["intent"])) for row in labelled_rows(name)]


@cache
def classifier() -> IntentClassifier:
    """The classifier trained on the shipped training set, built once per process."""
    return IntentClassifier(load_examples())


def classify(text: str) -> IntentPrediction:
    """Intent of one reply, with calibrated probabilities."""
    return classifier().predict(text)
