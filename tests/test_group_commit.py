"""Group commit: concurrent inserts share transactions, and nobody is answered before commit."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.kit.secrets import hash_secret
from tessera.sessions.webview import prepare_webview_session
from tessera.store.group_commit import GroupCommit
from tessera.store.tables import webview_sessions
from tests.factories import Tenant, make_tenant


def new_row(tenant: Tenant) -> dict[str, Any]:
    row, _ = prepare_webview_session(
        tenant.site,
        channel="app",
        language=None,
        currency=None,
        customer=None,
        public_url="http://testserver",
        ttl_seconds=300,
    )
    return row


async def stored_hashes(db: AsyncEngine) -> set[str]:
    async with db.connect() as conn:
        return set((await conn.execute(sa.select(webview_sessions.c.token_hash))).scalars())


async def test_every_acknowledged_webview_session_exists_after_its_response(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db, rate_limit="1000/second")
    path = f"/v2/sites/{tenant.site.id}/webviews/sessions"
    body = {"channel": "app", "customer": {"merchant_id": "1000001", "email": "a@example.com"}}

    async def create_and_check() -> str:
        response = await client.post(path, json=body, headers=tenant.auth)
        assert response.status_code == 201
        token = response.json()["webview_session"]["url"].rsplit("/", 1)[1]
        # Checked the moment the answer arrives, while other requests are still in flight.
        assert hash_secret(token) in await stored_hashes(db)
        return token

    tokens = await asyncio.gather(*(create_and_check() for _ in range(40)))
    assert len(set(tokens)) == 40


async def test_concurrent_inserts_are_committed_in_one_transaction(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    writes = GroupCommit(db)
    rows = [new_row(tenant) for _ in range(30)]
    await asyncio.gather(*(writes.insert(webview_sessions, row) for row in rows))
    assert writes.transactions == 1
    assert {row["token_hash"] for row in rows} <= await stored_hashes(db)


async def test_a_lone_insert_is_written_at_once(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    writes = GroupCommit(db)
    row = new_row(tenant)
    await asyncio.wait_for(writes.insert(webview_sessions, row), timeout=5)
    assert row["token_hash"] in await stored_hashes(db)


async def test_a_bad_row_fails_only_its_own_insert(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    writes = GroupCommit(db)
    first = new_row(tenant)
    await writes.insert(webview_sessions, first)
    good = [new_row(tenant) for _ in range(3)]
    duplicate = {**new_row(tenant), "token_hash": first["token_hash"]}
    outcomes = await asyncio.gather(
        *(writes.insert(webview_sessions, row) for row in [good[0], duplicate, *good[1:]]),
        return_exceptions=True,
    )
    assert outcomes[0] is None and outcomes[2] is None and outcomes[3] is None
    assert isinstance(outcomes[1], IntegrityError)
    assert {row["token_hash"] for row in good} <= await stored_hashes(db)


async def test_close_waits_for_every_row_handed_over(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    writes = GroupCommit(db)
    rows = [new_row(tenant) for _ in range(10)]
    inserts = [asyncio.create_task(writes.insert(webview_sessions, row)) for row in rows]
    await asyncio.sleep(0)  # the inserts hand their rows over
    await writes.close()
    assert all(task.done() for task in inserts)
    assert {row["token_hash"] for row in rows} <= await stored_hashes(db)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_cancelled_caller_does_not_stop_the_others(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    writes = GroupCommit(db)
    rows = [new_row(tenant) for _ in range(5)]
    inserts = [asyncio.create_task(writes.insert(webview_sessions, row)) for row in rows]
    await asyncio.sleep(0)
    inserts[0].cancel()
    await asyncio.gather(*inserts[1:])
    await writes.close()
    assert {row["token_hash"] for row in rows[1:]} <= await stored_hashes(db)


def inserting(row: dict[str, Any], *, then_raise: Exception | None = None) -> Any:
    async def work(conn: Any) -> str:
        await conn.execute(webview_sessions.insert(), row)
        if then_raise is not None:
            raise then_raise
        return str(row["token_hash"])

    return work


async def test_units_of_work_share_one_transaction_and_return_their_results(
    db: AsyncEngine,
) -> None:
    tenant = await make_tenant(db)
    writes = GroupCommit(db)
    rows = [new_row(tenant) for _ in range(20)]
    results = await asyncio.gather(*(writes.run(inserting(row)) for row in rows))
    assert writes.transactions == 1
    assert results == [row["token_hash"] for row in rows]
    assert set(results) <= await stored_hashes(db)


async def test_a_unit_of_work_that_raises_is_undone_alone(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    writes = GroupCommit(db)
    good, refused = new_row(tenant), new_row(tenant)
    outcomes = await asyncio.gather(
        writes.run(inserting(good)),
        writes.run(inserting(refused, then_raise=ValueError("refused"))),
        return_exceptions=True,
    )
    assert outcomes[0] == good["token_hash"]
    assert isinstance(outcomes[1], ValueError)
    stored = await stored_hashes(db)
    assert good["token_hash"] in stored and refused["token_hash"] not in stored
    assert writes.transactions == 1


async def test_a_database_error_in_a_unit_of_work_fails_only_that_unit(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    writes = GroupCommit(db)
    first = new_row(tenant)
    await writes.insert(webview_sessions, first)
    good = [new_row(tenant) for _ in range(3)]
    duplicate = {**new_row(tenant), "token_hash": first["token_hash"]}
    outcomes = await asyncio.gather(
        writes.insert(webview_sessions, good[0]),
        writes.run(inserting(duplicate)),
        *(writes.run(inserting(row)) for row in good[1:]),
        return_exceptions=True,
    )
    assert outcomes[0] is None
    assert isinstance(outcomes[1], IntegrityError)
    assert outcomes[2:] == [row["token_hash"] for row in good[1:]]
    assert {row["token_hash"] for row in good} <= await stored_hashes(db)
