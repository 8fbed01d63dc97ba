"""Apply Alembic migrations programmatically (no alembic.ini to ship or find)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from tessera.config import Settings
from tessera.store.engine import create_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def migrate(settings: Settings, revision: str = "heads") -> None:
    """Bring the database up to ``revision``: by default every head, so independent branches
    of the migration history (one per domain) all apply."""
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))
    finally:
        await engine.dispose()


def migrate_sync(settings: Settings, revision: str = "heads") -> None:
    asyncio.run(migrate(settings, revision))
