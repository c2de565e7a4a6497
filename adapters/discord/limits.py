"""Discord's message and component limits, checked here since the library does not.

Text over 2,000 characters is split on lines (the Telegram adapter's splitter,
which counts UTF-16 units: never more than Discord's count). A keyboard becomes
rows of at most 5 buttons, 5 rows (25 buttons) per message (a keyboard of more
rows but at most 25 buttons is repacked in rows of 5); more buttons go in further
messages. Labels are cut to 80 characters; a custom id over 100 is an error. A card's
embed keeps within its limits: a 256-character title, 25 fields of 256-character names
and 1,024-character values, a 4,096-character description, 6,000 characters in all.
"""

from __future__ import annotations

import re

import discord

from adapters.telegram.formatting import split_text as _split_text
from bot.events import Button, Card, CardField, Keyboard
from bot.ports import DeliveryError

__all__ = [
    "BUTTONS_PER_ROW",
    "CUSTOM_ID_LIMIT",
    "LABEL_LIMIT",
    "ROWS_PER_MESSAGE",
    "TEXT_LIMIT",
    "as_plain_text",
    "button_pages",
    "fit_card",
    "split_text",
]

TEXT_LIMIT = 2000
BUTTONS_PER_ROW = 5
ROWS_PER_MESSAGE = 5
LABEL_LIMIT = 80
CUSTOM_ID_LIMIT = 100
EMBED_TITLE_LIMIT = 256
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELDS_LIMIT = 25
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_TOTAL_LIMIT = 6000
_MASS_MENTION = re.compile(r"@(everyone|here)")


def split_text(text: str) -> list[str]:
    """Parts of at most 2,000 characters, cut between lines."""
    return _split_text(text, TEXT_LIMIT)


def as_plain_text(text: str) -> str:
    """The core's texts are plain, as on Telegram: Markdown that a name, a comment or a
    mission title typed by someone would trigger (`[lien](https://…)`, `# titre`, `**`) is
    escaped, and `@everyone` / `@here` shown as typed but never read as a ping (a
    zero-width space after the @; allowed mentions are off anyway)."""
    return _MASS_MENTION.sub("@\u200b\\1", discord.utils.escape_markdown(text))


def _label(button: Button) -> str:
    label = button.label.strip() or "·"
    return label if len(label) <= LABEL_LIMIT else label[: LABEL_LIMIT - 1] + "…"


def button_pages(buttons: Keyboard) -> list[list[list[tuple[str, str]]]]:
    """The keyboard as messages of rows of (label, custom id), within Discord's limits."""
    rows: list[list[tuple[str, str]]] = []
    for row in buttons:
        for start in range(0, len(row), BUTTONS_PER_ROW):
            chunk = row[start : start + BUTTONS_PER_ROW]
            for button in chunk:
                if not button.data or len(button.data) > CUSTOM_ID_LIMIT:
                    raise DeliveryError(f"button data not 1 to {CUSTOM_ID_LIMIT} characters")
            if chunk:
                rows.append([(_label(b), b.data) for b in chunk])
    buttons_count = sum(len(row) for row in rows)
    if len(rows) > ROWS_PER_MESSAGE and buttons_count <= ROWS_PER_MESSAGE * BUTTONS_PER_ROW:
        # Too many rows for one message but few enough buttons: keep them together.
        flat = [button for row in rows for button in row]
        rows = [flat[i : i + BUTTONS_PER_ROW] for i in range(0, len(flat), BUTTONS_PER_ROW)]
    return [rows[i : i + ROWS_PER_MESSAGE] for i in range(0, len(rows), ROWS_PER_MESSAGE)]


def _cut(text: str, limit: int) -> str:
    text = text.strip() or "·"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fit_card(card: Card) -> Card:
    """The card within an embed's limits (what does not fit is cut, with "…")."""
    title = _cut(as_plain_text(card.title), EMBED_TITLE_LIMIT)
    note = as_plain_text(card.note)[:EMBED_DESCRIPTION_LIMIT]
    budget = EMBED_TOTAL_LIMIT - len(title) - len(note)
    fields = []
    for field in card.fields[:FIELDS_LIMIT]:
        name = _cut(as_plain_text(field.name), FIELD_NAME_LIMIT)
        value = _cut(as_plain_text(field.value), FIELD_VALUE_LIMIT)
        budget -= len(name) + len(value)
        if budget < 0:
            break
        fields.append(CardField(name, value))
    return Card(title, tuple(fields), note)
