"""Durable notifications: queued in the deciding transaction, delivered after it commits.

A notification is a row with an idempotency key. `OutboxDelivery.flush` sends
the due rows and marks each one sent right after the platform accepts it, so a
crash can repeat at most the one message in flight, and never forgets one.
Mission cards are rendered at delivery time from the current state, so a late
or repeated card edit always shows the truth.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot import cards
from bot.events import (
    Action,
    Button,
    ChatKind,
    ChatRef,
    EditMessage,
    Keyboard,
    MessageRef,
    SendMessage,
    SendPrivate,
    UserRef,
)
from bot.pacing import Pacer
from bot.ports import DeliveryError, MessageGone, Outlet, RetryLater, Unreachable
from bot.services import Services
from data.records import Mission, OutboxItem
from data.repos import Tx

__all__ = ["OutboxDelivery", "queue_card_post", "queue_card_refresh", "queue_private"]

_log = logging.getLogger(__name__)

GIVE_UP_AFTER = 8
BATCH = 50


def _keyboard_to_json(buttons: Keyboard) -> list[list[dict[str, str]]]:
    return [[{"label": b.label, "data": b.data} for b in row] for row in buttons]


def _keyboard_from_json(rows: Any) -> Keyboard:
    return tuple(tuple(Button(b["label"], b["data"]) for b in row) for row in rows)


async def queue_private(
    tx: Tx,
    services: Services,
    volunteer_id: int,
    key: str,
    message_key: str,
    *,
    org_id: int | None = None,
    buttons_of: Callable[[str], Keyboard] | None = None,
    not_before: datetime | None = None,
    valid_until: datetime | None = None,
    **params: Any,
) -> bool:
    """Queue a private message to a volunteer, in their language, on their latest identity.

    `buttons_of(lang)` builds the keyboard in the recipient's language. A message still
    waiting at `valid_until` (the invitation expired, the mission started) is dropped.
    Returns False when the key was already queued or the person cannot be reached.
    """
    volunteer = await tx.people.get(volunteer_id)
    identities = [i for i in await tx.people.identities_of(volunteer_id) if i.reachable]
    if volunteer is None or not identities:
        return False
    identity = identities[0]
    lang = volunteer.language
    text = services.catalogs.t(lang, message_key, **params)
    buttons: Keyboard = buttons_of(lang) if buttons_of is not None else ()
    return await tx.outbox.add(
        key,
        platform=identity.platform,
        kind="private",
        org_id=org_id,
        not_before=not_before,
        payload={
            "user_id": identity.platform_user_id,
            "display_name": identity.display_name,
            "language": lang,
            "text": text,
            "buttons": _keyboard_to_json(buttons),
            "valid_until": valid_until.isoformat() if valid_until else None,
        },
    )


async def queue_card_post(tx: Tx, mission: Mission, chat: ChatRef) -> None:
    await tx.outbox.add(
        f"card:{mission.id}:post",
        platform=chat.platform,
        kind="card_post",
        org_id=mission.org_id,
        payload={"mission_id": mission.id, "chat_id": chat.chat_id, "title": chat.title},
    )


async def queue_card_refresh(tx: Tx, mission_id: int) -> None:
    """Redraw the mission's card (counts, status) wherever it was posted."""
    mission = await tx.missions.get(mission_id)
    if mission is None or mission.chat_space_id is None:
        return
    space = await tx.orgs.chat_space_by_id(mission.chat_space_id)
    if space is None:
        return
    await tx.outbox.add(
        f"card:{mission.id}:v{mission.version}",
        platform=space.platform,
        kind="card_edit",
        org_id=mission.org_id,
        payload={"mission_id": mission.id},
    )


@dataclass(frozen=True, slots=True)
class _Prepared:
    item: OutboxItem
    action: Action | None  # None: nothing to do any more (mark sent, or dropped)
    dropped: str | None = None


