"""The message catalogs: French and English say the same things, and every key the code uses exists.

The code is scanned (with `ast`, not imported) for the catalog keys it names: string
literals such as ``"signup.confirmed"`` and the few families built at run time
(``f"errors.need_{role}"``, ``"part." + part``...), whose expansions are checked one by one.
"""

from __future__ import annotations

import ast
import json
import re
import string
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.engagement import PERIODS
from bot.features.missions import _STEPS, EDIT_FIELDS
from bot.features.onboarding import PARTS
from bot.features.settings import _BOUNDS as SETTING_BOUNDS
from bot.i18n import LANGUAGES, Catalogs
from data.records import Role
from matching.reasons import REASON_KINDS

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "bot" / "locales"
SOURCES = sorted((ROOT / "bot").rglob("*.py"))

KEY = re.compile(r"^[a-z_]+(\.[a-z_0-9]+)+$")
# Calls whose first string argument is a catalog key: ctx.t/reply/private/answer/button,
# UserError, catalogs.t(lang, key) and catalogs.raw(lang, key).
KEY_CALLS = {"t", "reply", "private", "answer", "button", "UserError", "raw"}
NOT_PLACEHOLDERS = {"buttons", "alert"}

# Keys built at run time, by their literal prefix, and what they expand to.
FAMILIES: dict[str, set[str]] = {
    "errors.need_": {role.value for role in Role},
    "field.": set(EDIT_FIELDS),
    "language.": set(LANGUAGES),
    "mission.ask_": {step for step in _STEPS if step != "confirm"},
    "roles.role_": {role.value for role in Role if role.rank >= Role.COORDINATOR.rank},
    "part.": set(PARTS),
    "reason.": {kind for kind in REASON_KINDS if kind != "skill"},  # a skill shows its label
    "settings.": set(SETTING_BOUNDS),
    "stats.period_": set(PERIODS),
}


def _catalog(lang: str) -> dict[str, str]:
    data = json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


FR, EN = _catalog("fr"), _catalog("en")
SECTIONS = {key.split(".")[0] for key in FR}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@dataclass(frozen=True)
class Use:
    """A catalog key named in the code, with where and (when known) the parameters passed."""

    key: str
    where: str
    params: frozenset[str] | None  # None: not a direct call, or parameters passed with **


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _literal_keys(node: ast.expr) -> list[str]:
    """The key(s) an argument names: a literal, or either branch of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY.match(node.value):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literal_keys(node.body) + _literal_keys(node.orelse)
    return []


def _family_prefix(node: ast.expr) -> str | None:
    """`f"errors.need_{x}"` or `"part." + x` -> the literal prefix."""
    first: ast.expr | None = None
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        first = node.left
    if (
        isinstance(first, ast.Constant)
        and isinstance(first.value, str)
        and re.fullmatch(r"[a-z_]+\.[a-z_]*", first.value)
    ):
        return first.value
    return None


def _scan_source(text: str, where: str) -> tuple[list[Use], list[tuple[str, str]]]:
    """The literal keys a module names, and its key families (prefix, where)."""
    tree = ast.parse(text, filename=where)
    uses: list[Use] = []
    families: list[tuple[str, str]] = []
    seen: set[int] = set()  # literals already accounted for
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) in KEY_CALLS:
            # The key is the first argument that names one (catalogs.t(lang, key) has two).
            for arg in node.args[:2]:
                keys = _literal_keys(arg)
                if keys:
                    starred = any(k.arg is None for k in node.keywords)
                    params = frozenset(
                        k.arg for k in node.keywords if k.arg and k.arg not in NOT_PLACEHOLDERS
                    )
                    for key in keys:
                        uses.append(Use(key, f"{where}:{node.lineno}", None if starred else params))
                    seen.update(id(sub) for sub in ast.walk(arg))
                    break
        if isinstance(node, ast.JoinedStr | ast.BinOp):
            prefix = _family_prefix(node)
            if prefix is not None:
                families.append((prefix, f"{where}:{node.lineno}"))
                seen.update(id(sub) for sub in ast.walk(node))
    # Keys held in variables (`key = "roles.granted"`, queue_private(..., "signup.promoted")):
    # any other literal whose first part is a catalog section.
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in seen
            and KEY.match(node.value)
            and node.value.split(".")[0] in SECTIONS
        ):
            uses.append(Use(node.value, f"{where}:{node.lineno}", None))
    return uses, families


def _scan() -> tuple[list[Use], list[tuple[str, str]]]:
    """Every literal key used in bot/**/*.py, and every key family."""
    uses: list[Use] = []
    families: list[tuple[str, str]] = []
    for path in SOURCES:
        found, found_families = _scan_source(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))
        )
        uses += found
        families += found_families
    return uses, families


USES, FAMILY_USES = _scan()


def test_the_scan_finds_the_keys_the_code_uses() -> None:
    keys = {use.key for use in USES}
    # A few keys from each way of naming one, so a broken scanner cannot pass silently.
    assert {"signup.confirmed", "card.count_waitlist", "errors.internal"} <= keys
    assert {"mission.cancelled_notice", "roles.granted", "date.days", "onboarding.consent"} <= keys
    assert len(keys) > 100
    found = {prefix for prefix, _ in FAMILY_USES}
    assert found == set(FAMILIES), (
        f"a new key family: say in FAMILIES what {found - set(FAMILIES)} expands to"
    )


def test_the_scan_sees_keys_in_calls_variables_and_families() -> None:
    source = """
