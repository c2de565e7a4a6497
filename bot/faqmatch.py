"""Matching a question against a FAQ: TF-IDF on characters and on words, plus fuzzy matching.

Pure and small: `FaqMatcher(questions, answers).match(text)` gives the index of the FAQ
entry the text asks about and a score in [0, 1], or None when no entry is a confident
match. A FAQ question may hold several phrasings separated by " / " or newlines (for
example one in French and one in English); the best phrasing counts. Three views of the
text are combined: character n-grams (typos), the words themselves once folded, stemmed and
mapped through a small bilingual table of volunteering vocabulary ("je la mets où ma
voiture" meets "où se garer"), and fuzzy token matching. An entry's answer, when given,
adds a little: it often holds the words the question lacks.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from matching.skills import stem

__all__ = ["CONFIDENT", "FaqMatch", "FaqMatcher", "normalise"]

# Weights and threshold chosen on the tuning and development sets of tests/test_faq.py
# (precision first: a wrong answer misleads a volunteer, a miss costs a coordinator's time).
CONFIDENT = 0.62  # combined score from which an answer is given without a coordinator
_MARGIN = 0.04  # ...and by how much the best entry must beat a different second one
_CHAR_WEIGHT, _WORD_WEIGHT, _FUZZY_WEIGHT = 0.2, 0.6, 0.2  # of a phrasing's score
_ANSWER_WEIGHT = 0.6  # the answer's word similarity, added to the best phrasing's score
_TYPO_SCORE = 85  # rapidfuzz ratio from which an unknown word is read as a known one
_TYPO_MIN_LEN = 4

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

# General volunteering vocabulary, French and English: the words of one line mean the same
# thing for a FAQ. Typos are read through it too, so keep the words spelt right.
_SYNONYMS = """
park: garer stationner stationnement parking park parked voiture car vehicule vehicle auto
glove: gant gloves glove
hour: heure horaire hours hour schedule horaires timetable
register: inscrire inscris inscription inscrit register registration enrol enroll signup
cancel: annuler annulation desinscrire desinscription desister desistement cancel withdraw
  unregister unsubscribe retirer
food: repas manger nourriture dejeuner diner gouter collation casse-croute sandwich
  pique-nique food meal meals lunch dinner breakfast eat snack snacks
drink: boire boisson eau cafe drink drinks water coffee
free: gratuit offert fourni inclus free provided included offered
address: adresse address adress localisation emplacement location located situe
place: lieu endroit site venue
warehouse: entrepot depot hangar warehouse depot storehouse
child: enfant gamin fils fille mineur ado adolescent bebe child kid son daughter minor
  teen teenager baby
