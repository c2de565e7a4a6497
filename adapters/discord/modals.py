"""The core's forms (bot/forms.py) as Discord modals, and their submissions as values.

A modal is the interaction's first answer (it cannot follow a deferral); its custom id
names the form (`form:mission`), so the submission is read here whatever discord.py
remembers of it. Discord's limits: a 45-character title and labels, 100-character
placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord

from bot.forms import FORMS, FieldStyle, FormSpec
from bot.i18n import Catalogs

__all__ = ["FORM_PREFIX", "form_modal", "submitted_values"]

FORM_PREFIX = "form:"
TITLE_LIMIT = 45
LABEL_LIMIT = 45
PLACEHOLDER_LIMIT = 100
MODAL_TIMEOUT = 15 * 60.0  # an interaction token lives 15 minutes
_TEXT_INPUT = 4


def form_modal(
    catalogs: Catalogs, form: FormSpec, lang: str, values: Mapping[str, str] | None = None
) -> discord.ui.Modal:
    """The form in `lang`, filled with the current `values` (what an edit starts from),
    to send with `interaction.response.send_modal`."""
    values = values or {}
    modal = discord.ui.Modal(
        title=catalogs.t(lang, form.title_key)[:TITLE_LIMIT],
        timeout=MODAL_TIMEOUT,
        custom_id=f"{FORM_PREFIX}{form.name}",
    )
    for field in form.fields:
        modal.add_item(
            discord.ui.TextInput(
                label=catalogs.t(lang, field.label_key)[:LABEL_LIMIT],
                custom_id=field.key,
                placeholder=catalogs.t(lang, field.placeholder_key)[:PLACEHOLDER_LIMIT],
                style=(
                    discord.TextStyle.paragraph
                    if field.style is FieldStyle.PARAGRAPH
                    else discord.TextStyle.short
                ),
                required=field.required,
                max_length=field.max_length,
                default=values.get(field.key, "")[: field.max_length] or None,
            )
        )
    return modal


def _inputs(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The text inputs of a submission, in action rows or labels alike."""
    found = []
    for component in components:
        if component.get("type") == _TEXT_INPUT:
            found.append(component)
        found += _inputs(list(component.get("components") or []))
        inner = component.get("component")
        if isinstance(inner, dict):
            found += _inputs([inner])
    return found


def submitted_values(data: dict[str, Any]) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """(form name, values of its fields) of a modal submission; None for another modal."""
    custom_id = str(data.get("custom_id", ""))
    form = FORMS.get(custom_id.removeprefix(FORM_PREFIX))
    if not custom_id.startswith(FORM_PREFIX) or form is None:
        return None
    keys = {f.key for f in form.fields}
    values = {
        str(c.get("custom_id")): str(c.get("value") or "")
        for c in _inputs(list(data.get("components") or []))
        if c.get("custom_id") in keys
    }
    return form.name, tuple((f.key, values.get(f.key, "")) for f in form.fields)
