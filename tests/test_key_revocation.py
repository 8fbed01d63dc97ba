"""A revoked key is refused by every worker within 0.1 s, though each caches the keys it saw.

The live tests run `tessera serve --workers 2`, hold keep-alive connections to both workers
(see tests/test_rate_limits_across_workers.py for how a test knows which worker owns one), keep
both workers' caches warm with the key while `tessera keys revoke` runs as its own process, and
then send the key to both workers.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import AsyncExitStack

from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.auth.keys import list_keys, revoke_key
from tessera.auth.revocations import CHECK_SECONDS, revocation_version
from tessera.auth.stripe_keys import create_stripe_keys
from tessera.config import Settings
from tests.conftest import LiveServer, app_client
from tests.factories import make_tenant
from tests.test_rate_limits_across_workers import Connection, connections_to_both_workers

WHOAMI = "/v2/identity/whoami"
# The warm-up sends many requests, and every one after the revocation is a failed
# authentication: limits out of their reach keep 429s out of the test.
UNLIMITED = "100000/second"
SERVER_ENV = {"TESSERA_RATE_LIMIT_AUTH_FAILURES": UNLIMITED}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def revoke_while_warming(
    database_url: str, connections: list[Connection], path: str, key: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run `tessera keys revoke ARGS` while every connection keeps sending ``key``, so both
    workers have just read it from their caches when the command's transaction commits."""
    env = {**os.environ, "TESSERA_DATABASE_URL": database_url, "COLUMNS": "200"}
    command = asyncio.create_task(
        asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "tessera", "keys", "revoke", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    )
    while not command.done():
        await asyncio.gather(*(c.http.get(path, headers=bearer(key)) for c in connections))
        await asyncio.sleep(0.05)
    result = await command
    assert result.returncode == 0, result.stderr
    return result


async def statuses_from_both_workers(
    connections: list[Connection], path: str, key: str
) -> dict[int, set[int]]:
    answers = await asyncio.gather(*(c.http.get(path, headers=bearer(key)) for c in connections))
    statuses: dict[int, set[int]] = {}
    for connection, answer in zip(connections, answers, strict=True):
        statuses.setdefault(connection.worker, set()).add(answer.status_code)
    return statuses


async def test_a_revoked_api_key_is_refused_by_both_workers_at_once(
    live_server: Callable[..., LiveServer], database_url: str, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db, rate_limit=UNLIMITED)
    async with db.connect() as conn:
        (key,) = await list_keys(conn, tenant.program_id)
    server = live_server(workers=2, env=SERVER_ENV)
    async with AsyncExitStack() as stack:
        connections = await connections_to_both_workers(server, stack)
        warm = await statuses_from_both_workers(connections, WHOAMI, tenant.api_key)
        assert warm == {worker: {200} for worker in warm}
        result = await revoke_while_warming(
            database_url, connections, WHOAMI, tenant.api_key, str(key.id)
        )
        await asyncio.sleep(CHECK_SECONDS)
        after = await statuses_from_both_workers(connections, WHOAMI, tenant.api_key)
    assert len(after) == 2
    assert after == {worker: {401} for worker in after}
    assert "every worker refuses it within 0.1 s" in result.stdout


async def test_a_revoked_stripe_key_is_refused_by_both_workers_at_once(
    live_server: Callable[..., LiveServer], database_url: str, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    async with db.begin() as conn:
        keys = await create_stripe_keys(conn, tenant.program_id, rate_limit=UNLIMITED)
    server = live_server(workers=2, env=SERVER_ENV)
    path = "/v1/customers"
    async with AsyncExitStack() as stack:
        connections = await connections_to_both_workers(server, stack)
        warm = await statuses_from_both_workers(connections, path, keys.secret_key)
        assert warm == {worker: {200} for worker in warm}
        result = await revoke_while_warming(
            database_url, connections, path, keys.secret_key, "--stripe", str(keys.secret.id)
        )
        await asyncio.sleep(CHECK_SECONDS)
        after = await statuses_from_both_workers(connections, path, keys.secret_key)
    assert len(after) == 2
    assert after == {worker: {401} for worker in after}
    assert "every worker refuses it within 0.1 s" in result.stdout


async def test_a_key_revoked_elsewhere_is_refused_within_the_check_interval(
    settings: Settings, db: AsyncEngine
) -> None:
    """In-process, with a long cache: the revocation commits on another engine, as the CLI's
    or another worker's would, and the cached key stops working within CHECK_SECONDS."""
    tenant = await make_tenant(db)
    async with db.connect() as conn:
        (key,) = await list_keys(conn, tenant.program_id)
    async with app_client(settings.with_(auth_cache_ttl=600.0)) as http:
        assert (await http.get(WHOAMI, headers=tenant.auth)).status_code == 200
        async with db.begin() as conn:
            await revoke_key(conn, key.id)
        await asyncio.sleep(CHECK_SECONDS)
        answer = await http.get(WHOAMI, headers=tenant.auth)
    assert answer.status_code == 401


async def test_other_keys_keep_working_after_a_revocation(
    settings: Settings, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    other = await make_tenant(db, name="Other Rewards")
    async with db.connect() as conn:
        (key,) = await list_keys(conn, tenant.program_id)
    async with app_client(settings.with_(auth_cache_ttl=600.0)) as http:
        assert (await http.get(WHOAMI, headers=other.auth)).status_code == 200
        async with db.begin() as conn:
            await revoke_key(conn, key.id)
        await asyncio.sleep(CHECK_SECONDS)
        assert (await http.get(WHOAMI, headers=other.auth)).status_code == 200


async def test_revoking_changes_nothing_when_the_key_was_already_revoked(
    db: AsyncEngine,
) -> None:
    """A second revoke is a no-op: it does not make every worker drop its caches again."""
    tenant = await make_tenant(db)
    async with db.connect() as conn:
        (key,) = await list_keys(conn, tenant.program_id)
    async with db.begin() as conn:
        await revoke_key(conn, key.id)
        first = await revocation_version(conn)
        await revoke_key(conn, key.id)
        assert await revocation_version(conn) == first
