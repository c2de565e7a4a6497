"""The slash commands Discord shows, described in French and English, synced at start-up.

Every core command with a `commands.<name>` catalog entry becomes a slash command
with one optional text option (what would follow the command on Telegram), named in
French after the core's alias (`/aide` for `/help`). The
payloads are built here and synced in bulk, per server while developing
(`DISCORD_GUILD_IDS`) or globally; the adapter's interaction listener handles them,
so no command tree is kept in discord.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import discord

from adapters.discord.autocomplete import MISSION_ID_COMMANDS
from bot.i18n import LANGUAGES, Catalogs
from bot.router import Router

__all__ = ["DISCORD_LOCALES", "OPTION", "command_payloads", "sync_commands"]

_log = logging.getLogger(__name__)

OPTION = "text"
DESCRIPTION_LIMIT = 100
# Discord's locales for the catalog's languages.
DISCORD_LOCALES: dict[str, tuple[str, ...]] = {"fr": ("fr",), "en": ("en-US", "en-GB")}
_DM_AND_SERVERS = [0, 1]  # interaction contexts: servers and the bot's private chats


def _described(catalogs: Catalogs, key: str) -> dict[str, str]:
    return {
        locale: catalogs.t(language, key)[:DESCRIPTION_LIMIT]
        for language in LANGUAGES
        for locale in DISCORD_LOCALES.get(language, ())
    }


def _names(catalogs: Catalogs, key: str) -> dict[str, str]:
    return {
        locale: catalogs.t(language, key)
        for language in LANGUAGES
        for locale in DISCORD_LOCALES.get(language, ())
    }


def command_payloads(
    catalogs: Catalogs, router: Router, default_language: str
) -> list[dict[str, Any]]:
    """The application commands to register, one per described core command."""
    # The core's aliases are its French names (/aide for /help): Discord shows them to
    # French users, and still sends the command's own name.
    french = {name: alias for alias, name in sorted(router.aliases.items(), reverse=True)}
    payloads = []
    for name in sorted(router.commands):
        key = f"commands.{name}"
        if key not in catalogs.keys(default_language):
            _log.info("/%s has no %s in the catalogs: not offered as a slash command", name, key)
            continue
        payloads.append(
            {
                "name": name,
                "name_localizations": {"fr": french[name]} if name in french else {},
                "type": 1,
                "description": catalogs.t(default_language, key)[:DESCRIPTION_LIMIT],
                "description_localizations": _described(catalogs, key),
                "contexts": _DM_AND_SERVERS,
                "options": [
                    {
                        "type": 3,
                        "name": OPTION,
                        "name_localizations": _names(catalogs, "commands.option_name"),
                        "description": catalogs.t(default_language, "commands.option"),
                        "description_localizations": _described(catalogs, "commands.option"),
                        "required": False,
                        "max_length": 4000,
                        "autocomplete": name in MISSION_ID_COMMANDS,
                    }
                ],
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
