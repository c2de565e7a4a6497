"""The core's actions as Bot API calls, and Telegram's errors as the port's errors.

Every text is escaped for HTML; long texts are split on line boundaries with the
buttons on the last part. Network failures are retried with backoff here; a 429
is first retried by the rate limiter, then reported as `RetryLater`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from functools import partial
from typing import TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from adapters.telegram.formatting import (
    ANSWER_LIMIT,
    CAPTION_LIMIT,
    escape,
    split_text,
    telegram_length,
)
from bot.events import (
    Action,
    AnswerButton,
    EditMessage,
    Keyboard,
    MessageRef,
    SendFile,
    SendImage,
    SendMessage,
    SendPrivate,
)
from bot.ports import DeliveryError, MessageGone, RetryLater, Unreachable

__all__ = ["PLATFORM", "TelegramOutlet"]

_log = logging.getLogger(__name__)

PLATFORM = "telegram"
CALLBACK_DATA_LIMIT = 64  # bytes
_START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")
_T = TypeVar("_T")


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the int form will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _says(exc: TelegramError, *fragments: str) -> bool:
    message = exc.message.lower()
    return any(fragment in message for fragment in fragments)


def _keyboard(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    rows = [row for row in buttons if row]
    if not rows:
        return None
    for row in rows:
        for button in row:
            if len(button.data.encode()) > CALLBACK_DATA_LIMIT:
                raise DeliveryError(
                    f"button data over {CALLBACK_DATA_LIMIT} bytes: {button.data!r}"
                )
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows]
    )


def _ref(message: Message) -> MessageRef:
    return MessageRef(PLATFORM, str(message.chat_id), str(message.message_id))


class TelegramOutlet:
    """Performs the core's actions with one bot."""

    platform = PLATFORM

    def __init__(
        self, bot: Bot, *, username: str, retry_delays: Sequence[float] = (1.0, 3.0, 10.0)
    ) -> None:
        self._bot = bot
        self._username = username
        self._retry_delays = tuple(retry_delays)
        self._closed = False

    def close(self) -> None:
        """The bot is shutting down: refuse further actions (the outbox keeps them)."""
        self._closed = True

    async def perform(self, action: Action) -> MessageRef | None:
        if self._closed:
            raise DeliveryError("the Telegram adapter has stopped")
        try:
            match action:
                case SendMessage(chat=chat, text=text, buttons=buttons, reply_to=reply_to):
                    reply = reply_to if reply_to and reply_to.chat_id == chat.chat_id else None
                    return await self._send(int(chat.chat_id), text, buttons, reply)
                case SendPrivate(user=user, text=text, buttons=buttons):
                    return await self._send_private(int(user.user_id), text, buttons)
                case EditMessage(message=ref, text=text, buttons=buttons):
                    return await self._edit(ref, text, buttons)
                case AnswerButton():
                    await self._answer(action)
                    return None
                case SendFile(chat=chat, filename=filename, content=content, caption=caption):
                    return await self._send_file(int(chat.chat_id), caption, filename, content)
                case SendImage(chat=chat, png=png, caption=caption):
                    return await self._send_file(int(chat.chat_id), caption, None, png)
                case _:
                    raise TypeError(f"unknown action {type(action).__name__}")
        except (BadRequest, ChatMigrated) as exc:
            raise DeliveryError(f"{type(action).__name__} refused: {exc.message}") from exc

    # --- calls and their failures ---------------------------------------------------

    async def _call(self, what: str, call: Callable[[], Awaitable[_T]]) -> _T:
        """One Bot API call; network failures retried with backoff, the rest mapped.
        `BadRequest` and `ChatMigrated` are left to the caller, which knows what they mean."""
        attempt = 0
        while True:
            try:
                return await call()
            except RetryAfter as exc:
                raise RetryLater(_retry_seconds(exc), f"{what}: {exc.message}") from exc
            except Forbidden as exc:
                raise Unreachable(f"{what}: {exc.message}") from exc
            except (BadRequest, ChatMigrated):
                raise
            except NetworkError as exc:  # TimedOut included
                if attempt >= len(self._retry_delays):
                    raise DeliveryError(f"{what}: {exc.message}") from exc
                delay = self._retry_delays[attempt]
                attempt += 1
                _log.info("%s failed (%s); attempt %d in %.1fs", what, exc.message, attempt, delay)
                await asyncio.sleep(delay)
            except TelegramError as exc:
                raise DeliveryError(f"{what}: {exc.message}") from exc

    # --- messages --------------------------------------------------------------------

    async def _send(
        self, chat_id: int, text: str, buttons: Keyboard, reply_to: MessageRef | None = None
    ) -> MessageRef:
        """Send `text` in as many parts as it needs; the buttons go on the last part."""
        markup = _keyboard(buttons)
        parts = split_text(text)
        message: Message | None = None
        for index, part in enumerate(parts):
            reply = (
                ReplyParameters(int(reply_to.message_id), allow_sending_without_reply=True)
                if reply_to is not None and index == 0
                else None
            )
            keyboard = markup if index == len(parts) - 1 else None
            try:
                message = await self._call(
                    "sendMessage", partial(self._send_part, chat_id, part, keyboard, reply)
                )
            except ChatMigrated as exc:  # the group became a supergroup: it has a new id
                chat_id = int(exc.new_chat_id)
                _log.info("chat migrated; sending to %s instead", chat_id)
                message = await self._call(
                    "sendMessage", partial(self._send_part, chat_id, part, keyboard, reply)
                )
        assert message is not None
        return _ref(message)

    async def _send_part(
        self,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None,
        reply: ReplyParameters | None,
    ) -> Message:
        return await self._bot.send_message(
            chat_id,
            escape(text),
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            reply_parameters=reply,
        )

    async def _send_private(self, user_id: int, text: str, buttons: Keyboard) -> MessageRef:
        try:
            return await self._send(user_id, text, buttons)
        except BadRequest as exc:
            if _says(exc, "chat not found"):  # the person never opened a chat with the bot
                raise Unreachable(f"sendMessage: {exc.message}") from exc
            raise

    async def _edit(self, ref: MessageRef, text: str, buttons: Keyboard) -> MessageRef:
        parts = split_text(text)
        if len(parts) > 1:
            _log.warning("edited text too long for one message; only its start is shown")
        try:
            await self._call(
                "editMessageText",
                lambda: self._bot.edit_message_text(
                    escape(parts[0]),
                    chat_id=int(ref.chat_id),
                    message_id=int(ref.message_id),
                    parse_mode=ParseMode.HTML,
                    reply_markup=_keyboard(buttons),
                ),
            )
        except BadRequest as exc:
            if _says(exc, "message is not modified"):
                return ref
            if _says(exc, *_GONE):
                raise MessageGone(exc.message) from exc
            raise
        except ChatMigrated as exc:  # the message stayed in the old group
            raise MessageGone(f"chat migrated to {exc.new_chat_id}") from exc
        return ref

    async def _answer(self, action: AnswerButton) -> None:
        text = action.text[:ANSWER_LIMIT] if action.text else None
        url = None
        if action.private_start is not None:
            if _START_PAYLOAD.fullmatch(action.private_start):
                url = f"https://t.me/{self._username}?start={action.private_start}"
            else:
                _log.warning(
                    "deep-link payload %r is not allowed by Telegram", action.private_start
                )
        try:
            await self._call(
                "answerCallbackQuery",
                lambda: self._bot.answer_callback_query(
                    action.press_id, text=text, show_alert=action.alert, url=url
                ),
            )
        except BadRequest as exc:
            if not _says(exc, "query is too old", "query id is invalid"):
                raise
            _log.info("button press %s answered too late: %s", action.press_id, exc.message)

    async def _send_file(
        self, chat_id: int, caption: str, filename: str | None, content: bytes
    ) -> MessageRef:
        """A document (`filename` given) or a photo; a caption too long for one goes after."""
        fits = telegram_length(caption) <= CAPTION_LIMIT
        shown = escape(caption) if caption and fits else None

        async def upload() -> Message:
            if filename is None:
                return await self._bot.send_photo(
                    chat_id, content, caption=shown, parse_mode=ParseMode.HTML
                )
            return await self._bot.send_document(
                chat_id, content, filename=filename, caption=shown, parse_mode=ParseMode.HTML
            )

        message = await self._call("sendPhoto" if filename is None else "sendDocument", upload)
        if caption and not fits:
            await self._send(chat_id, caption, ())
        return _ref(message)
