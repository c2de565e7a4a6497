"""Durable notifications: queued in the deciding transaction, delivered after it commits.

A notification is a row with an idempotency key. `OutboxDelivery.flush` claims
the due rows for this worker with a lease, sends them with no transaction open,
and marks each one sent right after the platform accepts it, so a crash can
repeat at most the one message in flight, and never forgets one: once the dead
worker's lease runs out, another worker (or the restarted one) takes its rows.
Several workers share one database this way without sending a message twice.
Mission cards are rendered at delivery time from the current state, so a late
or repeated card edit always shows the truth.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
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

__all__ = [
    "OutboxDelivery",
    "queue_card_post",
    "queue_card_refresh",
    "queue_private",
    "worker_identity",
]

_log = logging.getLogger(__name__)

GIVE_UP_AFTER = 8
BATCH = 50


def worker_identity() -> str:
    """Who claims the rows: host, process and a random tag (a reused pid is another worker)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


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
    """Sends due notifications through the attached outlets, as one worker among several.

    `worker` names this worker in its claims (default: `worker_identity()`); a claim lasts
    `lease` seconds (default: the `claim_lease_seconds` setting) and is renewed while a
    batch takes longer than half of it.
    """

    def __init__(
        self,
        services: Services,
        outlets: Mapping[str, Outlet],
        pacer: Pacer | None = None,
        *,
        worker: str | None = None,
        lease: float | None = None,
    ) -> None:
        self._services = services
        self._outlets = outlets
        self._lock = asyncio.Lock()
        self.pacer = pacer or Pacer()
        self.worker = worker or worker_identity()
        seconds = lease if lease is not None else services.settings.claim_lease_seconds
        self.lease = timedelta(seconds=seconds)

    @property
    def platforms(self) -> list[str]:
        """The platforms this worker can deliver to now (their outlets are attached)."""
        return list(self._outlets.keys())

    async def flush(self) -> int:
        """Deliver everything due now; return how many were sent."""
        sent = 0
        async with self._lock:
            while True:
                store = self._services.store
                now = self._services.clock()
                async with store.transaction() as tx:
                    items = await tx.outbox.claim(
                        now, self.worker, self.lease, BATCH, self._outlets.keys()
                    )
                    prepared = [await self._prepare(tx, item) for item in items]
                    prepared = _coalesce_card_edits(prepared)
                if not items:
                    return sent
                held = {item.id for item in items}
                renew_at = now + self.lease / 2
                progressed = False
                try:
                    for entry in prepared:
                        if self._services.clock() >= renew_at:
                            held = await self._renew(held)
                            renew_at = self._services.clock() + self.lease / 2
                        if entry.item.id not in held:
                            continue  # our lease ran out and another worker took it
                        done = await self._deliver(entry)
                        held.discard(entry.item.id)
                        sent += int(done and entry.action is not None)
                        progressed = progressed or done
                finally:
                    await self._release(held)
                if not progressed:
                    return sent

    async def _renew(self, held: set[int]) -> set[int]:
        """Extend the claim on the rows not delivered yet; those we still hold."""
        async with self._services.store.transaction() as tx:
            still = await tx.outbox.renew(held, self.worker, self._services.clock(), self.lease)
        if lost := held - still:
            _log.warning("claim on %d notification(s) lapsed; another worker has them", len(lost))
        return still

    async def _release(self, held: set[int]) -> None:
        """Give back what this batch did not get to (an error, a shutdown), for anyone now."""
        if not held:
            return
        try:
            async with self._services.store.transaction() as tx:
                await tx.outbox.release(held, self.worker)
        except Exception:
            _log.exception("could not give back %d claim(s); they lapse with the lease", len(held))

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
            # Rendered now from the current state: a card waiting through a restart is
            # drawn then, text and structure alike.
            text, buttons, card = await cards.render_card(tx, self._services, mission)
            if item.kind == "card_post":
                if mission.card_message_id is not None:
                    return _Prepared(item, None)
                chat = ChatRef(item.platform, p["chat_id"], ChatKind.GROUP, p.get("title"))
                return _Prepared(item, SendMessage(chat, text, buttons, card=card))
            if mission.card_chat_id is None or mission.card_message_id is None:
                return _Prepared(item, None)  # the post itself will show the current state
            ref = MessageRef(item.platform, mission.card_chat_id, mission.card_message_id)
            return _Prepared(item, EditMessage(ref, text, buttons, card=card))
        raise ValueError(f"unknown outbox kind {item.kind!r}")

    async def _deliver(self, entry: _Prepared) -> bool:
        """Send one claimed item and record the outcome; False when it must wait.

        Every outcome is written only while this worker still holds the claim.
        """
        item, action = entry.item, entry.action
        store = self._services.store
        worker = self.worker
        if action is None:
            async with store.transaction() as tx:
                if entry.dropped:
                    _log.info("notification %s dropped: %s", item.idempotency_key, entry.dropped)
                    await tx.outbox.mark_dropped(item.id, entry.dropped, worker=worker)
                else:
                    await tx.outbox.mark_sent(item.id, worker=worker)
            return True
        outlet = self._outlets.get(item.platform)
        if outlet is None:
            async with store.transaction() as tx:
                await tx.outbox.release([item.id], worker)
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
                    worker=worker,
                )
            return False
        except Unreachable as exc:
            async with store.transaction() as tx:
                await tx.outbox.mark_dropped(item.id, f"unreachable: {exc}", worker=worker)
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
                    worker=worker,
                )
            return False
        async with store.transaction() as tx:
            if not await tx.outbox.mark_sent(item.id, worker=worker):
                # Our lease ran out during the send and another worker took the row over:
                # it records the outcome (and may repeat this message).
                _log.warning("notification %s sent after its claim lapsed", item.idempotency_key)
                return True
            if item.kind == "card_post" and ref is not None:
                await tx.missions.set_card(
                    int(item.payload["mission_id"]), ref.chat_id, ref.message_id
                )
        return True

    async def _repost_card(self, tx: Tx, item: OutboxItem) -> None:
        """The card was deleted in the chat: post it again (once per version)."""
        if not await tx.outbox.mark_dropped(item.id, "card message gone", worker=self.worker):
            return  # another worker holds the row now and deals with it
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
