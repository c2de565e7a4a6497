"""Pacing of outgoing messages to the platforms' limits, in the core.

Telegram allows about 30 messages per second overall, 20 per minute in one
group and 1 per second in one chat; Discord announces its limits in headers
(its library follows them). A `Pacer` holds sliding windows per scope and
makes a sender wait just long enough, so a wave of 1,000 invitations is never
refused and never slower than the limits allow.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.events import Action, EditMessage, SendFile, SendImage, SendMessage, SendPrivate

__all__ = ["TELEGRAM_LIMITS", "Limit", "Pacer"]


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `count` messages in any `seconds`-long window."""

    count: int
    seconds: float


@dataclass(frozen=True, slots=True)
class PlatformLimits:
    overall: Limit | None
    per_private_chat: Limit | None
    per_group: Limit | None


TELEGRAM_LIMITS = PlatformLimits(
    overall=Limit(30, 1.0), per_private_chat=Limit(1, 1.0), per_group=Limit(20, 60.0)
)
# discord.py follows Discord's rate-limit headers itself; keep a gentle overall guard.
DISCORD_LIMITS = PlatformLimits(
    overall=Limit(40, 1.0), per_private_chat=None, per_group=Limit(5, 5.0)
)
NO_LIMITS = PlatformLimits(None, None, None)


class _Window:
    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self.times: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        while self.times and now - self.times[0] >= self.limit.seconds:
            self.times.popleft()
        if len(self.times) < self.limit.count:
            return 0.0
        return self.times[0] + self.limit.seconds - now

    def record(self, now: float) -> None:
        self.times.append(now)


class Pacer:
    """Waits before each send so that no window is exceeded."""

    def __init__(
        self,
        limits: dict[str, PlatformLimits] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = asyncio.sleep,
    ) -> None:
        self._limits = (
            limits
            if limits is not None
            else {"telegram": TELEGRAM_LIMITS, "discord": DISCORD_LIMITS}
        )
        self._windows: dict[tuple[str, str], _Window] = {}
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()

    def _scopes(self, platform: str, chat_id: str, is_group: bool) -> list[_Window]:
        limits = self._limits.get(platform, NO_LIMITS)
        scopes: list[tuple[str, Limit | None]] = [
            (f"{platform}:*", limits.overall),
            (f"{platform}:{chat_id}", limits.per_group if is_group else limits.per_private_chat),
        ]
        windows = []
        for key, limit in scopes:
            if limit is None:
                continue
            window = self._windows.get((platform, key))
            if window is None:
                window = self._windows[(platform, key)] = _Window(limit)
            windows.append(window)
        return windows

    async def wait(self, platform: str, chat_id: str, *, is_group: bool) -> float:
        """Wait for a free slot for one message to `chat_id`; return the time waited."""
        waited = 0.0
        async with self._lock:
            windows = self._scopes(platform, chat_id, is_group)
            while True:
                now = self._clock()
                delay = max((w.wait_time(now) for w in windows), default=0.0)
                if delay <= 0:
                    break
                waited += delay
                result = self._sleep(delay)
                if asyncio.iscoroutine(result):
                    await result
            now = self._clock()
            for window in windows:
                window.record(now)
        return waited

    async def wait_for(self, platform: str, action: Action) -> float:
        """Wait as `wait` does for the chat `action` writes to (answers to buttons are free)."""
        match action:
            case SendPrivate(user=user):
                return await self.wait(platform, user.user_id, is_group=False)
            case SendMessage(chat=chat) | SendFile(chat=chat) | SendImage(chat=chat):
                return await self.wait(platform, chat.chat_id, is_group=not chat.is_private)
            case EditMessage(message=message):
                return await self.wait(platform, message.chat_id, is_group=True)
            case _:
                return 0.0
