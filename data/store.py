"""The database engine: one `DATABASE_URL`, SQLite (aiosqlite) or PostgreSQL (asyncpg).

SQLite is opened in WAL mode with foreign keys on and a busy timeout, and every
transaction starts with ``BEGIN IMMEDIATE`` so that writers queue up instead of
failing half-way (two taps on the same button become one sign-up, not two).
On PostgreSQL the repositories lock the rows they change (``FOR UPDATE``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from data.repos import Tx
from data.repos._util import utcnow

__all__ = ["Store", "normalise_url"]

_log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 15_000


def normalise_url(url: str) -> str:
    """Map the URLs people write (``sqlite:///x.db``, ``postgresql://...``) to async drivers."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return str(parsed.set(drivername="sqlite+aiosqlite"))
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database: {backend!r} (use sqlite or postgresql)")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class Store:
    """Owns the engine; hands out transactions with the repositories bound to them."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        # The bot's clock, for the times that decide what is due (tests move it by hand).
        self.clock: Callable[[], datetime] = utcnow
        self.is_sqlite = self.url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
            if make_url(self.url).database in (None, "", ":memory:"):
                raise ValueError("an in-memory SQLite database cannot be shared; use a file")
            kwargs["poolclass"] = NullPool
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One unit of work: commits on success, rolls back on any error."""
        async with self.engine.begin() as conn:
            yield Tx(conn, lock_rows=not self.is_sqlite, clock=self.clock)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def migrate(self, revision: str = "head") -> None:
        """Bring the schema to `revision` with Alembic (idempotent)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade, revision)

    async def close(self) -> None:
        await self.engine.dispose()


def alembic_config() -> Config:
    """Alembic's configuration, pointing at the migrations shipped in `data/`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(str(files("data"))) / "migrations"))
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)