insurance: assurance assurer assure couvert insurance insure insured covered cover
certificate: attestation certificat justificatif preuve certificate proof
volunteer: benevole benevolat volunteer volunteering voluntary
bring: apporter amener ramener emmener bring
need: besoin necessaire obligatoire requis need needed required mandatory compulsory
mission: mission creneau shift
come: venir come
accompany: accompagner accompany tag
late: retard late
sick: malade sick ill
age: age ans old years
transport: transport bus train metro tram navette shuttle
dog: chien chat animal animaux dog cat pet
clothes: vetement tenue habit porter clothes clothing wear outfit
shoes: chaussure basket shoes shoe boots sneakers
toilet: toilette wc toilets toilet restroom bathroom
donation: don donner donate donation
contact: contacter joindre appeler telephoner contact call phone telephone
coordinator: coordinateur coordinatrice responsable coordinator organiser organizer
time: quand date jour when day
start: commencer debut debuter start begin
end: finir fin terminer end finish
duration: durer duree long last duration
""".strip()


def _concepts() -> dict[str, str]:
    table: dict[str, str] = {}
    for line in re.split(r"\n(?=\S)", _SYNONYMS):
        concept, _, words = line.partition(":")
        for word in words.split():
            table.setdefault(word, "~" + concept)
            table.setdefault(stem(word), "~" + concept)
    return table


_CONCEPTS = _concepts()


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
    """The FAQ of one or several organisations, ready to be asked (built per question)."""

    def __init__(self, questions: Sequence[str], answers: Sequence[str] | None = None) -> None:
        self._size = len(questions)
        self._owner: list[int] = []
        variants: list[str] = []
        for index, question in enumerate(questions):
            for part in re.split(r"\s/\s|\n", question):
                norm = normalise(part)
                if norm:
                    variants.append(norm)
                    self._owner.append(index)
        self._variants = variants
        answered = [(i, normalise(a)) for i, a in enumerate(answers or ())]
        answered = [(i, a) for i, a in answered if a]
        self._answer_owner = [i for i, _ in answered]
        self._known = {w for text in variants + [a for _, a in answered] for w in text.split()}
        self._known.update(w for w in _CONCEPTS if w.isalpha())
        self._typos: dict[str, str] = {}
        self._chars: TfidfVectorizer | None = None
        if not variants:
            return
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
        self._char_matrix = self._chars.fit_transform(variants)
        self._words = TfidfVectorizer(analyzer=self._tokens, sublinear_tf=True)
        matrix = self._words.fit_transform(variants + [a for _, a in answered])
        self._word_matrix = matrix[: len(variants)]
        self._answer_matrix = matrix[len(variants) :] if answered else None

    def _tokens(self, norm: str) -> list[str]:
        """Stems of the words of a normalised text, typos read and synonyms merged."""
        return [_CONCEPTS.get(s, s) for s in (stem(self._spelt(w)) for w in norm.split())]

    def _spelt(self, word: str) -> str:
        if word in self._known or len(word) < _TYPO_MIN_LEN or not word.isalpha():
            return word
        if word not in self._typos:
            near = [k for k in self._known if k[0] == word[0] and abs(len(k) - len(word)) <= 2]
            best = process.extractOne(word, near, scorer=fuzz.ratio, score_cutoff=_TYPO_SCORE)
            self._typos[word] = best[0] if best else word
        return self._typos[word]

    def _known_share(self, query: str) -> float:
        """The share of the query's TF-IDF weight on words the FAQ knows: the word cosine
        ignores the others, so "is the warehouse heated" would match "where is the
        warehouse" fully; unknown words weigh as the rarest known word."""
        counts = Counter(self._tokens(query))
        vocabulary = self._words.vocabulary_
        idf = self._words.idf_
        rarest = float(idf.max())
        known = unknown = 0.0
        for token, count in counts.items():
            weight = (1 + math.log(count)) * (
                float(idf[vocabulary[token]]) if token in vocabulary else rarest
            )
            if token in vocabulary:
                known += weight * weight
            else:
                unknown += weight * weight
        return math.sqrt(known / (known + unknown)) if known else 0.0

    def components(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per phrasing: character, word and fuzzy similarity; per answer: word similarity."""
        query = normalise(text)
        empty = np.zeros(0)
        if not query or self._chars is None:
            return empty, empty, empty, empty
        chars = cosine_similarity(self._chars.transform([query]), self._char_matrix)[0]
        words_query = self._words.transform([query])
        words = cosine_similarity(words_query, self._word_matrix)[0] * self._known_share(query)
        fuzzy = np.array([fuzz.token_set_ratio(query, v) / 100 for v in self._variants])
        answers = (
            cosine_similarity(words_query, self._answer_matrix)[0] * self._known_share(query)
            if self._answer_matrix is not None
            else empty
        )
        return chars, words, fuzzy, answers

    def scores(self, text: str) -> list[float]:
        """The combined score of each FAQ entry for the text (0 for an empty FAQ)."""
        best = [0.0] * self._size
        chars, words, fuzzy, answers = self.components(text)
        if not len(chars):
            return best
        combined = _CHAR_WEIGHT * chars + _WORD_WEIGHT * words + _FUZZY_WEIGHT * fuzzy
        for owner, score in zip(self._owner, combined, strict=True):
            best[owner] = max(best[owner], float(score))
        for owner, score in zip(self._answer_owner, answers, strict=True):
            best[owner] = min(1.0, best[owner] + _ANSWER_WEIGHT * float(score))
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
