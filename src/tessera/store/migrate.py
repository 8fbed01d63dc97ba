"""Apply Alembic migrations programmatically (no alembic.ini to ship or find)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
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


def newer_revisions(connection: Connection, config: Config) -> frozenset[str]:
    """Revisions recorded in the database that these scripts do not know: a newer release
    migrated it."""
    applied = MigrationContext.configure(connection).get_current_heads()
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    return frozenset(applied) - known


def upgrade(connection: Connection, revision: str = "heads") -> frozenset[str]:
    """Apply the migrations up to ``revision``, unless a newer release has migrated the
    database: its revisions follow every one of ours, and migrations only add, so this
    release runs on that schema as it is (docs/upgrading.md). Returns those newer revisions."""
    config = alembic_config(connection)
    newer = newer_revisions(connection, config)
    if not newer:
        command.upgrade(config, revision)
    return newer


async def migrate(settings: Settings, revision: str = "heads") -> frozenset[str]:
    """Bring the database up to ``revision``: by default every head, so independent branches
    of the migration history (one per domain) all apply. A database a newer release migrated
    is left as it is; its newer revisions are returned."""
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(lambda sync: upgrade(sync, revision))
    finally:
        await engine.dispose()


def migrate_sync(settings: Settings, revision: str = "heads") -> None:
    asyncio.run(migrate(settings, revision))
