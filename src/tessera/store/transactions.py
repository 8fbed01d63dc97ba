"""Write transactions: one way to open them, on both databases.

- SQLite has one write lock. A transaction that will write starts with ``BEGIN IMMEDIATE`` and
  holds the lock from its first statement: a deferred ``BEGIN`` would let two transactions both
  read, then fail one on upgrade ("database is locked") instead of queueing it. Connections that
  miss the lock wait in SQLite's busy handler, which sleeps between attempts and serves no one
  in order, so the transactions first queue for it: on an asyncio lock within the process, and
  on a file lock between processes (tessera.store.writer_file), which hand it over in order.
- PostgreSQL: a plain transaction. What must not interleave (a balance check and the write that
  spends from it) locks its rows with ``SELECT ... FOR UPDATE``; other rows' transactions run in
  parallel.

Services never commit: the request's unit of work (this, or tessera.store.group_commit) does.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tessera.store.prepared import inline_driver

_OPTION = "tessera_write_lock"
_prepared: weakref.WeakSet[Engine] = weakref.WeakSet()
_locks: weakref.WeakKeyDictionary[AsyncEngine, asyncio.Lock] = weakref.WeakKeyDictionary()


def _begin_immediate(conn: Connection) -> None:
    if conn.get_execution_options().get(_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def sqlite_write_lock(engine: AsyncEngine) -> asyncio.Lock:
    """The queue this process's SQLite writers wait in, in arrival order (between processes,
    tessera.store.writer_file orders them)."""
    sync: Engine = engine.sync_engine
    if sync not in _prepared:
        sa.event.listen(sync, "begin", _begin_immediate)
        _prepared.add(sync)
    lock = _locks.get(engine)
    if lock is None:
        lock = _locks[engine] = asyncio.Lock()
    return lock


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """``async with write_transaction(engine) as conn``: commit on success, roll back on error."""
    if engine.dialect.name != "sqlite":
        async with engine.begin() as conn:
            yield conn
        return
    async with sqlite_write_lock(engine), engine.connect() as conn:
        await conn.execution_options(**{_OPTION: True})
        async with conn.begin():
            yield conn


@asynccontextmanager
async def savepoint(conn: AsyncConnection, name: str) -> AsyncIterator[None]:
    """``async with savepoint(conn, "name")``: what the block wrote is undone if it raises.

    Plain SQL rather than ``conn.begin_nested()``, which costs twice as much for the same two
    statements (a hot path's units of work each take one), and on SQLite straight to the driver
    (tessera.store.prepared); ``name`` is a fixed identifier."""

    driver = inline_driver(conn)

    async def run(sql: str) -> None:
        if driver is not None:
            driver.sqlite.execute(sql).close()
        else:
            await conn.exec_driver_sql(sql)

    await run(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        await run(f"ROLLBACK TO SAVEPOINT {name}")
        await run(f"RELEASE SAVEPOINT {name}")
        raise
    await run(f"RELEASE SAVEPOINT {name}")
