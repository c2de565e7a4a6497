"""Telegram as a platform of the running bot: python-telegram-bot under the bot's task group.

The PTB `Application` is started with `async with application` and `start()`, and
fed by long polling (default) or a webhook; it never owns the event loop. Updates
are handled one at a time, in order, and Telegram hears that an update arrived (the
next `getUpdates` offset, or the webhook's answer) only once it is handled: an update
in hand when the bot dies is delivered again, never lost. Each event carries the
update id as its idempotency key, recorded by the core with the event's effects, so
an update delivered again (after a restart, or a webhook retry) has its effects once.
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
from adapters.telegram.convert import (
    BotBlocked,
    ChatAdmins,
    ChatMoved,
    DocumentSent,
    UpdateReader,
    update_source,
)
from adapters.telegram.limits import telegram_rate_limiter
from adapters.telegram.outlet import PLATFORM, TelegramOutlet
from bot.config import ConfigError, Settings
from bot.core import Core
from bot.events import AnswerButton, FileShared, SendMessage
from bot.i18n import language_from_locale
from bot.ports import DeliveryError

__all__ = ["ALLOWED_UPDATES", "TelegramPlatform", "api_urls"]

_log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
DEFAULT_API = "https://api.telegram.org"
MAX_DOCUMENT_BYTES = 1_000_000  # a volunteer list, not an archive: bigger files are refused
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
            .update_queue(_ConfirmAfterHandling())
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
        # Deep links (`https://t.me/<bot>?start=...`) the core writes into files, e.g. claim codes.
        core.services.settings.extra.setdefault("telegram_bot_username", bot.username)
        outlet = TelegramOutlet(bot, username=bot.username, retry_delays=self._retry_delays)
        reader = UpdateReader(bot.bot, ChatAdmins(bot, ttl=self._admin_ttl))
        services = core.services
        await register_commands(bot, services.catalogs, core.router, services.settings.language)
        queue = application.update_queue
        assert isinstance(queue, _ConfirmAfterHandling)
        application.add_handler(
            TypeHandler(Update, _Handler(core, outlet, reader, queue, self._on_handled))
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


class _ConfirmAfterHandling(asyncio.Queue[object]):
    """The application's update queue, where the receiver (the poller, or the webhook's
    request) waits until the update it put is handled: Telegram hears an update arrived
    only then. An update whose handling was cut short (the bot going down) is not
    confirmed; Telegram delivers it again, and the core skips what was already done."""

    def __init__(self) -> None:
        super().__init__()
        self._receipts: dict[int, tuple[Update, asyncio.Future[None]]] = {}
        self._current: object | None = None

    async def put(self, item: object) -> None:
        if not isinstance(item, Update):  # the application's stop signal
            await super().put(item)
            return
        receipt = asyncio.get_running_loop().create_future()
        self._receipts[id(item)] = (item, receipt)
        await super().put(item)
        await receipt

    async def get(self) -> object:
        item = await super().get()
        self._current = item
        return item

    def task_done(self) -> None:
        """The application is done with the update it got last: confirm it."""
        super().task_done()
        item, self._current = self._current, None
        _update, receipt = self._receipts.pop(id(item), (None, None))
        if receipt is not None and not receipt.done():
            receipt.set_result(None)

    def abandon(self, update: Update) -> None:
        """Never confirm `update`: its handling was cut short."""
        self._receipts.pop(id(update), None)


class _Handler:
    """Handles one update: read it, hand its events to the core with their keys."""

    def __init__(
        self,
        core: Core,
        outlet: TelegramOutlet,
        reader: UpdateReader,
        queue: _ConfirmAfterHandling,
        on_handled: Callable[[int], None] | None,
    ) -> None:
        self._core = core
        self._outlet = outlet
        self._reader = reader
        self._queue = queue
        self._on_handled = on_handled

    async def __call__(self, update: Update, _context: object) -> None:
        try:
            try:
                await self._handle(update)
            finally:
                if self._on_handled is not None:
                    self._on_handled(update.update_id)
        except BaseException as exc:
            if not isinstance(exc, Exception):  # cancelled, or the process is going down
                self._queue.abandon(update)
            raise

    async def _handle(self, update: Update) -> None:
        incoming = await self._reader.read(update)
        for index, item in enumerate(incoming):
            source = update_source(update.update_id, index)
            match item:
                case ChatMoved():
                    await self._move_chat(item)
                case BotBlocked():
                    async with self._core.services.store.transaction() as tx:
                        await tx.people.mark_unreachable(PLATFORM, item.user_id)
                case DocumentSent():
                    await self._document(update, item, source)
                case _:
                    await self._core.handle(item, source=source)
        query = update.callback_query
        if query is not None and not incoming:  # a press the core will not see: stop the spinner
            try:
                await self._outlet.perform(AnswerButton(query.id))
            except DeliveryError as exc:
                _log.info("could not answer button press %s: %s", query.id, exc)

    async def _document(self, update: Update, sent: DocumentSent, source: str) -> None:
        """Download a document through the Bot API and hand it to the core; refuse big ones."""
        if sent.size is not None and sent.size > MAX_DOCUMENT_BYTES:
            await self._refuse_document(sent)
            return
        try:
            file = await update.get_bot().get_file(sent.file_id)
            content = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            _log.warning("could not download document %s: %s", sent.file_id, exc.message)
            services = self._core.services
            lang = language_from_locale(sent.user.language, services.settings.language)
            text = services.catalogs.t(lang, "errors.file_download")
            await self._core.perform(PLATFORM, [SendMessage(sent.chat, text)])
            return
        if len(content) > MAX_DOCUMENT_BYTES:
            await self._refuse_document(sent)
            return
        await self._core.handle(
            FileShared(
                sent.user,
                sent.chat,
                sent.filename,
                content,
                sent.caption,
                is_chat_admin=sent.is_chat_admin,
            ),
            source=source,
        )

    async def _refuse_document(self, sent: DocumentSent) -> None:
        services = self._core.services
        lang = language_from_locale(sent.user.language, services.settings.language)
        text = services.catalogs.t(lang, "errors.file_too_big", limit=MAX_DOCUMENT_BYTES // 1000)
        await self._core.perform(PLATFORM, [SendMessage(sent.chat, text)])

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
