"""Reading a spreadsheet of volunteers (CSV as Excel and LibreOffice export it in France).

Pure functions, no I/O: bytes in, rows and problems out. The delimiter is `;`, `,` or a
tab (the one the header line uses most); the text is UTF-8 with or without a BOM, else
Windows-1252. Headers are matched whatever their case, accents and spacing, in French
or English ("Prénom", "Nom complet", "E-mail", "Compétences", "Disponibilités"...).

Skills go through the skill normaliser, as in onboarding: words it does not recognise
are kept as free tags (a warning, not an error: onboarding keeps them too). Availability
("samedi matin, dimanche", "lundi au vendredi soir", "samedi 14h-17h", "week-end") is
read into the same week grid onboarding fills with its buttons, with the weekday words
and the date-and-time reader of `bot.when`; text that cannot be read is an error, since
guessing would send invitations at the wrong times. A row without a name, a bad phone or
e-mail, or the same person twice is an error. Problems carry the spreadsheet's row number
(the header is row 1) and a catalog key, so each reader gets them in their language.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field

from bot.availability import parse_availability
from bot.context import UserError
from bot.text import clean_line
from matching.skills import SkillNormaliser, fold

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "ImportRow",
    "Parsed",
    "Problem",
    "decode",
    "parse_volunteers",
    "person_key",
]

MAX_BYTES = 1_000_000
MAX_ROWS = 2000
NAME_MAX = 200
SKILLS_MAX = 500
PLACE_MAX = 100

# canonical column -> header spellings, folded (lower case, no accents, letters and digits only)
_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("nomcomplet", "name", "fullname", "nometprenom", "prenometnom", "nomprenom",
             "prenomnom", "benevole", "volunteer", "identite", "personne"),
    "first_name": ("prenom", "firstname", "first", "givenname", "forename"),
    "last_name": ("nom", "nomdefamille", "lastname", "surname", "familyname", "last"),
    "phone": ("telephone", "tel", "phone", "phonenumber", "mobile", "portable", "telportable",
              "numero", "numerodetelephone", "gsm", "cellphone", "telephoneportable"),
    "email": ("email", "mail", "courriel", "adressemail", "adresseemail", "emailaddress",
              "adressecourriel", "adresseelectronique", "mel"),
    "skills": ("competences", "competence", "skills", "skill", "savoirfaire", "talents"),
    "availability": ("disponibilites", "disponibilite", "dispo", "dispos", "availability",
                     "availabilities", "available", "creneaux"),
    "town": ("ville", "commune", "town", "city", "lieu", "localite", "place", "adresse",
             "address"),
    "postcode": ("codepostal", "cp", "postcode", "postalcode", "zipcode", "zip"),
    "language": ("langue", "language", "lang", "languepreferee"),
}  # fmt: skip
_COLUMN_OF = {spelling: column for column, names in _HEADERS.items() for spelling in names}
_LANGUAGES = {"fr": "fr", "francais": "fr", "french": "fr", "en": "en", "anglais": "en",
              "english": "en"}  # fmt: skip
_PHONE = re.compile(r"\+?[0-9][0-9 .\-/()]{4,24}")
_EMAIL = re.compile(r"[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+")
_POSTCODE = re.compile(r"\b(\d{5})\b")


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem: `line` is the spreadsheet row (0: the whole file), `key` a catalog key."""

    line: int
    key: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One person read from the file, ready to become a profile."""

    line: int
    name: str
    phone: str | None
    email: str | None
    skills: tuple[tuple[str, str], ...]  # (skill id, the words that matched)
    free_tags: tuple[str, ...]
    availability: frozenset[tuple[int, str]]  # empty: any time (as onboarding stores it)
    place: str | None
    postcode: str | None
    language: str | None
    key: str  # see `person_key`


@dataclass(frozen=True, slots=True)
class Parsed:
    rows: tuple[ImportRow, ...]
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def decode(content: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1252, as French spreadsheets save."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="replace")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _folded_header(text: str) -> str:
    return "".join(c for c in fold(text) if c.isalnum())


def _delimiter(text: str) -> str:
    """The separator the header line uses most (the first line that is not blank)."""
    header = next((line for line in text.splitlines() if line.strip(" ;,\t")), "")
    return max((";", ",", "\t"), key=header.count)


def phone_key(phone: str) -> str:
    """A phone number as digits, French numbers in their national form (0612345678)."""
    phone = phone.replace("(0)", "")  # "+33 (0)6 ...": the national zero, written twice
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("0033"):
        digits = digits[2:]
    if phone.strip().startswith("+33") or (digits.startswith("33") and len(digits) == 11):
        digits = "0" + digits[2:]
    elif len(digits) == 9 and digits[0] in "123456789":
        digits = "0" + digits  # the leading zero a spreadsheet dropped
    return digits


def person_key(name: str, phone: str | None, email: str | None) -> str:
    """A hash that finds the same person again in a later file: the name (any word order,
    case and accents) with the phone, else the e-mail. Contacts are never stored."""
    words = sorted(fold(name).replace("-", " ").split())
    contact = phone_key(phone) if phone else (email or "").strip().casefold()
    return hashlib.sha256(f"{' '.join(words)}|{contact}".encode()).hexdigest()


# --- rows ----------------------------------------------------------------------------------


def _cell(record: dict[str, str], column: str) -> str:
    return " ".join(record.get(column, "").split())


def _clean(value: str, limit: int, what: str, line: int, errors: list[Problem]) -> str | None:
    """`clean_line`'s checks (length, control characters), as a problem of this row."""
    if not value:
        return None
    try:
        return clean_line(value, max_len=limit, what=what)
    except UserError as exc:
        errors.append(Problem(line, exc.key, dict(exc.params)))
        return None


