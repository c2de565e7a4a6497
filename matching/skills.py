"""Free text -> canonical skills ("je sais cuisiner, conduire (permis B)" -> cooking, driving_b).

Pure computation over a `Taxonomy`. Text is folded (case, accents, ligatures), split on
punctuation, filler words are ignored, words are lightly stemmed (French/English plurals
and common suffixes), then:

1. exact lookup of the longest synonym n-grams;
2. fuzzy lookup (Damerau-Levenshtein, rapidfuzz) of the words left over, for typos;
3. what still matches nothing becomes a free tag: kept, never dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from matching.taxonomy import Taxonomy

__all__ = ["DEFAULT_THRESHOLD", "NormalisedSkills", "SkillMatch", "SkillNormaliser", "fold", "stem"]

DEFAULT_THRESHOLD = 0.8
_EXACT, _STEMMED, _NEAR = 1.0, 0.95, 0.85  # confidences: same words, same stems, words nearby
_DESCRIPTION_WEIGHT = 0.9  # a match in a mission's description counts a bit less than in its title
_MAX_FUZZY_TOKENS = 300  # hostile input: beyond this many leftover words, no typo search
_FUZZY_WINDOW = 3
_GENERIC_SKILLS = frozenset({"translation_general"})  # dropped when a sibling skill matched

_TOKEN_RE = re.compile(r"[^\W_]+|[,;/+()\[\]{}.!?:|\n\r\t*•·&<>=\"]")
_PARENS = re.compile(r"\([^)]*\)")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CONJ = "&"  # et / and / ou / or: kept inside synonyms ("son et lumière"), a boundary otherwise
_CONJUNCTIONS = frozenset({"et", "and", "ou", "or", "&"})
_STOPWORDS = _words(
    # French articles, prepositions, pronouns, adverbs
    "le la les l un une des du de d a au aux en y ce cet cette ces ca cela ceci est sont mon ma "
    "mes ton ta tes son sa ses notre nos votre vos leur leurs je j tu il elle on nous vous ils "
    "elles me m moi te t toi se s lui qui que qu quoi dont ne n pas ni tres bien peu beaucoup "
    "aussi surtout plutot vraiment assez trop tout tous toute toutes dans sur sous par pour avec "
    "chez vers entre depuis pendant comme etc meme deja encore parfois souvent quand si mais donc "
    "car "
    # English
    "an the of to for in on at by with from into onto i me my we our us you your he she they them "
    "it their its this that these those is are was were be been being as so very some any also "
    "just really quite etc but if when then than about around"
)
_WEAK = _words(
    # filler and generic words: allowed inside a synonym, never a skill or a free tag alone
    "aide aider aides help helping helper helpers soutien soutenir support supporting benevole "
    "benevoles benevolat volunteer volunteers volunteering volontaire mission missions activite "
    "activites activity activities travail travailler work working works faire fais fait do doing "
    "sais savoir sait peux peut pouvoir aime aimerais adore ai avoir suis etre connais connaitre "
    "bon bonne bons bonnes niveau notions notion experience experiences experimente competence "
    "competences courant couramment natif native maternelle parle parler parlant parles langue "
    "volontiers envie souhaite souhaiterais voudrais veux propose proposer donner capable can "
    "could would will able know knows knowing like love enjoy good great experienced skilled "
    "skills skill fluent speak speaks speaking speaker speakers language want willing happy glad "
    "have has had am need needed needs besoin cours people personnes personne gens general "
    "various other things stuff truc trucs chose choses quelques basic debutant debutante "
    "beginner expert pro professional professionnel professionnelle confirme an ans annee annees "
    "year years mois month months plein lot lots something quelque please svp merci thanks"
)
_NO_FUZZY = _words(
    # everyday words close to a synonym ("enfants" ~ "infants"): kept as free tags, never fuzzed
    "enfant enfants infant jeune jeunes famille familles femme femmes homme hommes parent parents "
    "kids child children student students adult adults adulte adultes senior lundi mardi mercredi "
    "jeudi vendredi samedi dimanche monday tuesday wednesday thursday friday saturday sunday "
    "matin soir soiree morning evening weekend week semaine vacances holidays quartier ville city "
    "association asso club french francais francaise college lycee ecole school"
)
_KEEP_WHOLE = _words(
    # words whose stem would collide with a skill word ("chantier" ~ "chant"): not stemmed
    "chantier classement emailing evenement evenementiel formateur formatrice serveur serveuse "
    "trainer developpeur developpeuse developer cater cafe programmeur programmeuse coder coding "
    "traiteur menage consulting catering livre"
)
_IRREGULAR = {
    "conduire": "conduir", "conduite": "conduir", "conduit": "conduir", "conduis": "conduir",
    "conducteur": "conduir", "conductrice": "conduir", "children": "child", "drove": "driv",
    "driven": "driv", "taught": "teach", "women": "woman", "men": "man",
    **{w + plural: w for w in _KEEP_WHOLE for plural in ("", "s")},
}  # fmt: skip
_SUFFIXES = ("issement", "ement", "ation", "ateur", "atric", "ing", "eur", "eus", "ier", "ism",
             "ist", "ag", "er", "ed")  # fmt: skip

_WORD, _WEAKWORD, _CONJWORD = 0, 1, 2


@dataclass(frozen=True, slots=True)
class SkillMatch:
    """One canonical skill found in a text."""

    skill_id: str
    confidence: float  # 0..1
    text: str  # the part of the user's text that matched


@dataclass(frozen=True, slots=True)
class NormalisedSkills:
    """Result of `SkillNormaliser.normalise`."""

    matches: tuple[SkillMatch, ...]  # best first, one per skill id
    # words/phrases that matched nothing confidently: kept, never dropped
    free_tags: tuple[str, ...]

    @property
    def skill_ids(self) -> tuple[str, ...]:
        """Matched skill ids, best first."""
        return tuple(m.skill_id for m in self.matches)


@dataclass(frozen=True, slots=True)
class _Token:
    text: str  # as typed
    start: int
    end: int
    norm: str  # folded
    stem: str
    kind: int


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int  # token positions in the segment, end exclusive
    end: int
    skills: tuple[str, ...]
    confidence: float


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Case-fold, strip accents and ligatures: "Œuvre" -> "oeuvre", "Été" -> "ete"."""
    text = unicodedata.normalize("NFKC", word).casefold().translate(_LIGATURES)
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Light French/English stemmer on a folded word (plurals, -ing, -eur, -age, -ation...)."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("eaux"):
        word = word[:-1]
    elif word.endswith("aux") and len(word) > 4:
        word = word[:-3] + "al"
    elif word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    dropped_e = False  # one final "e" at most: "refugees" -> "refuge", "refuge" -> "refug"
    while len(word) > 3 and not word.endswith("ss"):
        if word[-1] in "sx" or (word[-1] == "e" and not dropped_e):
            dropped_e = dropped_e or word[-1] == "e"
            word = word[:-1]
        else:
            break
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=65536)
def _analyse(raw: str) -> tuple[str, str, int] | None:
    """(folded, stem, kind) of one raw token, or None for a stopword or separator."""
    norm = "informatique" if raw == "IT" else fold(raw)
    if norm in _CONJUNCTIONS:
        return _CONJ, _CONJ, _CONJWORD
    if not norm or norm in _STOPWORDS:
        return None
    return norm, stem(norm), _WEAKWORD if norm in _WEAK else _WORD


