"""Discord as a platform of the running bot: discord.py under the bot's task group.

The client is started with `async with client` and `start(token)`; it never owns
the event loop. Only default intents are asked for: replies to the bot mention it,
so their text arrives without the message-content intent. Every interaction is
acknowledged at once (deferred, or answered with a form's modal), then handed to the
core one event at a time. A file given to `/import` is downloaded here, within
`FILE_LIMIT`, and reaches the core as `FileShared`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.autocomplete import mission_choices, typed_value
from adapters.discord.commands import sync_commands
from adapters.discord.convert import EventReader, option_values, user_ref
from adapters.discord.modals import form_modal
from adapters.discord.options import form_to_open
from adapters.discord.outlet import PLATFORM, DiscordOutlet
from bot.config import ConfigError, Settings
from bot.core import Core
from bot.events import ChatKind, ChatRef, Command, Event, UserRef
from bot.forms import FORMS
from bot.i18n import language_from_locale

__all__ = ["DEFAULT_API", "FILE_LIMIT", "DiscordPlatform"]

_log = logging.getLogger(__name__)

DEFAULT_API = "https://discord.com/api/v10"
DEFAULT_GATEWAY = DiscordWebSocket.DEFAULT_GATEWAY
FILE_LIMIT = 1_000_000  # bytes of a file given to a slash command (a CSV of volunteers)


class DiscordPlatform:
    """One Discord application, from `DISCORD_TOKEN` and the `DISCORD_*` settings.

    `DISCORD_API_BASE_URL` and `DISCORD_GATEWAY_URL` change discord.py's class-level
    endpoints, so they apply to the whole process (one Discord bot per process)."""

    name = PLATFORM

    def __init__(
        self,
        settings: Settings,
        *,
        on_handled: Callable[[str], None] | None = None,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        """`on_handled(id)` is called after each interaction or message is handled or skipped;
        `guild_ready_timeout` is how long discord.py waits for servers at start-up."""
        token = settings.discord_token
        if not token or any(c.isspace() for c in token) or len(token) < 20:
            raise ConfigError(
                "DISCORD_TOKEN: not a bot token from the Discord developer portal "
                "(Applications → your app → Bot → Reset Token)"
            )
        self._settings = settings
        self._token = token
        self._on_handled = on_handled
        self._guild_ready_timeout = guild_ready_timeout
        self.ready = asyncio.Event()

    def _client(self) -> _Client:
        return _Client(
            self._settings,
            intents=discord.Intents.default(),  # no privileged intent
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=self._guild_ready_timeout,
        )

    async def run(self, core: Core, stop: asyncio.Event) -> None:
        """Attach the outlet, receive events until `stop` is set, then stop cleanly."""
        self.ready.clear()
        # The REST root (a proxy, or the tests' fake); the gateway is set once logged in.
        Route.BASE = (self._settings.discord_api_base_url or DEFAULT_API).rstrip("/")
        client = self._client()
        outlet = DiscordOutlet(client)
        handler = _Handler(core, outlet, client, self._settings, self._on_handled)
        client.event(handler.on_ready)
        client.event(handler.on_interaction)
        client.event(handler.on_message)
        async with client:
            connection = asyncio.create_task(client.start(self._token))
            stopping = asyncio.create_task(stop.wait())
            try:
                await handler.ready.wait_or(connection)
                core.attach(outlet)
                self.ready.set()
                await asyncio.wait({connection, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if connection.done():
                    connection.result()  # the gateway failed for good: say why
            except discord.LoginFailure:
                _log.critical("Discord refused DISCORD_TOKEN: check it in the developer portal")
                raise
            finally:
                stopping.cancel()
                await handler.drain()
                outlet.close()
                if core.outlets.get(PLATFORM) is outlet:
                    core.detach(PLATFORM)  # what is still due waits in the outbox
                await client.close()
                with contextlib.suppress(asyncio.CancelledError, discord.ConnectionClosed):
                    await connection
                _log.info("Discord bot stopped")


class _Client(discord.Client):
    """discord.py's client, pointed at the configured gateway once logged in."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        super().__init__(**options)
        self._settings = settings

    async def setup_hook(self) -> None:
        """Use the configured gateway, or the one the configured REST root names."""
        gateway = self._settings.discord_gateway_url
        if gateway is None and self._settings.discord_api_base_url is not None:
            _shards, gateway, _limits = await self.http.get_bot_gateway()
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway) if gateway else DEFAULT_GATEWAY


