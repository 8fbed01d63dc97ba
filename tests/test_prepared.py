"""Prepared statements answer exactly what SQLAlchemy's execute answers, on both databases."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.kit.clock import as_utc, utcnow
from tessera.store.prepared import Prepared
from tessera.store.tables import stripe_customers
from tessera.store.transactions import write_transaction
from tests.factories import make_tenant

INSERT = Prepared(stripe_customers.insert().returning(stripe_customers.c.id))
FIND = Prepared(sa.select(stripe_customers).where(stripe_customers.c.id == sa.bindparam("row_id")))
DELETE = Prepared(
    stripe_customers.update()
    .where(stripe_customers.c.id == sa.bindparam("row_id"))
    .values(deleted=True, name=sa.bindparam("new_name"))
)


def customer_row(program_id: int) -> dict[str, object]:
    now = utcnow()
    return {
        "public_id": f"cus_prepared{now.timestamp()}",
        "program_id": program_id,
        "livemode": False,
        "email": "p@example.com",
        "name": "Prepared",
        "description": None,
        "phone": None,
        "metadata": {"tier": "gold", "n": "1"},
        "invoice_prefix": "ABCDEFGH",
        "deleted": False,
        "created_at": now,
        "updated_at": now + timedelta(seconds=1),
    }


async def test_a_prepared_insert_and_select_round_trip_every_type(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    row = customer_row(tenant.program_id)
    async with write_transaction(db) as conn:
        row_id = await INSERT.scalar(conn, row)
        prepared = (await FIND.rows(conn, {"row_id": row_id}))[0]
        executed = tuple(
            (
                await conn.execute(
                    sa.select(stripe_customers).where(stripe_customers.c.id == row_id)
                )
            ).one()
        )
    assert prepared == executed
    assert (prepared[8], prepared[10]) == ({"tier": "gold", "n": "1"}, False)
    assert as_utc(prepared[11]) == row["created_at"]


async def test_a_prepared_update_applies_its_literal_values_and_parameters(
    db: AsyncEngine,
) -> None:
    tenant = await make_tenant(db)
    async with write_transaction(db) as conn:
        row_id = await INSERT.scalar(conn, customer_row(tenant.program_id))
        await DELETE.rows(conn, {"row_id": row_id, "new_name": "Gone"})
    async with db.connect() as conn:
        found = (await FIND.rows(conn, {"row_id": row_id}))[0]
    assert (found[5], found[10]) == ("Gone", True)


async def test_a_prepared_write_outside_a_write_transaction_still_commits(
    db: AsyncEngine,
) -> None:
    tenant = await make_tenant(db)
    async with db.begin() as conn:
        row_id = await INSERT.scalar(conn, customer_row(tenant.program_id))
    async with db.connect() as conn:
        assert await FIND.scalar(conn, {"row_id": row_id}) == row_id
