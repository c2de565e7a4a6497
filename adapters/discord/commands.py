"""The slash commands Discord shows, described in French and English, synced at start-up.

Every core command with a `commands.<name>` catalog entry becomes a slash command, named
in French after the core's alias (`/aide` for `/help`), with the typed options of
`adapters.discord.options` (names, descriptions and choices from the catalogs). The
payloads are built here and synced in bulk, per server while developing
(`DISCORD_GUILD_IDS`) or globally; the adapter's interaction listener handles them,
so no command tree is kept in discord.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import discord

from adapters.discord.options import (
    ATTACHMENT_COMMANDS,
    COMMAND_OPTIONS,
    FREE_TEXT,
    NO_OPTIONS,
    Option,
)
from bot.i18n import LANGUAGES, Catalogs
from bot.router import Router

__all__ = ["DISCORD_LOCALES", "command_payloads", "option_payload", "sync_commands"]

_log = logging.getLogger(__name__)

DESCRIPTION_LIMIT = 100
NAME_LIMIT = 32
CHOICE_NAME_LIMIT = 100
CHOICES_LIMIT = 25
# Discord's locales for the catalog's languages.
DISCORD_LOCALES: dict[str, tuple[str, ...]] = {"fr": ("fr",), "en": ("en-US", "en-GB")}
_DM_AND_SERVERS = [0, 1]  # interaction contexts: servers and the bot's private chats


def _localised(catalogs: Catalogs, key: str, limit: int) -> dict[str, str]:
    return {
        locale: catalogs.t(language, key)[:limit]
        for language in LANGUAGES
        for locale in DISCORD_LOCALES.get(language, ())
    }


def _option_name(catalogs: Catalogs, option: Option) -> dict[str, str]:
    """Discord names are lowercase words: the catalogs' names, made to fit."""
    names = _localised(catalogs, f"options.{option.name}_name", NAME_LIMIT)
    return {locale: name.lower().replace(" ", "_") for locale, name in names.items()}


def option_payload(catalogs: Catalogs, option: Option, default_language: str) -> dict[str, Any]:
    """One option as Discord's command payload describes it."""
    key = option.describe or f"options.{option.name}"
    payload: dict[str, Any] = {
        "type": int(option.kind),
        "name": option.name,
        "name_localizations": _option_name(catalogs, option),
        "description": catalogs.t(default_language, key)[:DESCRIPTION_LIMIT],
        "description_localizations": _localised(catalogs, key, DESCRIPTION_LIMIT),
        "required": option.required,
    }
    if option.max_length is not None:
        payload["max_length"] = option.max_length
    if option.min_value is not None:
        payload["min_value"] = option.min_value
    if option.max_value is not None:
        payload["max_value"] = option.max_value
    if option.autocomplete:
        payload["autocomplete"] = True
    if option.choices:
        payload["choices"] = [
            {
                "name": (catalogs.t(default_language, c.label_key) if c.label_key else c.value)[
                    :CHOICE_NAME_LIMIT
                ],
                "name_localizations": (
                    _localised(catalogs, c.label_key, CHOICE_NAME_LIMIT) if c.label_key else {}
                ),
                "value": c.value,
            }
            for c in option.choices
        ]
    return payload


def command_payloads(
    catalogs: Catalogs, router: Router, default_language: str
) -> list[dict[str, Any]]:
    """The application commands to register, one per described core command."""
    # The core's aliases are its French names (/aide for /help): Discord shows them to
    # French users, and still sends the command's own name.
    french = {name: alias for alias, name in sorted(router.aliases.items(), reverse=True)}
    names = set(router.commands)
    if router.file_shared is not None:
        names |= ATTACHMENT_COMMANDS  # a file with the caption `/import` on Telegram
    payloads = []
    for name in sorted(names):
        key = f"commands.{name}"
        if key not in catalogs.keys(default_language):
            _log.info("/%s has no %s in the catalogs: not offered as a slash command", name, key)
            continue
        options = () if name in NO_OPTIONS else COMMAND_OPTIONS.get(name, (FREE_TEXT,))
        payloads.append(
            {
                "name": name,
                "name_localizations": {"fr": french[name]} if name in french else {},
                "type": 1,
                "description": catalogs.t(default_language, key)[:DESCRIPTION_LIMIT],
                "description_localizations": _localised(catalogs, key, DESCRIPTION_LIMIT),
                "contexts": _DM_AND_SERVERS,
                "options": [option_payload(catalogs, o, default_language) for o in options],
            }
        )
    return payloads


async def sync_commands(
    client: discord.Client,
    catalogs: Catalogs,
    router: Router,
    default_language: str,
    guild_ids: Sequence[int],
) -> None:
    """Replace the application's commands (per server if `guild_ids`); a failure is logged,
    the bot then works with the commands registered before."""
    assert client.application_id is not None
    payloads = command_payloads(catalogs, router, default_language)
    try:
        if guild_ids:
            for guild_id in guild_ids:
                await client.http.bulk_upsert_guild_commands(
                    client.application_id, guild_id, payloads
                )
        else:
            await client.http.bulk_upsert_global_commands(client.application_id, payloads)
    except discord.HTTPException as exc:
        _log.warning("could not sync the slash commands: %s %s", exc.status, exc.text)