class _Ready:
    """Set once the gateway is ready and the commands are synced."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    async def wait_or(self, connection: asyncio.Task[None]) -> None:
        waiter = asyncio.create_task(self._event.wait())
        try:
            await asyncio.wait({waiter, connection}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if connection.done():
            connection.result()
            raise RuntimeError("the Discord gateway closed before it was ready")


class _Handler:
    """Acknowledges interactions at once, then feeds the core one event at a time."""

    def __init__(
        self,
        core: Core,
        outlet: DiscordOutlet,
        client: discord.Client,
        settings: Settings,
        on_handled: Callable[[str], None] | None,
    ) -> None:
        self._core = core
        self._on_handled = on_handled
        self._outlet = outlet
        self._client = client
        self._settings = settings
        self._reader: EventReader | None = None
        self._turn = asyncio.Lock()
        self._busy: set[asyncio.Task[None]] = set()
        self.ready = _Ready()

    async def on_ready(self) -> None:
        user = self._client.user
        assert user is not None
        self._reader = EventReader(
            user.id, self._settings.discord_coordinator_role, self._settings.discord_admin_role
        )
        services = self._core.services
        await sync_commands(
            self._client,
            services.catalogs,
            self._core.router,
            services.settings.language,
            self._settings.discord_guild_ids,
        )
        _log.info("Discord bot %s is running", user)
        self.ready.set()

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self._interaction(interaction)
        finally:
            self._handled(str(interaction.id))

    async def on_message(self, message: discord.Message) -> None:
        try:
            if self._reader is not None:
                event = self._reader.message(message)
                if event is not None:
                    # A message may come again after a gateway RESUME; an interaction never does.
                    await self._handle(event, source=f"{PLATFORM}:message:{message.id}")
        finally:
            self._handled(str(message.id))

    def _handled(self, item_id: str) -> None:
        if self._on_handled is not None:
            self._on_handled(item_id)

    async def _interaction(self, interaction: discord.Interaction[Any]) -> None:
        if self._reader is None:
            return
        kind = interaction.type
        event: Event | None = None
        told = False  # the "thinking…" note became a word to the person: keep it
        try:
            if kind is discord.InteractionType.application_command:
                if await self._open_form(interaction):
                    return  # the form's submission is the event
                await interaction.response.defer(ephemeral=True, thinking=True)
                event = await self._command_event(interaction)
                # No event from a file: the person was told why, in place of the note.
                told = event is None and self._reader.attachment(interaction) is not None
            elif kind is discord.InteractionType.modal_submit:
                event = self._reader.form(interaction)  # read first: it counts even if late
                await interaction.response.defer(ephemeral=True, thinking=True)
            elif kind is discord.InteractionType.component:
                event = self._reader.press(interaction)
                await interaction.response.defer()
                if event is not None:
                    self._outlet.remember(interaction)
            elif kind is discord.InteractionType.autocomplete:
                data: dict[str, Any] = dict(interaction.data or {})
                choices = await mission_choices(
                    self._core.services, interaction.channel_id, typed_value(data)
                )
                await interaction.response.autocomplete(choices)
                return
        except discord.HTTPException as exc:  # too late (10062): the person's intent still counts
            _log.warning("interaction %s not acknowledged: %s", interaction.id, exc.text)
            if kind is discord.InteractionType.application_command and event is None:
                event = await self._command_event(interaction)
        if event is not None:
            await self._handle(event)
        if not told and kind in (
            discord.InteractionType.application_command,
            discord.InteractionType.modal_submit,
        ):
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()  # the "thinking…" note

    def _lang(self, interaction: discord.Interaction[Any]) -> str:
        locale = interaction.locale.value if interaction.locale else None
        return language_from_locale(locale, self._core.services.settings.language)

    async def _open_form(self, interaction: discord.Interaction[Any]) -> bool:
        """Answer with a modal when the command asks for a form (it cannot be deferred)."""
        data: dict[str, Any] = dict(interaction.data or {})
        name = form_to_open(str(data.get("name", "")), option_values(interaction))
        if name is None:
            return False
        if FORMS[name].private and interaction.guild_id is not None:
            return False  # the command answers that it is for the private chat, as elsewhere
        person = user_ref(interaction.user)
        values = await self._core.form_values(name, person)
        lang = await self._core.language_of(person) or self._lang(interaction)
        modal = form_modal(self._core.services.catalogs, FORMS[name], lang, values)
        await interaction.response.send_modal(modal)
        return True

    async def _command_event(self, interaction: discord.Interaction[Any]) -> Event | None:
        """The command, or the file it was given (downloaded, within `FILE_LIMIT`)."""
        assert self._reader is not None
        attachment = self._reader.attachment(interaction)
        if attachment is None:
            return self._reader.command(interaction)
        catalogs, lang = self._core.services.catalogs, self._lang(interaction)
        if attachment.size > FILE_LIMIT:
            await self._tell(
                interaction,
                catalogs.t(
                    lang,
                    "discord.file_too_big",
                    size=-(-attachment.size // 1000),
                    limit=FILE_LIMIT // 1000,
                ),
            )
            return None
        try:
            content = await self._download(attachment.url)
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError, _TooBig) as exc:
            _log.warning("could not download %s: %s", attachment.filename, exc)
            await self._tell(interaction, catalogs.t(lang, "discord.file_unreadable"))
            return None
        return self._reader.file_shared(interaction, attachment.filename, content)

    async def _download(self, url: str) -> bytes:
        """The file's bytes; more than `FILE_LIMIT` (whatever its size said) is refused."""
        content = await self._client.http.get_from_cdn(url)
        if len(content) > FILE_LIMIT:
            raise _TooBig(url)
        return content

    async def _tell(self, interaction: discord.Interaction[Any], text: str) -> None:
        """An ephemeral word to the person, in place of the deferral's "thinking…" note."""
        with contextlib.suppress(discord.HTTPException):
            await interaction.edit_original_response(
                content=text, allowed_mentions=discord.AllowedMentions.none()
            )

    async def _handle(self, event: Event, *, source: str | None = None) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._busy.add(task)
        try:
            async with self._turn:
                await self._core.handle(event, source=source)
                while self._outlet.private_starts:
                    user_id, payload = self._outlet.private_starts.pop(0)
                    await self._core.handle(_private_start(event.user, user_id, payload))
        finally:
            if task is not None:
                self._busy.discard(task)

    async def drain(self) -> None:
        """Let the events in hand finish before the outlet closes."""
        busy = [t for t in self._busy if t is not asyncio.current_task()]
        if busy:
            await asyncio.wait(busy, timeout=10)


class _TooBig(Exception):
    """A file turned out larger than its announced size allows."""


def _private_start(user: UserRef, user_id: str, payload: str) -> Command:
    """What a Telegram deep link would do: `/start <payload>` in the private chat."""
    person = user if user.user_id == user_id else UserRef(PLATFORM, user_id, user_id)
    return Command(person, ChatRef(PLATFORM, user_id, ChatKind.PRIVATE), "start", payload)
