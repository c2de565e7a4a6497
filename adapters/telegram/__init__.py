"""Telegram: python-telegram-bot between the Bot API and the core's events and actions."""

from __future__ import annotations

from adapters.telegram.limits import TelegramRateLimiter, telegram_rate_limiter
from adapters.telegram.outlet import PLATFORM, TelegramOutlet
from adapters.telegram.platform import TelegramPlatform, api_urls

__all__ = [
    "PLATFORM",
    "TelegramOutlet",
    "TelegramPlatform",
    "TelegramRateLimiter",
    "api_urls",
    "telegram_rate_limiter",
]
