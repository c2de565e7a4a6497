"""Settings from environment variables and an optional `mainforte.toml`.

Environment variables win over the file. A bad value raises `ConfigError` with
one line naming the setting, so start-up stops with a message a person can act on.
"""

from __future__ import annotations

import logging
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["ConfigError", "Settings", "load_settings"]

LANGUAGES = ("fr", "en")


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = "sqlite:///mainforte.db"
    admins: tuple[str, ...] = ()
    timezone: str = "Europe/Paris"
    language: str = "fr"
    chat_admins_are_coordinators: bool = True
    log_level: str = "INFO"
    organisation_name: str = "Mon association"
    telegram_token: str | None = field(default=None, repr=False)
    telegram_api_base_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8443
    discord_token: str | None = field(default=None, repr=False)
    discord_api_base_url: str | None = None
    discord_gateway_url: str | None = None
    discord_guild_ids: tuple[int, ...] = ()
    discord_coordinator_role: str | None = None
    discord_admin_role: str | None = None
    outbox_sweep_seconds: float = 30.0
    claim_lease_seconds: float = 120.0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_configured_admin(self, platform: str, user_id: str) -> bool:
        return f"{platform}:{user_id}" in self.admins


# setting name -> (environment variable, file key)
_SOURCES: dict[str, tuple[str, str]] = {
    "database_url": ("DATABASE_URL", "database_url"),
    "admins": ("MAINFORTE_ADMINS", "admins"),
    "timezone": ("MAINFORTE_TIMEZONE", "timezone"),
    "language": ("MAINFORTE_LANGUAGE", "language"),
    "chat_admins_are_coordinators": (
        "MAINFORTE_CHAT_ADMINS_ARE_COORDINATORS",
        "chat_admins_are_coordinators",
    ),
    "log_level": ("MAINFORTE_LOG_LEVEL", "log_level"),
    "organisation_name": ("MAINFORTE_ORGANISATION_NAME", "organisation_name"),
    "telegram_token": ("TELEGRAM_TOKEN", "telegram_token"),
    "telegram_api_base_url": ("TELEGRAM_API_BASE_URL", "telegram_api_base_url"),
    "telegram_webhook_url": ("TELEGRAM_WEBHOOK_URL", "telegram_webhook_url"),
    "telegram_webhook_secret": ("TELEGRAM_WEBHOOK_SECRET", "telegram_webhook_secret"),
    "telegram_webhook_listen": ("TELEGRAM_WEBHOOK_LISTEN", "telegram_webhook_listen"),
    "telegram_webhook_port": ("TELEGRAM_WEBHOOK_PORT", "telegram_webhook_port"),
    "discord_token": ("DISCORD_TOKEN", "discord_token"),
    "discord_api_base_url": ("DISCORD_API_BASE_URL", "discord_api_base_url"),
    "discord_gateway_url": ("DISCORD_GATEWAY_URL", "discord_gateway_url"),
    "discord_guild_ids": ("DISCORD_GUILD_IDS", "discord_guild_ids"),
    "discord_coordinator_role": ("DISCORD_COORDINATOR_ROLE", "discord_coordinator_role"),
    "discord_admin_role": ("DISCORD_ADMIN_ROLE", "discord_admin_role"),
    "outbox_sweep_seconds": ("MAINFORTE_OUTBOX_SWEEP_SECONDS", "outbox_sweep_seconds"),
    "claim_lease_seconds": ("MAINFORTE_CLAIM_LEASE_SECONDS", "claim_lease_seconds"),
}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on", "oui"):
        return True
    if text in ("0", "false", "no", "off", "non"):
        return False
    raise ValueError("expected true or false")


def _admins(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else str(value).split(",")
    out = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        platform, sep, user_id = item.partition(":")
        if not sep or not platform or not user_id:
            raise ValueError(f"{item!r} is not platform:user_id (e.g. telegram:123456)")
        out.append(f"{platform.lower()}:{user_id}")
    return tuple(out)


def _timezone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Paris)") from None
    return str(value)


