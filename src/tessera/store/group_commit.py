"""Group commit: the inserts of many concurrent requests written in one transaction.

A durable commit is the dear part of a small write: SQLite in WAL mode with ``synchronous=FULL``
waits for an fsync (milliseconds on ordinary disks, whatever the size of the transaction), and
PostgreSQL pays a round trip for BEGIN and one for COMMIT. So a hot path that inserts one row per
request hands it to :class:`GroupCommit`: rows that arrive while a transaction is being committed
are written together by the next one, and each caller resumes only once the transaction holding
its row has committed, or with that transaction's error. Nothing waits on purpose: an idle
server writes a lone row at once; under load a batch is simply everything that queued meanwhile.

A batch that fails is retried row by row, so one bad row fails only its own request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(frozen=True, slots=True)
class _Pending:
    table: sa.Table
    row: Mapping[str, Any]
    done: asyncio.Future[None]


def _settle(pending: _Pending, error: BaseException | None) -> None:
    # The caller may have gone (a client that hung up cancels its request); its row stays written.
    if pending.done.done():
        return
    if error is None:
        pending.done.set_result(None)
    else:
        pending.done.set_exception(error)


class GroupCommit:
    def __init__(self, engine: AsyncEngine, max_rows: int = 500) -> None:
        self.engine = engine
        self.max_rows = max_rows
        self.transactions = 0  # committed or failed; for tests and metrics
        self._pending: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None

    async def insert(self, table: sa.Table, row: Mapping[str, Any]) -> None:
        """Insert ``row``; returns once it is committed, raises if its transaction failed."""
        pending = _Pending(table, row, asyncio.get_running_loop().create_future())
        self._pending.append(pending)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_batches())
        await pending.done

    async def close(self) -> None:
        """Wait until every row handed over so far is written."""
        while self._writer is not None:
            await asyncio.shield(self._writer)

    async def _write_batches(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self.max_rows]
                del self._pending[: self.max_rows]
                await self._write(batch)
        finally:
            self._writer = None

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            await self._commit(batch)
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0], exc)
                return
            for pending in batch:
                try:
                    await self._commit([pending])
                except Exception as row_exc:
                    _settle(pending, row_exc)
                else:
                    _settle(pending, None)
            return
        for pending in batch:
            _settle(pending, None)

    async def _commit(self, batch: list[_Pending]) -> None:
        by_table: dict[sa.Table, list[Mapping[str, Any]]] = {}
        for pending in batch:
            by_table.setdefault(pending.table, []).append(pending.row)
        self.transactions += 1
        async with self.engine.begin() as conn:
            for table, rows in by_table.items():
                await conn.execute(table.insert(), rows)
