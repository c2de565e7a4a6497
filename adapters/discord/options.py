"""The typed options of the slash commands, and their values back as the core's command text.

Discord shows numbers with bounds, closed lists as choices, a member picker and a file
picker; the core still receives `Command(name, args)` exactly as it would be typed on
Telegram (`/invite 12`, `/stats month`, `/faq add Question ? | Answer`), and checks it
the same way. Commands without an entry here keep one free text option, so a command
the core gains later is offered at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from enum import IntEnum
from typing import Any

from bot.engagement import PERIODS
from bot.exports import KINDS
from bot.features.mission_form import DESCRIPTION_MAX, PLACE_MAX, SLOTS_MAX, TITLE_MAX, WHEN_MAX
from bot.i18n import LANGUAGES
from bot.policy import Policy

__all__ = [
    "ATTACHMENT_COMMANDS",
    "COMMAND_OPTIONS",
    "FREE_TEXT",
    "NO_OPTIONS",
    "Choice",
    "Kind",
    "Option",
    "command_text",
    "form_to_open",
]

ID_MAX = 999_999_999  # the core reads mission ids of at most 9 digits


class Kind(IntEnum):
    """Discord's application command option types."""

    STRING = 3
    INTEGER = 4
    BOOLEAN = 5
    USER = 6
    ATTACHMENT = 11


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label_key: str | None  # catalog key of its shown name; None: shown as its value


@dataclass(frozen=True, slots=True)
class Option:
    """One option; its description is `options.<name>` (or the `describe` key) and its
    French name `options.<name>_name` in the catalogs."""

    name: str
    kind: Kind = Kind.STRING
    required: bool = False
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None
    choices: tuple[Choice, ...] = ()
    autocomplete: bool = False
    describe: str | None = None  # another description than `options.<name>`


FREE_TEXT = Option("text", max_length=4000)
_PERIOD = Option("period", choices=tuple(Choice(p, f"options.period_{p}") for p in PERIODS))
# A period between two dates, as typed after /stats on Telegram ("01/09/2026", "1er sept.").
_RANGE = (Option("from", max_length=40), Option("to", max_length=40))
_MISSION_ID = Option("mission", Kind.INTEGER, True, 1, ID_MAX, autocomplete=True)

COMMAND_OPTIONS: dict[str, tuple[Option, ...]] = {
    "mission": (
        Option("title", max_length=TITLE_MAX),
        Option("when", max_length=WHEN_MAX),
        Option("place", max_length=PLACE_MAX),
        Option("places", Kind.INTEGER, min_value=1, max_value=SLOTS_MAX),
        Option("skills", max_length=300),
        Option("description", max_length=DESCRIPTION_MAX),
        Option("edit", Kind.INTEGER, min_value=1, max_value=ID_MAX, autocomplete=True),
        Option("cancel", Kind.INTEGER, min_value=1, max_value=ID_MAX, autocomplete=True),
    ),
    "invite": (_MISSION_ID,),
    "match": (_MISSION_ID,),
    "stats": (
        Option(
            "view",
            choices=(
                Choice("missions", "options.view_missions"),
                Choice("volunteers", "options.view_volunteers"),
            ),
        ),
        _PERIOD,
        *_RANGE,
    ),
    "export": (
        Option("kind", choices=tuple(Choice(k, f"options.kind_{k}") for k in KINDS)),
        _PERIOD,
        *_RANGE,
    ),
    "coordinator": (
        Option(
            "action",
            required=True,
            choices=(
                Choice("add", "options.action_add"),
                Choice("remove", "options.action_remove"),
            ),
        ),
        Option("member", Kind.USER, required=True),
    ),
    "settings": (
        # The organisation's rules, by name (19 of them: within Discord's 25 choices).
        Option("setting", choices=tuple(Choice(f.name, None) for f in fields(Policy))),
        Option("value", max_length=40),
    ),
    "faq": (
        Option(
            "action",
            choices=(
                Choice("list", "options.action_list"),
                Choice("add", "options.action_add"),
                Choice("remove", "options.action_remove"),
            ),
        ),
        Option("question", max_length=300),
        Option("answer", max_length=2000),
        Option("number", Kind.INTEGER, min_value=1, max_value=1000),
    ),
    "pause": (Option("length", max_length=40),),
    "language": (
        Option("language", choices=tuple(Choice(lang, f"language.{lang}") for lang in LANGUAGES)),
    ),
    "profile": (Option("edit", Kind.BOOLEAN, describe="options.profile_edit"),),
    "calendar": (Option("mission", Kind.INTEGER, False, 1, ID_MAX, autocomplete=True),),
    "import": (
        Option("file", Kind.ATTACHMENT, required=True),
        Option("association", max_length=100),  # for an admin of several
    ),
}
# Commands that take nothing (their handlers ignore any text).
NO_OPTIONS = frozenset(
    {
        "cancel",
        "coordinators",
        "forget",
        "help",
        "missions",
        "mydata",
        "mymissions",
        "mystats",
        "privacy",
        "resume",
        "start",
    }
)
ATTACHMENT_COMMANDS = frozenset(
    name
    for name, options in COMMAND_OPTIONS.items()
    if any(o.kind is Kind.ATTACHMENT for o in options)
)


def _mission(values: Mapping[str, str]) -> str:
    """`edit 12`, `cancel 12`, the one-line form `Title | when | place | places | skills`,
    or just the title (the guided dialog asks the rest)."""
    for action in ("edit", "cancel"):
        if action in values:
            return f"{action} {values[action]}"
    parts = ["title", "when", "place", "places", "skills", "description"]
    if not any(values.get(p) for p in parts[1:]):
        return values.get("title", "")
    # Each part is one field: a "|" typed inside one must not shift the others.
    shown = [values.get(p, "").replace("|", "/") for p in parts]
    while len(shown) > 4 and not shown[-1]:
        shown.pop()
    return " | ".join(shown)


def _faq(values: Mapping[str, str]) -> str:
    action = values.get("action", "")
    if action == "add":
        return f"add {values.get('question', '').replace('|', '/')} | {values.get('answer', '')}"
    if action == "remove":
        return f"remove {values.get('number', '')}"
    return action


def _ranged(values: Mapping[str, str]) -> str:
    """ "missions month", "hours 01/09/2026 30/11/2026": dates win over a named period."""
    what = values.get("view") or values.get("kind") or ""
    start, end = values.get("from", ""), values.get("to", "")
    when = f"{start} {end}".strip() if start or end else values.get("period", "")
    return f"{what} {when}".strip()


_JOINERS: dict[str, Callable[[Mapping[str, str]], str]] = {
    "mission": _mission,
    "faq": _faq,
    "stats": _ranged,
    "export": _ranged,
}


def command_text(name: str, values: Mapping[str, Any]) -> str:
    """What would follow `/name` on Telegram, from the options' values."""
    shown = {key: _shown(value) for key, value in values.items()}
    joiner = _JOINERS.get(name)
    if joiner is not None:
        return joiner(shown).strip()
    order = [o.name for o in COMMAND_OPTIONS.get(name, (FREE_TEXT,))]
    known = [shown[key] for key in order if key in shown]
    extra = [value for key, value in shown.items() if key not in order]
    return " ".join(v for v in known + extra if v).strip()


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value).strip()


def form_to_open(name: str, values: Mapping[str, Any]) -> str | None:
    """The form to show instead of running the command: `/mission` with no option opens the
    mission form, `/profile edit:True` the profile form."""
    if name == "mission" and not values:
        return "mission"
    if name == "profile" and values.get("edit") is True:
        return "profile"
    return None
