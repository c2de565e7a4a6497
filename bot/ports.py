"""The port adapters implement: perform an action on a platform.

The core defines it; adapters (terminal, in-memory, Telegram, Discord) implement it.
Errors tell the core what happened, in platform-neutral terms.
"""

from __future__ import annotations

from typing import Protocol

from bot.events import Action, MessageRef

__all__ = ["DeliveryError", "MessageGone", "Outlet", "RetryLater", "Unreachable"]


class Outlet(Protocol):
    """Performs actions on one platform."""

    platform: str

    async def perform(self, action: Action) -> MessageRef | None:
        """Do it; return the sent message's reference when a message was sent."""
        ...


class DeliveryError(Exception):
    """The platform refused or failed; may be retried."""


class RetryLater(DeliveryError):
    """Rate-limited or temporarily failing: try again after `retry_after` seconds."""

    def __init__(self, retry_after: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {retry_after}s")
        self.retry_after = retry_after


class Unreachable(DeliveryError):
    """The person blocked the bot, left, or closed private messages: do not retry."""


class MessageGone(DeliveryError):
    """The message to edit no longer exists."""