def _language(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in LANGUAGES:
        raise ValueError(f"{value!r} is not one of {', '.join(LANGUAGES)}")
    return text


def _database_url(value: Any) -> str:
    try:
        url = make_url(str(value))
    except ArgumentError:
        raise ValueError(f"{value!r} is not a database URL (e.g. sqlite:///mainforte.db)") from None
    if url.get_backend_name() not in ("sqlite", "postgresql", "postgres"):
        raise ValueError("only sqlite:/// and postgresql:// URLs are supported")
    return str(value)


def _log_level(value: Any) -> str:
    text = str(value).strip().upper()
    if text not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
    return text


def _optional_text(value: Any) -> str | None:
    text = str(value).strip()
    return text or None


def _positive_float(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError("must be a positive number of seconds")
    return number


def _http_url(value: Any) -> str | None:
    text = str(value).strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{text!r} is not an http(s) URL (e.g. http://127.0.0.1:8081)")
    return text


def _ws_url(value: Any) -> str | None:
    text = str(value).strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("ws", "wss") or not parts.netloc:
        raise ValueError(f"{text!r} is not a ws(s) URL (e.g. wss://gateway.discord.gg)")
    return text


def _snowflakes(value: Any) -> tuple[int, ...]:
    items = value if isinstance(value, list) else str(value).split(",")
    ids = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        if not item.isdigit() or not 0 < int(item) < 2**64:
            raise ValueError(f"{item!r} is not a Discord id (a number like 1234567890123456789)")
        ids.append(int(item))
    return tuple(ids)


def _webhook_url(value: Any) -> str | None:
    text = str(value).strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"{text!r}: Telegram only calls https:// webhook URLs")
    if parts.query or parts.fragment:
        raise ValueError(f"{text!r}: a webhook URL takes no ?query or #fragment")
    return text


_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _webhook_secret(value: Any) -> str | None:
    text = str(value).strip()
    if not text:
        return None
    if not _WEBHOOK_SECRET.fullmatch(text):
        raise ValueError("must be 1 to 256 characters among A-Z, a-z, 0-9, _ and -")
    return text


def _host(value: Any) -> str:
    text = str(value).strip()
    if not text or any(c.isspace() for c in text) or "/" in text:
        raise ValueError(f"{text!r} is not an address to listen on (e.g. 127.0.0.1)")
    return text


def _port(value: Any) -> int:
    if isinstance(value, bool) or not str(value).strip().isdigit():
        raise ValueError(f"{value!r} is not a port number (1 to 65535)")
    number = int(str(value).strip())
    if not 1 <= number <= 65535:
        raise ValueError(f"{number} is not a port number (1 to 65535)")
    return number


def _name(value: Any) -> str:
    text = str(value).strip()
    if not text or len(text) > 200:
        raise ValueError("must be 1 to 200 characters")
    return text


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "database_url": _database_url,
    "admins": _admins,
    "timezone": _timezone,
    "language": _language,
    "chat_admins_are_coordinators": _bool,
    "log_level": _log_level,
    "organisation_name": _name,
    "telegram_token": _optional_text,
    "telegram_api_base_url": _http_url,
    "telegram_webhook_url": _webhook_url,
    "telegram_webhook_secret": _webhook_secret,
    "telegram_webhook_listen": _host,
    "telegram_webhook_port": _port,
    "discord_token": _optional_text,
    "discord_api_base_url": _http_url,
    "discord_gateway_url": _ws_url,
    "discord_guild_ids": _snowflakes,
    "discord_coordinator_role": _optional_text,
    "discord_admin_role": _optional_text,
    "outbox_sweep_seconds": _positive_float,
    "claim_lease_seconds": _positive_float,
}


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (comments and blank lines skipped, quotes removed)."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def load_settings(
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    dotenv: Path | None = Path(".env"),
) -> Settings:
    """Read settings; raise `ConfigError` naming the first bad one.

    Precedence: the process environment, then `.env`, then `mainforte.toml`.
    """
    # An empty variable counts as unset, here as below, so it does not hide .env's value.
    env = {k: v for k, v in (os.environ if env is None else env).items() if v != ""}
    if dotenv is not None and dotenv.exists():
        env = {**read_dotenv(dotenv), **env}
    path = config_file or Path(env.get("MAINFORTE_CONFIG", "mainforte.toml"))
    file_values: dict[str, Any] = {}
    if path.exists():
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
        known = {file_key for _, file_key in _SOURCES.values()}
        unknown = sorted(set(file_values) - known)
        if unknown:
            raise ConfigError(f"{path}: unknown setting {unknown[0]!r}")
    elif "MAINFORTE_CONFIG" in env:
        raise ConfigError(f"MAINFORTE_CONFIG: file {path} not found")

    values: dict[str, Any] = {}
    for name, (env_name, file_key) in _SOURCES.items():
        if env_name in env and env[env_name] != "":
            raw, where = env[env_name], env_name
        elif file_key in file_values:
            raw, where = file_values[file_key], f"{path}: {file_key}"
        else:
            continue
        try:
            values[name] = _PARSERS[name](raw)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{where}: {exc}") from None
    assert {f.name for f in fields(Settings)} >= set(values)
    return Settings(**values)


def configure_logging(settings: Settings, *, quiet: bool = False) -> None:
    """Log to stderr; `quiet` (terminal chat, demo) keeps only warnings and errors."""
    level = logging.getLevelNamesMapping()[settings.log_level]
    if quiet:
        level = max(level, logging.WARNING)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
    # httpx logs every request URL at INFO, and Telegram's URLs contain the bot token.
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
