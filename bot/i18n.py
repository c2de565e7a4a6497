"""Message catalogs (French first, English too) and date formatting per language."""

from __future__ import annotations

import json
import string
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["LANGUAGES", "Catalogs", "language_from_locale"]

LANGUAGES = ("fr", "en")


def language_from_locale(locale: str | None, default: str = "fr") -> str:
    """'fr-FR' -> 'fr', 'en_GB' -> 'en'; anything else -> `default`."""
    if not locale:
        return default
    short = locale.replace("_", "-").split("-")[0].lower()
    return short if short in LANGUAGES else default


class Catalogs:
    """All user-facing text, by language and key; placeholders use ``{name}``."""

    def __init__(self, messages: dict[str, dict[str, str]]) -> None:
        self._messages = messages

    @classmethod
    @cache
    def load(cls) -> Catalogs:
        messages = {}
        for lang in LANGUAGES:
            text = (files("bot") / "locales" / f"{lang}.json").read_text(encoding="utf-8")
            messages[lang] = json.loads(text)
        return cls(messages)

    def keys(self, lang: str) -> set[str]:
        return set(self._messages[lang])

    def raw(self, lang: str, key: str) -> str:
        return self._messages[lang if lang in self._messages else "fr"][key]

    def t(self, lang: str, key: str, /, **params: Any) -> str:
        """The message `key` in `lang`, with `params` filled in."""
        template = self.raw(lang, key)
        return string.Formatter().vformat(template, (), params) if params else template

    def placeholders(self, lang: str, key: str) -> set[str]:
        return {
            name
            for _, name, _, _ in string.Formatter().parse(self.raw(lang, key))
            if name is not None
        }

    # --- numbers -----------------------------------------------------------

    @staticmethod
    def number(lang: str, value: float, decimals: int = 1, *, trim: bool = True) -> str:
        """ "2,5" in French, "2.5" in English; `trim` drops zero decimals ("3", not "3,0")."""
        text = f"{value:.{decimals}f}"
        if trim and decimals:
            text = text.rstrip("0").rstrip(".")
        return text.replace(".", ",") if lang == "fr" else text

    # --- dates -------------------------------------------------------------

    def day_name(self, lang: str, weekday: int) -> str:
        return self.raw(lang, "date.days").split(",")[weekday]

    def date(self, lang: str, moment: datetime, tz: ZoneInfo) -> str:
        """'samedi 6 décembre' / 'Saturday 6 December'."""
        local = moment.astimezone(tz)
        return self.t(
            lang,
            "date.day",
            weekday=self.day_name(lang, local.weekday()),
            day=self.raw(lang, "date.first") if local.day == 1 else local.day,
            month=self.raw(lang, "date.months").split(",")[local.month - 1],
            year=local.year,
        )

    def time(self, moment: datetime, tz: ZoneInfo) -> str:
        return moment.astimezone(tz).strftime("%H:%M")

    def when(self, lang: str, start: datetime, end: datetime, tz: ZoneInfo) -> str:
        """'samedi 6 décembre, 14:00–17:00' (the end's date too when it is another day)."""
        day = self.date(lang, start, tz)
        if start.astimezone(tz).date() == end.astimezone(tz).date():
            return self.t(
                lang, "date.range", day=day, start=self.time(start, tz), end=self.time(end, tz)
            )
        return self.t(
            lang,
            "date.range_days",
            day=day,
            start=self.time(start, tz),
            end_day=self.date(lang, end, tz),
            end=self.time(end, tz),
        )
