"""``GET /readyz``: whether this worker can serve traffic now.

Ready means: the database answers, Redis answers (when one is configured), and every migration
this code needs is applied (a database behind the code lacks a table or column the code uses).
Each check is bounded by ``CHECK_TIMEOUT`` and the database check borrows one pool connection
for one small query, so a load balancer may poll it every second. The answer names each
check, so the failing one shows (with status 503):
``{"status": "unavailable", "failed": ["redis"], "checks": {...}}``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Check:
    passed: bool
    detail: str


PASSED = Check(True, OK)


def migrations_state(applied: frozenset[str]) -> Check:
    """Behind the code (a head not applied, nothing newer): not ready. Migrated by a newer
    release (revisions this code does not know): ready, since migrations only add, and a rolling
    upgrade must not take the old release's workers out before the new ones are up."""
    heads = code_heads()
    if applied == heads:
        return PASSED
    unknown = sorted(applied - heads)
    if unknown:
        return Check(True, f"ok; migrated by a newer release ({', '.join(unknown)})")
    missing = ", ".join(sorted(heads - applied))
    return Check(False, f"not applied: {missing} (run `tessera migrate`)")


async def check_database(tessera: Tessera) -> tuple[Check, Check]:
    """The database's answer and the migrations' state."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            try:
                applied = await _applied_versions(tessera)
            except sa.exc.DBAPIError as exc:
                # A pooled connection left over from before a database restart fails once and
                # is dropped; the next one tells whether the database itself is back.
                if not exc.connection_invalidated:
                    raise
                applied = await _applied_versions(tessera)
    except Exception as exc:
        return Check(False, _failure(exc)), Check(True, "not checked: the database did not answer")
    return PASSED, migrations_state(applied)


async def check_redis(tessera: Tessera) -> Check:
    shared = tessera.limiter.shared
    if shared is None:
        return Check(True, "not configured")
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await shared.client.ping()
    except Exception as exc:
        return Check(False, _failure(exc))
    return PASSED


async def readiness(tessera: Tessera) -> Readiness:
    (database, migrations), redis = await asyncio.gather(
        check_database(tessera), check_redis(tessera)
    )
    checks = {"database": database, "migrations": migrations, "redis": redis}
    failed = [name for name, check in checks.items() if not check.passed]
    return Readiness(
        status="unavailable" if failed else "ready",
        failed=failed,
        checks={name: check.detail for name, check in checks.items()},
    )


async def readyz(request: Request) -> Response:
    answer = await readiness(request.state.tessera)
    return Response(
        msgspec.json.encode(answer),
        status_code=503 if answer.failed else 200,
        media_type="application/json",
        headers={"cache-control": "no-store"},
    )
