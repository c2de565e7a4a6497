"""Telegram as a platform of the running bot: python-telegram-bot under the bot's task group.

The PTB `Application` is started with `async with application` and `start()`, and
fed by long polling (default) or a webhook; it never owns the event loop. Updates
are handled one at a time, in order. Each update id is recorded before the update
is handled, so an update Telegram delivers again after a restart is skipped: an
update is handled at most once.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder, BaseRateLimiter, TypeHandler

from adapters.telegram.commands import register_commands
from adapters.telegram.convert import BotBlocked, ChatAdmins, ChatMoved, UpdateReader
from adapters.telegram.limits import telegram_rate_limiter
from adapters.telegram.outlet import PLATFORM, TelegramOutlet
from bot.config import ConfigError, Settings
from bot.core import Core
from bot.events import AnswerButton
from bot.ports import DeliveryError

__all__ = ["ALLOWED_UPDATES", "TelegramPlatform", "api_urls"]

_log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
DEFAULT_API = "https://api.telegram.org"
# Telegram keeps undelivered updates for 24 hours: an older record cannot see a replay.
REPLAY_WINDOW = timedelta(hours=24)
_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{30,100}")

_App = Application[Any, Any, Any, Any, Any, Any]


def api_urls(base_url: str | None) -> tuple[str, str]:
    """The Bot API and file URLs (the token is appended) for a server root such as
    `http://127.0.0.1:8081`; a root given with its `/bot` suffix is accepted too."""
    root = (base_url or DEFAULT_API).rstrip("/").removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"


class TelegramPlatform:
    """One Telegram bot, from `TELEGRAM_TOKEN` and the `TELEGRAM_*` settings."""

    name = PLATFORM

    def __init__(
        self,
        settings: Settings,
        *,
        rate_limiter: BaseRateLimiter[int] | None = None,
        poll_timeout: float = 30.0,
        retry_delays: Sequence[float] = (1.0, 3.0, 10.0),
        admin_ttl: float = 60.0,
        on_handled: Callable[[int], None] | None = None,
    ) -> None:
        """`on_handled(update_id)` is called after each update is handled or skipped."""
        if not settings.telegram_token or not _TOKEN.fullmatch(settings.telegram_token):
            raise ConfigError(
                "TELEGRAM_TOKEN: not a bot token from @BotFather "
                "(it looks like 123456789:AAH... with 30 or more characters after the colon)"
            )
        if settings.telegram_webhook_url and not settings.telegram_webhook_secret:
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET: required with TELEGRAM_WEBHOOK_URL, "
                "so that only Telegram can post updates to the bot"
            )
        if settings.telegram_webhook_secret and not settings.telegram_webhook_url:
            raise ConfigError(
                "TELEGRAM_WEBHOOK_URL: not set, but TELEGRAM_WEBHOOK_SECRET is; "
                "set the URL for webhook mode, or remove the secret to poll"
            )
        self._settings = settings
        self._token = settings.telegram_token
        self._rate_limiter = rate_limiter
        self._poll_timeout = poll_timeout
        self._retry_delays = tuple(retry_delays)
        self._admin_ttl = admin_ttl
        self._on_handled = on_handled

    @property
    def uses_webhook(self) -> bool:
        return self._settings.telegram_webhook_url is not None

    def _application(self) -> _App:
        api, files = api_urls(self._settings.telegram_api_base_url)
        return (
            ApplicationBuilder()
            .token(self._token)
            .base_url(api)
            .base_file_url(files)
            .rate_limiter(self._rate_limiter or telegram_rate_limiter())
            .concurrent_updates(False)
            .build()
        )

    async def run(self, core: Core, stop: asyncio.Event) -> None:
        """Attach the outlet, receive updates until `stop` is set, then stop cleanly."""
        application = self._application()
        try:
            async with application:
                await self._serve(application, core, stop)
        except InvalidToken:
            _log.critical("Telegram refused TELEGRAM_TOKEN: check it with @BotFather")
            raise
        except NetworkError as exc:
            _log.critical("the Telegram Bot API could not be reached: %s", exc.message)
            raise

    async def _serve(self, application: _App, core: Core, stop: asyncio.Event) -> None:
        bot = application.bot
        outlet = TelegramOutlet(bot, username=bot.username, retry_delays=self._retry_delays)
        reader = UpdateReader(bot.bot, ChatAdmins(bot, ttl=self._admin_ttl))
        services = core.services
        await register_commands(bot, services.catalogs, core.router, services.settings.language)
        application.add_handler(
            TypeHandler(Update, _Handler(core, outlet, reader, self._on_handled))
        )
        application.add_error_handler(_log_error)
        core.attach(outlet)
        try:
            await application.start()
            await self._receive(application)
            _log.info("Telegram bot @%s is running", bot.username)
            await stop.wait()
        finally:
            updater = application.updater
            if updater is not None and updater.running:
                await updater.stop()
            if application.running:
                await application.stop()  # handles the updates already received
            outlet.close()
            if core.outlets.get(PLATFORM) is outlet:
                core.detach(PLATFORM)  # what is still due waits in the outbox
            _log.info("Telegram bot @%s stopped", bot.username)

    async def _receive(self, application: _App) -> None:
        updater = application.updater
        assert updater is not None
        settings = self._settings
        if settings.telegram_webhook_url is None:
            await updater.start_polling(
                timeout=timedelta(seconds=self._poll_timeout),
                allowed_updates=list(ALLOWED_UPDATES),
                drop_pending_updates=False,
                bootstrap_retries=3,
                error_callback=_polling_error,
            )
            return
        # One connection at a time: Telegram then delivers updates in order.
        await updater.start_webhook(
            listen=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
            url_path=urlsplit(settings.telegram_webhook_url).path or "/",
            webhook_url=settings.telegram_webhook_url,
            secret_token=settings.telegram_webhook_secret,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=False,
            max_connections=1,
            bootstrap_retries=3,
        )


class _Handler:
    """Handles one update: skip a replay, read it, hand the events to the core."""

    def __init__(
        self,
        core: Core,
        outlet: TelegramOutlet,
        reader: UpdateReader,
        on_handled: Callable[[int], None] | None,
    ) -> None:
        self._core = core
        self._outlet = outlet
        self._reader = reader
        self._on_handled = on_handled

    async def __call__(self, update: Update, _context: object) -> None:
        try:
            if await self._first_time(update.update_id):
                await self._handle(update)
            else:
                _log.info("update %d was handled before a restart; skipped", update.update_id)
        finally:
            if self._on_handled is not None:
                self._on_handled(update.update_id)

    async def _first_time(self, update_id: int) -> bool:
        services = self._core.services
        async with services.store.transaction() as tx:
            return await tx.offsets.claim(
                PLATFORM, update_id, now=services.clock(), replay_window=REPLAY_WINDOW
            )

    async def _handle(self, update: Update) -> None:
        incoming = await self._reader.read(update)
        for item in incoming:
            match item:
                case ChatMoved():
                    await self._move_chat(item)
                case BotBlocked():
                    async with self._core.services.store.transaction() as tx:
                        await tx.people.mark_unreachable(PLATFORM, item.user_id)
                case _:
                    await self._core.handle(item)
        query = update.callback_query
        if query is not None and not incoming:  # a press the core will not see: stop the spinner
            try:
                await self._outlet.perform(AnswerButton(query.id))
            except DeliveryError as exc:
                _log.info("could not answer button press %s: %s", query.id, exc)

    async def _move_chat(self, moved: ChatMoved) -> None:
        async with self._core.services.store.transaction() as tx:
            if await tx.orgs.chat_space(PLATFORM, moved.new_chat_id) is not None:
                if await tx.orgs.chat_space(PLATFORM, moved.old_chat_id) is not None:
                    _log.warning(
                        "group %s became supergroup %s, which already has an organisation; "
                        "the old group's organisation is left as it is",
                        moved.old_chat_id,
                        moved.new_chat_id,
                    )
                return
            if await tx.orgs.move_chat_space(PLATFORM, moved.old_chat_id, moved.new_chat_id):
                _log.info("group %s is now supergroup %s", moved.old_chat_id, moved.new_chat_id)


def _polling_error(exc: TelegramError) -> None:
    if isinstance(exc, Conflict):
        _log.error("another process is receiving this bot's updates: %s", exc.message)
    else:
        _log.warning("could not fetch updates from Telegram (%s); retrying", exc.message)


async def _log_error(update: object, context: Any) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    _log.error("update %s could not be handled", update_id, exc_info=context.error)
