"""The core's actions as Discord REST calls, and Discord's errors as the port's errors.

Messages go through the REST layer directly (not `Messageable.send`), so discord.py
never stores a view: every button press reaches the adapter's one interaction
listener, before and after a restart alike. Button answers are ephemeral follow-ups
to the interaction the press deferred.
"""

from __future__ import annotations

import io
import logging
from collections import OrderedDict
from typing import Any

import discord
from discord.http import handle_message_parameters

from adapters.discord.limits import as_plain_text, button_pages, fit_card, split_text
from bot.events import (
    Action,
    AnswerButton,
    Card,
    ChatRef,
    EditMessage,
    Keyboard,
    MessageRef,
    SendFile,
    SendImage,
    SendMessage,
    SendPrivate,
)
from bot.ports import DeliveryError, MessageGone, RetryLater, Unreachable

__all__ = ["PLATFORM", "DiscordOutlet", "embed_of", "view_of"]

_log = logging.getLogger(__name__)

PLATFORM = "discord"
PENDING_LIMIT = 500  # interactions remembered for their answers
_NO_MENTIONS = discord.AllowedMentions.none()
_UNKNOWN_MESSAGE = 10008
_UNKNOWN_CHANNEL = 10003


def view_of(rows: list[list[tuple[str, str]]]) -> discord.ui.View | None:
    """A view to render once (never stored by discord.py): rows of (label, custom id)."""
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for number, row in enumerate(rows):
        for label, custom_id in row:
            view.add_item(
                discord.ui.Button(
                    label=label,
                    custom_id=custom_id,
                    style=discord.ButtonStyle.secondary,
                    row=number,
                )
            )
    return view


def embed_of(card: Card) -> discord.Embed:
    """A card as an embed: its title, its fields side by side, its state line below."""
    card = fit_card(card)
    embed = discord.Embed(title=card.title, description=card.note or None)
    for field in card.fields:
        embed.add_field(name=field.name, value=field.value, inline=True)
    return embed


