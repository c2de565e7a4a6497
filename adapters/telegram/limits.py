"""The pace of outgoing Telegram traffic: PTB's AIORateLimiter, tuned to Telegram's limits.

Telegram allows about 30 messages a second overall and 20 a minute in one group.
AIORateLimiter's leaky buckets let a full bucket go at once and then refill at the
nominal rate, so with the default sizes one window can see nearly twice the limit.
Small buckets with the same kind of refill keep every window under the limit:
at most 3 + 25 = 28 messages in any second, and 8 + 10 = 18 in any minute per group.

Known limit: after a 429 every request waits for the time Telegram asks, but the
requests that took their place in the buckets meanwhile then leave together (up to
about 30 at once): AIORateLimiter waits for the pause after taking capacity.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

__all__ = ["LIMITED_METHODS", "TelegramRateLimiter", "telegram_rate_limiter"]

_Json = dict[str, Any]

OVERALL_BURST = 3
OVERALL_PER_SECOND = 25
GROUP_BURST = 8
GROUP_PER_MINUTE = 10
RETRIES_AFTER_429 = 3

# The calls Telegram counts against the flood limits: those that post or edit messages.
LIMITED_METHODS = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "sendPhoto",
        "sendDocument",
    }
)


class TelegramRateLimiter(AIORateLimiter):
    """AIORateLimiter applied to the calls that post or edit messages; reads go straight."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | _Json | list[_Json]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | _Json | list[_Json]:
        if endpoint not in LIMITED_METHODS:
            return await callback(*args, **kwargs)
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


def telegram_rate_limiter(
    *, time_scale: float = 1.0, retries_after_429: int = RETRIES_AFTER_429
) -> TelegramRateLimiter:
    """The limiter for one running bot. A 429 pauses every request for the time Telegram
    asks, then retries, up to `retries_after_429` times. `time_scale` < 1 speeds the clock
    up (tests)."""
    return TelegramRateLimiter(
        overall_max_rate=OVERALL_BURST,
        overall_time_period=OVERALL_BURST / OVERALL_PER_SECOND * time_scale,
        group_max_rate=GROUP_BURST,
        group_time_period=60 * GROUP_BURST / GROUP_PER_MINUTE * time_scale,
        max_retries=retries_after_429,
    )
