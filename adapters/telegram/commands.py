"""The command menus Telegram shows: one per kind of chat and role, in French and English.

Telegram picks the most specific list for each person: group administrators see
theirs (a superset of the group list), everyone else in a group sees the group
list, private chats their own. A list without a language serves every other
language, in the deployment's default language.
"""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)
from telegram.error import TelegramError

from bot.i18n import LANGUAGES, Catalogs
from bot.router import Router

__all__ = ["MENUS", "command_menus", "register_commands"]

_log = logging.getLogger(__name__)

PRIVATE = ("start", "profile", "missions", "mymissions", "language", "cancel", "help")
GROUP = ("missions", "mymissions", "coordinators", "help")
GROUP_ADMINS = (
    "mission",
    "missions",
    "mymissions",
    "coordinator",
    "coordinators",
    "cancel",
    "help",
)

MENUS: tuple[tuple[BotCommandScope, tuple[str, ...]], ...] = (
    (BotCommandScopeAllPrivateChats(), PRIVATE),
    (BotCommandScopeAllGroupChats(), GROUP),
    (BotCommandScopeAllChatAdministrators(), GROUP_ADMINS),
)


def command_menus(
    catalogs: Catalogs, router: Router, default_language: str
) -> list[tuple[BotCommandScope, str | None, list[BotCommand]]]:
    """(scope, language or None for the rest, commands) for every menu to register."""
    menus = []
    for scope, names in MENUS:
        for language in (*LANGUAGES, None):
            commands = []
            for name in names:
                if router.find_command(name) is None:
                    raise ValueError(
                        f"/{name} is in a Telegram menu but the bot has no such command"
                    )
                description = catalogs.t(language or default_language, f"commands.{name}")
                commands.append(BotCommand(name, description))
            menus.append((scope, language, commands))
    return menus


async def register_commands(
    bot: Bot, catalogs: Catalogs, router: Router, default_language: str
) -> None:
    """Register every menu; a failure is logged, the bot works without menus."""
    for scope, language, commands in command_menus(catalogs, router, default_language):
        try:
            await bot.set_my_commands(commands, scope=scope, language_code=language)
        except TelegramError as exc:
            _log.warning("could not register the %s command menu: %s", scope.type, exc.message)
            return
