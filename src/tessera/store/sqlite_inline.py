"""SQLite for asyncio without a thread hop per statement.

aiosqlite runs every statement on a thread of its own connection: a queue put, a thread switch,
a GIL hand-over and a wake-up of the event loop per statement, tens of microseconds each and,
under load, a wait behind everything else the loop has to do. Most SQLite statements take a few
microseconds and cannot block: in WAL mode readers never wait for the writer, and a writer that
holds the write lock never waits for anyone. So this driver runs them inline, on the event loop,
and sends to a thread only the statements that can wait:

- taking the write lock (``BEGIN IMMEDIATE``, or the first write of a deferred transaction),
  which may wait for another process's writer; ``BEGIN IMMEDIATE`` first takes the writers'
  file lock (tessera.store.writer_file) on the same thread;
- ``COMMIT``, which waits for the disk (``synchronous=FULL``), and gives the file lock back on
  the same thread.

It implements the part of aiosqlite's connection and cursor that SQLAlchemy's aiosqlite dialect
uses, and is plugged in with ``create_async_engine(..., async_creator=...)`` (store.engine).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from tessera.store.writer_file import WriterFile, writer_file

T = TypeVar("T")

_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "WITH"})
# Blocking calls (lock waits, fsyncs) of every connection; a few threads are plenty, since one
# process has one writer at a time.
_threads = ThreadPoolExecutor(4, "tessera-sqlite")


class InlineCursor:
    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection
        self._cursor = connection.sqlite.cursor()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        await self._connection.run(sql, self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        await self._connection.run(sql, self._cursor.executemany, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    def __init__(self, sqlite: sqlite3.Connection, writers: WriterFile | None = None) -> None:
        self.sqlite = sqlite
        # True from taking the write lock until the transaction ends: writes cannot wait then.
        self._writing = False
        self._writers = writers
        self._holding = False  # the writers' file lock

    @property
    def _connection(self) -> sqlite3.Connection:
        # SQLAlchemy's adapter checks this attribute (aiosqlite's) before commit and rollback.
        return self.sqlite

    @property
    def writing(self) -> bool:
        """Whether this connection holds SQLite's write lock (its writes cannot wait)."""
        return self._writing

    @property
    def isolation_level(self) -> str | None:
        return self.sqlite.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self)

    async def run(self, sql: str, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)`` for the statement ``sql``: inline, or on a thread if it can wait."""
        words = sql.split(None, 2)
        verb = words[0].upper() if words else ""
        if verb == "BEGIN":
            immediate = len(words) > 1 and words[1].upper() in ("IMMEDIATE", "EXCLUSIVE")
            if immediate and self._writers is not None:
                result = await self._taking_turn(call, *args)
            else:
                result = await self._blocking(call, *args)
            self._writing = immediate
            return result
        if verb in _WRITES and not self._writing:
            result = await self._blocking(call, *args)
            self._writing = self.sqlite.in_transaction
            return result
        if verb in ("COMMIT", "END"):
            self._writing = False
            return await self._blocking(self._ending, call, *args)
        if verb == "ROLLBACK" and (len(words) == 1 or words[1].upper() != "TO"):
            self._writing = False
            return self._ending(call, *args)
        return call(*args)

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        cursor = self.cursor()
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        self._writing = False
        if self.sqlite.in_transaction:
            await self._blocking(self._ending, self.sqlite.commit)
        else:
            self._give_turn_back()

    async def rollback(self) -> None:
        self._writing = False
        self._ending(self.sqlite.rollback)

    async def close(self) -> None:
        self._writing = False
        self._ending(self.sqlite.close)

    async def _taking_turn(self, call: Callable[..., T], *args: Any) -> T:
        """``BEGIN IMMEDIATE`` behind the writers' file lock, both on one thread."""
        assert self._writers is not None
        writers = self._writers

        def begin() -> T:
            writers.acquire()
            try:
                result = call(*args)
            except BaseException:
                writers.release()
                raise
            self._holding = True
            return result

        started = asyncio.get_running_loop().run_in_executor(_threads, begin)
        try:
            return await asyncio.shield(started)
        except asyncio.CancelledError:
            # The thread goes on: once it has the lock, give it back with the transaction.
            started.add_done_callback(self._abandon_turn)
            raise

    def _abandon_turn(self, started: asyncio.Future[Any]) -> None:
        if started.cancelled() or started.exception() is not None:
            return  # BEGIN failed (the connection was closed meanwhile): the lock is back
        with contextlib.suppress(sqlite3.Error):
            self._ending(self.sqlite.rollback)

    def _ending(self, call: Callable[..., T], *args: Any) -> T:
        """End the transaction with ``call``, then give the writers' turn back."""
        try:
            return call(*args)
        finally:
            self._give_turn_back()

    def _give_turn_back(self) -> None:
        if self._holding:
            self._holding = False
            assert self._writers is not None
            self._writers.release()

    def stop(self) -> None:
        # SQLAlchemy's terminate: the connection goes, and with it this process's writing turn.
        self._ending(self.sqlite.close)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.sqlite.create_function(*args, **kwargs)

    @staticmethod
    async def _blocking(call: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(_threads, call, *args)


def inline_connector(path: str) -> Callable[[], Any]:
    """``async_creator`` for ``create_async_engine``: a new connection to the file ``path``."""

    async def connect() -> InlineConnection:
        # Opening a file may touch the disk: off the loop, like every other wait.
        connect_file = partial(sqlite3.connect, path, check_same_thread=False)
        sqlite = await InlineConnection._blocking(connect_file)
        return InlineConnection(sqlite, writer_file(path))

    return connect
