"""Text as Telegram takes it: HTML-escaped, measured in UTF-16 units, split to fit."""

from __future__ import annotations

import html
from collections.abc import Iterator

__all__ = [
    "ANSWER_LIMIT",
    "CAPTION_LIMIT",
    "TEXT_LIMIT",
    "escape",
    "split_text",
    "telegram_length",
]

TEXT_LIMIT = 4096  # a message, after entities are parsed
CAPTION_LIMIT = 1024  # a photo's or a document's caption
ANSWER_LIMIT = 200  # the note shown when a button press is answered


def escape(text: str) -> str:
    """Plain text as HTML that shows exactly that text (the core never sends markup)."""
    return html.escape(text, quote=False)


def telegram_length(text: str) -> int:
    """The length Telegram counts: UTF-16 code units (an emoji often counts two)."""
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def _cut_line(line: str, limit: int) -> Iterator[str]:
    """A line longer than `limit`, cut at spaces where possible."""
    while telegram_length(line) > limit:
        end = _fitting_prefix(line, limit)
        space = line.rfind(" ", 0, end + 1)
        if space > end // 2:
            yield line[:space]
            line = line[space + 1 :]
        else:
            yield line[:end]
            line = line[end:]
    yield line


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Parts of at most `limit` units, cut between lines (blank lines at the cuts dropped)."""
    if telegram_length(text) <= limit:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        for piece in _cut_line(line, limit):
            length = telegram_length(piece)
            if current and size + 1 + length > limit:
                parts.append("\n".join(current))
                current, size = [], 0
            size += length + (1 if current else 0)
            current.append(piece)
    parts.append("\n".join(current))
    parts = [part.strip("\n") for part in parts]  # blank lines at a cut would show as gaps
    return [part for part in parts if part.strip()] or [text[: _fitting_prefix(text, limit)]]
