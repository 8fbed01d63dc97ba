"""An Initialize Session that changes nothing writes nothing; one that changes something still
writes it (through group commit), on both databases."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.customers.service import find_customer
from tessera.demo.setup import demo_document_data
from tessera.store.tables import metadata
from tessera.store.transactions import write_transaction
from tests.headless.helpers import demo_tenant, member, session


async def database_state(db: AsyncEngine) -> dict[str, Any]:
    """Every table's row count and, where it has one, its newest ``updated_at``."""
    state: dict[str, Any] = {}
    async with db.connect() as conn:
        for table in metadata.sorted_tables:
            state[table.name] = await conn.scalar(sa.select(sa.func.count()).select_from(table))
            if "updated_at" in table.c:
                state[f"{table.name}.updated_at"] = await conn.scalar(
                    sa.select(sa.func.max(table.c.updated_at))
                )
    return state


async def test_an_unchanged_members_session_writes_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    first = await member(client, db, tenant, "1001", points=50)
    before = await database_state(db)
    again = await session(client, tenant, "1001", cart={"kind": "empty"})
    assert await database_state(db) == before
    assert again["customer"]["points_approved"] == first["customer"]["points_approved"]
    assert again["requested_cart_actions"] == []


async def test_an_unchanged_members_session_takes_no_write_lock(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001")
    # Another writer holds the database's write lock (SQLite) and the customer's row lock
    # (PostgreSQL) for as long as the session takes: a session that wanted either would wait.
    async with write_transaction(db) as conn:
        await find_customer(conn, tenant.program_id, "1001", for_update=True)
        body = await asyncio.wait_for(session(client, tenant, "1001"), timeout=3)
    assert body["customer"]["state"] == "enrolled"


async def test_a_session_whose_rule_is_at_its_limit_writes_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001")
    for _ in range(5):  # the demo's pageview rule pays five times a day
        await session(
            client, tenant, "1001", session={"page_url": "https://shop.example.com/products/lamp"}
        )
    before = await database_state(db)
    await session(
        client, tenant, "1001", session={"page_url": "https://shop.example.com/products/lamp"}
    )
    assert await database_state(db) == before


async def test_a_session_whose_rule_fires_still_writes(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001")
    before = await database_state(db)
    body = await session(client, tenant, "1001", channel="mobile")
    assert await database_state(db) != before
    assert any(
        entry["kind"] == "earned_points_from_rule" and entry["rule"]["id"] == 9
        for entry in body["customer"]["history"]
    )


async def test_a_guests_session_that_changes_nothing_writes_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db, program={**demo_document_data(), "auto_enrol": False})
    await session(client, tenant, "1004")
    before = await database_state(db)
    body = await session(client, tenant, "1004")
    assert body["customer"]["state"] == "guest"
    assert await database_state(db) == before
