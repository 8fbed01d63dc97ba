"""The async engine, with the per-connection settings each backend needs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tessera.config import Settings
from tessera.store.sqlite_inline import inline_connector


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; FULL sync makes an acknowledged commit
    # survive a power cut, not only a process crash; busy_timeout queues writers instead of
    # failing them with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        path = settings.sqlite_path()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            settings.database_url,
            pool_size=8,
            max_overflow=8,
            async_creator=inline_connector(str(path) if path is not None else ":memory:"),
        )
        sa.event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        return engine
    return create_async_engine(
        settings.database_url, pool_size=10, max_overflow=10, pool_pre_ping=False
    )


def sqlite_row_writer(engine: AsyncEngine) -> Engine | None:
    """A synchronous engine on the same SQLite file, for group commit's plain inserts: a whole
    batch is then one hop to a thread instead of one per statement (see store.group_commit).
    None for PostgreSQL, whose driver is asynchronous already, and for in-memory databases."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    writer = sa.create_engine(
        url.set(drivername="sqlite"),
        pool_size=1,
        max_overflow=0,
        connect_args={"check_same_thread": False},
    )
    sa.event.listen(writer, "connect", _on_sqlite_connect)
    return writer
