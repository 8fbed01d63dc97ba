"""Group commit: the writes of many concurrent requests committed in one transaction.

A durable commit is the dear part of a small write: SQLite in WAL mode with ``synchronous=FULL``
waits for an fsync (milliseconds on ordinary disks, whatever the size of the transaction), and
PostgreSQL pays a round trip for BEGIN and one for COMMIT, and a WAL flush. So a hot path hands
its write to :class:`GroupCommit`: writes that arrive while a transaction is being committed are
made together by the next one, and each caller resumes only once the transaction holding its
write has committed, or with its own error. Nothing waits on purpose: an idle server writes a
lone request at once; under load a batch is simply everything that queued meanwhile.

Two kinds of write share a batch:

- ``insert(table, row)``: a row, inserted with the batch's other rows of that table in one
  ``executemany``;
- ``run(work)``: a unit of work, ``work(conn)``, that reads and writes what it likes on the
  batch's connection and returns the caller's result. Each runs in its own savepoint, so a unit
  that raises (a refused redemption, a conflict) is undone alone and its caller gets the error,
  while the others commit.

The batch is a write transaction (tessera.store.transactions): on SQLite it holds the write lock
from its first statement, so units of work are serialized as if each had its own transaction;
on PostgreSQL they take their row locks as usual. A batch that fails as a whole (its commit, or a
database error inside a unit) is retried one write per transaction, so one bad write fails only
its own request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tessera.store.engine import sqlite_row_writer
from tessera.store.prepared import Prepared
from tessera.store.transactions import savepoint, sqlite_write_lock, write_transaction
from tessera.store.writer_file import writer_file

T = TypeVar("T")
Work = Callable[[AsyncConnection], Awaitable[Any]]


@dataclass(slots=True)
class _Pending:
    done: asyncio.Future[Any]
    table: sa.Table | None = None
    row: Mapping[str, Any] | None = None
    work: Work | None = None
    result: Any = None
    error: BaseException | None = None


def _settle(pending: _Pending) -> None:
    # The caller may have gone (a client that hung up cancels its request); its write stays.
    if pending.done.done():
        return
    if pending.error is None:
        pending.done.set_result(pending.result)
    else:
        pending.done.set_exception(pending.error)


class _RetryAlone(Exception):
    """A unit of work hit a database error inside a shared batch: redo the batch one by one."""


class GroupCommit:
    def __init__(self, engine: AsyncEngine, max_writes: int = 500) -> None:
        self.engine = engine
        self.max_writes = max_writes
        self.transactions = 0  # committed or failed; for tests and metrics
        self._pending: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None
        self._row_writer: Engine | None = sqlite_row_writer(engine)
        self._writers = writer_file(engine.url.database) if self._row_writer else None
        self._row_thread = ThreadPoolExecutor(1, "tessera-group-commit")

    async def insert(self, table: sa.Table, row: Mapping[str, Any]) -> None:
        """Insert ``row``; returns once it is committed, raises if its transaction failed."""
        await self._hand_over(_Pending(self._future(), table=table, row=row))

    async def run(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """``work(conn)`` in a shared write transaction; its result once that has committed."""
        result: T = await self._hand_over(_Pending(self._future(), work=work))
        return result

    async def close(self) -> None:
        """Wait until every write handed over so far is committed."""
        while self._writer is not None:
            await asyncio.shield(self._writer)
        self._row_thread.shutdown()
        if self._row_writer is not None:
            self._row_writer.dispose()

    @staticmethod
    def _future() -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    async def _hand_over(self, pending: _Pending) -> Any:
        self._pending.append(pending)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_batches())
        return await pending.done

    async def _write_batches(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self.max_writes]
                del self._pending[: self.max_writes]
                await self._write(batch)
        finally:
            self._writer = None

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            await self._commit(batch)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
            else:
                for pending in batch:
                    pending.error = pending.result = None
                    try:
                        await self._commit([pending])
                    except Exception as alone_exc:
                        pending.error = alone_exc
        for pending in batch:
            _settle(pending)

    async def _commit(self, batch: list[_Pending]) -> None:
        rows: dict[sa.Table, list[Mapping[str, Any]]] = {}
        for pending in batch:
            if pending.table is not None and pending.row is not None:
                rows.setdefault(pending.table, []).append(pending.row)
        self.transactions += 1
        if self._row_writer is not None and all(pending.work is None for pending in batch):
            # SQLite, rows only: the whole transaction in one hop to the writer thread, still
            # behind this process's other writers (the write lock's queue).
            async with sqlite_write_lock(self.engine):
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(self._row_thread, self._insert_rows, rows)
            return
        async with write_transaction(self.engine) as conn:
            for table, table_rows in rows.items():
                await conn.execute(table.insert(), table_rows)
            for pending in batch:
                if pending.work is not None:
                    await self._run_one(conn, pending, shared=len(batch) > 1)

    def _insert_rows(self, rows: dict[sa.Table, list[Mapping[str, Any]]]) -> None:
        assert self._row_writer is not None
        with self._writers_turn(), self._row_writer.begin() as conn:
            for table, table_rows in rows.items():
                keys = set(table_rows[0])
                if _fills_defaults(table, keys) or any(row.keys() != keys for row in table_rows):
                    conn.execute(table.insert(), table_rows)
                    continue
                # Straight to the driver's executemany, without SQLAlchemy's per-row work (tens
                # of microseconds a row).
                conn.exec_driver_sql(*_insert(table).driver_batch(conn.dialect, table_rows))

    def _writers_turn(self) -> AbstractContextManager[None]:
        return nullcontext() if self._writers is None else self._writers.held()

    @staticmethod
    async def _run_one(conn: AsyncConnection, pending: _Pending, *, shared: bool) -> None:
        assert pending.work is not None
        if not shared:
            # Alone in its transaction: an error rolls the whole of it back, no savepoint needed.
            pending.result = await pending.work(conn)
            return
        try:
            async with savepoint(conn, "unit_of_work"):
                pending.result = await pending.work(conn)
        except DBAPIError as exc:
            raise _RetryAlone from exc
        except Exception as exc:
            pending.error = exc


@cache
def _insert(table: sa.Table) -> Prepared:
    return Prepared(table.insert())


def _fills_defaults(table: sa.Table, keys: set[str]) -> bool:
    """Whether a column left out has a default SQLAlchemy would have to fill in."""
    return any(column.default is not None for column in table.columns if column.key not in keys)
