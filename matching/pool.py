"""Columnar volunteer pools and the character n-gram text model they share with missions.

A `Pool` is built once per organisation from `Candidate` records: one NumPy array per
attribute, a sparse volunteer x skill matrix and a sparse TF-IDF matrix of profile texts.
Scoring a mission then touches arrays only. The per-mission flags (signed up, declined,
busy) and the activity counters change often: `with_mission_state` and `with_counts` give a
new pool sharing everything else, without refitting the text model.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.features import PARTS, Candidate, availability_mask, is_finite_location
from matching.taxonomy import Taxonomy

__all__ = ["COUNT_FIELDS", "Pool", "SkillSpace", "TextModel"]

#: Activity counters that `Pool.with_counts` can replace (non-negative numbers).
COUNT_FIELDS: Final = (
    "attended",
    "no_shows",
    "invitations",
    "invitations_answered",
    "invitations_accepted",
    "recent_invitations",
    "recent_missions",
)
_FLAG_FIELDS: Final = ("signed_up", "declined", "busy")
_SLOTS: Final = tuple((day, part) for day in range(7) for part in PARTS)  # by mask bit
NGRAM_RANGE: Final = (3, 4)
MAX_FIT_DOCUMENTS: Final = 20_000  # the vocabulary and IDF are learnt on a sample this large


class SkillSpace:
    """Column indices of a taxonomy's skills and domains."""

    __slots__ = ("domain_ids", "skill_col", "skill_domain", "skill_ids")

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.skill_ids: tuple[str, ...] = tuple(s.id for s in taxonomy)
        self.domain_ids: tuple[str, ...] = tuple(taxonomy.domains)
        self.skill_col: Mapping[str, int] = {s: i for i, s in enumerate(self.skill_ids)}
        domain_col = {d: i for i, d in enumerate(self.domain_ids)}
        self.skill_domain: NDArray[np.intp] = np.array(
            [domain_col[s.domain] for s in taxonomy], dtype=np.intp
        )

    def columns(self, skill_ids: Collection[str]) -> tuple[int, ...]:
        """Sorted columns of the known ids (ids outside the taxonomy are ignored)."""
        return tuple(sorted(self.skill_col[s] for s in skill_ids if s in self.skill_col))


class TextModel:
    """Character n-gram TF-IDF (scikit-learn), robust to typos and French morphology.

    Fitted on the taxonomy's labels and synonyms plus the documents at hand, so a small
    pool still gets a sensible vocabulary. Rows of `transform` are L2-normalised: the dot
    product of two rows is their cosine similarity.
    """

    __slots__ = ("_analyzer", "_vectorizer")

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        self._vectorizer = vectorizer
        self._analyzer = vectorizer.build_analyzer()

    @classmethod
    def fit(cls, documents: Sequence[str], taxonomy: Taxonomy) -> TextModel:
        """Learn vocabulary and IDF from the taxonomy's terms and (a sample of) `documents`."""
        corpus = [term for skill in taxonomy for term in skill.terms()]
        docs = [d for d in documents if d.strip()]
        if len(docs) > MAX_FIT_DOCUMENTS:
            step = len(docs) / MAX_FIT_DOCUMENTS
            docs = [docs[int(i * step)] for i in range(MAX_FIT_DOCUMENTS)]
        vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=NGRAM_RANGE,
            strip_accents="unicode",
            lowercase=True,
            sublinear_tf=True,
            dtype=np.float32,
        )
        vectorizer.fit(corpus + docs)
        return cls(vectorizer)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """TF-IDF rows (float32, L2-normalised; an empty text gives a zero row)."""
        if not texts:
            return sparse.csr_matrix((0, len(self)), dtype=np.float32)
        matrix: Any = self._vectorizer.transform(list(texts))
        return sparse.csr_matrix(matrix, dtype=np.float32)

    def ngrams(self, text: str) -> list[str]:
        """The n-grams the model sees in `text` (after accent and case folding)."""
        return list(self._analyzer(text))

    @property
    def vocabulary(self) -> Mapping[str, int]:
        """n-gram -> column."""
        vocab: dict[str, int] = self._vectorizer.vocabulary_
        return vocab

    @property
    def idf(self) -> NDArray[np.float64]:
        """Inverse document frequency per column."""
        return np.asarray(self._vectorizer.idf_, dtype=np.float64)

    def __len__(self) -> int:
        return len(self.vocabulary)


