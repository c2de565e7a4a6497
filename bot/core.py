"""The dispatcher: one event in, one transaction, actions out.

It resolves who is speaking and in which organisation, checks roles, routes to
the feature handlers, and is the error boundary: a failing handler rolls back,
the person gets a clear sentence in their language, the error is logged with
its context, and the bot keeps running.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot import features
from bot.context import Context, UserError
from bot.events import (
    Action,
    AnswerButton,
    BotAdded,
    ButtonPress,
    ChatRole,
    Command,
    Event,
    FileShared,
    FormSubmitted,
    LocationShared,
    MemberJoined,
    MessageRef,
    SendMessage,
    SendPrivate,
    Text,
    UserRef,
)
from bot.i18n import language_from_locale
from bot.outbox import OutboxDelivery
from bot.ports import DeliveryError, Outlet, Unreachable
from bot.router import Router
from bot.scheduler import Scheduler, TaskRunner
from bot.services import Services
from data.records import Identity, Organisation, Role, Volunteer
from data.repos import Tx

__all__ = ["Core"]

_log = logging.getLogger(__name__)

MAX_TEXT = 4000  # longer input is refused before any parsing
# How long a delivery's idempotency key is kept: Telegram keeps an undelivered update (and
# retries a webhook) for at most 24 hours, Discord resumes a session within minutes.
SOURCE_KEEP = timedelta(days=2)
PRUNE_EVERY = timedelta(hours=1)


class Core:
    """Platform-neutral bot core; adapters feed it events and attach their outlets."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.router = Router()
        features.register_all(self.router)
        self.outlets: dict[str, Outlet] = {}
        self.delivery = OutboxDelivery(services, self.outlets)
        self.tasks = TaskRunner(services, self.router.tasks, self.delivery)
        self.scheduler: Scheduler | None = None  # set by the running app; tests run tasks directly
        self._pruned_at: datetime | None = None

    async def prepare(self) -> None:
        """Plan what must exist from the first start (daily sweeps), in one transaction."""
        async with self.services.store.transaction() as tx:
            now = self.services.clock()
            for handler in self.router.startup:
                await handler(tx, now)

    async def language_of(self, user: UserRef) -> str | None:
        """The language the person speaks with the bot (their /language choice), if known."""
        async with self.services.store.transaction() as tx:
            identity = await tx.people.identity(user.platform, user.user_id)
            volunteer = await tx.people.get(identity.volunteer_id) if identity else None
            return volunteer.language if volunteer is not None else None

    async def form_values(self, form: str, user: UserRef) -> dict[str, str]:
        """What the form opens filled with for this person (empty for a stranger)."""
        provider = self.router.form_values.get(form)
        if provider is None:
            return {}
        async with self.services.store.transaction() as tx:
            identity = await tx.people.identity(user.platform, user.user_id)
            volunteer = await tx.people.get(identity.volunteer_id) if identity else None
            if volunteer is None or not volunteer.onboarded:
                return {}
            return await provider(tx, self.services, volunteer)

    def attach(self, outlet: Outlet) -> None:
        self.outlets[outlet.platform] = outlet

    def detach(self, platform: str) -> None:
        """The platform stopped: its notifications wait in the outbox until it is back."""
        self.outlets.pop(platform, None)

    async def handle(self, event: Event, *, source: str | None = None) -> None:
        """Handle one event completely: state change, answers, due notifications.

        `source` is the platform's idempotency key for the delivery (`telegram:update:<id>:<n>`):
        it is recorded in the transaction of the event's effects, and a delivery already
        recorded is skipped, so an update delivered again has its effects once."""
        if source is not None:
            await self._prune_sources()
        actions = await self._decide(event, source)
        if actions is None:
            _log.info("%s was handled before; skipped", source)
            return
        await self.perform(event.user.platform, actions)
        await self.delivery.flush()
        if self.scheduler is not None:
            await self.scheduler.reschedule()

    async def perform(self, platform: str, actions: Sequence[Action]) -> list[MessageRef | None]:
        outlet = self.outlets.get(platform)
        results: list[MessageRef | None] = []
        if outlet is None:
            _log.error(
                "no outlet attached for platform %s; %d actions lost", platform, len(actions)
            )
            return results
        for action in actions:
            try:
                results.append(await outlet.perform(action))
            except Unreachable:
                if isinstance(action, SendPrivate):
                    async with self.services.store.transaction() as tx:
                        await tx.people.mark_unreachable(platform, action.user.user_id)
                results.append(None)
            except DeliveryError as exc:
                _log.warning("could not perform %s on %s: %s", type(action).__name__, platform, exc)
                results.append(None)
        return results

    # --- deciding ----------------------------------------------------------

    async def _decide(self, event: Event, source: str | None) -> list[Action] | None:
        """The event's answers, once its effects are committed; None for a replay."""
        lang = language_from_locale(event.user.language, self.services.settings.language)
        failed = True
        try:
            async with self.services.store.transaction() as tx:
                if source is not None and not await tx.processed.record(
                    source, self.services.clock()
                ):
                    return None
                ctx = await self._context(tx, event)
                lang = ctx.lang
                await self._route(ctx)
                actions = ctx.actions
            failed = False
        except UserError as exc:
            actions = self._error_answer(event, lang, exc.key, exc.params)
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception(
                "handler failed for %s from %s:%s in chat %s",
                type(event).__name__,
                event.user.platform,
                event.user.user_id,
                event.chat.chat_id,
            )
            actions = self._error_answer(event, lang, "errors.internal", {})
        if failed and source is not None and not await self._record_failed(source):
            return None
        if isinstance(event, ButtonPress) and not any(isinstance(a, AnswerButton) for a in actions):
            actions.insert(0, AnswerButton(event.press_id))
        # Answer the press first: the platform shows a spinner until it is answered.
        actions.sort(key=lambda action: not isinstance(action, AnswerButton))
        return actions

    async def _record_failed(self, source: str) -> bool:
        """Record a delivery whose handling failed (and was rolled back), on its own: the
        person is answered with the error once, and the update is not replayed forever.
        False when another worker handled the same delivery in the meantime."""
        try:
            async with self.services.store.transaction() as tx:
                return await tx.processed.record(source, self.services.clock())
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("could not record the failed delivery %s", source)
            return True  # the error is still worth telling; a replay may tell it again

    async def _prune_sources(self) -> None:
        """Forget old idempotency keys, at most once per `PRUNE_EVERY` in this process."""
        now = self.services.clock()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        try:
            async with self.services.store.transaction() as tx:
                pruned = await tx.processed.prune(now - SOURCE_KEEP)
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("could not prune the processed updates")
            return
        if pruned:
            _log.info("forgot %d processed updates older than %s", pruned, SOURCE_KEEP)

    def _error_answer(
        self, event: Event, lang: str, key: str, params: dict[str, object]
    ) -> list[Action]:
        text = self.services.catalogs.t(lang, key, **params)
        if isinstance(event, ButtonPress):
            return [AnswerButton(event.press_id, text, alert=True)]
        return [SendMessage(event.chat, text)]

    async def _context(self, tx: Tx, event: Event) -> Context:
        volunteer, identity = await self._person(tx, event)
        org: Organisation | None = None
        role: Role | None = None
        if not event.chat.is_private:
            org = await self._group_org(tx, event)
            role = await self._platform_role(tx, org.id, volunteer.id, event)
        return Context(
            services=self.services,
            tx=tx,
            event=event,
            volunteer=volunteer,
            identity=identity,
            lang=volunteer.language,
            org=org,
            role=role,
            now=self.services.clock(),
        )

    async def _platform_role(self, tx: Tx, org_id: int, volunteer_id: int, event: Event) -> Role:
        """The member's role, given what the platform and the configuration grant now: a
        grant raises it; a role that came from a grant goes when the grant goes (a
        Discord role removed, no longer a group admin); an appointed role stays."""
        settings = self.services.settings
        role = await tx.orgs.ensure_member(org_id, volunteer_id)
        granted: Role | None = None
        if (
            settings.is_configured_admin(event.user.platform, event.user.user_id)
            or event.chat_role is ChatRole.ADMIN
        ):
            granted = Role.ADMIN
        elif event.chat_role is ChatRole.COORDINATOR or (
            event.is_chat_admin and settings.chat_admins_are_coordinators
        ):
            granted = Role.COORDINATOR
        if granted is not None and granted.rank > role.rank:
            await tx.orgs.set_role(org_id, volunteer_id, granted, source="platform")
            return granted
        if granted is not None and granted is role:
            return role
        from_platform = await tx.orgs.role_source(org_id, volunteer_id) == "platform"
        if role is Role.ADMIN and granted is None and not from_platform:
            # An admin from before sources were recorded, no longer in the configuration.
            await tx.orgs.set_role(org_id, volunteer_id, Role.COORDINATOR)
            return Role.COORDINATOR
        if from_platform and (granted is None or granted.rank < role.rank):
            lowered = granted or Role.VOLUNTEER
            source = "platform" if granted is not None else None
            await tx.orgs.set_role(org_id, volunteer_id, lowered, source=source)
            return lowered
        return role

    async def _person(self, tx: Tx, event: Event) -> tuple[Volunteer, Identity]:
        user = event.user
        name = (user.display_name or user.user_id)[:200]
        identity = await tx.people.identity(user.platform, user.user_id)
        if identity is None:
            lang = language_from_locale(user.language, self.services.settings.language)
            return await tx.people.create_with_identity(user.platform, user.user_id, name, lang)
        await tx.people.touch_identity(identity.id, name, self.services.clock())
        volunteer = await tx.people.get(identity.volunteer_id)
        assert volunteer is not None
        return volunteer, identity

    async def _group_org(self, tx: Tx, event: Event) -> Organisation:
        chat = event.chat
        space = await tx.orgs.chat_space(chat.platform, chat.chat_id)
        if space is None and chat.group_id is not None:
            # A new channel of a known server joins the server's organisation.
            await tx.orgs.lock_group(chat.platform, chat.group_id)
            space = await tx.orgs.chat_space(chat.platform, chat.chat_id)  # seen meanwhile?
        if space is None and chat.group_id is not None:
            sibling = await tx.orgs.group_chat_space(chat.platform, chat.group_id)
            if sibling is not None:
                space = await tx.orgs.add_chat_space(
                    sibling.org_id, chat.platform, chat.chat_id, chat.title, chat.group_id
                )
        if space is not None:
            if chat.group_id is not None and space.group_id is None:
                await tx.orgs.set_chat_group(space.id, chat.group_id)
            org = await tx.orgs.get(space.org_id)
            assert org is not None
            return org
        settings = self.services.settings
        name = (chat.title or settings.organisation_name)[:200]
        org = await tx.orgs.create(name, timezone=settings.timezone, language=settings.language)
        await tx.orgs.add_chat_space(org.id, chat.platform, chat.chat_id, chat.title, chat.group_id)
        await tx.interactions.log("org_created", org_id=org.id, platform=chat.platform)
        return org

    async def _route(self, ctx: Context) -> None:
        event = ctx.event
        match event:
            case Command():
                await self._command(ctx, event)
            case ButtonPress():
                prefix, _, payload = event.data.partition(":")
                handler = self.router.buttons.get(prefix)
                if handler is None:
                    raise UserError("errors.stale_button")
                await handler(ctx, payload)
            case Text():
                await self._text(ctx, event)
            case LocationShared():
                await features.onboarding.save_location(ctx, event.latitude, event.longitude)
            case FileShared():
                if self.router.file_shared is None:
                    raise UserError("errors.file_not_expected")
                await self.router.file_shared(ctx, event.filename, event.content, event.caption)
            case FormSubmitted():
                form = self.router.forms.get(event.form)
                if form is None:
                    raise UserError("errors.stale_button")
                values = dict(event.values)
                if any(len(value) > MAX_TEXT for value in values.values()):
                    raise UserError("errors.too_long", limit=MAX_TEXT)
                await form(ctx, values)
            case MemberJoined() | BotAdded():
                await features.general.greet(ctx)
            case _:
                raise TypeError(f"unknown event type {type(event).__name__}")

    async def _command(self, ctx: Context, event: Command) -> None:
        if len(event.args) > MAX_TEXT:
            raise UserError("errors.too_long", limit=MAX_TEXT)
        spec = self.router.find_command(event.name)
        if spec is None:
            raise UserError("errors.unknown_command", name=event.name[:50])
        if spec.private_only and not ctx.chat.is_private:
            ctx.reply("errors.private_only", command=spec.name)
            return
        if spec.min_role is not None:
            await ctx.org_for(spec.min_role)
        await spec.handler(ctx, event.args.strip())

    async def _text(self, ctx: Context, event: Text) -> None:
        if len(event.text) > MAX_TEXT:
            raise UserError("errors.too_long", limit=MAX_TEXT)
        if ctx.chat.is_private:
            state = await ctx.dialog()
            flow = self.router.flows.get(state.flow) if state else None
            if flow is None:
                hook = self.router.private_text
                if hook is not None and await hook(ctx, event.text):
                    return
                ctx.reply("general.not_understood")
                return
            await flow.on_text(ctx, event.text)
            return
        if event.reply_to is not None and self.router.group_reply is not None:
            await self.router.group_reply(ctx, event.text)
        elif event.mentions_bot and self.router.group_mention is not None:
            await self.router.group_mention(ctx, event.text)
