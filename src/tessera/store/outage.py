"""Telling an unreachable or busy database from a bug.

A request that failed because the database could not be reached (PostgreSQL stopped, a
connection cut, the pool exhausted) or because SQLite stayed locked past its busy timeout is
no server error: the same request will succeed once the database is back. The dialects answer
it 503 with Retry-After in their envelope; anything else stays a 500.
"""

from __future__ import annotations

import errno
import socket
import sqlite3

import asyncpg  # type: ignore[import-untyped]
import sqlalchemy.exc

from tessera.kit.errors import DATABASE_UNAVAILABLE

# Seconds a client is told to wait: about how long a PostgreSQL restart or failover takes.
RETRY_AFTER_SECONDS = 2

# SQLite's own errors for "not now" rather than "wrong" (sqlite3.OperationalError also covers
# "no such table", which is a bug).
_SQLITE_BUSY = ("database is locked", "database table is locked", "disk i/o error")

_UNREACHABLE = (
    ConnectionError,  # refused, reset, aborted
    TimeoutError,
    socket.gaierror,  # a host name that does not resolve (DNS down)
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,  # "connection is closed"
    sqlalchemy.exc.TimeoutError,  # no pool connection came free in time
)


# A host or network that cannot be reached (refused and reset are ConnectionErrors already).
_NETWORK_ERRNOS = frozenset(
    {errno.ETIMEDOUT, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}
)


def _causes(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(found) < 8 and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


class SharedStateUnavailable(Exception):
    """Redis cannot be reached and ``TESSERA_REDIS_OUTAGE=refuse``: rate limits cannot be
    checked across workers, so the request is refused rather than counted per worker."""


# What every dialect says (a 503 with Retry-After) while Redis cannot be reached and refusing
# is the configured behaviour.
SHARED_STATE_UNAVAILABLE = (
    "Tessera cannot check rate limits right now (its Redis is unreachable); nothing was "
    "changed. Please retry shortly."
)


def outage(exc: BaseException) -> tuple[str, str] | None:
    """``(log event, message)`` when ``exc`` says a service Tessera needs is unreachable (the
    answer is then a 503 with Retry-After), None for anything else."""
    if is_database_outage(exc):
        return "database_unavailable", DATABASE_UNAVAILABLE
    if any(isinstance(cause, SharedStateUnavailable) for cause in _causes(exc)):
        return "redis_unavailable", SHARED_STATE_UNAVAILABLE
    return None


def is_database_outage(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the database is unreachable or busy."""
    for cause in _causes(exc):
        if isinstance(cause, sqlalchemy.exc.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, _UNREACHABLE):
            return True
        if isinstance(cause, OSError) and cause.errno in _NETWORK_ERRNOS:
            return True
        if isinstance(cause, sqlite3.OperationalError) and str(cause).lower().startswith(
            _SQLITE_BUSY
        ):
            return True
    return False
