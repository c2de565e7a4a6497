"""Shared fixtures: a migrated database per test, and the real core driven by the in-memory platform."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from data.store import Store

if TYPE_CHECKING:
    from tests.harness import Bot

PG_ENV = "MAINFORTE_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated once; each test gets a copy (migrating per test is slow)."""
    import asyncio

    path = tmp_path_factory.mktemp("template") / "template.db"

    async def migrate() -> None:
        store = Store(f"sqlite:///{path}")
        await store.migrate()
        await store.close()

    asyncio.run(migrate())
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_template: Path) -> str:
    target = tmp_path / "mainforte.db"
    shutil.copy(migrated_template, target)
    return f"sqlite:///{target}"


@asynccontextmanager
async def fresh_pg_database(base: str) -> AsyncIterator[str]:
    """A new, migrated PostgreSQL database, dropped afterwards."""
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(base)
    name = f"mainforte_{uuid.uuid4().hex[:12]}"
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    test_url = url.set(database=name).render_as_string(hide_password=False)
    store = Store(test_url)
    await store.migrate()
    await store.close()
    try:
        yield test_url
    finally:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_url(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[str]:
    """Run the test on SQLite always and on PostgreSQL when its URL is set."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} not set: PostgreSQL storage tests skipped")
    async with fresh_pg_database(base) as url:
        yield url


@pytest.fixture
async def bot(sqlite_url: str) -> AsyncIterator[Bot]:
    from tests.harness import make_bot

    harness = await make_bot(sqlite_url)
    try:
        yield harness
    finally:
        await harness.store.close()


@pytest.fixture(autouse=True)
def _no_env_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("DATABASE_URL", "TELEGRAM_TOKEN", "DISCORD_TOKEN", "MAINFORTE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    yield