class DiscordOutlet:
    """Performs the core's actions with one logged-in client."""

    platform = PLATFORM

    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._dm_channels: dict[str, int] = {}
        self._interactions: OrderedDict[str, discord.Interaction[Any]] = OrderedDict()
        self.private_starts: list[tuple[str, str]] = []  # (user id, payload) to play after
        self._closed = False

    def close(self) -> None:
        """The bot is shutting down: refuse further actions (the outbox keeps them)."""
        self._closed = True

    def remember(self, interaction: discord.Interaction[Any]) -> None:
        """Keep a deferred interaction so `AnswerButton` can follow it up."""
        self._interactions[str(interaction.id)] = interaction
        while len(self._interactions) > PENDING_LIMIT:
            self._interactions.popitem(last=False)

    async def perform(self, action: Action) -> MessageRef | None:
        if self._closed:
            raise DeliveryError("the Discord adapter has stopped")
        try:
            match action:
                case SendMessage(chat=chat, text=text, buttons=buttons, reply_to=reply_to):
                    channel_id = await self._channel(chat)
                    reply = reply_to if reply_to and reply_to.chat_id == str(channel_id) else None
                    if action.card is not None:
                        return await self._send_card(channel_id, action.card, buttons, reply)
                    return await self._send(channel_id, text, buttons, reply)
                case SendPrivate(user=user, text=text, buttons=buttons):
                    return await self._send(await self._dm(user.user_id), text, buttons)
                case EditMessage(message=ref, text=text, buttons=buttons, card=card):
                    return await self._edit(ref, text, buttons, card)
                case AnswerButton():
                    await self._answer(action)
                    return None
                case SendFile(chat=chat, filename=filename, content=content, caption=caption):
                    return await self._send_file(chat, filename, content, caption)
                case SendImage(chat=chat, png=png, caption=caption):
                    return await self._send_file(chat, "image.png", png, caption)
                case _:
                    raise TypeError(f"unknown action {type(action).__name__}")
        except discord.Forbidden as exc:
            raise Unreachable(f"{type(action).__name__}: {exc.text}") from exc
        except discord.RateLimited as exc:
            raise RetryLater(exc.retry_after, str(exc)) from exc
        except discord.HTTPException as exc:
            raise DeliveryError(
                f"{type(action).__name__} refused: {exc.status} {exc.text}"
            ) from exc

    # --- channels --------------------------------------------------------------------

    async def _dm(self, user_id: str) -> int:
        """The private channel with a person (created once, then remembered)."""
        known = self._dm_channels.get(user_id)
        if known is None:
            data = await self._client.http.start_private_message(int(user_id))
            known = self._dm_channels[user_id] = int(data["id"])
        return known

    async def _channel(self, chat: ChatRef) -> int:
        """Private chats are named after their person; a group is a server channel."""
        return await self._dm(chat.chat_id) if chat.is_private else int(chat.chat_id)

    # --- messages --------------------------------------------------------------------

    async def _post(
        self,
        channel_id: int,
        content: str | None,
        rows: list[list[tuple[str, str]]],
        reply_to: MessageRef | None = None,
        files: list[discord.File] | None = None,
        embed: discord.Embed | None = None,
    ) -> MessageRef:
        reference = (
            discord.MessageReference(
                message_id=int(reply_to.message_id),
                channel_id=channel_id,
                fail_if_not_exists=False,
            ).to_message_reference_dict()
            if reply_to is not None
            else None
        )
        with handle_message_parameters(
            content=as_plain_text(content) if content else None,
            view=view_of(rows),
            allowed_mentions=_NO_MENTIONS,
            message_reference=reference or discord.utils.MISSING,
            files=files or discord.utils.MISSING,
            embed=embed if embed is not None else discord.utils.MISSING,
        ) as params:
            data = await self._client.http.send_message(channel_id, params=params)
        return MessageRef(PLATFORM, str(data["channel_id"]), str(data["id"]))

    async def _send(
        self, channel_id: int, text: str, buttons: Keyboard, reply_to: MessageRef | None = None
    ) -> MessageRef:
        """Send `text` in as many parts as it needs; the buttons go on the last part (and
        messages of their own beyond 25). Returns the part with the first buttons."""
        parts = split_text(as_plain_text(text))
        pages = button_pages(buttons)
        ref: MessageRef | None = None
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            ref = await self._post(
                channel_id,
                part,
                pages[0] if last and pages else [],
                reply_to if index == 0 else None,
            )
        assert ref is not None
        for page in pages[1:]:
            await self._post(channel_id, None, page)
        return ref

    async def _send_card(
        self, channel_id: int, card: Card, buttons: Keyboard, reply_to: MessageRef | None
    ) -> MessageRef:
        """A card as one embed, with its first 25 buttons (a card has three)."""
        pages = button_pages(buttons)
        return await self._post(
            channel_id, None, pages[0] if pages else [], reply_to, embed=embed_of(card)
        )

    async def _edit(
        self, ref: MessageRef, text: str, buttons: Keyboard, card: Card | None = None
    ) -> MessageRef:
        parts = split_text(as_plain_text(text))
        if len(parts) > 1 and card is None:
            _log.warning("edited text too long for one message; only its start is shown")
        pages = button_pages(buttons)
        if len(pages) > 1:
            _log.warning("an edited message keeps only its first 25 buttons")
        with handle_message_parameters(
            # A card is its embed alone; a text edit leaves no stale embed behind.
            content=None if card is not None else as_plain_text(parts[0]),
            embeds=[embed_of(card)] if card is not None else [],
            view=view_of(pages[0] if pages else []),
            allowed_mentions=_NO_MENTIONS,
        ) as params:
            try:
                await self._client.http.edit_message(
                    int(ref.chat_id), int(ref.message_id), params=params
                )
            except discord.NotFound as exc:
                if exc.code in (_UNKNOWN_MESSAGE, _UNKNOWN_CHANNEL):
                    raise MessageGone(exc.text) from exc
                raise
        return ref

    async def _answer(self, action: AnswerButton) -> None:
        interaction = self._interactions.pop(action.press_id, None)
        if action.private_start is not None and interaction is not None:
            # Discord lets the bot write first: open the private chat as a deep link would.
            self.private_starts.append((str(interaction.user.id), action.private_start))
        if interaction is None or not action.text:
            return
        try:
            await interaction.followup.send(
                split_text(as_plain_text(action.text))[0],
                ephemeral=True,
                allowed_mentions=_NO_MENTIONS,
            )
        except discord.NotFound as exc:  # the interaction token expired (15 minutes)
            _log.info("button press %s answered too late: %s", action.press_id, exc.text)

    async def _send_file(
        self, chat: ChatRef, filename: str, content: bytes, caption: str
    ) -> MessageRef:
        channel_id = await self._channel(chat)
        parts = split_text(as_plain_text(caption)) if caption else [""]
        file = discord.File(io.BytesIO(content), filename=filename)
        ref = await self._post(channel_id, parts[0] or None, [], files=[file])
        for part in parts[1:]:
            await self._post(channel_id, part, [])
        return ref
