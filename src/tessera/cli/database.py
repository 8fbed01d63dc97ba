"""Settings and the database a command works on.

Every command that touches data reads and checks every setting first (a bad one stops it with
a line naming the variable), says on standard error which database it uses, brings it up to
date, and runs its work there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tessera.cli.output import fail, note
from tessera.config import Settings
from tessera.sealing import server_key
from tessera.store.engine import create_engine
from tessera.store.migrate import migrate as run_migrations

T = TypeVar("T")


def settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        fail(str(exc))


def sealing_key() -> bytes:
    """The server key the servers on this database seal with (tessera.sealing)."""
    return server_key(settings())


# The databases this process has named already: a command that opens two transactions (a
# check, a confirmation, then the change) names its database once.
_announced: set[str] = set()


def announce(config: Settings) -> None:
    """``Database: sqlite /home/me/.local/share/tessera/tessera.db`` (never a password)."""
    if config.database_label not in _announced:
        _announced.add(config.database_label)
        note(f"Database: {config.database_label}")


def checked_settings() -> Settings:
    """The settings, checked, with the database announced: what every command starts with."""
    config = settings()
    announce(config)
    return config


def with_engine(work: Callable[[AsyncEngine], Awaitable[T]], *, migrate: bool = True) -> T:
    """Run ``work`` with an engine on a migrated database (it opens its own transactions)."""
    config = checked_settings()

    async def run() -> T:
        if migrate:
            await run_migrations(config)
        engine = create_engine(config)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def in_transaction(work: Callable[[AsyncConnection], Awaitable[T]], *, migrate: bool = True) -> T:
    """Run ``work`` in one transaction on a migrated database: all of it commits, or nothing."""

    async def run(engine: AsyncEngine) -> T:
        async with engine.begin() as conn:
            return await work(conn)

    return with_engine(run, migrate=migrate)
