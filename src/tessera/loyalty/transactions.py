"""Transactions that change a customer's points: serialized per customer, on both databases.

A balance check and the write that spends from it must not interleave with another request's,
or two redemptions could each see enough points and together overspend. So every such
transaction first takes a lock covering the customer:

- PostgreSQL: ``SELECT ... FOR UPDATE`` on the customer's row (``find_customer(for_update=True)``)
  inside the transaction; other customers' transactions run in parallel.
- SQLite: one writer at a time anyway, so the transaction starts with ``BEGIN IMMEDIATE`` and
  holds the write lock from its first statement. A deferred ``BEGIN`` would let two transactions
  both read, then fail one on upgrade ("database is locked") instead of queueing it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from weakref import WeakSet

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

_OPTION = "tessera_write_lock"
_prepared: WeakSet[Engine] = WeakSet()


def _begin_immediate(conn: Connection) -> None:
    if conn.get_execution_options().get(_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _prepare(engine: AsyncEngine) -> None:
    sync: Engine = engine.sync_engine
    if sync not in _prepared:
        sa.event.listen(sync, "begin", _begin_immediate)
        _prepared.add(sync)


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """``async with write_transaction(engine) as conn``: commit on success, roll back on error."""
    options: dict[str, Any] = {}
    if engine.dialect.name == "sqlite":
        _prepare(engine)
        options[_OPTION] = True
    async with engine.connect() as conn:
        if options:
            await conn.execution_options(**options)
        async with conn.begin():
            yield conn