def handler(ctx, catalogs, lang, ok):
    ctx.reply("signup.confirmd", title="x")
    catalogs.t(lang, "card.count" if ok else "card.countt", confirmed=1)
    key = "roles.grantd"
    raise UserError(f"errors.need_{ctx.role}")
    ctx.t("part." + ctx.part)
    open("demo.db")
"""
    uses, families = _scan_source(source, "example.py")
    assert {(use.key, use.params) for use in uses} == {
        ("signup.confirmd", frozenset({"title"})),
        ("card.count", frozenset({"confirmed"})),
        ("card.countt", frozenset({"confirmed"})),
        ("roles.grantd", None),
    }
    assert [prefix for prefix, _ in families] == ["errors.need_", "part."]


def test_french_and_english_have_the_same_keys() -> None:
    assert sorted(set(FR) - set(EN)) == [], "missing in en.json"
    assert sorted(set(EN) - set(FR)) == [], "missing in fr.json"


def test_each_message_has_the_same_placeholders_in_both_languages() -> None:
    different = {
        key: (sorted(_placeholders(FR[key])), sorted(_placeholders(EN[key])))
        for key in sorted(set(FR) & set(EN))
        if _placeholders(FR[key]) != _placeholders(EN[key])
    }
    assert different == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_message_is_empty(lang: str) -> None:
    catalog = _catalog(lang)
    assert [key for key, value in catalog.items() if not value.strip()] == []
    assert all(isinstance(value, str) for value in catalog.values())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_day_and_month_names(lang: str) -> None:
    catalog = _catalog(lang)
    assert len(catalog["date.days"].split(",")) == 7
    assert len(catalog["date.days_short"].split(",")) == 7
    assert len(catalog["date.months"].split(",")) == 12
    for key in ("date.days", "date.days_short", "date.months"):
        assert all(name.strip() for name in catalog[key].split(",")), key


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_the_code_names_exists(lang: str) -> None:
    catalog = _catalog(lang)
    missing = sorted({f"{use.key} ({use.where})" for use in USES if use.key not in catalog})
    assert missing == []


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("prefix", sorted(FAMILIES))
def test_every_expansion_of_a_key_family_exists(lang: str, prefix: str) -> None:
    catalog = _catalog(lang)
    expansions = [f"{prefix}{tail}" for tail in sorted(FAMILIES[prefix])]
    assert expansions, prefix
    assert [key for key in expansions if key not in catalog] == []


def test_calls_pass_every_placeholder_their_message_needs() -> None:
    """`ctx.reply("signup.confirmed", title=...)` must give every {name} of the message."""
    problems = []
    for use in USES:
        if use.params is None or use.key not in FR:
            continue
        needed = _placeholders(FR[use.key])
        if needed - use.params:
            problems.append(f"{use.where}: {use.key} lacks {sorted(needed - use.params)}")
    assert problems == []


def test_catalogs_load_through_the_package() -> None:
    catalogs = Catalogs.load()
    assert catalogs.keys("fr") == set(FR)
    assert catalogs.keys("en") == set(EN)
    assert catalogs.t("en", "signup.waitlisted_short", position=2).count("2") == 1
