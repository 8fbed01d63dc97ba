"""Write transactions that queue in the process before they queue in SQLite.

SQLite has one write lock; connections that miss it wait in its busy handler, which sleeps
between attempts and serves no one in order, so under concurrent writes a few requests wait
for a second or more. Taking an in-process lock first hands the write lock over in arrival
order, with only the other workers left to contend for it. PostgreSQL needs none of this.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

_locks: weakref.WeakKeyDictionary[AsyncEngine, asyncio.Lock] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    if engine.dialect.name != "sqlite":
        async with engine.begin() as conn:
            yield conn
        return
    lock = _locks.get(engine)
    if lock is None:
        lock = _locks[engine] = asyncio.Lock()
    async with lock, engine.begin() as conn:
        yield conn
