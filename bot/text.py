"""Checks on free text people type: length, control characters, blank input."""

from __future__ import annotations

import re
import unicodedata

from bot.context import UserError

__all__ = ["clean_line", "clean_paragraph", "parse_count"]

_SPACES = re.compile(r"[ \t\u00a0]+")


def _has_control(text: str, allow_newlines: bool) -> bool:
    for char in text:
        if allow_newlines and char == "\n":
            continue
        category = unicodedata.category(char)
        # Cc: control characters. Bidi marks and zero-width joiners (Cf) are legitimate.
        if category == "Cc":
            return True
    return False


def clean_line(text: str, *, max_len: int, what: str) -> str:
    """One line of text (a title, a place): trimmed, within `max_len`, no control characters."""
    text = _SPACES.sub(" ", text.strip())
    if not text:
        raise UserError("errors.empty", what=what)
    if _has_control(text, allow_newlines=False):
        raise UserError("errors.control_chars", what=what)
    if len(text) > max_len:
        raise UserError("errors.field_too_long", what=what, limit=max_len, length=len(text))
    return text


def clean_paragraph(text: str, *, max_len: int, what: str) -> str:
    """Free text that may span lines (a description)."""
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.strip().splitlines())
    if _has_control(text.replace("\r", ""), allow_newlines=True):
        raise UserError("errors.control_chars", what=what)
    if len(text) > max_len:
        raise UserError("errors.field_too_long", what=what, limit=max_len, length=len(text))
    return text


def parse_count(text: str, *, low: int, high: int, what: str) -> int:
    text = text.strip()
    if not re.fullmatch(r"\d{1,4}", text):
        raise UserError("errors.not_a_number", what=what, low=low, high=high)
    value = int(text)
    if not low <= value <= high:
        raise UserError("errors.not_a_number", what=what, low=low, high=high)
    return value
