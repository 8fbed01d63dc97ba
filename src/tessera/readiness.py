"""``GET /readyz``: whether this worker can serve traffic now.

Ready means: the database answers, Redis answers (when one is configured), and the database's
migrations are exactly the code's heads (a database behind the code lacks a table or column the
code uses; one ahead of it was migrated by a newer release). Each check is bounded by
``CHECK_TIMEOUT`` and the database check borrows one pool connection for one small query, so a
load balancer may poll it every second. The answer names each check, so the failing one shows:
``{"status": "unavailable", "failed": ["redis"], "checks": {...}}`` with status 503.
"""

from __future__ import annotations

import asyncio
from functools import cache

import msgspec
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from starlette.requests import Request
from starlette.responses import Response

from tessera.state import Tessera
from tessera.store.migrate import alembic_config

CHECK_TIMEOUT = 1.0  # seconds, per check
OK = "ok"

_VERSIONS = sa.text("SELECT version_num FROM alembic_version")


class Readiness(msgspec.Struct):
    status: str
    failed: list[str]
    checks: dict[str, str]


@cache
def code_heads() -> frozenset[str]:
    """The migration heads this code was written for (read from the scripts once)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def _failure(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {CHECK_TIMEOUT:g} s"
    # The exception's type only: its text may carry a host name or a URL with a password.
    return f"unreachable ({type(exc).__name__})"


async def _applied_versions(tessera: Tessera) -> frozenset[str]:
    async with tessera.engine.connect() as conn:
        try:
            return frozenset((await conn.execute(_VERSIONS)).scalars())
        except (sa.exc.ProgrammingError, sa.exc.OperationalError) as exc:
            if "alembic_version" not in str(exc.orig):
                raise
            return frozenset()  # a database never migrated


async def check_database(tessera: Tessera) -> tuple[str, str]:
    """The database's answer and the migrations' state."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            try:
                versions = await _applied_versions(tessera)
            except sa.exc.DBAPIError as exc:
                # A pooled connection left over from before a database restart fails once and
                # is dropped; the next one tells whether the database itself is back.
                if not exc.connection_invalidated:
                    raise
                versions = await _applied_versions(tessera)
    except Exception as exc:
        return _failure(exc), "not checked: the database did not answer"
    heads = code_heads()
    if versions == heads:
        return OK, OK
    behind = sorted(heads - versions)
    unknown = sorted(versions - heads)
    parts = []
    if behind:
        parts.append(f"not applied: {', '.join(behind)} (run `tessera migrate`)")
    if unknown:
        parts.append(f"unknown to this release: {', '.join(unknown)}")
    return OK, "; ".join(parts)


async def check_redis(tessera: Tessera) -> str:
    shared = tessera.limiter.shared
    if shared is None:
        return "not configured"
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await shared.client.ping()
    except Exception as exc:
        return _failure(exc)
    return OK


async def readiness(tessera: Tessera) -> Readiness:
    (database, migrations), redis = await asyncio.gather(
        check_database(tessera), check_redis(tessera)
    )
    checks = {"database": database, "migrations": migrations, "redis": redis}
    failed = [
        name
        for name, result in checks.items()
        if result != OK
        and not (name == "redis" and result == "not configured")
        and not (name == "migrations" and database != OK)
    ]
    return Readiness(status="unavailable" if failed else "ready", failed=failed, checks=checks)


async def readyz(request: Request) -> Response:
    answer = await readiness(request.state.tessera)
    return Response(
        msgspec.json.encode(answer),
        status_code=503 if answer.failed else 200,
        media_type="application/json",
        headers={"cache-control": "no-store"},
    )