def _segments(text: str) -> list[list[_Token]]:
    """Split on punctuation and newlines; drop stopwords; keep conjunctions as markers."""
    segments: list[list[_Token]] = [[]]
    for m in _TOKEN_RE.finditer(text):
        raw = m.group()
        if len(raw) == 1 and raw in ',;/+()[]{}.!?:|\n\r\t*•·<>="':
            if segments[-1]:
                segments.append([])
            continue
        info = _analyse(raw)
        if info is not None:
            segments[-1].append(_Token(raw, m.start(), m.end(), *info))
    return [s for s in segments if s]


def _allowed_edits(length: int) -> int:
    return 0 if length <= 5 else 1 if length <= 12 else 2 if length <= 20 else 3


def _keep(
    best: dict[str, tuple[float, int, str]], skill: str, conf: float, pos: int, text: str
) -> None:
    """Keep the most confident occurrence of each skill."""
    if skill not in best or conf > best[skill][0]:
        best[skill] = (conf, pos, text)


class SkillNormaliser:
    """Maps free text (French or English) to canonical skill ids of a taxonomy."""

    def __init__(self, taxonomy: Taxonomy, threshold: float = DEFAULT_THRESHOLD) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.taxonomy = taxonomy
        self.threshold = threshold
        stems: dict[str, set[str]] = defaultdict(set)  # "premi secour" -> {"first_aid"}
        surfaces: set[str] = set()  # folded forms, for full confidence
        fuzzy: dict[str, set[str]] = defaultdict(set)  # sorted folded words -> skills
        near: dict[str, set[tuple[tuple[str, ...], str]]] = defaultdict(set)
        for skill in taxonomy:
            for term in skill.terms():  # "Premiers secours (PSC1)" is indexed without "(PSC1)"
                tokens = [t for seg in _segments(_PARENS.sub(" ", term)) for t in seg]
                if not tokens:
                    continue
                key = " ".join(t.stem for t in tokens)
                stems[key].add(skill.id)
                surfaces.add(" ".join(t.norm for t in tokens))
                words = [t.norm for t in tokens if t.kind != _CONJWORD]
                if len("".join(words)) > 4 and len(words) == len(tokens):
                    fuzzy[" ".join(sorted(words))].add(skill.id)
                if 2 <= len(tokens) <= 3 and all(t.kind == _WORD for t in tokens):
                    key_stems = tuple(t.stem for t in tokens)
                    near[key_stems[0]].add((key_stems, skill.id))
        self._index = {k: tuple(sorted(v)) for k, v in stems.items()}
        self._surfaces = frozenset(surfaces)
        self._max_len = max((k.count(" ") + 1 for k in self._index), default=1)
        self._near = {k: tuple(sorted(v)) for k, v in near.items()}
        self._fuzzy_skills = {k: tuple(sorted(v)) for k, v in fuzzy.items()}
        # typos seldom touch the first letter: choices are bucketed by (first letter, length)
        by_len: dict[tuple[str, int], list[str]] = defaultdict(list)
        for choice in self._fuzzy_skills:
            by_len[choice[0], len(choice)].append(choice)
        longest = max((n for _, n in by_len), default=0) + 4
        self._fuzzy_choices: dict[tuple[str, int], tuple[str, ...]] = {}
        for first in {f for f, _ in by_len}:
            for length in range(6, longest):
                k = _allowed_edits(length)
                close = [c for n in range(length - k, length + k + 1) for c in by_len[first, n]]
                if close:
                    self._fuzzy_choices[first, length] = tuple(close)
        self._fuzzy_cache: dict[str, tuple[tuple[str, ...], float] | None] = {}

    # -- public API -------------------------------------------------------------------------

    def normalise(self, text: str) -> NormalisedSkills:
        """Canonical skills found in `text`, plus the leftover words as free tags."""
        best: dict[str, tuple[float, int, str]] = {}  # skill -> (confidence, position, text)
        free: dict[str, None] = {}
        budget = _MAX_FUZZY_TOKENS
        for seg in _segments(text):
            hits = self._exact(seg)
            covered = {i for h in hits for i in range(h.start, h.end)}
            for run in self._runs(seg, covered):
                fuzzy = self._fuzzy(seg, run) if budget > 0 else []
                budget -= len(run)
                hits.extend(fuzzy)
                done = {i for h in fuzzy for i in range(h.start, h.end)}
                for tag in self._free_tags(seg, [i for i in run if i not in done]):
                    free.setdefault(tag, None)
            for hit in hits:
                snippet = text[seg[hit.start].start : seg[hit.end - 1].end]
                for skill_id in hit.skills:
                    _keep(best, skill_id, hit.confidence, seg[hit.start].start, snippet)
        matches = self._rank(best)
        return NormalisedSkills(matches, tuple(free))

    def suggest_for_mission(
        self, title: str, description: str = "", limit: int = 5
    ) -> tuple[SkillMatch, ...]:
        """Skills a mission probably needs, from its title and description (best first)."""
        best: dict[str, tuple[float, int, str]] = {}
        hits_count: dict[str, int] = defaultdict(int)
        offset = 0
        for part, weight in ((title, 1.0), (description, _DESCRIPTION_WEIGHT)):
            for seg in _segments(part):
                # no typo search here: in long edited texts it finds more look-alikes than typos
                for hit in self._exact(seg) + self._nearby(seg):
                    snippet = part[seg[hit.start].start : seg[hit.end - 1].end]
                    for skill_id in hit.skills:
                        hits_count[skill_id] += 1
                        pos = offset + seg[hit.start].start
                        _keep(best, skill_id, hit.confidence * weight, pos, snippet)
            offset += len(part) + 1
        for skill_id, count in hits_count.items():
            conf, pos, snippet = best[skill_id]
            best[skill_id] = (min(1.0, conf + 0.02 * (count - 1)), pos, snippet)
        return self._rank(best)[: max(0, limit)]

    def ambiguous_keys(self) -> dict[str, tuple[str, ...]]:
        """Stemmed synonym keys shared by several skills (a data-quality check)."""
        return {k: v for k, v in self._index.items() if len(v) > 1}

    # -- matching steps ---------------------------------------------------------------------

    def _exact(self, seg: Sequence[_Token]) -> list[_Hit]:
        """Greedy longest-first lookup of stemmed n-grams."""
        hits: list[_Hit] = []
        i, n = 0, len(seg)
        while i < n:
            for size in range(min(self._max_len, n - i), 0, -1):
                window = seg[i : i + size]
                skills = self._index.get(" ".join(t.stem for t in window))
                # a weak word ("faire") never matches alone, even if its stem is a key ("fair")
                if skills and window[0].kind != _CONJWORD and (size > 1 or window[0].kind == _WORD):
                    surface = " ".join(t.norm for t in window)
                    conf = _EXACT if surface in self._surfaces else _STEMMED
                    hits.append(_Hit(i, i + size, skills, conf))
                    i += size
                    break
            else:
                i += 1
        return hits

    def _nearby(self, seg: Sequence[_Token]) -> list[_Hit]:
        """Two- or three-word synonyms whose words appear close together, in any order."""
        positions: dict[str, list[int]] = defaultdict(list)
        for i, tok in enumerate(seg):
            positions[tok.stem].append(i)
        hits: list[_Hit] = []
        for first, starts in positions.items():
            for key, skill_id in self._near.get(first, ()):
                span = len(key) + 1
                for p in starts:
                    found = [p]
                    for other in key[1:]:
                        near = [q for q in positions.get(other, ()) if abs(q - p) <= span]
                        if not near:
                            break
                        found.append(near[0])
                    if len(found) == len(key) and len(set(found)) == len(key):
                        hits.append(_Hit(min(found), max(found) + 1, (skill_id,), _NEAR))
                        break
        return hits

    @staticmethod
    def _runs(seg: Sequence[_Token], covered: set[int]) -> list[list[int]]:
        """Maximal runs of uncovered content words (weak words and conjunctions split runs)."""
        runs: list[list[int]] = [[]]
        for i, tok in enumerate(seg):
            if i in covered or tok.kind != _WORD:
                if runs[-1]:
                    runs.append([])
            else:
                runs[-1].append(i)
        return [r for r in runs if r]

    def _fuzzy(self, seg: Sequence[_Token], run: list[int]) -> list[_Hit]:
        """Typo-tolerant lookup of windows of up to three leftover words."""
        candidates: list[_Hit] = []
        for size in range(min(_FUZZY_WINDOW, len(run)), 0, -1):
            for k in range(len(run) - size + 1):
                idx = run[k : k + size]
                if any(seg[i].norm in _NO_FUZZY for i in idx):
                    continue
                found = self._fuzzy_lookup(" ".join(sorted(seg[i].norm for i in idx)))
                if found is not None and found[1] >= self.threshold:
                    candidates.append(_Hit(idx[0], idx[-1] + 1, found[0], found[1]))
        candidates.sort(key=lambda h: (-h.confidence, h.start - h.end, h.start))
        chosen: list[_Hit] = []
        taken: set[int] = set()
        for hit in candidates:
            span = set(range(hit.start, hit.end))
            if not span & taken:
                chosen.append(hit)
                taken |= span
        return chosen

    def _fuzzy_lookup(self, query: str) -> tuple[tuple[str, ...], float] | None:
        if query in self._fuzzy_cache:
            return self._fuzzy_cache[query]
        result: tuple[tuple[str, ...], float] | None = None
        edits = _allowed_edits(len(query))
        choices = self._fuzzy_choices.get((query[0], len(query)), ())
        if edits and choices:
            found = process.extractOne(
                query, choices, scorer=DamerauLevenshtein.distance, score_cutoff=edits
            )
            if found is not None:
                choice, distance, _ = found
                confidence = 1.0 - distance / max(len(query), len(choice))
                result = (self._fuzzy_skills[choice], round(confidence, 3))
        if len(self._fuzzy_cache) > 100_000:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[query] = result
        return result

    @staticmethod
    def _free_tags(seg: Sequence[_Token], indices: Iterable[int]) -> list[str]:
        """Contiguous leftover words, lower-cased as typed (accents kept)."""
        tags: list[str] = []
        for _, group in groupby(enumerate(indices), key=lambda pair: pair[1] - pair[0]):
            toks = [seg[i] for _, i in group]
            words = [t.text.casefold() for t in toks if len(t.norm) > 1 and not t.norm.isdigit()]
            if words:
                tags.append(" ".join(words))
        return tags

    # -- ranking ------------------------------------------------------------------------------

    def _rank(self, best: dict[str, tuple[float, int, str]]) -> tuple[SkillMatch, ...]:
        skills = self.taxonomy.skills
        domains = {skills[s].domain for s in best if s not in _GENERIC_SKILLS}
        kept = {
            s: v
            for s, v in best.items()
            if s not in _GENERIC_SKILLS or s not in skills or skills[s].domain not in domains
        }
        order = sorted(kept.items(), key=lambda kv: (-kv[1][0], kv[1][1], kv[0]))
        return tuple(SkillMatch(s, round(c, 3), t) for s, (c, _, t) in order)
