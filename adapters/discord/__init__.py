"""Discord: discord.py between the Discord API and the core's events and actions."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    # discord.py imports `audioop` (voice) at import time; Python 3.11 warns it is deprecated.
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord  # noqa: F401

from adapters.discord.outlet import PLATFORM, DiscordOutlet
from adapters.discord.platform import DiscordPlatform

__all__ = ["PLATFORM", "DiscordOutlet", "DiscordPlatform"]