def _column(candidates: Sequence[Candidate], name: str, dtype: Any) -> NDArray[Any]:
    return np.fromiter((getattr(c, name) for c in candidates), dtype=dtype, count=len(candidates))


def _optional(values: Sequence[float | int | None]) -> NDArray[np.float64]:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _frozen(array: NDArray[Any]) -> NDArray[Any]:
    array.flags.writeable = False
    return array


@dataclass(frozen=True, slots=True, eq=False)
class Pool:
    """Volunteers as arrays, row i = the i-th candidate given to `from_candidates`."""

    taxonomy: Taxonomy
    space: SkillSpace
    text_model: TextModel
    volunteer_ids: NDArray[np.int64]
    skills: sparse.csc_matrix  # n x skills, 1.0 where the volunteer has the skill
    domains: NDArray[np.bool_]  # n x domains: has at least one skill of the domain
    availability: NDArray[np.uint32]  # 21-bit week grid; 0 = unknown
    lat_rad: NDArray[np.float64]  # radians; NaN = unknown
    lon_rad: NDArray[np.float64]
    cos_lat: NDArray[np.float32]
    latitude: NDArray[np.float64]  # degrees, as given (radians do not convert back exactly)
    longitude: NDArray[np.float64]
    attended: NDArray[np.float64]
    no_shows: NDArray[np.float64]
    invitations: NDArray[np.float64]
    invitations_answered: NDArray[np.float64]
    invitations_accepted: NDArray[np.float64]
    recent_invitations: NDArray[np.float64]
    recent_missions: NDArray[np.float64]
    weekly_cap: NDArray[np.float64]  # NaN = no cap of their own
    max_distance_km: NDArray[np.float64]  # NaN = any distance
    days_since_active: NDArray[np.float64]  # NaN = unknown
    is_member: NDArray[np.bool_]
    paused: NDArray[np.bool_]
    signed_up: NDArray[np.bool_]
    declined: NDArray[np.bool_]
    busy: NDArray[np.bool_]
    text: sparse.csc_matrix  # n x n-grams, TF-IDF of the profile texts
    profile_texts: tuple[str, ...]

    @classmethod
    def from_candidates(
        cls,
        candidates: Sequence[Candidate],
        taxonomy: Taxonomy,
        *,
        text_model: TextModel | None = None,
    ) -> Pool:
        """Build the arrays (and fit the text model unless one is given)."""
        n = len(candidates)
        ids = _column(candidates, "volunteer_id", np.int64)
        if np.unique(ids).size != n:
            values, seen = np.unique(ids, return_counts=True)
            raise ValueError(f"volunteer {int(values[seen > 1][0])} appears twice in the pool")
        space = SkillSpace(taxonomy)
        rows: list[int] = []
        cols: list[int] = []
        masks = np.zeros(n, dtype=np.uint32)
        lat = np.full(n, np.nan)
        lon = np.full(n, np.nan)
        for i, cand in enumerate(candidates):
            for col in space.columns(cand.skills):
                rows.append(i)
                cols.append(col)
            try:
                masks[i] = availability_mask(cand.availability)
                if is_finite_location(cand.location):
                    assert cand.location is not None
                    lat[i], lon[i] = cand.location
            except ValueError as exc:
                raise ValueError(f"volunteer {cand.volunteer_id}: {exc}") from exc
        skills = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(n, len(space.skill_ids)),
        )
        domain_onehot = sparse.csr_matrix(
            (
                np.ones(len(space.skill_ids), dtype=np.float32),
                (np.arange(len(space.skill_ids)), space.skill_domain),
            ),
            shape=(len(space.skill_ids), len(space.domain_ids)),
        )
        domains = np.asarray((skills @ domain_onehot).toarray() > 0)
        texts = tuple(c.profile_text for c in candidates)
        model = text_model if text_model is not None else TextModel.fit(texts, taxonomy)
        counts = {name: _column(candidates, name, np.float64) for name in COUNT_FIELDS}
        _check_counts(ids, counts)
        flags = {
            name: _column(candidates, name, np.bool_)
            for name in ("is_member", "paused", *_FLAG_FIELDS)
        }
        arrays: dict[str, Any] = {
            **counts,
            **flags,
            "volunteer_ids": ids,
            "domains": domains,
            "availability": masks,
            "lat_rad": np.radians(lat),
            "lon_rad": np.radians(lon),
            "cos_lat": np.cos(np.radians(lat)).astype(np.float32),
            "latitude": lat,
            "longitude": lon,
            "weekly_cap": _optional([c.weekly_cap for c in candidates]),
            "max_distance_km": _optional([c.max_distance_km for c in candidates]),
            "days_since_active": _optional([c.days_since_active for c in candidates]),
        }
        return cls(
            taxonomy=taxonomy,
            space=space,
            text_model=model,
            skills=skills.tocsc(),
            text=model.transform(texts).tocsc(),
            profile_texts=texts,
            **{k: _frozen(v) for k, v in arrays.items()},
        )

    def __len__(self) -> int:
        return int(self.volunteer_ids.shape[0])

    def row(self, volunteer_id: int) -> int:
        """The row of a volunteer; KeyError if absent."""
        rows = np.flatnonzero(self.volunteer_ids == volunteer_id)
        if rows.size == 0:
            raise KeyError(volunteer_id)
        return int(rows[0])

    def candidates(self, rows: Sequence[int]) -> list[Candidate]:
        """The volunteers of these rows as `Candidate` records again, counters and flags
        included (a located volunteer keeps their exact coordinates): to rank many missions
        for each of them without reloading their profiles."""
        skills = sparse.csr_matrix(self.skills)
        ids = self.space.skill_ids
        out = []
        for row in rows:
            lat, lon = float(self.latitude[row]), float(self.longitude[row])
            mask = int(self.availability[row])
            cap, reach = float(self.weekly_cap[row]), float(self.max_distance_km[row])
            days = float(self.days_since_active[row])
            start, stop = skills.indptr[row], skills.indptr[row + 1]
            out.append(
                Candidate(
                    volunteer_id=int(self.volunteer_ids[row]),
                    skills=frozenset(ids[c] for c in skills.indices[start:stop].tolist()),
                    profile_text=self.profile_texts[row],
                    availability=frozenset(s for b, s in enumerate(_SLOTS) if mask >> b & 1),
                    location=None if np.isnan(lat) else (lat, lon),
                    attended=int(self.attended[row]),
                    no_shows=int(self.no_shows[row]),
                    invitations=int(self.invitations[row]),
                    invitations_answered=int(self.invitations_answered[row]),
                    invitations_accepted=int(self.invitations_accepted[row]),
                    recent_invitations=int(self.recent_invitations[row]),
                    recent_missions=int(self.recent_missions[row]),
                    weekly_cap=None if np.isnan(cap) else int(cap),
                    days_since_active=None if np.isnan(days) else days,
                    is_member=bool(self.is_member[row]),
                    paused=bool(self.paused[row]),
                    signed_up=bool(self.signed_up[row]),
                    declined=bool(self.declined[row]),
                    busy=bool(self.busy[row]),
                    max_distance_km=None if np.isnan(reach) else reach,
                )
            )
        return out

    def with_mission_state(
        self,
        *,
        signed_up: Collection[int] = (),
        declined: Collection[int] = (),
        busy: Collection[int] = (),
    ) -> Pool:
        """The same pool with the per-mission flags set for these volunteer ids (others False)."""
        flags: dict[str, Any] = {
            name: _frozen(np.isin(self.volunteer_ids, np.fromiter(ids, dtype=np.int64)))
            for name, ids in (("signed_up", signed_up), ("declined", declined), ("busy", busy))
        }
        return replace(self, **flags)

    def with_counts(self, **counts: ArrayLike) -> Pool:
        """The same pool with some activity counters replaced (arrays in pool order)."""
        unknown = set(counts) - set(COUNT_FIELDS) - {"days_since_active"}
        if unknown:
            raise ValueError(f"unknown counters: {sorted(unknown)}")
        arrays = {k: np.array(v, dtype=np.float64) for k, v in counts.items()}
        for name, arr in arrays.items():
            if arr.shape != self.volunteer_ids.shape:
                raise ValueError(f"{name}: expected {len(self)} values, got shape {arr.shape}")
        _check_counts(self.volunteer_ids, {k: v for k, v in arrays.items() if k in COUNT_FIELDS})
        frozen: dict[str, Any] = {k: _frozen(v) for k, v in arrays.items()}
        return replace(self, **frozen)

    def with_paused(self, paused: Collection[int]) -> Pool:
        """The same pool with these volunteer ids paused (others not)."""
        flags = np.isin(self.volunteer_ids, np.fromiter(paused, dtype=np.int64))
        return replace(self, paused=_frozen(flags))

    def patched(self, rows: Pool, drop: Collection[int] = ()) -> Pool:
        """This pool without the volunteers in `drop` or in `rows`, then `rows` appended.

        `rows` must share this pool's text model (`from_candidates(..., text_model=...)`):
        a changed profile is re-transformed with the fitted vocabulary, nothing is refitted.
        Rankings do not depend on row order (ties go by volunteer id).
        """
        if rows.text_model is not self.text_model or rows.space.skill_ids != self.space.skill_ids:
            raise ValueError("patch rows must share the pool's text model and taxonomy")
        gone = np.fromiter(drop, dtype=np.int64)
        keep = np.flatnonzero(
            ~np.isin(self.volunteer_ids, np.concatenate([gone, rows.volunteer_ids]))
        )
        if keep.size == len(self) and len(rows) == 0:
            return self
        changed: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            mine, theirs = getattr(self, name), getattr(rows, name)
            if isinstance(mine, np.ndarray):
                changed[name] = _frozen(np.concatenate([mine[keep], theirs]))
            elif sparse.issparse(mine):
                kept = sparse.csr_matrix(mine)[keep]
                changed[name] = sparse.vstack([kept, theirs], format="csc", dtype=mine.dtype)
            elif name == "profile_texts":
                changed[name] = tuple(mine[i] for i in keep.tolist()) + theirs
        return replace(self, **changed)

    def refitted(self) -> Pool:
        """The same pool with its text model fitted again on its own profile texts."""
        model = TextModel.fit(self.profile_texts, self.taxonomy)
        return replace(self, text_model=model, text=model.transform(self.profile_texts).tocsc())

    @property
    def nbytes(self) -> int:
        """Bytes held by the pool's arrays and matrices (text and taxonomy not included)."""
        total = 0
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                total += value.nbytes
            elif sparse.issparse(value):
                total += value.data.nbytes + value.indices.nbytes + value.indptr.nbytes
        return total


def _check_counts(ids: NDArray[np.int64], counts: Mapping[str, NDArray[np.float64]]) -> None:
    for name, values in counts.items():
        bad = ~(values >= 0)  # also catches NaN
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(f"volunteer {int(ids[row])}: {name} must be >= 0, got {values[row]}")
