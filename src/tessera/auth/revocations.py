"""Revocation that reaches every worker: a counter the revoking transaction raises.

Each worker caches the credentials it has seen (``auth_cache_ttl``), so a key revoked by the
CLI, or by another worker, would stay honoured by that cache until it expires. Instead every
revocation raises ``revocations.version`` in the same transaction as the revocation itself, and
each worker reads that one number at most every ``CHECK_SECONDS`` (one primary-key read, made by
the first request after the interval, never more than one at a time): when it moved, the worker
drops every cached credential and reads them again. A revoked key is therefore refused by every
worker within ``CHECK_SECONDS`` of its commit, while a request costs no query of its own.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tessera.store.tables import revocations

log = structlog.get_logger("tessera.auth")

# How stale a worker's cached credentials may be, at most, after a revocation commits.
CHECK_SECONDS = 0.1


async def record_revocation(conn: AsyncConnection) -> None:
    """Call in the transaction that revokes: every worker drops its cached credentials."""
    result = await conn.execute(
        revocations.update().where(revocations.c.id == 1).values(version=revocations.c.version + 1)
    )
    if result.rowcount == 0:  # a database whose schema was not made by the migrations
        await conn.execute(revocations.insert().values(id=1, version=1))


async def revocation_version(conn: AsyncConnection) -> int:
    version = (
        await conn.execute(sa.select(revocations.c.version).where(revocations.c.id == 1))
    ).scalar()
    return int(version or 0)


class Clearable(Protocol):
    def clear(self) -> None: ...


class RevocationWatch:
    """Clears ``caches`` when the revocation counter has moved since this worker last looked."""

    def __init__(self, engine: AsyncEngine, caches: Sequence[Clearable]) -> None:
        self._engine = engine
        self._caches = caches
        self._version: int | None = None
        # Raised by every clear: a lookup that began before a clear must not cache its result.
        self.generation = 0
        self._next_check = 0.0
        self._checking = False
        self._unreadable = False

    async def check(self) -> None:
        now = time.monotonic()
        if self._checking or now < self._next_check:
            return
        self._checking = True
        self._next_check = now + CHECK_SECONDS
        try:
            async with self._engine.connect() as conn:
                version: int | None = await revocation_version(conn)
        except Exception as exc:  # the database is unreachable: trust no cached credential
            if not self._unreadable:  # one warning per outage, not one per check
                log.warning("revocations_unreadable", error=type(exc).__name__)
            self._unreadable = True
            version = None
        else:
            self._unreadable = False
        finally:
            self._checking = False
        if version is None or version != self._version:
            self.clear()
        self._version = version

    def clear(self) -> None:
        self.generation += 1
        for cache in self._caches:
            cache.clear()