class OutboxDelivery:
    """Sends due notifications through the attached outlets."""

    def __init__(
        self, services: Services, outlets: Mapping[str, Outlet], pacer: Pacer | None = None
    ) -> None:
        self._services = services
        self._outlets = outlets
        self._lock = asyncio.Lock()
        self.pacer = pacer or Pacer()

    async def flush(self) -> int:
        """Deliver everything due now; return how many were sent."""
        sent = 0
        async with self._lock:
            while True:
                store = self._services.store
                async with store.transaction() as tx:
                    items = await tx.outbox.due(self._services.clock(), BATCH, self._outlets.keys())
                    prepared = [await self._prepare(tx, item) for item in items]
                    prepared = _coalesce_card_edits(prepared)
                if not items:
                    return sent
                progressed = False
                for entry in prepared:
                    done = await self._deliver(entry)
                    sent += int(done and entry.action is not None)
                    progressed = progressed or done
                if not progressed:
                    return sent

    async def _prepare(self, tx: Tx, item: OutboxItem) -> _Prepared:
        p = item.payload
        valid_until = p.get("valid_until")
        if valid_until and datetime.fromisoformat(valid_until) <= self._services.clock():
            return _Prepared(item, None, "too late: it became pointless while waiting")
        if item.kind == "private":
            user = UserRef(item.platform, p["user_id"], p["display_name"], p.get("language"))
            action: Action = SendPrivate(user, p["text"], _keyboard_from_json(p["buttons"]))
            return _Prepared(item, action)
        if item.kind == "chat":
            chat = ChatRef(item.platform, p["chat_id"], ChatKind.GROUP, p.get("title"))
            return _Prepared(item, SendMessage(chat, p["text"], _keyboard_from_json(p["buttons"])))
        if item.kind in ("card_post", "card_edit"):
            mission = await tx.missions.get(int(p["mission_id"]))
            if mission is None:
                return _Prepared(item, None)
            text, buttons = await cards.render(tx, self._services, mission)
            if item.kind == "card_post":
                if mission.card_message_id is not None:
                    return _Prepared(item, None)
                chat = ChatRef(item.platform, p["chat_id"], ChatKind.GROUP, p.get("title"))
                return _Prepared(item, SendMessage(chat, text, buttons))
            if mission.card_chat_id is None or mission.card_message_id is None:
                return _Prepared(item, None)  # the post itself will show the current state
            ref = MessageRef(item.platform, mission.card_chat_id, mission.card_message_id)
            return _Prepared(item, EditMessage(ref, text, buttons))
        raise ValueError(f"unknown outbox kind {item.kind!r}")

    async def _deliver(self, entry: _Prepared) -> bool:
        """Send one item and record the outcome; False when it must wait."""
        item, action = entry.item, entry.action
        store = self._services.store
        if action is None:
            async with store.transaction() as tx:
                if entry.dropped:
                    _log.info("notification %s dropped: %s", item.idempotency_key, entry.dropped)
                    await tx.outbox.mark_dropped(item.id, entry.dropped)
                else:
                    await tx.outbox.mark_sent(item.id)
            return True
        outlet = self._outlets.get(item.platform)
        if outlet is None:
            return False  # that platform is not running now; keep it for later
        await self.pacer.wait_for(item.platform, action)
        try:
            ref = await outlet.perform(action)
        except RetryLater as exc:
            async with store.transaction() as tx:
                await tx.outbox.retry_later(
                    item.id,
                    item.attempts,
                    str(exc),
                    give_up_after=GIVE_UP_AFTER,
                    delay=exc.retry_after,
                    now=self._services.clock(),
                )
            return False
        except Unreachable as exc:
            async with store.transaction() as tx:
                await tx.outbox.mark_dropped(item.id, f"unreachable: {exc}")
                if isinstance(action, SendPrivate):
                    await tx.people.mark_unreachable(item.platform, action.user.user_id)
            return True
        except MessageGone:
            async with store.transaction() as tx:
                await self._repost_card(tx, item)
            return True
        except DeliveryError as exc:
            _log.warning("delivery of %s failed: %s", item.idempotency_key, exc)
            async with store.transaction() as tx:
                await tx.outbox.retry_later(
                    item.id,
                    item.attempts,
                    str(exc),
                    give_up_after=GIVE_UP_AFTER,
                    now=self._services.clock(),
                )
            return False
        async with store.transaction() as tx:
            await tx.outbox.mark_sent(item.id)
            if item.kind == "card_post" and ref is not None:
                await tx.missions.set_card(
                    int(item.payload["mission_id"]), ref.chat_id, ref.message_id
                )
        return True

    async def _repost_card(self, tx: Tx, item: OutboxItem) -> None:
        """The card was deleted in the chat: post it again (once per version)."""
        await tx.outbox.mark_dropped(item.id, "card message gone")
        mission = await tx.missions.get(int(item.payload["mission_id"]))
        if mission is None or mission.card_chat_id is None:
            return
        await tx.outbox.add(
            f"card:{mission.id}:repost:v{mission.version}",
            platform=item.platform,
            kind="card_post",
            org_id=mission.org_id,
            payload={"mission_id": mission.id, "chat_id": mission.card_chat_id, "title": None},
        )
        await tx.missions.clear_card(mission.id)


def _coalesce_card_edits(prepared: list[_Prepared]) -> list[_Prepared]:
    """Of several edits of one card in a batch, only the last needs sending."""
    last: dict[str, int] = {}
    for index, entry in enumerate(prepared):
        if entry.item.kind == "card_edit" and entry.action is not None:
            last[str(entry.item.payload["mission_id"])] = index
    out = []
    for index, entry in enumerate(prepared):
        mission_key = str(entry.item.payload.get("mission_id"))
        if (
            entry.item.kind == "card_edit"
            and entry.action is not None
            and last[mission_key] != index
        ):
            out.append(_Prepared(entry.item, None))
        else:
            out.append(entry)
    return out
