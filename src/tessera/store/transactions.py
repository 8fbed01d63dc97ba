"""Write transactions: one way to open them, on both databases.

- SQLite has one write lock. A transaction that will write starts with ``BEGIN IMMEDIATE`` and
  holds the lock from its first statement: a deferred ``BEGIN`` would let two transactions both
  read, then fail one on upgrade ("database is locked") instead of queueing it. Connections that
  miss the lock wait in SQLite's busy handler, which sleeps between attempts and serves no one
  in order, so the transactions first queue for it: on an asyncio lock within the process, and
  on a file lock between processes (WriterQueue), which hand it over in arrival order.
- PostgreSQL: a plain transaction. What must not interleave (a balance check and the write that
  spends from it) locks its rows with ``SELECT ... FOR UPDATE``; other rows' transactions run in
  parallel.

Services never commit: the request's unit of work (this, or tessera.store.group_commit) does.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

_OPTION = "tessera_write_lock"
_prepared: weakref.WeakSet[Engine] = weakref.WeakSet()
_queues: weakref.WeakKeyDictionary[AsyncEngine, WriterQueue] = weakref.WeakKeyDictionary()


def _begin_immediate(conn: Connection) -> None:
    if conn.get_execution_options().get(_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class WriterQueue:
    """``async with queue``: this process's turn at SQLite's write lock.

    In the process, writers queue on an asyncio lock, in arrival order. Between processes (the
    workers of ``tessera serve --workers N``) they queue on an advisory lock on a file beside
    the database, which the kernel hands to the next waiter the moment it is released; SQLite's
    own busy handler would instead have the others poll, sleeping up to 100 ms between tries,
    which under load shows as p99s of a second. The file lock only orders writers: SQLite's lock
    still guarantees correctness, so other programs on the file (the CLI) need not take it."""

    def __init__(self, database: str | None) -> None:
        self._in_process = asyncio.Lock()
        self._file: int | None = None
        if database and database != ":memory:":
            self._file = os.open(database + "-writers", os.O_RDWR | os.O_CREAT, 0o600)

    async def __aenter__(self) -> None:
        await self._in_process.acquire()
        if self._file is None:
            return
        acquiring = asyncio.get_running_loop().run_in_executor(
            None, fcntl.flock, self._file, fcntl.LOCK_EX
        )
        try:
            await asyncio.shield(acquiring)
        except BaseException:
            # Cancelled while the thread waits: release the file lock once it is ours.
            acquiring.add_done_callback(lambda _: self._release())
            raise

    async def __aexit__(self, *exc: object) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self._in_process.release()

    def _release(self) -> None:
        assert self._file is not None
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._in_process.release()

    def close(self) -> None:
        if self._file is not None:
            os.close(self._file)
            self._file = None


def sqlite_write_lock(engine: AsyncEngine) -> WriterQueue:
    """The queue this process's SQLite writers wait in, in arrival order."""
    sync: Engine = engine.sync_engine
    if sync not in _prepared:
        sa.event.listen(sync, "begin", _begin_immediate)
        _prepared.add(sync)
    queue = _queues.get(engine)
    if queue is None:
        queue = _queues[engine] = WriterQueue(engine.url.database)
        weakref.finalize(engine, queue.close)
    return queue


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
    statements (a hot path's units of work each take one); ``name`` is a fixed identifier."""
    await conn.exec_driver_sql(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        await conn.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {name}")
        await conn.exec_driver_sql(f"RELEASE SAVEPOINT {name}")
        raise
    await conn.exec_driver_sql(f"RELEASE SAVEPOINT {name}")
