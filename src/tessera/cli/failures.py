"""One line for an error a command could not avoid: its cause, then what to do about it.

A command's own checks fail with their message (``output.fail``); this turns whatever else
escapes a command (a domain error from the core, an unreachable database, a bug) into the same
kind of line. ``tessera --debug`` shows the traceback instead.
"""

from __future__ import annotations

import sqlite3

import asyncpg  # type: ignore[import-untyped]
import sqlalchemy.exc

from tessera.kit.errors import DomainError
from tessera.store.outage import is_database_outage

FIX_DATABASE_URL = "check TESSERA_DATABASE_URL (docs/configuration.md)"


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found and len(found) < 8:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _said(exc: BaseException) -> str:
    """What the exception says, on one line, without SQLAlchemy's statement and link."""
    if isinstance(exc, sqlalchemy.exc.StatementError) and exc.orig is not None:
        exc = exc.orig
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror + (f": {exc.filename}" if exc.filename else "")
    else:
        text = str(exc).strip() or type(exc).__name__
    return " ".join(text.splitlines()[0].split())


def domain_message(exc: DomainError) -> str:
    """The message, and each detail: on the same line when there is one, else one a line."""
    details: dict[str, str] = getattr(exc, "details", {}) or {}
    if len(details) == 1:
        ((field, why),) = details.items()
        return f"{exc.message.rstrip('.')} ({field}: {why})"
    return exc.message + "".join(f"\n  {field}: {why}" for field, why in details.items())


def explain(exc: BaseException) -> str:
    """The line ``tessera`` prints for ``exc`` (after ``error:``)."""
    chain = _chain(exc)
    for cause in chain:
        if isinstance(cause, DomainError):
            return domain_message(cause)
    root = chain[-1]
    for cause in chain:
        if isinstance(
            cause, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
        ):
            return f"the database refused the login ({_said(cause)}): {FIX_DATABASE_URL}"
        if isinstance(cause, asyncpg.InvalidCatalogNameError):
            return f"{_said(cause)}: create it (createdb NAME) or {FIX_DATABASE_URL}"
        if isinstance(cause, sqlite3.OperationalError) and "unable to open" in str(cause):
            return (
                f"cannot open the SQLite database ({_said(cause)}): check that its folder is "
                f"writable, or {FIX_DATABASE_URL}"
            )
    if is_database_outage(exc):
        if any(isinstance(cause, sqlite3.OperationalError) for cause in chain):
            return (
                f"the SQLite database is locked ({_said(root)}): another process holds its "
                "write lock; run the command again once it is done"
            )
        return f"cannot reach the database ({_said(root)}): start it, or {FIX_DATABASE_URL}"
    if isinstance(root, OSError):
        return f"{_said(root)} (check that the path exists and may be written to)"
    return (
        f"unexpected {type(root).__name__}: {_said(root)} "
        "(run the command again with `tessera --debug ...` for the traceback)"
    )