def _read_row(
    line: int, record: dict[str, str], normaliser: SkillNormaliser, out: _Collector
) -> ImportRow | None:
    errors: list[Problem] = []
    full = _cell(record, "name") or " ".join(
        p for p in (_cell(record, "first_name"), _cell(record, "last_name")) if p
    )
    name = _clean(full, NAME_MAX, "name", line, errors)
    if not full:
        errors.append(Problem(line, "import.err_no_name"))
    phone = _cell(record, "phone") or None
    if phone is not None and not (_PHONE.fullmatch(phone) and 6 <= len(phone_key(phone)) <= 15):
        errors.append(Problem(line, "import.err_phone", {"value": phone[:40]}))
    email = _cell(record, "email") or None
    if email is not None and not _EMAIL.fullmatch(email):
        errors.append(Problem(line, "import.err_email", {"value": email[:60]}))
    skills_text = _clean(_cell(record, "skills"), SKILLS_MAX, "skills", line, errors) or ""
    result = normaliser.normalise(skills_text) if skills_text else None
    raw_availability = _cell(record, "availability")
    availability = parse_availability(raw_availability) if raw_availability else frozenset()
    if availability is None:
        errors.append(Problem(line, "import.err_availability", {"value": raw_availability[:60]}))
    town = _cell(record, "town")
    code = _cell(record, "postcode")
    place = _clean(" ".join(p for p in (town, code) if p), PLACE_MAX, "place", line, errors)
    postcode = _POSTCODE.search(place or "")
    language_text = _cell(record, "language")
    language = _LANGUAGES.get(_folded_header(language_text)) if language_text else None
    if language_text and language is None:
        out.warnings.append(Problem(line, "import.warn_language", {"value": language_text[:30]}))
    if result is not None and result.free_tags:
        tags = ", ".join(result.free_tags)[:120]
        out.warnings.append(Problem(line, "import.warn_free_skills", {"words": tags}))
    if errors or name is None or availability is None:
        out.errors.extend(errors)
        return None
    return ImportRow(
        line=line,
        name=name,
        phone=phone,
        email=email,
        skills=tuple((m.skill_id, m.text[:200]) for m in result.matches) if result else (),
        free_tags=tuple(t[:100] for t in result.free_tags)[:20] if result else (),
        availability=availability,
        place=place,
        postcode=postcode.group(1) if postcode else None,
        language=language,
        key=person_key(name, phone, email),
    )


@dataclass
class _Collector:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def parse_volunteers(content: bytes, normaliser: SkillNormaliser) -> Parsed:
    """Read a whole file; `Parsed.ok` only when no row has an error (nothing is half-imported)."""
    out = _Collector()
    if len(content) > MAX_BYTES:
        problem = Problem(0, "import.err_too_big", {"limit": MAX_BYTES // 1000})
        return Parsed((), (problem,), ())
    text = decode(content).replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        return Parsed((), (Problem(0, "import.err_not_csv"),), ())
    try:
        reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
        records: list[tuple[int, list[str]]] = []  # (the line a record starts on, its cells)
        ended = 0  # the physical line the previous record ended on
        for cells in reader:
            records.append((ended + 1, cells))
            ended = reader.line_num
    except csv.Error:
        return Parsed((), (Problem(0, "import.err_not_csv"),), ())
    while records and not any(cell.strip() for cell in records[0][1]):
        records.pop(0)
    if not records:
        return Parsed((), (Problem(0, "import.err_empty"),), ())
    header_line, header = records[0]
    columns: list[str | None] = []
    for title in header:
        column = _COLUMN_OF.get(_folded_header(title))
        if column in columns:
            column = None  # the second "Téléphone" column is not read
        if column is None and title.strip():
            warning = Problem(header_line, "import.warn_column", {"column": title.strip()[:40]})
            out.warnings.append(warning)
        columns.append(column)
    if "name" not in columns and "first_name" not in columns and "last_name" not in columns:
        found = ", ".join(t.strip()[:40] for t in header if t.strip()) or "—"
        problem = Problem(header_line, "import.err_no_name_column", {"found": found})
        return Parsed((), (problem,), ())
    body = [(line, r) for line, r in records[1:] if any(c.strip() for c in r)]
    if len(body) > MAX_ROWS:
        problem = Problem(0, "import.err_too_many", {"count": len(body), "limit": MAX_ROWS})
        return Parsed((), (problem,), ())
    if not body:
        return Parsed((), (Problem(0, "import.err_empty"),), ())
    rows: list[ImportRow] = []
    seen: dict[str, int] = {}
    for line, cells in body:
        record = {c: v for c, v in zip(columns, cells, strict=False) if c is not None}
        row = _read_row(line, record, normaliser, out)
        if row is None:
            continue
        if row.key in seen:
            out.errors.append(Problem(line, "import.err_duplicate", {"other": seen[row.key]}))
            continue
        seen[row.key] = line
        rows.append(row)
    return Parsed(tuple(rows), tuple(out.errors), tuple(out.warnings))
